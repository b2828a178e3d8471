"""Transformation robustness: random small changes applied to the image before every step.

A pattern that survives being shifted by a few pixels, scaled by +-10 % and rotated by a few
degrees is one the filter really responds to, not a pixel-exact adversarial texture
(Olah et al., "Feature Visualization", Distill 2017; lucent ``transform``). Each
:class:`Transform` maps ``(image (1, h, w, 3), seed (2,) int32)`` to an image of the same size;
its randomness is drawn with TensorFlow's *stateless* random ops from that seed, so a run is
reproducible and the compiled ascent never retraces. Edges are filled by reflection.

Example:
    >>> t = compose(jitter(2), rotate([90]))
    >>> image = np.random.default_rng(0).random((1, 8, 8, 3)).astype(np.float32)
    >>> tuple(t(image, [0, 1]).shape)
    (1, 8, 8, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from ..validation import check_int, check_number, check_positive, check_type

__all__ = ["Transform", "affine_transform", "compose", "jitter", "rotate", "scale", "standard", "step_seed", "warp"]


@dataclass(frozen=True, eq=False)
class Transform:
    """A random image transformation: ``key`` (its structure) and ``fn(image, seed) -> image``."""

    key: tuple
    fn: Callable
    description: str = ""

    def __call__(self, image, seed):
        return self.fn(tf.convert_to_tensor(image, tf.float32), tf.convert_to_tensor(seed, tf.int32))

    def __repr__(self):
        return f"Transform({self.description})"


def affine_transform(scale, angle, tx, ty, size):
    """The 8 numbers ``ImageProjectiveTransformV3`` needs to scale by ``scale`` and rotate by
    ``angle`` (radians) about the image centre, then shift by (``tx``, ``ty``) pixels.

    They map each *output* pixel (x, y) to the input pixel it samples:
    ``input = c + R(-angle) (output - c) / scale - (tx, ty)`` with ``c`` the centre.

    Example:
        >>> affine_transform(1.0, 0.0, 3.0, -2.0, 9).numpy()[[0, 2, 4, 5]].tolist()   # a0, a2, b1, b2
        [1.0, -3.0, 1.0, 2.0]
    """
    c = (tf.cast(size, tf.float32) - 1.0) / 2.0
    return _matrix(scale, angle, tx, ty, c, c)


def _matrix(scale, angle, tx, ty, cx, cy):
    scale, angle, tx, ty = (tf.cast(v, tf.float32) for v in (scale, angle, tx, ty))
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a0, a1, b0, b1 = cos, sin, -sin, cos
    a2 = cx - a0 * cx - a1 * cy - tx
    b2 = cy - b0 * cx - b1 * cy - ty
    zero = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zero, zero])


def warp(image, scale=1.0, angle=0.0, tx=0.0, ty=0.0, interpolation: str = "BILINEAR"):
    """Scale / rotate (radians) about the centre, then shift by (``tx``, ``ty``) pixels (right,
    down), a (1, h, w, 3) image; edges reflected. Integer shifts alone move pixels exactly.

    Example:
        >>> image = np.zeros((1, 7, 7, 1), np.float32); image[0, 3, 3] = 1
        >>> np.argwhere(warp(image, tx=2, ty=1).numpy()[0, ..., 0] == 1).tolist()   # (y, x)
        [[4, 5]]
    """
    image = tf.convert_to_tensor(image, tf.float32)
    h, w = tf.shape(image)[1], tf.shape(image)[2]
    m = _matrix(scale, angle, tx, ty, (tf.cast(w, tf.float32) - 1) / 2, (tf.cast(h, tf.float32) - 1) / 2)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=image, transforms=m[None], output_shape=tf.stack([h, w]), fill_value=tf.constant(0.0),
        interpolation=interpolation, fill_mode="REFLECT")


def _choice(values, seed):
    """One of ``values`` (a constant list), uniformly, from a stateless seed."""
    values = tf.constant(np.asarray(values, np.float32))
    i = tf.random.stateless_uniform((), seed, 0, int(values.shape[0]), dtype=tf.int32)
    return values[i]


def jitter(pixels: int) -> Transform:
    """Shift the image by a random whole number of pixels, -``pixels`` .. ``pixels`` in x and y
    (each drawn on its own); content moves exactly, edges are reflected.

    Example:
        >>> jitter(4)
        Transform(jitter(4))
    """
    d = check_int("jitter's shift in pixels", pixels, 0)

    def fn(image, seed):
        shift = tf.random.stateless_uniform((2,), seed, -d, d + 1, dtype=tf.int32)
        return warp(image, tx=tf.cast(shift[0], tf.float32), ty=tf.cast(shift[1], tf.float32), interpolation="NEAREST")
    return Transform(("jitter", d), fn, f"jitter({d})")


def scale(factors) -> Transform:
    """Scale the image about its centre by one of ``factors`` (chosen at random; bilinear).

    Example:
        >>> scale([0.9, 1.0, 1.1])
        Transform(scale(0.9..1.1))
    """
    factors = tuple(check_positive("a scale factor", f) for f in np.ravel(factors))
    if not factors:
        raise ValueError("scale takes a list of positive factors, e.g. [0.9, 1.0, 1.1]; got none")
    return Transform(("scale", factors), lambda image, seed: warp(image, scale=_choice(factors, seed)),
                     f"scale({min(factors):g}..{max(factors):g})")


def rotate(degrees) -> Transform:
    """Rotate the image about its centre by one of ``degrees`` (chosen at random; bilinear;
    positive = clockwise on screen).

    Example:
        >>> rotate(range(-10, 11))
        Transform(rotate(-10..10 degrees))
    """
    degrees = tuple(check_number("a rotation angle in degrees", d) for d in np.ravel(list(degrees)))
    if not degrees:
        raise ValueError("rotate takes a list of angles in degrees, e.g. range(-10, 11); got none")
    return Transform(("rotate", degrees),
                     lambda image, seed: warp(image, angle=_choice(np.deg2rad(degrees), seed)),
                     f"rotate({min(degrees):g}..{max(degrees):g} degrees)")


def step_seed(seed, k: int):
    """The seed the ``k``-th transform of a :func:`compose` gets from the seed of the whole."""
    return tf.random.experimental.stateless_fold_in(tf.convert_to_tensor(seed, tf.int32), k)


def compose(*transforms) -> Transform:
    """Apply ``transforms`` in order (the first one first), the ``k``-th with seed
    ``step_seed(seed, k)``. ``compose()`` is the identity.

    Example:
        >>> compose(jitter(8), scale([0.9, 1.1]), rotate([-5, 5]), jitter(4))
        Transform(jitter(8), scale(0.9..1.1), rotate(-5..5 degrees), jitter(4))
    """
    flat = []
    for t in transforms:
        for part in (t if isinstance(t, (list, tuple)) else [t]):
            flat.append(check_type("each of compose's transforms", part, Transform,
                                   "a Transform (jitter, scale, rotate, ...)"))
    flat = tuple(flat)

    def fn(image, seed):
        for k, t in enumerate(flat):
            image = t.fn(image, step_seed(seed, k))
        return image
    return Transform(("compose",) + tuple(t.key for t in flat), fn, ", ".join(t.description for t in flat))


def standard(size: int) -> Transform:
    """Lucid's standard transforms (jitter 8, scale 0.9..1.1, rotate -10..10 degrees, jitter 4,
    at 224 px), with the jitters scaled to ``size``.

    Example:
        >>> standard(128)
        Transform(jitter(5), scale(0.9..1.1), rotate(-10..10 degrees), jitter(2))
    """
    k = size / 224.0
    return compose(jitter(max(1, round(8 * k))), scale([1 + (i - 5) / 50 for i in range(11)]),
                   rotate(range(-10, 11)), jitter(max(1, round(4 * k))))
