"""Classes: a model's class names, and a class given by its index or by its name."""

from __future__ import annotations

import difflib

import numpy as np

from .args import _is_int
from .errors import ArgumentTypeError, IndexTypeError

__all__ = ["check_class_index", "check_class_names", "class_from_name"]


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
