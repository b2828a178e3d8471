"""helpers.widgets.where_what: the channels shown are the largest activation x gradient at the cell (checked
against an eager GradientTape), one pass per picture and class, filter patterns cached per model and sent
through the runner, mistakes in the status line."""
from __future__ import annotations

import numpy as np
import pytest
from kit import ESPRESSO, TIGER_CAT, sub_model_output, tape_gradient

import helpers
from helpers._cache import store
from helpers.filters import visualize_filters

PATTERNS = dict(pattern_size=32, pattern_steps=4)   # small and few: these tests check which, not how pretty
LAYER = "top_activation"


@pytest.fixture(scope="module")
def image(default_model):
    return helpers.load_image("cat_and_coffee", size=default_model)


def _independent_contributions(model, image, c, layer=LAYER):
    """alpha_k * A[i, j, k] for every cell, from a sub-model and an eager tape (no helpers code)."""
    a = sub_model_output(model, layer, image[None])[0].astype(np.float64)
    g = tape_gradient(model, layer, image, c).astype(np.float64)
    return a * g.mean(axis=(0, 1))                                       # (h, w, c)


def test_the_channels_are_the_top_activation_x_gradient_at_the_cell(model, image):
    from helpers.widgets import where_what_explorer

    w = where_what_explorer(model, "cat_and_coffee", class_index=ESPRESSO, top=4, **PATTERNS)
    assert w.status.value == "" and w.grid == (7, 7) and (w.row_slider.max, w.col_slider.max) == (6, 6)
    truth = _independent_contributions(model, image, ESPRESSO)
    raw = truth.sum(axis=-1)
    assert w.location == tuple(int(v) for v in np.unravel_index(raw.argmax(), raw.shape))  # starts at the peak
    for row, col in ((1, 5), (6, 0), (3, 3)):
        w.row_slider.value, w.col_slider.value = row, col
        cell = truth[row, col]
        expected = np.argsort(-cell, kind="stable")[:4]
        assert w.location == (row, col) and list(w.channels) == expected.tolist()
        np.testing.assert_allclose(w.contributions, cell[expected], rtol=1e-3, atol=1e-6)
        assert list(w.contributions) == sorted(w.contributions, reverse=True)
        assert f"cell ({row}, {col})" in w.info_label.value
        # the explorer's map is Grad-CAM's: ReLU of the summed contributions, / max, then upsampled
        np.testing.assert_allclose(w.grid_heatmap, np.maximum(raw, 0) / raw.max(), atol=1e-4)
    np.testing.assert_allclose(w.heatmap, helpers.gradcam(model, image, ESPRESSO), atol=1e-4)


def test_at_an_earlier_layer_the_two_weightings_differ_and_each_matches_its_definition(model, image):
    """At block5c_add (14x14) the gradient varies from cell to cell: "gradcam" ranks by the mean gradient,
    "local" by the gradient at the cell, and they pick different channels."""
    from helpers.widgets import where_what_explorer

    layer, cell = "block5c_add", (4, 10)
    a = sub_model_output(model, layer, image[None])[0].astype(np.float64)
    g = tape_gradient(model, layer, image, ESPRESSO).astype(np.float64)
    picked = {}
    for weights, per_channel in (("gradcam", g.mean(axis=(0, 1))), ("local", g[cell])):
        w = where_what_explorer(model, "cat_and_coffee", layer=layer, class_index=ESPRESSO, top=5, weights=weights,
                                **PATTERNS)
        w.row_slider.value, w.col_slider.value = cell
        truth = a[cell] * per_channel
        picked[weights] = list(w.channels)
        assert picked[weights] == np.argsort(-truth, kind="stable")[:5].tolist(), weights
        np.testing.assert_allclose(w.contributions, np.sort(truth)[::-1][:5], rtol=1e-3, atol=1e-6)
    assert picked["gradcam"] != picked["local"]


def test_moving_costs_no_pass_and_a_new_class_only_its_gradients(model, image):
    from helpers.widgets import where_what_explorer

    w = where_what_explorer(model, "cat_and_coffee", class_index=ESPRESSO, top=3, **PATTERNS)
    assert (w.counters["forward"], w.counters["gradients"]) == (1, 1)
    shown = w.view.value, w.channel_view.value
    w.col_slider.value = 0 if w.col_slider.value else 6
    w.row_slider.value = 0 if w.row_slider.value else 6
    assert (w.counters["forward"], w.counters["gradients"], w.counters["contributions"]) == (1, 1, 3)
    assert w.view.value != shown[0] and w.channel_view.value[:4] == b"\x89PNG"  # the outline moved
    offered = [v for _, v in w.class_dropdown.options]
    assert TIGER_CAT in offered and offered[0] == int(np.argmax(helpers.logits(model, image[None])[0]))
    w.class_dropdown.value = TIGER_CAT
    assert w.status.value == "" and w.class_index == TIGER_CAT and "tiger cat" in w.info_label.value
    assert (w.counters["forward"], w.counters["gradients"]) == (1, 2)
    cell = _independent_contributions(model, image, TIGER_CAT)[w.location]
    assert list(w.channels) == np.argsort(-cell, kind="stable")[:3].tolist()


