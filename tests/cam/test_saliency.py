"""helpers.cam.saliency: input-gradient maps (saliency, guided backprop, SmoothGrad, integrated gradients)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from kit import TIGER_CAT, cam_model, random_image

import helpers
from helpers import cam
from helpers.cam.maths import normalize_map
from helpers.cam.saliency import input_gradients


def test_guided_backprop_drops_negative_gradients():
    """Conv(relu) -> GAP -> Dense: guided backprop = plain gradient with the negative Dense
    weights set to zero (their gradients are the negative ones the guided ReLU blocks)."""
    m = cam_model(8)
    image = random_image(2)
    clipped = keras.models.clone_model(m)
    clipped.set_weights(m.get_weights())
    k, b = clipped.get_layer("dense").get_weights()
    clipped.get_layer("dense").set_weights([np.maximum(k, 0), b])
    guided = input_gradients(m, image, 1, guided=True)
    plain = input_gradients(m, image, 1)
    np.testing.assert_allclose(guided, input_gradients(clipped, image, 1), rtol=1e-4, atol=1e-7)
    assert np.abs(guided - plain).max() > 1e-4  # it really differs from the plain gradient
    x = tf.constant(image[None].astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = m(x)[0, 1]
    np.testing.assert_allclose(plain, tape.gradient(score, x).numpy()[0], rtol=1e-4, atol=1e-7)


def test_smoothgrad_without_noise_is_saliency_and_noise_changes_it():
    m = cam_model(13)
    image = random_image(3)
    plain = helpers.gradient_saliency(m, image, 2)
    np.testing.assert_allclose(helpers.smoothgrad(m, image, 2, noise=0.0, samples=4), plain, atol=1e-6)
    noisy = helpers.smoothgrad(m, image, 2, noise=0.2, samples=8)
    assert np.abs(noisy - plain).max() > 0.05
    np.testing.assert_array_equal(noisy, helpers.smoothgrad(m, image, 2, noise=0.2, samples=8))  # seeded


def test_integrated_gradients_add_up_to_the_score_difference(model):
    m = cam_model(14)
    image = random_image(5)
    attr = cam.attributions(m, image, 3, steps=64)
    z = np.asarray(m(np.stack([image, np.zeros_like(image)]).astype("float32")))[:, 3]
    assert attr.sum() == pytest.approx(z[0] - z[1], rel=0.01)
    grey = cam.attributions(m, image, 3, baseline=128, steps=64)
    z_grey = float(np.asarray(m(np.full((1, 20, 20, 3), 128, "float32")))[0, 3])
    assert grey.sum() == pytest.approx(z[0] - z_grey, rel=0.01)
    heat = helpers.integrated_gradients(m, image, 3, steps=64)
    np.testing.assert_allclose(heat, normalize_map(np.abs(attr).sum(-1)), atol=1e-6)


def test_input_gradient_maps_on_the_real_model(model, two_objects):
    for fn in (helpers.gradient_saliency, helpers.guided_backprop, helpers.smoothgrad, helpers.integrated_gradients):
        kwargs = ({"samples": 4} if fn is helpers.smoothgrad
                  else {"steps": 4} if fn is helpers.integrated_gradients else {})
        heat = fn(model, two_objects, TIGER_CAT, **kwargs)
        assert heat.shape == (224, 224) and heat.dtype == np.float32, fn.__name__
        assert heat.min() >= 0 and heat.max() == pytest.approx(1.0) and not np.isnan(heat).any()

