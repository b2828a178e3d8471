"""The Grad-CAM explorer: pick an image, a class, a layer and a method; see where the evidence is.

It calls the same code as :func:`helpers.gradcam`: one :class:`helpers.cam.Context` per (image,
layer) remembers the feature maps, the class scores, each class's gradients and Score-CAM's
masked passes, and a method turns the context into a map. So the first picture of an image costs
one compiled pass; switching the class computes only that class's gradients from the cached
feature maps (no forward pass) and Score-CAM's masked passes serve every class. The alpha slider
and the colour map only re-blend the cached heatmap.

Every value a control delivers is checked against what the explorer offers (the model's classes,
its layers, the registered methods, alpha 0..1, its colour maps, a bounded search text) before any
work; the widgets' own options and ranges are the browser's to change. Slow methods (Score-CAM)
go through ``runner(slot, work)``: on a class's server, its worker pool, not the student's connection.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import ipywidgets as W
import numpy as np

from .. import cam
from ..cam.base import check_counterfactual
from ..cam.engine import engine
from ..cam.inputs import contract_errors, prepare_input
from ..models import check_classifier
from ..heads import probabilities
from ..plotting.colour import COLORMAPS, colorize, overlay
from ..validation import MAX_SIDE, check_choice, check_class_index, check_int, check_model, check_type
from . import cam_options as choices
from .encoding import jpeg_bytes
from .errors import guarded, set_trait
from .picker import ImagePicker
from .saving import output_name, save_button

__all__ = ["gradcam_explorer", "GradCAMExplorer"]


class GradCAMExplorer(W.VBox):
    """The widget :func:`gradcam_explorer` returns. ``counters`` records how often each costly
    step ran (``forward``, ``gradients``, ``masked`` -- counted by the contexts -- and ``heatmap``,
    ``blend``); ``heatmap`` is the current (H, W) map and ``picture`` the current overlay (uint8 RGB).

    ``runner(slot, work)`` decides where a slow render runs (a method in ``cam_options.SLOW_METHODS``;
    ``slot`` is ``"redraw"``): by default at once; the classroom server passes its worker pool. Other
    renders and the re-blends run at once; a slow render a later request overtook is dropped (before
    it starts, or its result when it ends). The first picture is drawn at once either way.

    ``save``: ``"file"`` (the button writes ``outputs/NAME.png``) or ``"download"`` (it offers the
    overlay to the browser; nothing is written), see :func:`helpers.widgets.saving.save_button`.
    """

    def __init__(self, model, image="cat_and_coffee", *, top_k: int = 5, layer: str | None = None,
                 method: str = "gradcam", alpha: float = 0.4, colormap: str = "turbo", display_size: int = 256,
                 runner=None, save: str = "file"):
        check_type("runner", runner, (type(None), Callable), "a function runner(slot, work), or None")
        self.runner = runner if runner is not None else (lambda _slot, work: work())
        check_model(model)  # a model name: a TypeError that says to call load_model first
        self.model = model
        self.info = check_classifier(model)  # a regression head or a softmax still on: refused, says why
        self.top_k = check_int("top_k", top_k, 1)
        self.display_size = check_int("display_size", display_size, 16, MAX_SIDE)
        alpha = choices.check_alpha(alpha)
        method = cam.get_method(method).name  # an unknown method: ValueError listing the choices
        colormap = check_choice("colormap", colormap.lower() if isinstance(colormap, str) else colormap,
                                choices.COLORMAP_OPTIONS + sorted(set(COLORMAPS) - set(choices.COLORMAP_OPTIONS)))
        layers, layer = choices.layer_options(model, layer)  # every layer gradcam() accepts
        self.counters: collections.Counter = collections.Counter()
        self.heatmap: np.ndarray | None = None
        self.picture: np.ndarray | None = None
        self.image: np.ndarray | None = None
        self.contexts: dict[str, cam.Context] = {}  # one per layer, for the current image
        self._x = self._probs = None
        self._busy = False
        # what the explorer offers: every control's value is checked against these, not the widgets'
        self._layers = tuple(layers)
        self._methods = tuple(name for _, name in choices.method_options())
        offered = choices.COLORMAP_OPTIONS
        self._colormaps = tuple(offered + ([colormap] if colormap not in offered else []))
        # A slow render may finish in a worker thread while the student's connection re-blends: the lock keeps
        # (image, heatmap, picture) consistent; each request's number lets an overtaken render drop its result.
        self._lock = threading.RLock()
        self._generation = 0
        self._image_name = self._heat_name = None  # what saved pictures are named after: the photo, the map
        self._shown = (None, None)  # (overlay on screen, its file name), replaced in one assignment

        # a photo name, a path, bytes or an array, read by load_image; a mistake is shown in the
        # picker's status line and the explorer's, never replaced by another photo
        self.picker = ImagePicker(default=image, size=model)
        if isinstance(image, os.PathLike) and self.picker.error is None:
            self.picker.name = os.fspath(image)  # a pathlib.Path: its file name names saved pictures
        self.class_dropdown = W.Dropdown(description="class", layout=W.Layout(width="360px"))
        self.search = W.Text(placeholder="search all classes, e.g. 'tabby' + Enter", description="search",
                             continuous_update=False, layout=W.Layout(width="360px"))
        self.layer_dropdown = W.Dropdown(options=layers, description="layer")
        set_trait(self.layer_dropdown, "value", layer, "layer")
        self.method_toggle = W.ToggleButtons(options=choices.method_options(), description="method")
        set_trait(self.method_toggle, "value", method, "method")
        self.counterfactual_toggle = W.ToggleButton(value=False, description="counterfactual",
                                                    tooltip="what argues AGAINST the class (negated gradients)")
        self.alpha_slider = W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="alpha")
        self.colormap_dropdown = W.Dropdown(options=list(self._colormaps), description="colours")
        set_trait(self.colormap_dropdown, "value", colormap, "colormap")
        self.view = W.Image(format="jpeg")  # a photo: JPEG is 4x smaller and 12x faster to encode
        self.save = save_button(self._current_picture, mode=save)
        self.info_label = W.HTML()
        self.status = W.HTML()
        self.output = W.Output()

        self._guard = guarded(self.output, self.status)
        self.picker.observe_image(self._on_image)
        for control in (self.class_dropdown, self.layer_dropdown, self.method_toggle, self.counterfactual_toggle):
            control.observe(lambda ch: self._request_render(), names="value")
        self.alpha_slider.observe(lambda ch: self._guard(self._blend)(), names="value")
        self.colormap_dropdown.observe(lambda ch: self._guard(self._blend)(), names="value")
        self.search.observe(self._on_search_text, names="value")

        controls = W.VBox([W.HBox([self.class_dropdown, self.search]),
                           W.HBox([self.layer_dropdown, self.counterfactual_toggle]), self.method_toggle,
                           W.HBox([self.alpha_slider, self.colormap_dropdown, self.save])])
        super().__init__([self.picker, controls, self.info_label, self.view, self.status, self.output])
        if self._guard(self._new_image)(self.picker.image):
            self._request_render(now=True)

    # -- state -------------------------------------------------------------------------------
    def context(self, layer: str | None = None) -> cam.Context:
        """The context of the current image at ``layer`` (default: the selected one, checked
        against the explorer's layers), made on first use."""
        layer = check_choice("layer", self.layer_dropdown.value if layer is None else layer, self._layers)
        if layer not in self.contexts:
            self.contexts[layer] = cam.Context(engine(self.model, layer), self._x, counter=self.counters)
        return self.contexts[layer]

    def settings(self) -> tuple[str, int, str, bool]:
        """``(layer, class index, method, counterfactual)`` as the controls say now, each checked
        against what the explorer offers (a ValueError / IndexError names the value and the bounds)."""
        layer = check_choice("layer", self.layer_dropdown.value, self._layers)
        c = check_class_index(self.class_dropdown.value, len(self.info.class_names))
        method = check_choice("method", self.method_toggle.value, self._methods)
        counterfactual = check_choice("counterfactual", self.counterfactual_toggle.value, (False, True)) is True
        if counterfactual:
            check_counterfactual(cam.get_method(method))  # a gradient-free method: refused before any work
        return layer, c, method, counterfactual

    def _current_picture(self):
        """The overlay on screen and its name (model, image, layer, class, method), as drawn: never a widget's."""
        return self._shown

    def _on_image(self, image):
        if self._guard(self._new_image)(image):
            self._request_render()

    def _new_image(self, image) -> bool:
        """Take a new picture: one forward pass (class scores, the top classes), no map yet."""
        if image is None:  # the picker could not read the image it was given: say so, show nothing else
            with self._lock:
                self._generation += 1
                self.image = self._x = self.heatmap = self.picture = None
                self.contexts, self._shown = {}, (None, None)
            raise ValueError(f"no picture to show ({self.picker.error}); pick a photo or upload one")
        image = np.asarray(image)
        x, _, _ = prepare_input(self.model, image)
        with self._lock:  # a slow render of the previous picture, still running, will drop its result
            self._generation += 1
            self.image, self._x, self.contexts, self.heatmap, self.picture = image, x[0], {}, None, None
            self._shown, self._image_name = (None, None), Path(str(self.picker.name)).stem
        ctx = self.context()
        with contract_errors(f"running model {self.model.name!r} on the picture"):
            if cam.get_method(self.method_toggle.value).uses_gradients:
                ctx.grads(None)  # one pass: feature maps, class scores and the top class's gradients
            scores = ctx.scores
        self._probs = probabilities(scores, self.info.binary)  # a single-logit head: sigmoid(z), not softmax
        self._set_class_options(self._top_options())
        return True

    def _label(self, i):
        return f"{self.info.class_names[i]} ({100 * self._probs[i]:.1f}%)"

    def _top_options(self):
        order = np.argsort(-self._probs, kind="stable")[: self.top_k]
        return [(self._label(int(i)), int(i)) for i in order]

    def _set_class_options(self, options, value=None):
        self._busy = True
        try:
            self.class_dropdown.options = options
            self.class_dropdown.value = options[0][1] if value is None else value
        finally:
            self._busy = False

    def _on_search_text(self, change):
        if self._guard(self._on_search)(change["new"]):
            self._request_render()

    def _on_search(self, text) -> bool:
        """Add the classes whose names contain ``text`` to the menu and select the first; True: it changed."""
        text = choices.check_search(text).strip().lower()
        if not text:
            return False
        if self._probs is None:
            raise ValueError("no picture yet: pick a photo or upload one, then search its classes")
        names = choices.class_synonyms(self.info.class_names)
        matches = [i for i, s in enumerate(names) if text in s.lower()][:20]
        if not matches:
            raise ValueError(f"no class name contains {text!r}")
        top = self._top_options()
        known = {v for _, v in top}
        self._set_class_options(top + [(self._label(i), i) for i in matches if i not in known], value=matches[0])
        return True

    # -- drawing -----------------------------------------------------------------------------
    def _request_render(self, now: bool = False) -> None:
        """Check the controls, then draw the map they ask for: at once, or through the runner for a
        slow method (unless ``now``). A value out of bounds: a message, nothing computed."""
        job = self._guard(self._prepare_render)()
        if job is not None and job[0] and not now:
            self.runner("redraw", job[1])
        elif job is not None:
            job[1]()

    def _prepare_render(self):
        """``(slow, work)`` for the map the controls ask for, or None when there is nothing to draw."""
        if self._busy or self._x is None or self.class_dropdown.value is None:
            return None
        settings = self.settings()
        ctx, image = self.context(settings[0]), self.image
        with self._lock:
            self._generation += 1
            generation = self._generation
        return choices.is_slow(settings[2]), lambda: self._guard(self._render)(settings, ctx, image, generation)

    def _render(self, settings, ctx, image, generation):
        """Compute the map of ``settings`` from ``ctx`` (the context of ``image``) and show it, unless
        a later request (another control, another picture) overtook this one."""
        if generation != self._generation:
            return
        layer, c, method, counterfactual = settings
        t0 = time.perf_counter()
        small = cam.heatmap(ctx, c, method, counterfactual=counterfactual)  # as gradcam() does
        heatmap = cam.upsample(small, image.shape[:2])
        self.counters["heatmap"] += 1
        h, w, k = ctx.fmaps.shape
        with self._lock:
            if generation != self._generation:
                return
            self.heatmap = heatmap
            self._heat_name = output_name(
                "gradcam", self.model.name, self._image_name, layer, f"{c}-{self.info.class_names[c]}",
                method + ("-counterfactual" if counterfactual else ""))
            self.info_label.value = (
                f"evidence <b>{'against' if counterfactual else 'for'}</b> <i>{self.info.class_names[c]}</i> "
                f"(p = {self._probs[c]:.3f}) in layer <code>{layer}</code> {h}x{w}x{k}; "
                f"{1000 * (time.perf_counter() - t0):.0f} ms")
            self._blend()

    def _blend(self):
        with self._lock:
            if self.heatmap is None:
                return
            alpha = choices.check_alpha(self.alpha_slider.value)
            colormap = check_choice("colormap", self.colormap_dropdown.value, self._colormaps)
            picture = overlay(self.image, self.heatmap, alpha, colormap)
            strip = np.concatenate([self.image, colorize(self.heatmap, colormap), picture], axis=1)
            scale = self.display_size / self.image.shape[0]
            if scale != 1:
                strip = cv2.resize(strip, (round(strip.shape[1] * scale), self.display_size),
                                   interpolation=cv2.INTER_LINEAR)
            self.picture, self._shown = picture, (picture, self._heat_name)
            self.view.value = jpeg_bytes(strip)
            self.counters["blend"] += 1


def gradcam_explorer(model, image="cat_and_coffee", *, top_k: int = 5, layer: str | None = None,
                     method: str = "gradcam", alpha: float = 0.4, colormap: str = "turbo", runner=None,
                     save: str = "file") -> GradCAMExplorer:
    """An interactive Grad-CAM explorer: image picker (+ your own upload), class (the top-k
    predictions with their probabilities, or search all class names), layer, method (Grad-CAM,
    Grad-CAM++, LayerCAM, Score-CAM, Eigen-CAM: every registered one), counterfactual, alpha and
    colour map.

    Shows image | heatmap | overlay. Mistakes appear as a message and the widget stays alive.

    ``image`` is a bundled photo name, a path, bytes or an array (read by :func:`helpers.load_image`
    at the model's size); one that cannot be read is shown as an error, never replaced by another
    photo. ``layer`` may be any layer :func:`helpers.gradcam` accepts (added to the list if it is
    not there). Bad arguments raise what ``gradcam()`` raises: a ValueError listing the choices
    for ``layer``/``method``/``colormap``, a TypeError for a model name, a ValueError for a
    regression head or a softmax still on the model.

    ``runner(slot, work)``: where slow renders (Score-CAM) run, see :class:`GradCAMExplorer`. ``save``:
    ``"file"`` (write ``outputs/NAME.png``) or ``"download"`` (offer it to the browser, write nothing).

    Example:
        >>> explorer = gradcam_explorer(helpers.load_model())
        >>> explorer.class_dropdown.value = 967            # espresso: no new forward pass
        >>> explorer.counters["forward"]
        1
    """
    return GradCAMExplorer(model, image, top_k=top_k, layer=layer, method=method, alpha=alpha, colormap=colormap,
                           runner=runner, save=save)
