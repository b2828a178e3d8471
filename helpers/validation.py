"""The checks every public function runs on what a learner gives it: one place, one policy.

The lowest layer of ``helpers`` (numpy, OpenCV, Keras, TensorFlow, ``helpers._cache`` only). A bad
input is refused with the contract's ValueError / TypeError / KeyError / IndexError and a message
naming the value and the choices; never a raw OpenCV/TensorFlow error, never a silent clip.
Policies (README, "What inputs are accepted"):

* **Pixels**: uint8 0..255 is native; a float image with max <= 1 is 0..1, other floats 0..255;
  bool 0/255; uint16 a 16-bit picture; other integers 0..255. Negative, out-of-range or NaN/inf
  values are a ValueError naming the range (a rounding error of 0.001 is clipped). The same in
  ``load_image``, ``predict``, ``gradcam``, ``activations`` and every explorer.
* **Models**: a ``keras.Model``, one image input ``(N, H, W, C)``, channels last, C = 1 (grey) or 3.
* **Limits**: sides up to :data:`MAX_SIDE`; files up to :data:`MAX_PIXELS` pixels and ``helpers.images.MAX_DECODE_BYTES``
  once decoded (header checked before decoding); open-size models at least :data:`MIN_OPEN_SIDE` a side; :data:`MAX_STEPS`.

Example:
    >>> check_int("steps", np.array(30), 1, MAX_STEPS)
    30
    >>> pixel_values(np.array([[0.0, 0.5, 1.0]])).tolist()
    [[0.0, 127.5, 255.0]]
"""

from __future__ import annotations

import difflib
import os

import cv2
import keras
import numpy as np
import tensorflow as tf

from ._cache import store

MAX_SIDE = 4096              # largest image side / resize target, pixels
MAX_PIXELS = 50_000_000      # largest encoded picture accepted (checked before decoding)
MIN_OPEN_SIDE = 32           # smallest side fed to a model that accepts any size (5 stride-2 stages)
MAX_STEPS = 10_000           # largest iteration count (gradient-ascent steps ...)
TOLERANCE = 1e-3             # rounding error tolerated at the edges of a pixel range (then clipped)
CHANNELS = (1, 3)            # grayscale and RGB models


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (also a ValueError, which callers may already catch)."""


class IndexTypeError(TypeError, IndexError):
    """An index of the wrong type (also an IndexError, like an index out of range)."""


# --------------------------------------------------------------------------- arguments
def _is_int(value) -> bool:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as a Python int in ``low..high`` (a 0-d integer array counts as an int).

    ArgumentTypeError if it is not an integer (bool and 3.0 too); ValueError naming the range.
    """
    if not _is_int(value):
        raise ArgumentTypeError(f"{name} must be an integer, got {value!r:.80} ({type(value).__name__})")
    v = int(np.asarray(value)[()]) if isinstance(value, np.ndarray) else int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        span = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
        raise ValueError(f"{name} must be in {span}, got {v}")
    return v


def check_choice(name: str, value, choices):
    """``value`` if it is one of ``choices``; else a ValueError listing them.

    Example:
        >>> check_choice("normalization", "layer", ("channel", "layer", "global"))
        'layer'
    """
    choices = tuple(choices)
    try:
        if value in choices:
            return value
    except TypeError:  # unhashable / incomparable value
        pass
    close = difflib.get_close_matches(value, [c for c in choices if isinstance(c, str)], 3) if isinstance(
        value, str) else []
    shown = ", ".join(repr(c) for c in (close + [c for c in choices if c not in close])[:30])
    raise ValueError(f"unknown {name} {value!r:.80}; choose one of {shown}{', ...' if len(choices) > 30 else ''}")


def check_kinds(kinds, choices) -> tuple:
    """Layer kinds: one name, a sequence of names, or ``"all"`` (every choice).

    Example:
        >>> check_kinds("conv", ("conv", "pool"))
        ('conv',)
    """
    choices = tuple(choices)
    if isinstance(kinds, str):
        return choices if kinds == "all" else (check_choice("layer kind", kinds, choices + ("all",)),)
    try:
        kinds = tuple(kinds)
    except TypeError:
        raise ArgumentTypeError(f"kinds must be a layer kind or a list of them ({', '.join(choices)}, or 'all'); "
                                f"got {kinds!r:.80}") from None
    return tuple(check_choice("layer kind", k, choices) for k in kinds)


def check_class_names(names, count: int | None = None) -> tuple[str, ...]:
    """Class names as a tuple of str; ``count`` (when given) must match.

    ArgumentTypeError for one string (``"abc"`` is not three names) or a non-string name;
    ValueError for the wrong number of names.
    """
    if isinstance(names, (str, bytes)):
        raise ArgumentTypeError(f"class_names must be a list of names, not one string ({names!r:.60}); "
                                "e.g. class_names=['cat', 'dog']")
    try:
        names = tuple(names)
    except TypeError:
        raise ArgumentTypeError(f"class_names must be a list of strings, got {names!r:.80}") from None
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise ArgumentTypeError(f"class_names must all be strings; got {bad[0]!r:.60} ({type(bad[0]).__name__})")
    if count is not None and len(names) != count:
        raise ValueError(f"class_names has {len(names)} names but the model has {count} classes")
    return names


