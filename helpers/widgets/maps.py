"""The activation explorers' shared store of feature maps.

Explorers of one model -- a class of students on one server -- share one forward pass per
(image, layers): the maps live in the model's cache registry (:mod:`helpers._cache`), bounded in
bytes by ``CONVNET_VIS_CACHE_MB``, read-only. Only pictures anyone could pick (the bundled photos)
are shared; a picture of the student's own is kept under that explorer's own key, so nobody can
time whether someone else uploaded a given picture.

Example:
    >>> image_key(np.zeros((2, 2, 3), np.uint8))
    '(2, 2, 3):04e98d06a3ead2eab575113a'
"""

from __future__ import annotations

import hashlib

import numpy as np

from .._cache import array_budget, store

__all__ = ["STORE", "image_key", "maps_store", "shared_maps"]

STORE = "explorer-activations"  # the model's store of (image, layers) -> feature maps, bounded in MB


def maps_store(model):
    """The model's store of the explorers' feature maps, keyed by (image, layers) and bounded by
    the byte budget ``CONVNET_VIS_CACHE_MB`` (:func:`helpers._cache.array_budget`)."""
    return store(model, STORE, max_bytes=array_budget())


def image_key(image: np.ndarray) -> str:
    """A short key that names the picture's pixels (shape and a 96-bit BLAKE2 hash)."""
    return f"{image.shape}:{hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=12).hexdigest()}"


def shared_maps(model, image: np.ndarray, layers, make, owner: str | None = None):
    """``(key, make())`` for ``image`` at ``layers``, ``make`` called only when the store lacks it.
    ``owner``: None for a bundled photo (shared by every explorer), else the explorer's own key."""
    key = image_key(image) if owner is None else f"{image_key(image)}:{owner}"
    return key, maps_store(model).get_or_make((key, tuple(layers)), make)
