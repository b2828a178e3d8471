"""Tests for helpers.cam (the CAM template, its methods, input-gradient maps, the sanity check)
and the Grad-CAM explorer. Each method is checked against an independent computation."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers import cam
from helpers.cam import base
from helpers.models import register_model

TIGER_CAT, ESPRESSO = 282, 967
NAMES = ["gradcam", "gradcam++", "layercam", "scorecam", "eigencam"]


@pytest.fixture()
def model(default_model):  # the session's EfficientNet-Lite0 (conftest.py)
    return default_model


@pytest.fixture(scope="module")
def two_objects():
    return helpers.load_image("cat_and_coffee", size=224)


def _small_cam_model(seed=0, *, units=5, name="small", sigmoid=False, positive=False):
    """Conv -> GlobalAveragePooling -> Dense (no activation): Grad-CAM must equal classic CAM.
    ``positive``: Dense weights > 0, so every gradient is positive and constant over space."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((20, 20, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(1 if sigmoid else units, name="dense")(x)
    m = keras.Model(inputs, out, name=name)
    if positive:
        k, b = m.get_layer("dense").get_weights()
        m.get_layer("dense").set_weights([np.abs(k) + 0.01, b])
    return m


def _classic_cam(fmaps, dense_kernel, sign=1.0):
    """Classic CAM (Zhou et al., 2016): ReLU(sum_k w_k A_k) with the Dense weights, then ÷ max."""
    c = np.maximum(np.tensordot(fmaps, sign * dense_kernel, axes=([-1], [0])), 0)
    return c / c.max() if c.max() > 0 else c


def _conv_maps(m, image, layer="conv"):
    return np.asarray(keras.Model(m.input, m.get_layer(layer).output)(image[None].astype("float32")))[0]


def _random_image(seed, size=20):
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3)).astype(np.uint8)


def _tape_grads(m, layer, image, c):
    """Independent gradient of logit c w.r.t. a layer's output (eager GradientTape)."""
    sub = keras.Model(m.input, [m.get_layer(layer).output, m.output])
    with tf.GradientTape() as tape:
        a, z = sub(tf.constant(image[None].astype("float32")))
        score = z[:, c]
    return tape.gradient(score, a).numpy()[0]


# --- pure maths on hand-computed arrays -------------------------------------------------------

def test_gradcam_weights_average_space_per_image_never_batch():
    g = np.zeros((2, 2, 2, 1))
    g[0, :, :, 0] = [[1, 2], [3, 6]]
    g[1, :, :, 0] = [[0, 0], [0, 4]]
    np.testing.assert_allclose(cam.gradcam_weights(g), [[3.0], [1.0]])


def test_weighted_cam_relu_broadcast_centred_and_normalize():
    a = np.array([[[1.0, 2.0], [3.0, -4.0]], [[0.0, 1.0], [2.0, 2.0]]])  # (2, 2, 2)
    raw = cam.weighted_cam(a, np.array([2.0, 1.0]))
    np.testing.assert_allclose(raw, [[4.0, 2.0], [1.0, 6.0]])
    np.testing.assert_allclose(cam.normalize_map(raw), [[4 / 6, 2 / 6], [1 / 6, 1.0]])
    np.testing.assert_allclose(cam.weighted_cam(a, np.array([-1.0, 0.0])), np.zeros((2, 2)))  # ReLU
    np.testing.assert_allclose(cam.weighted_cam(a, np.array([-1.0, 0.0]), relu=False), [[-1, -3], [0, -2]])
    per_location = np.zeros_like(a)
    per_location[0, 0] = [1.0, 1.0]
    per_location[1, 1] = [0.0, 0.5]  # (h, w, c) weights: element-wise
    np.testing.assert_allclose(cam.weighted_cam(a, per_location), [[3.0, 0.0], [0.0, 1.0]])
    # centred: the map minus its mean (4 + 2 + 1 + 6) / 4 = 3.25, then ReLU
    np.testing.assert_allclose(cam.weighted_cam(a, np.array([2.0, 1.0]), centred=True), [[0.75, 0], [0, 2.75]])


