"""helpers.metrics: deletion / insertion curves, Average Drop / Increase in Confidence and the model-free
baselines -- against hand-computed values on tiny models whose evidence is known by construction."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
from kit import quadrant_image, quadrant_model

from helpers.cam.engine import engine
from helpers.cam.perturbation import MEAN_RGB
from helpers.metrics import baseline_map, confidence, deletion, insertion
from helpers.metrics.baselines import CENTRE_SIGMA
from helpers.metrics.confidence import average_drop_of, explanation_images, increase_of
from helpers.metrics.curves import curve_images, pixel_ranks, step_counts, substrate, trapezoid_area

SIDE, GAIN = 16, 8.0


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, np.float64)))


def pixel_weights_model(weights=(2.0, 1.0, 0.0, -1.0)) -> keras.Model:
    """A 2 x 2 picture; ``logit_1 - logit_0 = sum_i weights[i] * red_i / 255`` (pixels in raster order),
    so every probability is a sigmoid computed by hand."""
    inp = keras.Input((2, 2, 3))
    red = keras.layers.Conv2D(1, 1, use_bias=False, name="red")(inp)
    out = keras.layers.Dense(2, name="logits")(keras.layers.Flatten()(red))
    model = keras.Model(inp, out, name="pixel_weights")
    model.get_layer("red").set_weights([np.array([1 / 255, 0, 0], np.float32).reshape(1, 1, 3, 1)])
    kernel = np.stack([np.zeros(4), np.asarray(weights)], axis=1).astype(np.float32)
    model.get_layer("logits").set_weights([kernel, np.zeros(2, np.float32)])
    return model


def truth() -> np.ndarray:
    m = np.zeros((SIDE, SIDE), np.float32)
    m[: SIDE // 2, : SIDE // 2] = 1.0
    return m


@pytest.fixture(scope="module")
def toy():
    return quadrant_model()


@pytest.fixture(scope="module")
def tiny():
    return pixel_weights_model()


RED_255 = np.dstack([np.full((2, 2), 255), np.full((2, 2), 40), np.full((2, 2), 90)]).astype(np.uint8)
HEAT = np.array([[0.1, 0.9], [0.5, 0.3]])    # order: (0, 1) w=1, (1, 0) w=0, (1, 1) w=-1, (0, 0) w=2


# -- the arithmetic ------------------------------------------------------------------------------
def test_pixel_ranks_most_salient_first_ties_in_raster_order():
    np.testing.assert_array_equal(pixel_ranks(HEAT), [[3, 0], [1, 2]])
    np.testing.assert_array_equal(pixel_ranks(np.zeros((2, 3))), [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(pixel_ranks(np.array([[1.0, 2.0, 2.0], [-1.0, 2.0, 1.0]])), [[3, 0, 1], [5, 2, 4]])


def test_step_counts_and_curve_images():
    assert step_counts(4, 4).tolist() == [0, 1, 2, 3, 4]
    assert step_counts(7, 3).tolist() == [0, 2, 4, 7]
    before, after = np.full((1, 3, 3), 1.0), np.full((1, 3, 3), 9.0)
    imgs = curve_images(before, after, np.array([[2, 0, 1]]), [0, 1, 3])
    assert imgs.shape == (3, 1, 3, 3) and imgs.dtype == np.float32
    assert imgs[..., 0].tolist() == [[[1, 1, 1]], [[1, 9, 1]], [[9, 9, 9]]]


def test_trapezoid_area_by_hand():
    assert trapezoid_area([0, 1], [1, 1]) == 1.0
    assert trapezoid_area([0, 0.25, 0.5, 0.75, 1], [1, 0, 0, 0, 0]) == pytest.approx(0.125)
    assert trapezoid_area([0, 0.5, 1], [0, 1, 0]) == pytest.approx(0.5)


def test_substrates():
    x = np.random.default_rng(0).uniform(0, 255, (SIDE, SIDE, 3)).astype(np.float32)
    np.testing.assert_array_equal(substrate(x, "Mean"), np.broadcast_to(MEAN_RGB, x.shape))
    assert not substrate(x, "black").any() and substrate(x, 7).max() == 7
    # the blur, independently: a separable 11-tap Gaussian (sigma 5) with mirrored (reflect-101) borders
    k = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 5.0 ** 2))
    k /= k.sum()
    pad = np.pad(x.astype(np.float64), ((5, 5), (5, 5), (0, 0)), mode="reflect")
    rows = sum(k[i] * pad[i:i + SIDE] for i in range(11))
    expected = sum(k[j] * rows[:, j:j + SIDE] for j in range(11))
    np.testing.assert_allclose(substrate(x, "blur"), expected, atol=1e-3)


# -- hand-computed curves on a 2 x 2 picture ---------------------------------------------------
def test_deletion_by_hand(tiny):
    curve = deletion(tiny, RED_255, HEAT, steps=4, baseline="black")
    # red removed in the map's order: logit differences 2, 1, 1, 2, 0
    expected = sigmoid([2, 1, 1, 2, 0])
    np.testing.assert_allclose(curve.fractions, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(curve.scores, expected, atol=1e-6)
    assert curve.class_index == 1 and curve.kind == "deletion"
    by_hand = (sigmoid(2) / 2 + sigmoid(1) + sigmoid(1) + sigmoid(2) + sigmoid(0) / 2) / 4   # 0.75833
    assert curve.auc == pytest.approx(by_hand, abs=1e-6) and by_hand == pytest.approx(0.758328, abs=1e-6)


def test_deletion_to_the_mean_colour_by_hand(tiny):
    r = MEAN_RGB[0] / 255                                       # a deleted pixel's red
    w = np.array([2.0, 1.0, 0.0, -1.0])
    kept = [[1, 1, 1, 1], [1, 0, 1, 1], [1, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]]
    d = [float((w * np.where(np.array(k) == 1, 1.0, r)).sum()) for k in kept]
    curve = deletion(tiny, RED_255, HEAT, 1, steps=4)           # baseline "mean" by default
    np.testing.assert_allclose(curve.scores, sigmoid(d), atol=1e-6)


def test_insertion_by_hand(tiny):
    curve = insertion(tiny, RED_255, HEAT, "class 1", steps=4, baseline="black")
    # red put back in the map's order: logit differences 0, 1, 1, 0, 2
    np.testing.assert_allclose(curve.scores, sigmoid([0, 1, 1, 0, 2]), atol=1e-6)
    by_hand = (sigmoid(0) / 2 + sigmoid(1) + sigmoid(1) + sigmoid(0) + sigmoid(2) / 2) / 4
    assert curve.auc == pytest.approx(by_hand, abs=1e-6)
    # fewer steps: 0, half, all of the pixels
    np.testing.assert_allclose(insertion(tiny, RED_255, HEAT, steps=2, baseline="black").scores,
                               sigmoid([0, 1, 2]), atol=1e-6)


def test_a_flat_map_deletes_in_raster_order(tiny):
    curve = deletion(tiny, RED_255, np.zeros((2, 2)), steps=4, baseline="black")
    np.testing.assert_allclose(curve.scores, sigmoid([2, 0, -1, -1, 0]), atol=1e-6)


def test_curve_result_is_frozen_and_read_only(tiny):
    curve = deletion(tiny, RED_255, HEAT, steps=4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        curve.auc = 0.0
    with pytest.raises(ValueError):
        curve.scores[0] = 0.0
    assert "deletion" in repr(curve) and "auc=" in repr(curve)


# -- the map that is right wins, the map that points elsewhere loses ---------------------------
def test_true_map_has_the_best_areas_and_the_elsewhere_map_the_worst(toy):
    image = quadrant_image(3)
    maps = {"truth": truth(), "elsewhere": 1.0 - truth(), "random": baseline_map("random", image, seed=1),
            "sobel": baseline_map("sobel", image), "centre": baseline_map("centre", image)}
    dele = {k: deletion(toy, image, m, 1, steps=16).auc for k, m in maps.items()}
    ins = {k: insertion(toy, image, m, 1, steps=16).auc for k, m in maps.items()}
    assert min(dele, key=dele.get) == "truth" and max(dele, key=dele.get) == "elsewhere", dele
    assert max(ins, key=ins.get) == "truth" and min(ins, key=ins.get) == "elsewhere", ins
    # with the quadrant deleted first, the probability is at its floor once a quarter is gone
    curve = deletion(toy, image, truth(), 1, steps=16)
    floor = sigmoid(GAIN * (MEAN_RGB[0] / 255 - 0.5))
    np.testing.assert_allclose(curve.scores[4:], floor, atol=1e-5)


def test_cost_is_steps_plus_one_passes(toy, monkeypatch):
    eng = engine(toy)
    seen, real = [], eng.forward
    monkeypatch.setattr(eng, "forward", lambda x: seen.append(int(x.shape[0])) or real(x))
    deletion(toy, quadrant_image(), truth(), steps=32, batch_size=10)
    assert sum(seen) == 33 and seen == [9, 9, 9, 6]              # equal batches; no extra pass for the top class
    seen.clear()
    insertion(toy, quadrant_image(), truth(), 0, steps=8)
    assert sum(seen) == 9


def test_heatmaps_at_other_sizes(toy):
    image = quadrant_image()
    small = truth()[::4, ::4]                                    # 4 x 4 (a layer's resolution), resized
    assert deletion(toy, image, small, 1, steps=8).auc < deletion(toy, image, 1 - small, 1, steps=8).auc
    big = np.kron(truth(), np.ones((2, 2)))                      # the map of a 32 x 32 picture
    wide = np.kron(image, np.ones((2, 2, 1), np.uint8))
    assert deletion(toy, wide, big, 1, steps=8).auc == pytest.approx(deletion(toy, image, truth(), 1, steps=8).auc,
                                                                      abs=0.02)


@pytest.mark.parametrize("call, error, words", [
    (lambda m: deletion(m, quadrant_image(), truth(), steps=0), ValueError, ["steps", "1..256", "0"]),
    (lambda m: deletion(m, quadrant_image(), truth(), steps=257), ValueError, ["steps", "1..256", "257"]),
    (lambda m: deletion(m, quadrant_image(), truth(), steps=2.5), TypeError, ["steps", "integer"]),
    (lambda m: deletion(m, quadrant_image(), truth(), baseline="grey"), ValueError,
     ["baseline", "'grey'", "'mean'", "'black'", "'blur'"]),
    (lambda m: insertion(m, quadrant_image(), truth(), baseline=(1, 2)), TypeError, ["baseline", "(r, g, b)"]),
    (lambda m: deletion(m, quadrant_image(), np.full((SIDE, SIDE), np.nan)), ValueError, ["heatmap", "NaN"]),
    (lambda m: deletion(m, quadrant_image(), np.zeros((SIDE, SIDE, 3))), ValueError, ["heatmap", "2-D", "(16, 16, 3)"]),
    (lambda m: deletion(m, quadrant_image(), "truth"), TypeError, ["heatmap", "of numbers", "<U5"]),
    (lambda m: deletion(m, quadrant_image()[:, :8], np.zeros((8, 16))), ValueError, ["(8, 16)", "16 x 8"]),
    (lambda m: insertion(m, np.stack([quadrant_image()] * 2), truth()), ValueError, ["one image", "batch of 2"]),
    (lambda m: deletion(m, quadrant_image(), truth(), 2), IndexError, ["class_index 2", "2 classes"]),
    (lambda m: deletion(m, quadrant_image(), truth(), batch_size=0), ValueError, ["batch_size", "1..1024"]),
])
def test_curve_bad_arguments(toy, call, error, words):
    with pytest.raises(error) as info:
        call(toy)
    assert all(w in str(info.value) for w in words), str(info.value)


# -- Average Drop and Increase in Confidence -----------------------------------------------------
def test_confidence_maths_by_hand():
    assert average_drop_of([0.5, 0.8], [0.25, 0.9]) == pytest.approx(0.25)
    assert average_drop_of([0.4], [0.1]) == pytest.approx(0.75)
    assert average_drop_of([0.0, 0.5], [0.2, 0.5]) == 0.0        # Y = 0 adds nothing (no division by zero)
    assert increase_of([0.5, 0.8, 0.3], [0.25, 0.9, 0.3]) == pytest.approx(1 / 3)   # a tie is no increase
    x = np.full((1, 1, 2, 3), 100.0)
    np.testing.assert_allclose(explanation_images(x, np.array([[[0.5, 0.0]]]), np.array([200.0, 0, 0]))[0, 0],
                               [[150, 50, 50], [200, 0, 0]])


def test_confidence_on_the_toy_model(toy):
    image = quadrant_image()
    batch = np.stack([image, image])
    result = confidence(toy, batch, np.stack([truth(), 1 - truth()]), 1)
    y, o = sigmoid(GAIN / 2), sigmoid(-GAIN / 2)                # quadrant red 255 -> m = 1; blackened -> m = 0
    np.testing.assert_allclose(result.original, [y, y], atol=1e-6)
    np.testing.assert_allclose(result.explained, [y, o], atol=1e-6)   # the true map keeps all the evidence
    assert result.average_drop == pytest.approx((0 + (y - o) / y) / 2, abs=1e-6)
    assert result.increase == 0.0 and result.class_indices.tolist() == [1, 1]
    # dimming towards red can only raise a quadrant whose red is 100: an increase, no drop
    dim = quadrant_image(red=100)
    up = confidence(toy, dim, np.zeros((SIDE, SIDE)), 1, fill=(255, 0, 0))
    assert up.increase == 1.0 and up.average_drop == 0.0
    # fill=None: towards the ImageNet mean colour
    mean = confidence(toy, image, 1 - truth(), 1, fill=None)
    assert mean.explained[0] == pytest.approx(sigmoid(GAIN * (MEAN_RGB[0] / 255 - 0.5)), abs=1e-5)


def test_confidence_top_class_per_image_and_errors(toy):
    low = quadrant_image(red=0)                                  # class 0 on top
    result = confidence(toy, np.stack([quadrant_image(), low]), np.ones((2, SIDE, SIDE)))
    assert result.class_indices.tolist() == [1, 0] and result.average_drop == 0.0
    with pytest.raises(ValueError, match=r"heatmap must hold values in 0..1, got 0..2"):
        confidence(toy, quadrant_image(), 2 * truth())
    with pytest.raises(ValueError, match="got 1 heatmaps for 2 images"):
        confidence(toy, np.stack([low, low]), truth()[None])
    with pytest.raises(TypeError, match="fill"):
        confidence(toy, low, truth(), fill="white")


# -- baselines -----------------------------------------------------------------------------------
def test_baseline_maps_shape_range_and_determinism():
    image = quadrant_image()
    for kind in ("random", "sobel", "centre", "CENTRE", "Center", " Sobel "):
        m = baseline_map(kind, image)
        assert m.shape == (SIDE, SIDE) and m.dtype == np.float32 and m.min() >= 0 and m.max() == 1.0
    np.testing.assert_array_equal(baseline_map("random", image, seed=4), baseline_map("random", image, seed=4))
    assert not np.array_equal(baseline_map("random", image, seed=4), baseline_map("random", image, seed=5))
    assert baseline_map("random", np.zeros((5, 7, 3), np.uint8)).shape == (5, 7)


def test_sobel_map_equals_numpy():
    image = np.random.default_rng(2).integers(0, 256, (9, 12, 3)).astype(np.uint8)
    grey = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    pad = np.pad(grey, 1, mode="reflect")                        # OpenCV's default border: reflect-101
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    gx = sum(kx[i, j] * pad[i:i + 9, j:j + 12] for i in range(3) for j in range(3))
    gy = sum(kx.T[i, j] * pad[i:i + 9, j:j + 12] for i in range(3) for j in range(3))
    magnitude = np.hypot(gx, gy)
    np.testing.assert_allclose(baseline_map("sobel", image), magnitude / magnitude.max(), atol=1e-5)
    assert not baseline_map("sobel", np.full((4, 4, 3), 9, np.uint8)).any()   # a flat picture: no edges


def test_centre_map_peaks_at_the_centre():
    m = baseline_map("centre", np.zeros((21, 41, 3), np.uint8))
    assert np.unravel_index(m.argmax(), m.shape) == (10, 20) and m[10, 20] == 1.0
    np.testing.assert_allclose(m, m[::-1, ::-1], atol=1e-7)      # symmetric
    # at an edge's midpoint: exp(-(d / sigma)^2 / 2), d = 20 px, sigma = CENTRE_SIGMA * 41 px
    assert m[10, 0] == pytest.approx(np.exp(-0.5 * (20 / (CENTRE_SIGMA * 41)) ** 2), rel=1e-5)
    even = baseline_map("centre", np.zeros((4, 4, 3), np.uint8))
    assert (even[1:3, 1:3] == 1.0).all() and even[0, 0] < 1.0   # even sides: the four central pixels


def test_baseline_map_errors():
    image = quadrant_image()
    with pytest.raises(ValueError) as info:
        baseline_map("edges", image)
    assert all(w in str(info.value) for w in ("'edges'", "'random'", "'sobel'", "'centre'"))
    with pytest.raises(TypeError, match="baseline kind 3; choose one of"):
        baseline_map(3, image)
    with pytest.raises(ValueError, match="seed must be in 0..inf, got -1"):
        baseline_map("random", image, seed=-1)
    with pytest.raises(ValueError, match="one image"):
        baseline_map("centre", np.stack([image, image]))
    with pytest.raises(TypeError, match="load_image"):
        baseline_map("sobel", "cat.png")
