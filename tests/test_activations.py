"""Tests of helpers.activations, its pure maths, the explorer widget and notebook 1."""
import datetime
import warnings

import keras
import numpy as np
import pytest

import helpers
from helpers.activations import default_layers, resolve_layers
from helpers.plotting import tile_origin


# --------------------------------------------------------------------------- pure maths
def test_normalize_channel_is_the_textbook_standardisation():
    rng = np.random.default_rng(1)
    maps = rng.normal(3.0, 0.5, size=(6, 5, 4))
    out = helpers.normalize(maps, "channel")
    assert out.dtype == np.uint8 and out.shape == maps.shape
    for k in range(4):
        c = maps[..., k]
        expected = np.clip(np.rint((c - c.mean()) / c.std() * 64 + 128), 0, 255)
        np.testing.assert_array_equal(out[..., k], expected)


def test_normalize_layer_and_global_ranges():
    maps = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5.0  # -5 .. 18
    layer = helpers.normalize(maps, "layer")
    assert layer.min() == 0 and layer.max() == 255
    # hand-computed: value v -> (v + 5) / 23 * 255
    assert layer[0, 0, 1] == round((1 - 5 + 5) / 23 * 255)
    other = np.full((2, 3, 4), 40.0)
    other[0, 0, 0] = -10.0
    acts = {"a": maps, "b": other}
    lo, hi = helpers.value_range(acts)
    assert (lo, hi) == (-10.0, 40.0)
    ga = helpers.normalize(maps, "global", value_range=(lo, hi))
    gb = helpers.normalize(other, "global", value_range=(lo, hi))
    assert ga.max() < 255 and ga.min() > 0  # this layer uses only part of the shared scale
    assert gb.max() == 255 and gb.min() == 0
    assert ga[0, 0, 0] == round((-5 + 10) / 50 * 255)
    # the channel mode centres every non-constant channel around 128
    ch = helpers.normalize(maps + np.arange(4) * 100, "channel")
    assert np.all(np.abs(ch.reshape(-1, 4).mean(0) - 128) < 2)


