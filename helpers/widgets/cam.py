"""The Grad-CAM explorer: pick an image, a class, a layer and a method; see where the evidence is.

It calls the same code as :func:`helpers.gradcam`: one :class:`helpers.cam.Context` per (image,
layer) remembers the feature maps, the class scores, each class's gradients and Score-CAM's
masked passes, and a method turns the context into a map. So the first picture of an image costs
one compiled pass; switching the class computes only that class's gradients from the cached
feature maps (no forward pass) and Score-CAM's masked passes serve every class. The alpha slider
and the colour map only re-blend the cached heatmap.
"""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path

import cv2
import ipywidgets as W
import keras
import numpy as np

from .. import cam
from .._cache import store
from ..features import iter_layers
from ..models import check_classifier, imagenet_class_names, imagenet_class_synonyms, probabilities
from ..plotting.colour import COLORMAPS, colorize, overlay
from ..validation import MAX_SIDE, check_int, check_model
from ._common import ImagePicker, check_choice, guarded, jpeg_bytes, output_name, save_button, set_trait

COLORMAP_OPTIONS = ["jet", "turbo", "inferno", "viridis", "magma", "hot"]  # offered first; any of COLORMAPS works


def method_options() -> list[tuple[str, str]]:
    """(label, name) of every registered CAM method, in menu order."""
    return [(m.label, m.name) for m in cam.available_methods()]


class GradCAMExplorer(W.VBox):
    """The widget :func:`gradcam_explorer` returns. ``counters`` records how often each costly
    step ran (``forward``, ``gradients``, ``masked`` -- counted by the contexts -- and ``heatmap``,
    ``blend``); ``heatmap`` is the current (H, W) map and ``picture`` the current overlay (uint8 RGB)."""

    def __init__(self, model, image="cat_and_coffee", *, top_k: int = 5, layer: str | None = None,
                 method: str = "gradcam", alpha: float = 0.4, colormap: str = "jet", display_size: int = 256):
        check_model(model)  # a model name: a TypeError that says to call load_model first
        self.model = model
        self.info = check_classifier(model)  # a regression head or a softmax still on: refused, says why
        self.top_k = check_int("top_k", top_k, 1)
        self.display_size = check_int("display_size", display_size, 16, MAX_SIDE)
        alpha = _check_alpha(alpha)
        method = cam.get_method(method).name  # an unknown method: ValueError listing the choices
        colormap = check_choice("colormap", colormap.lower() if isinstance(colormap, str) else colormap,
                                COLORMAP_OPTIONS + sorted(set(COLORMAPS) - set(COLORMAP_OPTIONS)))
        layers, layer = _layer_options(model, layer)  # every layer gradcam() accepts
        self.counters: collections.Counter = collections.Counter()
        self.heatmap: np.ndarray | None = None
        self.picture: np.ndarray | None = None
        self.image: np.ndarray | None = None
        self.contexts: dict[str, cam.Context] = {}  # one per layer, for the current image
        self._x = self._probs = None
        self._busy = False

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
        self.method_toggle = W.ToggleButtons(options=method_options(), description="method")
        set_trait(self.method_toggle, "value", method, "method")
        self.counterfactual_toggle = W.ToggleButton(value=False, description="counterfactual",
                                                    tooltip="what argues AGAINST the class (negated gradients)")
        self.alpha_slider = W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="alpha")
        shown = COLORMAP_OPTIONS + ([colormap] if colormap not in COLORMAP_OPTIONS else [])
        self.colormap_dropdown = W.Dropdown(options=shown, description="colours")
        set_trait(self.colormap_dropdown, "value", colormap, "colormap")
        self.view = W.Image(format="jpeg")  # a photo: JPEG is 4x smaller and 12x faster to encode
        self.save = save_button(self._current_picture)
        self.info_label = W.HTML()
        self.status = W.HTML()
        self.output = W.Output()

        self._guard = guarded(self.output, self.status)
        self.picker.observe_image(lambda img: self._guard(self._new_image)(img))
        for control in (self.class_dropdown, self.layer_dropdown, self.method_toggle, self.counterfactual_toggle):
            control.observe(lambda ch: self._guard(self._render)(), names="value")
        self.alpha_slider.observe(lambda ch: self._guard(self._blend)(), names="value")
        self.colormap_dropdown.observe(lambda ch: self._guard(self._blend)(), names="value")
        self.search.observe(lambda ch: self._guard(self._on_search)(ch["new"]), names="value")

        controls = W.VBox([W.HBox([self.class_dropdown, self.search]),
                           W.HBox([self.layer_dropdown, self.counterfactual_toggle]), self.method_toggle,
                           W.HBox([self.alpha_slider, self.colormap_dropdown, self.save])])
        super().__init__([self.picker, controls, self.info_label, self.view, self.status, self.output])
        self._guard(self._new_image)(self.picker.image)

    # -- state -------------------------------------------------------------------------------
    def context(self) -> cam.Context:
        """The context of the current image at the selected layer (made on first use)."""
        layer = self.layer_dropdown.value
        if layer not in self.contexts:
            self.contexts[layer] = cam.Context(cam.engine(self.model, layer), self._x, counter=self.counters)
        return self.contexts[layer]

    def _current_picture(self):
        """The overlay on screen and a name that says what it is (model, image, layer, class, method)."""
        c = self.class_dropdown.value
        label = f"{c}-{self.info.class_names[c]}" if isinstance(c, int) else c
        return getattr(self, "picture", None), output_name(
            "gradcam", self.model.name, Path(str(self.picker.name)).stem, self.layer_dropdown.value, label,
            self.method_toggle.value + ("-counterfactual" if self.counterfactual_toggle.value else ""))

    def _new_image(self, image):
        if image is None:  # the picker could not read the image it was given: say so, show nothing else
            self.image = self._x = self.heatmap = self.picture = None
            self.contexts = {}
            raise ValueError(f"no picture to show ({self.picker.error}); pick a photo or upload one")
        self.image = np.asarray(image)
        x, _, _ = cam.prepare_input(self.model, self.image)
        self._x, self.contexts = x[0], {}
        ctx = self.context()
        with cam.contract_errors(f"running model {self.model.name!r} on the picture"):
            if cam.get_method(self.method_toggle.value).uses_gradients:
                ctx.grads(None)  # one pass: feature maps, class scores and the top class's gradients
            scores = ctx.scores
        self._probs = probabilities(scores, self.info.binary)  # a single-logit head: sigmoid(z), not softmax
        self._set_class_options(self._top_options())
        self._render()

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

    def _on_search(self, text):
        text = text.strip().lower()
        if not text:
            return
        matches = [i for i, s in enumerate(_synonyms(self.info.class_names)) if text in s.lower()][:20]
        if not matches:
            raise ValueError(f"no class name contains {text!r}")
        top = self._top_options()
        known = {v for _, v in top}
        self._set_class_options(top + [(self._label(i), i) for i in matches if i not in known], value=matches[0])
        self._render()

    # -- drawing -----------------------------------------------------------------------------
    def _render(self):
        if self._busy or self._x is None or self.class_dropdown.value is None:
            return
        t0 = time.perf_counter()
        ctx, c = self.context(), int(self.class_dropdown.value)
        counterfactual = self.counterfactual_toggle.value
        small = cam.heatmap(ctx, c, self.method_toggle.value, counterfactual=counterfactual)  # as gradcam() does
        self.heatmap = cam.upsample(small, self.image.shape[:2])
        self.counters["heatmap"] += 1
        h, w, k = ctx.fmaps.shape
        self.info_label.value = (f"evidence <b>{'against' if counterfactual else 'for'}</b> "
                                 f"<i>{self.info.class_names[c]}</i> (p = {self._probs[c]:.3f}) in layer "
                                 f"<code>{ctx.layer}</code> {h}x{w}x{k}; {1000 * (time.perf_counter() - t0):.0f} ms")
        self._blend()

    def _blend(self):
        if self.heatmap is None:
            return
        colormap = self.colormap_dropdown.value
        self.picture = overlay(self.image, self.heatmap, self.alpha_slider.value, colormap)
        strip = np.concatenate([self.image, colorize(self.heatmap, colormap), self.picture], axis=1)
        scale = self.display_size / self.image.shape[0]
        if scale != 1:
            strip = cv2.resize(strip, (round(strip.shape[1] * scale), self.display_size), interpolation=cv2.INTER_LINEAR)
        self.view.value = jpeg_bytes(strip)
        self.counters["blend"] += 1


