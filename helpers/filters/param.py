"""Parametrisations: what the ascent actually changes, and how that becomes an image.

* :func:`pixels` -- the pixels themselves (the textbook). Steps follow the gradient of every
  pixel on its own, which favours high-frequency patterns no photo contains.
* :func:`fourier` -- the image's 2-D spectrum, scaled by 1/frequency, in a *decorrelated colour*
  space, squashed into 0..255 by a sigmoid (Olah, Mordvintsev & Schubert, "Feature Visualization",
  Distill 2017; Lucid / lucent ``param.image(fft=True, decorrelate=True)``). Low frequencies are as
  easy to change as high ones, and colours move along ImageNet's principal colour axes.

A :class:`Param` carries the starting parameters (``init``, numpy) and ``to_image`` (TensorFlow:
parameters -> a ``(1, size, size, 3)`` image in raw pixels 0..255, what our models take).

Example:
    >>> p = fourier(32, seed=0)
    >>> p.init.shape, tuple(p.to_image(p.init).shape)
    ((2, 3, 32, 17), (1, 32, 32, 3))
    >>> bool(np.allclose(p.to_image(p.encode(np.full((32, 32, 3), 200.0))), 200.0, atol=1e-2))
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from ..validation import MAX_SIDE, check_bool, check_count, check_int, check_number

__all__ = ["COLOR_CORRELATION", "COLOR_CORRELATION_SVD_SQRT", "FOURIER_SD", "PIXEL_SCALE", "START_SPREAD", "Param",
           "decorrelated_to_rgb", "fft_frequencies", "fourier", "fourier_scale", "image_to_params", "params_to_image",
           "pixels", "start_image"]

# Our models take raw RGB pixels 0..255 (their preprocessing is their first layer). The textbook
# works in the preprocessed [-1, 1] space of Xception / ResNet50V2, where one unit = 127.5 raw pixels.
PIXEL_SCALE = 127.5
START_SPREAD = 0.125         # keras.io: img = (uniform - 0.5) * 0.25 -> gray +-0.125 in [-1, 1]
FOURIER_SD = 0.01            # Lucid / lucent: initial spectrum ~ N(0, 0.01)

# Lucid's colour decorrelation: square root of the ImageNet colour covariance (from its SVD),
# normalised so the largest column has unit norm (lucid/optvis/param/color.py).
COLOR_CORRELATION_SVD_SQRT = np.array([[0.26, 0.09, 0.02],
                                       [0.27, 0.00, -0.05],
                                       [0.27, -0.09, 0.03]], np.float32)
COLOR_CORRELATION = COLOR_CORRELATION_SVD_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0))


@dataclass(frozen=True, eq=False)
class Param:
    """A parametrisation of a ``size x size`` image: ``key`` (its structure, for compiling once),
    ``init`` (float32 starting parameters), ``to_image`` (tf: parameters -> (1, size, size, 3) raw
    pixels) and ``encode`` (numpy image (size, size, 3) -> parameters, its inverse)."""

    key: tuple
    size: int
    init: np.ndarray
    to_image: Callable
    encode: Callable


def start_image(size: int, seed: int = 0) -> np.ndarray:
    """The classic starting point: near-gray uniform noise, in raw pixels (float32, size x size x 3).

    keras.io starts from ``(uniform - 0.5) * 0.25`` in the model's [-1, 1] input space, i.e. gray
    +-0.125; in raw pixels that is 127.5 +- 15.9.

    Example:
        >>> x = start_image(32, seed=0)
        >>> bool(111.5 <= x.min() and x.max() <= 143.5)
        True
    """
    size, seed = check_count("size", size, MAX_SIDE), check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    u = rng.random((size, size, 3))
    return (PIXEL_SCALE + PIXEL_SCALE * (u - 0.5) * (2 * START_SPREAD)).astype(np.float32)


def pixels(size: int, seed: int = 0) -> Param:
    """The pixels themselves, starting from :func:`start_image` (the textbook recipe).

    Example:
        >>> p = pixels(16, seed=1)
        >>> bool(np.array_equal(p.to_image(p.init).numpy()[0], start_image(16, 1)))
        True
    """
    size = check_count("size", size, MAX_SIDE)
    return Param(("pixels", size), size, start_image(size, seed)[None],
                 lambda params: tf.convert_to_tensor(params, tf.float32),
                 lambda image: np.asarray(image, np.float32).reshape(1, size, size, 3))


def fft_frequencies(height: int, width: int) -> np.ndarray:
    """Spatial frequency (cycles per pixel) of each coefficient of ``rfft2`` of an h x w image."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    return np.sqrt(fx * fx + fy * fy)


