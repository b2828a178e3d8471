"""Deletion and insertion curves (Petsiuk et al., 2018): does the map rank the pixels the model uses first?

A heatmap claims "these pixels matter most". Test the claim by acting on it:

* **deletion** -- hide the pixels in the map's order, most salient first, and record the class
  probability after each step. If the map is right, the probability collapses early: a *low* area
  under the curve is good.
* **insertion** -- start from a blurred copy of the picture and put the original pixels back in the
  map's order. If the map is right, the probability climbs early: a *high* area is good.

Each curve has ``steps + 1`` points, at pixel fractions ``0, 1/steps, ..., 1`` (exactly
``k * n // steps`` of the ``n`` pixels at step ``k``), one forward pass each, batched; the area is
the trapezoid rule over those fractions (Petsiuk et al.'s formula for evenly spaced points).

Choices, and why:

* Hidden pixels (deletion's default ``baseline="mean"``) take the ImageNet mean colour. The paper
  "sets pixels to zero" -- in its code, zeros of the *normalised* input, which is that colour; our
  models take raw 0..255 pixels. ``"black"`` gives literal zeros, ``"blur"`` the blurred picture.
* Insertion starts from the picture blurred as in the paper's code: an 11 x 11 Gaussian, sigma 5
  (at the model's input size; OpenCV, mirrored borders).
* Only the map's *order* matters (any real values; a signed map works). Ties are broken in raster
  order: of two equal pixels, the one in the higher row -- or, in the same row, further left -- goes
  first (a stable sort), so a flat map gives the same curve every time.
* Scores are class probabilities (softmax), as in the paper, so areas lie in [0, 1] and compare
  across pictures.

The arithmetic lives in small numpy functions (:func:`pixel_ranks`, :func:`step_counts`,
:func:`curve_images`, :func:`trapezoid_area`), tested on hand-computed arrays.

Example:
    >>> photo = load_image("cat_and_coffee", size=224)
    >>> heat = helpers.gradcam(model, photo, "espresso")
    >>> curve = deletion(model, photo, heat, "espresso", steps=8)       # 9 forward passes
    >>> curve.fractions.tolist()
    [0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0]
    >>> bool(curve.scores[1] < curve.scores[0]), 0 <= curve.auc <= 1
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..cam.engine import engine
from ..cam.inputs import class_indices, contract_errors, prepare_input
from ..cam.perturbation import BATCH, MEAN_RGB, batched_probabilities
from ..validation import MAX_STEPS, check_choice, check_int, check_model
from ..validation.args import check_colour
from .inputs import map_at_input

__all__ = ["BASELINES", "BLUR_KSIZE", "BLUR_SIGMA", "Curve", "curve_images", "deletion", "insertion", "pixel_ranks",
           "step_counts", "substrate", "trapezoid_area"]

BASELINES = ("mean", "black", "blur")  # the named baselines; a grey level or an (r, g, b) triple also works
BLUR_KSIZE, BLUR_SIGMA = 11, 5.0        # Petsiuk et al.'s insertion blur (their code, at 224 px)


@dataclass(frozen=True, eq=False)
class Curve:
    """A deletion or insertion curve: ``scores[k]`` is the class probability with a fraction
    ``fractions[k]`` of the pixels deleted (inserted); ``auc`` the trapezoid area under it (in [0, 1]).
    The arrays are read-only."""

    kind: str
    class_index: int
    fractions: np.ndarray
    scores: np.ndarray
    auc: float

    def __repr__(self) -> str:
        return (f"Curve(kind={self.kind!r}, class_index={self.class_index}, steps={len(self.scores) - 1}, "
                f"auc={self.auc:.4f})")


# -- the arithmetic (numpy only) --------------------------------------------------------------
def pixel_ranks(heatmap: np.ndarray) -> np.ndarray:
    """Each pixel's place in the map's order, int (h, w): 0 = the most salient. Ties: raster order.

    Example:
        >>> pixel_ranks(np.array([[0.1, 0.9], [0.5, 0.9]]))     # the two 0.9s: the upper one first
        array([[3, 0],
               [2, 1]])
    """
    flat = np.asarray(heatmap).ravel()
    order = np.argsort(-flat, kind="stable")  # stable: equal values keep their raster order
    ranks = np.empty(flat.size, np.int64)
    ranks[order] = np.arange(flat.size)
    return ranks.reshape(np.shape(heatmap))


def step_counts(n_pixels: int, steps: int) -> np.ndarray:
    """How many pixels are changed at each of the ``steps + 1`` points: ``k * n // steps`` (0 first, all last).

    Example:
        >>> step_counts(10, 4).tolist()
        [0, 2, 5, 7, 10]
    """
    return np.arange(steps + 1) * n_pixels // steps


def curve_images(before: np.ndarray, after: np.ndarray, ranks: np.ndarray, counts) -> np.ndarray:
    """One picture per count: the ``count`` first-ranked pixels from ``after``, the rest from ``before``;
    float32 (len(counts), H, W, 3). Deletion: before = the picture, after = the baseline; insertion:
    the other way round.

    Example:
        >>> x, zero = np.ones((1, 2, 3)), np.zeros((1, 2, 3))
        >>> curve_images(x, zero, np.array([[1, 0]]), [0, 1, 2])[..., 0].tolist()
        [[[1.0, 1.0]], [[1.0, 0.0]], [[0.0, 0.0]]]
    """
    changed = ranks[None] < np.asarray(counts).reshape(-1, 1, 1)
    return np.where(changed[..., None], after[None], before[None]).astype(np.float32)


def trapezoid_area(x, y) -> float:
    """The area under the polyline through the points (x[i], y[i]): the trapezoid rule.

    Example:
        >>> trapezoid_area([0.0, 0.5, 1.0], [1.0, 0.5, 0.5])
        0.625
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0).sum())


