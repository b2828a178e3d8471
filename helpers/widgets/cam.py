"""The Grad-CAM explorer: pick an image, a class, a layer and a method; see where the evidence is.

Everything expensive is cached per image: the forward pass (class probabilities, top-k) once
per image, the feature maps once per (image, layer), and the gradients once per (image, layer,
class) -- computed from the cached feature maps through the part of the network after the
layer, so switching the class never re-runs the forward pass. Score-CAM's masked passes give
the probabilities of all classes at once and are cached per (image, layer). The alpha slider
and the colour map only re-blend the cached heatmap.
"""

from __future__ import annotations

import collections
import time

import cv2
import ipywidgets as W
import numpy as np
import tensorflow as tf

from .. import cam
from ..models import model_info, softmax
from ._common import ImagePicker, guarded, png_bytes

METHOD_OPTIONS = [("Grad-CAM", "gradcam"), ("Grad-CAM++", "gradcam++"), ("Score-CAM", "scorecam")]
COLORMAP_OPTIONS = ["jet", "turbo", "inferno", "viridis", "magma", "hot"]


class GradCAMExplorer(W.VBox):
    """The widget :func:`gradcam_explorer` returns. ``counters`` records how often each costly
    step ran (``forward``, ``features``, ``gradients``, ``scorecam``, ``heatmap``, ``blend``);
    ``heatmap`` is the current (H, W) map and ``picture`` the current overlay (uint8 RGB)."""

    def __init__(self, model, image="cat_and_coffee", *, top_k: int = 5, layer: str | None = None,
                 method: str = "gradcam", alpha: float = 0.4, colormap: str = "jet", display_size: int = 256):
        self.model = model
        self.info = model_info(model)
        self.top_k = int(top_k)
        self.display_size = int(display_size)
        self.counters: collections.Counter = collections.Counter()
        self.heatmap: np.ndarray | None = None
        self.picture: np.ndarray | None = None
        self._state: dict = {}
        self._busy = False

        self.picker = ImagePicker(default=image if isinstance(image, str) else "cat_and_coffee", size=model)
        self.class_dropdown = W.Dropdown(description="class", layout=W.Layout(width="360px"))
        self.search = W.Text(placeholder="search all classes, e.g. 'tabby' + Enter", description="search",
                             continuous_update=False, layout=W.Layout(width="360px"))
        layers = cam.cam_layers(model)
        self.layer_dropdown = W.Dropdown(options=layers, value=layer or cam.default_layer(model), description="layer")
        self.method_toggle = W.ToggleButtons(options=METHOD_OPTIONS, value=cam._method(method).name, description="method")
        self.counterfactual_toggle = W.ToggleButton(value=False, description="counterfactual",
                                                    tooltip="what argues AGAINST the class (negated gradients)")
        self.alpha_slider = W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="alpha")
        self.colormap_dropdown = W.Dropdown(options=COLORMAP_OPTIONS, value=colormap, description="colours")
        self.view = W.Image(format="png")
        self.info_label = W.HTML()
        self.status = W.HTML()
        self.output = W.Output()

        self._guard = guarded(self.output, self.status)
        self.picker.observe_image(lambda img: self._guard(self._new_image)(img))
        self.class_dropdown.observe(lambda ch: self._guard(self._render)(), names="value")
        self.layer_dropdown.observe(lambda ch: self._guard(self._render)(), names="value")
        self.method_toggle.observe(lambda ch: self._guard(self._render)(), names="value")
        self.counterfactual_toggle.observe(lambda ch: self._guard(self._render)(), names="value")
        self.alpha_slider.observe(lambda ch: self._guard(self._blend)(), names="value")
        self.colormap_dropdown.observe(lambda ch: self._guard(self._blend)(), names="value")
        self.search.observe(lambda ch: self._guard(self._on_search)(ch["new"]), names="value")

        controls = W.VBox([W.HBox([self.class_dropdown, self.search]),
                           W.HBox([self.layer_dropdown, self.counterfactual_toggle]), self.method_toggle,
                           W.HBox([self.alpha_slider, self.colormap_dropdown])])
        super().__init__([self.picker, controls, self.info_label, self.view, self.status, self.output])
        if not isinstance(image, str):
            self.picker.set_image(np.asarray(image), "your image")
        else:
            self._guard(self._new_image)(self.picker.image)

    # -- state -------------------------------------------------------------------------------
    def _new_image(self, image):
        self._state = {"image": np.asarray(image)}
        x, _, _ = cam.prepare_input(self.model, image)
        self._state["x"] = x
        eng = cam.engine(self.model, self.layer_dropdown.value)
        fmaps, scores = eng.features(tf.constant(x))  # one forward pass: top-k and feature maps
        self.counters["forward"] += 1
        self.counters["features"] += 1
        self._state[("features", eng.layer)] = fmaps.numpy()
        self._state["probs"] = self._probabilities(scores.numpy()[0])
        self._set_class_options(self._top_options())
        self._render()

    def _probabilities(self, scores):
        if self.info.binary:
            return 1.0 / (1.0 + np.exp(-scores))
        return softmax(scores)

    def _label(self, i):
        return f"{self.info.class_names[i]} ({100 * self._state['probs'][i]:.1f}%)"

    def _top_options(self):
        order = np.argsort(-self._state["probs"], kind="stable")[: self.top_k]
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
        synonyms = _synonyms(self.info.class_names)
        matches = [i for i, s in enumerate(synonyms) if text in s.lower()][:20]
        if not matches:
            raise ValueError(f"no class name contains {text!r}")
        top = self._top_options()
        known = {v for _, v in top}
        options = top + [(self._label(i), i) for i in matches if i not in known]
        self._set_class_options(options, value=matches[0])
        self._render()

    def _features(self, eng):
        key = ("features", eng.layer)
        if key not in self._state:
            fmaps, _ = eng.features(tf.constant(self._state["x"]))
            self.counters["forward"] += 1
            self.counters["features"] += 1
            self._state[key] = fmaps.numpy()
        return self._state[key]

    def _gradients(self, eng, class_index):
        key = ("grads", eng.layer, class_index)
        if key not in self._state:
            fmaps = self._features(eng)
            idx = tf.constant([class_index], tf.int32)
            if eng.head_grads is not None:  # from the cached feature maps: no forward pass
                grads = eng.head_grads(tf.constant(fmaps), idx)
            else:  # a skip connection crosses this layer: the whole pass is needed
                _, grads, _, _ = eng.grads(tf.constant(self._state["x"]), idx)
                self.counters["forward"] += 1
            self.counters["gradients"] += 1
            self._state[key] = grads.numpy()
        return self._state[key]

    def _scorecam(self, eng, class_index):
        method = cam.METHODS["scorecam"]
        fmaps = self._features(eng)[0]
        key = ("scorecam", eng.layer)
        if key not in self._state:
            chosen = method.channels(fmaps)
            self._state[key] = (chosen, method.channel_probs(eng, self._state["x"][0], fmaps, chosen))
            self.counters["scorecam"] += 1
        chosen, probs = self._state[key]
        return cam.normalize_map(cam.weighted_cam(fmaps, method.weights_from_probs(probs[:, class_index], chosen,
                                                                                  fmaps.shape[-1])))

    # -- drawing -----------------------------------------------------------------------------
    def _render(self):
        if self._busy or "x" not in self._state or self.class_dropdown.value is None:
            return
        t0 = time.perf_counter()
        eng = cam.engine(self.model, self.layer_dropdown.value)
        c = int(self.class_dropdown.value)
        method = self.method_toggle.value
        if method == "scorecam":
            if self.counterfactual_toggle.value:
                raise ValueError("counterfactual maps need gradients: choose Grad-CAM or Grad-CAM++")
            small = self._scorecam(eng, c)
        else:
            small = cam.cam_from_gradients(self._features(eng)[0], self._gradients(eng, c)[0], method,
                                           self.counterfactual_toggle.value)
        self.heatmap = cam.upsample(small, self._state["image"].shape[:2])
        self.counters["heatmap"] += 1
        shape = self._state[("features", eng.layer)].shape[1:]
        what = "against" if self.counterfactual_toggle.value else "for"
        self.info_label.value = (f"evidence <b>{what}</b> <i>{self.info.class_names[c]}</i> "
                                 f"(p = {self._state['probs'][c]:.3f}) in layer <code>{eng.layer}</code> "
                                 f"{shape[0]}x{shape[1]}x{shape[2]}; {1000 * (time.perf_counter() - t0):.0f} ms")
        self._blend()

    def _blend(self):
        if self.heatmap is None:
            return
        image = self._state["image"]
        self.picture = cam.overlay(image, self.heatmap, self.alpha_slider.value, self.colormap_dropdown.value)
        strip = np.concatenate([image, cam.colorize(self.heatmap, self.colormap_dropdown.value), self.picture], axis=1)
        scale = self.display_size / image.shape[0]
        if scale != 1:
            strip = cv2.resize(strip, (round(strip.shape[1] * scale), self.display_size), interpolation=cv2.INTER_LINEAR)
        self.view.value = png_bytes(strip)
        self.counters["blend"] += 1