def fourier_scale(height: int, width: int, decay_power: float = 1.0) -> np.ndarray:
    """Lucid's spectrum scaling: 1 / frequency (so every frequency band has similar energy in the
    image, like natural images), times sqrt(h*w) to undo the FFT's normalisation."""
    f = fft_frequencies(height, width)
    scale = 1.0 / np.maximum(f, 1.0 / max(height, width)) ** decay_power
    return (scale * math.sqrt(height * width)).astype(np.float32)


def decorrelated_to_rgb(t):
    """Map decorrelated colour coordinates (..., 3) to RGB logits (Lucid ``_linear_decorrelate_color``)."""
    return tf.tensordot(tf.convert_to_tensor(t, tf.float32), tf.constant(COLOR_CORRELATION.T), axes=1)


def params_to_image(params, scale, decorrelate: bool = True):
    """Fourier parameters (2, 3, h, w//2+1) -> raw-pixel image (1, h, w, 3) in (0, 255).

    Inverse FFT of the 1/f-scaled spectrum, /4 as Lucid, then decorrelated colour -> RGB (when
    ``decorrelate``), then a sigmoid squashes it into a valid 0..1 image, x255.
    """
    params = tf.convert_to_tensor(params, tf.float32)
    h = params.shape[2]
    spectrum = tf.complex(params[0], params[1]) * tf.cast(scale, tf.complex64)
    image = tf.signal.irfft2d(spectrum, fft_length=[h, h])            # (3, h, h)
    image = tf.transpose(image, [1, 2, 0]) / 4.0
    if decorrelate:
        image = decorrelated_to_rgb(image)
    return tf.sigmoid(image)[None] * 255.0


def image_to_params(image, scale, decorrelate: bool = True) -> np.ndarray:
    """Inverse of :func:`params_to_image`: raw-pixel image (h, w, 3) -> Fourier parameters. Pixel
    values are clipped into [0.5, 254.5] first (the sigmoid never reaches 0 or 255)."""
    x = np.clip(np.asarray(image, np.float64).reshape(scale.shape[0], scale.shape[0], 3), 0.5, 254.5) / 255.0
    t = np.log(x / (1 - x))                                            # logit
    if decorrelate:
        t = t @ np.linalg.inv(COLOR_CORRELATION.T.astype(np.float64))
    spectrum = np.fft.rfft2(np.transpose(t * 4.0, (2, 0, 1))) / scale
    return np.stack([spectrum.real, spectrum.imag]).astype(np.float32)


def fourier(size: int, seed: int = 0, *, sd: float = FOURIER_SD, decorrelate: bool = True,
            decay_power: float = 1.0) -> Param:
    """The Fourier + decorrelated-colour parametrisation (``decorrelate=False``: plain RGB),
    starting from small normal noise on the real and imaginary parts of the spectrum
    (shape (2, 3, size, size//2+1)); the start image is a nearly uniform gray.

    Example:
        >>> image = fourier(16).to_image(np.zeros((2, 3, 16, 9), np.float32)).numpy()
        >>> float(image.min()), float(image.max())      # sigmoid(0) everywhere: mid gray
        (127.5, 127.5)
    """
    size, seed = check_count("size", size, MAX_SIDE), check_int("seed", seed, 0)
    sd, decay_power = check_number("sd", sd, 0.0), check_number("decay_power", decay_power)
    decorrelate = check_bool("decorrelate", decorrelate)
    scale = fourier_scale(size, size, decay_power)
    rng = np.random.default_rng(seed)
    init = (rng.standard_normal((2, 3, size, size // 2 + 1)) * sd).astype(np.float32)
    const = tf.constant(scale)
    return Param(("fourier", size, decorrelate, decay_power), size, init,
                 lambda params: params_to_image(params, const, decorrelate),
                 lambda image: image_to_params(image, scale, decorrelate))