def substrate(x: np.ndarray, baseline) -> np.ndarray:
    """What changed pixels become, float32 like ``x`` (H, W, 3): ``"mean"`` (the ImageNet mean colour),
    ``"black"``, ``"blur"`` (Gaussian 11 x 11, sigma 5), a grey level 0..255 or an (r, g, b) triple.

    Example:
        >>> substrate(np.full((1, 1, 3), 200.0), "black").tolist()
        [[[0.0, 0.0, 0.0]]]
    """
    if isinstance(baseline, str):
        kind = check_choice("baseline", baseline, BASELINES, ignore_case=True)
        if kind == "blur":
            return cv2.GaussianBlur(np.asarray(x, np.float32), (BLUR_KSIZE, BLUR_KSIZE), BLUR_SIGMA,
                                    borderType=cv2.BORDER_REFLECT_101)
        colour = MEAN_RGB if kind == "mean" else np.zeros(3, np.float32)
    else:
        colour = check_colour("baseline", baseline)
    return np.broadcast_to(colour, x.shape).astype(np.float32)


# -- the curves ----------------------------------------------------------------------------------
def deletion(model, image, heatmap, class_index=None, *, steps: int = 32, baseline="mean",
             batch_size: int = BATCH) -> Curve:
    """The deletion curve: the class probability as the map's most salient pixels are hidden first.

    Lower area = a more faithful map (the evidence it names is the evidence the model uses).

    Cost: ``steps + 1`` forward passes, batched by ``batch_size``.

    Args:
        model: a Keras classifier taking raw 0..255 RGB pixels, giving logits (:func:`helpers.load_model`).
        image: one picture (H, W, 3), stretched to the model's input size as :func:`helpers.gradcam` does.
        heatmap: a 2-D map of the picture (any real values: only their order counts), at the picture's
            size, the input's or a layer's (resized bilinearly); e.g. :func:`helpers.gradcam`'s, or a
            :func:`helpers.metrics.baseline_map` to compare with.
        class_index: an index, a class name, or ``None`` (the top class of the unchanged picture).
        steps: the number of steps, 1..the number of pixels (at most 10000); the paper used 224 * 224 / 1792 = 28.
        baseline: what hidden pixels become (:func:`substrate`): ``"mean"`` (default), ``"black"``,
            ``"blur"``, a grey level or an (r, g, b) triple.
        batch_size: pictures per forward call (1..1024).

    Returns:
        a :class:`Curve` with ``fractions`` and ``scores`` (steps + 1,) and ``auc``.

    Raises:
        TypeError: not a Keras model, an argument of the wrong type. ValueError: a batch of images, a bad
        heatmap (NaN, not 2-D, a shape unlike the picture's), an unknown baseline or an out-of-range
        argument (each names the value and the choices). IndexError: a class index out of range.

    Example:
        >>> deletion(model, image, helpers.metrics.baseline_map("centre", image), steps=4).fractions.tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    return _curve("deletion", model, image, heatmap, class_index, steps, baseline, batch_size)


def insertion(model, image, heatmap, class_index=None, *, steps: int = 32, baseline="blur",
              batch_size: int = BATCH) -> Curve:
    """The insertion curve: the class probability as the map's most salient pixels are put back first
    into a blurred copy of the picture (``baseline``: the same choices as :func:`deletion`).

    Higher area = a more faithful map. Cost: ``steps + 1`` forward passes. Arguments, result and
    errors as :func:`deletion`.

    Example:
        >>> curve = insertion(model, image, helpers.gradcam(model, image, 285), 285, steps=4)
        >>> len(curve.scores), round(float(curve.scores[-1]), 2)   # all pixels back: the picture's probability
        (5, 0.4)
    """
    return _curve("insertion", model, image, heatmap, class_index, steps, baseline, batch_size)


def _curve(kind, model, image, heatmap, class_index, steps, baseline, batch_size) -> Curve:
    check_model(model)
    eng = engine(model)
    x, single, hw = prepare_input(model, image)
    if not single:
        raise ValueError(f"{kind}() takes one image (H, W, 3); got a batch of {len(x)}: call it once per image")
    c = int(class_indices(model, class_index, 1)[0])
    x = x[0]
    ranks = pixel_ranks(map_at_input(heatmap, hw, x.shape[:2]))
    steps = check_int("steps", steps, 1, min(MAX_STEPS, ranks.size))
    batch_size = check_int("batch_size", batch_size, 1, 1024)
    other = substrate(x, baseline)
    before, after = (x, other) if kind == "deletion" else (other, x)
    counts = step_counts(ranks.size, steps)
    with contract_errors(f"{kind} curve of model {model.name!r} on input {x.shape}"):
        probs = batched_probabilities(eng, len(counts), lambda a, b: curve_images(before, after, ranks, counts[a:b]),
                                      batch_size)
    if c < 0:  # the top class of the unchanged picture: the first point of deletion, the last of insertion
        c = int(np.argmax(probs[0 if kind == "deletion" else -1]))
    fractions, scores = counts / ranks.size, probs[:, c].astype(np.float64)
    fractions.setflags(write=False)
    scores.setflags(write=False)
    return Curve(kind, c, fractions, scores, trapezoid_area(fractions, scores))
