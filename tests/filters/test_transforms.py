"""helpers.filters.transforms: jitter, scale, rotate and their composition, checked on a single bright dot."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers import filters as F


def _dot(size=17, y=8, x=8):
    image = np.zeros((1, size, size, 3), np.float32)
    image[0, y, x] = [1.0, 2.0, 3.0]
    return image


@pytest.mark.parametrize("k", [1, 3])
def test_jitter_by_k_pixels_shifts_content_by_k(k):
    shifts = set()
    for s in range(60):
        out = F.jitter(k)(_dot(), [s, 0]).numpy()
        (y, x), = np.argwhere(out[0, :, :, 2] == 3.0)
        dy, dx = y - 8, x - 8
        assert abs(dy) <= k and abs(dx) <= k
        np.testing.assert_array_equal(out, F.warp(_dot(), tx=dx, ty=dy).numpy())   # exact: content just moved
        shifts.add((dy, dx))
    assert {d for d, _ in shifts} == set(range(-k, k + 1)) == {d for _, d in shifts}
    np.testing.assert_array_equal(F.jitter(k)(_dot(), [5, 1]), F.jitter(k)(_dot(), [5, 1]))   # deterministic


def test_warp_scale_rotate():
    img = np.random.default_rng(0).random((1, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(F.affine_transform(1.0, 0.0, 0.0, 0.0, 9).numpy(), [1, 0, 0, 0, 1, 0, 0, 0])
    rot = F.rotate([90])(img, [0, 0]).numpy()          # clockwise on screen (y points down)
    np.testing.assert_allclose(rot[0], np.rot90(img[0], k=-1), atol=1e-4)
    big = F.scale([2.0])(_dot(17, 10, 8), [0, 0]).numpy()[0, :, :, 2]   # 2 px below the centre -> 4 px below
    assert big[12, 8] == pytest.approx(3.0) and big[10, 8] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="positive"):
        F.scale([0.0])
    with pytest.raises(ValueError, match="jitter"):
        F.jitter(-1)


def test_compose_applies_in_order_with_derived_seeds():
    img = _dot(17, 8, 11)
    first, second = F.jitter(3), F.scale([2.0])
    seed = tf.constant([7, 2])
    composed = F.compose(first, second)(img, seed).numpy()
    by_hand = second(first(img, F.transforms.step_seed(seed, 0)), F.transforms.step_seed(seed, 1)).numpy()
    np.testing.assert_array_equal(composed, by_hand)
    reverse = F.compose(second, first)(img, seed).numpy()
    assert not np.allclose(composed, reverse)            # scale-then-shift != shift-then-scale
    np.testing.assert_array_equal(F.compose()(img, seed), img)
    assert F.compose(first, [second]).key == F.compose(first, second).key

