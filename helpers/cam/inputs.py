"""What a CAM function does with its arguments before any pass: the image (or batch) checked and
resized to the model's input, the class indices checked, and foreign errors turned into the
contract's errors.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np

from ..images import as_array
from ..models import check_class_index, prepare
from ..validation import FOREIGN_ERRORS, contract_error

__all__ = ["class_indices", "contract_errors", "prepare_input"]


@contextlib.contextmanager
def contract_errors(what: str):
    """Turn a TensorFlow / OpenCV error raised inside the block into the contract's ValueError
    (``helpers.validation.contract_error``): nothing foreign escapes a public function."""
    try:
        yield
    except FOREIGN_ERRORS as err:
        raise contract_error(err, what) from None


def prepare_input(model: keras.Model, image) -> tuple[np.ndarray, bool, tuple[int, int]]:
    """Validate an image / batch and resize it (whole picture, no crop) to the model's input
    size, so a heatmap stretched back to the picture lines up with it. Never mutates ``image``.

    Returns ``(float32 batch, was_single, (height, width) of the original)``.

    Example:
        >>> x, single, hw = prepare_input(model, np.zeros((100, 50, 3), np.uint8))
        >>> x.shape, single, hw
        ((1, 224, 224, 3), True, (100, 50))
    """
    image = as_array(image)  # a PIL image as its pixels; a photo name: "load it first"
    batch, single = prepare(model, image, crop=False)  # a float32 copy
    h, w = image.shape[:2] if single else image.shape[1:3]  # (H, W) grey has no channel axis
    return batch, single, (int(h), int(w))


def class_indices(model: keras.Model, class_index, n: int) -> np.ndarray:
    """``n`` checked class indices as int32 (-1 = the top class) from None, one index or a list."""
    if class_index is None:
        return np.full(n, -1, np.int32)
    if isinstance(class_index, (list, tuple, np.ndarray)) and np.ndim(class_index) == 1:
        idx = [check_class_index(model, i) for i in class_index]
        if len(idx) != n:
            raise ValueError(f"got {len(idx)} class indices for a batch of {n} images")
        return np.asarray(idx, np.int32)
    return np.full(n, check_class_index(model, class_index), np.int32)