def test_normalize_zero_map_gives_zeros_not_nan():
    for m in (np.zeros((7, 7)), np.full((7, 7), 1e-12), np.full((3, 3), np.nan)):
        out = cam.normalize_map(m)
        assert not np.isnan(out).any() and (out == 0).all()
    up = cam.upsample(np.zeros((7, 7)), (224, 224))
    assert up.shape == (224, 224) and up.dtype == np.float32 and (up == 0).all()


def test_gradcam_plus_plus_alphas_hand_computed():
    a = np.array([[[1.0], [3.0]]])          # sum over the map: 4
    g = np.array([[[2.0], [-1.0]]])
    # alpha = g^2 / (2 g^2 + 4 g^3): 4 / (8 + 32) = 0.1 ; 1 / (2 - 4) = -0.5
    np.testing.assert_allclose(cam.gradcam_plus_plus_alphas(a, g), [[[0.1], [-0.5]]])
    # weight = sum(alpha * relu(g)) = 0.1 * 2 + (-0.5) * 0
    np.testing.assert_allclose(cam.gradcam_plus_plus_weights(a, g), [0.2])
    assert cam.gradcam_plus_plus_alphas(a, np.zeros_like(g)).sum() == 0  # no 0/0


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
    assert np.abs(got - cam.normalize_map(np.maximum(-pc1, 0))).max() > 0.5  # the sign matters
    assert not cam.principal_direction(np.ones((3, 3, 4))).any()  # no variation: zeros, not NaN


def test_pixel_map_and_rankdata_and_spearman_match_scipy():
    np.testing.assert_allclose(cam.pixel_map(np.array([[[1.0, -3.0, 0.0], [0.5, 0.5, -2.0]]])), [[1.0, 2 / 3]])
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    a = rng.integers(0, 5, 200).astype(float)  # many ties
    b = a + rng.normal(0, 2, 200)
    np.testing.assert_allclose(cam.rankdata(a), stats.rankdata(a))
    assert cam.spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert cam.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert cam.spearman(np.zeros(9), b[:9]) == 0.0
    with pytest.raises(ValueError):
        cam.spearman([1, 2], [1, 2, 3])


# --- the context: computed once, remembered per class ------------------------------------------

class _Counting:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def test_context_computes_maps_once_and_memoises_gradients_per_class():
    m = _small_cam_model(9)
    image = _random_image(4)
    eng = cam.Engine(m, "conv")  # a private engine, so its functions can be counted
    full, forward, masked = _Counting(eng.grads), _Counting(eng.forward), _Counting(eng.masked_probs)
    head = _Counting(eng.head_grads)
    eng.grads, eng.forward, eng.masked_probs, eng._head = full, forward, masked, head
    ctx = cam.Context(eng, image.astype(np.float32))
    assert (full.calls, forward.calls) == (0, 0)  # lazy: nothing before it is asked for
    g1 = ctx.grads(1)
    np.testing.assert_allclose(g1, _tape_grads(m, "conv", image, 1), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ctx.fmaps, _conv_maps(m, image), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ctx.scores, np.asarray(m(image[None].astype("float32")))[0], rtol=1e-5, atol=1e-6)
    assert ctx.grads(1) is g1 and (full.calls, forward.calls, head.calls) == (1, 0, 0)  # one pass gave all three
    g3 = ctx.grads(3)  # another class: from the cached maps through the head only
    np.testing.assert_allclose(g3, _tape_grads(m, "conv", image, 3), rtol=1e-5, atol=1e-8)
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
    m = _small_cam_model(15)
    ctx = cam.Context(cam.Engine(m, "conv"), _random_image(2).astype(np.float32))
    cam.heatmap(ctx, 1, method)
    uses_gradients = cam.get_method(method).uses_gradients
    assert ctx.counts["forward"] == 1 and ctx.counts["gradients"] == int(uses_gradients)
    assert ctx.counts["masked"] == int(method == "scorecam")


