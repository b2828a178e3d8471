"""Root pytest configuration: the names that the docstring examples in helpers/ may use
(``make test`` runs them: ``--doctest-modules`` over helpers/)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def default_model():
    import helpers

    return helpers.load_model()


@pytest.fixture(scope="session", autouse=True)
def _doctest_names(doctest_namespace, default_model):
    import helpers

    model = default_model
    doctest_namespace.update(
        helpers=helpers, np=np, model=model, image=helpers.load_image("chelsea", size=224),
        load_model=lambda name="efficientnet_lite0", **kw: model if name == "efficientnet_lite0" and not kw
        else helpers.load_model(name, **kw),
        load_image=helpers.load_image)
