"""The checks every public function runs on what a learner gives it: one place, one policy.

The lowest layer of ``helpers`` (numpy, OpenCV, Keras, TensorFlow, ``helpers._cache`` only). A bad
input is refused with the contract's ValueError / TypeError / KeyError / IndexError and a message
naming the value and the choices; never a raw OpenCV/TensorFlow error, never a silent clip.
One module per concern, every name importable from ``helpers.validation``: :mod:`.args` (integers,
numbers, choices, layers, classes, sizes), :mod:`.pixels`, :mod:`.models`, :mod:`.errors` (the
contract's exception types, foreign errors), :mod:`.limits`. Policies (README, "What inputs are accepted"):

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

import numpy as np  # noqa: F401  (the examples above use it)

from .args import (  # noqa: F401
    check_choice,
    check_class_index,
    check_class_names,
    check_int,
    check_kinds,
    check_layers,
    check_number,
    check_size,
    class_from_name,
    layer_name,
)
from .errors import FOREIGN_ERRORS, ArgumentTypeError, IndexTypeError, LayerTypeError, contract_error  # noqa: F401
from .limits import CHANNELS, MAX_PIXELS, MAX_SIDE, MAX_STEPS, MIN_OPEN_SIDE, TOLERANCE  # noqa: F401
from .models import check_model, check_model_type, model_input_hw, model_input_shape  # noqa: F401
from .pixels import check_image_array, pixel_values, to_uint8  # noqa: F401
