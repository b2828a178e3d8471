"""Arrays: numbers in a given number of dimensions, finite where it matters (heatmaps, feature maps, boxes).

(An image's pixels follow their own policy: :mod:`.pixels`.)
"""

from __future__ import annotations

import numpy as np

from .errors import ArgumentTypeError

__all__ = ["check_array", "check_finite"]

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats (not complex, strings or objects)


def check_array(name: str, value, ndim=None, *, expected: str | None = None, dtype=None, allow_empty: bool = True,
                finite: bool = False, hint: str = "") -> np.ndarray:
    """``value`` as a numeric numpy array (``np.asarray``; no copy unless ``dtype`` converts it).

    Args:
        name: what the value is, as the messages name it (``"the heatmap"``, ``"boxes"``).
        ndim: the number of dimensions, or a tuple of the numbers allowed; None: any.
        expected: what belongs there, for the message (e.g. ``"a heatmap (H, W) or a batch (N, H, W)"``);
            default ``"a 2-D array"`` from ``ndim``.
        dtype: convert to it (e.g. ``np.float64``); None keeps the array's own.
        allow_empty: False refuses an array without values.
        finite: refuse NaN and infinite values (:func:`check_finite`).
        hint: added to the message of a wrong number of dimensions.

    Raises:
        ArgumentTypeError: not numbers (strings, objects, None, a ragged list).
        ValueError: the wrong number of dimensions (the message gives the shape), empty, or NaN / inf.

    Example:
        >>> check_array("heat", [[0, 1], [2, 3]], 2, dtype=np.float32).dtype
        dtype('float32')
    """
    dims = None if ndim is None else (ndim,) if isinstance(ndim, int) else tuple(ndim)
    wanted = expected or ("a " + " or ".join(f"{n}-D" for n in dims) + " array" if dims else "an array")
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):  # a ragged nested list
        a = None
    if a is None or a.dtype.kind not in NUMERIC_KINDS:
        got = f"an array of dtype {a.dtype}" if a is not None else "a ragged sequence"
        raise ArgumentTypeError(f"{name} must be {wanted} of numbers, got {got} ({value!r:.60})")
    if dims is not None and a.ndim not in dims:
        raise ValueError(f"{name} must be {wanted}; got shape {a.shape}{hint}")
    if not allow_empty and a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}): it needs at least one value")
    if dtype is not None:
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float32's range: inf, refused if finite
            a = a.astype(dtype, copy=False)
    if finite:
        check_finite(name, a)
    return a


def check_finite(name: str, value, hint: str = "") -> np.ndarray:
    """``value`` as a numeric array (:func:`check_array`) without NaN or infinite values; ``hint`` is
    added to the message (e.g. how such a value arises and how to avoid it).

    Raises:
        ArgumentTypeError: not numbers. ValueError: a NaN or an infinite value.

    Example:
        >>> check_finite("the heatmap", [[0.0, float("nan")]], "; divide by (max + a small epsilon)")
        Traceback (most recent call last):
        ...
        ValueError: NaN or infinite values in the heatmap; divide by (max + a small epsilon)
    """
    a = check_array(name, value)
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(f"NaN or infinite values in {name}{hint}")
    return a
