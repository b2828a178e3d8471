"""helpers.filters.patterns: filter_patterns() and its presets -- the contract, determinism, quality
(each pattern drives its own filter), the ReLU redirect and other models."""

from __future__ import annotations

import numpy as np
import pytest

import helpers
from helpers import filters as F
from helpers.filters import patterns as patterns_module
from helpers.filters.render import compiled_ascent
from helpers.validation import IndexTypeError

MIDDLE = "block5b_add"  # middle of the network (block 10 of 16), 8x8 maps at 128 px


L4 = "block4b_expand_conv"


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
    with pytest.raises(IndexTypeError, match="integer"):                  # an index of the wrong type
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

