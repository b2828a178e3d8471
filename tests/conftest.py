"""Shared fixtures. The default model is loaded once per test session (about 1 s)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def cat_224():
    import helpers

    return helpers.load_image("chelsea", size=224)


@pytest.fixture()
def model(default_model):
    """The session's EfficientNet-Lite0 (the root conftest.py loads it once)."""
    return default_model


@pytest.fixture(scope="session")
def two_objects():
    """``cat_and_coffee`` at 224 px: a tiger cat (class 282) beside an espresso (class 967)."""
    import helpers

    return helpers.load_image("cat_and_coffee", size=224)