def test_normalize_dead_and_constant_channels_no_nan_no_warnings():
    maps = np.zeros((4, 4, 3), np.float32)
    maps[..., 1] = 2.5  # constant but alive
    maps[..., 2] = np.arange(16).reshape(4, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for mode in ("channel", "layer", "global"):
                out = helpers.normalize(maps, mode, value_range=(0.0, 15.0))
                assert out.dtype == np.uint8
                assert np.all(out[..., 0] == 0), mode  # dead channel: blank
            assert np.all(helpers.normalize(maps, "channel")[..., 1] == 0)  # constant: no contrast, blank
            assert np.all(helpers.normalize(maps, "layer")[..., 1] == round(2.5 / 15 * 255))
            allzero = helpers.normalize(np.zeros((3, 3, 2)), "layer")
            assert np.all(allzero == 0)
            assert helpers.count_dead(maps) == 1
            assert helpers.sparsity(maps) == pytest.approx((16 + 1) / 48)


def test_normalize_bad_arguments():
    with pytest.raises(ValueError, match="'channel', 'layer', 'global'"):
        helpers.normalize(np.zeros((2, 2, 1)), "per-pixel")
    with pytest.raises(ValueError, match="value_range"):
        helpers.normalize(np.zeros((2, 2, 1)), "global")
    with pytest.raises(ValueError, match="height, width, channels"):
        helpers.normalize(np.zeros((2, 2)), "layer")


def test_dead_channels_and_sparsity_hand_computed():
    maps = np.array([[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
                     [[0.0, 0.0, 0.0], [0.0, 3.0, -1.0]]])  # (2, 2, 3)
    np.testing.assert_array_equal(helpers.dead_channels(maps), [True, False, False])
    assert helpers.sparsity(maps) == pytest.approx(9 / 12)
    assert helpers.sparsity_by_layer({"x": maps, "y": np.ones((1, 1, 2))}) == {"x": 0.75, "y": 0.0}
    # a batch: dead only when dead on every image
    batch = np.stack([maps, np.ones_like(maps)])
    assert helpers.count_dead(batch) == 0


# --------------------------------------------------------------------------- the technique
def test_activations_equal_a_direct_sub_model(default_model, cat_224):
    names = ["stem_conv", "block2a_expand_activation", "block2a_dwconv", "block4b_expand_conv", "top_conv"]
    acts = helpers.activations(default_model, cat_224, names)
    sub = keras.Model(default_model.inputs, [default_model.get_layer(n).output for n in names])
    direct = sub.predict(cat_224[None].astype(np.float32), verbose=0)
    assert list(acts) == names
    for name, ref in zip(names, direct):
        assert acts[name].dtype == np.float32
        assert acts[name].shape == ref.shape[1:]
        assert np.abs(acts[name] - ref[0]).max() <= 1e-5, name


def test_activations_default_layers_keys_order_shapes(default_model, cat_224):
    acts = helpers.activations(default_model, cat_224)
    expected = helpers.layer_names(default_model, kinds=("conv", "pool"), with_shapes=True)
    assert [(k, v.shape) for k, v in acts.items()] == [(n, tuple(s)) for n, s in expected]
    assert list(acts)[0] == "stem_conv" and acts["stem_conv"].shape == (112, 112, 32)
    assert "block1a_dwconv" in acts  # depthwise convolutions count
    assert all(default_model.get_layer(n).__class__.__name__ != "Dense" for n in acts)
    assert all(np.isfinite(v).all() for v in acts.values())


def test_activations_forward_order_dedup_and_batch(default_model, cat_224):
    acts = helpers.activations(default_model, cat_224, ["top_conv", "stem_conv", "top_conv"])
    assert list(acts) == ["stem_conv", "top_conv"]
    flipped = cat_224[:, ::-1]
    batch = helpers.activations(default_model, np.stack([cat_224, flipped]), "block2a_expand_activation")
    b = batch["block2a_expand_activation"]
    assert b.shape == (2, 112, 112, 96) and b.dtype == np.float32
    single = helpers.activations(default_model, flipped, ["block2a_expand_activation"])
    np.testing.assert_allclose(b[1], single["block2a_expand_activation"], atol=1e-5)
    # an image of another size is resized to the model's input first
    big = helpers.load_image("chelsea", size=300)
    assert helpers.activations(default_model, big, "stem_conv")["stem_conv"].shape == (112, 112, 32)


def test_activations_uses_one_cached_compiled_pass(default_model, cat_224):
    from helpers.features import feature_fn

    names = ("stem_conv", "block1a_dwconv")
    helpers.activations(default_model, cat_224, list(names))
    fn = feature_fn(default_model, names)  # the compiled pass activations() used
    helpers.activations(default_model, cat_224[::-1], list(names))
    assert feature_fn(default_model, names) is fn
    assert fn.experimental_get_tracing_count() == 1  # compiled once, not retraced per call
    # zero-copy hand-over: read-only views (a cached result cannot be changed by accident), and
    # separate calls share no memory
    first = helpers.activations(default_model, cat_224, list(names))
    with pytest.raises(ValueError, match="read-only"):
        first["stem_conv"][:] = 0.0
    again = helpers.activations(default_model, cat_224, (n for n in names))  # any iterable of names
    assert not np.shares_memory(first["stem_conv"], again["stem_conv"]) and list(again) == list(names)
    np.testing.assert_array_equal(first["stem_conv"], again["stem_conv"])


def test_activations_bad_input(default_model, cat_224):
    with pytest.raises(KeyError, match="stem_conv"):
        helpers.activations(default_model, cat_224, ["stem_cnv"])
    with pytest.raises(ValueError, match="not a grid of feature maps"):
        helpers.activations(default_model, cat_224, ["predictions"])
    with pytest.raises(ValueError, match="not a grid of feature maps"):
        helpers.activations(default_model, cat_224, ["avg_pool"])  # global pooling: no spatial output
    with pytest.raises(ValueError, match=r"\(H, W, 3\).*\(224, 224, 2\)"):
        helpers.activations(default_model, cat_224[..., :2])
    # a grey picture is read as load_image reads it: the grey value in all three channels
    grey = helpers.activations(default_model, cat_224[..., 0], ["stem_conv"])["stem_conv"]
    rgb = helpers.activations(default_model, np.repeat(cat_224[..., :1], 3, axis=2), ["stem_conv"])["stem_conv"]
    np.testing.assert_allclose(grey, rgb, atol=1e-5)
    with pytest.raises(ValueError, match="empty"):
        helpers.activations(default_model, cat_224, [])


def _small_base():
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 255.0, name="scale")(inputs)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(x)
    x = keras.layers.MaxPooling2D(name="p1")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = keras.layers.Conv2D(6, 3, name="c2")(x)
    return keras.Model(inputs, x, name="base")


def test_activations_nested_backbone():
    keras.utils.set_random_seed(0)
    base = _small_base()
    model = keras.Sequential([keras.Input((32, 32, 3)), base, keras.layers.GlobalAveragePooling2D(name="gap"),
                              keras.layers.Dense(2, name="head")])
    image = np.random.default_rng(3).integers(0, 256, (32, 32, 3)).astype(np.uint8)
    acts = helpers.activations(model, image)
    assert list(acts) == ["c1", "p1", "dw", "c2"]
    assert [a.shape for a in acts.values()] == [(32, 32, 4), (16, 16, 4), (16, 16, 4), (14, 14, 6)]
    sub = keras.Model(base.inputs, [base.get_layer(n).output for n in acts])
    direct = sub.predict(image[None].astype(np.float32), verbose=0)
    for (name, a), ref in zip(acts.items(), direct):
        assert np.abs(a - ref[0]).max() <= 1e-5, name
    with pytest.raises(ValueError, match="head"):
        helpers.activations(model, image, ["head"])
    with pytest.raises(KeyError, match="c2"):
        helpers.activations(model, image, ["c3"])


def test_activations_sequential_model_matches_layer_by_layer():
    keras.utils.set_random_seed(1)
    layers = [keras.layers.Conv2D(3, 3, activation="relu", name="conv_a"),
              keras.layers.AveragePooling2D(2, name="pool_a"),
              keras.layers.Conv2D(5, 3, padding="same", name="conv_b"),
              keras.layers.Flatten(name="flat"), keras.layers.Dense(3, name="dense")]
    model = keras.Sequential([keras.Input((20, 20, 3)), *layers])
    image = np.random.default_rng(4).random((20, 20, 3)).astype(np.float32) * 255
    acts = helpers.activations(model, image)
    assert list(acts) == ["conv_a", "pool_a", "conv_b"]
    x = image[None]
    for layer in layers[:3]:  # independent computation: call the layers one by one
        x = np.asarray(layer(x))
        assert np.abs(acts[layer.name] - x[0]).max() <= 1e-5
    assert resolve_layers(model, None) == tuple(default_layers(model))


# --------------------------------------------------------------------------- display + widget
def test_shrink_maps_is_area_averaging():
    from helpers.activations import shrink_maps

    x = np.random.default_rng(5).random((12, 8, 9)).astype(np.float32)
    np.testing.assert_allclose(shrink_maps(x, (3, 2)), x.reshape(3, 4, 2, 4, 9).mean(axis=(1, 3)), atol=1e-6)
    u = (x * 255).astype(np.uint8)
    assert shrink_maps(u, (6, 4)).dtype == np.uint8
    assert shrink_maps(x, (12, 8)) is x


def test_plots_run_and_mark_dead_channels(default_model, cat_224):
    import matplotlib.pyplot as plt

    from helpers.plotting import mosaic_rgb, plot_sparsity, show_layers_overview, show_mosaic

    maps = np.random.default_rng(6).random((10, 10, 5)).astype(np.float32)
    maps[..., 3] = 0.0
    rgb, dead = mosaic_rgb(maps, "channel")
    assert rgb.dtype == np.uint8 and rgb.shape == (10, 54, 3)  # 5 tiles in one row, 1-px white gaps
    assert dead.tolist() == [False, False, False, True, False]
    y, x = tile_origin(3, maps.shape)
    assert np.all(rgb[y:y + 10, x:x + 10] == 225)  # the dead tile is light grey, not a colour of the map
    assert np.all(rgb[:, 10] == 255)  # the gap column is white
    acts = helpers.activations(default_model, cat_224, ["stem_activation", "block2a_expand_activation", "top_conv"])
    fig1 = show_mosaic(acts["stem_activation"], "layer", channel=3, title="stem")
    assert len(fig1.axes) == 4  # mosaic, the chosen channel, the mosaic's colour bar, the channel's
    assert np.array_equal(fig1.axes[1].images[0].get_array(), acts["stem_activation"][..., 3])
    fig2 = show_layers_overview(acts)
    labels = [ax.get_ylabel() for ax in fig2.axes[:3]]  # the rows (then the colour bar)
    assert labels == ["stem_activation\n112x112x32", "block2a_expand_activation\n112x112x96", "top_conv\n7x7x1280"]
    sp = helpers.sparsity_by_layer(acts)
    fig3 = plot_sparsity(sp, {k: helpers.dead_channels(v).mean() for k, v in acts.items()})
    np.testing.assert_allclose(fig3.axes[0].lines[0].get_ydata(), list(sp.values()))
    for f in (fig1, fig2, fig3):
        plt.close(f)


def _forget_explorer_maps(model):
    """Empty the explorers' shared store of feature maps (other tests fill it for the same model)."""
    from helpers.widgets.maps import maps_store

    maps_store(model).clear()


def test_explorers_of_one_model_share_one_bounded_store_of_maps(default_model):
    from helpers.widgets import activation_explorer
    from helpers.widgets.maps import maps_store

    _forget_explorer_maps(default_model)
    layers = ["stem_conv", "block2a_expand_activation"]     # 112x112x32 + 112x112x96 float32 = 6.125 MiB
    first = activation_explorer(default_model, "chelsea", layers=layers)
    second = activation_explorer(default_model, "chelsea", layers=layers)   # another student, same photo
    assert (first.forward_count, second.forward_count) == (1, 0)
    assert second.view.value == first.view.value
    held = maps_store(default_model)
    assert len(held) == 1 and held.bytes == 112 * 112 * (32 + 96) * 4
    with pytest.raises(ValueError, match="read-only"):       # one student cannot scribble on another's maps
        second._activations_for(second.picker.image)[1][0]["stem_conv"][0, 0, 0] = 1.0


def test_an_uploaded_picture_is_never_shared_between_explorers(default_model):
    """Bundled photos share one pass; an upload's maps are its explorer's own, so one student
    cannot time whether another uploaded the same picture."""
    import datetime

    import cv2

    from helpers.widgets import activation_explorer

    _forget_explorer_maps(default_model)
    layers = ["stem_conv"]
    ann, bob = (activation_explorer(default_model, "coffee", layers=layers) for _ in range(2))
    assert (ann.forward_count, bob.forward_count) == (1, 0)
    photo = np.zeros((60, 90, 3), np.uint8)
    photo[:, :45] = (200, 30, 30)
    entry = {"name": "mine.png", "type": "image/png", "size": 0,
             "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
             "content": memoryview(cv2.imencode(".png", photo[..., ::-1])[1].tobytes())}
    ann.picker.upload.value = (entry,)
    bob.picker.upload.value = (dict(entry),)
    assert (ann.forward_count, bob.forward_count) == (2, 1)  # the same bytes: two forward passes
    assert ann.view.value == bob.view.value                  # and the same picture
    ann.picker.upload.value = (dict(entry),)                 # ann's own again: her cached maps
    assert ann.forward_count == 2


def test_the_explorers_store_of_maps_is_bounded_in_bytes():
    import keras

    from helpers._cache import store
    from helpers.widgets import activation_explorer
    from helpers.widgets.maps import STORE

    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(8, 3, name="conv")(inputs))
    one = 30 * 30 * 8 * 4                                     # one photo's maps, float32
    held = store(model, STORE, max_bytes=2.5 * one)            # room for two photos
    explorers = [activation_explorer(model, photo) for photo in ("chelsea", "coffee", "astronaut", "rocket")]
    assert [e.forward_count for e in explorers] == [1, 1, 1, 1]
    assert len(held) == 2 and held.bytes == 2 * one            # the two oldest photos were evicted
    explorers[0].picker.dropdown.value = "rocket"              # still held: no forward pass
    explorers[3].picker.dropdown.value = "chelsea"             # evicted: computed again
    assert explorers[0].forward_count == 1 and explorers[3].forward_count == 2


