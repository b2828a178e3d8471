"""Pixels: one policy for every array a learner gives (see the package docstring), and a picture's
source (a path, a name, bytes) refused where its pixels belong."""

from __future__ import annotations

import os

import numpy as np

from .errors import ArgumentTypeError
from .limits import TOLERANCE

__all__ = ["check_image_array", "pixel_values", "to_uint8"]


def check_image_array(image, what: str = "an image array"):
    """``image`` itself, unless it is a picture's *source* (a path, a photo name, encoded bytes, an upload)
    or None given where pixels belong.

    Raises:
        ArgumentTypeError: a source or None; the message says to read it with helpers.load_image first.
    """
    if image is None or isinstance(image, (str, bytes, bytearray, memoryview, os.PathLike, dict)):
        shown = repr(str(image) if isinstance(image, os.PathLike) else image)[:60] if not isinstance(
            image, dict) else "upload"
        call = f"helpers.load_image({shown})" if isinstance(image, (str, os.PathLike)) else "helpers.load_image(data)"
        raise ArgumentTypeError(f"expected {what}, got {type(image).__name__} {shown}: read the picture first with "
                                f"image = {call} (add size=model to fit a model)")
    return image


def pixel_values(array, what: str = "the image") -> np.ndarray:
    """An image array's values as float32 0..255 under the one pixel policy (module docstring).

    Raises:
        ArgumentTypeError: a non-numeric array. ValueError: NaN/inf, or values outside the range its
        dtype implies (the message says which).
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
    """:func:`pixel_values` rounded to uint8 (no copy for a uint8 array); raises as it does."""
    a = np.asarray(array)
    return a if a.dtype == np.uint8 else np.round(pixel_values(a, what)).astype(np.uint8)

