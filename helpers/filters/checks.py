"""The checks of filter visualisation that need to know the model: a filter (or class) index against
its layer's channels, the sizes and step counts its presets allow. The generic part of each -- an
integer, a count, an index -- is :mod:`helpers.validation`'s; these run before any TensorFlow code.
"""

from __future__ import annotations

import keras
import numpy as np

from ..features import LOGITS
from ..layers import output_shape, require_spatial
from ..validation import MAX_STEPS, check_index, check_int

__all__ = ["MAX_SIZE", "MIN_SIZE", "check_channel", "check_filters", "check_size", "check_steps", "layer_channels"]

MIN_SIZE = 16
MAX_SIZE = 1024


def check_size(size) -> int:
    """The side of a visualised pattern in pixels, an integer in ``MIN_SIZE..MAX_SIZE``.

    Raises:
        ArgumentTypeError: not an integer. ValueError: outside the range.
    """
    return check_int("size", size, MIN_SIZE, MAX_SIZE)


def check_steps(steps) -> int:
    """A number of gradient-ascent steps, ``0..MAX_STEPS`` (0 evaluates the start image).

    Raises:
        ArgumentTypeError: not an integer. ValueError: outside the range.
    """
    return check_int("steps", steps, 0, MAX_STEPS)


def layer_channels(model: keras.Model, layer: str) -> int:
    """Number of filters (channels) of a feature-map layer; ValueError for Dense / pooled layers.

    Example:
        >>> layer_channels(load_model(), "block4b_expand_conv")
        480
    """
    ref = require_spatial(model, layer, "a filter-visualisation target")
    return int(output_shape(ref)[-1])


def check_channel(model: keras.Model, layer: str, index) -> int:
    """``index`` as a channel of ``layer`` (or a class of the logits, :data:`LOGITS`).

    Raises:
        IndexTypeError: not an integer. IndexError: not one of the layer's channels (the message says
        how many it has). KeyError / ValueError: an unknown layer, or one without feature maps.
    """
    if layer == LOGITS:
        count = int(model.outputs[0].shape[-1])
        return check_index("filter", index, count, hint=f": the model has {count} classes")
    count = layer_channels(model, layer)
    return check_index("filter", index, count, hint=f": layer {layer!r} has {count} channels")


def check_filters(model: keras.Model, layer: str, filters) -> tuple[int, ...]:
    """One filter index or a list of them (a tuple, a range, an integer array), each checked against
    ``layer``'s channels.

    Raises:
        ValueError: an empty list. IndexTypeError / IndexError: as :func:`check_channel`, per index.
    """
    if isinstance(filters, (list, tuple, range, np.ndarray)):
        items = list(np.asarray(filters).ravel()) if isinstance(filters, np.ndarray) else list(filters)
    else:
        items = [filters]  # one index, checked below
    if not items:
        raise ValueError("filters is empty: give at least one filter index")
    return tuple(check_channel(model, layer, f) for f in items)
