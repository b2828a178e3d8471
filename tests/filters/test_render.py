"""helpers.filters.render: ascend() composes objective x parametrisation x transforms x step, compiled once,
and agrees with a plain GradientTape loop."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers import filters as F
from helpers.filters.render import compiled_ascent

L4 = "block4b_expand_conv"


def test_ascend_compiles_once_per_composition(model):
    param = F.fourier(40, seed=0)
    parts = (F.jitter(1), F.adam(0.05))
    a = F.ascend(model, F.channel("block3a_expand_conv", 0), param, *parts, steps=2)
    fn = compiled_ascent(model, F.channel("block3a_expand_conv", 5), param, *parts).function
    F.ascend(model, F.channel("block3a_expand_conv", 5), F.fourier(40, seed=2), *parts, steps=4, seed=3)
    F.ascend(model, F.channel("block3a_expand_conv", 1), param, parts[0], F.adam(0.2), steps=3)
    assert fn.experimental_get_tracing_count() == 1        # other channel / seed / steps / rate: no retrace
    assert a.image.shape == (40, 40, 3) and a.final > a.start and not a.stuck
    mix = 0.5 * F.channel(L4, 3) + 0.5 * F.channel(L4, 7)
    b = F.ascend(model, mix, F.pixels(48), None, F.normalized(200.0), steps=5)
    assert b.final > b.start
    c = F.ascend(model, F.class_logit(285), F.fourier(64), F.jitter(2), F.adam(0.05), steps=8)
    assert c.final > c.start + 1


def test_ascend_bad_parts(model):
    with pytest.raises(IndexError, match="480 channels"):
        F.ascend(model, F.channel(L4, 480), F.pixels(32))
    with pytest.raises(IndexError, match="1000 classes"):
        F.ascend(model, F.class_logit(1000), F.pixels(32))
    with pytest.raises(TypeError, match="objective"):
        F.ascend(model, L4, F.pixels(32))
    with pytest.raises(TypeError, match="param"):
        F.ascend(model, F.channel(L4, 1), np.zeros((32, 32, 3)))
    with pytest.raises(TypeError, match="transforms"):
        F.ascend(model, F.channel(L4, 1), F.pixels(32), ["jitter"])
    with pytest.raises(ValueError, match="steps"):
        F.ascend(model, F.channel(L4, 1), F.pixels(32), steps=-1)
    with pytest.raises(KeyError, match="block4b_expand_conv"):
        F.ascend(model, F.channel("block4b_expand_cnv", 1), F.pixels(32))


def test_helpers_agree_with_a_plain_gradient_tape_loop(model):
    """The ~10-line notebook core (eager) and the compiled classic preset give the same picture."""
    layer, f, size, steps = "block3b_expand_conv", 7, 64, 10
    fm = helpers.feature_model(model, [layer], input_shape=(size, size, 3))
    image = tf.constant(F.start_image(size, seed=0)[None])
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(fm(image)[layer][:, 2:-2, 2:-2, f])
        grad = tape.gradient(loss, image)
        image += 10 * 127.5 * grad / (tf.norm(grad) + 1e-12)
    ours = F.deprocess(image[0].numpy())
    theirs = helpers.filter_patterns(model, layer, f, size=size, steps=steps, seed=0, cache=False)[0]
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 2, (diff.mean(), diff.max())

