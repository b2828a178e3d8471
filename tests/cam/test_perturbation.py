"""helpers.cam.perturbation: occlusion and RISE on a toy model whose evidence is known by construction,
their arithmetic on hand-computed arrays, their cost in forward passes, and their argument errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from kit import quadrant_image, quadrant_model

from helpers.cam.engine import engine
from helpers.cam.maths import normalize_map
from helpers.cam.perturbation import (
    MEAN_RGB,
    fill_colour,
    occlusion,
    occlusion_average,
    patch_starts,
    rise,
    rise_grids,
    rise_masks,
    rise_saliency,
)

SIDE, GAIN = 16, 8.0


def top_left(side: int = SIDE) -> np.ndarray:
    m = np.zeros((side, side), bool)
    m[: side // 2, : side // 2] = True
    return m


@pytest.fixture(scope="module")
def toy():
    return quadrant_model()


@pytest.fixture()
def passes(toy, monkeypatch):
    """The number of pictures that go through the toy model's compiled forward pass."""
    eng = engine(toy)
    seen, real = [], eng.forward
    monkeypatch.setattr(eng, "forward", lambda x: seen.append(int(x.shape[0])) or real(x))
    return seen


# -- the arithmetic ------------------------------------------------------------------------------
def test_patch_starts_cover_every_pixel():
    assert patch_starts(16, 16, 4).tolist() == [0]
    assert patch_starts(16, 4, 4).tolist() == [0, 4, 8, 12]
    assert patch_starts(16, 5, 4).tolist() == [0, 4, 8, 11]  # one more square, flush with the far edge
    for side, patch, stride in [(224, 32, 16), (17, 5, 3), (9, 2, 2), (9, 4, 4), (5, 5, 1)]:
        covered = np.zeros(side, bool)
        for s in patch_starts(side, patch, stride):
            covered[s:s + patch] = True
        assert covered.all()


def test_occlusion_average_is_the_mean_over_covering_patches():
    # two 2x2 patches on a 2x3 picture, at x = 0 (drop 1) and x = 1 (drop 3): the middle column sees both
    got = occlusion_average(np.array([[1.0, 3.0]]), np.array([0]), np.array([0, 1]), 2, (2, 3))
    np.testing.assert_array_equal(got, [[1, 2, 3], [1, 2, 3]])
    # overlapping in both directions: (0,0) drop 4, (0,1) drop 0, (1,0) 0, (1,1) 8 on a 3x3 picture
    got = occlusion_average(np.array([[4.0, 0.0], [0.0, 8.0]]), np.array([0, 1]), np.array([0, 1]), 2, (3, 3))
    np.testing.assert_allclose(got, [[4, 2, 0], [2, 3, 4], [0, 4, 8]])


def test_rise_masks_are_smooth_shifted_upsampled_grids():
    rng = np.random.default_rng(0)
    grids = rng.random((200, 4, 4)) < 0.5
    shifts = rng.integers(0, 4, (200, 2))
    m = rise_masks(grids, shifts, (16, 16))
    assert m.shape == (200, 16, 16) and m.dtype == np.float32 and 0 <= m.min() and m.max() <= 1
    assert abs(float(m.mean()) - 0.5) < 0.05                    # about p of every pixel is visible
    np.testing.assert_array_equal(rise_masks(np.ones((1, 4, 4), bool), np.array([[3, 2]]), (16, 16)), 1.0)
    # one open cell, no shift: the mask peaks inside that cell (cells are (s + 1) * 4 / s = 5 px upsampled)
    one = np.zeros((1, 4, 4), bool)
    one[0, 1, 2] = True
    peak = np.unravel_index(rise_masks(one, np.array([[0, 0]]), (16, 16))[0].argmax(), (16, 16))
    assert 5 <= peak[0] < 10 and 10 <= peak[1] < 15
    # a shift is a window of the same upsampled grid, moved: shifted[i, j] = unshifted[i + 1, j + 2]
    still = rise_masks(grids[:3], np.zeros((3, 2), int), (16, 16))
    moved = rise_masks(grids[:3], np.array([[1, 2]] * 3), (16, 16))
    np.testing.assert_array_equal(moved[:, :-1, :-2], still[:, 1:, 2:])
    assert not np.array_equal(moved, still)


