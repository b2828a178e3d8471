"""Serve the explorers to a whole class from this computer (``make classroom``).

One server process (helpers/apps/server.py: PORT, CLASSROOM_HOST, CLASSROOM_CODE, ...), or with
CLASSROOM_PROCESSES=auto|N several behind HAProxy, each student pinned to one (helpers/apps/workers.py)."""
import importlib.util
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# helpers/apps/workers.py loaded on its own, not through the helpers package (which imports
# TensorFlow): a supervisor of N server processes stays small. With one process it runs the
# server (helpers.apps.server) in this one.
_spec = importlib.util.spec_from_file_location("classroom_workers", os.path.join(ROOT, "helpers", "apps", "workers.py"))
workers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(workers)


def main() -> None:
    """One server process, or a supervisor of N behind HAProxy (``CLASSROOM_PROCESSES``)."""
    haproxy = workers.find_haproxy()
    count = workers.processes(os.environ.get("CLASSROOM_PROCESSES"), haproxy=haproxy)
    if count == 1:
        from helpers.apps.server import main as serve  # only now: it imports TensorFlow

        serve()
        return
    supervisor = workers.Supervisor(count, host=os.environ.get("CLASSROOM_HOST", "127.0.0.1"),
                                    port=int(os.environ.get("PORT") or workers.DEFAULT_PORT),
                                    code=os.environ.get("CLASSROOM_CODE") or None, haproxy=haproxy)
    print(f"convnet-vis classroom: starting {count} server processes behind HAProxy ...", flush=True)
    try:
        supervisor.run()
    except RuntimeError as err:
        print(f"convnet-vis classroom: {err}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
