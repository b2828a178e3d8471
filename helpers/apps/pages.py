"""Classroom pages made of existing explorers: a photo menu above an explorer of one picture (the
occluder, where -> what), and "debug a model" (notebook 4's two small convnets on generated
pictures, seen through the three techniques).

Compositions only, no technique of their own: each page holds explorers of :mod:`helpers.widgets`
and passes its own controls' values on to them. Every value a page control delivers is checked
against what the page offers (its photos, models, picture sets and picture numbers) before
anything changes; a value out of bounds is a message in the page's status line, and the page
stays as it was. An explorer a page replaces is closed with all its widgets, so a student who
switches photos all lesson long holds one occluder, not one per photo.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as W
import numpy as np

from .. import training
from ..datasets import CLASS_NAMES, ShapeSet, make_shapes
from ..images import sample_images
from ..validation import check_choice, check_int, check_type
from ..widgets import activation_explorer, filter_explorer, gradcam_explorer, guarded
from .uploads import guard_uploads

__all__ = ["DEBUG_LAYERS", "DEBUG_MODEL_NOTES", "DEBUG_SETS", "DebugModelPage", "PhotoPage", "close_tree",
           "debug_models", "debug_pictures"]

# Notebook 4 looks for the marker detector in conv2 (72x72); conv1's maps (148x148x32, 2.8 MB a
# picture) would add three times the memory of the other three layers together, per student.
DEBUG_LAYERS = ("conv2", "conv3", "conv4")
DEBUG_MODEL_NOTES = {"shortcut": "trained with the marker on 95 % of the squares and no circle",
                     "fixed": "trained with the marker on half of the circles and half of the squares"}
DEBUG_SETS = {
    "swapped": "the marker on every circle, on no square: a model that reads the marker gets them all wrong",
    "clean": "no marker anywhere: does the model know the shapes?",
}


def close_tree(widget) -> int:
    """Close ``widget`` and every widget it holds (children, layouts, styles, ...), each once, so
    nothing of a replaced explorer stays registered on the server. Returns how many were closed."""
    seen, stack = set(), [widget]
    while stack:
        w = stack.pop()
        if id(w) in seen or not isinstance(w, W.Widget):
            continue
        seen.add(id(w))
        for name in w.keys:  # the synced traits: children, layout, style, ...
            value = getattr(w, name, None)
            stack.extend(value if isinstance(value, (list, tuple)) else [value])
        w.close()
    return len(seen)


class PhotoPage(W.VBox):
    """A bundled-photo menu above an explorer that takes one picture (the occluder, where -> what):
    ``build(name)`` makes the explorer for the photo ``name``; a new photo builds a new explorer and
    closes the old one. ``explorer`` is the current one; ``status`` shows a photo the page does not
    offer (the explorer stays as it was)."""

    def __init__(self, build: Callable, image: str = "cat_and_coffee"):
        check_type("build", build, Callable, "a function build(photo name) -> explorer")
        self.photos = tuple(sample_images())
        image = check_choice("image", image, self.photos)
        self._build, self.name = build, image
        self.photo = W.Dropdown(options=self.photos, value=image, description="image")
        self.status = W.HTML()
        self.explorer = build(image)
        self._change = guarded(W.Output(), self.status)(self._new_photo)
        self.photo.observe(lambda change: self._change(change["new"]), names="value")
        super().__init__([self.photo, self.status, self.explorer])

    def _new_photo(self, name) -> None:
        name = check_choice("image", name, self.photos)
        if name == self.name:
            return
        old, self.explorer, self.name = self.explorer, self._build(name), name
        self.children = [self.photo, self.status, self.explorer]
        close_tree(old)


def debug_models() -> dict:
    """Notebook 4's two small convnets with their bundled weights (``data/models``): ``"shortcut"``
    (trained where the marker sat on 95 % of the squares) and ``"fixed"`` (the marker on half of
    each class), each built as :func:`helpers.training.small_convnet` with the recorded settings."""
    settings = training.pretrained_record()["settings"]
    models = {}
    for which in training.PRETRAINED:
        net = training.small_convnet(class_names=CLASS_NAMES, filters=tuple(settings["FILTERS"]),
                                     pooling=settings["POOLING"], batch_norm=settings["BATCH_NORM"],
                                     seed=None, name=f"{which}_model")  # seed None: the server's global seeds untouched
        models[which] = training.load_pretrained(net, which, **settings)
    return models


def debug_pictures(n: int = 24, seed: int = 2026) -> dict[str, ShapeSet]:
    """The pictures the debug page offers: ``n`` generated circles and squares per set of
    :data:`DEBUG_SETS` (``"swapped"``: the marker on every circle and no square; ``"clean"``: no
    marker), made once per process and read-only (every student's page shows the same arrays)."""
    n = check_int("n", n, 2, 1000)
    sets = {"swapped": make_shapes(n, seed=seed, marker_rates=(1.0, 0.0)),
            "clean": make_shapes(n, seed=seed + 1, marker_rates=(0.0, 0.0))}
    for data in sets.values():
        data.images.setflags(write=False)
    return sets


class DebugModelPage(W.VBox):
    """Notebook 4's shortcut hunt for one student: pick a model (``models``, e.g. ``{"shortcut": ...,
    "fixed": ...}``), a picture set (``pictures``, from :func:`debug_pictures`) and a picture
    number; the Grad-CAM, activation and filter explorers of :mod:`helpers.widgets` show that
    picture through that model, one tab each.

    A model's three explorers are built the first time it is picked and kept (switching back costs
    nothing); only the current model's explorers follow a new picture, the other's catch up when
    it is picked again. ``runner_for(status, prefix)`` gives the ``runner(slot, work)`` for the slow
    work of the explorer whose status line is ``status()`` (the classroom's worker pool; ``prefix``
    keeps one explorer's jobs from replacing another's); None: everything runs at once.
    ``views`` maps each model built so far to its ``(gradcam, activations, filters)`` explorers.
    """

    TABS = ("Grad-CAM: where", "activations: which channel", "filters: what pattern")

    def __init__(self, models: dict, pictures: dict[str, ShapeSet], *, model: str | None = None,
                 runner_for: Callable | None = None, save: str = "download", layers=DEBUG_LAYERS,
                 layer: str = "conv2"):
        check_type("runner_for", runner_for, (type(None), Callable), "a function runner_for(status, prefix), or None")
        if not models or not pictures:
            raise ValueError("the debug page needs at least one model and one set of pictures")
        self.models, self.pictures = dict(models), dict(pictures)
        self.count = min(len(p) for p in self.pictures.values())
        self._runner_for, self._save, self._layers, self._layer = runner_for, save, tuple(layers), layer
        model = check_choice("model", next(iter(self.models)) if model is None else model, tuple(self.models))
        self.views: dict[str, tuple] = {}
        self._shown: dict[str, str] = {}  # model -> the picture its explorers show
        self.model_choice = W.ToggleButtons(options=list(self.models), value=model, description="model",
                                            tooltips=[DEBUG_MODEL_NOTES.get(m, m) for m in self.models])
        self.set_choice = W.ToggleButtons(options=list(self.pictures), value=next(iter(self.pictures)),
                                          description="pictures")
        self.index = W.IntSlider(value=0, min=0, max=self.count - 1, description="picture",
                                 continuous_update=False)
        self.about = W.HTML()
        self.status = W.HTML()
        self.tabs = W.Tab()
        self._update = guarded(W.Output(), self.status)(self._show)
        for control in (self.model_choice, self.set_choice, self.index):
            control.observe(lambda _change: self._update(), names="value")
        super().__init__([W.HBox([self.model_choice, self.set_choice]), self.index, self.about, self.status,
                          self.tabs])
        self._show()

    def settings(self) -> tuple[str, str, int]:
        """``(model, picture set, picture number)`` as the controls say now, each checked against
        what the page offers (a ValueError names the value and the choices)."""
        model = check_choice("model", self.model_choice.value, tuple(self.models))
        which = check_choice("pictures", self.set_choice.value, tuple(self.pictures))
        i = check_int("picture", self.index.value, 0, self.count - 1)
        return model, which, i

    def picture(self) -> tuple[np.ndarray, str]:
        """The picture the controls select and its name (e.g. ``"swapped-3"``)."""
        _, which, i = self.settings()
        return self.pictures[which].images[i], f"{which}-{i}"

    def _show(self) -> None:
        model, which, i = self.settings()
        image, name = self.picture()
        views = self.views.get(model) or self._build(model, image)
        gradcam, activations, _filters = views
        if self._shown.get(model) != name:  # (a new model's explorers too: their pictures get their names)
            for explorer in (gradcam, activations):
                explorer.picker.set_image(image, name)
            self._shown[model] = name
        if tuple(self.tabs.children) != views:
            selected = self.tabs.selected_index
            self.tabs.children = views
            self.tabs.titles = self.TABS
            self.tabs.selected_index = selected if selected is not None else 0
        self.about.value = self._describe(model, which, i)

    def _build(self, model: str, image: np.ndarray) -> tuple:
        net, save, prefix = self.models[model], self._save, f"{model}-"
        runner = self._runner_for or (lambda _status, _prefix: None)
        gradcam = None
        gradcam = gradcam_explorer(net, image, top_k=len(CLASS_NAMES), save=save,
                                   runner=runner(lambda: gradcam.status, prefix + "gradcam-"))
        activations = activation_explorer(net, image, layers=self._layers, layer=self._layer, save=save)
        filters = None
        filters = filter_explorer(net, layers=self._layers, layer=self._layer, size=64, save=save,
                                  runner=runner(lambda: filters.status, prefix + "filters-"))
        for explorer in (gradcam, activations):  # the page picks the pictures: no photo menu, no upload
            explorer.picker.layout.display = "none"
            guard_uploads(explorer.picker, max_bytes=0)  # hidden, yet a browser can send it a file: refused undecoded
        self.views[model] = (gradcam, activations, filters)
        return self.views[model]

    def _describe(self, model: str, which: str, i: int) -> str:
        """The truth about the picture (its shape, where the marker is), which the model never sees."""
        data = self.pictures[which]
        shape = CLASS_NAMES[int(data.labels[i])]
        x0, y0, x1, y1 = (int(v) for v in data.marker_boxes[i])
        marker = f"with the marker at x {x0}..{x1 - 1}, y {y0}..{y1 - 1}" if data.has_marker[i] else "no marker"
        return (f"Picture {i} of the <i>{html.escape(which)}</i> set ({html.escape(DEBUG_SETS.get(which, ''))}): "
                f"a <b>{shape}</b>, {marker}. Model: <b>{html.escape(model)}</b>"
                + (f" ({html.escape(DEBUG_MODEL_NOTES[model])})." if model in DEBUG_MODEL_NOTES else "."))