def test_rise_saliency_paper_formula_and_mean_when_visible():
    scores = np.array([0.9, 0.1, 0.5])
    masks = np.array([[[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]], [[1.0, 1.0, 0.0]]])
    # the paper: sum_i f_i M_i / (N p) = [(0.9 + 0.5), (0.1 + 0.5), 0] / (3 * 0.5)
    np.testing.assert_allclose(rise_saliency(scores, masks, 0.5), [[1.4 / 1.5, 0.6 / 1.5, 0.0]])
    # ours: the mean score when visible -- (0.9 + 0.5) / 2, (0.1 + 0.5) / 2 -- and, never visible, the mean 0.5
    np.testing.assert_allclose(rise_saliency(scores, masks), [[0.7, 0.3, 0.5]])
    half = np.array([[[0.5]], [[1.0]]])                       # soft masks weigh the scores
    np.testing.assert_allclose(rise_saliency(np.array([0.2, 0.8]), half), [[(0.1 + 0.8) / 1.5]])


def test_rise_grids_are_seeded_and_open_with_probability_p():
    g, s = rise_grids(5000, 7, 0.3, (224, 224), seed=4)
    assert g.shape == (5000, 7, 7) and g.dtype == bool and s.shape == (5000, 2)
    assert abs(g.mean() - 0.3) < 0.01 and s.min() == 0 and s.max() == 31   # shifts below a 32-px cell
    g2, s2 = rise_grids(5000, 7, 0.3, (224, 224), seed=4)
    assert np.array_equal(g, g2) and np.array_equal(s, s2)


def test_fill_colour_default_is_the_imagenet_mean():
    np.testing.assert_allclose(fill_colour(None), [123.68, 116.78, 103.94], rtol=1e-6)
    assert fill_colour(7).tolist() == [7.0] * 3 and fill_colour((1, 2, 3)).tolist() == [1.0, 2.0, 3.0]


# -- on the toy model: the evidence is in the top-left quadrant ------------------------------
def test_occlusion_finds_exactly_the_quadrant(toy):
    # patches of 4 in steps of 4 tile the picture: every square inside the quadrant lowers the mean red by
    # the same amount, every other square changes nothing -- the map is the quadrant's indicator
    heat = occlusion(toy, quadrant_image(), 1, patch=4, stride=4)
    assert heat.shape == (SIDE, SIDE) and heat.dtype == np.float32
    np.testing.assert_allclose(heat, top_left().astype(np.float32), atol=1e-6)


