"""Input-gradient maps: how much each *pixel* moves the class score.

All four are a few lines over one shared, compiled gradient function (:func:`input_grad_fn`,
built once per model and kind in the model's cache):

* :func:`gradient_saliency` -- ``max_rgb |d score / d pixel|`` (Simonyan et al., 2014);
* :func:`guided_backprop` -- the same through a re-traced network whose rectifiers only pass
  positive gradients back (Springenberg et al., 2015);
* :func:`smoothgrad` -- the gradient averaged over noisy copies of the image (Smilkov et al., 2017);
* :func:`integrated_gradients` -- (image - baseline) x the gradient averaged along the straight
  path from the baseline to the image (Sundararajan et al., 2017); its attributions add up to
  ``score(image) - score(baseline)``.

Example:
    >>> gradient_saliency(model, image, 282).shape
    (224, 224)
"""

from __future__ import annotations

import functools
import weakref

import cv2
import keras
import numpy as np
import tensorflow as tf

from ..features import trace_model
from ..layers import layer_kind
from ..heads import class_logits
from ..models import check_classifier, forward_fn
from ..validation import MAX_STEPS, check_count, check_int, check_number, model_input_shape
from .inputs import class_indices, contract_errors, prepare_input
from .maths import pixel_map
from .store import cam_store

__all__ = ["BATCH", "GuidedGate", "attributions", "gradient_saliency", "guided_backprop", "input_grad_fn",
           "input_gradients", "integrated_gradients", "smoothgrad"]

BATCH = 16  # images per compiled gradient call


@tf.custom_gradient
def _guided_gate(x):
    def grad(dy):
        return tf.nn.relu(dy)  # guided backprop: only positive gradients flow back
    return tf.identity(x), grad


class GuidedGate(keras.layers.Layer):
    """Identity forward; on the way back it keeps only positive gradients. Placed after every
    rectifier, the ReLU's own derivative (x > 0) then completes the guided-backprop rule."""

    def call(self, x):
        return _guided_gate(x)


def _is_rectifier(layer) -> bool:
    if layer_kind(layer) == "activation":
        return True
    act = getattr(layer, "activation", None)
    return act is not None and act is not keras.activations.linear and getattr(act, "__name__", "") != "linear"


def _gate_rectifiers(layer, out):
    return GuidedGate()(out) if _is_rectifier(layer) else out


def _score_grads(net, binary, x, idx):
    scores = class_logits(net()(x, training=False), binary)
    idx = tf.where(idx < 0, tf.argmax(scores, axis=-1, output_type=tf.int32), idx)
    return tf.gradients(tf.gather(scores, idx, batch_dims=1), x)[0]


def input_grad_fn(model: keras.Model, guided: bool = False):
    """The compiled ``fn(x (n, H, W, 3) float32, idx (n,) int32) -> d score / d x`` for ``model``
    (``guided``: through the guided-backprop network). Built once per (model, guided)."""
    check_classifier(model)  # a model name: TypeError; a regression / softmax head: ValueError

    def make():
        binary = check_classifier(model).binary
        shape = tuple(model_input_shape(model)[1:])
        if guided:
            inputs = keras.Input(shape, name="pixels")
            guided_net = keras.Model(inputs, trace_model(model, inputs, after=_gate_rectifiers),
                                     name=f"{model.name}_guided")
            net = lambda: guided_net  # noqa: E731
        else:
            net = weakref.ref(model)  # the cache must not keep the model alive
        return tf.function(functools.partial(_score_grads, net, binary), autograph=False, input_signature=[
            tf.TensorSpec((None, *shape), tf.float32), tf.TensorSpec((None,), tf.int32)])

    return cam_store(model).get_or_make(("input_grads", bool(guided)), make)


def _grads(model, x: np.ndarray, idx: np.ndarray, guided: bool = False) -> np.ndarray:
    fn = input_grad_fn(model, guided)
    with contract_errors(f"input gradients of model {model.name!r} on input {x.shape}"):
        out = [np.asarray(fn(tf.constant(x[i:i + BATCH]), tf.constant(idx[i:i + BATCH])))
               for i in range(0, len(x), BATCH)]
    return np.concatenate(out, axis=0)


