"""Warm-up: every classroom page's default view traced once at server start, before any student.

TensorFlow traces a compiled function and optimises its graph the first time it runs (0.5-1 s of
CPU for EfficientNet-Lite0), on a computer the whole class shares. :func:`warm_up` builds each
page's default view once, as a student's first visit does -- outside any student's session, its
slow work run at once -- and closes it again: that traces the feature models of the activation
pages, the filter ascent of the default layers (and draws their first patterns into the shared
pattern store), the occluder's passes. Then every Grad-CAM engine those views made gets its compiled
functions ready: the pass that gives maps, scores and gradients, the forward pass and the pass from
cached maps that a class switch takes; their first calls are otherwise answered eagerly while they
compile in a background thread (:class:`helpers.cam.first_call.CompiledSoon`), and warm-up waits
for those threads.

Beyond the default views: the Grad-CAM page's deepest :data:`WARM_CAM_LAYERS` layers (the top of its
menu, the layers Grad-CAM is meant for; each costs ~1.3 s of start and ~33 MB of traced functions,
so not all 42 of the menu: ~70 s and ~1.6 GB) get their engines, one photo is uploaded (the
first upload's decoder checks cost ~0.5 s once per process), and each method draws once on the
default layer (Score-CAM's first masked passes trace for ~1 s).

:func:`start_warm_up` runs it in a background thread (:func:`helpers.apps.server.main` prints the
address when it is done; the start page shows a "warming up" note meanwhile).
"""

from __future__ import annotations

import threading
import time

import tensorflow as tf

from ..cam.engine import Engine, engine
from ..cam.layer_choice import cam_layers
from ..cam.store import cam_store
from ..images import sample_images
from ..validation import check_choice, check_positive
from ..widgets import GradCAMExplorer
from .pages import DebugModelPage, close_tree
from .readiness import WARMING

__all__ = ["WARM_CAM_LAYERS", "compile_engines", "engines", "start_warm_up", "warm_up"]

WARM_CAM_LAYERS = 5  # the Grad-CAM menu's first (deepest) layers, traced at start


def _exercise(view) -> None:
    """What a student does first on a page beyond its default view, where that builds something
    new: on the debug page, picking each model (each has explorers of its own); on the Grad-CAM
    page, an upload, the deepest layers of the menu and each method on the default layer."""
    if isinstance(view, DebugModelPage):
        for model in view.models:
            view.model_choice.value = model
    if isinstance(view, GradCAMExplorer):
        photo = sample_images()["chelsea"]
        view.picker.upload.value = ({"name": photo.name, "type": "image/png", "size": photo.stat().st_size,
                                     "content": photo.read_bytes(), "last_modified": 0},)
        for layer in cam_layers(view.model)[:WARM_CAM_LAYERS]:
            engine(view.model, layer)  # traced with the others by compile_engines
        for _, method in view.method_toggle.options:  # Score-CAM's masked passes trace once (~1 s)
            view.method_toggle.value = method


def engines(models) -> list[Engine]:
    """The Grad-CAM engines built so far for ``models`` (each once)."""
    found: dict[int, Engine] = {}
    for model in models:
        store = cam_store(model)
        for key in store.keys():
            value = store.get(key)
            if isinstance(value, Engine):
                found.setdefault(id(value), value)
    return list(found.values())


def compile_engines(models, timeout: float = 600.0) -> list[Engine]:
    """Make the compiled functions of every engine of ``models`` ready (traced, and the background
    compiles of the first-call functions finished, waited for at most ``timeout`` s in all);
    returns the engines. The calls take all-zero inputs: only the shapes matter for a trace."""
    timeout = check_positive("timeout", timeout)
    found = engines(models)
    pending = []
    for eng in found:
        x = tf.zeros((1, *eng.input_shape), tf.float32)
        if eng.forward.experimental_get_tracing_count() == 0:
            eng.forward(x)
        if not eng.grads.ready:
            eng.grads(x, tf.constant([-1], tf.int32))  # the first call: answered eagerly, compiled behind
        pending.append(eng.grads)
        head = eng.head_grads  # None when a skip connection crosses the layer
        if head is not None:
            if not head.ready:
                head(tf.zeros((1, *eng.map_shape), tf.float32), tf.constant([0], tf.int32))
            pending.append(head)
    deadline = time.monotonic() + timeout
    for fn in pending:
        fn.wait(max(deadline - time.monotonic(), 0.0))
    return found


def warm_up(pages=None, *, timeout: float = 600.0, log=None) -> dict[str, float]:
    """Trace the default views of ``pages`` (names of :data:`helpers.apps.classroom.BUILDERS`;
    None: every page), as described in the module's text. Returns the seconds each page took
    (``"engines"``: the wait for the Grad-CAM compiles). ``log(text)`` is told of each page.
    :data:`helpers.apps.readiness.WARMING` is set meanwhile."""
    from . import classroom

    names = (list(classroom.BUILDERS) if pages is None
             else [check_choice("page", p, tuple(classroom.BUILDERS)) for p in pages])
    seconds: dict[str, float] = {}
    WARMING.set()
    try:
        for name in names:
            t0 = time.perf_counter()
            view = classroom.BUILDERS[name](pooled=False)
            try:
                _exercise(view)
            finally:
                close_tree(view)
            seconds[name] = time.perf_counter() - t0
            if log is not None:
                log(f"warm-up: {name} page ready ({seconds[name]:.1f} s)")
        t0 = time.perf_counter()
        compile_engines([classroom.MODEL, *classroom.DEBUG_MODELS.values()], timeout)
        seconds["engines"] = time.perf_counter() - t0
    finally:
        WARMING.clear()
    return seconds


def start_warm_up(log=None) -> threading.Thread:
    """Run :func:`warm_up` in a background (daemon) thread and return it (``join()`` waits for it);
    ``log(text)`` is told once, when it is done. A page that fails to warm up is reported through
    ``log`` and does not stop the server: its first student then pays the trace."""
    def run():
        t0 = time.perf_counter()
        try:
            warm_up()
        except Exception as err:  # noqa: BLE001 -- the server serves on, unwarmed
            message = f"warm-up stopped early ({type(err).__name__}: {err}); the first visits will be slower"
        else:
            message = f"every page's first view is ready ({time.perf_counter() - t0:.0f} s of warm-up)"
        if log is not None:
            log(message)

    WARMING.set()  # before the thread starts: a page opened at once says so
    thread = threading.Thread(target=run, name="classroom-warm-up", daemon=True)
    thread.start()
    return thread
