"""helpers.filters.param: pixel and Fourier parametrisations of the image being optimised."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import filters as F


def test_fourier_round_trip_and_colour_decorrelation():
    c = F.COLOR_CORRELATION
    assert np.max(np.linalg.norm(c, axis=0)) == pytest.approx(1.0)
    gram = c.T @ c                                              # columns: orthogonal principal colour axes
    assert np.abs(gram - np.diag(np.diag(gram))).max() < 0.02 * gram.max()
    assert abs(np.linalg.det(c)) > 1e-3
    # round trip: any image (inside 0.5..254.5) -> parameters -> the same image
    p = F.fourier(32)
    image = np.random.default_rng(0).uniform(1, 254, (32, 32, 3))
    np.testing.assert_allclose(p.to_image(p.encode(image)).numpy()[0], image, atol=2e-3)
    # zero parameters -> sigmoid(0) -> mid gray; the DC coefficient alone gives a flat image
    np.testing.assert_allclose(F.params_to_image(np.zeros((2, 3, 16, 9), np.float32), F.fourier_scale(16, 16)), 127.5)
    q = np.zeros((2, 3, 16, 9), np.float32)
    q[0, :, 0, 0] = 0.01
    flat = F.params_to_image(q, F.fourier_scale(16, 16)).numpy()
    rgb = c @ np.full(3, 0.0025)           # DC scale 256, irfft divides by 256 -> 0.01, /4, colour mix
    np.testing.assert_allclose(flat[0, 5, 7], 255 / (1 + np.exp(-rgb)), rtol=1e-5)
    s = F.fourier_scale(16, 16)
    assert s[0, 0] == s.max() and s[8, 8] == s.min()
    # the start is small noise: nearly uniform gray
    start = p.to_image(p.init).numpy()
    assert np.abs(start - 127.5).max() < 20 and not np.array_equal(p.init, F.fourier(32, seed=1).init)


def test_pixels_param_and_start_image():
    x = F.start_image(64, seed=3)
    assert x.dtype == np.float32 and x.shape == (64, 64, 3)
    assert 127.5 - 15.94 <= x.min() < 115 and 140 < x.max() <= 127.5 + 15.94   # 127.5 +- 0.125 * 127.5
    np.testing.assert_array_equal(F.pixels(64, seed=3).to_image(F.pixels(64, seed=3).init).numpy()[0], x)
    assert not np.array_equal(x, F.start_image(64, seed=4))