def _top_classes(model, x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``idx`` with -1 replaced by each image's top class (one forward pass, only if needed)."""
    if (idx >= 0).all():
        return idx
    with contract_errors(f"running model {model.name!r} on input {x.shape}"):
        top = np.argmax(np.asarray(class_logits(forward_fn(model)(tf.constant(x)), check_classifier(model).binary)), -1)
    return np.where(idx < 0, top, idx).astype(np.int32)


def input_gradients(model, image, class_index=None, *, guided=False) -> np.ndarray:
    """d(class score)/d(pixels) as float32 (H, W, 3) at the model's input size, or (N, H, W, 3)
    for a batch (``guided=True``: guided backprop).

    Example:
        >>> input_gradients(model, image, 282).shape
        (224, 224, 3)
    """
    check_classifier(model)
    x, single, _ = prepare_input(model, image)
    g = _grads(model, x, class_indices(model, class_index, len(x)), guided)
    return g[0] if single else g


def _per_image(model, image, class_index, grads_of, reduce="max") -> np.ndarray:
    """Run ``grads_of(x1 (H, W, 3), class) -> (H, W, 3)`` per image; maps in [0, 1] at its size."""
    check_classifier(model)  # before the image: a model name is a TypeError that says what to pass
    x, single, hw = prepare_input(model, image)
    idx = _top_classes(model, x, class_indices(model, class_index, len(x)))
    maps = []
    for xi, c in zip(x, idx):
        m = pixel_map(grads_of(xi, int(c)), reduce).astype(np.float32)
        with contract_errors(f"resizing a {m.shape} map to {hw}"):
            maps.append(m if m.shape == hw else np.clip(cv2.resize(m, hw[::-1], interpolation=cv2.INTER_LINEAR), 0, 1))
    return maps[0] if single else np.stack(maps)


def gradient_saliency(model, image, class_index=None) -> np.ndarray:
    """Plain gradient saliency (Simonyan et al., 2014): ``max_rgb |d score / d pixel|``, scaled
    to [0, 1], float32 (H, W) at the image's size.

    Example:
        >>> gradient_saliency(model, image, 282).shape
        (224, 224)
    """
    return _per_image(model, image, class_index, lambda x, c: _grads(model, x[None], np.int32([c]))[0])


def guided_backprop(model, image, class_index=None) -> np.ndarray:
    """Guided backpropagation (Springenberg et al., 2015) as a [0, 1] float32 (H, W) map
    (``max_rgb |guided gradient|``): sharp edges, but -- as the sanity check shows -- barely
    dependent on the top layers' weights (Adebayo et al., 2018).

    Example:
        >>> guided_backprop(model, image, 282).shape
        (224, 224)
    """
    return _per_image(model, image, class_index, lambda x, c: _grads(model, x[None], np.int32([c]), guided=True)[0])


def smoothgrad(model, image, class_index=None, *, samples: int = 25, noise: float = 0.15, seed: int = 0) -> np.ndarray:
    """SmoothGrad (Smilkov et al., 2017): the saliency of the gradient averaged over ``samples``
    copies of the image with Gaussian noise of standard deviation ``noise`` x (max - min pixel).
    ``noise=0`` gives :func:`gradient_saliency`. Seeded: the same call gives the same map.

    Example:
        >>> smoothgrad(model, image, 282, samples=8).shape
        (224, 224)
    """
    samples = check_count("samples", samples, MAX_STEPS)
    noise = check_number("noise", noise, 0.0, 10.0)
    rng = np.random.default_rng(None if seed is None else check_int("seed", seed, 0))

    def mean_grad(x, c):
        sigma = noise * float(x.max() - x.min())
        total = np.zeros(x.shape, np.float64)
        for start in range(0, samples, BATCH):  # noise drawn per batch: memory stays bounded
            n = min(BATCH, samples - start)
            noisy = x[None] + rng.normal(0.0, 1.0, (n, *x.shape)).astype(np.float32) * sigma
            total += _grads(model, noisy, np.full(n, c, np.int32)).sum(axis=0)
        return (total / samples).astype(np.float32)

    return _per_image(model, image, class_index, mean_grad)


def attributions(model, image, class_index=None, *, baseline=None, steps: int = 32) -> np.ndarray:
    """Integrated-gradients attributions (Sundararajan et al., 2017), float32 (H, W, 3) at the
    model's input size: ``(x - baseline) * mean_k grad(baseline + a_k (x - baseline))`` with
    ``steps`` midpoints ``a_k``. They add up to ``score(x) - score(baseline)`` (more steps:
    closer; on EfficientNet-Lite0, whose ReLU6 kinks the path, 48 steps from black still missed
    the sum by 14 %: use a few hundred for a tight sum). ``baseline``: an image like ``image``
    or a number; default 0 (black).

    Example:
        >>> attributions(model, image, 282, steps=8).shape
        (224, 224, 3)
    """
    steps = check_count("steps", steps, MAX_STEPS)
    check_classifier(model)
    x, single, _ = prepare_input(model, image)
    if not single:
        raise ValueError("attributions() takes one image (H, W, 3), not a batch")
    c = int(_top_classes(model, x, class_indices(model, class_index, 1))[0])
    return _integrate(model, x[0], c, _baseline(model, baseline, x[0]), int(steps))


def _integrate(model, x, c, base, steps):
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    total = np.zeros(x.shape, np.float64)
    for start in range(0, steps, BATCH):  # the path built per batch: memory stays bounded
        a = alphas[start:start + BATCH]
        path = base[None] + a[:, None, None, None] * (x - base)[None]
        total += _grads(model, path, np.full(len(a), c, np.int32)).sum(axis=0)
    return ((x - base) * (total / steps)).astype(np.float32)


def integrated_gradients(model, image, class_index=None, *, baseline=None, steps: int = 32) -> np.ndarray:
    """Integrated gradients as a [0, 1] float32 (H, W) map at the image's size: per pixel the
    absolute attributions (:func:`attributions`) summed over the colour channels.

    Example:
        >>> integrated_gradients(model, image, 282, steps=8).shape
        (224, 224)
    """
    steps = check_count("steps", steps, MAX_STEPS)
    return _per_image(model, image, class_index,
                      lambda x, c: _integrate(model, x, c, _baseline(model, baseline, x), int(steps)), reduce="sum")


def _baseline(model, baseline, x: np.ndarray) -> np.ndarray:
    if baseline is None:
        return np.zeros_like(x)
    if np.ndim(baseline) == 0:
        return np.full_like(x, check_number("baseline", baseline, 0.0, 255.0))
    b, _ = prepare_input(model, baseline)[:2]
    if len(b) != 1:
        raise ValueError(f"the baseline is one image (H, W, 3) or a number, got shape {np.shape(baseline)}")
    return b[0]