_SYN: dict = {}


def _synonyms(class_names):
    key = tuple(class_names)
    if key not in _SYN:
        from ..models import imagenet_class_names, imagenet_class_synonyms

        if key == imagenet_class_names():
            _SYN[key] = [f"{n}, {s}" for n, s in zip(key, imagenet_class_synonyms())]
        else:
            _SYN[key] = list(key)
    return _SYN[key]


def gradcam_explorer(model, image="cat_and_coffee", *, top_k: int = 5, layer: str | None = None,
                     method: str = "gradcam", alpha: float = 0.4, colormap: str = "jet") -> GradCAMExplorer:
    """An interactive Grad-CAM explorer: image picker (+ your own upload), class (the top-k
    predictions with their probabilities, or search all class names), layer, method
    (Grad-CAM / Grad-CAM++ / Score-CAM), counterfactual, alpha and colour map.

    Shows image | heatmap | overlay. Mistakes appear as a message and the widget stays alive.

    Example:
        >>> explorer = gradcam_explorer(helpers.load_model())
        >>> explorer.class_dropdown.value = 967            # espresso: no new forward pass
        >>> explorer.counters["forward"]
        1
    """
    return GradCAMExplorer(model, image, top_k=top_k, layer=layer, method=method, alpha=alpha, colormap=colormap)
