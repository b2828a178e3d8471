"""Checks for notebook 3 (Grad-CAM). Only a correct answer passes: maps are compared with a
reference Grad-CAM computed here, sizes come from the model, and an all-zero map never passes.

Example:
    >>> print(weights(lambda g: g.mean(axis=(0, 1))))
    ✓ correct: a channel's weight is its gradient averaged over the map's h x w positions
    >>> print(weights(lambda g: g.sum(axis=(0, 1))))
    ✗ not quite: you summed the gradients: Grad-CAM averages them (divide by h x w, or use mean)
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..cam import cascading_randomization, gradcam, gradient_saliency, spearman
from ..features import LOGITS, feature_model
from ..layers import find_layer, iter_layers, layer_names, output_shape
from ._result import Result, failed, layer_name, passed, raised, unanswered, unknown_name

__all__ = ["MAP_TOLERANCE", "layer_of_size", "own_gradcam", "reference_gradcam", "rho_saliency", "saliency_rho",
           "share_right", "weights"]

MAP_TOLERANCE = 0.05     # largest |difference| between two maps scaled to [0, 1]


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
        return unanswered("return the gradients averaged over the two spatial axes")
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
        return unanswered("sum the map over the right half (columns from `half` on), divide by the whole sum")
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


def own_gradcam(model, image, class_index: int, layer: str, answer, *, other_class: int | None = None) -> Result:
    """Exercise 3: the learner's Grad-CAM, at the layer's resolution or the picture's, equals the reference."""
    if answer is None:
        return unanswered(f"compute the Grad-CAM of class {class_index} at {layer!r} with your own GradientTape")
    a = _array(answer).squeeze()
    small = reference_gradcam(model, image, class_index, layer)
    sizes = {small.shape: "the layer's", tuple(np.asarray(image).shape[:2]): "the picture's"}
    if a.shape not in sizes:
        return failed(f"a map of shape {a.shape}: expected {' or '.join(map(str, sizes))} "
                      f"({layer} is {small.shape[0]}x{small.shape[1]}, the picture {np.asarray(image).shape[:2]})")
    if not np.all(np.isfinite(a)):
        return failed("the map has NaN or inf values: divide by (max + a small epsilon)")
    if a.max() <= 0:
        return failed("an all-zero (or all-negative) map shows no evidence at all: multiply the feature maps "
                      "by the channel weights and sum over channels")
    if a.min() < -1e-6:
        return failed("the map has negative values: keep only the evidence FOR the class with a ReLU")
    ref = small if a.shape == small.shape else gradcam(model, image, class_index, layer)
    mine = a / a.max()
    error = float(np.abs(mine - ref).max())
    if error <= MAP_TOLERANCE:
        return passed(f"your map matches Grad-CAM at {sizes[a.shape]} resolution (largest difference {error:.3f})")
    if other_class is not None:
        other = reference_gradcam(model, image, other_class, layer)
        if a.shape == other.shape and np.abs(mine - other).max() <= MAP_TOLERANCE:
            return failed(f"this is the map of class {other_class}: use class {class_index}")
    return failed(f"your map differs from Grad-CAM by up to {error:.2f} (allowed {MAP_TOLERANCE}): check the "
                  f"class ({class_index}), the layer ({layer}) and that the weights are mean gradients")


def saliency_rho(model, image, class_index: int) -> tuple[float, str]:
    """Spearman rho of gradient saliency before / after randomising the top group, and that group's name."""
    *_, (name, randomised) = cascading_randomization(model, steps=1)
    return spearman(gradient_saliency(model, image, class_index),
                    gradient_saliency(randomised, image, class_index)), name


def rho_saliency(model, image, class_index: int, answer, *, truth: tuple[float, str] | None = None) -> Result:
    """Exercise 4: the Spearman correlation of gradient saliency before and after randomising the top
    group (computed only once the learner answers; ``truth`` = :func:`saliency_rho`'s result, if known)."""
    if answer is None:
        return unanswered("compare helpers.gradient_saliency on the model and on the randomised copy")
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
        return unanswered(f"find a layer with a {size}x{size} output: helpers.layer_names(model, with_shapes=True)")
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
