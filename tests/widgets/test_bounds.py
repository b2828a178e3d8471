"""The explorers own their bounds: every value a control delivers is checked against what the
explorer offers before any work is done, whatever the browser did to the widget's min/max/options
(a client can send a state update for any synced trait). An out-of-bounds value is a message in
the explorer's status line; nothing is computed and the explorer stays usable. Also: the Grad-CAM
explorer hands its slow renders (Score-CAM) to its runner, as the filter explorer does."""
from __future__ import annotations

import threading

import numpy as np
import pytest

TIGER_CAT, ESPRESSO = 282, 967


def _offer(widget, *extra, queued=None):
    """What a tampering browser could do without the server's filter: widen a dropdown's options
    (ipywidgets re-selects the value meanwhile: the requests that makes are dropped from ``queued``)."""
    widget.options = [*widget.options, *extra]
    if queued is not None:
        queued.clear()


def test_filter_explorer_refuses_values_outside_its_bounds(default_model):
    from helpers.filters import METHODS
    from helpers.widgets import filter_explorer

    queued = []
    ex = filter_explorer(default_model, size=32, steps=3, runner=lambda slot, work: queued.append((slot, work)))
    first = ex.result
    assert ex.layer.value == "block4b_expand_conv" and ex.max_steps == 200

    ex.steps.max = 10_000                                   # the slider offers 0..200; the client widened it
    ex.steps.value = 5081
    assert "steps must be in 0..200, got 5081" in ex.status.value and queued == []
    ex.atlas_button.click()                                 # the atlas is refused for the same reason
    assert "steps must be in 0..200" in ex.status.value and queued == []
    ex.steps.value = 5
    assert ex.status.value == "" and [slot for slot, _ in queued] == ["redraw"]
    queued.clear()

    ex.filter.max = 10**6
    ex.filter.value = 5000                                  # block4b_expand_conv has 480 filters
    assert "filter must be in 0..479, got 5000" in ex.status.value and queued == []
    ex.filter.value = 479
    assert ex.status.value == "" and len(queued) == 1
    queued.clear()

    _offer(ex.layer, ("predictions", "predictions"), queued=queued)
    filter_max = ex.filter.max
    ex.layer.value = "predictions"                          # not one of the explorer's layers
    assert "unknown layer 'predictions'" in ex.status.value and queued == [] and ex.filter.max == filter_max
    ex.layer.value = "block2a_expand_conv"                  # 96 filters: the slider follows, redrawn
    assert ex.status.value == "" and ex.filter.max == 95 and queued
    queued.clear()

    _offer(ex.method, "evil", queued=queued)
    ex.method.value = "evil"
    assert "unknown method 'evil'" in ex.status.value and queued == []
    ex.method.value = METHODS[0]
    assert ex.status.value == "" and queued
    assert ex.result is first                               # nothing above ran the explorer's work itself
    queued[-1][1]()
    assert ex.result.layer == "block2a_expand_conv" and ex.result.filters == (ex.filter.value,)
    assert ex.result.settings["steps"] == 5

    with pytest.raises(ValueError, match="max_steps"):
        filter_explorer(default_model, size=32, steps=3, max_steps=10**9)


def test_gradcam_explorer_refuses_values_outside_its_bounds(default_model):
    from helpers.widgets import gradcam_explorer
    from helpers.widgets.cam_options import MAX_SEARCH

    ex = gradcam_explorer(default_model, "cat_and_coffee")
    done = {}

    def offer(widget, *extra):
        _offer(widget, *extra)
        done.update(ex.counters)                            # what the options change itself drew

    def nothing_done():
        return ex.counters["heatmap"] == done["heatmap"] and ex.counters["blend"] == done["blend"]

    offer(ex.class_dropdown, ("made up", 5000))
    ex.class_dropdown.value = 5000
    assert "class_index 5000 is out of range" in ex.status.value and nothing_done()
    ex.class_dropdown.value = TIGER_CAT
    assert ex.status.value == ""

    offer(ex.layer_dropdown, "predictions")
    ex.layer_dropdown.value = "predictions"
    assert "unknown layer 'predictions'" in ex.status.value and nothing_done()
    ex.layer_dropdown.value = "top_activation"

    offer(ex.method_toggle, ("Evil", "evil"))
    ex.method_toggle.value = "evil"
    assert "unknown method 'evil'" in ex.status.value and nothing_done()
    ex.method_toggle.value = "gradcam"
    assert ex.status.value == ""
    done.update(ex.counters)

    ex.alpha_slider.max = 5.0
    ex.alpha_slider.value = 3.0
    assert "alpha (the heatmap's opacity) must be a finite number in 0..1" in ex.status.value and nothing_done()
    ex.alpha_slider.value = 0.5
    assert ex.status.value == ""

    offer(ex.colormap_dropdown, "Greys")                   # a Matplotlib map, but not one this explorer offers
    ex.colormap_dropdown.value = "Greys"
    assert "unknown colormap 'Greys'" in ex.status.value and nothing_done()
    ex.colormap_dropdown.value = "jet"
    ex.class_dropdown.value = TIGER_CAT
    done.update(ex.counters)

    options = ex.class_dropdown.options
    ex.search.value = "tabby " * 100                        # 600 characters
    assert f"search text length must be in 0..{MAX_SEARCH}, got 600" in ex.status.value and nothing_done()
    assert ex.class_dropdown.options == options and ex.class_dropdown.value == TIGER_CAT
    ex.search.value = "tabby"                               # still alive
    assert ex.status.value == "" and ex.class_dropdown.value == 281

    with pytest.raises(TypeError, match="runner"):
        gradcam_explorer(default_model, runner="pool")


