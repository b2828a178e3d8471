"""Arguments: integers, counts, indices, numbers, booleans, types, choices, sizes, fractions, fill colours
and heatmaps. (Layers are :mod:`.layers`', classes :mod:`.classes`'.)"""

from __future__ import annotations

import difflib

import numpy as np

from .arrays import check_array
from .errors import ArgumentTypeError, IndexTypeError
from .limits import MAX_SIDE, TOLERANCE

__all__ = ["check_bool", "check_choice", "check_colour", "check_count", "check_fraction", "check_index", "check_int",
           "check_ints", "check_map", "check_number", "check_positive", "check_size", "check_type"]


def _is_int(value) -> bool:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as a Python int in ``low..high`` (a 0-d integer array counts as an int).

    Raises:
        ArgumentTypeError: not an integer (bool and 3.0 too). ValueError: outside the range (named).
    """
    if not _is_int(value):
        raise ArgumentTypeError(f"{name} must be an integer, got {value!r:.80} ({type(value).__name__})")
    v = int(np.asarray(value)[()]) if isinstance(value, np.ndarray) else int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        span = f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
        raise ValueError(f"{name} must be in {span}, got {v}")
    return v


def _bounds(low, high) -> str:
    """The range a number must lie in, as the messages say it: " in 0..1", " >= 0", "" (any)."""
    if low is not None and high is not None:
        return f" in {low:g}..{high:g}"
    return f" >= {low:g}" if low is not None else f" <= {high:g}" if high is not None else ""


def _real(name: str, value, wanted: str) -> float:
    """``value`` as a float if it is one real number (an int, a float, a 0-d array); NaN and inf pass."""
    try:
        v = np.asarray(value)  # a string is a str array: refused below, as a list or a bool is
    except (TypeError, ValueError):  # a ragged sequence
        v = None
    if v is None or v.ndim != 0 or v.dtype == bool or not np.issubdtype(v.dtype, np.number) or np.iscomplexobj(v):
        raise ArgumentTypeError(f"{name} must be {wanted}, got {value!r:.60} ({type(value).__name__})")
    return float(v)


def check_number(name: str, value, low: float | None = None, high: float | None = None) -> float:
    """``value`` as a finite Python float in ``low..high`` (an int or a 0-d array counts; a bound left
    None is open).

    Raises:
        ArgumentTypeError: not a real number (a bool, a string, an array, None). ValueError: NaN,
        infinite or outside the range (named).

    Example:
        >>> check_number("noise", np.array(0.25), 0.0, 10.0)
        0.25
    """
    span = _bounds(low, high)
    f = _real(name, value, f"a number{span}")
    if not (np.isfinite(f) and (low is None or f >= low) and (high is None or f <= high)):
        raise ValueError(f"{name} must be a finite number{span}, got {f!r}")
    return f


def check_positive(name: str, value, high: float | None = None) -> float:
    """``value`` as a finite Python float greater than 0 (a step size, a learning rate, a scale factor),
    and at most ``high`` when given.

    Raises:
        ArgumentTypeError: not a real number. ValueError: 0, negative, NaN, infinite or above ``high``.

    Example:
        >>> check_positive("learning_rate", 0.05)
        0.05
    """
    wanted = "a positive number" + (f" up to {high:g}" if high is not None else "")
    f = _real(name, value, wanted)
    if not (np.isfinite(f) and f > 0 and (high is None or f <= high)):
        raise ValueError(f"{name} must be {wanted}, got {f!r}")
    return f


def check_count(name: str, value, high: int | None = None) -> int:
    """A count (of samples, steps, channels, images per batch): an integer of at least 1, and at
    most ``high`` when given (a 0-d integer array counts).

    Raises:
        ArgumentTypeError: not an integer (2.5, True, "3"). ValueError: 0, negative or above ``high``.

    Example:
        >>> check_count("samples", 25, 10_000)
        25
    """
    wanted = "a positive integer" + (f" up to {high}" if high is not None else "")
    if not _is_int(value):
        raise ArgumentTypeError(f"{name} must be {wanted}, got {value!r:.60} ({type(value).__name__})")
    v = int(np.asarray(value)[()])
    if v < 1 or (high is not None and v > high):
        raise ValueError(f"{name} must be {wanted}, got {v}")
    return v


def check_bool(name: str, value) -> bool:
    """``value`` as a Python bool: True or False (a numpy bool, or a 0-d bool array, counts).

    A truthy value is not an answer here: 1, "yes" or None are refused, not guessed.

    Raises:
        ArgumentTypeError: anything else.

    Example:
        >>> check_bool("crop", np.True_)
        True
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name} must be True or False, got {value!r:.60} ({type(value).__name__})")
    return bool(value)


