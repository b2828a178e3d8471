"""The occluder: slide a grey square over the photo and watch the class probability and the Grad-CAM
map of the occluded picture change -- occlusion sensitivity (Zeiler & Fergus, 2014), one square at a time.

Each move costs ONE compiled pass: the engine's forward-and-gradient pass of the occluded picture
gives the class scores (the probability shown) and the gradients Grad-CAM needs
(:class:`helpers.cam.Context`), so the map and the number always describe the same picture.
``counters["forward"]`` counts those passes; the unoccluded picture's probability is computed once
per picture.

The position sliders follow the size: their maxima are ``h - size`` and ``w - size`` (a larger
square clamps them), so every position a slider offers keeps the square inside the picture. Every
value a control delivers is still checked (the square inside the picture, a class of the model)
before any work, since a browser can change a slider's range too; a mistake is shown in the status
line and the widget stays alive.
"""

from __future__ import annotations

import collections

import cv2
import ipywidgets as W
import numpy as np

from .. import cam
from ..cam.engine import engine
from ..cam.inputs import contract_errors, prepare_input
from ..cam.perturbation import MEAN_RGB
from ..heads import probabilities
from ..models import check_classifier
from ..plotting.colour import overlay
from ..validation import MAX_SIDE, check_class_index, check_int, check_model
from .encoding import jpeg_bytes
from .errors import guarded
from .picker import resolve_image

__all__ = ["Occluder", "occluder"]


