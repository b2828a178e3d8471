"""helpers.validation.models and .errors: what a model must be, and foreign errors made contract errors."""
from pathlib import Path

import cv2
import keras
import pytest
import tensorflow as tf
from kit import conv_classifier

from helpers.validation import ArgumentTypeError, check_model, check_model_type, contract_error, model_input_hw


def test_a_model_name_or_another_object_is_a_wrong_type_naming_the_fix():
    for name in ("efficientnet_lite0", Path("model.keras")):
        with pytest.raises(ArgumentTypeError, match=r"helpers.load_model\("):
            check_model_type(name)
    with pytest.raises(ArgumentTypeError, match="expected a Keras model .* got int"):
        check_model(3)


def test_check_model_gives_the_input_shape_and_refuses_unsupported_models():
    model = conv_classifier()
    assert check_model(model) == tuple(model.input_shape) and model_input_hw(model) == tuple(model.input_shape[1:3])
    four = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="4 input channels"):
        check_model(four)


def test_contract_error_keeps_the_first_line_and_names_memory_exhaustion():
    err = contract_error(cv2.error("resize: bad size\nmore detail"), "resizing the image")
    assert type(err) is ValueError and str(err) == "resizing the image failed: resize: bad size"
    oom = contract_error(tf.errors.ResourceExhaustedError(None, None, "OOM when allocating"), "running the model")
    assert "out of memory" in str(oom) and "smaller image" in str(oom)
