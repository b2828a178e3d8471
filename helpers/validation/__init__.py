"""The checks every public function runs on what a learner gives it: one place, one policy.

The lowest layer of ``helpers`` (numpy, OpenCV, Keras, TensorFlow, ``helpers._cache`` only). A bad
input is refused with one of the contract's exceptions and a message naming the value and the
choices; never a raw OpenCV/TensorFlow error, never a silent clip. Every argument check lives here
(``tests/test_architecture.py`` fails on a hand-written copy elsewhere); a check that needs a
technique's knowledge (a filter against its layer's channels) stays with the technique and calls
these for the generic part. One module per concern, every name importable from
``helpers.validation``: :mod:`.args` (integers, counts, indices, numbers, booleans, types, choices,
sizes), :mod:`.layers`, :mod:`.classes`, :mod:`.arrays`, :mod:`.pixels`, :mod:`.models`,
:mod:`.errors` (the contract's exception types, foreign errors), :mod:`.limits`.

One exception type per mistake:

===============================================================  ==========================================
Mistake                                                          Raised
===============================================================  ==========================================
a value of the wrong type: ``"3"`` or ``2.5`` for a count,       :class:`ArgumentTypeError` (a TypeError,
``True`` for an int, a string for an array, a model name where   also a ValueError)
a model belongs, a part of the wrong kind (not an Objective)
an index of the wrong type: ``2.0`` for a class or a filter      :class:`IndexTypeError` (a TypeError, also
                                                                 an IndexError)
a layer given as neither a name nor a layer object (``3``)       :class:`LayerTypeError` (an
                                                                 ArgumentTypeError, also a KeyError)
a value out of its range, NaN or infinite, the wrong shape or    ValueError
number of items, an unknown choice (a method, a colour map), an
unsupported model, a failure inside OpenCV / TensorFlow
an unknown name: a layer the model does not have                 KeyError
an index out of range: a class, a channel, a filter              IndexError
a file or bundled photo that does not exist                      FileNotFoundError
===============================================================  ==========================================

Policies (README, "What inputs are accepted"):

* **Pixels**: uint8 0..255 is native; a float image with max <= 1 is 0..1, other floats 0..255;
  bool 0/255; uint16 a 16-bit picture; other integers 0..255. Negative, out-of-range or NaN/inf
  values are a ValueError naming the range (a rounding error of 0.001 is clipped). The same in
  ``load_image``, ``predict``, ``gradcam``, ``activations`` and every explorer.
* **Models**: a ``keras.Model``, one image input ``(N, H, W, C)``, channels last, C = 1 (grey) or 3.
* **Limits**: sides up to :data:`MAX_SIDE`; files up to :data:`MAX_PIXELS` pixels and
  ``helpers.images.MAX_DECODE_BYTES`` once decoded (header checked before decoding); open-size models at
  least :data:`MIN_OPEN_SIDE` a side; :data:`MAX_STEPS`.

Example:
    >>> check_int("steps", np.array(30), 1, MAX_STEPS)
    30
    >>> pixel_values(np.array([[0.0, 0.5, 1.0]])).tolist()
    [[0.0, 127.5, 255.0]]
"""

from __future__ import annotations

from .args import (
    check_bool,
    check_choice,
    check_colour,
    check_count,
    check_fraction,
    check_index,
    check_int,
    check_ints,
    check_map,
    check_number,
    check_positive,
    check_size,
    check_type,
)
from .arrays import check_array, check_finite
from .classes import check_class_index, check_class_names, class_from_name
from .errors import FOREIGN_ERRORS, ArgumentTypeError, IndexTypeError, LayerTypeError, contract_error
from .layers import check_kinds, check_layers, layer_name
from .limits import CHANNELS, MAX_PIXELS, MAX_SIDE, MAX_STEPS, MIN_OPEN_SIDE, TOLERANCE
from .models import check_model, check_model_type, model_input_hw, model_input_shape
from .pixels import check_image_array, pixel_values, to_uint8

__all__ = [
    # args
    "check_bool", "check_choice", "check_colour", "check_count", "check_fraction", "check_index", "check_int",
    "check_ints", "check_map", "check_number", "check_positive", "check_size", "check_type",
    # layers and classes
    "check_kinds", "check_layers", "layer_name", "check_class_index", "check_class_names", "class_from_name",
    # arrays, pixels, models
    "check_array", "check_finite", "check_image_array", "pixel_values", "to_uint8",
    "check_model", "check_model_type", "model_input_hw", "model_input_shape",
    # errors, limits
    "FOREIGN_ERRORS", "ArgumentTypeError", "IndexTypeError", "LayerTypeError", "contract_error",
    "CHANNELS", "MAX_PIXELS", "MAX_SIDE", "MAX_STEPS", "MIN_OPEN_SIDE", "TOLERANCE",
]
