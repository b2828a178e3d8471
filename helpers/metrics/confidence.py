"""Average Drop and Increase in Confidence (Chattopadhay et al., 2018, the Grad-CAM++ paper).

Show the model only what the map points at -- the *explanation map* ``E = image x heatmap``, each
pixel dimmed by its heat -- and compare its class probability ``O`` with that of the whole picture ``Y``:

* **Average Drop** = mean over images of ``max(0, Y - O) / Y``: how much confidence is lost when
  only the highlighted evidence is kept. Lower is better (0 = nothing lost).
* **Increase in Confidence** = the fraction of images with ``O > Y``: how often the highlighted part
  alone convinces the model *more* than the whole picture. Higher is better.

Both are fractions in [0, 1] (the paper prints them x 100, as percentages). The heatmap must lie in
[0, 1] -- it is a dimmer, so its scale matters, unlike for :mod:`.curves`. As in the paper, dimmed
pixels go towards black (``fill=0``); torch-cam multiplies the *normalised* picture instead, which
dims towards the dataset's mean colour: ``fill=None`` does that.

Example:
    >>> photo = load_image("cat_and_coffee", size=224)
    >>> result = confidence(model, photo, helpers.gradcam(model, photo, "espresso"), "espresso")   # 2 passes
    >>> result.original.shape, 0 <= result.average_drop <= 1, result.increase in (0.0, 1.0)
    ((1,), True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cam.engine import engine
from ..cam.inputs import class_indices, contract_errors, prepare_input
from ..cam.perturbation import BATCH, batched_probabilities, fill_colour
from ..validation import check_int, check_model
from .inputs import maps_at_input

__all__ = ["Confidence", "average_drop", "average_drop_of", "confidence", "explanation_images",
           "increase_in_confidence", "increase_of"]


@dataclass(frozen=True, eq=False)
class Confidence:
    """Per image: the class, the probability of the whole picture (``original``, Y) and of its
    explanation map (``explained``, O); over them ``average_drop`` and ``increase`` (fractions 0..1).
    The arrays are read-only."""

    class_indices: np.ndarray
    original: np.ndarray
    explained: np.ndarray
    average_drop: float
    increase: float

    def __repr__(self) -> str:
        return f"Confidence(images={len(self.original)}, average_drop={self.average_drop:.4f}, " \
               f"increase={self.increase:.4f})"


# -- the arithmetic (numpy only) --------------------------------------------------------------
def average_drop_of(original, explained) -> float:
    """``mean(max(0, Y - O) / Y)`` over images (an image with ``Y = 0`` adds 0).

    Example:
        >>> average_drop_of([0.5, 0.8], [0.25, 0.9])      # (0.5 + 0) / 2
        0.25
    """
    y, o = np.asarray(original, np.float64), np.asarray(explained, np.float64)
    return float(np.mean(np.where(y > 0, np.maximum(0.0, y - o) / np.where(y > 0, y, 1.0), 0.0)))


def increase_of(original, explained) -> float:
    """The fraction of images whose explanation map scores higher than the picture: ``mean(O > Y)``.

    Example:
        >>> increase_of([0.5, 0.8], [0.25, 0.9])
        0.5
    """
    return float(np.mean(np.asarray(explained, np.float64) > np.asarray(original, np.float64)))


def explanation_images(x: np.ndarray, heat: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """``x * heat + fill * (1 - heat)`` per pixel, float32: pictures (n, H, W, 3), heatmaps (n, H, W)
    in [0, 1]; ``fill`` 0 is the paper's ``image x heatmap``.

    Example:
        >>> explanation_images(np.full((1, 1, 2, 3), 200.0), np.array([[[1.0, 0.25]]]), np.zeros(3))[0, 0, :, 0]
        array([200.,  50.], dtype=float32)
    """
    h = np.asarray(heat, np.float32)[..., None]
    return (x * h + fill * (1.0 - h)).astype(np.float32)


# -- the metric ---------------------------------------------------------------------------------
def confidence(model, image, heatmap, class_index=None, *, fill=0, batch_size: int = BATCH) -> Confidence:
    """Average Drop and Increase in Confidence of heatmaps on one image or a batch, in one go.

    Cost: 2 forward passes per image (the picture and its explanation map), batched.

    Args:
        model: a Keras classifier taking raw 0..255 RGB pixels, giving logits (:func:`helpers.load_model`).
        image: (H, W, 3) or a batch (N, H, W, 3), stretched to the model's input as :func:`helpers.gradcam` does.
        heatmap: (h, w) -- or (N, h, w) for a batch -- with values in [0, 1], e.g. :func:`helpers.gradcam`'s;
            resized bilinearly to the model's input when needed.
        class_index: an index, a class name, a list (one per image) or ``None`` (each picture's top class).
        fill: what fully dimmed pixels become: 0 (black, the paper; default), ``None`` (the ImageNet mean
            colour, as torch-cam), a grey level 0..255 or an (r, g, b) triple.
        batch_size: pictures per forward call (1..1024).

    Returns:
        a :class:`Confidence` (per-image ``original`` and ``explained`` probabilities, ``average_drop``, ``increase``).

    Raises:
        TypeError: not a Keras model, an argument of the wrong type. ValueError: a heatmap outside [0, 1],
        with NaN, of the wrong shape or number, a bad image or fill. IndexError: a class index out of range.

    Example:
        >>> confidence(model, image, np.ones((224, 224)), 285).average_drop   # nothing dimmed: nothing lost
        0.0
    """
    check_model(model)
    eng = engine(model)
    x, _, hw = prepare_input(model, image)
    idx = class_indices(model, class_index, len(x))
    heat = maps_at_input(heatmap, hw, x.shape[1:3], len(x), value_range=(0.0, 1.0))
    colour = fill_colour(fill)
    batch_size = check_int("batch_size", batch_size, 1, 1024)
    with contract_errors(f"confidence of model {model.name!r} on input {x.shape}"):
        y_all = batched_probabilities(eng, len(x), lambda a, b: x[a:b], batch_size)
        o_all = batched_probabilities(eng, len(x), lambda a, b: explanation_images(x[a:b], heat[a:b], colour),
                                      batch_size)
    c = np.where(idx < 0, np.argmax(y_all, axis=-1), idx).astype(np.int64)
    rows = np.arange(len(x))
    y, o = y_all[rows, c], o_all[rows, c]
    for a in (c, y, o):
        a.setflags(write=False)
    return Confidence(c, y, o, average_drop_of(y, o), increase_of(y, o))


def average_drop(model, image, heatmap, class_index=None, **options) -> float:
    """Average Drop (lower is better), a fraction 0..1: :func:`confidence`'s ``average_drop``.

    Example:
        >>> average_drop(model, image, np.zeros((224, 224)), 285) > 0.5       # everything dimmed to black
        True
    """
    return confidence(model, image, heatmap, class_index, **options).average_drop


def increase_in_confidence(model, image, heatmap, class_index=None, **options) -> float:
    """Increase in Confidence (higher is better), a fraction 0..1: :func:`confidence`'s ``increase``.

    Example:
        >>> increase_in_confidence(model, image, np.ones((224, 224)), 285)     # the same picture: no increase
        0.0
    """
    return confidence(model, image, heatmap, class_index, **options).increase
