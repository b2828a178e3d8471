"""Objectives: the number gradient ascent maximises, read from the network's activations.

The idea is lucent's ``objectives`` (and Lucid's before it): an objective is a small object that
maps the activations of some layers to one number, and objectives combine with ``+``, ``-`` and
``*`` / ``/`` by a number, e.g. ``0.5 * channel(L, 3) + 0.5 * channel(L, 7)``.

In our TensorFlow idiom an :class:`Objective` has two halves: its *structure* (``key``: which
layers, which kind of term, how they are combined) and its *numbers* (``args``: channel indices,
weights). :func:`helpers.filters.ascend` compiles one ``tf.function`` per structure and passes the
numbers as a tensor, so the next channel, or other weights, reuse the compiled graph.

Example:
    >>> mix = 0.5 * channel("block4b_expand_conv", 3) + 0.5 * channel("block4b_expand_conv", 7)
    >>> mix.args, mix.layers
    ((0.5, 3.0, 0.5, 7.0), ('block4b_expand_conv',))
    >>> acts = {"block4b_expand_conv": np.ones((1, 8, 8, 480), np.float32) * np.arange(480)}
    >>> float(mix(acts))
    5.0
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable

import tensorflow as tf

from ..features import LOGITS  # the key of the logits in an activations dict (see :func:`class_logit`)
from ..validation import check_index, check_int, check_number, check_type, layer_name

__all__ = ["BORDER", "MIN_KEPT", "Objective", "border_crop", "channel", "class_logit", "filter_objective", "layer",
           "neuron"]

BORDER = 2           # keras.io / DLwP: loss on activation[:, 2:-2, 2:-2, f] (border artefacts)
MIN_KEPT = 4         # ... but keep at least a 4x4 centre (a 4x4 map cropped by 2 is empty: NaN)


def border_crop(height: int, width: int, border: int = BORDER, min_kept: int = MIN_KEPT) -> int:
    """How many border pixels to drop from an ``height x width`` map before averaging.

    The textbook drops 2; on a small map that would leave nothing (a 4x4 map cropped by 2 is
    empty and its mean is NaN), so the crop shrinks until at least ``min_kept`` pixels remain
    on each side.

    Example:
        >>> border_crop(8, 8), border_crop(6, 6), border_crop(4, 4)
        (2, 1, 0)
    """
    b = int(border)
    while b > 0 and min(height, width) - 2 * b < min_kept:
        b -= 1
    return b


def filter_objective(activations, filter_index, border: int = 0):
    """Mean activation of channel ``filter_index`` over ``activations[:, b:-b, b:-b, :]``.

    Works on tensors and numpy arrays; ``filter_index`` may be a tensor (no retracing).

    Example:
        >>> float(filter_objective(np.ones((1, 6, 6, 2)) * [1.0, 3.0], 1, border=1))
        3.0
    """
    a = tf.convert_to_tensor(activations)
    if border:
        a = a[:, border:-border, border:-border, :]
    return tf.reduce_mean(tf.gather(a, filter_index, axis=-1))


@dataclass(frozen=True, eq=False)
class Objective:
    """A differentiable number of the activations of ``layers``, to be maximised.

    ``fn(acts, args)`` computes it from a dict ``{layer name: tensor}`` and a 1-D float tensor of
    numbers; ``key`` identifies the structure (equal keys, same ``fn``), ``args`` are the numbers;
    ``channels`` lists ``(layer, channel index)`` pairs to check against the model before running.
    Call it on a dict of activations to evaluate it.
    """

    key: tuple
    args: tuple
    fn: Callable
    layers: tuple
    channels: tuple = ()
    description: str = ""

    def __call__(self, acts, args=None):
        numbers_ = tf.constant(self.args if args is None else args, tf.float32, shape=(len(self.args),))
        return self.fn({k: tf.convert_to_tensor(v, tf.float32) for k, v in acts.items()}, numbers_)

    def __repr__(self):
        return f"Objective({self.description})"

    def __add__(self, other):
        if isinstance(other, numbers.Number) and other == 0:   # so that sum([...]) works
            return self
        other = _require_objective(other, "+")
        n = len(self.args)
        a, b = self.fn, other.fn
        return Objective(("+", self.key, other.key), self.args + other.args,
                         lambda acts, args: a(acts, args[:n]) + b(acts, args[n:]),
                         _union(self.layers, other.layers), self.channels + other.channels,
                         f"{self.description} + {other.description}")

    __radd__ = __add__

    def __mul__(self, factor):
        factor = check_number("an objective's factor (objectives multiply by a number only)", factor)
        f = self.fn
        return Objective(("*", self.key), (factor,) + self.args,
                         lambda acts, args: args[0] * f(acts, args[1:]),
                         self.layers, self.channels, f"{factor:g} * ({self.description})")

    __rmul__ = __mul__

    def __truediv__(self, divisor):
        divisor = check_number("an objective's divisor (objectives divide by a number only)", divisor)
        if divisor == 0:
            raise ValueError("an objective cannot be divided by zero")
        return self * (1.0 / divisor)

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_require_objective(other, "-"))

    def __rsub__(self, other):
        return _require_objective(other, "-") + (-self)


def _require_objective(value, op):
    return check_type(f"the other side of {op!r}", value, Objective,
                      f"an objective: objectives combine with objectives under {op!r} (numbers only multiply)")


def _union(a: tuple, b: tuple) -> tuple:
    return tuple(dict.fromkeys(a + b))


def channel(layer, n: int, *, border: int = 0) -> Objective:
    """Mean of channel ``n`` of ``layer``'s feature map: the whole map, or with ``border`` > 0 that
    many pixels cropped first (the textbook's 2; shrunk by :func:`border_crop` on small maps).

    Example:
        >>> acts = {"conv": np.arange(36, dtype=np.float32).reshape(1, 6, 6, 1) * [1.0, 2.0]}
        >>> float(channel("conv", 1)(acts)), float(channel("conv", 0, border=1)(acts))
        (35.0, 17.5)
    """
    name, n, border = layer_name(layer), check_index("channel", n), check_int("border", border, 0)

    def fn(acts, args):
        a = acts[name]
        b = border_crop(int(a.shape[1]), int(a.shape[2]), border) if border else 0
        return filter_objective(a, tf.cast(args[0], tf.int32), b)

    label = f"channel({name!r}, {n}" + (f", border={border})" if border else ")")
    return Objective(("channel", name, border), (float(n),), fn, (name,), ((name, n),), label)


def neuron(layer, n: int, x: int | None = None, y: int | None = None) -> Objective:
    """Channel ``n`` of ``layer`` at one position ``(y, x)`` of its map (default: the centre).

    Example:
        >>> acts = {"conv": np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)}
        >>> float(neuron("conv", 0)(acts)), float(neuron("conv", 0, x=1, y=0)(acts))
        (10.0, 1.0)
    """
    name, n = layer_name(layer), check_index("channel", n)
    x = -1 if x is None else check_index("x", x)
    y = -1 if y is None else check_index("y", y)

    def fn(acts, args):
        a = acts[name]
        h, w = tf.shape(a)[1], tf.shape(a)[2]
        yy = tf.cast(args[2], tf.int32)
        xx = tf.cast(args[1], tf.int32)
        yy = tf.where(yy < 0, h // 2, tf.minimum(yy, h - 1))
        xx = tf.where(xx < 0, w // 2, tf.minimum(xx, w - 1))
        return tf.reduce_mean(a[:, yy, xx, tf.cast(args[0], tf.int32)])

    where = "centre" if x < 0 and y < 0 else f"x={x}, y={y}"
    return Objective(("neuron", name), (float(n), float(x), float(y)), fn, (name,), ((name, n),),
                     f"neuron({name!r}, {n}, {where})")


def layer(name) -> Objective:
    """Mean of the squared activations of a whole layer (DeepDream's objective: make every
    channel that is already active there more so).

    Example:
        >>> float(layer("conv")({"conv": np.full((1, 2, 2, 3), 2.0, np.float32)}))
        4.0
    """
    name = layer_name(name)
    return Objective(("layer", name), (), lambda acts, args: tf.reduce_mean(tf.square(acts[name])),
                     (name,), (), f"layer({name!r})")


def class_logit(index: int) -> Objective:
    """The model's pre-softmax score (logit) of class ``index`` (activations key :data:`LOGITS`).

    Example:
        >>> float(class_logit(2)({LOGITS: np.array([[0.0, 1.0, 5.0]], np.float32)}))
        5.0
    """
    index = check_index("class index", index)
    return Objective(("class_logit",), (float(index),),
                     lambda acts, args: tf.reduce_mean(tf.gather(acts[LOGITS], tf.cast(args[0], tf.int32), axis=-1)),
                     (LOGITS,), ((LOGITS, index),), f"class_logit({index})")