class Occluder(W.VBox):
    """The widget :func:`occluder` returns. ``probability`` is the class probability of the occluded
    picture, ``base_probability`` the unoccluded one's, ``heatmap`` the occluded picture's Grad-CAM
    (H, W) and ``picture`` the occluded picture (uint8); ``counters["forward"]`` counts compiled passes."""

    def __init__(self, model, image="cat_and_coffee", *, class_index=None, size: int = 56, layer: str | None = None,
                 alpha: float = 0.4, display_size: int = 256):
        check_model(model)
        self.model, self.info = model, check_classifier(model)
        self.display_size = check_int("display_size", display_size, 16, MAX_SIDE)
        self.layer = layer or cam.default_layer(model)
        self.engine = engine(model, self.layer)
        self.alpha = float(alpha)
        self.counters: collections.Counter = collections.Counter()
        self.probability = self.base_probability = self.heatmap = self.picture = None
        self.status = W.HTML()
        self.view = W.Image(format="jpeg")
        self.info_label = W.HTML()
        self._out = W.Output()
        self._guard = guarded(self._out, self.status)
        photo, self.name, error = resolve_image(image, size=model)
        if photo is None:
            raise ValueError(error)
        x, _, _ = prepare_input(model, photo)
        self.x = x[0]
        h, w = self.x.shape[:2]
        side = min(h, w)
        size = check_int("size", size, 4, side)
        self.size_slider = W.IntSlider(value=size, min=4, max=side, step=4, description="size",
                                       continuous_update=False)
        # the position sliders end where the square touches the far edge; their maxima follow the size
        self.y_slider = W.IntSlider(value=(h - size) // 2, min=0, max=h - size, description="top",
                                    continuous_update=False)
        self.x_slider = W.IntSlider(value=(w - size) // 2, min=0, max=w - size, description="left",
                                    continuous_update=False)
        self._resizing = False
        base = cam.Context(self.engine, self.x, counter=self.counters)
        with contract_errors(f"running model {model.name!r} on the picture"):
            base_probs = probabilities(base.scores, self.info.binary)
        self.class_index = (int(np.argmax(base_probs)) if class_index is None
                            else check_class_index(class_index, len(self.info.class_names)))
        self.base_probability = float(base_probs[self.class_index])
        self.class_box = W.BoundedIntText(value=self.class_index, min=0, max=len(self.info.class_names) - 1,
                                          description="class")
        self._base_probs = base_probs
        self.size_slider.observe(lambda _change: self._on_size(), names="value")
        for control in (self.y_slider, self.x_slider, self.class_box):
            control.observe(lambda _change: None if self._resizing else self.redraw(), names="value")
        super().__init__([W.HBox([self.y_slider, self.x_slider]), W.HBox([self.size_slider, self.class_box]),
                          self.view, self.info_label, self.status, self._out])
        self.redraw()

    def _on_size(self):
        """A new size: the position sliders' maxima become ``h - size`` / ``w - size`` (their values
        clamped to them, as ipywidgets does when a maximum falls), then ONE redraw."""
        h, w = self.x.shape[:2]
        size = self._guard(check_int)("size", self.size_slider.value, 1, min(h, w))
        if size is None:  # a size no picture can hold (a browser can send any value): the message is shown
            return None
        self._resizing = True
        try:
            self.y_slider.max, self.x_slider.max = h - size, w - size
        finally:
            self._resizing = False
        return self.redraw()

    def square(self) -> tuple[int, int, int]:
        """``(top, left, size)`` as the sliders say, checked: the square must lie inside the picture."""
        h, w = self.x.shape[:2]
        size = check_int("size", self.size_slider.value, 1, min(h, w))
        top = check_int("top", self.y_slider.value, 0, h - size)
        left = check_int("left", self.x_slider.value, 0, w - size)
        return top, left, size

    def redraw(self):
        """Occlude, run ONE pass, show the probability and the map; a mistake goes to the status line."""
        return self._guard(self._redraw)()

    def _redraw(self) -> bool:
        top, left, size = self.square()
        c = check_class_index(self.class_box.value, len(self.info.class_names))
        hidden = self.x.copy()
        hidden[top:top + size, left:left + size] = MEAN_RGB
        ctx = cam.Context(self.engine, hidden, counter=self.counters)
        with contract_errors(f"running model {self.model.name!r} on the occluded picture"):
            ctx.grads(c)                                    # the one pass: scores and gradients together
            heat = cam.upsample(cam.heatmap(ctx, c, "gradcam"), hidden.shape[:2])
        self.class_index = c
        self.base_probability = float(self._base_probs[c])
        self.probability = float(probabilities(ctx.scores, self.info.binary)[c])
        self.heatmap, self.picture = heat, np.clip(hidden, 0, 255).astype(np.uint8)
        strip = np.concatenate([self.picture, overlay(self.picture, heat, self.alpha)], axis=1)
        scale = self.display_size / strip.shape[0]
        if scale != 1:
            strip = cv2.resize(strip, (round(strip.shape[1] * scale), self.display_size),
                               interpolation=cv2.INTER_LINEAR)
        self.view.value = jpeg_bytes(strip)
        self.info_label.value = (
            f"<i>{self.info.class_names[c]}</i>: p = {self.probability:.3f} with the square at "
            f"({top}, {left}), side {size} (without it {self.base_probability:.3f}; drop "
            f"{self.base_probability - self.probability:+.3f}); Grad-CAM at <code>{self.layer}</code>")
        return True


def occluder(model, image="cat_and_coffee", *, class_index=None, size: int = 56, layer: str | None = None,
             alpha: float = 0.4, display_size: int = 256) -> Occluder:
    """An interactive occluder: sliders place a grey square (the ImageNet mean colour) of side ``size``
    over ``image`` (a bundled photo name, a path or an array); the view shows the occluded picture and
    its Grad-CAM map for ``class_index`` (default: the top class), the label the class probability with
    and without the square. One compiled forward-and-gradient pass per move.

    Raises:
        TypeError: not a Keras model. ValueError: an image that cannot be read, a size outside 4..the
        picture's side. IndexError: a class index out of range.

    Example:
        >>> w = occluder(model, "coffee", class_index=967)
        >>> w.x_slider.value = 0; w.counters["forward"]     # one pass for the picture, one per move
        3
    """
    return Occluder(model, image, class_index=class_index, size=size, layer=layer, alpha=alpha,
                    display_size=display_size)