def check_type(name: str, value, types, expected: str):
    """``value`` itself if it is an instance of ``types`` (a class or a tuple of them), for the parts
    of a composition (an objective, a step rule, a dataset ...); ``expected`` says what belongs there.

    Raises:
        ArgumentTypeError: it is not; the message names ``expected`` and what was given.

    Example:
        >>> check_type("name", "stem_conv", str, "a layer name")
        'stem_conv'
    """
    if not isinstance(value, types):
        raise ArgumentTypeError(f"{name} must be {expected}, got {value!r:.60} ({type(value).__name__})")
    return value


def check_index(name: str, value, count: int | None = None, *, hint: str = "") -> int:
    """An index (of a channel, a filter, a class) as a Python int in ``0..count - 1`` (``count`` None:
    any index >= 0); a 0-d integer array counts. ``hint`` is added to the out-of-range message, e.g.
    ``": layer 'conv' has 32 channels"``.

    Raises:
        IndexTypeError: not an integer (1.5, True, "3"); it is also an IndexError.
        IndexError: negative, or ``count`` or more.

    Example:
        >>> check_index("channel", np.int64(3), 32)
        3
    """
    if not _is_int(value):
        span = f" 0..{count - 1}" if count is not None else " >= 0"
        raise IndexTypeError(f"{name} must be an integer index{span}, got {value!r:.60} ({type(value).__name__})")
    i = int(np.asarray(value)[()])
    if count is None and i < 0:
        raise IndexError(f"{name} must be >= 0, got {i}{hint}")
    if count is not None and not 0 <= i < count:
        raise IndexError(f"{name} {i} is out of range 0..{count - 1}{hint}")
    return i


def check_ints(name: str, value, length: int | None = None, *, expected: str | None = None) -> tuple[int, ...]:
    """A sequence of integers (a list, a tuple, a 1-D integer array) as a tuple of Python ints, of
    ``length`` items when given; ``expected`` says what belongs there, e.g. ``"(x, y) in pixels"``.

    Raises:
        ArgumentTypeError: not a sequence (a number, a string), or an item that is not an integer.
        ValueError: the wrong number of items.

    Example:
        >>> check_ints("position", np.array([3, 4]), 2)
        (3, 4)
    """
    wanted = expected or (f"{length} integers" if length is not None else "a list of integers")
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or np.ndim(value) != 1:
        raise ArgumentTypeError(f"{name} must be {wanted}, got {value!r:.60} ({type(value).__name__})")
    items = list(value)
    bad = [v for v in items if not _is_int(v)]
    if bad:
        raise ArgumentTypeError(f"{name} must be {wanted}; {bad[0]!r:.40} ({type(bad[0]).__name__}) is not an "
                                "integer")
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must be {wanted}, got {len(items)} items: {value!r:.60}")
    return tuple(int(v) for v in items)


