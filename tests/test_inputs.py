"""Every input a learner can give either works or is refused clearly.

A table of bad inputs -- (what is called, the exception expected, a word its message must
contain), in the style of tf-keras-vis's ``(input, expected_error)`` tables -- with a row for each
class of mistake, and property-based tests (Hypothesis): whatever array Hypothesis draws,
``load_image`` / ``overlay`` / ``normalize`` either give a valid picture or raise a contract error.
"""
import functools
import struct
import zlib

import cv2
import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from kit import conv_classifier

import helpers
from helpers import cam
from helpers import models as M
from helpers import validation as V
from helpers.cam.engine import engine
from helpers.cam.saliency import input_grad_fn
from helpers.widgets import activation_explorer, gradcam_explorer

CONTRACT = (ValueError, TypeError, KeyError, IndexError, FileNotFoundError)
IMG = np.zeros((16, 16, 3), np.uint8)


def _net(shape=(16, 16, 3), units=3, activation=None, data_format="channels_last", inputs=1, outputs=1):
    ins = [keras.Input(shape) for _ in range(inputs)]
    x = ins[0] if inputs == 1 else keras.layers.Add()(ins)
    x = keras.layers.Conv2D(2, 3, data_format=data_format, name="conv")(x)
    x = keras.layers.GlobalAveragePooling2D(data_format=data_format)(x)
    outs = [keras.layers.Dense(units, activation=activation)(x) for _ in range(outputs)]
    return keras.Model(ins if inputs > 1 else ins[0], outs if outputs > 1 else outs[0])


