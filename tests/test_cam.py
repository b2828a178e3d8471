"""Tests for helpers.cam (Grad-CAM and friends), its explorer widget and notebook 3."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers import cam
from helpers.models import register_model

TIGER_CAT, ESPRESSO = 282, 967


@pytest.fixture()
def model(default_model):  # the session's EfficientNet-Lite0 (tests/conftest.py)
    return default_model


@pytest.fixture(scope="module")
def two_objects():
    return helpers.load_image("cat_and_coffee", size=224)


def _small_cam_model(seed=0, *, units=5, name="small", sigmoid=False):
    """Conv -> GlobalAveragePooling -> Dense (no activation): Grad-CAM must equal classic CAM."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((20, 20, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(1 if sigmoid else units, name="dense")(x)
    return keras.Model(inputs, out, name=name)


def _classic_cam(fmaps, dense_kernel, sign=1.0):
    """Classic CAM (Zhou et al., 2016): ReLU(sum_k w_k A_k) with the Dense weights, then ÷ max."""
    c = np.maximum(np.tensordot(fmaps, sign * dense_kernel, axes=([-1], [0])), 0)
    return c / c.max() if c.max() > 0 else c


def _random_image(seed, size=20):
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3)).astype(np.uint8)


# --- pure maths on hand-computed arrays -------------------------------------------------------

def test_gradcam_weights_average_space_per_image_never_batch():
    g = np.zeros((2, 2, 2, 1))
    g[0, :, :, 0] = [[1, 2], [3, 6]]
    g[1, :, :, 0] = [[0, 0], [0, 4]]
    np.testing.assert_allclose(cam.gradcam_weights(g), [[3.0], [1.0]])


def test_weighted_cam_relu_and_normalize():
    a = np.array([[[1.0, 2.0], [3.0, -4.0]], [[0.0, 1.0], [2.0, 2.0]]])  # (2, 2, 2)
    raw = cam.weighted_cam(a, np.array([2.0, 1.0]))
    np.testing.assert_allclose(raw, [[4.0, 2.0], [1.0, 6.0]])
    np.testing.assert_allclose(cam.normalize_map(raw), [[4 / 6, 2 / 6], [1 / 6, 1.0]])
    neg = cam.weighted_cam(a, np.array([-1.0, 0.0]))
    np.testing.assert_allclose(neg, [[0.0, 0.0], [0.0, 0.0]])  # ReLU keeps only positive evidence


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


def test_rankdata_and_spearman_match_scipy():
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


# --- exact agreement with classic CAM ---------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradcam_equals_classic_cam_on_conv_gap_dense(seed):
    m = _small_cam_model(seed)
    fmaps = keras.Model(m.input, m.get_layer("conv").output)(_random_image(seed)[None].astype("float32"))
    kernel = m.get_layer("dense").get_weights()[0]
    image = _random_image(seed)
    assert cam.default_layer(m) == "conv"
    for c in range(5):
        expected = cam.upsample(_classic_cam(np.asarray(fmaps)[0], kernel[:, c]), (20, 20))
        got = helpers.gradcam(m, image, c)
        assert got.dtype == np.float32 and got.shape == (20, 20)
        assert np.abs(got - expected).max() <= 1e-5
        # at the feature map's own resolution too, before any upsampling
        fm, gr, _, _ = cam.engine(m).grads(tf.constant(image[None].astype("float32")), tf.constant([c]))
        small = cam.cam_from_gradients(fm.numpy()[0], gr.numpy()[0])
        np.testing.assert_allclose(small, _classic_cam(np.asarray(fmaps)[0], kernel[:, c]), atol=1e-5)


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
    # an earlier layer inside the nested backbone works too
    assert helpers.gradcam(m, image, 0, layer="b_conv1").shape == (20, 20)


