"""Argument checks at the public boundary of filter visualisation, in one place: each turns a
bad value into a ValueError / IndexError / KeyError / TypeError that names it and the valid
choices, before any TensorFlow code runs."""

from __future__ import annotations

import math

import keras
import numpy as np

from ..features import LOGITS, output_shape, require_spatial

# re-exported for the filters modules
from ..validation import MAX_STEPS, check_choice, check_int, check_model  # noqa: F401

MIN_SIZE = 16
MAX_SIZE = 1024


def check_size(size) -> int:
    return check_int("size", size, MIN_SIZE, MAX_SIZE)


def check_steps(steps) -> int:
    return check_int("steps", steps, 0, MAX_STEPS)


def check_rate(value, what: str = "step") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{what} must be a positive number, got {value!r}")
    return float(value)


def layer_channels(model: keras.Model, layer: str) -> int:
    """Number of filters (channels) of a feature-map layer; ValueError for Dense / pooled layers.

    Example:
        >>> layer_channels(load_model(), "block4b_expand_conv")
        480
    """
    ref = require_spatial(model, layer, "a filter-visualisation target")
    return int(output_shape(ref)[-1])


def check_channel(model: keras.Model, layer: str, index: int) -> None:
    """IndexError when ``index`` is not a channel of ``layer`` (or a class of the logits)."""
    if layer == LOGITS:
        count, what = int(model.outputs[0].shape[-1]), "the model has {n} classes, so valid classes"
    else:
        count, what = layer_channels(model, layer), f"layer {layer!r} has {{n}} channels, so valid filters"
    if not 0 <= int(index) < count:
        raise IndexError(f"filter {int(index)} is out of range: " + what.format(n=count)
                         + f" are 0..{count - 1}")


def check_filters(model: keras.Model, layer: str, filters) -> tuple[int, ...]:
    """One filter index or a list of them, each checked against ``layer``'s channels."""
    if isinstance(filters, (int, np.integer)) and not isinstance(filters, bool):
        items = [filters]
    elif isinstance(filters, (list, tuple, range, np.ndarray)):
        items = list(np.asarray(filters).ravel()) if isinstance(filters, np.ndarray) else list(filters)
    else:
        raise ValueError(f"filters must be a filter index or a list of them, got {filters!r}")
    if not items:
        raise ValueError("filters is empty: give at least one filter index")
    out = []
    for f in items:
        if isinstance(f, bool) or not isinstance(f, (int, np.integer)):
            raise ValueError(f"filter indices must be integers, got {f!r}")
        check_channel(model, layer, f)
        out.append(int(f))
    return tuple(out)