def test_explorer_wiring_redraws_without_recomputing(default_model):
    from helpers.widgets import activation_explorer

    _forget_explorer_maps(default_model)
    ex = activation_explorer(default_model, layer="block2a_expand_activation")
    assert ex.forward_count == 1 and len(ex.render_log) == 1
    assert ex.channel.max == 95 and ex.view.value[:4] == b"\x89PNG"
    assert any("block2a_expand_activation" in label and "112x112x96" in label for label, _ in ex.layer.options)
    first_png = ex.view.value
    ex.channel.value = 7
    key, layer, channel, mode = ex.render_log[-1]
    assert (layer, channel, mode) == ("block2a_expand_activation", 7, "channel")
    assert ex.view.value != first_png and ex.forward_count == 1
    ex.channel.value = 40
    n = len(ex.render_log)
    ex.layer.value = "stem_conv"  # 32 channels: the slider's max follows, the value is clamped
    assert ex.channel.max == 31 and ex.channel.value == 31
    assert len(ex.render_log) == n + 1 and ex.render_log[-1][1:] == ("stem_conv", 31, "channel")
    ex.norm.value = "global"
    assert ex.render_log[-1][1:] == ("stem_conv", 31, "global")
    ex.layer.value = "top_activation"
    assert ex.channel.max == 1279 and ex.render_log[-1][1] == "top_activation"
    assert ex.forward_count == 1  # no control above recomputed the forward pass
    ex.picker.dropdown.value = "coffee"
    assert ex.forward_count == 2 and ex.render_log[-1][0] != key
    ex.picker.dropdown.value = "chelsea"  # cached: no new forward pass
    assert ex.forward_count == 2 and ex.render_log[-1][0] == key
    assert "dead" in ex.info.value and ex.status.value == ""


