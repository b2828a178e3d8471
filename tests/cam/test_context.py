"""helpers.cam.context: one image at one layer, each pass computed once and remembered per class."""

from __future__ import annotations

import numpy as np
import pytest
from kit import cam_model, random_image, sub_model_output, tape_gradient

from helpers import cam
from helpers.cam.engine import Engine

NAMES = ["gradcam", "gradcam++", "layercam", "scorecam", "eigencam"]


class _Counting:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def test_context_computes_maps_once_and_memoises_gradients_per_class():
    m = cam_model(9)
    image = random_image(4)
    eng = Engine(m, "conv")  # a private engine, so its functions can be counted
    full, forward, masked = _Counting(eng.grads), _Counting(eng.forward), _Counting(eng.masked_probs)
    head = _Counting(eng.head_grads)
    eng.grads, eng.forward, eng.masked_probs, eng._head = full, forward, masked, head
    ctx = cam.Context(eng, image.astype(np.float32))
    assert (full.calls, forward.calls) == (0, 0)  # lazy: nothing before it is asked for
    g1 = ctx.grads(1)
    np.testing.assert_allclose(g1, tape_gradient(m, "conv", image, 1), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ctx.fmaps, sub_model_output(m, 'conv', image[None])[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ctx.scores, np.asarray(m(image[None].astype("float32")))[0], rtol=1e-5, atol=1e-6)
    assert ctx.grads(1) is g1 and (full.calls, forward.calls, head.calls) == (1, 0, 0)  # one pass gave all three
    g3 = ctx.grads(3)  # another class: from the cached maps through the head only
    np.testing.assert_allclose(g3, tape_gradient(m, "conv", image, 3), rtol=1e-5, atol=1e-8)
    assert (full.calls, forward.calls, head.calls) == (1, 0, 1)
    ctx.grads(3), ctx.grads(1), ctx.fmaps, ctx.scores
    assert (full.calls, forward.calls, head.calls) == (1, 0, 1)
    assert ctx.counts == {"forward": 1, "gradients": 2}
    np.testing.assert_array_equal(ctx.negated().grads(3), -g3)
    assert head.calls == 1  # the counterfactual view shares the memo
    p1 = ctx.masked_scores([0, 2, 5])
    assert p1.shape == (3, 5) and np.allclose(p1.sum(axis=1), 1.0)
    assert ctx.masked_scores([0, 2, 5]) is p1 and masked.calls == 1 and forward.calls == 0


@pytest.mark.parametrize("method", NAMES)
def test_each_method_costs_one_pass_on_a_fresh_context(method):
    m = cam_model(15)
    ctx = cam.Context(Engine(m, "conv"), random_image(2).astype(np.float32))
    cam.heatmap(ctx, 1, method)
    uses_gradients = cam.get_method(method).uses_gradients
    assert ctx.counts["forward"] == 1 and ctx.counts["gradients"] == int(uses_gradients)
    assert ctx.counts["masked"] == int(method == "scorecam")


def test_context_top_class_and_forward_only_path():
    m = cam_model(10)
    image = random_image(6)
    ctx = cam.Context(Engine(m, "conv"), image.astype(np.float32))
    top = int(np.argmax(m(image[None].astype("float32"))))
    _ = ctx.fmaps  # gradient-free methods: a forward pass only
    assert ctx.counts == {"forward": 1} and ctx.top_class == top
    np.testing.assert_allclose(ctx.grads(None), tape_gradient(m, "conv", image, top), rtol=1e-5, atol=1e-8)
    fresh = cam.Context(Engine(m, "conv"), image.astype(np.float32))
    fresh.grads(None)  # the top class in the same single pass
    assert fresh.counts == {"forward": 1, "gradients": 1} and fresh.top_class == top
    with pytest.raises(ValueError, match="arrays"):
        cam.Context.from_arrays(np.ones((2, 2, 1))).grads(0)


def test_a_context_remembers_a_bounded_number_of_classes():
    from helpers.cam.context import MAX_CLASSES, Context

    ctx = Context.from_arrays(np.ones((2, 2, 3)), {0: np.ones((2, 2, 3))})
    for c in range(1, MAX_CLASSES + 5):
        ctx._remember(c, np.full((2, 2, 3), float(c)))
    assert len(ctx._grads) == MAX_CLASSES
    assert 0 not in ctx._grads and MAX_CLASSES + 4 in ctx._grads  # the oldest went first