def test_filter_patterns_are_the_robust_ones_cached_per_model(model):
    from helpers.widgets import where_what_explorer

    w = where_what_explorer(model, "cat_and_coffee", class_index=ESPRESSO, top=2, **PATTERNS)
    assert set(w.patterns) == set(w.channels)
    reference = visualize_filters(model, LAYER, list(w.channels), method="robust", size=32, steps=4)
    for f, picture in zip(w.channels, reference.patterns):
        np.testing.assert_array_equal(w.patterns[f], picture)        # the same ascent, from the model's cache
    assert reference.target == "top_bn"                                 # ReLU6 layer: its pre-activation
    cached = store(model, "filter-patterns")
    start, before = w.location, len(cached)
    w.row_slider.value = (start[0] + 3) % 7
    grown = len(cached)
    assert grown - before <= 2 and set(w.patterns) == set(w.channels)
    w.row_slider.value = start[0]                                      # back: nothing computed again
    assert len(cached) == grown and set(w.patterns) == set(w.channels)


def test_patterns_go_through_the_runner_and_an_overtaken_request_is_dropped(model):
    from helpers.widgets import where_what_explorer

    queued = []
    w = where_what_explorer(model, "coffee", top=2, runner=lambda slot, work: queued.append((slot, work)),
                            **PATTERNS)
    assert queued == [] and set(w.patterns) == set(w.channels)          # the first picture: drawn at once
    first = w.channels
    w.row_slider.value = 0 if w.row_slider.value else 6
    w.col_slider.value = 0 if w.col_slider.value else 6
    assert [slot for slot, _ in queued] == ["patterns", "patterns"]
    assert w.counters["patterns"] == 1                                   # the maps are drawn, the ascents wait
    new = [f for f in w.channels if f not in first]
    assert new                                                           # the far corner has other top channels
    for f in new:
        assert f not in w.patterns and "computing" in w.channel_label.value
    queued[0][1]()                                                       # overtaken: no work, no result
    assert w.counters["patterns"] == 1
    queued[1][1]()
    assert w.counters["patterns"] == 2 and set(w.patterns) == set(w.channels)
    assert "computing" not in w.channel_label.value and w.status.value == ""


def test_values_outside_the_grid_are_shown_and_the_widget_lives(model):
    from helpers.widgets import where_what_explorer

    w = where_what_explorer(model, "coffee", layer="block5c_add", top=2, **PATTERNS)
    assert w.grid == (14, 14) and w.row_slider.max == 13
    done, shown = dict(w.counters), w.view.value
    w.row_slider.max = 100                                               # a browser can widen a slider
    w.row_slider.value = 50
    assert "row must be in 0..13, got 50" in w.status.value
    assert dict(w.counters) == done and w.view.value == shown            # nothing computed, nothing redrawn
    w.row_slider.value = 13
    assert w.status.value == "" and w.location[0] == 13


def test_save_offers_a_download_and_none_means_no_button(model):
    from helpers.widgets import where_what_explorer

    w = where_what_explorer(model, "coffee", top=2, save="download", **PATTERNS)
    w.save.button.click()
    assert w.save.message.value.startswith('<a download="where-what_efficientnet_lite0_coffee_top_activation_')
    picture, name = w._shown
    assert picture.dtype == np.uint8 and picture.shape[1] >= 448 and name.endswith(".png")
    assert where_what_explorer(model, "coffee", top=1, **PATTERNS).save is None


def test_bad_arguments_raise_with_the_valid_choices(model):
    from helpers.widgets import where_what_explorer

    with pytest.raises(ValueError, match="top must be in 1..8"):
        where_what_explorer(model, "coffee", top=9)
    with pytest.raises(KeyError, match="no_such_layer"):
        where_what_explorer(model, "coffee", layer="no_such_layer")
    with pytest.raises(ValueError):
        where_what_explorer(model, "coffee", layer="avg_pool")          # no spatial map
    with pytest.raises(ValueError, match="no_such_photo"):
        where_what_explorer(model, "no_such_photo")
    with pytest.raises(IndexError):
        where_what_explorer(model, "coffee", class_index=1000)
    with pytest.raises(TypeError, match="runner"):
        where_what_explorer(model, "coffee", runner="pool")
    with pytest.raises(ValueError, match="download"):
        where_what_explorer(model, "coffee", save="disk")
    with pytest.raises(ValueError, match="local"):
        where_what_explorer(model, "coffee", weights="mean")
    with pytest.raises(TypeError):
        where_what_explorer("efficientnet_lite0", "coffee")
