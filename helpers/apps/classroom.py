"""The classroom app: the explorers as pages of one Solara app, for a whole class.

Pages: activations, filters, Grad-CAM (one explorer each), the occluder and "where -> what" (each
under a photo menu), and "debug a model" (notebook 4's two small convnets through the three
techniques); the composed pages are in :mod:`helpers.apps.pages`.

Served by :mod:`helpers.apps.server` (``make classroom``). The models, TensorFlow and the compiled
functions are loaded once per process (when Solara imports this module; :mod:`helpers.apps.warmup`
then traces every page's default view); every student -- every browser tab, a Solara "virtual
kernel" -- gets explorers of their own, built the first time they open a page and kept until the
tab closes, so one student's image, layer, class or upload never appears on another's screen.
Filter ascents, atlases, where -> what's patterns and Score-CAM (seconds of CPU each) run in one
shared, bounded :class:`~helpers.apps.pool.WorkerPool`; uploads go through
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
from ..widgets import activation_explorer, filter_explorer, gradcam_explorer, occluder, where_what_explorer
from .pages import DebugModelPage, PhotoPage, debug_models, debug_pictures
from .pool import WorkerPool
from .readiness import WARMING
from .uploads import guard_uploads

__all__ = ["ACTIVATION_LAYERS", "BUILDERS", "DEBUG_MODELS", "DEBUG_PICTURES", "INTRO", "MODEL", "MODEL_NAME", "POOL",
           "active_students", "Intro", "routes", "student_explorer"]

MODEL_NAME = os.environ.get("CLASSROOM_MODEL", "efficientnet_lite0")
MODEL = load_model(MODEL_NAME)
POOL = WorkerPool(workers=int(os.environ.get("CLASSROOM_WORKERS", "1")))
# notebook 4's two small convnets (66k parameters each) and the debug page's generated pictures:
# once per process, shared read-only by every student
DEBUG_MODELS = debug_models()
DEBUG_PICTURES = debug_pictures()

# The activations page offers each block's output (18 layers for EfficientNet-Lite0, ~10 MB of
# feature maps per photo and student) rather than all 82 (~50 MB).
_ALL_LAYERS = layer_names(MODEL)
ACTIVATION_LAYERS = [n for n in _ALL_LAYERS if n.endswith("activation") and "expand" not in n] or _ALL_LAYERS

_SESSIONS: dict[str, dict] = {}
_SESSIONS_LOCK = threading.Lock()


def _pooled(status, prefix: str = ""):
    """A ``runner(slot, work)`` for this student's explorer: its slow work (filter ascents,
    atlases, patterns, Score-CAM) goes to the shared pool, one pending job per student and slot
    (``prefix`` + slot: one explorer's request never replaces another's, on this page or another
    page of the same tab); ``status`` (the explorer's status line) says so while the pool is busy."""
    context = kernel_context.get_current_context()

    def submit(slot, work):
        if POOL.busy() >= POOL.workers:
            status().value = "<i>waiting for a free worker: the class shares this computer ...</i>"
        POOL.submit(context.id, prefix + slot, work, wrap=lambda: context)

    return submit


# Every explorer: pictures saved as downloads to the student's browser (nothing written on this
# computer), slow work in the shared pool -- or, with ``pooled=False`` (the server's warm-up, the
# tests: no student), at once.
def _build_gradcam(pooled: bool = True):
    explorer = None
    explorer = gradcam_explorer(MODEL, runner=_pooled(lambda: explorer.status, "gradcam-") if pooled else None,
                                save="download")
    guard_uploads(explorer.picker)
    return explorer


def _build_activations(pooled: bool = True):
    explorer = activation_explorer(MODEL, layers=ACTIVATION_LAYERS, save="download")
    guard_uploads(explorer.picker)
    return explorer


def _build_filters(pooled: bool = True):
    explorer = None
    explorer = filter_explorer(MODEL, runner=_pooled(lambda: explorer.status, "filters-") if pooled else None,
                               save="download")
    return explorer


def _build_occluder(pooled: bool = True):
    # one compiled pass per move: on the student's own connection, like the Grad-CAM page's class switch
    return PhotoPage(lambda photo: occluder(MODEL, photo))


def _build_where_what(pooled: bool = True):
    def build(photo):
        explorer = None
        runner = _pooled(lambda: explorer.status, "where-what-") if pooled else None
        explorer = where_what_explorer(MODEL, photo, runner=runner, save="download")
        return explorer

    return PhotoPage(build)


def _build_debug(pooled: bool = True):
    runner_for = (lambda status, prefix: _pooled(status, "debug-" + prefix)) if pooled else None
    return DebugModelPage(DEBUG_MODELS, DEBUG_PICTURES, runner_for=runner_for)


BUILDERS = {"gradcam": _build_gradcam, "activations": _build_activations, "filters": _build_filters,
            "occluder": _build_occluder, "where_what": _build_where_what, "debug": _build_debug}


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
<p>Most pages show <b>EfficientNet-Lite0</b>, a real image classifier trained on a million photos (1000 classes).
Nothing you do here changes it, and nobody else sees your screen.</p>
<ul>
<li><b>What each layer sees</b> (activations) -- pick a photo and a layer; every tile is one feature map, the
output of one filter. Early layers keep edges and colours; deep layers are small and abstract.</li>
<li><b>What a filter looks for</b> (filters) -- each picture is grown from grey noise until one filter
responds as strongly as possible. Slow: your request waits its turn while the class shares the computer.</li>
<li><b>Where it looked</b> (Grad-CAM) -- Grad-CAM colours the parts of the photo that pushed the network
towards a class. Try <i>cat_and_coffee</i> with <i>tiger cat</i>, then with <i>espresso</i>.</li>
<li><b>Hide a part</b> (occluder) -- slide a grey square over the photo and watch the class probability and the
Grad-CAM map change: which part does the network need?</li>
<li><b>Where, then what</b> (where &rarr; what) -- pick a cell of the Grad-CAM map: which channels make it hot
there? Each one is shown with its feature map (where else it fires) and its filter pattern (what it looks
for).</li>
<li><b>Debug a model</b> -- two small networks from notebook 4 that tell circles from squares. One of them
cheated during training: a small checkerboard marker sat on almost every square. Use the three techniques on
generated pictures to find out which one reads the marker instead of the shape.</li>
</ul>
<p>You can upload your own photo (JPEG or PNG, up to 20 MB) on the layer and Grad-CAM pages.</p>
"""

WARMING_NOTE = ("<p><i>The server is still warming up (preparing every page's first picture); a page opened now "
                "may take a few seconds longer.</i></p>")


def _html(text: str):
    # fixed text written here, never a student's: Solara's Markdown would load KaTeX, which
    # solara-assets 1.58.2 does not ship (a 404 offline)
    return solara.HTML(tag="div", unsafe_innerHTML=text, style="max-width: 60em")


@solara.component
def Intro():
    _html(INTRO + (WARMING_NOTE if WARMING.is_set() else ""))


def _page(name: str, title: str, blurb: str):
    @solara.component
    def Page():
        _html(f"<h2>{title}</h2><p>{blurb}</p>")
        explorer = solara.use_memo(lambda: student_explorer(name), [])
        solara.display(explorer)

    Page.__name__ = Page.__qualname__ = f"{name.title().replace('_', '')}Page"
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
    solara.Route(path="occluder", label="Hide a part", component=_page(
        "occluder", "What happens when a part is hidden?",
        "Move the grey square (top, left, size): when it covers what the network needs, the probability drops. "
        "Compare the Grad-CAM map of the hidden picture with where the drop is largest.")),
    solara.Route(path="where_what", label="Where, then what", component=_page(
        "where_what", "Where did it look, and what did it see there?",
        "Move <i>row</i> and <i>col</i> to pick a cell of the Grad-CAM map; below, the channels that add most to "
        "the map there, each with its feature map and the pattern it responds to (drawn in turn: the class "
        "shares the computer).")),
    solara.Route(path="debug", label="Debug a model", component=_page(
        "debug", "Which model cheated?",
        "Both models tell circles from squares. <i>shortcut</i> was trained on pictures where a checkerboard "
        "marker (top-left corner) sat on 95 % of the squares; <i>fixed</i> on pictures where it sat on half of "
        "each class. On the <i>swapped</i> pictures the marker is on the circles: which model is fooled? "
        "Where does Grad-CAM put the evidence? Which channel of conv2 lights up on the marker, and what pattern "
        "does it want?")),
]
