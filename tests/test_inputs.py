"""Every input a learner can give either works or is refused clearly (issue 13).

A table of bad inputs -- (what is called, the exception expected, a word its message must
contain), in the style of tf-keras-vis's ``(input, expected_error)`` tables -- with a row for each
class of mistake, and property-based tests (Hypothesis): whatever array Hypothesis draws,
``load_image`` / ``overlay`` / ``normalize`` either give a valid picture or raise a contract error.
"""
import struct
import zlib

import cv2
import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import helpers
from helpers import models as M
from helpers import validation as V
from helpers.widgets import activation_explorer

CONTRACT = (ValueError, TypeError, KeyError, IndexError, FileNotFoundError)
IMG = np.zeros((16, 16, 3), np.uint8)


def _net(shape=(16, 16, 3), units=3, activation=None, data_format="channels_last", inputs=1, outputs=1):
    ins = [keras.Input(shape) for _ in range(inputs)]
    x = ins[0] if inputs == 1 else keras.layers.Add()(ins)
    x = keras.layers.Conv2D(2, 3, data_format=data_format, name="conv")(x)
    x = keras.layers.GlobalAveragePooling2D(data_format=data_format)(x)
    outs = [keras.layers.Dense(units, activation=activation)(x) for _ in range(outputs)]
    return keras.Model(ins if inputs > 1 else ins[0], outs if outputs > 1 else outs[0])


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
    ("class index as a name", lambda: M.check_class_index(_net(units=3), "cat"), IndexError, "integer"),
    ("class index 2.0", lambda: M.check_class_index(_net(units=3), 2.0), TypeError, "integer"),
    ("layer kind 'convolution'", lambda: V.check_kinds("convolution", ("conv", "pool", "activation")),
     ValueError, "'conv'"),
    # explorers: choices that used to escape as traitlets.TraitError or be clamped silently
    ("explorer colormap", lambda: activation_explorer(_net(), cmap="rainbowz"), ValueError, "viridis"),
    ("explorer layer", lambda: activation_explorer(_net(), layer=3), ValueError, "conv"),
    ("explorer channel", lambda: activation_explorer(_net(), channel=9), IndexError, "0..1"),
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
