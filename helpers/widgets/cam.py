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
import time

import cv2
import ipywidgets as W
import numpy as np

from .. import cam
from .._cache import store
from ..models import imagenet_class_names, imagenet_class_synonyms, model_info, probabilities
from ..plotting.colour import colorize, overlay
from ._common import ImagePicker, guarded, output_name, png_bytes, save_button

COLORMAP_OPTIONS = ["jet", "turbo", "inferno", "viridis", "magma", "hot"]


def method_options() -> list[tuple[str, str]]:
    """(label, name) of every registered CAM method, in menu order."""
    return [(m.label, m.name) for m in cam.available_methods()]


class GradCAMExplorer(W.VBox):
    """The widget :func:`gradcam_explorer` returns. ``counters`` records how often each costly
    step ran (``forward``, ``gradients``, ``masked`` -- counted by the contexts -- and ``heatmap``,
    ``blend``); ``heatmap`` is the current (H, W) map and ``picture`` the current overlay (uint8 RGB)."""

    def __init__(self, model, image="cat_and_coffee", *, top_k: int = 5, layer: str | None = None,
                 method: str = "gradcam", alpha: float = 0.4, colormap: str = "jet", display_size: int = 256):
        self.model = model
        self.info = model_info(model)
        self.top_k = int(top_k)
        self.display_size = int(display_size)
        self.counters: collections.Counter = collections.Counter()
        self.heatmap: np.ndarray | None = None
        self.picture: np.ndarray | None = None
        self.image: np.ndarray | None = None
        self.contexts: dict[str, cam.Context] = {}  # one per layer, for the current image
        self._x = self._probs = None
        self._busy = False

        self.picker = ImagePicker(default=image if isinstance(image, str) else "cat_and_coffee", size=model)
        self.class_dropdown = W.Dropdown(description="class", layout=W.Layout(width="360px"))
        self.search = W.Text(placeholder="search all classes, e.g. 'tabby' + Enter", description="search",
                             continuous_update=False, layout=W.Layout(width="360px"))
        self.layer_dropdown = W.Dropdown(options=cam.cam_layers(model), value=layer or cam.default_layer(model),
                                         description="layer")
        self.method_toggle = W.ToggleButtons(options=method_options(), value=cam.get_method(method).name,
                                             description="method")
        self.counterfactual_toggle = W.ToggleButton(value=False, description="counterfactual",
                                                    tooltip="what argues AGAINST the class (negated gradients)")
        self.alpha_slider = W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="alpha")
        self.colormap_dropdown = W.Dropdown(options=COLORMAP_OPTIONS, value=colormap, description="colours")
        self.view = W.Image(format="png")
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
        if not isinstance(image, str):
            self.picker.set_image(np.asarray(image), "your image")
        else:
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
            "gradcam", self.model.name, self.picker.name, self.layer_dropdown.value, label,
            self.method_toggle.value + ("-counterfactual" if self.counterfactual_toggle.value else ""))

    def _new_image(self, image):
        self.image = np.asarray(image)
        x, _, _ = cam.prepare_input(self.model, self.image)
        self._x, self.contexts = x[0], {}
        ctx = self.context()
        if cam.get_method(self.method_toggle.value).uses_gradients:
            ctx.grads(None)  # one pass: feature maps, class scores and the top class's gradients
        self._probs = probabilities(ctx.scores, self.info.binary)
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
        self.view.value = png_bytes(strip)
        self.counters["blend"] += 1


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

    Example:
        >>> explorer = gradcam_explorer(helpers.load_model())
        >>> explorer.class_dropdown.value = 967            # espresso: no new forward pass
        >>> explorer.counters["forward"]
        1
    """
    return GradCAMExplorer(model, image, top_k=top_k, layer=layer, method=method, alpha=alpha, colormap=colormap)