def test_single_sigmoid_head_uses_plus_minus_logit():
    m = _small_cam_model(4, sigmoid=True, name="binary")
    register_model(m, "binary", ["dog", "cat"])
    image = _random_image(7)
    fmaps = np.asarray(keras.Model(m.input, m.get_layer("conv").output)(image[None].astype("float32")))[0]
    w = m.get_layer("dense").get_weights()[0][:, 0]
    for c, sign in ((1, 1.0), (0, -1.0)):
        expected = cam.upsample(_classic_cam(fmaps, w, sign), (20, 20))
        assert np.abs(helpers.gradcam(m, image, c) - expected).max() <= 1e-5
    with pytest.raises(IndexError):
        helpers.gradcam(m, image, 2)


def test_zero_gradients_give_zeros_not_nan():
    m = _small_cam_model(5)
    m.get_layer("dense").set_weights([np.zeros((8, 5), "float32"), np.zeros(5, "float32")])
    for method in ("gradcam", "gradcam++"):
        heat = helpers.gradcam(m, _random_image(1), 2, method=method)
        assert not np.isnan(heat).any() and (heat == 0).all()
    assert (helpers.gradcam(m, _random_image(1), 2, counterfactual=True) == 0).all()


def test_batch_maps_equal_single_maps_no_mixing():
    m = _small_cam_model(6)
    images = np.stack([_random_image(10), _random_image(11)])
    batch = helpers.gradcam(m, images, [1, 3])
    assert batch.shape == (2, 20, 20)
    np.testing.assert_allclose(batch[0], helpers.gradcam(m, images[0], 1), atol=1e-6)
    np.testing.assert_allclose(batch[1], helpers.gradcam(m, images[1], 3), atol=1e-6)


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
    plain_clipped = cam.input_gradients(clipped, image, 1)
    plain = cam.input_gradients(m, image, 1)
    np.testing.assert_allclose(guided, plain_clipped, rtol=1e-4, atol=1e-7)
    assert np.abs(guided - plain).max() > 1e-4  # it really differs from the plain gradient
    x = tf.constant(image[None].astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = m(x)[0, 1]
    np.testing.assert_allclose(plain, tape.gradient(score, x).numpy()[0], rtol=1e-4, atol=1e-7)


# --- the real model ---------------------------------------------------------------------------

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
        fm, gr, _, _ = cam.engine(model).grads(x, tf.constant([c]))
        np.testing.assert_allclose(cam.cam_from_gradients(fm.numpy()[0], gr.numpy()[0]), heat, atol=1e-4)
        expected = cam.upsample(heat, (224, 224))
        assert np.abs(helpers.gradcam(model, two_objects, c) - expected).max() <= 1e-3


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "scorecam"])
def test_class_discrimination_on_two_object_image(model, two_objects, method):
    top5 = [i for i, _, _ in helpers.predict(model, two_objects, top=5)]
    assert TIGER_CAT in top5 and ESPRESSO in top5
    cat_map = helpers.gradcam(model, two_objects, TIGER_CAT, method=method)
    cup_map = helpers.gradcam(model, two_objects, ESPRESSO, method=method)
    for heat in (cat_map, cup_map):
        assert heat.shape == (224, 224) and heat.dtype == np.float32
        assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert cat_map[:, :112].sum() > 0.55 * cat_map.sum()   # the cat: left half
    assert cup_map[:, 112:].sum() > 0.55 * cup_map.sum()   # the cup: right half
    assert cam.spearman(cat_map, cup_map) < 0.5 and np.abs(cat_map - cup_map).max() > 0.5


def test_counterfactual_points_at_the_other_object(model, two_objects):
    heat = helpers.gradcam(model, two_objects, TIGER_CAT, counterfactual=True)
    assert heat.max() == pytest.approx(1.0)
    assert heat[:, 112:].sum() > 0.7 * heat.sum()  # the espresso argues against "tiger cat"
    with pytest.raises(ValueError, match="gradient"):
        helpers.gradcam(model, two_objects, TIGER_CAT, method="scorecam", counterfactual=True)


def test_top_class_default_and_image_size_and_no_mutation(model, two_objects):
    big = helpers.load_image("cat_and_coffee")  # 448 x 448
    before = big.copy()
    heat = helpers.gradcam(model, big)
    assert heat.shape == big.shape[:2]
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
    with pytest.raises(ValueError, match="method"):
        helpers.gradcam(model, two_objects, 1, method="lime")
    with pytest.raises(ValueError):
        helpers.gradcam(model, np.zeros((224, 224)), 1)


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