def test_explorer_shows_errors_and_stays_usable(default_model):
    from helpers.widgets import activation_explorer

    _forget_explorer_maps(default_model)
    ex = activation_explorer(default_model, layers=["stem_conv", "block1a_dwconv"])
    assert [v for _, v in ex.layer.options] == ["stem_conv", "block1a_dwconv"]
    assert ex.render(channel=999) is None
    assert "out of range" in ex.status.value
    n = len(ex.render_log)
    ex.picker.upload.value = ({"name": "notes.txt", "type": "text/plain", "size": 5, "content": b"hello",
                               "last_modified": datetime.datetime(2024, 1, 1)},)
    assert "not an image" in ex.picker.status.value
    assert ex.forward_count == 1
    ex.channel.value = 3  # still alive
    assert len(ex.render_log) == n + 1 and ex.status.value == ""
    with pytest.raises(KeyError, match="stem_conv"):
        activation_explorer(default_model, layer="stem_cnv")
    with pytest.raises(ValueError, match="not a grid of feature maps"):
        activation_explorer(default_model, layers=["stem_conv", "predictions"])
    own = activation_explorer(default_model, image=np.zeros((50, 80, 3), np.uint8), layers=["stem_conv"])
    assert own.render_log[-1][1:] == ("stem_conv", 0, "channel") and own.channel.max == 31
    assert "(224, 224, 3)" in own.render_log[-1][0]  # resized to the model's input
    assert "dead" in own.info.value  # a black image: no NaN, dead channels counted


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e300])
def test_normalize_refuses_maps_that_are_not_finite_float32(bad):
    maps = np.ones((4, 4, 3))
    maps[1, 1, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        helpers.normalize(maps, "channel")


def test_kind_ranges_on_hand_made_maps():
    from helpers.activations import kind_ranges

    acts = {"c": np.array([[[-3.0, 50.0]]]), "a": np.array([[[0.0, 6.0]]]), "p": np.array([[[1.0]]]),
            "a2": np.array([[[0.5, 2.0]]])}
    kinds = {"c": "conv", "a": "activation", "p": "pool", "a2": "activation"}
    assert kind_ranges(acts, kinds) == {"conv": (-3.0, 50.0), "activation": (0.0, 6.0), "pool": (1.0, 1.0)}
    with pytest.raises(KeyError, match="'a2'"):
        kind_ranges(acts, {"c": "conv", "a": "activation", "p": "pool"})


def test_explorer_global_scale_is_shared_by_the_layers_of_one_kind(default_model):
    """'global' compares like with like: conv outputs reach far beyond ReLU6's ceiling of 6, so one scale over
    both would leave every activation layer near-blank."""
    from helpers.widgets import activation_explorer

    ex = activation_explorer(default_model, "chelsea", layer="block4a_expand_activation",
                             normalization="global")
    acts = helpers.activations(default_model, helpers.load_image("chelsea", size=224), ex.layers)
    act_layers = [n for n in ex.layers if ex.kinds[n] == "activation"]
    conv_layers = [n for n in ex.layers if ex.kinds[n] == "conv"]
    assert act_layers and conv_layers
    hi_act = max(float(acts[n].max()) for n in act_layers)
    hi_conv = max(float(np.abs(acts[n]).max()) for n in conv_layers)
    assert hi_act <= 6.0 + 1e-4 < 10 < hi_conv            # why one scale for all would flatten them
    assert f"global scale of the {len(act_layers)} activation layers: " in ex.info.value
    assert f"to {hi_act:.3g}" in ex.info.value
    assert ex.render_log[-1][1:] == ("block4a_expand_activation", 0, "global")
    ex.layer.value = "block4a_expand_conv"
    assert f"global scale of the {len(conv_layers)} conv layers: " in ex.info.value
