"""One cache registry: everything convnet-vis remembers about a model, in one place.

Each model gets its own :class:`ModelCache` (keyed weakly: deleting the model frees its
entries), holding named :class:`Store` s -- ``"forward"``, ``"features"``, ``"cam"`` ... --
each a thread-safe LRU bounded by a number of entries and/or a number of bytes. Every
technique asks ``store(model, "name")`` for its store instead of keeping a module-level dict,
so :func:`clear_caches` really clears everything, and a classroom server calling from many
threads at once stays consistent and bounded.

Values must not hold a strong reference to the model itself (a compiled function should close
over a feature model or a ``weakref``), or the model could never be freed.

Example:
    >>> cache = store(model, "doc-example", max_items=2)
    >>> cache.get_or_make("a", lambda: 1), cache.get_or_make("a", lambda: 2)
    (1, 1)
    >>> clear_caches(model); len(store(model, "doc-example"))
    0
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict

import numpy as np

# Arrays cached for interactive use (feature maps, gradients, patterns) share one budget per store.
DEFAULT_ARRAY_MB = float(os.environ.get("CONVNET_VIS_CACHE_MB", "512"))

_MISSING = object()


def nbytes(value) -> int:
    """Approximate size in bytes of a cached value: arrays and (nested) tuples/lists/dicts of
    arrays are counted; anything else counts 0 (compiled functions, small objects).

    Example:
        >>> nbytes((np.zeros(10, np.float32), {"a": np.zeros(2, np.uint8)}))
        42
    """
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if hasattr(value, "nbytes") and hasattr(value, "dtype") and hasattr(value, "shape"):  # tf / keras tensors
        try:
            return int(value.nbytes)
        except (TypeError, ValueError):
            return 0
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return sum(nbytes(getattr(value, f)) for f in value.__dataclass_fields__)
    return 0


class Store:
    """A thread-safe LRU mapping, bounded by ``max_items`` and/or ``max_bytes``.

    ``get_or_make(key, make)`` builds a missing value at most once even when several threads
    ask for it at the same time (the others wait for the first), without holding the store's
    lock while building, so other keys stay available meanwhile.
    """

    def __init__(self, max_items: int | None = None, max_bytes: float | None = None):
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._data: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._bytes = 0
        self._lock = threading.RLock()
        self._building: dict = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._data

    @property
    def bytes(self) -> int:
        """Bytes held now (as counted by :func:`nbytes`)."""
        return self._bytes

    def get(self, key, default=None):
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key, value):
        size = nbytes(value) if self.max_bytes is not None else 0
        with self._lock:
            if key in self._data:
                self._bytes -= self._sizes.pop(key)
                del self._data[key]
            self._data[key] = value
            self._sizes[key] = size
            self._bytes += size
            self._evict()
        return value

    def _evict(self):
        while self._data and (
                (self.max_items is not None and len(self._data) > self.max_items)
                or (self.max_bytes is not None and self._bytes > self.max_bytes and len(self._data) > 1)):
            old, _ = self._data.popitem(last=False)
            self._bytes -= self._sizes.pop(old)

    def get_or_make(self, key, make):
        while True:
            with self._lock:
                value = self.get(key, _MISSING)
                if value is not _MISSING:
                    return value
                event = self._building.get(key)
                if event is None:
                    event = self._building[key] = threading.Event()
                    break
            event.wait()  # another thread is building it: wait, then read it (or build it if that failed)
        try:
            return self.put(key, make())
        finally:
            with self._lock:
                self._building.pop(key, None)
            event.set()

    def pop(self, key, default=None):
        with self._lock:
            if key not in self._data:
                return default
            self._bytes -= self._sizes.pop(key)
            return self._data.pop(key)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self._bytes = 0

    def keys(self) -> list:
        with self._lock:
            return list(self._data)


class ModelCache:
    """The named stores of one model."""

    def __init__(self):
        self._stores: dict[str, Store] = {}
        self._lock = threading.Lock()

    def store(self, name: str, *, max_items: int | None = None, max_bytes: float | None = None) -> Store:
        with self._lock:
            s = self._stores.get(name)
            if s is None:
                s = self._stores[name] = Store(max_items, max_bytes)
            return s

    def clear(self) -> None:
        with self._lock:
            stores = list(self._stores.values())
        for s in stores:
            s.clear()

    def stats(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return {name: (len(s), s.bytes) for name, s in self._stores.items()}


_REGISTRY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()
_GLOBAL = ModelCache()  # for things that belong to no model (e.g. photos decoded once)


def model_cache(model) -> ModelCache:
    """The cache of ``model`` (created on first use); ``None`` gives the model-independent one."""
    if model is None:
        return _GLOBAL
    with _REGISTRY_LOCK:
        cache = _REGISTRY.get(model)
        if cache is None:
            cache = _REGISTRY[model] = ModelCache()
        return cache


def store(model, name: str, *, max_items: int | None = None, max_bytes: float | None = None) -> Store:
    """The store ``name`` of ``model``'s cache (bounds apply when it is first created)."""
    return model_cache(model).store(name, max_items=max_items, max_bytes=max_bytes)


def array_budget() -> float:
    """Bytes an array store may hold (``CONVNET_VIS_CACHE_MB``, default 512 MB)."""
    return DEFAULT_ARRAY_MB * 1024 * 1024


def clear_caches(model=None) -> None:
    """Forget everything cached for ``model`` (compiled functions, feature models, feature maps,
    gradients, filter patterns), or for every model when ``model`` is None.

    Example:
        >>> clear_caches()
    """
    if model is not None:
        with _REGISTRY_LOCK:
            cache = _REGISTRY.get(model)
        if cache is not None:
            cache.clear()
        return
    with _REGISTRY_LOCK:
        caches = list(_REGISTRY.values())
    for cache in caches + [_GLOBAL]:
        cache.clear()


def cached_models() -> int:
    """How many models have a cache now (for tests: a deleted model's cache is gone)."""
    with _REGISTRY_LOCK:
        return len(_REGISTRY)
