"""helpers.cam.methods and the template in helpers.cam.base: each CAM method against an
independent computation (classic CAM, numpy SVD, an eager GradientTape)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from kit import ESPRESSO, TIGER_CAT, cam_model, random_image, sub_model_output, tape_gradient

import helpers
from helpers import cam
from helpers.cam import base
from helpers.cam.api import cam_from_gradients
from helpers.cam.engine import engine
from helpers.cam.maths import gradcam_weights, normalize_map, weighted_cam
from helpers.models import register_model

NAMES = ["gradcam", "gradcam++", "layercam", "scorecam", "eigencam"]


def _classic_cam(fmaps, dense_kernel, sign=1.0):
    """Classic CAM (Zhou et al., 2016): ReLU(sum_k w_k A_k) with the Dense weights, then ÷ max."""
    c = np.maximum(np.tensordot(fmaps, sign * dense_kernel, axes=([-1], [0])), 0)
    return c / c.max() if c.max() > 0 else c


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradcam_equals_classic_cam_on_conv_gap_dense(seed):
    m = cam_model(seed)
    image = random_image(seed)
    fmaps = sub_model_output(m, 'conv', image[None])[0]
    kernel = m.get_layer("dense").get_weights()[0]
    assert cam.default_layer(m) == "conv"
    for c in range(5):
        expected = _classic_cam(fmaps, kernel[:, c])
        got = helpers.gradcam(m, image, c)
        assert got.dtype == np.float32 and got.shape == (20, 20)
        assert np.abs(got - cam.upsample(expected, (20, 20))).max() <= 1e-5
        # at the feature map's own resolution too, before any upsampling
        fm, gr, _, _ = engine(m).grads(tf.constant(image[None].astype("float32")), tf.constant([c]))
        np.testing.assert_allclose(cam_from_gradients(fm.numpy()[0], gr.numpy()[0]), expected, atol=1e-5)


def test_layercam_equals_gradcam_where_gradients_are_positive_and_constant():
    m = cam_model(11, positive=True)  # d logit / dA_ijk = w_kc / (h w) > 0 everywhere
    image = random_image(8)
    for c in range(5):
        g = tape_gradient(m, "conv", image, c)
        assert (g > 0).all() and np.allclose(g, g[:1, :1])  # the premise, checked
        np.testing.assert_allclose(helpers.gradcam(m, image, c, method="layercam"), helpers.gradcam(m, image, c),
                                   atol=1e-6)
    mixed = cam_model(11)  # negative weights: LayerCAM drops them, Grad-CAM does not
    diffs = [np.abs(helpers.gradcam(mixed, image, c, method="layercam") - helpers.gradcam(mixed, image, c)).max()
             for c in range(5)]
    assert max(diffs) > 0.1


def test_gradcam_at_top_activation_is_classic_cam_summing_to_logit_minus_bias(model, two_objects):
    ctx = cam.context(model, two_objects, "top_activation")
    _, bias = model.get_layer("predictions").get_weights()
    for c in (TIGER_CAT, ESPRESSO):
        raw = weighted_cam(ctx.fmaps, gradcam_weights(ctx.grads(c)), relu=False)  # before ReLU
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
    np.testing.assert_allclose(heat, cam.upsample(normalize_map(np.maximum(proj, 0)), (224, 224)), atol=1e-4)
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
    image = random_image(5)
    fmaps = np.asarray(backbone(image[None].astype("float32")))[0]
    kernel = m.get_layer("head").get_weights()[0]
    for c in range(4):
        expected = cam.upsample(_classic_cam(fmaps, kernel[:, c]), (20, 20))
        assert np.abs(helpers.gradcam(m, image, c) - expected).max() <= 1e-5
    assert helpers.gradcam(m, image, 0, layer="b_conv1").shape == (20, 20)  # a layer inside the backbone


def test_single_sigmoid_head_uses_plus_minus_logit():
    m = cam_model(4, sigmoid=True, name="binary")
    register_model(m, "binary", ["dog", "cat"])
    image = random_image(7)
    fmaps = sub_model_output(m, 'conv', image[None])[0]
    w = m.get_layer("dense").get_weights()[0][:, 0]
    for c, sign in ((1, 1.0), (0, -1.0)):
        expected = cam.upsample(_classic_cam(fmaps, w, sign), (20, 20))
        assert np.abs(helpers.gradcam(m, image, c) - expected).max() <= 1e-5
    with pytest.raises(IndexError):
        helpers.gradcam(m, image, 2)


def test_zero_gradients_give_zeros_not_nan():
    m = cam_model(5)
    m.get_layer("dense").set_weights([np.zeros((8, 5), "float32"), np.zeros(5, "float32")])
    for method in ("gradcam", "gradcam++", "layercam"):
        heat = helpers.gradcam(m, random_image(1), 2, method=method)
        assert not np.isnan(heat).any() and (heat == 0).all()
    assert (helpers.gradcam(m, random_image(1), 2, counterfactual=True) == 0).all()


def test_batch_maps_equal_single_maps_no_mixing():
    m = cam_model(6)
    images = np.stack([random_image(10), random_image(11)])
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

    m = cam_model(12)
    image = random_image(9)
    expected = cam.upsample(normalize_map(sub_model_output(m, 'conv', image[None])[0].sum(-1)), (20, 20))
    np.testing.assert_allclose(helpers.gradcam(m, image, 0, method="Mean-Activation"), expected, atol=1e-6)
    assert "meanact" in [k.name for k in cam.available_methods()]


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

