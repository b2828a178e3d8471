"""What the Grad-CAM explorer offers, and the checks of what its controls deliver: the methods,
the colour maps, the layers, the searchable class names, which methods are slow, alpha, the
search text.

Example:
    >>> is_slow("Score-CAM"), is_slow("gradcam")
    (True, False)
    >>> check_search("tabby " * 50)
    Traceback (most recent call last):
    ...
    ValueError: search text length must be in 0..200, got 300
"""

from __future__ import annotations

import keras

from .. import cam
from .._cache import store
from ..cam.engine import engine
from ..layers import iter_layers
from ..loading import imagenet_class_names, imagenet_class_synonyms
from ..validation import check_choice, check_int, check_number, check_type

__all__ = ["COLORMAP_OPTIONS", "MAX_SEARCH", "SLOW_METHODS", "check_alpha", "check_search", "class_synonyms",
           "is_slow", "layer_options", "method_options"]

COLORMAP_OPTIONS = ["turbo", "jet", "inferno", "viridis", "magma", "hot"]  # offered first; any of COLORMAPS works
# Methods whose map costs many forward passes (Score-CAM: one per masked image, ~1 s on a CPU):
# their renders go through the explorer's runner; every other method's map costs at most one pass.
SLOW_METHODS = frozenset({"scorecam"})
MAX_SEARCH = 200  # characters of class-search text accepted (ImageNet's names with synonyms: at most ~120)


def method_options() -> list[tuple[str, str]]:
    """(label, name) of every registered CAM method, in menu order."""
    return [(m.label, m.name) for m in cam.available_methods()]


def is_slow(method) -> bool:
    """Whether ``method`` (a name in any spelling, or a method) is one of :data:`SLOW_METHODS`."""
    return cam.get_method(method).name in SLOW_METHODS


def check_search(text) -> str:
    """The class-search text, a string of at most :data:`MAX_SEARCH` characters (checked before
    anything reads it: a browser can send any length)."""
    check_type("the search text", text, str, "a string")
    check_int("search text length", len(text), 0, MAX_SEARCH)
    return text


def check_alpha(alpha) -> float:
    """The heatmap's opacity as a float in 0..1; ArgumentTypeError (a TypeError) for a non-number, ValueError
    outside (NaN too).

    Example:
        >>> check_alpha(1)
        1.0
    """
    return check_number("alpha (the heatmap's opacity)", alpha, 0.0, 1.0)


def layer_options(model, layer) -> tuple[list[str], str]:
    """The layer dropdown's options (:func:`helpers.cam.cam_layers`, deepest first) and the initial
    layer; a layer ``gradcam()`` accepts but the list leaves out is added at its depth; one it
    refuses raises the same KeyError / ValueError as ``gradcam()``."""
    options = cam.cam_layers(model)
    if layer is not None and not isinstance(layer, (str, keras.layers.Layer)):
        check_choice("layer", layer, options)  # e.g. layer=3: a ValueError listing the layers
    name = engine(model, layer).layer  # a name or layer object, checked as gradcam() checks it
    if name not in options:
        depth = {ref.name: i for i, ref in enumerate(iter_layers(model))}
        options = sorted([*options, name], key=lambda n: -depth.get(n, -1))
    return options, name


def class_synonyms(class_names) -> list[str]:
    """Searchable names: ImageNet's with their synonyms, other models' as they are."""
    key = tuple(class_names)

    def make():
        if key == imagenet_class_names():
            return [f"{n}, {s}" for n, s in zip(key, imagenet_class_synonyms())]
        return list(key)

    return store(None, "class_synonyms", max_items=4).get_or_make(key, make)
