"""The first call of a (model, layer) is answered eagerly while the graph compiles in the background."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import tensorflow as tf
from kit import cam_model, conv_classifier, random_image, tape_gradient

from helpers import gradcam
from helpers.cam.engine import engine
from helpers.cam.first_call import CompiledSoon


class _Recorder:
    """Counts calls and, with ``delay``, takes that long (a stand-in for a slow trace)."""

    def __init__(self, fn, delay=0.0, fail=False):
        self.fn, self.delay, self.fail, self.calls, self.threads = fn, delay, fail, 0, []

    def __call__(self, *args):
        self.calls += 1
        self.threads.append(threading.current_thread().name)
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the graph cannot be built")
        return self.fn(*args)


def test_the_first_call_is_eager_and_the_compile_runs_off_the_callers_thread():
    eager, compiled = _Recorder(lambda x: x + 1), _Recorder(lambda x: x + 1, delay=0.2)
    fn = CompiledSoon(compiled, eager, name="plus-one")
    assert fn(1) == 2 and eager.calls == 1 and not fn.ready
    assert fn.wait(timeout=10) and fn.ready and not fn.failed
    assert compiled.threads == ["compile-plus-one"]  # the compile happened in its own thread
    assert fn(5) == 6 and fn(7) == 8
    assert eager.calls == 1 and compiled.calls == 3  # one warm-up in the thread, then every call


def test_a_call_made_while_compiling_waits_for_the_compiled_function():
    eager, compiled = _Recorder(lambda x: x), _Recorder(lambda x: x, delay=0.3)
    fn = CompiledSoon(compiled, eager)
    fn(0)
    t = time.perf_counter()
    assert fn(1) == 1
    assert time.perf_counter() - t >= 0.2 and fn.ready  # it waited: one eager pass per loop, not one per call
    assert eager.calls == 1


def test_a_failed_compile_leaves_every_call_eager_and_right():
    eager, compiled = _Recorder(lambda x: 2 * x), _Recorder(lambda x: 2 * x, fail=True)
    fn = CompiledSoon(compiled, eager)
    assert fn(2) == 4
    assert not fn.wait(timeout=10) and fn.failed
    assert fn(3) == 6 and fn(4) == 8
    assert compiled.calls == 1 and eager.calls == 3


def test_callers_racing_on_the_first_call_start_one_compile():
    compiled = _Recorder(lambda x: x, delay=0.1)
    fn = CompiledSoon(compiled, _Recorder(lambda x: x, delay=0.05))
    barrier = threading.Barrier(4)
    threads = [threading.Thread(target=lambda: (barrier.wait(), fn(1))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fn.wait(timeout=10)
    assert compiled.threads.count("compile-compiled") == 1


def test_wait_before_any_call_returns_false_at_once():
    fn = CompiledSoon(lambda x: x, lambda x: x)
    assert fn.wait() is False and not fn.ready


@pytest.mark.parametrize("layer", ["conv", "second"])
def test_eager_and_compiled_gradients_agree_with_an_independent_tape(layer):
    """The eager first answer (head-only tape) and the compiled one are the same computation."""
    model = conv_classifier((24, 24, 3), convs=(("conv", 6, "relu"), ("second", 5, "relu")), units=4, seed=3)
    image = random_image(1, size=24)
    eng = engine(model, layer)
    x, idx = tf.constant(image[None].astype("float32")), tf.constant([2], tf.int32)
    fe, ge, se, ie = (np.asarray(t) for t in eng.grads(x, idx))  # the first call: eager
    assert eng.grads.wait(timeout=60)
    fc, gc, sc, ic = (np.asarray(t) for t in eng.grads(x, idx))  # compiled
    expected = tape_gradient(model, layer, image, 2)
    np.testing.assert_allclose(ge[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gc[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fe, fc, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(se, sc, rtol=1e-5, atol=1e-6)
    assert int(ie[0]) == int(ic[0]) == 2


def test_the_top_class_is_chosen_alike_on_the_eager_and_the_compiled_path():
    model = cam_model(seed=4)
    eng = engine(model)
    x = tf.constant(random_image(2)[None].astype("float32"))
    _, _, scores, idx = eng.grads(x, tf.constant([-1], tf.int32))
    eng.grads.wait(timeout=60)
    _, _, _, idx2 = eng.grads(x, tf.constant([-1], tf.int32))
    assert int(idx[0]) == int(idx2[0]) == int(np.argmax(np.asarray(scores)[0]))


def test_a_skip_connection_across_the_layer_takes_the_full_tape():
    """No head model exists past a layer that a skip connection crosses: the eager path then
    records the whole pass and still gives the true gradient."""
    import keras

    inputs = keras.Input((16, 16, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="a")(inputs)
    b = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="b")(a)
    c = keras.layers.Add(name="skip")([a, b])
    out = keras.layers.Dense(3, name="dense")(keras.layers.GlobalAveragePooling2D()(c))
    model = keras.Model(inputs, out)
    eng = engine(model, "b")  # the skip from 'a' crosses 'b'
    assert eng.head_grads is None
    image = random_image(5, size=16)
    _, g, _, _ = eng.grads(tf.constant(image[None].astype("float32")), tf.constant([1], tf.int32))
    np.testing.assert_allclose(np.asarray(g)[0], tape_gradient(model, "b", image, 1), rtol=1e-5, atol=1e-6)
    eng.grads.wait(timeout=60)


def test_gradcam_maps_before_and_after_the_compile_agree():
    model = cam_model(seed=6)
    image = random_image(3)
    first = gradcam(model, image, 1)
    assert engine(model).grads.wait(timeout=60)
    again = gradcam(model, image, 1)
    np.testing.assert_allclose(first, again, atol=1e-5)
    assert engine(model).trace_count() == 1  # one trace, made in the background
