"""helpers.filters.steps: the step rules (normalised gradient, Adam) against their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from helpers import filters as F


def test_normalized_step_has_unit_norm():
    big = np.random.default_rng(0).normal(size=(1, 8, 8, 3)).astype(np.float32) * 1e4
    assert float(tf.norm(F.normalize_gradient(big))) == pytest.approx(1.0, rel=1e-5)
    assert not np.any(F.normalize_gradient(np.zeros((3, 3), np.float32)).numpy())
    v = tf.Variable(np.zeros((4, 4), np.float32))
    stepper = F.normalized(2.5).build(v)
    stepper.reset(2.5)
    stepper.apply(tf.constant(big[0, :4, :4, 0]))
    assert float(tf.norm(v)) == pytest.approx(2.5, rel=1e-5)


def test_adam_step_matches_the_adam_formula():
    """Two uphill Adam steps on a hand case, against Kingma & Ba's update written out by hand
    (keras' form: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), x += lr_t m / (sqrt(v) + eps))."""
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    grads = [np.array([1.0, -2.0, 0.5], np.float32), np.array([0.5, 1.0, -4.0], np.float32)]
    v = tf.Variable(np.zeros(3, np.float32))
    stepper = F.adam(lr, b1, b2, eps).build(v)
    x, m, s = np.zeros(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        x = x + lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(s) + eps)
    for rerun in range(2):                                # reset() forgets the moments
        stepper.reset(lr)
        v.assign(np.zeros(3, np.float32))
        for g in grads:
            stepper.apply(tf.constant(g))
        np.testing.assert_allclose(v.numpy(), x, rtol=1e-5)
    stepper.reset(lr)
    v.assign(np.zeros(3, np.float32))
    stepper.apply(tf.constant(grads[0]))
    np.testing.assert_allclose(v.numpy(), lr * np.sign(grads[0]), rtol=1e-4)   # first step: lr uphill, per coordinate

