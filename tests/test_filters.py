"""Filter visualisation by gradient ascent (issue 4): pure maths, quality, contract, widget, notebook."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import helpers  # noqa: E402
from helpers import filters as F  # noqa: E402

MIDDLE = "block5b_add"  # middle of the network (block 10 of 16), 8x8 maps at 128 px


@pytest.fixture(scope="module")
def model():
    return helpers.load_model()


# --- pure functions on hand-computed arrays ---------------------------------------------------------

def test_border_crop_never_empties_the_map():
    assert F.border_crop(8, 8) == 2          # textbook crop, 4x4 centre left
    assert F.border_crop(64, 32) == 2
    assert F.border_crop(7, 7) == 1          # 7 - 2*2 = 3 < 4: shrink the crop
    assert F.border_crop(6, 6) == 1
    assert F.border_crop(5, 5) == 0
    assert F.border_crop(4, 4) == 0          # the textbook crop would leave nothing (NaN loss)
    assert F.border_crop(1, 1) == 0


def test_filter_objective_hand_computed():
    a = np.zeros((1, 6, 6, 2), np.float32)
    a[0, :, :, 1] = np.arange(36).reshape(6, 6)
    assert float(F.filter_objective(a, 1, border=0)) == pytest.approx(17.5)
    # centre 4x4 of 0..35: rows 1..4, cols 1..4 -> mean of (6r + c)
    centre = np.arange(36).reshape(6, 6)[1:5, 1:5].mean()
    assert float(F.filter_objective(a, tf.constant(1), border=1)) == pytest.approx(centre)
    assert float(F.filter_objective(a, 0, border=2)) == 0.0
    assert math.isfinite(float(F.filter_objective(np.ones((1, 4, 4, 3)), 2, border=F.border_crop(4, 4))))


def test_normalize_gradient_unit_norm_and_zero_stays_zero():
    g = np.array([[3.0, 0.0], [0.0, 4.0]], np.float32)
    np.testing.assert_allclose(F.normalize_gradient(g).numpy(), [[0.6, 0], [0, 0.8]], rtol=1e-6)
    big = np.random.default_rng(0).normal(size=(1, 8, 8, 3)).astype(np.float32) * 1e4
    assert float(tf.norm(F.normalize_gradient(big))) == pytest.approx(1.0, rel=1e-5)
    assert not np.any(F.normalize_gradient(np.zeros((3, 3), np.float32)).numpy())


def test_deprocess_hand_computed():
    x = np.array([0.0, 1.0, 2.0, 3.0]).reshape(1, 2, 2)[..., None].repeat(3, -1)  # (1, 2, 2, 3)
    std = np.std([0, 1, 2, 3])
    expected = np.round(np.clip((np.array([0, 1, 2, 3]) - 1.5) / (std + 1e-5) * 0.15 + 0.5, 0, 1) * 255)
    out = F.deprocess(x[0])
    assert out.dtype == np.uint8 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out[..., 0].ravel(), expected)
    # a batch is standardised image by image: scaling one image does not change the result
    batch = np.stack([x[0], 1000 * x[0] + 7])
    np.testing.assert_array_equal(F.deprocess(batch)[0], F.deprocess(batch)[1])
    # a constant image is mid-gray, not NaN
    assert np.all(F.deprocess(np.full((4, 4, 3), 5.0)) == 128)


def test_start_image_is_near_gray_noise_in_raw_pixels():
    x = F.start_image(64, seed=3)
    assert x.dtype == np.float32 and x.shape == (64, 64, 3)
    assert 127.5 - 15.94 <= x.min() < 115 and 140 < x.max() <= 127.5 + 15.94   # 127.5 +- 0.125 * 127.5
    np.testing.assert_array_equal(x, F.start_image(64, seed=3))
    assert not np.array_equal(x, F.start_image(64, seed=4))


def test_affine_transform_and_transform_image():
    np.testing.assert_allclose(F.affine_transform(1.0, 0.0, 0.0, 0.0, 9).numpy(), [1, 0, 0, 0, 1, 0, 0, 0])
    img = np.random.default_rng(0).random((1, 16, 16, 3)).astype(np.float32)
    shifted = F.transform_image(tf.constant(img), tf.constant([1.0, 0.0, 3.0, 2.0])).numpy()
    # output (y, x) samples input (y - 2, x - 3): a shift right by 3 and down by 2
    np.testing.assert_allclose(shifted[0, 2:, 3:], img[0, :-2, :-3], atol=1e-6)
    # a 90 degree rotation about the centre is np.rot90 (clockwise on screen: y points down)
    rot = F.transform_image(tf.constant(img), tf.constant([1.0, np.pi / 2, 0.0, 0.0])).numpy()
    np.testing.assert_allclose(rot[0], np.rot90(img[0], k=-1), atol=1e-4)
    t = F.random_transforms(50, 224, seed=1)
    assert t.shape == (50, 4) and 0.9 <= t[:, 0].min() and t[:, 0].max() <= 1.1
    assert np.abs(np.rad2deg(t[:, 1])).max() <= 10 + 1e-4 and np.abs(t[:, 2:]).max() <= 12
    np.testing.assert_array_equal(t, F.random_transforms(50, 224, seed=1))


def test_fourier_colour_parametrisation():
    assert np.max(np.linalg.norm(F.COLOR_CORRELATION, axis=0)) == pytest.approx(1.0)
    # zero parameters -> sigmoid(0) -> mid gray everywhere
    img = F.params_to_image(np.zeros((2, 3, 16, 9), np.float32), F.fourier_scale(16, 16)).numpy()
    assert img.shape == (1, 16, 16, 3)
    np.testing.assert_allclose(img, 127.5, atol=1e-4)
    # the DC coefficient alone gives a flat image; the 1/f scale is largest at low frequencies
    p = np.zeros((2, 3, 16, 9), np.float32)
    p[0, :, 0, 0] = 0.01
    flat = F.params_to_image(p, F.fourier_scale(16, 16)).numpy()
    # hand computed: DC scale 16 * sqrt(256) = 256, inverse FFT divides by 256 -> 0.01, / 4, colour mix, sigmoid
    rgb = F.COLOR_CORRELATION @ np.full(3, 0.0025)
    np.testing.assert_allclose(flat[0, 5, 7], 255 / (1 + np.exp(-rgb)), rtol=1e-5)
    assert np.ptp(flat[..., 0]) < 1e-3
    s = F.fourier_scale(16, 16)
    assert s[0, 0] == s.max() and s[8, 8] == s.min()
    assert F.fft_frequencies(4, 4)[0, 1] == pytest.approx(0.25)


def test_atlas_grid_layout():
    p = np.stack([np.full((4, 4, 3), i, np.uint8) for i in range(5)])
    g = F.atlas_grid(p, ncols=3, pad=1, fill=255)
    assert g.shape == (2 * 4 + 1, 3 * 4 + 2, 3)
    assert g[0, 0, 0] == 0 and g[0, 5, 0] == 1 and g[5, 5, 0] == 4 and g[5, 10, 0] == 255 and g[4, 0, 0] == 255


# --- quality on the real model ---------------------------------------------------------------------

def test_patterns_drive_their_own_filter_10x_and_are_selective(model):
    filters = list(range(8))
    patterns = helpers.filter_patterns(model, MIDDLE, filters, size=128, steps=30, seed=0, progress=False)
    assert patterns.shape == (8, 128, 128, 3) and patterns.dtype == np.uint8
    start = F.filter_activations(model, MIDDLE, F.start_image(128, 0))[0, filters]
    acts = F.filter_activations(model, MIDDLE, patterns)[:, filters]        # (pattern i, filter j)
    own = np.diag(acts)
    assert np.all(own >= 10 * np.abs(start)), (own, start)
    wins = sum(int(np.argmax(acts[:, j]) == j) for j in range(8))     # filter j likes its own pattern best
    assert wins >= 7, acts


def test_same_seed_same_output_other_seed_differs(model):
    a = helpers.filter_patterns(model, "block3b_expand_conv", [1, 2], size=64, steps=8, seed=5, cache=False)
    b = helpers.filter_patterns(model, "block3b_expand_conv", [1, 2], size=64, steps=8, seed=5, cache=False)
    c = helpers.filter_patterns(model, "block3b_expand_conv", [1, 2], size=64, steps=8, seed=6, cache=False)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    r1 = helpers.filter_patterns(model, "block3b_expand_conv", 1, size=64, steps=4, seed=5, method="robust",
                                 cache=False)
    r2 = helpers.filter_patterns(model, "block3b_expand_conv", 1, size=64, steps=4, seed=5, method="robust",
                                 cache=False)
    np.testing.assert_array_equal(r1, r2)


def test_steps_zero_returns_deprocessed_start(model):
    out = helpers.filter_patterns(model, "block4b_expand_conv", [0, 9], size=48, steps=0, seed=2)
    expected = F.deprocess(F.start_image(48, 2))
    np.testing.assert_array_equal(out[0], expected)
    np.testing.assert_array_equal(out[1], expected)


@pytest.mark.parametrize("method", ["classic", "robust"])
def test_output_contract_any_size(model, method):
    out = helpers.filter_patterns(model, "block2b_add", [0, 3, 5], size=72, steps=5, method=method)
    assert out.shape == (3, 72, 72, 3) and out.dtype == np.uint8
    assert np.isfinite(out.astype(float)).all() and out.std() > 1   # not a blank square
    single = helpers.filter_patterns(model, "block2b_add", 3, size=72, steps=5, method=method)
    np.testing.assert_array_equal(single[0], out[1])                # a filter's pattern ignores its companions


def test_small_maps_give_finite_results(model):
    # top_conv is 4x4 at 128 px: the textbook 2-pixel crop would leave nothing (NaN loss)
    result = helpers.visualize_filters(model, "top_conv", [0, 1], size=128, steps=3)
    assert np.isfinite(result.final_activation).all() and np.isfinite(result.start_activation).all()
    assert (result.final_activation > result.start_activation).all()


def test_bad_input_messages(model):
    with pytest.raises(IndexError, match="480 channels"):
        helpers.filter_patterns(model, "block4b_expand_conv", 480)
    with pytest.raises(IndexError, match="480 channels"):
        helpers.filter_patterns(model, "block4b_expand_conv", [0, -1])
    with pytest.raises(ValueError, match="feature"):
        helpers.filter_patterns(model, "predictions", 0)                 # Dense
    with pytest.raises(ValueError, match="feature"):
        helpers.filter_patterns(model, "avg_pool", 0)                    # global average pooling
    with pytest.raises(ValueError, match="size"):
        helpers.filter_patterns(model, "block4b_expand_conv", 0, size=15)
    with pytest.raises(ValueError, match="method"):
        helpers.filter_patterns(model, "block4b_expand_conv", 0, method="fancy")
    with pytest.raises(ValueError, match="steps"):
        helpers.filter_patterns(model, "block4b_expand_conv", 0, steps=-1)
    with pytest.raises(ValueError, match="integer"):
        helpers.filter_patterns(model, "block4b_expand_conv", [1.5])
    with pytest.raises(KeyError, match="block4b_expand_conv"):
        helpers.filter_patterns(model, "block4b_expand_cnv", 0)


def test_relu6_layer_maximises_its_preactivation(model):
    layer = "block5a_expand_activation"
    naive = helpers.visualize_filters(model, layer, list(range(16)), size=128, steps=30, preactivation=False)
    assert naive.target == layer
    # measured: some filters never move (off: zero gradient), others stop at exactly 6.0 (clipped)
    assert len(naive.undriven) >= 4
    assert np.all(naive.final_activation <= 6.0 + 1e-5)
    with pytest.warns(UserWarning, match="could not be driven"):
        helpers.filter_patterns(model, layer, list(naive.undriven), size=128, steps=30, preactivation=False)
    fixed = helpers.visualize_filters(model, layer, list(range(16)), size=128, steps=30)
    assert fixed.target == "block5a_expand_bn" and fixed.undriven == ()
    assert np.all(fixed.final_activation > fixed.start_activation)
    assert (fixed.final_activation > 6.0).sum() >= 12   # beyond what the clipped activation could ever show
    assert F.preactivation_layer(model, "block4b_expand_conv") == "block4b_expand_conv"


def test_one_compiled_function_per_layer_and_cache(model, monkeypatch):
    layer = "block3a_expand_conv"
    helpers.visualize_filters(model, layer, [0], size=40, steps=2)
    fn = F._ascent_fn(model, layer, 40, "classic")
    before = fn.experimental_get_tracing_count()
    helpers.visualize_filters(model, layer, [1, 2, 3], size=40, steps=3, seed=1)
    assert fn.experimental_get_tracing_count() == before == 1      # no retracing per filter / steps / seed
    first = helpers.filter_patterns(model, layer, [2, 3], size=40, steps=3, seed=1)
    monkeypatch.setattr(F, "_ascent_fn", lambda *a, **k: pytest.fail("cached result was recomputed"))
    again = helpers.filter_patterns(model, layer, [3, 2], size=40, steps=3, seed=1)
    np.testing.assert_array_equal(again, first[::-1])


def test_helpers_agree_with_a_plain_gradient_tape_loop(model):
    """The ~10-line notebook core (eager) and the compiled helpers give the same picture."""
    layer, f, size, steps = "block3b_expand_conv", 7, 64, 10
    fm = helpers.feature_model(model, [layer], input_shape=(size, size, 3))
    image = tf.constant(F.start_image(size, seed=0)[None])
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(fm(image)[0][:, 2:-2, 2:-2, f])
        grad = tape.gradient(loss, image)
        image += 10 * 127.5 * grad / (tf.norm(grad) + 1e-12)
    ours = F.deprocess(image[0].numpy())
    theirs = helpers.filter_patterns(model, layer, f, size=size, steps=steps, seed=0, cache=False)[0]
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 2, (diff.mean(), diff.max())


def test_robust_patterns_have_less_high_frequency_noise(model):
    layer, filters = "block4b_expand_conv", [10, 20, 30, 40]
    classic = helpers.filter_patterns(model, layer, filters, size=96, steps=30).astype(float)
    robust = helpers.filter_patterns(model, layer, filters, size=96, steps=30, method="robust").astype(float)

    def high_freq(p):  # share of each picture's (gray, mean-removed) power above 1/4 cycle per pixel
        g = p.mean(-1) - p.mean(axis=(1, 2, 3))[:, None, None]
        power = np.abs(np.fft.fft2(g)) ** 2
        f = np.hypot(*np.meshgrid(np.fft.fftfreq(96), np.fft.fftfreq(96)))
        return power[:, f > 0.25].sum(1) / power.sum((1, 2))
    assert np.all(high_freq(robust) < 0.5 * high_freq(classic))   # measured: 0.15..0.24 vs 0.59..0.72
    # and the robust pictures still drive their filters well beyond the start
    acts = F.filter_activations(model, layer, robust.astype(np.uint8))[:, filters]
    start = F.filter_activations(model, layer, F.deprocess(F.start_image(96)))[0, filters]
    assert np.all(np.diag(acts) > start)


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


def test_vgg16_with_its_top_at_another_size_and_fused_relu_reported():
    """VGG16 (Flatten + Dense head, ReLU fused into the convolutions, BGR caffe input), random
    weights so nothing is downloaded: patterns at 32 px, and a dead filter reported, not hidden."""
    vgg = helpers.load_model("vgg16", weights=None)
    result = helpers.visualize_filters(vgg, "block3_conv1", [0, 1, 2, 3], size=32, steps=3, progress=False)
    assert result.patterns.shape == (4, 32, 32, 3) and result.target == "block3_conv1"
    dead = result.final_activation == 0
    assert set(result.undriven) == {f for f, d in zip(result.filters, dead) if d}
    k = helpers.first_layer_kernels(vgg)
    w = np.transpose(vgg.get_layer("block1_conv1").kernel.numpy(), (3, 0, 1, 2))[..., ::-1]   # BGR -> RGB
    assert np.abs(k - (0.5 + 0.5 * w / np.abs(w).max(axis=(1, 2, 3), keepdims=True)) * 255).max() <= 0.51


def test_filter_atlas_saves_png(model, tmp_path):
    path = tmp_path / "atlas.png"
    fig, result = helpers.filter_atlas(model, "block2a_expand_conv", n=6, size=32, steps=3, ncols=3, path=path)
    assert result.patterns.shape == (6, 32, 32, 3) and result.filters == tuple(range(6))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 6
    import matplotlib.pyplot as plt
    plt.close(fig)


# --- widget wiring ---------------------------------------------------------------------------------

def test_explorer_wiring(model):
    from helpers.widgets import filter_explorer
    ex = filter_explorer(model, size=32, steps=3, atlas_filters=4)
    labels = dict((v, k) for k, v in ex.layer.options)
    assert "(480 filters)" in labels["block4b_expand_conv"]
    assert ex.pattern.shape == (32, 32, 3) and ex.image.value[:4] == b"\x89PNG"
    ex.filter.value = 100
    ex.layer.value = "block2a_expand_conv"               # 96 filters: slider max follows, value clamps
    assert ex.filter.max == 95 and ex.filter.value == 95
    assert ex.result.layer == "block2a_expand_conv" and ex.result.filters == (95,)
    ex.method.value = "robust"
    assert ex.result.method == "robust"
    ex.steps.value = 5
    assert ex.result.settings["steps"] == 5
    ex.layer.value = "block5a_expand_activation"
    assert "pre-activation" in ex.info.value and ex.result.target == "block5a_expand_bn"
    ex.atlas_button.click()
    assert ex.progress.value == ex.progress.max == 4
    assert ex.atlas_result.patterns.shape == (4, 32, 32, 3) and ex.status.value == ""
    # a failure is shown in the widget, which stays alive
    ex.size = 8
    ex.filter.value = 3
    assert "size" in ex.status.value
    ex.size = 32
    ex.filter.value = 4
    assert ex.status.value == "" and ex.result.filters == (4,)
