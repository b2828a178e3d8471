"""helpers.cam.sanity: the cascading weight-randomisation sanity check (Adebayo et al., 2018)."""

from __future__ import annotations

import numpy as np
from kit import TIGER_CAT

import helpers
from helpers import cam


def test_cascading_randomization_sanity_check(model, two_objects):
    original = [w.copy() for w in model.get_weights()]
    steps = cam.cascading_randomization(model, seed=0, steps=2)
    name, copy = next(steps)
    assert name == "original" and copy is not model
    base_cam = helpers.gradcam(copy, two_objects, TIGER_CAT)
    np.testing.assert_allclose(base_cam, helpers.gradcam(model, two_objects, TIGER_CAT), atol=1e-5)
    base_gb = helpers.guided_backprop(model, two_objects, TIGER_CAT)
    name, copy = next(steps)
    assert name == "predictions"
    assert cam.spearman(base_cam, helpers.gradcam(copy, two_objects, TIGER_CAT)) < 0.5   # Grad-CAM changes
    assert cam.spearman(base_gb, helpers.guided_backprop(copy, two_objects, TIGER_CAT)) > 0.8  # guided: barely
    name, _ = next(steps)
    assert name == "top"
    for w, w0 in zip(model.get_weights(), original):  # the user's model is untouched
        np.testing.assert_array_equal(w, w0)

