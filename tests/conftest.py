"""Shared fixtures. The default model is loaded once per test session (about 1 s)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def cat_224():
    import helpers

    return helpers.load_image("chelsea", size=224)
