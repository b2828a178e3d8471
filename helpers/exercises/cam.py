"""Checks for notebook 3 (Grad-CAM). Only a correct answer passes: maps are compared with a
reference Grad-CAM computed here, sizes come from the model, and an all-zero map never passes.

A map at the picture's size is compared at the layer's cells: its value at each cell's centre (the
point every standard upsampling reproduces) against the reference at the layer's resolution, so a
correct Grad-CAM passes whichever interpolation made it 224 px (OpenCV, Pillow, TensorFlow, Keras:
nearest, bilinear, bicubic, Lanczos, area; float or uint8; half-pixel or corner-aligned grids).

Example:
    >>> print(weights(lambda g: g.mean(axis=(0, 1))))
    ✓ correct: a channel's weight is its gradient averaged over the map's h x w positions
    >>> print(weights(lambda g: g.sum(axis=(0, 1))))
    ✗ not quite: you summed the gradients: Grad-CAM averages them (divide by h x w, or use mean)
"""
from __future__ import annotations

import cv2
import numpy as np
import tensorflow as tf

from ..cam import cascading_randomization, gradient_saliency, spearman
from ..features import LOGITS, feature_model
from ..layers import find_layer, iter_layers, layer_names, output_shape
from ..validation import check_choice
from ._result import Hints, Result, failed, layer_name, passed, raised, unanswered, unknown_name

__all__ = ["HINTS", "MAP_TOLERANCE", "at_cells", "hint", "layer_of_size", "own_gradcam", "reference_gradcam",
           "rho_saliency", "saliency_rho", "share_right", "weights"]

# Largest |difference| at the layer's cells between two maps scaled to [0, 1]. Measured on
# "cat_and_coffee" at 7x7, 14x14 and 28x28 layers, for "tiger cat" and "espresso": a correct map
# upsampled to 224 px by OpenCV, Pillow, TensorFlow or Keras (nearest, bilinear, bicubic, Lanczos,
# area; float or uint8) reads back within 0.067 of the reference (bilinear at 28x28 is the farthest),
# with scipy.ndimage.zoom's corner-aligned grid within 0.07; the nearest wrong map, the softmax
# probability's, is 0.22 away, another class's 0.98.
MAP_TOLERANCE = 0.10
NEGATIVE = 0.03          # a value below -NEGATIVE x the map's maximum is evidence AGAINST the class: no ReLU
_GRIDS = ("half-pixel", "corner")   # the two conventions of resizing, see at_cells

# A second hint per exercise, for a learner who is stuck: a question or a case to try, never the code.
HINTS = {
    1: "Section 1, step 2: the weight of channel k says how much the whole channel pushes the score up. grads "
       "has shape (h, w, channels): which operation turns h x w numbers into one, without letting a bigger map "
       "count more? Try it on a (2, 2, 1) array you write by hand.",
    2: "The heat is the map's values. Add them all up; then add up only those in the columns from `half` on. "
       "What fraction of the first total is the second? (A map that is 1 everywhere should give 0.5.)",
    3: "Start from textbook_gradcam in section 1 and change only what the exercise changes: which class, "
       "which layer? Then compare your map with the one in section 4's figure for the same layer.",
    4: "cascading_randomization yields (name, model) pairs, the original first; with steps=1 the second "
       "pair is the model with its top group randomised. Compute one saliency map per model, then compare "
       "the two maps with the notebook's rank correlation.",
    5: "A Grad-CAM cell covers (picture width / grid width) pixels. What grid width makes that 8 for a "
       "224-px picture? Then look for that grid in the list of layer shapes.",
}


hint = Hints(3, HINTS)
"""A second hint for an exercise of notebook 3: ``hint(n)``, a question to work on, not the answer."""


def _stuck(n: int) -> str:
    return f" (stuck? print(checks.hint({n})))"


def _array(value) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value, np.float64)


