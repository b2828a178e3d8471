"""Serve the explorers to a whole class from this computer (``make classroom``).

See helpers/apps/server.py for the settings (PORT, CLASSROOM_HOST, CLASSROOM_CODE, ...)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from helpers.apps.server import main  # noqa: E402

if __name__ == "__main__":
    main()
