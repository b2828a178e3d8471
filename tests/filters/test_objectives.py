"""helpers.filters.objectives: what gradient ascent maximises, on hand-made activations and the real model."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers import filters as F

L4 = "block4b_expand_conv"


def _grad(model, objective, image, size):
    fm = helpers.feature_model(model, list(objective.layers), input_shape=(size, size, 3))
    x = tf.constant(image)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = objective(fm(x, training=False))
    return float(value), tape.gradient(value, x).numpy()


def test_objective_sum_gradient_is_the_sum_of_gradients(model):
    image = F.start_image(48, seed=1)[None]
    a, b = F.channel(L4, 3), F.channel(L4, 7)
    va, ga = _grad(model, a, image, 48)
    vb, gb = _grad(model, b, image, 48)
    vs, gs = _grad(model, a + b, image, 48)
    assert vs == pytest.approx(va + vb, rel=1e-5)
    np.testing.assert_allclose(gs, ga + gb, rtol=1e-4, atol=1e-6 * np.abs(ga + gb).max())
    vm, gm = _grad(model, 0.5 * a - 2 * b, image, 48)
    assert vm == pytest.approx(0.5 * va - 2 * vb, rel=1e-5)
    np.testing.assert_allclose(gm, 0.5 * ga - 2 * gb, rtol=1e-4, atol=1e-6 * np.abs(gm).max())


def test_objective_arithmetic_on_hand_activations():
    acts = {"conv": np.arange(2 * 36, dtype=np.float32).reshape(1, 6, 6, 2)}
    c0, c1 = F.channel("conv", 0), F.channel("conv", 1)
    m0, m1 = np.arange(0, 72, 2).mean(), np.arange(1, 72, 2).mean()      # 35.0, 36.0
    assert float(c0(acts)) == m0 and float(c1(acts)) == m1
    assert float((2.5 * c0)(acts)) == pytest.approx(2.5 * m0)
    assert float((c0 * 2.5)(acts)) == pytest.approx(2.5 * m0)
    assert float((c0 / 4)(acts)) == pytest.approx(m0 / 4)
    assert float((-c0)(acts)) == -m0 and float((c0 - c1)(acts)) == pytest.approx(m0 - m1)
    assert float(sum([c0, c1, c1])(acts)) == pytest.approx(m0 + 2 * m1)
    mix = 0.25 * c0 + 0.75 * c1
    assert mix.key == (0.4 * c0 + 0.6 * F.channel("conv", 9)).key           # same structure, other numbers
    assert mix.key != (c0 + c1).key and mix.args == (0.25, 0.0, 0.75, 1.0)
    with pytest.raises(TypeError, match="number"):
        c0 * c1
    with pytest.raises(TypeError, match="objectives"):
        c0 + 1.0
    with pytest.raises(ValueError, match="zero"):
        c0 / 0


def test_neuron_vs_channel_and_border():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(1, 6, 6, 3)).astype(np.float32)
    acts = {"conv": a}
    neurons = [[float(F.neuron("conv", 2, x=x, y=y)(acts)) for x in range(6)] for y in range(6)]
    np.testing.assert_allclose(neurons, a[0, :, :, 2], rtol=1e-6)
    assert float(F.channel("conv", 2)(acts)) == pytest.approx(np.mean(neurons), rel=1e-5)   # channel = mean of neurons
    assert float(F.neuron("conv", 1)(acts)) == a[0, 3, 3, 1]                              # default: the centre
    assert float(F.channel("conv", 1, border=1)(acts)) == pytest.approx(a[0, 1:5, 1:5, 1].mean(), rel=1e-5)
    # the textbook's crop of 2 on a 6x6 map shrinks to 1 (at least 4x4 kept)
    assert float(F.channel("conv", 1, border=2)(acts)) == pytest.approx(a[0, 1:5, 1:5, 1].mean(), rel=1e-5)
    assert float(F.layer("conv")(acts)) == pytest.approx(np.mean(a ** 2), rel=1e-5)
    assert float(F.class_logit(1)({"logits": np.array([[3.0, -2.0]], np.float32)})) == -2.0


def test_border_crop_never_empties_the_map():
    assert F.border_crop(8, 8) == 2          # textbook crop, 4x4 centre left
    assert F.border_crop(64, 32) == 2
    assert F.border_crop(7, 7) == 1          # 7 - 2*2 = 3 < 4: shrink the crop
    assert F.border_crop(5, 5) == 0
    assert F.border_crop(4, 4) == 0          # the textbook crop would leave nothing (NaN loss)
    assert math.isfinite(float(F.filter_objective(np.ones((1, 4, 4, 3)), 2, border=F.border_crop(4, 4))))