def test_context_top_class_and_forward_only_path():
    m = _small_cam_model(10)
    image = _random_image(6)
    ctx = cam.Context(cam.Engine(m, "conv"), image.astype(np.float32))
    top = int(np.argmax(m(image[None].astype("float32"))))
    _ = ctx.fmaps  # gradient-free methods: a forward pass only
    assert ctx.counts == {"forward": 1} and ctx.top_class == top
    np.testing.assert_allclose(ctx.grads(None), _tape_grads(m, "conv", image, top), rtol=1e-5, atol=1e-8)
    fresh = cam.Context(cam.Engine(m, "conv"), image.astype(np.float32))
    fresh.grads(None)  # the top class in the same single pass
    assert fresh.counts == {"forward": 1, "gradients": 1} and fresh.top_class == top
    with pytest.raises(ValueError, match="arrays"):
        cam.Context.from_arrays(np.ones((2, 2, 1))).grads(0)


# --- each method against an independent computation -------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradcam_equals_classic_cam_on_conv_gap_dense(seed):
    m = _small_cam_model(seed)
    image = _random_image(seed)
    fmaps = _conv_maps(m, image)
    kernel = m.get_layer("dense").get_weights()[0]
    assert cam.default_layer(m) == "conv"
    for c in range(5):
        expected = _classic_cam(fmaps, kernel[:, c])
        got = helpers.gradcam(m, image, c)
        assert got.dtype == np.float32 and got.shape == (20, 20)
        assert np.abs(got - cam.upsample(expected, (20, 20))).max() <= 1e-5
        # at the feature map's own resolution too, before any upsampling
        fm, gr, _, _ = cam.engine(m).grads(tf.constant(image[None].astype("float32")), tf.constant([c]))
        np.testing.assert_allclose(cam.cam_from_gradients(fm.numpy()[0], gr.numpy()[0]), expected, atol=1e-5)


def test_layercam_equals_gradcam_where_gradients_are_positive_and_constant():
    m = _small_cam_model(11, positive=True)  # d logit / dA_ijk = w_kc / (h w) > 0 everywhere
    image = _random_image(8)
    for c in range(5):
        g = _tape_grads(m, "conv", image, c)
        assert (g > 0).all() and np.allclose(g, g[:1, :1])  # the premise, checked
        np.testing.assert_allclose(helpers.gradcam(m, image, c, method="layercam"), helpers.gradcam(m, image, c),
                                   atol=1e-6)
    mixed = _small_cam_model(11)  # negative weights: LayerCAM drops them, Grad-CAM does not
    diffs = [np.abs(helpers.gradcam(mixed, image, c, method="layercam") - helpers.gradcam(mixed, image, c)).max()
             for c in range(5)]
    assert max(diffs) > 0.1


def test_gradcam_at_top_activation_is_classic_cam_summing_to_logit_minus_bias(model, two_objects):
    ctx = cam.context(model, two_objects, "top_activation")
    _, bias = model.get_layer("predictions").get_weights()
    for c in (TIGER_CAT, ESPRESSO):
        raw = cam.weighted_cam(ctx.fmaps, cam.gradcam_weights(ctx.grads(c)), relu=False)  # before ReLU
        assert raw.sum() == pytest.approx(float(ctx.scores[c] - bias[c]), rel=1e-4)
    logits = helpers.logits(model, two_objects)
    np.testing.assert_allclose(ctx.scores, logits, rtol=1e-4, atol=1e-4)