def test_occlusion_overlapping_patches_put_the_mass_on_the_quadrant(toy):
    heat = occlusion(toy, quadrant_image(1), 1, patch=4, stride=2)
    assert heat[top_left()].sum() / heat.sum() > 0.85
    far = np.ones((SIDE, SIDE), bool)
    far[: SIDE // 2 + 3, : SIDE // 2 + 3] = False              # beyond the reach of any square touching it
    assert heat[far].max() == 0.0 and heat.max() == 1.0
    # the top class (class 1 here), a class name and an index give the same map
    np.testing.assert_array_equal(occlusion(toy, quadrant_image(1), None, patch=4, stride=2), heat)
    np.testing.assert_array_equal(occlusion(toy, quadrant_image(1), "class 1", patch=4, stride=2), heat)


def test_occlusion_with_a_fill_that_changes_nothing_gives_zeros(toy):
    heat = occlusion(toy, quadrant_image(), 1, patch=4, stride=4, fill=(255, 0, 0))   # red stays 255
    assert heat.dtype == np.float32 and not heat.any()


def test_occlusion_batch_and_cost(toy, passes):
    batch = np.stack([quadrant_image(2), quadrant_image(3)])
    heat = occlusion(toy, batch, [1, 0], patch=4, stride=4, batch_size=5)
    assert heat.shape == (2, SIDE, SIDE)
    assert sum(passes) == 2 * (1 + 4 * 4) and max(passes) <= 5     # 1 + ny * nx per image, batches of <= 5
    np.testing.assert_array_equal(heat[0], occlusion(toy, batch[0], 1, patch=4, stride=4))


def test_rise_puts_the_mass_on_the_quadrant(toy):
    far = np.ones((SIDE, SIDE), bool)
    far[:12, :12] = False                                       # two 2-px cells or more from the quadrant
    for seed in (0, 3):
        heat = rise(toy, quadrant_image(), 1, masks=400, resolution=8, seed=seed)
        assert heat.shape == (SIDE, SIDE) and heat.dtype == np.float32 and heat.max() == 1.0 and heat.min() >= 0
        assert heat[top_left()].sum() / heat.sum() > 0.7
        assert top_left()[np.unravel_index(heat.argmax(), heat.shape)]
        assert heat[far].mean() < 0.1 < 0.5 < heat[top_left()].mean()


def test_rise_equals_its_formula_over_all_masks_at_once(toy):
    # batched accumulation == rise_saliency over every mask in one go, with scores from a plain Keras call
    image = quadrant_image(4).astype(np.float32)
    grids, shifts = rise_grids(40, 4, 0.5, (SIDE, SIDE), seed=2)
    masks = rise_masks(grids, shifts, (SIDE, SIDE))
    hidden = image * masks[..., None] + MEAN_RGB * (1 - masks[..., None])
    f = keras.ops.convert_to_numpy(keras.ops.softmax(toy(hidden), axis=-1))[:, 1]
    expected = normalize_map(rise_saliency(f, masks) - f.mean())
    got = rise(toy, image, 1, masks=40, resolution=4, seed=2, batch_size=6)
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_rise_is_seeded_and_independent_of_the_batch_size(toy, passes):
    a = rise(toy, quadrant_image(), 1, masks=60, resolution=4, seed=5, batch_size=16)
    assert sum(passes) == 60                                    # one pass per mask when the class is given
    b = rise(toy, quadrant_image(), 1, masks=60, resolution=4, seed=5, batch_size=7)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert not np.allclose(a, rise(toy, quadrant_image(), 1, masks=60, resolution=4, seed=6))
    passes.clear()
    rise(toy, quadrant_image(), None, masks=10, resolution=4)
    assert sum(passes) == 11                                    # + 1 to find the top class


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(patch=0), ValueError, ["patch", "1..16", "0"]),
    (dict(patch=17), ValueError, ["patch", "1..16", "17"]),
    (dict(patch=4.0), TypeError, ["patch", "integer"]),
    (dict(stride="2"), TypeError, ["stride", "'2'"]),
    (dict(stride=5), ValueError, ["stride", "1..4", "5"]),
    (dict(fill="grey"), TypeError, ["fill", "grey level", "'grey'"]),
    (dict(fill=300), ValueError, ["fill", "0..255", "300"]),
    (dict(fill=(1, 2)), TypeError, ["fill", "(r, g, b)"]),
    (dict(batch_size=0), ValueError, ["batch_size", "1..1024"]),
])
def test_occlusion_bad_arguments(toy, kwargs, error, words):
    with pytest.raises(error) as info:
        occlusion(toy, quadrant_image(), 1, **{"patch": 4, "stride": 4, **kwargs})
    assert all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(masks=0), ValueError, ["masks", "1..100000"]),
    (dict(resolution=1), ValueError, ["resolution", "2..16", "1"]),
    (dict(p=0.0), ValueError, ["p", "strictly between 0 and 1"]),
    (dict(p=1), ValueError, ["p", "strictly between 0 and 1"]),
    (dict(p="half"), TypeError, ["p", "'half'"]),
    (dict(seed=-1), ValueError, ["seed", "-1"]),
])
def test_rise_bad_arguments(toy, kwargs, error, words):
    with pytest.raises(error) as info:
        rise(toy, quadrant_image(), 1, **kwargs)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_bad_model_class_and_image(toy):
    with pytest.raises(TypeError, match="load_model"):
        occlusion("efficientnet_lite0", quadrant_image())
    with pytest.raises(IndexError, match="class_index 5 is out of range"):
        rise(toy, quadrant_image(), 5, masks=4)
    with pytest.raises(ValueError, match="no class named 'dog'"):
        occlusion(toy, quadrant_image(), "dog")
    with pytest.raises(TypeError, match="load_image"):
        occlusion(toy, "cat.png")


# -- the real model ---------------------------------------------------------------------------------
def test_occlusion_of_the_tiger_cat_peaks_on_the_cat(model, two_objects):
    # cat_and_coffee at 224 px: the cat fills the left half (Grad-CAM: 87 % of its tiger-cat heat there),
    # the espresso the right. 64-px squares every 32 px: 36 + 1 passes.
    heat = occlusion(model, two_objects, 282, patch=64, stride=32)
    assert heat.shape == (224, 224)
    row, col = np.unravel_index(heat.argmax(), heat.shape)
    assert col < 112, (row, col)
    assert heat[:, 112:].max() < 0.95                         # the peak is not a tie with the espresso side
