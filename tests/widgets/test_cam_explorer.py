"""helpers.widgets.cam: the Grad-CAM explorer's caching, wiring, layer search, Score-CAM and errors."""

from __future__ import annotations

import cv2
import numpy as np
from kit import ESPRESSO, TIGER_CAT

import helpers

NAMES = ["gradcam", "gradcam++", "layercam", "scorecam", "eigencam"]


def test_explorer_caches_forward_pass_and_wiring(model):
    from helpers.widgets import gradcam_explorer

    ex = gradcam_explorer(model, "cat_and_coffee", top_k=5)
    image = ex.picker.image
    assert ex.status.value == "" and ex.view.value[:3] == b"\xff\xd8\xff"
    assert {v for _, v in ex.class_dropdown.options} >= {TIGER_CAT, ESPRESSO}
    assert "%" in ex.class_dropdown.options[0][0]
    assert [v for _, v in ex.method_toggle.options] == NAMES
    assert ex.counters["forward"] == 1
    # switching the class: new gradients from the cached feature maps, no forward pass
    ex.class_dropdown.value = ESPRESSO
    assert ex.counters["forward"] == 1 and ex.counters["gradients"] == 2
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, ESPRESSO), atol=1e-4)
    ex.class_dropdown.value = TIGER_CAT
    cat_heat = ex.heatmap.copy()
    np.testing.assert_allclose(cat_heat, helpers.gradcam(model, image, TIGER_CAT), atol=1e-4)
    # alpha and colour map only re-blend
    before = dict(ex.counters)
    picture = ex.picture.copy()
    ex.alpha_slider.value = 0.8
    ex.colormap_dropdown.value = "viridis"
    assert ex.counters["heatmap"] == before["heatmap"] and ex.counters["blend"] == before["blend"] + 2
    assert ex.counters["forward"] == 1 and np.abs(ex.picture.astype(int) - picture).max() > 50
    np.testing.assert_array_equal(ex.picture, helpers.overlay(image, cat_heat, 0.8, "viridis"))
    # the view (JPEG) shows photo | heatmap | overlay, each within a few grey levels
    shown = cv2.cvtColor(cv2.imdecode(np.frombuffer(ex.view.value, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    strip = np.concatenate([image, helpers.colorize(cat_heat, "viridis"), ex.picture], axis=1)
    strip = cv2.resize(strip, shown.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    assert shown.shape == (ex.display_size, 3 * ex.display_size, 3)
    assert np.abs(shown.astype(int) - strip).mean() < 2.0
    # counterfactual and the other gradient methods from the same cache
    ex.counterfactual_toggle.value = True
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, counterfactual=True), atol=1e-4)
    ex.counterfactual_toggle.value = False
    gradients = ex.counters["gradients"]
    for method in ("gradcam++", "layercam", "eigencam"):
        ex.method_toggle.value = method
        np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, method=method), atol=1e-4)
    assert ex.counters["forward"] == 1 and ex.counters["gradients"] == gradients


def test_explorer_search_layers_scorecam_and_errors(model):
    from helpers.widgets import gradcam_explorer

    ex = gradcam_explorer(model, "cat_and_coffee")
    image = ex.picker.image
    ex.search.value = "tabby"
    assert ex.class_dropdown.value == 281 and ex.status.value == ""
    ex.search.value = "no such animal"
    assert "no class name contains" in ex.status.value and ex.class_dropdown.value == 281
    ex.search.value = "loggerhead"      # outside the top-k: added to the options
    assert ex.info.class_names[ex.class_dropdown.value] == "loggerhead"
    # Score-CAM: the masked passes give all classes at once
    ex.class_dropdown.value = TIGER_CAT
    ex.method_toggle.value = "scorecam"
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, method="scorecam"), atol=1e-4)
    ex.class_dropdown.value = ESPRESSO
    assert ex.counters["masked"] == 1 and ex.counters["forward"] == 1
    ex.counterfactual_toggle.value = True  # not defined for Score-CAM: a message, widget alive
    assert "counterfactual" in ex.status.value
    ex.method_toggle.value = "gradcam"
    assert ex.status.value == ""
    ex.counterfactual_toggle.value = False
    # a layer a skip connection crosses: needs the full pass per class, still equal to gradcam()
    ex.layer_dropdown.value = "block6b_expand_activation"
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, ESPRESSO, layer="block6b_expand_activation"),
                               atol=1e-4)
    forward = ex.counters["forward"]
    ex.class_dropdown.value = TIGER_CAT  # ... and so each new class costs one forward pass here
    assert ex.counters["forward"] == forward + 1
    ex.layer_dropdown.value = "top_activation"  # back: its context is still there
    assert ex.counters["forward"] == forward + 1
    ex.picker.dropdown.value = "coffee"  # a new image: one new forward pass
    assert ex.counters["forward"] == forward + 2 and ex.class_dropdown.options[0][0].startswith("espresso")