def test_eigencam_on_the_real_model_matches_numpy_svd(model, two_objects):
    heat = helpers.gradcam(model, two_objects, TIGER_CAT, method="eigencam")
    fmaps = cam.context(model, two_objects).fmaps.astype(np.float64)
    x = fmaps.reshape(-1, fmaps.shape[-1])
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    proj = (x @ vt[0]).reshape(fmaps.shape[:2])
    proj = proj if (proj.ravel() @ x.sum(axis=1)) > 0 else -proj
    np.testing.assert_allclose(heat, cam.upsample(cam.normalize_map(np.maximum(proj, 0)), (224, 224)), atol=1e-4)
    np.testing.assert_array_equal(heat, helpers.gradcam(model, two_objects, ESPRESSO, method="eigencam"))  # no class


def test_nested_backbone_sequential_model_equals_classic_cam():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((20, 20, 3))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="b_conv1")(inputs)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="b_conv2")(x)
    backbone = keras.Model(inputs, x, name="backbone")
    m = keras.Sequential([keras.Input((20, 20, 3)), backbone, keras.layers.GlobalAveragePooling2D(),
                          keras.layers.Dense(4, name="head")])
    assert cam.default_layer(m) == "b_conv2"
    image = _random_image(5)
    fmaps = np.asarray(backbone(image[None].astype("float32")))[0]
    kernel = m.get_layer("head").get_weights()[0]
    for c in range(4):
        expected = cam.upsample(_classic_cam(fmaps, kernel[:, c]), (20, 20))
        assert np.abs(helpers.gradcam(m, image, c) - expected).max() <= 1e-5
    assert helpers.gradcam(m, image, 0, layer="b_conv1").shape == (20, 20)  # a layer inside the backbone


def test_single_sigmoid_head_uses_plus_minus_logit():
    m = _small_cam_model(4, sigmoid=True, name="binary")
    register_model(m, "binary", ["dog", "cat"])
    image = _random_image(7)
    fmaps = _conv_maps(m, image)
    w = m.get_layer("dense").get_weights()[0][:, 0]
    for c, sign in ((1, 1.0), (0, -1.0)):
        expected = cam.upsample(_classic_cam(fmaps, w, sign), (20, 20))
        assert np.abs(helpers.gradcam(m, image, c) - expected).max() <= 1e-5
    with pytest.raises(IndexError):
        helpers.gradcam(m, image, 2)


def test_zero_gradients_give_zeros_not_nan():
    m = _small_cam_model(5)
    m.get_layer("dense").set_weights([np.zeros((8, 5), "float32"), np.zeros(5, "float32")])
    for method in ("gradcam", "gradcam++", "layercam"):
        heat = helpers.gradcam(m, _random_image(1), 2, method=method)
        assert not np.isnan(heat).any() and (heat == 0).all()
    assert (helpers.gradcam(m, _random_image(1), 2, counterfactual=True) == 0).all()


def test_batch_maps_equal_single_maps_no_mixing():
    m = _small_cam_model(6)
    images = np.stack([_random_image(10), _random_image(11)])
    for method in ("gradcam", "scorecam"):
        batch = helpers.gradcam(m, images, [1, 3], method=method)
        assert batch.shape == (2, 20, 20)
        np.testing.assert_allclose(batch[0], helpers.gradcam(m, images[0], 1, method=method), atol=1e-6)
        np.testing.assert_allclose(batch[1], helpers.gradcam(m, images[1], 3, method=method), atol=1e-6)


def test_a_new_method_is_one_class(monkeypatch):
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))  # forgotten after the test
    monkeypatch.setattr(base, "_ALIASES", dict(base._ALIASES))

    class MeanActivation(cam.CAMMethod):
        name, label, uses_gradients = "meanact", "Mean activation", False

        def weights(self, ctx, class_index):
            return np.ones(ctx.fmaps.shape[-1])

    m = _small_cam_model(12)
    image = _random_image(9)
    expected = cam.upsample(cam.normalize_map(_conv_maps(m, image).sum(-1)), (20, 20))
    np.testing.assert_allclose(helpers.gradcam(m, image, 0, method="Mean-Activation"), expected, atol=1e-6)
    assert "meanact" in [k.name for k in cam.available_methods()]


