"""Models: a keras.Model with one image input (N, H, W, C), channels last, 1 or 3 channels, one output."""

from __future__ import annotations

import os

import keras

from .._cache import store
from .errors import ArgumentTypeError
from .limits import CHANNELS

__all__ = ["check_model", "check_model_type", "model_input_hw", "model_input_shape"]


def model_input_shape(model) -> tuple:
    """A model's batch input shape, e.g. ``(None, 224, 224, 3)``, also for Sequential models whose
    first layer is a nested model; any object with an ``input_shape`` works (duck typing).

    Raises:
        ValueError: unknown, or not an image input ``(N, H, W, C)``.
    """
    shape = None
    try:
        shape = tuple(model.inputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError):
        layers = getattr(model, "layers", None)
        if layers and isinstance(layers[0], keras.Model):
            return model_input_shape(layers[0])
        try:
            shape = tuple(model.input_shape)
        except (AttributeError, TypeError, ValueError):
            shape = None
    if shape is None or len(shape) != 4:
        raise ValueError(f"this model's input shape is {shape if shape else 'unknown'}, not an image "
                         "(N, height, width, channels): build it with keras.Input((height, width, 3)) as its "
                         "first layer, or call it once on an image")
    return shape


def model_input_hw(model) -> tuple[int, int]:
    """The (height, width) a model (or any object with an ``input_shape``) expects; 224 x 224 when
    it accepts any size. Raises as :func:`check_model` / :func:`model_input_shape` do."""
    shape = check_model(model) if isinstance(model, keras.Model) else _check_channels(model_input_shape(model))
    return (int(shape[1]) if shape[1] else 224, int(shape[2]) if shape[2] else 224)


def _channels_first_layer(model):
    for layer in getattr(model, "layers", ()):
        found = layer if getattr(layer, "data_format", None) == "channels_first" else (
            _channels_first_layer(layer) if isinstance(layer, keras.Model) else None)
        if found is not None:
            return found
    return None


def _check_channels(shape, name: str = "this model", layer=None) -> tuple:
    if layer is not None or (shape[1] in CHANNELS and shape[-1] not in CHANNELS):
        where = f" (layer {layer.name!r} has data_format='channels_first')" if layer is not None else ""
        raise ValueError(f"{name} takes input {shape}: channels first{where}. convnet-vis supports channels-last "
                         "models (N, height, width, channels): rebuild it with data_format='channels_last'")
    if shape[-1] not in CHANNELS:
        raise ValueError(f"{name} takes {shape[-1]} input channels (input {shape}); convnet-vis supports RGB (3) "
                         "and grayscale (1) image models")
    return shape


def _inspect_model(model) -> tuple:
    for what in ("inputs", "outputs"):
        try:
            n = len(getattr(model, what) or [None])
        except (AttributeError, TypeError, ValueError):  # a Sequential model not built yet
            n = 1
        if n != 1:
            raise ValueError(f"model {model.name!r} has {n} {what}; convnet-vis supports models with one image "
                             "input (N, height, width, 1 or 3) and one output (the class logits)")
    return _check_channels(model_input_shape(model), f"model {model.name!r}", _channels_first_layer(model))


def check_model_type(model) -> None:
    """Only the type half of :func:`check_model`, for code that also takes nested or non-image models.

    Raises:
        ArgumentTypeError: not a keras.Model (a model *name*: call ``helpers.load_model(name)`` first).
    """
    if isinstance(model, (str, os.PathLike)):
        raise ArgumentTypeError(f"got the model name {str(model)!r:.80} where a model belongs: call "
                                f"model = helpers.load_model({str(model)!r:.80}) first and pass the model")
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"expected a Keras model (keras.Model, e.g. from helpers.load_model()), got "
                                f"{type(model).__name__}")


def check_model(model) -> tuple:
    """Check that ``model`` is a model convnet-vis supports; return its input shape (cached).

    Raises:
        ArgumentTypeError: not a keras.Model (a model *name*: call ``helpers.load_model(name)`` first).
        ValueError: several inputs or outputs, channels first, or not 1 or 3 input channels.

    Example:
        >>> check_model(load_model())
        (None, 224, 224, 3)
    """
    check_model_type(model)
    return store(model, "validation", max_items=8).get_or_make("input_shape", lambda: _inspect_model(model))

