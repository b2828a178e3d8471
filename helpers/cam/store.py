"""The CAM package's store in each model's cache registry: engines, layer choices and
input-gradient functions live there (``helpers._cache``: weakly keyed, bounded, clearable), never
in a module-level dict.
"""

from __future__ import annotations

import keras

from .._cache import store
from ..validation import check_model

__all__ = ["CACHE", "cam_store"]

CACHE = "cam"  # the name of this package's store in each model's cache


def cam_store(model: keras.Model):
    """This package's store in ``model``'s cache: engines, layer choices, input-gradient functions."""
    check_model(model)  # a model name or another object: a TypeError that says what to pass
    return store(model, CACHE, max_items=64)
