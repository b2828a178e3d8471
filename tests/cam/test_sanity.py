"""helpers.cam.sanity: the cascading weight-randomisation sanity check (Adebayo et al., 2018)."""

from __future__ import annotations

import numpy as np
from kit import TIGER_CAT

import helpers
from helpers import cam
from helpers.cam import sanity


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



def test_list_of_the_cascade_keeps_every_stage(model, two_objects):
    """Each yielded model is its own copy: ``list(...)`` holds the original and each randomised stage,
    so "original" and "randomised" are never the same model (the in-place version gave rho = 1)."""
    stages = list(cam.cascading_randomization(model, seed=0, steps=2))
    assert [name for name, _ in stages] == ["original", "predictions", "top"]
    assert len({id(m) for _, m in stages}) == 3 and all(m is not model for _, m in stages)
    for w, w0 in zip(stages[0][1].get_weights(), model.get_weights()):   # the original stage is the original
        np.testing.assert_array_equal(w, w0)
    groups = dict(sanity.randomization_groups(model))
    for (_, before), (name, after) in zip(stages, stages[1:]):  # each stage changes exactly one more group
        changed = {layer.name for layer in after.layers
                   if any(not np.array_equal(a, b) for a, b in zip(layer.get_weights(),
                                                                    before.get_layer(layer.name).get_weights()))}
        assert changed == {layer.name for layer in groups[name]}, (name, changed)
    base = helpers.gradcam(model, two_objects, TIGER_CAT)
    assert cam.spearman(base, helpers.gradcam(stages[0][1], two_objects, TIGER_CAT)) > 0.999
    assert cam.spearman(base, helpers.gradcam(stages[1][1], two_objects, TIGER_CAT)) < 0.5
    again = list(cam.cascading_randomization(model, seed=0, steps=1))[-1][1]   # same seed, same weights
    for a, b in zip(again.get_weights(), stages[1][1].get_weights()):
        np.testing.assert_array_equal(a, b)
