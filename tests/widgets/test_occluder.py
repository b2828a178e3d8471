"""helpers.widgets.occluder: one pass per move, the number and the map follow the square, errors stay in the widget."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from kit import ESPRESSO

import helpers
from helpers.cam.perturbation import MEAN_RGB


def _probability(model, picture, c):
    return float(tf.nn.softmax(helpers.logits(model, np.asarray(picture, np.float32)[None]))[0, c])


def test_each_move_costs_one_pass_and_shows_the_occluded_picture(model):
    from helpers.widgets import occluder

    w = occluder(model, "cat_and_coffee", class_index=ESPRESSO, size=56)
    assert w.status.value == "" and w.view.value[:3] == b"\xff\xd8\xff"
    assert w.counters["forward"] == 2          # the picture once, the first square once
    image = helpers.load_image("cat_and_coffee", size=model)
    assert w.base_probability == pytest.approx(_probability(model, image, ESPRESSO), abs=1e-4)
    # the square over the cup: the espresso probability falls; the number is the occluded picture's
    w.y_slider.value, w.x_slider.value = 56, 168
    assert w.counters["forward"] == 4          # two moves, two passes
    hidden = image.astype(np.float32)
    hidden[56:112, 168:224] = MEAN_RGB
    assert w.probability == pytest.approx(_probability(model, hidden, ESPRESSO), abs=1e-4)
    assert w.probability < 0.5 * w.base_probability
    np.testing.assert_allclose(w.heatmap, helpers.gradcam(model, hidden, ESPRESSO), atol=1e-4)
    on_cup = w.heatmap.copy()
    # over the cat instead: the espresso probability barely moves, the map changes
    w.x_slider.value = 0
    assert w.counters["forward"] == 5 and w.probability > 0.5 * w.base_probability
    assert np.abs(w.heatmap - on_cup).max() > 0.1
    assert "espresso" in w.info_label.value and "(56, 0)" in w.info_label.value


def test_a_square_outside_the_picture_and_a_bad_class_are_shown_and_the_widget_lives(model):
    from helpers.widgets import occluder

    w = occluder(model, "coffee", class_index=ESPRESSO, size=56)
    passes, shown = w.counters["forward"], w.view.value
    w.y_slider.max = 300                         # the slider ends at 224 - 56; a browser can widen it
    w.y_slider.value = 200                       # 200 + 56 > 224
    assert "top" in w.status.value and "168" in w.status.value
    assert w.counters["forward"] == passes and w.view.value == shown   # nothing computed, nothing redrawn
    w.y_slider.value = 0
    assert w.status.value == "" and w.counters["forward"] == passes + 1
    w.class_box.max = 5000                       # a browser can send any value
    w.class_box.value = 4000
    assert "IndexError" in w.status.value or "4000" in w.status.value
    w.class_box.value = ESPRESSO
    assert w.status.value == ""


def test_the_position_sliders_follow_the_size(model):
    """Each position a slider offers keeps the square inside the picture, whatever the size: no legal
    move ever shows an error, and a size change costs one pass, not one per clamped slider."""
    from helpers.widgets import occluder

    w = occluder(model, "coffee", class_index=ESPRESSO, size=56)
    assert (w.y_slider.max, w.x_slider.max) == (168, 168) and (w.y_slider.value, w.x_slider.value) == (84, 84)
    w.y_slider.value, w.x_slider.value = 168, 100                # the far edge: legal
    assert w.status.value == ""
    passes = w.counters["forward"]
    w.size_slider.value = 100                                    # larger: the maxima fall, the values clamp
    assert (w.y_slider.max, w.x_slider.max) == (124, 124) and (w.y_slider.value, w.x_slider.value) == (124, 100)
    assert w.status.value == "" and w.counters["forward"] == passes + 1 and w.square() == (124, 100, 100)
    assert w.picture[124:224, 100:200].reshape(-1, 3).std(axis=0).max() < 1    # the square is all grey, inside
    w.size_slider.value = 224                                    # the whole picture: one position
    assert (w.y_slider.max, w.x_slider.max, w.y_slider.value, w.x_slider.value) == (0, 0, 0, 0)
    assert w.status.value == "" and w.counters["forward"] == passes + 2
    w.size_slider.value = 8                                      # smaller: the maxima grow, the values stay
    assert (w.y_slider.max, w.x_slider.max) == (216, 216) and w.square() == (0, 0, 8)
    for y, x in ((216, 216), (216, 0), (0, 216)):                # every corner a slider can reach
        w.y_slider.value, w.x_slider.value = y, x
        assert w.status.value == "" and w.square() == (y, x, 8)
    w.size_slider.max = 400                                      # a browser widens the size slider
    w.size_slider.value = 300
    assert "size" in w.status.value and "224" in w.status.value and w.y_slider.max == 216
    w.size_slider.value = 56
    assert w.status.value == "" and w.y_slider.max == 168


def test_bad_arguments_raise_with_the_valid_choices(model):
    from helpers.widgets import occluder

    with pytest.raises(ValueError, match="size"):
        occluder(model, "coffee", size=500)
    with pytest.raises(IndexError):
        occluder(model, "coffee", class_index=1000)
    with pytest.raises(ValueError, match="no_such_photo"):
        occluder(model, "no_such_photo")
    with pytest.raises(TypeError):
        occluder("efficientnet_lite0", "coffee")