def weights(my_weights) -> Result:
    """Exercise 1: ``my_weights(grads)`` for grads ``(h, w, channels)`` -> one weight per channel."""
    g = np.random.default_rng(0).normal(size=(4, 6, 5))
    try:
        out = my_weights(g.copy())
    except Exception as e:  # noqa: BLE001 -- the learner's code: report, never a traceback
        return raised("my_weights(grads)", e)
    if out is None:
        return unanswered("return one number per channel: how strongly does each channel, as a whole, push the "
                          "score up?" + _stuck(1))
    out = _array(out).squeeze()
    if out.shape != (5,):
        return failed(f"one number per channel: for grads of shape {g.shape} expected shape (5,), got {out.shape} "
                      "(average over axes 0 and 1, the height and width)")
    if np.allclose(out, g.sum((0, 1))):
        return failed("you summed the gradients: Grad-CAM averages them (divide by h x w, or use mean)")
    if np.allclose(out, np.abs(g).mean((0, 1))) or np.allclose(out, np.maximum(g, 0).mean((0, 1))):
        return failed("keep the sign of the gradients: a negative weight means the channel argues against the class")
    if not np.allclose(out, g.mean((0, 1))):
        return failed("for a test gradient your weights differ from the spatial average, grads.mean(axis=(0, 1))")
    return passed("a channel's weight is its gradient averaged over the map's h x w positions")


def share_right(reference_map: np.ndarray, answer) -> Result:
    """Exercise 2: the share of a map's heat on the right half of the picture, as a fraction."""
    m = np.asarray(reference_map, np.float64)
    truth = m[:, m.shape[1] // 2:].sum() / max(m.sum(), 1e-12)
    if answer is None:
        return unanswered("a number between 0 and 1: the right half's share of the map's total heat" + _stuck(2))
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return failed(f"answer with one number between 0 and 1, not {type(answer).__name__}")
    if 1 < value <= 100 and abs(value / 100 - truth) < 0.02:
        return failed(f"right idea, but give a fraction between 0 and 1 ({value / 100:.2f}), not a percentage")
    if abs(value - truth) < 0.02:
        return passed(f"{truth:.0%} of the heat is on the right half -- "
                      + ("the class points at the cup side" if truth > 0.5 else "it looks elsewhere"))
    if abs(value - (1 - truth)) < 0.02:
        return failed("that is the share of the LEFT half: the right half is m[:, half:]")
    return failed(f"{value:.2f} is not the share of the right half's heat: divide m[:, half:].sum() by m.sum()")


def reference_gradcam(model, image, class_index: int, layer: str) -> np.ndarray:
    """The Grad-CAM map at the layer's own resolution (h, w), ReLU'd and scaled to [0, 1]."""
    fm = feature_model(model, [layer], with_logits=True)
    x = tf.constant(np.asarray(image, np.float32)[None])
    with tf.GradientTape() as tape:
        out = fm(x, training=False)
        score = out[LOGITS][:, class_index]
    grads = tape.gradient(score, out[layer])
    heat = tf.nn.relu(tf.einsum("bhwc,bc->bhw", out[layer], tf.reduce_mean(grads, axis=(1, 2))))[0].numpy()
    return heat / (heat.max() + 1e-7)


def _cell_grids(picture: tuple[int, int], cells: tuple[int, int]):
    """Where the centre of each of the layer's cells lies in picture pixels, for the two grid
    conventions of image resizing: half-pixel centres (OpenCV, Pillow, TensorFlow) and corner-aligned
    (scipy.ndimage.zoom, align_corners=True)."""
    (H, W), (h, w) = picture, cells
    half = ((np.arange(h) + 0.5) * H / h - 0.5, (np.arange(w) + 0.5) * W / w - 0.5)
    corner = (np.arange(h) * (H - 1) / max(h - 1, 1), np.arange(w) * (W - 1) / max(w - 1, 1))
    return half, corner


def at_cells(picture_map, cells: tuple[int, int], grid: str = "half-pixel") -> np.ndarray:
    """A map at the picture's size read back at a layer's ``cells`` = (h, w): its value at each
    cell's centre (bilinear between the 4 nearest pixels), where every standard upsampling of a
    (h, w) map returns the cell's own value (exactly for nearest, to within the curvature of the map for
    bilinear and bicubic). ``grid``: ``"half-pixel"`` (OpenCV, Pillow, TensorFlow) or ``"corner"``
    (corner-aligned resizing, e.g. scipy.ndimage.zoom).

    Example:
        >>> small = np.arange(12, dtype=np.float32).reshape(3, 4)
        >>> bool(np.allclose(at_cells(cv2.resize(small, (16, 12), interpolation=cv2.INTER_NEAREST), (3, 4)), small))
        True
    """
    grid = check_choice("grid", grid, _GRIDS)
    a = np.asarray(picture_map, np.float32)
    ys, xs = _cell_grids(a.shape[:2], cells)[grid != "half-pixel"]
    mx, my = np.meshgrid(xs.astype(np.float32), ys.astype(np.float32))
    return cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float64)