def test_activation_explorer_refuses_values_outside_its_bounds(default_model):
    from helpers.widgets import activation_explorer

    ex = activation_explorer(default_model, layers=["stem_conv", "block1a_dwconv"], layer="stem_conv")
    n = len(ex.render_log)

    ex.channel.max = 10**6
    ex.channel.value = 5000                                 # stem_conv has 32 channels
    assert "channel 5000 is out of range" in ex.status.value and len(ex.render_log) == n
    ex.channel.value = 3
    assert ex.status.value == "" and len(ex.render_log) == n + 1
    n += 1

    ex.depth.max = 50
    ex.depth.value = 40
    assert "depth must be in 0..1, got 40" in ex.status.value and ex.layer.value == "stem_conv"
    ex.depth.min = -5
    ex.depth.value = -1                                     # would have been the last layer (a Python index)
    assert "depth must be in 0..1, got -1" in ex.status.value and ex.layer.value == "stem_conv"
    assert len(ex.render_log) == n

    _offer(ex.layer, ("top_activation", "top_activation"))
    ex.layer.value = "top_activation"                       # a real layer, but not one this explorer offers
    assert "unknown layer 'top_activation'" in ex.status.value and len(ex.render_log) == n
    ex.layer.value = "block1a_dwconv"
    assert ex.status.value == "" and ex.render_log[-1][1] == "block1a_dwconv"
    n = len(ex.render_log)

    _offer(ex.norm, "evil")
    ex.norm.value = "evil"
    assert "unknown normalization 'evil'" in ex.status.value and len(ex.render_log) == n
    ex.norm.value = "layer"
    assert ex.status.value == "" and ex.render_log[-1][1:] == ("block1a_dwconv", 3, "layer")
    assert ex.render(layer="top_activation") is None and "unknown layer" in ex.status.value


def test_gradcam_explorer_hands_slow_renders_to_its_runner(default_model):
    """Score-CAM renders go to runner("redraw", work); Grad-CAM and re-blends stay immediate; a slow
    render that a later request overtook is dropped when it finally runs."""
    import helpers
    from helpers.widgets import gradcam_explorer

    queued = []
    ex = gradcam_explorer(default_model, "cat_and_coffee", runner=lambda slot, work: queued.append((slot, work)))
    image = ex.picker.image
    assert queued == [] and ex.heatmap is not None               # the first map is drawn at once
    ex.class_dropdown.value = ESPRESSO                           # Grad-CAM: immediate
    assert queued == [] and ex.info_label.value.count("espresso") == 1
    gradcam_espresso = ex.heatmap.copy()

    ex.method_toggle.value = "scorecam"                          # slow: queued, nothing computed yet
    assert [slot for slot, _ in queued] == ["redraw"] and ex.counters["masked"] == 0
    assert np.array_equal(ex.heatmap, gradcam_espresso)
    blends = ex.counters["blend"]
    ex.alpha_slider.value = 0.7                                  # a re-blend: immediate, not queued
    assert ex.counters["blend"] == blends + 1 and len(queued) == 1
    worker = threading.Thread(target=queued.pop()[1])            # as the classroom's pool runs it
    worker.start()
    worker.join(120)
    assert ex.status.value == "" and ex.counters["masked"] == 1
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(default_model, image, ESPRESSO, method="scorecam"),
                               atol=1e-4)
    np.testing.assert_array_equal(ex.picture, helpers.overlay(image, ex.heatmap, 0.7))

    ex.class_dropdown.value = TIGER_CAT                          # Score-CAM still selected: queued
    assert len(queued) == 1
    ex.method_toggle.value = "gradcam"                           # overtakes it, at once
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(default_model, image, TIGER_CAT), atol=1e-4)
    heatmaps = ex.counters["heatmap"]
    queued.pop()[1]()                                            # the overtaken Score-CAM render: dropped
    assert ex.counters["heatmap"] == heatmaps and ex.counters["masked"] == 1
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(default_model, image, TIGER_CAT), atol=1e-4)
    assert ex._current_picture()[1].endswith("_282-tiger-cat_gradcam.png")

    slow_first = gradcam_explorer(default_model, "cat_and_coffee", method="scorecam",
                                  runner=lambda slot, work: queued.append((slot, work)))
    assert queued == [] and slow_first.heatmap is not None      # the first picture: at once even when slow