def _check_alpha(alpha) -> float:
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"alpha must be a number 0..1 (the heatmap's opacity), got {alpha!r:.60}")
    if not 0.0 <= float(alpha) <= 1.0:  # NaN fails too
        raise ValueError(f"alpha must be in 0..1 (the heatmap's opacity), got {alpha!r}")
    return float(alpha)


def _layer_options(model, layer) -> tuple[list[str], str]:
    """The layer dropdown's options (:func:`helpers.cam.cam_layers`, deepest first) and the initial
    layer; a layer ``gradcam()`` accepts but the list leaves out is added at its depth; one it
    refuses raises the same KeyError / ValueError as ``gradcam()``."""
    options = cam.cam_layers(model)
    if layer is not None and not isinstance(layer, (str, keras.layers.Layer)):
        check_choice("layer", layer, options)  # e.g. layer=3: a ValueError listing the layers
    name = cam.engine(model, layer).layer  # a name or layer object, checked as gradcam() checks it
    if name not in options:
        depth = {ref.name: i for i, ref in enumerate(iter_layers(model))}
        options = sorted([*options, name], key=lambda n: -depth.get(n, -1))
    return options, name


def _synonyms(class_names) -> list[str]:
    """Searchable names: ImageNet's with their synonyms, other models' as they are."""
    key = tuple(class_names)

    def make():
        if key == imagenet_class_names():
            return [f"{n}, {s}" for n, s in zip(key, imagenet_class_synonyms())]
        return list(key)

    return store(None, "class_synonyms", max_items=4).get_or_make(key, make)


def gradcam_explorer(model, image="cat_and_coffee", *, top_k: int = 5, layer: str | None = None,
                     method: str = "gradcam", alpha: float = 0.4, colormap: str = "jet") -> GradCAMExplorer:
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

    Example:
        >>> explorer = gradcam_explorer(helpers.load_model())
        >>> explorer.class_dropdown.value = 967            # espresso: no new forward pass
        >>> explorer.counters["forward"]
        1
    """
    return GradCAMExplorer(model, image, top_k=top_k, layer=layer, method=method, alpha=alpha, colormap=colormap)