def _scaled(m: np.ndarray) -> np.ndarray:
    return np.clip(m, 0.0, None) / max(float(m.max()), 1e-12)


def _variants(model, image, class_index: int, layer: str) -> dict[str, np.ndarray]:
    """Common slips, each as a [0, 1] map at the layer's resolution: the probability instead of the
    logit, negated weights, absolute weights."""
    fm = feature_model(model, [layer], with_logits=True)
    x = tf.constant(np.asarray(image, np.float32)[None])
    with tf.GradientTape(persistent=True) as tape:
        out = fm(x, training=False)
        logit = out[LOGITS][:, class_index]
        prob = tf.nn.softmax(out[LOGITS])[:, class_index]
    A = out[layer][0].numpy().astype(np.float64)
    by_logit = tape.gradient(logit, out[layer])[0].numpy().mean((0, 1))
    by_prob = tape.gradient(prob, out[layer])[0].numpy().mean((0, 1))
    del tape
    return {"probability": _scaled(A @ by_prob), "negated": _scaled(A @ -by_logit),
            "abs": _scaled(A @ np.abs(by_logit))}


def _same_grid_layer(model, image, class_index: int, layer: str, mine: np.ndarray) -> tuple[str, float] | None:
    """The other layer with the same grid whose Grad-CAM is closest to ``mine`` (one batched pass)."""
    grid = tuple(output_shape(find_layer(model, layer))[1:3])
    others = [r.name for r in iter_layers(model) if r.kind != "model" and r.name != layer
              and len(output_shape(r)) == 4 and tuple(output_shape(r)[1:3]) == grid]
    if not others:
        return None
    fm = feature_model(model, others, with_logits=True)
    x = tf.constant(np.asarray(image, np.float32)[None])
    with tf.GradientTape() as tape:
        out = fm(x, training=False)
        score = out[LOGITS][:, class_index]
    grads = tape.gradient(score, [out[n] for n in others])
    best = None
    for name, g in zip(others, grads):
        if g is None:
            continue
        m = _scaled(np.einsum("hwc,c->hw", out[name][0].numpy(), g[0].numpy().mean((0, 1))))
        error = float(np.abs(m - mine).max())
        if best is None or error < best[1]:
            best = (name, error)
    return best


def own_gradcam(model, image, class_index: int, layer: str, answer, *, other_class: int | None = None) -> Result:
    """Exercise 3: the learner's Grad-CAM, at the layer's resolution or the picture's, equals the
    reference at the layer's cells (within :data:`MAP_TOLERANCE`, after scaling to a maximum of 1),
    whichever standard interpolation upsampled it. A wrong map is named only when it matches a known
    slip (another class, the probability, negated or absolute weights, another layer of the same grid)."""
    if answer is None:
        return unanswered(f"a 2-D map for class {class_index} at {layer!r}, from your own GradientTape" + _stuck(3))
    a = _array(answer).squeeze()
    small = reference_gradcam(model, image, class_index, layer)
    picture = tuple(np.asarray(image).shape[:2])
    sizes = {small.shape: "the layer's", picture: "the picture's"}
    if a.shape not in sizes:
        return failed(f"a map of shape {a.shape}: expected {' or '.join(map(str, sizes))} "
                      f"({layer} is {small.shape[0]}x{small.shape[1]}, the picture {picture})")
    if not np.all(np.isfinite(a)):
        return failed("the map has NaN or inf values: divide by (max + a small epsilon)")
    if a.shape == small.shape:
        cells = a
    else:  # read back at the cells' centres, on whichever of the two grids fits the reference better
        cells = min((at_cells(a, small.shape, g) for g in _GRIDS),
                    key=lambda c: float(np.abs(_scaled(c) - small).max()))
    if cells.max() <= 0:
        return failed("an all-zero (or all-negative) map shows no evidence at all: multiply the feature maps "
                      "by the channel weights and sum over channels")
    if cells.min() < -NEGATIVE * cells.max():
        return failed("the map has negative values: keep only the evidence FOR the class with a ReLU")
    mine = _scaled(cells)
    error = float(np.abs(mine - small).max())
    where = f"{layer}'s {small.shape[0]}x{small.shape[1]} cells"
    if error <= MAP_TOLERANCE:
        return passed(f"your map matches Grad-CAM at {sizes[a.shape]} resolution (largest difference at "
                      f"{where}: {error:.3f})")
    if other_class is not None:
        other = reference_gradcam(model, image, other_class, layer)
        if np.abs(mine - other).max() <= MAP_TOLERANCE:
            return failed(f"this is the map of class {other_class}: use class {class_index}")
    slips = {"probability": "this is the map of the softmax probability: differentiate the logit "
                            "(model.output here, no softmax)",
             "negated": "this map shows the evidence AGAINST the class: the gradients' sign is flipped",
             "abs": "keep the sign of the channel weights: abs() makes channels that argue against the class "
                    "count for it"}
    found = [(float(np.abs(mine - m).max()), k) for k, m in _variants(model, image, class_index, layer).items()]
    nearest = min(found)
    if nearest[0] <= MAP_TOLERANCE:
        return failed(slips[nearest[1]])
    near_layer = _same_grid_layer(model, image, class_index, layer, mine)
    if near_layer is not None and near_layer[1] <= MAP_TOLERANCE:
        return failed(f"this is Grad-CAM at {near_layer[0]!r}, another layer with the same grid: use {layer!r}")
    return failed(f"your map differs from Grad-CAM at {where} by up to {error:.2f} (allowed {MAP_TOLERANCE}), "
                  "and it is none of the usual slips (another class, the probability, flipped or absolute weights, "
                  "another layer of that size): compare each step with textbook_gradcam in section 1")