# --- input-gradient maps ---------------------------------------------------------------------

def test_guided_backprop_drops_negative_gradients():
    """Conv(relu) -> GAP -> Dense: guided backprop = plain gradient with the negative Dense
    weights set to zero (their gradients are the negative ones the guided ReLU blocks)."""
    m = _small_cam_model(8)
    image = _random_image(2)
    clipped = keras.models.clone_model(m)
    clipped.set_weights(m.get_weights())
    k, b = clipped.get_layer("dense").get_weights()
    clipped.get_layer("dense").set_weights([np.maximum(k, 0), b])
    guided = cam.input_gradients(m, image, 1, guided=True)
    plain = cam.input_gradients(m, image, 1)
    np.testing.assert_allclose(guided, cam.input_gradients(clipped, image, 1), rtol=1e-4, atol=1e-7)
    assert np.abs(guided - plain).max() > 1e-4  # it really differs from the plain gradient
    x = tf.constant(image[None].astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = m(x)[0, 1]
    np.testing.assert_allclose(plain, tape.gradient(score, x).numpy()[0], rtol=1e-4, atol=1e-7)


def test_smoothgrad_without_noise_is_saliency_and_noise_changes_it():
    m = _small_cam_model(13)
    image = _random_image(3)
    plain = helpers.gradient_saliency(m, image, 2)
    np.testing.assert_allclose(helpers.smoothgrad(m, image, 2, noise=0.0, samples=4), plain, atol=1e-6)
    noisy = helpers.smoothgrad(m, image, 2, noise=0.2, samples=8)
    assert np.abs(noisy - plain).max() > 0.05
    np.testing.assert_array_equal(noisy, helpers.smoothgrad(m, image, 2, noise=0.2, samples=8))  # seeded


def test_integrated_gradients_add_up_to_the_score_difference(model):
    m = _small_cam_model(14)
    image = _random_image(5)
    attr = cam.attributions(m, image, 3, steps=64)
    z = np.asarray(m(np.stack([image, np.zeros_like(image)]).astype("float32")))[:, 3]
    assert attr.sum() == pytest.approx(z[0] - z[1], rel=0.01)
    grey = cam.attributions(m, image, 3, baseline=128, steps=64)
    z_grey = float(np.asarray(m(np.full((1, 20, 20, 3), 128, "float32")))[0, 3])
    assert grey.sum() == pytest.approx(z[0] - z_grey, rel=0.01)
    heat = helpers.integrated_gradients(m, image, 3, steps=64)
    np.testing.assert_allclose(heat, cam.normalize_map(np.abs(attr).sum(-1)), atol=1e-6)


# --- the real model: contract of every method --------------------------------------------------

def test_registry_lists_every_method_in_menu_order():
    assert [k.name for k in cam.available_methods()] == NAMES
    assert cam.get_method("Grad-CAM++") is cam.get_method("gradcampp") is cam.get_method("gradcam_plus_plus")


@pytest.mark.parametrize("method", NAMES)
def test_every_method_keeps_the_contract(model, two_objects, method):
    heat = helpers.gradcam(model, two_objects, TIGER_CAT, method=method)
    assert heat.shape == (224, 224) and heat.dtype == np.float32 and not np.isnan(heat).any()
    assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    big = helpers.load_image("cat_and_coffee")  # 448 x 448: the map comes at the picture's size
    assert helpers.gradcam(model, big, None, method=method).shape == big.shape[:2]


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "layercam", "scorecam"])
def test_class_discrimination_on_two_object_image(model, two_objects, method):
    top5 = [i for i, _, _ in helpers.predict(model, two_objects, top=5)]
    assert TIGER_CAT in top5 and ESPRESSO in top5
    cat_map = helpers.gradcam(model, two_objects, TIGER_CAT, method=method)
    cup_map = helpers.gradcam(model, two_objects, ESPRESSO, method=method)
    assert cat_map[:, :112].sum() > 0.55 * cat_map.sum()   # the cat: left half
    assert cup_map[:, 112:].sum() > 0.55 * cup_map.sum()   # the cup: right half
    assert cam.spearman(cat_map, cup_map) < 0.5 and np.abs(cat_map - cup_map).max() > 0.5