def test_saliency_and_guided_backprop_maps(model, two_objects):
    for fn in (helpers.gradient_saliency, helpers.guided_backprop):
        heat = fn(model, two_objects, TIGER_CAT)
        assert heat.shape == (224, 224) and heat.dtype == np.float32
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


# --- overlay ----------------------------------------------------------------------------------

def test_overlay_blends_clips_and_resizes():
    image = np.full((8, 8, 3), 250, np.uint8)
    heat = np.ones((8, 8), np.float32)
    np.testing.assert_array_equal(helpers.overlay(image, heat, alpha=0.0), image)
    np.testing.assert_array_equal(helpers.overlay(image, heat, alpha=1.0), cam.colorize(heat))
    jet_top = cam.colorize(np.ones((1, 1)))[0, 0].astype(float)  # dark red for jet
    out = helpers.overlay(image, heat, alpha=0.4)
    assert out.dtype == np.uint8
    np.testing.assert_allclose(out[0, 0], np.round(0.6 * 250 + 0.4 * jet_top), atol=1)
    over = helpers.overlay(image, np.full((2, 2), 7.0), alpha=0.5)  # out-of-range heat: clipped, no wrap
    assert over.min() >= 100 and over.shape == (8, 8, 3)
    assert helpers.overlay(image, np.random.default_rng(0).random((3, 5)), colormap="viridis").shape == (8, 8, 3)
    with pytest.raises(ValueError, match="alpha"):
        helpers.overlay(image, heat, alpha=1.5)
    with pytest.raises(ValueError, match="jet"):
        helpers.overlay(image, heat, colormap="rainbow-unicorn")
    with pytest.raises(ValueError):
        helpers.overlay(image, np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        helpers.overlay(image, np.full((8, 8), np.nan))


# --- explorer widget --------------------------------------------------------------------------

def test_explorer_caches_forward_pass_and_wiring(model):
    from helpers.widgets import gradcam_explorer

    ex = gradcam_explorer(model, "cat_and_coffee", top_k=5)
    image = ex.picker.image
    assert ex.status.value == "" and ex.view.value[:4] == b"\x89PNG"
    assert {v for _, v in ex.class_dropdown.options} >= {TIGER_CAT, ESPRESSO}
    assert "%" in ex.class_dropdown.options[0][0]
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
    # counterfactual and Grad-CAM++ from the same cache
    ex.counterfactual_toggle.value = True
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, counterfactual=True), atol=1e-4)
    ex.counterfactual_toggle.value = False
    ex.method_toggle.value = "gradcam++"
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, method="gradcam++"), atol=1e-4)
    assert ex.counters["forward"] == 1


def test_explorer_search_layers_scorecam_and_errors(model):
    from helpers.widgets import gradcam_explorer

    ex = gradcam_explorer(model, "cat_and_coffee")
    image = ex.picker.image
    ex.search.value = "tabby"
    assert ex.class_dropdown.value == 281 and ex.status.value == ""
    ex.search.value = "no such animal"
    assert "no class name contains" in ex.status.value and ex.class_dropdown.value == 281
    ex.search.value = "loggerhead"      # outside the top-k: added to the options
    assert model_class(ex) == "loggerhead"
    # Score-CAM: the masked passes give all classes at once
    ex.class_dropdown.value = TIGER_CAT
    ex.method_toggle.value = "scorecam"
    np.testing.assert_allclose(ex.heatmap, helpers.gradcam(model, image, TIGER_CAT, method="scorecam"), atol=1e-4)
    ex.class_dropdown.value = ESPRESSO
    assert ex.counters["scorecam"] == 1 and ex.counters["forward"] == 1
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
    ex.layer_dropdown.value = "top_activation"
    forward = ex.counters["forward"]
    ex.picker.dropdown.value = "coffee"  # a new image: one new forward pass
    assert ex.counters["forward"] == forward + 1 and ex.class_dropdown.options[0][0].startswith("espresso")


def model_class(explorer):
    return explorer.info.class_names[explorer.class_dropdown.value]