def saliency_rho(model, image, class_index: int) -> tuple[float, str]:
    """Spearman rho of gradient saliency before / after randomising the top group, and that group's name."""
    *_, (name, randomised) = cascading_randomization(model, steps=1)
    return spearman(gradient_saliency(model, image, class_index),
                    gradient_saliency(randomised, image, class_index)), name


def rho_saliency(model, image, class_index: int, answer, *, truth: tuple[float, str] | None = None) -> Result:
    """Exercise 4: the Spearman correlation of gradient saliency before and after randomising the top
    group (computed only once the learner answers; ``truth`` = :func:`saliency_rho`'s result, if known)."""
    if answer is None:
        return unanswered("one number: how similar is gradient saliency before and after the top group is "
                          "randomised?" + _stuck(4))
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return failed(f"answer with one number (a correlation), not {type(answer).__name__}")
    if not -1 <= value <= 1:
        return failed(f"{value:.2f} cannot be a correlation: Spearman's rho lies between -1 and 1")
    rho, layer = truth if truth is not None else saliency_rho(model, image, class_index)
    if abs(value - rho) < 0.05:
        return passed(f"rho = {rho:+.2f}: gradient saliency "
                      + ("changes, like Grad-CAM" if rho < 0.5 else "barely changes, like guided backprop"))
    return failed(f"rho = {value:+.2f} is not what helpers.spearman gives for the saliency maps before and "
                  f"after {layer!r} is randomised")


def layer_of_size(model, answer, size: int = 14) -> Result:
    """Exercise 5: any layer whose Grad-CAM grid is ``size`` x ``size`` (every such layer counts)."""
    if answer is None:
        h, w = model.input_shape[1:3]
        cell = f"{h // size}x{w // size} pixels" if h and w else f"1/{size} of the picture's side"
        return unanswered(f"the name of a layer whose Grad-CAM cells cover {cell}" + _stuck(5))
    name = layer_name(answer)
    if name not in {r.name for r in iter_layers(model)}:
        return unknown_name("a layer", name, layer_names(model, kinds="all"))
    shape = output_shape(find_layer(model, name))
    if len(shape) != 4:
        return failed(f"{name!r} outputs {shape[1:]}: not a stack of feature maps, so it has no Grad-CAM grid")
    h, w = shape[1:3]
    if (h, w) == (size, size):
        return passed(f"{name} outputs {h}x{w}x{shape[3]}: each cell covers "
                      f"{model.input_shape[1] // h}x{model.input_shape[2] // w} pixels")
    return failed(f"{name!r} is {h}x{w}: " + ("take an earlier layer" if h < size else "take a later layer"))
