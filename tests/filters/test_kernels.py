"""helpers.filters.kernels: the first layer's raw weights, drawn as pictures."""

from __future__ import annotations

import numpy as np
import pytest

import helpers


def test_first_layer_kernels_are_the_raw_weights(model):
    k = helpers.first_layer_kernels(model)
    assert k.shape == (32, 3, 3, 3) and k.dtype == np.uint8
    w = np.transpose(model.get_layer("stem_conv").kernel.numpy(), (3, 0, 1, 2)).astype(np.float64)
    expected = (0.5 + 0.5 * w / np.abs(w).max(axis=(1, 2, 3), keepdims=True)) * 255
    assert np.abs(k - expected).max() <= 0.5 + 1e-6          # rounded, gray (127.5) = weight 0
    flat = k.reshape(32, -1)
    assert np.all((flat.max(1) == 255) | (flat.min(1) == 0))  # "each": every kernel uses its full range
    with pytest.raises(ValueError, match="RGB"):
        helpers.first_layer_kernels(model, "block2a_expand_conv")