def test_helpers_equals_textbook_formula_on_real_model(model, two_objects):
    layer = model.get_layer("top_activation")
    grad_model = keras.Model(model.inputs, [layer.output, model.output])
    x = tf.constant(two_objects[None].astype("float32"))
    for c in (TIGER_CAT, ESPRESSO):
        with tf.GradientTape() as tape:
            conv, preds = grad_model(x)
            score = preds[:, c]
        grads = tape.gradient(score, conv)
        pooled = tf.reduce_mean(grads, axis=(0, 1, 2))
        heat = tf.maximum(tf.squeeze(conv[0] @ pooled[..., tf.newaxis]), 0)
        heat = (heat / tf.reduce_max(heat)).numpy()
        np.testing.assert_allclose(cam.heatmap(cam.context(model, two_objects), c), heat, atol=1e-4)
        assert np.abs(helpers.gradcam(model, two_objects, c) - cam.upsample(heat, (224, 224))).max() <= 1e-3


def test_counterfactual_points_at_the_other_object(model, two_objects):
    heat = helpers.gradcam(model, two_objects, TIGER_CAT, counterfactual=True)
    assert heat.max() == pytest.approx(1.0)
    assert heat[:, 112:].sum() > 0.7 * heat.sum()  # the espresso argues against "tiger cat"
    for method in ("scorecam", "eigencam"):
        with pytest.raises(ValueError, match="gradient"):
            helpers.gradcam(model, two_objects, TIGER_CAT, method=method, counterfactual=True)


def test_top_class_default_and_image_size_and_no_mutation(model, two_objects):
    big = helpers.load_image("cat_and_coffee")  # 448 x 448
    before = big.copy()
    assert helpers.gradcam(model, big).shape == big.shape[:2]
    np.testing.assert_array_equal(big, before)
    top = helpers.predict(model, two_objects, top=1)[0][0]
    np.testing.assert_allclose(helpers.gradcam(model, two_objects), helpers.gradcam(model, two_objects, top))
    as_float = two_objects.astype(np.float32)
    float_before = as_float.copy()
    helpers.gradcam(model, as_float, ESPRESSO, method="gradcam++")
    np.testing.assert_array_equal(as_float, float_before)
    wide = cv2.resize(two_objects, (300, 150))  # not square: heatmap at the picture's size
    assert helpers.gradcam(model, wide, TIGER_CAT).shape == (150, 300)


def test_bad_inputs_raise_clear_errors(model, two_objects):
    with pytest.raises(IndexError, match="1000"):
        helpers.gradcam(model, two_objects, 1000)
    with pytest.raises(IndexError):
        helpers.gradcam(model, two_objects, -1)
    for layer in ("avg_pool", "predictions"):
        with pytest.raises(ValueError, match="feature"):
            helpers.gradcam(model, two_objects, 1, layer=layer)
    with pytest.raises(KeyError, match="top_activation"):
        helpers.gradcam(model, two_objects, 1, layer="top_activatoin")
    with pytest.raises(ValueError, match="method") as err:
        helpers.gradcam(model, two_objects, 1, method="lime")
    assert all(repr(n) in str(err.value) for n in NAMES)  # the message lists the choices
    grey = two_objects.mean(axis=-1).astype(np.uint8)  # (H, W) grey is a picture, as for every other call
    np.testing.assert_array_equal(helpers.gradcam(model, grey, 1), helpers.gradcam(model, np.dstack([grey] * 3), 1))
    with pytest.raises(ValueError, match="positive"):
        helpers.smoothgrad(model, two_objects, 1, samples=0)


