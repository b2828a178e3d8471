"""helpers.cam.maths: the arithmetic of class activation maps, on hand-computed arrays."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import cam
from helpers.cam.maths import (
    gradcam_plus_plus_alphas,
    gradcam_plus_plus_weights,
    gradcam_weights,
    normalize_map,
    pixel_map,
    principal_direction,
    weighted_cam,
)
from helpers.cam.sanity import rankdata


def test_gradcam_weights_average_space_per_image_never_batch():
    g = np.zeros((2, 2, 2, 1))
    g[0, :, :, 0] = [[1, 2], [3, 6]]
    g[1, :, :, 0] = [[0, 0], [0, 4]]
    np.testing.assert_allclose(gradcam_weights(g), [[3.0], [1.0]])


def test_weighted_cam_relu_broadcast_centred_and_normalize():
    a = np.array([[[1.0, 2.0], [3.0, -4.0]], [[0.0, 1.0], [2.0, 2.0]]])  # (2, 2, 2)
    raw = weighted_cam(a, np.array([2.0, 1.0]))
    np.testing.assert_allclose(raw, [[4.0, 2.0], [1.0, 6.0]])
    np.testing.assert_allclose(normalize_map(raw), [[4 / 6, 2 / 6], [1 / 6, 1.0]])
    np.testing.assert_allclose(weighted_cam(a, np.array([-1.0, 0.0])), np.zeros((2, 2)))  # ReLU
    np.testing.assert_allclose(weighted_cam(a, np.array([-1.0, 0.0]), relu=False), [[-1, -3], [0, -2]])
    per_location = np.zeros_like(a)
    per_location[0, 0] = [1.0, 1.0]
    per_location[1, 1] = [0.0, 0.5]  # (h, w, c) weights: element-wise
    np.testing.assert_allclose(weighted_cam(a, per_location), [[3.0, 0.0], [0.0, 1.0]])
    # centred: the map minus its mean (4 + 2 + 1 + 6) / 4 = 3.25, then ReLU
    np.testing.assert_allclose(weighted_cam(a, np.array([2.0, 1.0]), centred=True), [[0.75, 0], [0, 2.75]])


def test_normalize_zero_map_gives_zeros_not_nan():
    for m in (np.zeros((7, 7)), np.full((7, 7), 1e-12), np.full((3, 3), np.nan)):
        out = normalize_map(m)
        assert not np.isnan(out).any() and (out == 0).all()
    up = cam.upsample(np.zeros((7, 7)), (224, 224))
    assert up.shape == (224, 224) and up.dtype == np.float32 and (up == 0).all()


def test_gradcam_plus_plus_alphas_hand_computed():
    a = np.array([[[1.0], [3.0]]])          # sum over the map: 4
    g = np.array([[[2.0], [-1.0]]])
    # alpha = g^2 / (2 g^2 + 4 g^3): 4 / (8 + 32) = 0.1 ; 1 / (2 - 4) = -0.5
    np.testing.assert_allclose(gradcam_plus_plus_alphas(a, g), [[[0.1], [-0.5]]])
    # weight = sum(alpha * relu(g)) = 0.1 * 2 + (-0.5) * 0
    np.testing.assert_allclose(gradcam_plus_plus_weights(a, g), [0.2])
    assert gradcam_plus_plus_alphas(a, np.zeros_like(g)).sum() == 0  # no 0/0


def test_layercam_weights_are_positive_gradients_per_location():
    a = np.array([[[1.0, 2.0], [3.0, 1.0]]])  # a 1 x 2 map, 2 channels
    g = np.array([[[2.0, -1.0], [0.5, 3.0]]])
    ctx = cam.Context.from_arrays(a, {0: g})
    np.testing.assert_array_equal(cam.LayerCAM().weights(ctx, 0), [[[2.0, 0.0], [0.5, 3.0]]])
    np.testing.assert_allclose(cam.LayerCAM().raw(ctx, 0), [[2.0, 4.5]])  # 1*2 + 2*0 ; 3*0.5 + 1*3


def test_eigencam_is_the_first_principal_component_of_hand_data():
    rng = np.random.default_rng(3)
    fmaps = rng.random((4, 5, 6)) + np.linspace(0, 3, 20).reshape(4, 5, 1) * rng.random(6)  # one strong direction
    x = fmaps.reshape(20, 6)
    x = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    pc1 = (u[:, 0] * s[0]).reshape(4, 5)  # the scores of the first principal component
    pc1 = pc1 if np.corrcoef(pc1.ravel(), fmaps.sum(-1).ravel())[0, 1] > 0 else -pc1
    expected = np.maximum(pc1, 0) / np.maximum(pc1, 0).max()
    got = cam.get_method("eigencam").heatmap(cam.Context.from_arrays(fmaps), None)
    np.testing.assert_allclose(got, expected, atol=1e-6)  # the context holds float32
    assert np.abs(got - normalize_map(np.maximum(-pc1, 0))).max() > 0.5  # the sign matters
    assert not principal_direction(np.ones((3, 3, 4))).any()  # no variation: zeros, not NaN


def test_pixel_map_and_rankdata_and_spearman_match_scipy():
    np.testing.assert_allclose(pixel_map(np.array([[[1.0, -3.0, 0.0], [0.5, 0.5, -2.0]]])), [[1.0, 2 / 3]])
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    a = rng.integers(0, 5, 200).astype(float)  # many ties
    b = a + rng.normal(0, 2, 200)
    np.testing.assert_allclose(rankdata(a), stats.rankdata(a))
    assert cam.spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert cam.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert cam.spearman(np.zeros(9), b[:9]) == 0.0
    with pytest.raises(ValueError):
        cam.spearman([1, 2], [1, 2, 3])

