"""``ascend``: gradient ascent of an objective over a parametrised image (lucent's ``render_vis``).

One composition -- (objective structure, parametrisation, transforms, step rule) on one model --
is compiled once into a ``tf.function`` whose whole loop runs in the graph, and cached in the
model's ``"filters"`` store (:mod:`helpers._cache`). The numbers that vary from call to call (the
objective's channel indices and weights, the start parameters, the step size, the number of
steps, the seed) are tensors, so the next filter, seed or step count never retraces. Only the
network up to the deepest layer the objective reads is run.

Example:
    >>> from helpers.filters import channel, fourier, jitter, adam
    >>> model = load_model()
    >>> a = ascend(model, channel("block3b_expand_conv", 5), fourier(64), jitter(2), adam(0.05), steps=10)
    >>> a.image.shape, bool(a.final > a.start)
    ((64, 64, 3), True)
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from .._cache import store
from ..features import LOGITS, feature_model
from ..validation import check_int, check_model, check_type
from .checks import check_channel, check_steps
from .objectives import Objective
from .param import Param
from .steps import StepRule, adam
from .transforms import Transform, compose

__all__ = ["COMPILED_PER_MODEL", "LUMA", "Ascent", "ascend", "compiled_ascent"]

COMPILED_PER_MODEL = 64   # compiled ascents kept per model (each holds a graph of the truncated network)


@dataclass
class Ascent:
    """What one :func:`ascend` call found.

    Attributes:
        image: float32 (size, size, 3), the optimised image in raw pixels (untransformed).
        start, final: the objective on the start image and on the optimised image.
        first_grad_norm, last_grad_norm: L2 norm of the gradient at the first and last step.
        steps: the number of steps taken.
    """

    image: np.ndarray
    start: float
    final: float
    first_grad_norm: float
    last_grad_norm: float
    steps: int

    @property
    def stuck(self) -> bool:
        """The gradient was exactly zero from the start: nothing could move the image."""
        return self.steps > 0 and self.first_grad_norm == 0.0

    @property
    def saturated(self) -> bool:
        """The gradient vanished before the last step (e.g. a ReLU6 clipped at 6)."""
        return self.steps > 0 and not self.stuck and self.last_grad_norm == 0.0


LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as helpers.load_image reads RGB for a grey model


def _luma(image):
    return tf.reduce_sum(image * tf.constant(LUMA, tf.float32), axis=-1, keepdims=True)


class _Compiled:
    """The compiled loop of one composition; holds the parameter variable and the stepper, so
    calls are serialised by a lock (the explorer and a classroom server may call from threads)."""

    def __init__(self, model, objective: Objective, param: Param, transform: Transform | None, step: StepRule):
        names = [n for n in objective.layers if n != LOGITS]
        grey = check_model(model)[-1] == 1  # a grayscale model sees the luma of the RGB image
        fm = feature_model(model, names, with_logits=LOGITS in objective.layers,
                           input_shape=(param.size, param.size, 1 if grey else 3))
        see = _luma if grey else tf.identity
        self.variable = tf.Variable(param.init, dtype=tf.float32, trainable=True, name="ascent_params")
        self.stepper = step.build(self.variable)
        self.lock = threading.Lock()
        value, to_image = objective.fn, param.to_image
        warp = transform.fn if transform is not None else None
        var, stepper = self.variable, self.stepper

        def run(init, args, rate, steps, seed):
            var.assign(init)
            stepper.reset(rate)
            start = value(fm(see(to_image(var)), training=False), args) if warp else tf.constant(0.0)
            first, last = tf.constant(0.0), tf.constant(0.0)
            for i in tf.range(steps):
                with tf.GradientTape() as tape:
                    image = to_image(var)
                    if warp is not None:
                        image = warp(image, tf.stack([seed, i]))
                    loss = value(fm(see(image), training=False), args)
                grad = tape.gradient(loss, var)
                norm = tf.norm(grad)
                first = tf.where(i == 0, norm, first)
                last = norm
                if warp is None:   # the first loss was on the untransformed start image: reuse it
                    start = tf.where(i == 0, loss, start)
                stepper.apply(grad)
            image = to_image(var)
            final = value(fm(see(image), training=False), args)
            if grey:  # show what the model saw
                image = tf.repeat(see(image), 3, axis=-1)
            if warp is None:
                start = tf.where(steps > 0, start, final)
            return image[0], start, final, first, last

        signature = [tf.TensorSpec(param.init.shape, tf.float32), tf.TensorSpec((len(objective.args),), tf.float32),
                     tf.TensorSpec((), tf.float32), tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.int32)]
        # a partial per composition: TensorFlow then counts each one's traces on its own (no
        # spurious "retracing" warning when several layers are each compiled once)
        self.function = tf.function(functools.partial(run), input_signature=signature)

    def __call__(self, init, args, rate, steps, seed):
        with self.lock:
            return self.function(tf.constant(init, tf.float32), tf.constant(args, tf.float32, (len(args),)),
                                 tf.constant(rate, tf.float32), tf.constant(steps, tf.int32),
                                 tf.constant(seed, tf.int32))


def _as_transform(transforms) -> Transform | None:
    if transforms is None or (isinstance(transforms, (list, tuple)) and not transforms):
        return None
    if isinstance(transforms, Transform):
        return None if transforms.key == ("compose",) else transforms
    return compose(*transforms)


def compiled_ascent(model: keras.Model, objective: Objective, param: Param, transforms=None,
                    step: StepRule | None = None) -> _Compiled:
    """The cached compiled loop of a composition (built on first use)."""
    transform = _as_transform(transforms)
    step = adam() if step is None else step
    key = (objective.key, param.key, transform.key if transform else None, step.key)
    return store(model, "filters", max_items=COMPILED_PER_MODEL).get_or_make(
        key, lambda: _Compiled(model, objective, param, transform, step))


def ascend(model: keras.Model, objective: Objective, param: Param, transforms=None, step: StepRule | None = None,
           steps: int = 30, seed: int = 0) -> Ascent:
    """Maximise ``objective`` over the image ``param`` describes, by ``steps`` gradient steps.

    Args:
        model: a model taking raw 0..255 RGB pixels (any from :func:`helpers.load_model`).
        objective: an :class:`~helpers.filters.objectives.Objective` (``channel``, ``neuron``, ``layer``,
            ``class_logit``, or a combination of them).
        param: a :class:`~helpers.filters.param.Param` (``pixels(size, seed)``, ``fourier(size, seed)``).
        transforms: a :class:`~helpers.filters.transforms.Transform`, a list of them (composed in
            order), or None; applied to the image before each step, never to the result.
        step: a :class:`~helpers.filters.steps.StepRule` (default ``adam(0.05)``).
        steps: number of steps (0 evaluates the start image).
        seed: seed of the transforms' random draws (the start is ``param``'s own seed).

    Returns an :class:`Ascent`. Raises IndexError for a channel outside its layer, KeyError for an
    unknown layer, ValueError for a layer without feature maps, TypeError for a wrong part.
    """
    check_type("objective", objective, Objective, "a helpers.filters Objective (e.g. channel(layer, 3))")
    check_type("param", param, Param, "a helpers.filters Param (pixels(size) or fourier(size))")
    if step is not None:
        check_type("step", step, StepRule, "a step rule (helpers.filters.adam() or normalized())")
    check_model(model)
    steps, seed = check_steps(steps), check_int("seed", seed, 0)
    for layer_name, index in objective.channels:
        check_channel(model, layer_name, index)
    run = compiled_ascent(model, objective, param, transforms, step)
    rate = (adam() if step is None else step).rate
    image, start, final, first, last = run(param.init, objective.args, rate, steps, seed)
    return Ascent(image.numpy(), float(start), float(final), float(first), float(last), steps)
