"""helpers.cam.contributions: each channel's share of a Grad-CAM cell, on arrays computed by hand."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.cam.contributions import location_contributions, top_channels
from helpers.cam.maths import gradcam_weights, weighted_cam

# a 2 x 2 map with 3 channels; A[i, j, k] and the gradients g[i, j, k]
A = np.array([[[1.0, 0.0, 2.0], [3.0, 1.0, 0.0]],
              [[0.0, 2.0, 1.0], [4.0, 0.0, 1.0]]])
G = np.array([[[1.0, 2.0, -1.0], [3.0, 2.0, -1.0]],
              [[1.0, -2.0, -1.0], [3.0, 2.0, 3.0]]])
# mean gradients per channel, by hand: (1+3+1+3)/4 = 2, (2+2-2+2)/4 = 1, (-1-1-1+3)/4 = 0


def test_gradcam_contributions_by_hand():
    np.testing.assert_allclose(gradcam_weights(G), [2.0, 1.0, 0.0])
    # cell (1, 0): A = (0, 2, 1) -> 0 x 2, 2 x 1, 1 x 0
    np.testing.assert_array_equal(location_contributions(A, G, 1, 0), [0.0, 2.0, 0.0])
    # cell (0, 1): A = (3, 1, 0) -> 6, 1, 0
    np.testing.assert_array_equal(location_contributions(A, G, 0, 1), [6.0, 1.0, 0.0])


def test_local_contributions_by_hand():
    # the gradient at the cell itself: cell (1, 1): A = (4, 0, 1), g = (3, 2, 3) -> 12, 0, 3
    np.testing.assert_array_equal(location_contributions(A, G, 1, 1, weights="local"), [12.0, 0.0, 3.0])
    # cell (0, 0): A = (1, 0, 2), g = (1, 2, -1) -> 1, 0, -2: a channel can argue against the class
    np.testing.assert_array_equal(location_contributions(A, G, 0, 0, weights="local"), [1.0, 0.0, -2.0])


def test_the_contributions_add_up_to_the_raw_gradcam_map_at_every_cell():
    rng = np.random.default_rng(0)
    a, g = rng.normal(size=(3, 4, 6)), rng.normal(size=(3, 4, 6))
    raw = weighted_cam(a, gradcam_weights(g), relu=False)
    for i in range(3):
        for j in range(4):
            by_loop = sum(a[i, j, k] * g[:, :, k].mean() for k in range(6))  # the definition, written out
            assert location_contributions(a, g, i, j).sum() == pytest.approx(raw[i, j], abs=1e-12)
            assert raw[i, j] == pytest.approx(by_loop, abs=1e-12)


def test_uniform_gradients_make_both_weightings_agree():
    """After global average pooling + Dense the gradient is the same at every cell: gradcam = local."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 3, 4))
    g = np.broadcast_to(rng.normal(size=4), (2, 3, 4))
    np.testing.assert_allclose(location_contributions(a, g, 1, 2), location_contributions(a, g, 1, 2, weights="local"))


def test_top_channels_descending_with_ties_by_index():
    order, values = top_channels(np.array([0.5, 2.0, -1.0, 2.0, 1.0]), 3)
    assert order.tolist() == [1, 3, 4] and values.tolist() == [2.0, 2.0, 1.0]
    order, values = top_channels(np.array([1.0, -2.0]), 5)                 # more than there are: all of them
    assert order.tolist() == [0, 1] and values.tolist() == [1.0, -2.0]


def test_bad_arguments_name_the_value_and_the_range():
    with pytest.raises(ValueError, match="row must be in 0..1, got 2"):
        location_contributions(A, G, 2, 0)
    with pytest.raises(ValueError, match="col must be in 0..1, got -1"):
        location_contributions(A, G, 0, -1)
    with pytest.raises(ValueError, match="gradcam"):
        location_contributions(A, G, 0, 0, weights="mean")
    with pytest.raises(ValueError, match="same shape"):
        location_contributions(A, G[..., :2], 0, 0)
    with pytest.raises(ValueError, match="feature maps"):
        location_contributions(A[0], G[0], 0, 0)
    with pytest.raises(TypeError):
        location_contributions(A, G, 0.5, 0)
    with pytest.raises(ValueError, match="top"):
        top_channels(np.ones(3), 0)
