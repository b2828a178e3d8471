"""Filter visualisation: the parts (objectives, parametrisations, transforms, step
rules, ascend) against independent computations, the two presets' contract and quality, the
ReLU redirect, the atlas and the explorer."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import helpers  # noqa: E402
from helpers import filters as F  # noqa: E402
from helpers.filters import patterns as patterns_module  # noqa: E402
from helpers.filters.render import compiled_ascent  # noqa: E402

MIDDLE = "block5b_add"  # middle of the network (block 10 of 16), 8x8 maps at 128 px
L4 = "block4b_expand_conv"


@pytest.fixture(scope="module")
def model(default_model):
    return default_model


def _grad(model, objective, image, size):
    fm = helpers.feature_model(model, list(objective.layers), input_shape=(size, size, 3))
    x = tf.constant(image)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = objective(fm(x, training=False))
    return float(value), tape.gradient(value, x).numpy()


# --- objectives --------------------------------------------------------------------------------------

def test_objective_sum_gradient_is_the_sum_of_gradients(model):
    image = F.start_image(48, seed=1)[None]
    a, b = F.channel(L4, 3), F.channel(L4, 7)
    va, ga = _grad(model, a, image, 48)
    vb, gb = _grad(model, b, image, 48)
    vs, gs = _grad(model, a + b, image, 48)
    assert vs == pytest.approx(va + vb, rel=1e-5)
    np.testing.assert_allclose(gs, ga + gb, rtol=1e-4, atol=1e-6 * np.abs(ga + gb).max())
    vm, gm = _grad(model, 0.5 * a - 2 * b, image, 48)
    assert vm == pytest.approx(0.5 * va - 2 * vb, rel=1e-5)
    np.testing.assert_allclose(gm, 0.5 * ga - 2 * gb, rtol=1e-4, atol=1e-6 * np.abs(gm).max())


def test_objective_arithmetic_on_hand_activations():
    acts = {"conv": np.arange(2 * 36, dtype=np.float32).reshape(1, 6, 6, 2)}
    c0, c1 = F.channel("conv", 0), F.channel("conv", 1)
    m0, m1 = np.arange(0, 72, 2).mean(), np.arange(1, 72, 2).mean()      # 35.0, 36.0
    assert float(c0(acts)) == m0 and float(c1(acts)) == m1
    assert float((2.5 * c0)(acts)) == pytest.approx(2.5 * m0)
    assert float((c0 * 2.5)(acts)) == pytest.approx(2.5 * m0)
    assert float((c0 / 4)(acts)) == pytest.approx(m0 / 4)
    assert float((-c0)(acts)) == -m0 and float((c0 - c1)(acts)) == pytest.approx(m0 - m1)
    assert float(sum([c0, c1, c1])(acts)) == pytest.approx(m0 + 2 * m1)
    mix = 0.25 * c0 + 0.75 * c1
    assert mix.key == (0.4 * c0 + 0.6 * F.channel("conv", 9)).key           # same structure, other numbers
    assert mix.key != (c0 + c1).key and mix.args == (0.25, 0.0, 0.75, 1.0)
    with pytest.raises(TypeError, match="number"):
        c0 * c1
    with pytest.raises(TypeError, match="objectives"):
        c0 + 1.0
    with pytest.raises(ValueError, match="zero"):
        c0 / 0


def test_neuron_vs_channel_and_border():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(1, 6, 6, 3)).astype(np.float32)
    acts = {"conv": a}
    neurons = [[float(F.neuron("conv", 2, x=x, y=y)(acts)) for x in range(6)] for y in range(6)]
    np.testing.assert_allclose(neurons, a[0, :, :, 2], rtol=1e-6)
    assert float(F.channel("conv", 2)(acts)) == pytest.approx(np.mean(neurons), rel=1e-5)   # channel = mean of neurons
    assert float(F.neuron("conv", 1)(acts)) == a[0, 3, 3, 1]                              # default: the centre
    assert float(F.channel("conv", 1, border=1)(acts)) == pytest.approx(a[0, 1:5, 1:5, 1].mean(), rel=1e-5)
    # the textbook's crop of 2 on a 6x6 map shrinks to 1 (at least 4x4 kept)
    assert float(F.channel("conv", 1, border=2)(acts)) == pytest.approx(a[0, 1:5, 1:5, 1].mean(), rel=1e-5)
    assert float(F.layer("conv")(acts)) == pytest.approx(np.mean(a ** 2), rel=1e-5)
    assert float(F.class_logit(1)({"logits": np.array([[3.0, -2.0]], np.float32)})) == -2.0


def test_border_crop_never_empties_the_map():
    assert F.border_crop(8, 8) == 2          # textbook crop, 4x4 centre left
    assert F.border_crop(64, 32) == 2
    assert F.border_crop(7, 7) == 1          # 7 - 2*2 = 3 < 4: shrink the crop
    assert F.border_crop(5, 5) == 0
    assert F.border_crop(4, 4) == 0          # the textbook crop would leave nothing (NaN loss)
    assert math.isfinite(float(F.filter_objective(np.ones((1, 4, 4, 3)), 2, border=F.border_crop(4, 4))))


# --- parametrisations ------------------------------------------------------------------------------

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


# --- transforms ------------------------------------------------------------------------------------

def _dot(size=17, y=8, x=8):
    image = np.zeros((1, size, size, 3), np.float32)
    image[0, y, x] = [1.0, 2.0, 3.0]
    return image


@pytest.mark.parametrize("k", [1, 3])
def test_jitter_by_k_pixels_shifts_content_by_k(k):
    shifts = set()
    for s in range(60):
        out = F.jitter(k)(_dot(), [s, 0]).numpy()
        (y, x), = np.argwhere(out[0, :, :, 2] == 3.0)
        dy, dx = y - 8, x - 8
        assert abs(dy) <= k and abs(dx) <= k
        np.testing.assert_array_equal(out, F.warp(_dot(), tx=dx, ty=dy).numpy())   # exact: content just moved
        shifts.add((dy, dx))
    assert {d for d, _ in shifts} == set(range(-k, k + 1)) == {d for _, d in shifts}
    np.testing.assert_array_equal(F.jitter(k)(_dot(), [5, 1]), F.jitter(k)(_dot(), [5, 1]))   # deterministic


def test_warp_scale_rotate():
    img = np.random.default_rng(0).random((1, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(F.affine_transform(1.0, 0.0, 0.0, 0.0, 9).numpy(), [1, 0, 0, 0, 1, 0, 0, 0])
    rot = F.rotate([90])(img, [0, 0]).numpy()          # clockwise on screen (y points down)
    np.testing.assert_allclose(rot[0], np.rot90(img[0], k=-1), atol=1e-4)
    big = F.scale([2.0])(_dot(17, 10, 8), [0, 0]).numpy()[0, :, :, 2]   # 2 px below the centre -> 4 px below
    assert big[12, 8] == pytest.approx(3.0) and big[10, 8] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="positive"):
        F.scale([0.0])
    with pytest.raises(ValueError, match="jitter"):
        F.jitter(-1)


def test_compose_applies_in_order_with_derived_seeds():
    img = _dot(17, 8, 11)
    first, second = F.jitter(3), F.scale([2.0])
    seed = tf.constant([7, 2])
    composed = F.compose(first, second)(img, seed).numpy()
    by_hand = second(first(img, F.transforms.step_seed(seed, 0)), F.transforms.step_seed(seed, 1)).numpy()
    np.testing.assert_array_equal(composed, by_hand)
    reverse = F.compose(second, first)(img, seed).numpy()
    assert not np.allclose(composed, reverse)            # scale-then-shift != shift-then-scale
    np.testing.assert_array_equal(F.compose()(img, seed), img)
    assert F.compose(first, [second]).key == F.compose(first, second).key


# --- step rules ------------------------------------------------------------------------------------

def test_normalized_step_has_unit_norm():
    big = np.random.default_rng(0).normal(size=(1, 8, 8, 3)).astype(np.float32) * 1e4
    assert float(tf.norm(F.normalize_gradient(big))) == pytest.approx(1.0, rel=1e-5)
    assert not np.any(F.normalize_gradient(np.zeros((3, 3), np.float32)).numpy())
    v = tf.Variable(np.zeros((4, 4), np.float32))
    stepper = F.normalized(2.5).build(v)
    stepper.reset(2.5)
    stepper.apply(tf.constant(big[0, :4, :4, 0]))
    assert float(tf.norm(v)) == pytest.approx(2.5, rel=1e-5)


def test_adam_step_matches_the_adam_formula():
    """Two uphill Adam steps on a hand case, against Kingma & Ba's update written out by hand
    (keras' form: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), x += lr_t m / (sqrt(v) + eps))."""
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    grads = [np.array([1.0, -2.0, 0.5], np.float32), np.array([0.5, 1.0, -4.0], np.float32)]
    v = tf.Variable(np.zeros(3, np.float32))
    stepper = F.adam(lr, b1, b2, eps).build(v)
    x, m, s = np.zeros(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        x = x + lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(s) + eps)
    for rerun in range(2):                                # reset() forgets the moments
        stepper.reset(lr)
        v.assign(np.zeros(3, np.float32))
        for g in grads:
            stepper.apply(tf.constant(g))
        np.testing.assert_allclose(v.numpy(), x, rtol=1e-5)
    stepper.reset(lr)
    v.assign(np.zeros(3, np.float32))
    stepper.apply(tf.constant(grads[0]))
    np.testing.assert_allclose(v.numpy(), lr * np.sign(grads[0]), rtol=1e-4)   # first step: lr uphill, per coordinate


# --- ascend ------------------------------------------------------------------------------------------

def test_ascend_compiles_once_per_composition(model):
    param = F.fourier(40, seed=0)
    parts = (F.jitter(1), F.adam(0.05))
    a = F.ascend(model, F.channel("block3a_expand_conv", 0), param, *parts, steps=2)
    fn = compiled_ascent(model, F.channel("block3a_expand_conv", 5), param, *parts).function
    F.ascend(model, F.channel("block3a_expand_conv", 5), F.fourier(40, seed=2), *parts, steps=4, seed=3)
    F.ascend(model, F.channel("block3a_expand_conv", 1), param, parts[0], F.adam(0.2), steps=3)
    assert fn.experimental_get_tracing_count() == 1        # other channel / seed / steps / rate: no retrace
    assert a.image.shape == (40, 40, 3) and a.final > a.start and not a.stuck
    mix = 0.5 * F.channel(L4, 3) + 0.5 * F.channel(L4, 7)
    b = F.ascend(model, mix, F.pixels(48), None, F.normalized(200.0), steps=5)
    assert b.final > b.start
    c = F.ascend(model, F.class_logit(285), F.fourier(64), F.jitter(2), F.adam(0.05), steps=8)
    assert c.final > c.start + 1


def test_ascend_bad_parts(model):
    with pytest.raises(IndexError, match="480 channels"):
        F.ascend(model, F.channel(L4, 480), F.pixels(32))
    with pytest.raises(IndexError, match="1000 classes"):
        F.ascend(model, F.class_logit(1000), F.pixels(32))
    with pytest.raises(TypeError, match="objective"):
        F.ascend(model, L4, F.pixels(32))
    with pytest.raises(TypeError, match="param"):
        F.ascend(model, F.channel(L4, 1), np.zeros((32, 32, 3)))
    with pytest.raises(TypeError, match="transforms"):
        F.ascend(model, F.channel(L4, 1), F.pixels(32), ["jitter"])
    with pytest.raises(ValueError, match="steps"):
        F.ascend(model, F.channel(L4, 1), F.pixels(32), steps=-1)
    with pytest.raises(KeyError, match="block4b_expand_conv"):
        F.ascend(model, F.channel("block4b_expand_cnv", 1), F.pixels(32))


# --- the presets: contract ------------------------------------------------------------------------

def test_same_seed_same_output_other_seed_differs(model):
    for method, steps in (("classic", 8), ("robust", 4)):
        a = helpers.filter_patterns(model, "block3b_expand_conv", [1, 2], size=64, steps=steps, seed=5,
                                    method=method, cache=False)
        b = helpers.filter_patterns(model, "block3b_expand_conv", [1, 2], size=64, steps=steps, seed=5,
                                    method=method, cache=False)
        c = helpers.filter_patterns(model, "block3b_expand_conv", [1, 2], size=64, steps=steps, seed=6,
                                    method=method, cache=False)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_steps_zero_returns_deprocessed_start(model):
    out = helpers.filter_patterns(model, L4, [0, 9], size=48, steps=0, seed=2)
    expected = F.deprocess(F.start_image(48, 2))
    np.testing.assert_array_equal(out[0], expected)
    np.testing.assert_array_equal(out[1], expected)


@pytest.mark.parametrize("method", ["classic", "robust"])
def test_output_contract_any_size(model, method):
    out = helpers.filter_patterns(model, "block2b_add", [0, 3, 5], size=72, steps=5, method=method)
    assert out.shape == (3, 72, 72, 3) and out.dtype == np.uint8
    assert out.std() > 1                                            # not a blank square
    single = helpers.filter_patterns(model, "block2b_add", 3, size=72, steps=5, method=method)
    np.testing.assert_array_equal(single[0], out[1])                # a filter's pattern ignores its companions


def test_small_maps_give_finite_results(model):
    # top_conv is 4x4 at 128 px: the textbook 2-pixel crop would leave nothing (NaN loss)
    result = helpers.visualize_filters(model, "top_conv", [0, 1], size=128, steps=3)
    assert np.isfinite(result.final_activation).all() and np.isfinite(result.start_activation).all()
    assert (result.final_activation > result.start_activation).all()


def test_bad_input_messages(model):
    with pytest.raises(IndexError, match="480 channels"):
        helpers.filter_patterns(model, L4, 480)
    with pytest.raises(IndexError, match="480 channels"):
        helpers.filter_patterns(model, L4, [0, -1])
    with pytest.raises(ValueError, match="feature"):
        helpers.filter_patterns(model, "predictions", 0)                 # Dense
    with pytest.raises(ValueError, match="feature"):
        helpers.filter_patterns(model, "avg_pool", 0)                    # global average pooling
    with pytest.raises(ValueError, match="size"):
        helpers.filter_patterns(model, L4, 0, size=15)
    with pytest.raises(ValueError, match="method"):
        helpers.filter_patterns(model, L4, 0, method="fancy")
    with pytest.raises(ValueError, match="steps"):
        helpers.filter_patterns(model, L4, 0, steps=-1)
    with pytest.raises(ValueError, match="step must be a positive"):
        helpers.filter_patterns(model, L4, 0, step=float("nan"))
    with pytest.raises(ValueError, match="integer"):
        helpers.filter_patterns(model, L4, [1.5])
    with pytest.raises(KeyError, match="block4b_expand_conv"):
        helpers.filter_patterns(model, "block4b_expand_cnv", 0)


def test_one_compiled_function_per_layer_and_results_cache(model, monkeypatch):
    layer = "block3a_expand_conv"
    helpers.visualize_filters(model, layer, [0], size=40, steps=2)
    fn = compiled_ascent(model, F.channel(layer, 0, border=2), F.pixels(40), None, F.normalized(1.0)).function
    before = fn.experimental_get_tracing_count()
    helpers.visualize_filters(model, layer, [1, 2, 3], size=40, steps=3, seed=1)
    assert fn.experimental_get_tracing_count() == before == 1      # no retracing per filter / steps / seed
    first = helpers.filter_patterns(model, layer, [2, 3], size=40, steps=3, seed=1)
    monkeypatch.setattr(patterns_module, "ascend", lambda *a, **k: pytest.fail("cached result was recomputed"))
    again = helpers.filter_patterns(model, layer, [3, 2], size=40, steps=3, seed=1)
    np.testing.assert_array_equal(again, first[::-1])
    helpers.clear_caches(model)
    with pytest.raises(pytest.fail.Exception, match="recomputed"):   # clear_caches forgot the patterns
        helpers.filter_patterns(model, layer, [2], size=40, steps=3, seed=1)


def test_helpers_agree_with_a_plain_gradient_tape_loop(model):
    """The ~10-line notebook core (eager) and the compiled classic preset give the same picture."""
    layer, f, size, steps = "block3b_expand_conv", 7, 64, 10
    fm = helpers.feature_model(model, [layer], input_shape=(size, size, 3))
    image = tf.constant(F.start_image(size, seed=0)[None])
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(fm(image)[layer][:, 2:-2, 2:-2, f])
        grad = tape.gradient(loss, image)
        image += 10 * 127.5 * grad / (tf.norm(grad) + 1e-12)
    ours = F.deprocess(image[0].numpy())
    theirs = helpers.filter_patterns(model, layer, f, size=size, steps=steps, seed=0, cache=False)[0]
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 2, (diff.mean(), diff.max())


# --- the presets: quality --------------------------------------------------------------------------

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


def test_robust_beats_classic_on_the_full_map_and_is_smoother(model):
    """At 128 px the classic crop counts only the central 4x4 of the 8x8 map; robust drives all of
    it (measured: 18..25 vs 12..14 on these filters)."""
    filters = [10, 20, 30, 40]
    classic = helpers.filter_patterns(model, L4, filters, size=128, steps=30)
    robust = helpers.filter_patterns(model, L4, filters, size=128, steps=30, method="robust")
    full = {name: np.diag(F.filter_activations(model, L4, p, border=0)[:, filters])
            for name, p in (("classic", classic), ("robust", robust))}
    assert np.all(full["robust"] > 1.2 * full["classic"]), full

    def high_freq(p):  # share of each picture's (gray, mean-removed) power above 1/4 cycle per pixel
        p = p.astype(float)
        g = p.mean(-1) - p.mean(axis=(1, 2, 3))[:, None, None]
        power = np.abs(np.fft.fft2(g)) ** 2
        f = np.hypot(*np.meshgrid(np.fft.fftfreq(128), np.fft.fftfreq(128)))
        return power[:, f > 0.25].sum(1) / power.sum((1, 2))
    assert np.all(high_freq(robust) < 0.5 * high_freq(classic))


def test_robust_pattern_fills_the_frame(model):
    """The whole-map objective drives the border of the map too: the outer ring of the 8x8 map
    responds about as strongly as its centre (the old cropped objective left it far behind)."""
    p = helpers.filter_patterns(model, L4, [1, 3], size=128, steps=30, method="robust")
    maps = helpers.feature_model(model, [L4], input_shape=(128, 128, 3))(p.astype(np.float32))[L4].numpy()
    for i, f in enumerate([1, 3]):
        m = maps[i, :, :, f]
        ring = np.concatenate([m[0], m[-1], m[1:-1, 0], m[1:-1, -1]])
        assert ring.mean() > 0.5 * m[2:-2, 2:-2].mean() > 0, m.round(1)


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
    assert F.preactivation_layer(model, L4) == L4


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
    w = np.transpose(vgg.get_layer("block1_conv1").kernel.numpy(), (3, 0, 1, 2))[..., ::-1]
    assert np.abs(k - (0.5 + 0.5 * w / np.abs(w).max(axis=(1, 2, 3), keepdims=True)) * 255).max() <= 0.51


# --- drawing and widget ----------------------------------------------------------------------------

def test_filter_atlas_saves_png(model, tmp_path):
    import matplotlib.pyplot as plt

    path = tmp_path / "atlas.png"
    fig, result = helpers.filter_atlas(model, "block2a_expand_conv", n=6, size=32, steps=3, ncols=3, path=path)
    assert result.patterns.shape == (6, 32, 32, 3) and result.filters == tuple(range(6))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 6
    plt.close(fig)
    with pytest.raises(ValueError, match="n must be"):
        helpers.filter_atlas(model, "block2a_expand_conv", n=0)


def test_explorer_wiring(model):
    from helpers.widgets import filter_explorer
    ex = filter_explorer(model, size=32, steps=3, atlas_filters=4)
    labels = dict((v, k) for k, v in ex.layer.options)
    assert "(480 filters)" in labels[L4]
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


def test_explorer_hands_slow_work_to_its_runner(model):
    """runner(slot, work) receives every ascent and atlas the controls ask for; nothing runs until it
    calls work() (the classroom's worker pool calls it later, in a worker thread)."""
    from helpers.widgets import filter_explorer

    queued = []
    ex = filter_explorer(model, size=32, steps=3, atlas_filters=2,
                         runner=lambda slot, work: queued.append((slot, work)))
    first = ex.result                                     # the first pattern is drawn at once
    assert first.filters == (0,) and queued == []
    ex.filter.value = 7
    ex.atlas_button.click()
    assert [slot for slot, _ in queued] == ["redraw", "atlas"] and ex.result is first
    for _slot, work in queued:
        work()
    assert ex.result.filters == (7,) and ex.atlas_result.patterns.shape == (2, 32, 32, 3)
    with pytest.raises(TypeError, match="runner"):
        filter_explorer(model, size=32, steps=3, runner="pool")


def test_grayscale_model_gets_grey_patterns():
    """A 1-channel model sees the luma of the optimised image; the pattern shows exactly that."""
    import keras

    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(4, 3, name="c1"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    patterns = helpers.filter_patterns(model, "c1", [0, 1], size=32, steps=5)
    assert patterns.shape == (2, 32, 32, 3) and patterns.dtype == np.uint8
    assert np.array_equal(patterns[..., 0], patterns[..., 1]) and np.array_equal(patterns[..., 1], patterns[..., 2])
    assert patterns.std() > 0


def test_steps_and_model_are_checked_at_the_boundary(model):
    with pytest.raises(ValueError, match="steps"):
        helpers.filter_patterns(model, "block2a_expand_conv", [0], size=32, steps=2**31)
    with pytest.raises(TypeError, match="load_model"):
        helpers.filter_patterns("efficientnet_lite0", "block2a_expand_conv", [0])