def test_earlier_layers_and_no_retracing(model, two_objects):
    heat = helpers.gradcam(model, two_objects, TIGER_CAT, layer="block6a_expand_activation")
    assert heat.shape == (224, 224) and heat.max() == pytest.approx(1.0)
    eng = cam.engine(model)
    helpers.gradcam(model, two_objects, 1)
    traces = eng.trace_count()
    rng = np.random.default_rng(0)
    for i in range(5):
        noisy = np.clip(two_objects + rng.normal(0, 20, two_objects.shape), 0, 255).astype(np.uint8)
        helpers.gradcam(model, noisy, int(rng.integers(0, 1000)))
    assert eng.trace_count() == traces
    assert "top_activation" == cam.cam_layers(model)[0] and "block6a_expand_activation" in cam.cam_layers(model)
    first, mine = cam.cam_layers(model), cam.cam_layers(model)  # kept per model, handed out as fresh lists
    mine.clear()
    assert len(first) > 10 and cam.cam_layers(model) == first


def test_input_gradient_maps_on_the_real_model(model, two_objects):
    for fn in (helpers.gradient_saliency, helpers.guided_backprop, helpers.smoothgrad, helpers.integrated_gradients):
        kwargs = ({"samples": 4} if fn is helpers.smoothgrad
                  else {"steps": 4} if fn is helpers.integrated_gradients else {})
        heat = fn(model, two_objects, TIGER_CAT, **kwargs)
        assert heat.shape == (224, 224) and heat.dtype == np.float32, fn.__name__
        assert heat.min() >= 0 and heat.max() == pytest.approx(1.0) and not np.isnan(heat).any()


def test_cascading_randomization_sanity_check(model, two_objects):
    original = [w.copy() for w in model.get_weights()]
    steps = cam.cascading_randomization(model, seed=0, steps=2)
    name, copy = next(steps)
    assert name == "original" and copy is not model
    base_cam = helpers.gradcam(copy, two_objects, TIGER_CAT)
    np.testing.assert_allclose(base_cam, helpers.gradcam(model, two_objects, TIGER_CAT), atol=1e-5)
    base_gb = helpers.guided_backprop(model, two_objects, TIGER_CAT)
    name, copy = next(steps)
    assert name == "predictions"
    assert cam.spearman(base_cam, helpers.gradcam(copy, two_objects, TIGER_CAT)) < 0.5   # Grad-CAM changes
    assert cam.spearman(base_gb, helpers.guided_backprop(copy, two_objects, TIGER_CAT)) > 0.8  # guided: barely
    name, _ = next(steps)
    assert name == "top"
    for w, w0 in zip(model.get_weights(), original):  # the user's model is untouched
        np.testing.assert_array_equal(w, w0)


# --- explorer widget --------------------------------------------------------------------------

