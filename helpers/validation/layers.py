"""Layers: a layer given by its name or as a Keras layer object, lists of them, and layer kinds."""

from __future__ import annotations

import keras
import numpy as np

from .args import check_choice
from .errors import ArgumentTypeError, LayerTypeError

__all__ = ["check_kinds", "check_layers", "layer_name"]


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