def _cam_net(shape=(32, 32, 3), units=3, keep_pooled=False, name="camnet"):
    """conv1 (linear: not in cam_layers' list, but gradcam() accepts it) -> conv2 (ReLU) -> global
    average pooling (``keep_pooled``: kept as a 1 x 1 map, layer 'pooled') -> Dense."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input(shape)
    x = keras.layers.Conv2D(4, 3, name="conv1")(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv2")(x)
    if keep_pooled:
        x = keras.layers.Flatten()(keras.layers.GlobalAveragePooling2D(keepdims=True, name="pooled")(x))
    else:
        x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, keras.layers.Dense(units, name="dense")(x), name=name)


def _strided_open_net():
    """An open-size model with five stride-2 stages: a 32 px image leaves a 1 x 1 map at the end."""
    layers = [keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu") for _ in range(5)]
    return keras.Sequential([keras.Input((None, None, 3)), *layers, keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(3)])


PHOTO32 = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype(np.uint8)


def _bomb() -> bytes:
    ok, buf = cv2.imencode(".png", np.zeros((2, 2), np.uint8))
    data = bytearray(buf.tobytes())
    data[16:24] = struct.pack(">II", 60000, 60000)  # the header claims 60000 x 60000
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


BAD_INPUTS = [  # (id, call, expected exception, a word the message must contain)
    # images: sources, pixel ranges, sizes, decompression bombs
    ("misspelt photo", lambda: helpers.load_image("chelsee"), FileNotFoundError, "bundled"),
    ("not an image source", lambda: helpers.load_image(12345), TypeError, "path"),
    ("negative floats", lambda: helpers.load_image(np.full((4, 4, 3), -0.5)), ValueError, "0..255"),
    ("preprocessed -1..1", lambda: helpers.predict(helpers.load_model(), np.linspace(-1, 1, 12).reshape(2, 2, 3)),
     ValueError, "preprocessed"),
    ("16-bit values in int32", lambda: helpers.load_image(np.full((4, 4), 4000, np.int32)), ValueError, "uint16"),
    ("floats above 255", lambda: helpers.load_image(np.full((4, 4), 300.0)), ValueError, "0..255"),
    ("NaN pixels", lambda: M.prepare(_net(), np.full((16, 16, 3), np.nan)), ValueError, "NaN"),
    ("strings as pixels", lambda: M.prepare(_net(), np.array([["a"]])), TypeError, "numbers"),
    ("size 10**6", lambda: helpers.load_image(IMG, size=10 ** 6), ValueError, "4096"),
    ("size (None, 224)", lambda: helpers.load_image(IMG, size=(None, 224)), ValueError, "height and width"),
    ("size as text", lambda: helpers.load_image(IMG, size="big"), TypeError, "size"),
    ("60000 x 60000 header", lambda: helpers.load_image(_bomb()), ValueError, "megapixels"),
    ("text file", lambda: helpers.load_image(b"hello, not pixels"), ValueError, "not an image"),
    # models: a name where a model belongs, unsupported shapes, heads
    ("model name for a model", lambda: helpers.predict("efficientnet_lite0", IMG), TypeError, "load_model"),
    ("two inputs", lambda: helpers.predict(_net(inputs=2), IMG), ValueError, "inputs"),
    ("two outputs", lambda: helpers.predict(_net(outputs=2), IMG), ValueError, "outputs"),
    ("channels first", lambda: helpers.predict(_net((3, 16, 16), data_format="channels_first"), IMG),
     ValueError, "channels first"),
    ("four channels", lambda: helpers.predict(_net((16, 16, 4)), IMG), ValueError, "grayscale"),
    ("4x4 image, open-size model", lambda: helpers.predict(_net((None, None, 3)), np.zeros((4, 4, 3), np.uint8)),
     ValueError, "32"),
    ("softmax still on the model", lambda: helpers.logits(_net(activation="softmax"), IMG), ValueError, "logits"),
    ("regression head", lambda: helpers.predict(_net(units=1), IMG), ValueError, "regression"),
    ("unknown model", lambda: helpers.load_model("alexnet"), ValueError, "efficientnet_lite0"),
    ("model of a wrong type", lambda: helpers.load_model(3.5), TypeError, "keras.Model"),
    ("options for a built-in model", lambda: helpers.load_model("efficientnet_lite0", preprocess="tf"),
     ValueError, "built-in"),
    ("class names as one string", lambda: helpers.register_model(_net(units=10), "m", "abcdefghij"),
     TypeError, "one string"),
    ("too few class names", lambda: helpers.register_model(_net(units=3), "m", ["a", "b"]), ValueError, "3 classes"),
    # arguments: integers, bounds, class indices, choices
    ("top=0", lambda: helpers.predict(helpers.load_model(), IMG, top=0), ValueError, "top"),
    ("top='3'", lambda: helpers.predict(helpers.load_model(), IMG, top="3"), TypeError, "integer"),
    ("steps=2**31", lambda: V.check_int("steps", 2 ** 31, 1, V.MAX_STEPS), ValueError, "10000"),
    ("class index out of range", lambda: M.check_class_index(_net(units=3), 3), IndexError, "0..2"),
    ("class name the model lacks", lambda: M.check_class_index(_net(units=3), "cat"), ValueError, "0..2"),
    ("class index 2.0", lambda: M.check_class_index(_net(units=3), 2.0), TypeError, "integer"),
    ("layer kind 'convolution'", lambda: V.check_kinds("convolution", ("conv", "pool", "activation")),
     ValueError, "'conv'"),
    # explorers: choices that used to escape as traitlets.TraitError or be clamped silently
    ("explorer colormap", lambda: activation_explorer(_net(), cmap="rainbowz"), ValueError, "viridis"),
    ("explorer layer", lambda: activation_explorer(_net(), layer=3), ValueError, "conv"),
    ("explorer channel", lambda: activation_explorer(_net(), channel=9), IndexError, "0..1"),
    # CAM: the model, the class, the layer, the method, the counts (the same checks, through helpers.cam)
    ("model name to gradcam", lambda: helpers.gradcam("efficientnet_lite0", IMG), TypeError, "load_model"),
    ("model name to saliency", lambda: helpers.gradient_saliency("efficientnet_lite0", IMG), TypeError, "load_model"),
    ("model name to the sanity check", lambda: cam.cascading_randomization("efficientnet_lite0"),
     TypeError, "load_model"),
    ("regression head to gradcam", lambda: helpers.gradcam(_cam_net(units=1), PHOTO32), ValueError, "regression"),
    ("softmax still on, gradcam", lambda: helpers.gradcam(_net(activation="softmax"), IMG), ValueError, "logits"),
    ("softmax still on, saliency", lambda: helpers.smoothgrad(_net(activation="softmax"), IMG), ValueError, "logits"),
    ("gradcam class out of range", lambda: helpers.gradcam(_cam_net(), PHOTO32, 3), IndexError, "0..2"),
    ("gradcam class name not a class", lambda: helpers.gradcam(_cam_net(), PHOTO32, "tiger cat"), ValueError, "0..2"),
    ("heatmap class out of range", lambda: cam.heatmap(cam.context(_cam_net(), PHOTO32), np.array(7)),
     IndexError, "0..2"),
    ("1x1 layer after global pooling", lambda: helpers.gradcam(_cam_net(keep_pooled=True), PHOTO32, 0, "pooled"),
     ValueError, "1 x 1"),
    ("open-size model, tiny image", lambda: helpers.gradcam(_strided_open_net(), np.zeros((4, 4, 3), np.uint8), 0),
     ValueError, "32"),
    ("open-size model, 1x1 map at 32 px", lambda: helpers.gradcam(_strided_open_net(), PHOTO32, 0),
     ValueError, "1 x 1"),
    ("gradcam layer as a number", lambda: helpers.gradcam(_cam_net(), PHOTO32, 0, layer=3), KeyError, "string"),
    ("gradcam Dense layer", lambda: helpers.gradcam(_cam_net(), PHOTO32, 0, layer="dense"), ValueError, "feature"),
    ("unknown method", lambda: helpers.gradcam(_cam_net(), PHOTO32, 0, method="lime"), ValueError, "'scorecam'"),
    ("smoothgrad samples=2**31", lambda: helpers.smoothgrad(_cam_net(), PHOTO32, 0, samples=2 ** 31),
     ValueError, "10000"),
    ("smoothgrad samples=2.5", lambda: helpers.smoothgrad(_cam_net(), PHOTO32, 0, samples=2.5), TypeError, "integer"),
    ("smoothgrad noise=nan", lambda: helpers.smoothgrad(_cam_net(), PHOTO32, 0, noise=float("nan")),
     ValueError, "noise"),
    ("integrated gradients steps=0", lambda: helpers.integrated_gradients(_cam_net(), PHOTO32, 0, steps=0),
     ValueError, "positive"),
    ("integrated gradients steps=10**5", lambda: cam.attributions(_cam_net(), PHOTO32, 0, steps=10 ** 5),
     ValueError, "10000"),
    ("integrated gradients baseline=-5", lambda: cam.attributions(_cam_net(), PHOTO32, 0, baseline=-5),
     ValueError, "baseline"),
    ("sanity check steps=-1", lambda: cam.cascading_randomization(_cam_net(), steps=-1), ValueError, "steps"),
    # the Grad-CAM explorer: the same checks, never a traitlets.TraitError
    ("gradcam explorer model name", lambda: gradcam_explorer("efficientnet_lite0"), TypeError, "load_model"),
    ("gradcam explorer layer=3", lambda: gradcam_explorer(_cam_net(), PHOTO32, layer=3), ValueError, "'conv2'"),
    ("gradcam explorer unknown layer", lambda: gradcam_explorer(_cam_net(), PHOTO32, layer="conv3"),
     KeyError, "conv2"),
    ("gradcam explorer Dense layer", lambda: gradcam_explorer(_cam_net(), PHOTO32, layer="dense"),
     ValueError, "feature"),
    ("gradcam explorer 1x1 layer", lambda: gradcam_explorer(_cam_net(keep_pooled=True), PHOTO32, layer="pooled"),
     ValueError, "1 x 1"),
    ("gradcam explorer colormap", lambda: gradcam_explorer(_cam_net(), PHOTO32, colormap="rainbowz"),
     ValueError, "'jet'"),
    ("gradcam explorer method", lambda: gradcam_explorer(_cam_net(), PHOTO32, method="lime"), ValueError, "'gradcam'"),
    ("gradcam explorer alpha=2", lambda: gradcam_explorer(_cam_net(), PHOTO32, alpha=2), ValueError, "0..1"),
    ("gradcam explorer top_k=0", lambda: gradcam_explorer(_cam_net(), PHOTO32, top_k=0), ValueError, "top_k"),
    ("gradcam explorer regression head", lambda: gradcam_explorer(_cam_net(units=1), PHOTO32),
     ValueError, "regression"),
]


@pytest.mark.parametrize("call, error, word", [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_is_refused_clearly(call, error, word):
    with pytest.raises(error) as info:
        call()
    message = str(info.value.args[0]) if isinstance(info.value, KeyError) else str(info.value)
    assert word in message, message


def test_good_inputs_that_used_to_fail_now_work():
    model = _net(units=3)
    assert M.check_class_index(model, np.array(2)) == 2  # a 0-d array (e.g. from argmax) is an int
    cat = helpers.load_image("chelsea", size=224)
    lite = helpers.load_model()
    top = helpers.predict(lite, cat, top=1)[0]
    assert helpers.predict(lite, cat / 255.0, top=1)[0][0] == top[0]  # float 0..1 is read as 0..1 everywhere
    assert helpers.predict(lite, cat.astype(np.int64), top=1)[0][0] == top[0]


def test_explorer_shows_a_bad_image_in_its_status_instead_of_another_photo(tmp_path):
    model = _net()
    for bad in ("chelsee", tmp_path / "missing.jpg", np.full((8, 8, 3), -1.0)):
        explorer = activation_explorer(model, image=bad)
        assert explorer.picker.image is None and explorer.view.value == b""
        assert "chelsee" in explorer.picker.status.value or "missing.jpg" in explorer.picker.status.value \
            or "negative" in explorer.picker.status.value
        assert "pick a photo" in explorer.status.value
    path = helpers.sample_images()["coffee"]  # the path of a real photo is that photo, not the default
    explorer = activation_explorer(model, image=path)
    np.testing.assert_array_equal(explorer.picker.image, helpers.load_image(path, size=model))
    explorer.picker.dropdown.value = "rocket"  # picking a photo recovers
    assert explorer.picker.image is not None and explorer.view.value


# --------------------------------------------------------------------------- CAM and its explorer
def test_cam_accepts_what_it_should():
    model = _cam_net()
    heat = helpers.gradcam(model, PHOTO32, 2)
    np.testing.assert_array_equal(helpers.gradcam(model, PHOTO32, np.array(2)), heat)  # a 0-d array, e.g. argmax
    np.testing.assert_array_equal(helpers.gradcam(model, PHOTO32, np.int64(2)), heat)
    np.testing.assert_array_equal(helpers.gradcam(model, PHOTO32 / 255.0, 2), heat)  # float 0..1 read as 0..1
    np.testing.assert_array_equal(cam.upsample(cam.heatmap(cam.context(model, PHOTO32), np.array(2)), (32, 32)), heat)
    batch = helpers.gradcam(model, np.stack([PHOTO32, PHOTO32[::-1]]), [np.array(2), 1])
    np.testing.assert_allclose(batch[0], heat, atol=1e-5)
    # a linear conv layer: not in the explorer's default list, but gradcam() takes it, by name or object
    assert "conv1" not in cam.cam_layers(model)
    np.testing.assert_array_equal(helpers.gradcam(model, PHOTO32, 2, layer=model.get_layer("conv1")),
                                  helpers.gradcam(model, PHOTO32, 2, layer="conv1"))
    assert helpers.smoothgrad(model, PHOTO32, np.array(1), samples=np.array(20)).shape == (32, 32)  # > one batch


def test_smoothgrad_and_integrated_gradients_do_not_depend_on_the_batching():
    model = _cam_net()
    x = PHOTO32.astype(np.float32)
    # 20 steps = two compiled batches of 16 + 4: the same as integrating by hand in one go
    alphas = (np.arange(20) + 0.5) / 20
    grads = input_grad_fn(model)(tf.constant(np.stack([a * x for a in alphas]).astype(np.float32)),
                                     tf.constant(np.full(20, 1, np.int32)))
    np.testing.assert_allclose(cam.attributions(model, PHOTO32, 1, steps=20), x * np.asarray(grads).mean(0),
                               rtol=1e-4, atol=1e-6)


def test_foreign_errors_become_contract_errors(monkeypatch):
    model = _cam_net()
    eng = engine(model, "conv2")

    def out_of_memory(*args):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    for attr in ("grads", "forward"):
        monkeypatch.setattr(eng, attr, out_of_memory)
    with pytest.raises(ValueError, match="out of memory"):
        helpers.gradcam(model, PHOTO32, 1, layer="conv2")
    with pytest.raises(ValueError, match="out of memory"):
        cam.heatmap(cam.Context(eng, PHOTO32.astype(np.float32)), 1, "eigencam")
    monkeypatch.setattr(cam.saliency, "input_grad_fn", lambda *a, **k: out_of_memory)
    with pytest.raises(ValueError, match="out of memory"):
        helpers.gradient_saliency(model, PHOTO32, 1)


def test_gradcam_explorer_shows_a_bad_image_and_never_another_photo(tmp_path):
    model = _cam_net()
    for bad, word in (("chelsee", "chelsee"), (tmp_path / "missing.jpg", "missing.jpg"),
                      (np.full((8, 8, 3), -1.0), "negative")):
        explorer = gradcam_explorer(model, bad)
        assert explorer.picker.image is None and explorer.image is None and explorer.view.value == b""
        assert word in explorer.picker.status.value and "pick a photo" in explorer.status.value
    explorer.picker.dropdown.value = "coffee"  # picking a photo recovers
    assert explorer.status.value == "" and explorer.view.value[:3] == b"\xff\xd8\xff"
    path = helpers.sample_images()["rocket"]  # the path of a real photo is that photo, not the default
    explorer = gradcam_explorer(model, path)
    rocket = helpers.load_image(path, size=model)
    np.testing.assert_array_equal(explorer.image, rocket)
    np.testing.assert_array_equal(explorer.heatmap, helpers.gradcam(model, rocket, explorer.class_dropdown.value))
    assert explorer._current_picture()[1].startswith("gradcam_camnet_rocket_")


def test_gradcam_explorer_accepts_every_layer_gradcam_accepts():
    model = _cam_net()
    explorer = gradcam_explorer(model, PHOTO32, layer="conv1", colormap="Ocean")
    assert explorer.layer_dropdown.options == ("conv2", "conv1") and explorer.status.value == ""
    assert explorer.colormap_dropdown.value == "ocean"
    c = explorer.class_dropdown.value
    np.testing.assert_allclose(explorer.heatmap, helpers.gradcam(model, PHOTO32, c, layer="conv1"), atol=1e-5)
    explorer = gradcam_explorer(model, PHOTO32, layer=model.get_layer("conv1"))
    assert explorer.layer_dropdown.value == "conv1"


def test_gradcam_explorer_binary_head_probabilities_are_sigmoid_of_the_logit():
    model = helpers.register_model(_cam_net(units=1, name="binary"), "binary", ["no", "yes"])
    kernel, _ = model.get_layer("dense").get_weights()
    model.get_layer("dense").set_weights([kernel, np.array([1.5], np.float32)])  # |z| ~ 1.5: sigmoid(z) != sigmoid(2z)
    explorer = gradcam_explorer(model, PHOTO32)
    z = float(model(PHOTO32[None].astype(np.float32))[0, 0])
    expected = [1 / (1 + np.exp(z)), 1 / (1 + np.exp(-z))]  # class 0 = -z, class 1 = +z; not softmax([-z, z])
    np.testing.assert_allclose(explorer._probs, expected, rtol=1e-5)
    labels = dict((v, k) for k, v in explorer.class_dropdown.options)
    assert f"{100 * expected[1]:.1f}%" in labels[1] and f"{100 * expected[0]:.1f}%" in labels[0]
    assert f"p = {expected[explorer.class_dropdown.value]:.3f}" in explorer.info_label.value


# --------------------------------------------------------------------------- properties
FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = st.sampled_from([np.uint8, np.uint16, np.int8, np.int32, np.int64, np.float16, np.float32, np.float64,
                          np.bool_])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7)


def _arrays(dtypes=DTYPES, shapes=SHAPES):
    return dtypes.flatmap(lambda dt: hnp.arrays(dt, shapes, elements=_elements(dt)))


def _elements(dtype):
    if np.issubdtype(dtype, np.floating):
        width = 16 if dtype == np.float16 else 32
        return st.one_of(st.floats(-2, 2, width=width), st.floats(-300, 300, width=width),
                         st.sampled_from([np.nan, np.inf, -np.inf]))
    return None  # the dtype's whole range


@FAST
@given(array=_arrays(), size=st.one_of(st.none(), st.integers(-2, 9), st.tuples(st.integers(0, 9), st.integers(0, 9))))
def test_load_image_round_trips_or_raises_a_contract_error(array, size):
    try:
        out = helpers.load_image(array, size=size)
    except CONTRACT:
        return
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    if size is None:
        assert out.shape[:2] == array.shape[:2]
        if array.dtype == np.uint8 and array.ndim == 3 and array.shape[2] == 3:
            np.testing.assert_array_equal(out, array)  # native RGB: unchanged
    else:
        assert out.shape[:2] == ((size, size) if isinstance(size, int) else size)


@FAST
@given(image=_arrays(shapes=hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=6)),
       heat=_arrays(st.sampled_from([np.float32, np.float64, np.uint8]),
                    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7)),
       alpha=st.one_of(st.floats(-1, 2), st.just(np.nan), st.integers(-1, 2)))
def test_overlay_gives_a_picture_or_a_contract_error(image, heat, alpha):
    try:
        out = helpers.overlay(image, heat, alpha=alpha)
    except CONTRACT:
        return
    assert out.dtype == np.uint8 and out.shape == helpers.load_image(image).shape


@FAST
@given(maps=_arrays(st.sampled_from([np.float32, np.float64, np.int32, np.uint8]), SHAPES),
       mode=st.sampled_from(["channel", "layer", "global", "nope"]),
       value_range=st.one_of(st.none(), st.tuples(st.one_of(st.floats(-10, 10), st.just(np.nan)), st.floats(-10, 10))))
def test_normalize_gives_uint8_maps_or_a_contract_error(maps, mode, value_range):
    try:
        out = helpers.normalize(maps, mode, value_range=value_range)
    except CONTRACT:
        return
    assert out.dtype == np.uint8 and out.shape == maps.shape



def test_overlay_refuses_an_empty_heatmap():
    with pytest.raises(ValueError, match="heatmap"):
        helpers.overlay(IMG, np.zeros((0, 3), np.float32))


# --------------------------------------------------------------------------- a new learner's rough inputs
def _tiny():
    """stem (conv) -> conv2 (conv, ReLU) -> global pooling -> 3 logits: built in a second."""
    return conv_classifier(convs=(("stem", 4, None), ("conv2", 4, "relu")), name="tiny")


ROUGH_INPUTS = [  # (id, call, the exact exception type, words the message must contain: the value and the fix)
    ("activations layers=5", lambda: helpers.activations(_tiny(), PHOTO32, layers=5),
     V.ArgumentTypeError, ["5", "layer name", "list of names", "None"]),
    ("activations layers=2.5", lambda: helpers.activations(_tiny(), PHOTO32, layers=2.5),
     V.ArgumentTypeError, ["2.5", "list of names"]),
    ("activations layers=[5]", lambda: helpers.activations(_tiny(), PHOTO32, layers=[5]),
     V.ArgumentTypeError, ["5", "string", "Keras layer"]),
    ("feature model layers=5", lambda: helpers.feature_model(_tiny(), 5), V.ArgumentTypeError,
     ["5", "layer name"]),
    ("find_layer(model, 3)", lambda: helpers.find_layer(_tiny(), 3), V.LayerTypeError,
     ["3", "string", "get_layer"]),
    ("layer_names of a model name", lambda: helpers.layer_names("efficientnet_lite0"), V.ArgumentTypeError,
     ["'efficientnet_lite0'", "helpers.load_model("]),
    ("find_layer in a model name", lambda: helpers.find_layer("efficientnet_lite0", "stem_conv"), V.ArgumentTypeError,
     ["'efficientnet_lite0'", "helpers.load_model("]),
    ("feature model of a model name", lambda: helpers.feature_model("vgg16", ["block1_conv1"]), V.ArgumentTypeError,
     ["'vgg16'", "helpers.load_model("]),
    ("overlay of a photo name", lambda: helpers.overlay("chelsea", np.ones((4, 4))), V.ArgumentTypeError,
     ["'chelsea'", "helpers.load_image('chelsea')"]),
    ("gradcam of a photo name", lambda: helpers.gradcam(_cam_net(), "chelsea", 0), V.ArgumentTypeError,
     ["'chelsea'", "helpers.load_image('chelsea')"]),
    ("activations of file bytes", lambda: helpers.activations(_tiny(), b"\x89PNG...", ["stem"]),
     V.ArgumentTypeError, ["bytes", "helpers.load_image(data)"]),
    ("class name misspelt", lambda: helpers.gradcam(helpers.load_model(), PHOTO32, class_index="tigr cat"),
     ValueError, ["'tigr cat'", "'tiger cat' (282)", "0..999"]),
    ("class name matching several", lambda: M.check_class_index(helpers.load_model(), "cat"), ValueError,
     ["'cat'", "'tiger cat' (282)", "class index"]),
    ("class name twice in ImageNet", lambda: M.check_class_index(helpers.load_model(), "crane"), ValueError,
     ["'crane' (134)", "'crane' (517)", "class index"]),
    ("filter method misspelt", lambda: helpers.filter_patterns(_tiny(), "stem", 0, size=16, method="robustt"),
     ValueError, ["'robustt'", "'robust'", "'classic'"]),
    ("check_number of text", lambda: V.check_number("noise", "0.1", 0.0, 10.0), V.ArgumentTypeError,
     ["noise", "'0.1'", "number"]),
    ("check_number out of range", lambda: V.check_number("noise", 11, 0.0, 10.0), ValueError, ["noise", "0..10", "11"]),
]


@pytest.mark.parametrize("call, error, words", [r[1:] for r in ROUGH_INPUTS], ids=[r[0] for r in ROUGH_INPUTS])
def test_rough_input_is_refused_with_the_value_and_the_fix(call, error, words):
    with pytest.raises(CONTRACT) as info:
        call()
    assert type(info.value) is error, (type(info.value), info.value)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_layer_objects_are_accepted_wherever_layer_names_are():
    model = _tiny()
    by_name = helpers.activations(model, PHOTO32, layers=["conv2", "stem"])
    by_object = helpers.activations(model, PHOTO32, layers=[model.get_layer("stem"), model.get_layer("conv2")])
    assert list(by_object) == list(by_name) == ["stem", "conv2"]
    for name in by_name:
        np.testing.assert_array_equal(by_object[name], by_name[name])
    np.testing.assert_array_equal(helpers.activations(model, PHOTO32, layers=model.get_layer("stem"))["stem"],
                                  by_name["stem"])
    assert helpers.find_layer(model, model.get_layer("conv2")).name == "conv2"
    kw = dict(size=16, steps=2)
    np.testing.assert_array_equal(helpers.filter_patterns(model, model.get_layer("stem"), [0, 1], **kw),
                                  helpers.filter_patterns(model, "stem", [0, 1], **kw))


def test_a_class_name_is_the_class_index():
    # the first Grad-CAM of a (model, layer) is eager, later ones compiled: equal to float32 rounding
    same = functools.partial(np.testing.assert_allclose, rtol=0, atol=1e-5)
    model = helpers.load_model()
    cat = helpers.load_image("cat_and_coffee", size=224)
    by_index = helpers.gradcam(model, cat, class_index=282)
    for name in ("tiger cat", "Tiger Cat", " TIGER CAT "):
        same(helpers.gradcam(model, cat, class_index=name), by_index)
    assert M.check_class_index(model, "tabby cat") == 281  # an ImageNet synonym of 'tabby'
    assert M.check_class_index(model, "espresso mak") == 550  # part of exactly one class's name
    same(helpers.gradcam(model, np.stack([cat, cat]), ["tiger cat", 967]),
                                  helpers.gradcam(model, np.stack([cat, cat]), [282, 967]))
    same(helpers.gradient_saliency(model, cat, "espresso"),
                                  helpers.gradient_saliency(model, cat, 967))
    own = helpers.register_model(_cam_net(name="pets"), "pets", ["cat", "dog", "bird"])
    same(helpers.gradcam(own, PHOTO32, "Dog"), helpers.gradcam(own, PHOTO32, 1))
    ctx = cam.context(own, PHOTO32)
    same(cam.heatmap(ctx, "bird"), cam.heatmap(ctx, 2))


def test_method_names_in_any_case():
    model = _tiny()
    kw = dict(size=16, steps=2)
    np.testing.assert_array_equal(helpers.filter_patterns(model, "stem", 0, method="Robust", **kw),
                                  helpers.filter_patterns(model, "stem", 0, method="robust", **kw))
    assert helpers.visualize_filters(model, "stem", 0, method="CLASSIC", **kw).method == "classic"
    np.testing.assert_array_equal(helpers.gradcam(_cam_net(), PHOTO32, 1, method="Grad-CAM++"),
                                  helpers.gradcam(_cam_net(), PHOTO32, 1, method="gradcam++"))
    maps = np.arange(8.0).reshape(2, 2, 2)
    np.testing.assert_array_equal(helpers.normalize(maps, "Layer"), helpers.normalize(maps, "layer"))
    model = _tiny()
    assert helpers.layer_names(model, kinds="Conv") == helpers.layer_names(model, kinds=["CONV"]) == ["stem", "conv2"]
    assert helpers.layer_names(model, kinds="All") == helpers.layer_names(model, kinds="all")
    with pytest.raises(ValueError, match="unknown layer kind 'convs'; choose one of 'conv'"):
        helpers.layer_names(model, kinds="convs")
    from helpers.loading import adopt

    adopted, _ = adopt(_tiny(), "Caffe", owned=True)
    assert adopted.get_layer("preprocess").mode == "caffe"


def _pil_modes(tmp_path):
    """One picture saved in the PNG modes a learner meets; each file with its Pillow mode."""
    from PIL import Image

    rgb = Image.fromarray(PHOTO32)
    clear = rgb.quantize(8)
    clear.info["transparency"] = 0  # palette entry 0 is see-through
    pictures = {"P": rgb.quantize(8), "P+transparency": clear, "LA": rgb.convert("LA"), "RGBA": rgb.convert("RGBA"),
                "I;16": Image.fromarray((np.arange(32 * 32).reshape(32, 32) * 61).astype(np.uint16)),
                "L": rgb.convert("L"), "1": rgb.convert("1"), "RGB": rgb}
    for name, picture in pictures.items():
        path = tmp_path / f"{name.replace(';', '_').replace('+', '_')}.png"
        picture.save(path)
        yield name, path, Image.open(path)


def test_a_pil_image_is_the_picture_its_file_is(tmp_path):
    from PIL import Image

    model = _cam_net()
    seen = set()
    for name, path, pil in _pil_modes(tmp_path):
        seen.add(pil.mode)
        from_file = helpers.load_image(path)
        np.testing.assert_array_equal(helpers.load_image(pil), from_file, err_msg=name)
        np.testing.assert_array_equal(helpers.load_image(pil, size=16), helpers.load_image(path, size=16), err_msg=name)
        heat = np.ones((4, 4))
        np.testing.assert_array_equal(helpers.overlay(pil, heat), helpers.overlay(from_file, heat), err_msg=name)
        np.testing.assert_array_equal(helpers.gradcam(model, pil, 1), helpers.gradcam(model, from_file, 1),
                                      err_msg=name)
        np.testing.assert_array_equal(helpers.activations(model, pil, ["conv2"])["conv2"],
                                      helpers.activations(model, from_file, ["conv2"])["conv2"])
    assert {"P", "LA", "RGBA", "I;16"} <= seen
    palette = Image.open(tmp_path / "P.png")
    # np.asarray of a palette image is its palette indices, not grey values: the PIL image itself is the picture
    assert np.asarray(palette).ndim == 2 and not np.array_equal(helpers.load_image(np.asarray(palette)),
                                                                helpers.load_image(palette))
    keras_pil = keras.utils.load_img(tmp_path / "RGB.png")  # what Keras' tutorials load a picture with
    np.testing.assert_array_equal(helpers.load_image(keras_pil), helpers.load_image(tmp_path / "RGB.png"))