def test_explorer_caches_forward_pass_and_wiring(model):
    from helpers.widgets import gradcam_explorer

    ex = gradcam_explorer(model, "cat_and_coffee", top_k=5)
    image = ex.picker.image
    assert ex.status.value == "" and ex.view.value[:3] == b"\xff\xd8\xff"
    assert {v for _, v in ex.class_dropdown.options} >= {TIGER_CAT, ESPRESSO}
    assert "%" in ex.class_dropdown.options[0][0]
    assert [v for _, v in ex.method_toggle.options] == NAMES
    assert ex.counters["forward"] == 1
    # switching the class: new gradients from the cached feature maps, no forward pass
    ex.class_dropdown.value = ESPRESSO
    assert ex.counters["forward"] == 1 and ex.counters["gradients"] == 2
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, ESPRESSO), atol=1e-4)
    ex.class_dropdown.value = TIGER_CAT
    cat_heat = ex.heatmap.copy()
    np.testing.assert_allclose(cat_heat, helpers.gradcam(model, image, TIGER_CAT), atol=1e-4)
    # alpha and colour map only re-blend
    before = dict(ex.counters)
    picture = ex.picture.copy()
    ex.alpha_slider.value = 0.8
    ex.colormap_dropdown.value = "viridis"
    assert ex.counters["heatmap"] == before["heatmap"] and ex.counters["blend"] == before["blend"] + 2
    assert ex.counters["forward"] == 1 and np.abs(ex.picture.astype(int) - picture).max() > 50
    np.testing.assert_array_equal(ex.picture, helpers.overlay(image, cat_heat, 0.8, "viridis"))
    # the view (JPEG) shows photo | heatmap | overlay, each within a few grey levels
    shown = cv2.cvtColor(cv2.imdecode(np.frombuffer(ex.view.value, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    strip = np.concatenate([image, helpers.colorize(cat_heat, "viridis"), ex.picture], axis=1)
    strip = cv2.resize(strip, shown.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    assert shown.shape == (ex.display_size, 3 * ex.display_size, 3)
    assert np.abs(shown.astype(int) - strip).mean() < 2.0
    # counterfactual and the other gradient methods from the same cache
    ex.counterfactual_toggle.value = True
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, counterfactual=True), atol=1e-4)
    ex.counterfactual_toggle.value = False
    gradients = ex.counters["gradients"]
    for method in ("gradcam++", "layercam", "eigencam"):
        ex.method_toggle.value = method
        np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, method=method), atol=1e-4)
    assert ex.counters["forward"] == 1 and ex.counters["gradients"] == gradients


def test_explorer_search_layers_scorecam_and_errors(model):
    from helpers.widgets import gradcam_explorer

    ex = gradcam_explorer(model, "cat_and_coffee")
    image = ex.picker.image
    ex.search.value = "tabby"
    assert ex.class_dropdown.value == 281 and ex.status.value == ""
    ex.search.value = "no such animal"
    assert "no class name contains" in ex.status.value and ex.class_dropdown.value == 281
    ex.search.value = "loggerhead"      # outside the top-k: added to the options
    assert ex.info.class_names[ex.class_dropdown.value] == "loggerhead"
    # Score-CAM: the masked passes give all classes at once
    ex.class_dropdown.value = TIGER_CAT
    ex.method_toggle.value = "scorecam"
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, method="scorecam"), atol=1e-4)
    ex.class_dropdown.value = ESPRESSO
    assert ex.counters["masked"] == 1 and ex.counters["forward"] == 1
    ex.counterfactual_toggle.value = True  # not defined for Score-CAM: a message, widget alive
    assert "counterfactual" in ex.status.value
    ex.method_toggle.value = "gradcam"
    assert ex.status.value == ""
    ex.counterfactual_toggle.value = False
    # a layer a skip connection crosses: needs the full pass per class, still equal to gradcam()
    ex.layer_dropdown.value = "block6b_expand_activation"
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, ESPRESSO, layer="block6b_expand_activation"),
                               atol=1e-4)
    forward = ex.counters["forward"]
    ex.class_dropdown.value = TIGER_CAT  # ... and so each new class costs one forward pass here
    assert ex.counters["forward"] == forward + 1
    ex.layer_dropdown.value = "top_activation"  # back: its context is still there
    assert ex.counters["forward"] == forward + 1
    ex.picker.dropdown.value = "coffee"  # a new image: one new forward pass
    assert ex.counters["forward"] == forward + 2 and ex.class_dropdown.options[0][0].startswith("espresso")


def test_a_context_remembers_a_bounded_number_of_classes():
    from helpers.cam.context import MAX_CLASSES, Context

    ctx = Context.from_arrays(np.ones((2, 2, 3)), {0: np.ones((2, 2, 3))})
    for c in range(1, MAX_CLASSES + 5):
        ctx._remember(c, np.full((2, 2, 3), float(c)))
    assert len(ctx._grads) == MAX_CLASSES
    assert 0 not in ctx._grads and MAX_CLASSES + 4 in ctx._grads  # the oldest went first
