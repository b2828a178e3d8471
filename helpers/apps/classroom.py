"""The classroom app: the three explorers as pages of one Solara app, for a whole class.

Served by :mod:`helpers.apps.server` (``make classroom``). The model, TensorFlow and the compiled
functions are loaded once per process (when Solara imports this module); every student -- every
browser tab, a Solara "virtual kernel" -- gets explorers of their own, built the first time they
open a page and kept until the tab closes, so one student's image, layer, class or upload never
appears on another's screen. Filter ascents, atlases and Score-CAM (seconds of CPU each) run in
one shared, bounded :class:`~helpers.apps.pool.WorkerPool`; uploads go through
:func:`~helpers.apps.uploads.guard_uploads`; "save PNG" offers a download and writes nothing here.

Nothing here evaluates text a student sends: the pages hold widgets only, and Solara's virtual
kernels accept widget messages only (no code execution).
"""

from __future__ import annotations

import os
import threading

import solara
from solara.server import kernel_context

from .. import load_model
from ..layers import layer_names
from ..widgets import activation_explorer, filter_explorer, gradcam_explorer
from .pool import WorkerPool
from .uploads import guard_uploads

__all__ = ["ACTIVATION_LAYERS", "BUILDERS", "INTRO", "MODEL", "MODEL_NAME", "POOL", "active_students", "Intro",
           "routes", "student_explorer"]

MODEL_NAME = os.environ.get("CLASSROOM_MODEL", "efficientnet_lite0")
MODEL = load_model(MODEL_NAME)
POOL = WorkerPool(workers=int(os.environ.get("CLASSROOM_WORKERS", "1")))

# The activations page offers each block's output (18 layers for EfficientNet-Lite0, ~10 MB of
# feature maps per photo and student) rather than all 82 (~50 MB).
_ALL_LAYERS = layer_names(MODEL)
ACTIVATION_LAYERS = [n for n in _ALL_LAYERS if n.endswith("activation") and "expand" not in n] or _ALL_LAYERS

_SESSIONS: dict[str, dict] = {}
_SESSIONS_LOCK = threading.Lock()


def _pooled(status):
    """A ``runner(slot, work)`` for this student's explorer: its slow work (filter ascents,
    atlases, Score-CAM) goes to the shared pool, one pending job per student and slot; ``status``
    (the explorer's status line) says so while the pool is busy."""
    context = kernel_context.get_current_context()

    def submit(slot, work):
        if POOL.busy() >= POOL.workers:
            status().value = "<i>waiting for a free worker: the class shares this computer ...</i>"
        POOL.submit(context.id, slot, work, wrap=lambda: context)

    return submit


# Every explorer: pictures saved as downloads to the student's browser (nothing written on this
# computer), slow work in the shared pool.
def _build_gradcam():
    explorer = None
    explorer = gradcam_explorer(MODEL, runner=_pooled(lambda: explorer.status), save="download")
    guard_uploads(explorer.picker)
    return explorer


def _build_activations():
    explorer = activation_explorer(MODEL, layers=ACTIVATION_LAYERS, save="download")
    guard_uploads(explorer.picker)
    return explorer


def _build_filters():
    explorer = None
    explorer = filter_explorer(MODEL, runner=_pooled(lambda: explorer.status), save="download")
    return explorer


BUILDERS = {"gradcam": _build_gradcam, "activations": _build_activations, "filters": _build_filters}


def student_explorer(name: str):
    """This student's explorer ``name`` (built on first use, dropped when their tab closes)."""
    context = kernel_context.get_current_context()
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(context.id)
        if session is None:
            session = _SESSIONS[context.id] = {}
            context.on_close(lambda: _forget(context.id))
    if name not in session:
        session[name] = BUILDERS[name]()
    return session[name]


def _forget(student) -> None:
    POOL.forget(student)
    with _SESSIONS_LOCK:
        _SESSIONS.pop(student, None)


def active_students() -> int:
    with _SESSIONS_LOCK:
        return len(_SESSIONS)


INTRO = """
<h1>What does a convolutional network see?</h1>
<p>This is <b>EfficientNet-Lite0</b>, a real image classifier trained on a million photos (1000 classes).
Nothing you do here changes it, and nobody else sees your screen.</p>
<ul>
<li><b>Activations</b> -- what each layer sees: pick a photo and a layer; every tile is one feature map, the
output of one filter. Early layers keep edges and colours; deep layers are small and abstract.</li>
<li><b>Filters</b> -- what a filter looks for: each picture is grown from grey noise until one filter
responds as strongly as possible. Slow: your request waits its turn while the class shares the computer.</li>
<li><b>Gradcam</b> -- where it looked: Grad-CAM colours the parts of the photo that pushed the network
towards a class. Try <i>cat_and_coffee</i> with <i>tiger cat</i>, then with <i>espresso</i>.</li>
</ul>
<p>You can upload your own photo (JPEG or PNG, up to 20 MB) on the Activations and Gradcam pages.</p>
"""


def _html(text: str):
    # fixed text written here, never a student's: Solara's Markdown would load KaTeX, which
    # solara-assets 1.58.2 does not ship (a 404 offline)
    return solara.HTML(tag="div", unsafe_innerHTML=text, style="max-width: 60em")


@solara.component
def Intro():
    _html(INTRO)


def _page(name: str, title: str, blurb: str):
    @solara.component
    def Page():
        _html(f"<h2>{title}</h2><p>{blurb}</p>")
        explorer = solara.use_memo(lambda: student_explorer(name), [])
        solara.display(explorer)

    Page.__name__ = Page.__qualname__ = f"{name.capitalize()}Page"
    return Page


routes = [
    solara.Route(path="/", component=Intro, label="Start"),
    solara.Route(path="activations", label="What each layer sees", component=_page(
        "activations", "What does each layer see?",
        "Pick a photo (or upload your own), then a layer; move the channel slider to see one map large.")),
    solara.Route(path="filters", label="What a filter looks for", component=_page(
        "filters", "What pattern does a filter look for?",
        "Pick a layer and a filter; <i>atlas</i> draws many filters at once (it takes a while).")),
    solara.Route(path="gradcam", label="Where it looked", component=_page(
        "gradcam", "Where did the network look?",
        "Red: strong evidence for the chosen class. <i>counterfactual</i> shows what argues against it.")),
]
