"""Tests of the cache registry (helpers/_cache.py): bounded, thread-safe, per model, clearable."""
import gc
import threading

import keras
import numpy as np
import pytest

import helpers
from helpers import _cache


def test_store_is_an_lru_bounded_in_items_and_bytes():
    s = _cache.Store(max_items=2)
    s.put("a", 1), s.put("b", 2), s.get("a"), s.put("c", 3)  # "b" is the least recently used
    assert s.keys() == ["a", "c"]
    m = _cache.Store(max_bytes=1000)
    for k in range(5):
        m.put(k, np.zeros(300, np.uint8))
    assert m.keys() == [2, 3, 4] and m.bytes == 900
    big = _cache.Store(max_bytes=10)
    big.put("x", np.zeros(100, np.uint8))  # one entry over the budget is kept (else nothing could be cached)
    assert big.keys() == ["x"]
    m.clear()
    assert len(m) == 0 and m.bytes == 0


def test_get_or_make_builds_once_under_concurrency():
    s = _cache.Store()
    calls = []
    gate = threading.Event()

    def make():
        calls.append(1)
        gate.wait(2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(s.get_or_make("k", make))) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1 and len(results) == 8 and all(r is results[0] for r in results)


def test_a_failed_build_is_not_cached_and_can_be_retried():
    s = _cache.Store()
    with pytest.raises(RuntimeError):
        s.get_or_make("k", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert s.get_or_make("k", lambda: 7) == 7


def test_clear_caches_clears_every_store_of_a_model(default_model, cat_224):
    helpers.activations(default_model, cat_224, ["stem_conv"])
    stats = _cache.model_cache(default_model).stats()
    assert stats["feature_models"][0] >= 1 and stats["feature_fns"][0] >= 1
    helpers.clear_caches(default_model)
    assert all(n == 0 for n, _ in _cache.model_cache(default_model).stats().values())
    helpers.activations(default_model, cat_224, ["stem_conv"])  # rebuilt on demand


def test_a_deleted_model_frees_its_cache():
    gc.collect()
    before = _cache.cached_models()
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(2, 3, name="c"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    helpers.activations(model, np.zeros((16, 16, 3), np.uint8), ["c"])
    assert _cache.cached_models() == before + 1
    del model
    gc.collect()
    assert _cache.cached_models() == before
