"""Arguments: integers, numbers, choices, layer kinds and layers, class names and indices, sizes."""

from __future__ import annotations

import difflib

import keras
import numpy as np

from .errors import ArgumentTypeError, IndexTypeError, LayerTypeError
from .limits import MAX_SIDE, TOLERANCE


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


def check_number(name: str, value, low: float, high: float) -> float:
    """``value`` as a finite Python float in ``low..high`` (an int or a 0-d array counts).

    Raises:
        ArgumentTypeError: not a real number (a bool, a string, an array). ValueError: NaN, infinite or
        outside the range (named).

    Example:
        >>> check_number("noise", np.array(0.25), 0.0, 10.0)
        0.25
    """
    v = np.asarray(value)  # a string is a str array: refused below, as a list or a bool is
    if v.ndim != 0 or v.dtype == bool or not np.issubdtype(v.dtype, np.number) or np.iscomplexobj(v):
        raise ArgumentTypeError(f"{name} must be a number in {low:g}..{high:g}, got {value!r:.60}")
    f = float(v)
    if not (np.isfinite(f) and low <= f <= high):
        raise ValueError(f"{name} must be a finite number in {low:g}..{high:g}, got {f!r}")
    return f


def check_choice(name: str, value, choices, *, ignore_case: bool = False):
    """``value`` if it is one of ``choices`` (``ignore_case``: the choice spelt so, for a string in any case).

    Raises:
        ValueError: not one of them; the message lists them, closest first.

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
    except TypeError:  # unhashable / incomparable value
        pass
    close = difflib.get_close_matches(value, [c for c in choices if isinstance(c, str)], 3) if isinstance(
        value, str) else []
    shown = ", ".join(repr(c) for c in (close + [c for c in choices if c not in close])[:30])
    raise ValueError(f"unknown {name} {value!r:.80}; choose one of {shown}{', ...' if len(choices) > 30 else ''}")


def check_kinds(kinds, choices) -> tuple:
    """Layer kinds: one name, a sequence of names, or ``"all"`` (every choice).

    Raises:
        ArgumentTypeError: not a name or names. ValueError: an unknown kind (the message lists them).

    Example:
        >>> check_kinds("conv", ("conv", "pool"))
        ('conv',)
    """
    choices = tuple(choices)
    if isinstance(kinds, str):
        kind = check_choice("layer kind", kinds, choices + ("all",), ignore_case=True)
        return choices if kind == "all" else (kind,)
    try:
        kinds = tuple(kinds)
    except TypeError:
        raise ArgumentTypeError(f"kinds must be a layer kind or a list of them ({', '.join(choices)}, or 'all'); "
                                f"got {kinds!r:.80}") from None
    return tuple(check_choice("layer kind", k, choices, ignore_case=True) for k in kinds)


def check_class_names(names, count: int | None = None) -> tuple[str, ...]:
    """Class names as a tuple of str; ``count`` (when given) must match.

    Raises:
        ArgumentTypeError: one string (``"abc"`` is not three names) or a non-string name.
        ValueError: the wrong number of names.
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


def check_class_index(class_index, num_classes: int, class_names=None, synonyms=None) -> int:
    """A class index as an int in ``0..num_classes - 1``; a 0-d integer array is accepted, and with
    ``class_names`` a class *name* too (:func:`class_from_name`).

    Raises:
        IndexTypeError: not an integer (nor a name, when names are known). IndexError: out of range.
        ValueError: a name that matches no class, or several (the message lists the closest).
    """
    if isinstance(class_index, str) and class_names is not None:
        return class_from_name(class_index, class_names, synonyms)
    if not _is_int(class_index):
        named = " or a class name" if class_names is not None else ""
        raise IndexTypeError(f"class_index must be an integer 0..{num_classes - 1}{named}, got {class_index!r:.60} "
                             f"({type(class_index).__name__})")
    i = int(np.asarray(class_index)[()])
    if not 0 <= i < num_classes:
        raise IndexError(f"class_index {i} is out of range: this model has {num_classes} classes "
                         f"(0..{num_classes - 1})")
    return i


