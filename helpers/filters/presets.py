"""The two named recipes of :func:`helpers.filter_patterns`, each built from the parts.

* ``"classic"`` -- the textbook / keras.io recipe (Chollet, *Deep Learning with Python*, 2nd ed.
  ch. 9; keras.io "Visualizing what convnets learn"): :func:`~.param.pixels` from near-gray
  noise, objective = mean of the filter's map **with a 2-pixel border cropped**
  (``channel(layer, f, border=2)``), :func:`~.steps.normalized` steps of 10 (in [-1, 1] units,
  x127.5 in our raw pixels), no transforms; deprocess as keras.io does: standardise, x0.15, +0.5,
  clip, x255 (the book standardises, x64, +128, clips).
* ``"robust"`` -- the remedies of Olah, Mordvintsev & Schubert, "Feature Visualization" (Distill
  2017) and Lucid / lucent: :func:`~.param.fourier` (decorrelated colour), small random jitter /
  scale / rotation before every step, ``keras.optimizers.Adam``. Its objective is the mean of the
  filter's **whole** map (no crop), so the pattern fills the frame; the crop made only the
  central 4x4 of an 8x8 map count, and the pattern sat in a disc with a blurry halo.

Example:
    >>> sorted(PRESETS), PRESETS["classic"].border, PRESETS["robust"].border
    (['classic', 'robust'], 2, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import param as P
from . import steps as S
from . import transforms as T

__all__ = ["CLASSIC_STEP", "CLASSIC_STEPS", "CONTRAST", "METHODS", "PRESETS", "ROBUST_LR", "Preset", "deprocess",
           "robust_transforms", "to_uint8"]

CLASSIC_STEP = 10.0          # keras.io / DLwP 2nd ed.: learning_rate = 10.0, in [-1, 1] units
CLASSIC_STEPS = 30           # keras.io / DLwP: 30 iterations
CONTRAST = 0.15              # keras.io deprocess: std 0.15 around 0.5 (DLwP 1st ed.: 0.1; 2nd/3rd ed.: x64 + 128)
ROBUST_LR = 0.05             # Lucid's default Adam learning rate for render_vis


def deprocess(image, contrast: float = CONTRAST) -> np.ndarray:
    """Turn an optimised float image into a displayable uint8 picture (classic recipe).

    Standardise (mean 0, std 1: the ascent leaves the image at an arbitrary offset and scale),
    x ``contrast`` (0.15, keras.io; 0.1 in DLwP's 1st ed.; the 2nd/3rd ed. use x64 + 128),
    +0.5 (mid-gray), clip to [0, 1], x255. The textbook also crops 25 border pixels; we keep the full size so the output
    is ``size x size``. Works on one image (h, w, 3) or a batch, each image on its own.

    Example:
        >>> deprocess(np.array([[[0.0, 1.0, 2.0]]]))      # std 0.816: 0.5 -+ 0.15 / 0.816
        array([[[ 81, 128, 174]]], dtype=uint8)
    """
    x = np.asarray(image, np.float64)
    axes = tuple(range(x.ndim - 3, x.ndim))
    x = x - x.mean(axis=axes, keepdims=True)
    x = x / (x.std(axis=axes, keepdims=True) + 1e-5)
    x = np.clip(x * contrast + 0.5, 0.0, 1.0)
    return np.round(x * 255.0).astype(np.uint8)


def to_uint8(image) -> np.ndarray:
    """Raw pixels as they are (rounded, clipped to 0..255): what the model saw.

    Example:
        >>> to_uint8(np.array([[[-3.0, 127.4, 300.0]]]))
        array([[[  0, 127, 255]]], dtype=uint8)
    """
    return np.clip(np.round(np.asarray(image, np.float64)), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Preset:
    """A named recipe: how to build the parametrisation, transforms and step rule for a size,
    the objective's border crop, the default step size / learning rate, and how to display."""

    name: str
    border: int
    rate: float
    param: Callable         # (size, seed) -> Param
    transforms: Callable    # size -> Transform | None
    step: Callable          # rate -> StepRule
    display: Callable       # float image (h, w, 3) -> uint8

    def parts(self, size: int, seed: int, rate: float | None = None):
        """``(param, transforms, step)`` for :func:`helpers.filters.ascend`."""
        return self.param(size, seed), self.transforms(size), self.step(self.rate if rate is None else rate)


def robust_transforms(size: int):
    """The robust preset's transforms: jitter of 1/32 of the size, scale 0.95..1.05, rotate
    -5..5 degrees, jitter again (milder than Lucid's standard set: the pattern is scored on the
    untransformed image)."""
    d = max(1, round(size / 32))
    return T.compose(T.jitter(d), T.scale([1 + (i - 5) / 100 for i in range(11)]), T.rotate(range(-5, 6)),
                     T.jitter(max(1, d // 2)))


PRESETS = {
    "classic": Preset("classic", border=2, rate=CLASSIC_STEP, param=P.pixels, transforms=lambda size: None,
                      step=lambda rate: S.normalized(rate * P.PIXEL_SCALE), display=deprocess),
    "robust": Preset("robust", border=0, rate=ROBUST_LR, param=P.fourier, transforms=robust_transforms,
                     step=S.adam, display=to_uint8),
}
METHODS = tuple(PRESETS)
