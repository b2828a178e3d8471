"""helpers.cam.api: gradcam(), the public driver, on the real model: the textbook formula, the
counterfactual, defaults, bad inputs and no retracing."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
from kit import ESPRESSO, TIGER_CAT

import helpers
from helpers import cam
from helpers.cam.engine import engine

NAMES = ["gradcam", "gradcam++", "layercam", "scorecam", "eigencam"]


def test_helpers_equals_textbook_formula_on_real_model(model, two_objects):
    layer = model.get_layer("top_activation")
    grad_model = keras.Model(model.inputs, [layer.output, model.output])
    x = tf.constant(two_objects[None].astype("float32"))
    for c in (TIGER_CAT, ESPRESSO):
        with tf.GradientTape() as tape:
            conv, preds = grad_model(x)
            score = preds[:, c]
        grads = tape.gradient(score, conv)
        pooled = tf.reduce_mean(grads, axis=(0, 1, 2))
        heat = tf.maximum(tf.squeeze(conv[0] @ pooled[..., tf.newaxis]), 0)
        heat = (heat / tf.reduce_max(heat)).numpy()
        np.testing.assert_allclose(cam.heatmap(cam.context(model, two_objects), c), heat, atol=1e-4)
        assert np.abs(helpers.gradcam(model, two_objects, c) - cam.upsample(heat, (224, 224))).max() <= 1e-3


def test_counterfactual_points_at_the_other_object(model, two_objects):
    heat = helpers.gradcam(model, two_objects, TIGER_CAT, counterfactual=True)
    assert heat.max() == pytest.approx(1.0)
    assert heat[:, 112:].sum() > 0.7 * heat.sum()  # the espresso argues against "tiger cat"
    for method in ("scorecam", "eigencam"):
        with pytest.raises(ValueError, match="gradient"):
            helpers.gradcam(model, two_objects, TIGER_CAT, method=method, counterfactual=True)


def test_top_class_default_and_image_size_and_no_mutation(model, two_objects):
    big = helpers.load_image("cat_and_coffee")  # 448 x 448
    before = big.copy()
    assert helpers.gradcam(model, big).shape == big.shape[:2]
    np.testing.assert_array_equal(big, before)
    top = helpers.predict(model, two_objects, top=1)[0][0]
    np.testing.assert_allclose(helpers.gradcam(model, two_objects), helpers.gradcam(model, two_objects, top))
    as_float = two_objects.astype(np.float32)
    float_before = as_float.copy()
    helpers.gradcam(model, as_float, ESPRESSO, method="gradcam++")
    np.testing.assert_array_equal(as_float, float_before)
    wide = cv2.resize(two_objects, (300, 150))  # not square: heatmap at the picture's size
    assert helpers.gradcam(model, wide, TIGER_CAT).shape == (150, 300)


def test_bad_inputs_raise_clear_errors(model, two_objects):
    with pytest.raises(IndexError, match="1000"):
        helpers.gradcam(model, two_objects, 1000)
    with pytest.raises(IndexError):
        helpers.gradcam(model, two_objects, -1)
    for layer in ("avg_pool", "predictions"):
        with pytest.raises(ValueError, match="feature"):
            helpers.gradcam(model, two_objects, 1, layer=layer)
    with pytest.raises(KeyError, match="top_activation"):
        helpers.gradcam(model, two_objects, 1, layer="top_activatoin")
    with pytest.raises(ValueError, match="method") as err:
        helpers.gradcam(model, two_objects, 1, method="lime")
    assert all(repr(n) in str(err.value) for n in NAMES)  # the message lists the choices
    grey = two_objects.mean(axis=-1).astype(np.uint8)  # (H, W) grey is a picture, as for every other call
    np.testing.assert_array_equal(helpers.gradcam(model, grey, 1), helpers.gradcam(model, np.dstack([grey] * 3), 1))
    with pytest.raises(ValueError, match="positive"):
        helpers.smoothgrad(model, two_objects, 1, samples=0)


def test_earlier_layers_and_no_retracing(model, two_objects):
    heat = helpers.gradcam(model, two_objects, TIGER_CAT, layer="block6a_expand_activation")
    assert heat.shape == (224, 224) and heat.max() == pytest.approx(1.0)
    eng = engine(model)
    helpers.gradcam(model, two_objects, 1)
    traces = eng.trace_count()
    rng = np.random.default_rng(0)
    for i in range(5):
        noisy = np.clip(two_objects + rng.normal(0, 20, two_objects.shape), 0, 255).astype(np.uint8)
        helpers.gradcam(model, noisy, int(rng.integers(0, 1000)))
    assert eng.trace_count() == traces
    assert "top_activation" == cam.cam_layers(model)[0] and "block6a_expand_activation" in cam.cam_layers(model)
    first, mine = cam.cam_layers(model), cam.cam_layers(model)  # kept per model, handed out as fresh lists
    mine.clear()
    assert len(first) > 10 and cam.cam_layers(model) == first