def class_from_name(name: str, class_names, synonyms=None) -> int:
    """The index of the class called ``name``: its exact name, the name in any case, one of its
    ``synonyms`` (comma-separated per class, e.g. ImageNet's ``'tabby, tabby cat'``), or a part of
    exactly one class's name or synonyms.

    Raises:
        ValueError: no class or several classes match; the message lists the closest with their indices.

    Example:
        >>> class_from_name("Tiger Cat", ("tabby", "tiger cat"))
        1
    """
    names = tuple(class_names)
    terms = [[n.casefold()] + [t.strip().casefold() for t in (synonyms[i].split(",") if synonyms else ())]
             for i, n in enumerate(names)]
    key = name.strip().casefold()
    tests = (lambda i: names[i] == name, lambda i: terms[i][0] == key,  # exact, then any case
             lambda i: key in terms[i], lambda i: any(key in w for w in terms[i]))  # a synonym, then a part
    for test in tests:
        found = [i for i in range(len(names)) if test(i)]
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(f"{names[i]!r} ({i})" for i in found[:8]) + (", ..." if len(found) > 8 else "")
            raise ValueError(f"class name {name!r:.60} matches {len(found)} classes: {shown}; "
                             "give a fuller name or the class index")
    by_term = {w: i for i, t in enumerate(terms) for w in t}
    close = list(dict.fromkeys(by_term[w] for w in difflib.get_close_matches(key, list(by_term), 5, 0.6)))
    hint = f"did you mean {', '.join(f'{names[i]!r} ({i})' for i in close)}? " if close else ""
    raise ValueError(f"no class named {name!r:.60}; {hint}give a class name of this model (its "
                     f"helpers.model_info(model).class_names) or an index 0..{len(names) - 1}")


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


def layer_name(layer) -> str:
    """A layer given by its name or as a Keras layer object (``model.get_layer(...)``), as its name.

    Raises:
        LayerTypeError: anything else (a number, a list ...); the message says what to give.
    """
    if isinstance(layer, keras.layers.Layer):
        return layer.name
    if not isinstance(layer, str):
        raise LayerTypeError(f"a layer is named by a string or given as a Keras layer (model.get_layer(name)); "
                             f"got {layer!r:.60} ({type(layer).__name__}). helpers.layer_names(model) lists the names")
    return layer


def check_layers(layers) -> tuple[str, ...] | None:
    """Layers as a tuple of names: ``None`` stays None (the caller's default), one name or layer
    object is a list of one, a list / tuple of names or layer objects each becomes its name.

    Any other iterable of names (a generator, a set) is taken as a list.

    Raises:
        ArgumentTypeError: not a name, a layer, a list of them or None (e.g. ``layers=5``).

    Example:
        >>> check_layers("stem_conv"), check_layers(None)
        (('stem_conv',), None)
    """
    if layers is None:
        return None
    if isinstance(layers, (str, keras.layers.Layer)):
        return (layer_name(layers),)
    if isinstance(layers, (dict, bytes)) or not hasattr(layers, "__iter__") or np.ndim(layers) > 1:
        raise ArgumentTypeError(f"layers must be a layer name (e.g. 'stem_conv'), a list of names or Keras layers, "
                                f"or None for the default layers; got {layers!r:.60} ({type(layers).__name__})")
    try:
        return tuple(layer_name(x.item() if isinstance(x, np.generic) else x) for x in layers)
    except LayerTypeError as err:
        raise ArgumentTypeError(f"layers: {err}") from None


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
    try:
        a = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists
        raise ArgumentTypeError(f"{name} must be a numeric array, got {value!r:.60}") from None
    if a.dtype == bool:
        a = a.astype(np.float32)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ArgumentTypeError(f"{name} must be a numeric array, got dtype {a.dtype} ({value!r:.60})")
    wanted = " or ".join(f"{n}-D" for n in ndims)
    if a.ndim not in tuple(ndims) or a.size == 0:
        raise ValueError(f"{name} must be a non-empty {wanted} array, got shape {a.shape}")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if value_range is not None:
        lo, hi = value_range
        low, high = float(a.min()), float(a.max())
        if low < lo - TOLERANCE or high > hi + TOLERANCE:
            raise ValueError(f"{name} must hold values in {lo:g}..{hi:g}, got {low:.4g}..{high:.4g}")
        a = np.clip(a, lo, hi)
    return a