def check_class_index(class_index, num_classes: int) -> int:
    """A class index as an int in ``0..num_classes - 1``; a 0-d integer array is accepted.

    IndexTypeError if not an integer (e.g. a class *name*); IndexError naming the range.
    """
    if not _is_int(class_index):
        raise IndexTypeError(f"class_index must be an integer 0..{num_classes - 1}, got {class_index!r:.60} "
                             f"({type(class_index).__name__})")
    i = int(np.asarray(class_index)[()])
    if not 0 <= i < num_classes:
        raise IndexError(f"class_index {i} is out of range: this model has {num_classes} classes "
                         f"(0..{num_classes - 1})")
    return i


def check_size(size) -> tuple[int, int] | None:
    """A target image size: ``None``, an int side, or ``(height, width)``, each 1..MAX_SIDE.

    (A model as the size is resolved by :func:`model_input_hw`.)
    """
    if size is None:
        return None
    if _is_int(size):
        side = check_int("size", size, 1, MAX_SIDE)
        return side, side
    if isinstance(size, (tuple, list)) and len(size) == 2:
        if any(s is None for s in size):
            raise ValueError(f"size={tuple(size)!r}: give both height and width (or one int for a square)")
        return check_int("size height", size[0], 1, MAX_SIDE), check_int("size width", size[1], 1, MAX_SIDE)
    raise ArgumentTypeError(f"size must be None, an int, (height, width) or a Keras model; got {size!r:.80}")


# --------------------------------------------------------------------------- pixels
def pixel_values(array, what: str = "the image") -> np.ndarray:
    """An image array's values as float32 0..255 under the one pixel policy (module docstring).

    ArgumentTypeError for a non-numeric array; ValueError for NaN/inf or values outside the
    range its dtype implies (the message says which).
    """
    a = np.asarray(array)
    if a.dtype == np.uint8:
        return a.astype(np.float32)
    if a.dtype == bool:
        return a.astype(np.float32) * 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 257.0
    if np.issubdtype(a.dtype, np.integer):
        if a.size and (a.min() < 0 or a.max() > 255):
            raise ValueError(f"{what} holds integers {a.min()}..{a.max()} in a {a.dtype} array; integer pixels must "
                             "be in 0..255 (uint8), or uint16 0..65535 for 16-bit pictures")
        return a.astype(np.float32)
    if not np.issubdtype(a.dtype, np.floating):
        raise ArgumentTypeError(f"{what} must be a numeric array (uint8 0..255 or float 0..1 / 0..255); "
                                f"got dtype {a.dtype}")
    f = a.astype(np.float32)
    if not f.size:
        return f
    if not np.isfinite(f).all():
        raise ValueError(f"{what} contains NaN or infinite values; pixels must be finite, 0..255 or 0..1")
    lo, hi = float(f.min()), float(f.max())
    if lo < -TOLERANCE:
        raise ValueError(f"{what} has negative values (min {lo:.4g}); expected raw pixels 0..255 (or 0..1 for "
                         "floats). A preprocessed image (e.g. -1..1)? Give the raw picture: the model preprocesses "
                         "it itself")
    if hi <= 1.0 + TOLERANCE:
        return np.clip(f, 0.0, 1.0) * np.float32(255.0)
    if hi > 255.0 + TOLERANCE:
        raise ValueError(f"{what} has values up to {hi:.4g}; expected pixels 0..255 (or 0..1 for floats)")
    return np.clip(f, 0.0, 255.0)


def to_uint8(array, what: str = "the image") -> np.ndarray:
    """:func:`pixel_values` rounded to uint8 (no copy for a uint8 array)."""
    a = np.asarray(array)
    return a if a.dtype == np.uint8 else np.round(pixel_values(a, what)).astype(np.uint8)


# --------------------------------------------------------------------------- models
def model_input_shape(model) -> tuple:
    """A model's batch input shape, e.g. ``(None, 224, 224, 3)``, also for Sequential models whose
    first layer is a nested model; any object with an ``input_shape`` works (duck typing).

    ValueError if unknown or not an image input ``(N, H, W, C)``.
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
    it accepts any size."""
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


def check_model(model) -> tuple:
    """Check that ``model`` is a model convnet-vis supports; return its input shape (cached).

    TypeError if it is not a keras.Model (a model *name*: call ``helpers.load_model(name)`` first);
    ValueError for several inputs or outputs, channels first, or not 1 or 3 input channels.

    Example:
        >>> check_model(load_model())
        (None, 224, 224, 3)
    """
    if isinstance(model, (str, os.PathLike)):
        raise TypeError(f"got the model name {str(model)!r:.80} where a model belongs: call "
                        f"model = helpers.load_model({str(model)!r:.80}) first and pass the model")
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a Keras model (keras.Model, e.g. from helpers.load_model()), got "
                        f"{type(model).__name__}")
    return store(model, "validation", max_items=8).get_or_make("input_shape", lambda: _inspect_model(model))


# --------------------------------------------------------------------------- foreign errors
FOREIGN_ERRORS = (cv2.error, tf.errors.OpError)


def contract_error(err: Exception, what: str) -> Exception:
    """A contract ValueError for an OpenCV / TensorFlow error raised while doing ``what``
    (raise it ``from None``); memory exhaustion says so."""
    first = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
    if isinstance(err, tf.errors.ResourceExhaustedError):
        return ValueError(f"{what}: out of memory ({first}); use a smaller image, size or batch")
    return ValueError(f"{what} failed: {first}")