def check_choice(name: str, value, choices, *, ignore_case: bool = False, hint: str = ""):
    """``value`` if it is one of ``choices`` (``ignore_case``: the choice spelt so, for a string in any case);
    ``hint`` is added to the message (e.g. what else may be given instead).

    Raises:
        ValueError: not one of them; the message lists them, closest first. ArgumentTypeError (also a
        ValueError): not a string where every choice is one (e.g. ``layer=3``).

    Example:
        >>> check_choice("normalization", "layer", ("channel", "layer", "global"))
        'layer'
        >>> check_choice("method", "Robust", ("classic", "robust"), ignore_case=True)
        'robust'
    """
    choices = tuple(choices)
    if ignore_case and isinstance(value, str):
        folded = {c.casefold(): c for c in choices if isinstance(c, str)}
        if value.strip().casefold() in folded:
            return folded[value.strip().casefold()]
    try:
        if value in choices:
            return value
    except (TypeError, ValueError):  # unhashable / incomparable value (an array: its truth is ambiguous)
        pass
    close = difflib.get_close_matches(value, [c for c in choices if isinstance(c, str)], 3) if isinstance(
        value, str) else []
    shown = ", ".join(repr(c) for c in (close + [c for c in choices if c not in close])[:30])
    message = f"unknown {name} {value!r:.80}; choose one of {shown}{', ...' if len(choices) > 30 else ''}{hint}"
    if choices and not isinstance(value, str) and all(isinstance(c, str) for c in choices):
        raise ArgumentTypeError(f"{message} (a name, not a {type(value).__name__})")
    raise ValueError(message)


def check_size(size) -> tuple[int, int] | None:
    """A target image size: ``None``, an int side, or ``(height, width)``, each 1..MAX_SIDE.

    (A model as the size is resolved by :func:`model_input_hw`.)

    Raises:
        ArgumentTypeError: not None, an int or a pair. ValueError: a side outside 1..MAX_SIDE, or missing.
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


def check_fraction(name: str, value) -> float:
    """``value`` as a float strictly between 0 and 1 (a chance that is neither impossible nor certain).

    Raises:
        ArgumentTypeError: not a real number. ValueError: NaN, 0, 1 or outside (named).

    Example:
        >>> check_fraction("p", 0.5)
        0.5
    """
    f = check_number(name, value, 0.0, 1.0)
    if not 0.0 < f < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {f!r}")
    return f


def check_colour(name: str, value) -> np.ndarray:
    """A fill colour in raw pixels: one grey level 0..255 or an ``(r, g, b)`` triple of them, as float32 (3,).

    Raises:
        ArgumentTypeError: neither a number nor three numbers (e.g. a string). ValueError: a value outside 0..255.

    Example:
        >>> check_colour("fill", 128).tolist(), check_colour("fill", (255, 0, 0)).tolist()
        ([128.0, 128.0, 128.0], [255.0, 0.0, 0.0])
    """
    shape_ok = not isinstance(value, (str, bytes, dict)) and np.ndim(value) in (0, 1) and np.size(value) in (1, 3)
    if not shape_ok or (np.ndim(value) == 1 and np.size(value) != 3):
        raise ArgumentTypeError(f"{name} must be a grey level 0..255 or an (r, g, b) triple of them, got {value!r:.60}")
    levels = [check_number(name, v, 0.0, 255.0) for v in np.atleast_1d(np.asarray(value, dtype=object))]
    return np.asarray(levels * 3 if len(levels) == 1 else levels, np.float32)


def check_map(name: str, value, ndims=(2,), value_range: tuple[float, float] | None = None) -> np.ndarray:
    """A heatmap (or a stack of them) as a float32 array: real numbers, finite, not empty, with ``ndims``
    dimensions; with ``value_range`` its values must lie in it (a rounding error of ``TOLERANCE`` is clipped).

    Raises:
        ArgumentTypeError: not a numeric array (a string, a list of lists of strings ...). ValueError: the wrong
        number of dimensions, no values, NaN / infinite or out-of-range values (the message gives the shape or range).

    Example:
        >>> check_map("heatmap", [[0.0, 1.0]]).shape
        (1, 2)
    """
    wanted = "a non-empty " + " or ".join(f"{n}-D" for n in ndims) + " array"
    a = check_array(name, value, tuple(ndims), expected=wanted, dtype=np.float32, allow_empty=False, finite=True)
    if value_range is not None:
        lo, hi = value_range
        low, high = float(a.min()), float(a.max())
        if low < lo - TOLERANCE or high > hi + TOLERANCE:
            raise ValueError(f"{name} must hold values in {lo:g}..{hi:g}, got {low:.4g}..{high:.4g}")
        return np.clip(a, lo, hi)
    return a.copy() if a is value else a  # a new array, as for any other input: never the caller's own
