"""Honest baselines: heatmaps made with no model at all, to say what a metric gives for free.

A faithfulness score means little alone: on photos where the object sits in the middle, a map that
always points at the centre already wins most pointing games (TorchRay's reproduction: a fixed centre
point scores 69.6 % on VOC07, Grad-CAM with VGG16 86.6 %). So every metric should be read beside:

* ``"random"`` -- uniform noise (seeded): what pure chance gives;
* ``"sobel"`` -- the edge strength of the grey picture (OpenCV's 3 x 3 Sobel gradient magnitude,
  as pytorch-grad-cam's ``sobel_cam``): busy, textured places, where objects often are;
* ``"centre"`` -- a centred Gaussian with sigma :data:`CENTRE_SIGMA` (a quarter) of each side: the
  photographer's bias (at an edge's midpoint it has fallen to ``exp(-2)``, 0.14).

Each is float32 (H, W) in [0, 1] with a maximum of 1, like :func:`helpers.gradcam`, and works with
every metric (:func:`helpers.metrics.deletion`, ...) and with :func:`helpers.pointing_game`.

Example:
    >>> photo = load_image("cat_and_coffee", size=224)
    >>> centre = baseline_map("centre", photo)
    >>> centre.shape, np.unravel_index(centre.argmax(), centre.shape)   # the peak: a centre pixel
    ((224, 224), (np.int64(111), np.int64(111)))
"""

from __future__ import annotations

import cv2
import numpy as np

from ..cam.maths import normalize_map
from ..images import check_batch
from ..validation import check_choice, check_int

__all__ = ["BASELINE_KINDS", "CENTRE_SIGMA", "baseline_map", "centre_map", "random_map", "sobel_map"]

BASELINE_KINDS = ("random", "sobel", "centre")
CENTRE_SIGMA = 0.25  # the centre Gaussian's sigma, as a fraction of each side
_ALIASES = {"center": "centre"}  # the American spelling works too


def random_map(shape, seed: int = 0) -> np.ndarray:
    """Uniform noise (H, W), scaled to a maximum of 1; the same seed gives the same map.

    Example:
        >>> bool((random_map((2, 3), seed=1) == random_map((2, 3), seed=1)).all())
        True
    """
    return normalize_map(np.random.default_rng(seed).random(tuple(shape))).astype(np.float32)


def sobel_map(rgb: np.ndarray) -> np.ndarray:
    """The Sobel gradient magnitude ``sqrt(gx^2 + gy^2)`` of the grey picture (ITU-R 601 luma), 3 x 3
    kernels, mirrored borders (OpenCV's default), scaled to a maximum of 1; a flat picture gives zeros.

    Example:
        >>> step = np.zeros((3, 4, 3)); step[:, 2:] = 255.0       # a vertical edge
        >>> sobel_map(step)[1].tolist()
        [0.0, 1.0, 1.0, 0.0]
    """
    grey = cv2.cvtColor(np.asarray(rgb, np.float32), cv2.COLOR_RGB2GRAY).astype(np.float64)
    gx = cv2.Sobel(grey, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_64F, 0, 1, ksize=3)
    return normalize_map(np.sqrt(gx * gx + gy * gy)).astype(np.float32)


def centre_map(shape, sigma: float = CENTRE_SIGMA) -> np.ndarray:
    """A Gaussian bump centred on the picture, sigma ``sigma`` x each side, scaled to a maximum of 1.

    Example:
        >>> centre_map((1, 3)).astype(float).round(3).tolist()   # sigma 0.75 px: 1 px off centre, e^(-0.89)
        [[0.411, 1.0, 0.411]]
    """
    h, w = int(shape[0]), int(shape[1])
    dy = (np.arange(h) - (h - 1) / 2.0) / (sigma * h)
    dx = (np.arange(w) - (w - 1) / 2.0) / (sigma * w)
    return normalize_map(np.exp(-0.5 * (dy[:, None] ** 2 + dx[None, :] ** 2))).astype(np.float32)


def baseline_map(kind: str, image, *, seed: int = 0) -> np.ndarray:
    """A model-free heatmap of ``image``'s size: ``"random"``, ``"sobel"`` or ``"centre"`` (any case;
    ``"center"`` too). See the module docstring for what each stands for.

    Args:
        kind: which baseline.
        image: the picture (H, W, 3) RGB 0..255 (or 0..1 floats, or grey (H, W)); only ``"sobel"``
            looks at its pixels, the others at its size.
        seed: the random map's seed (0 or more); the others ignore it.

    Returns:
        float32 (H, W) in [0, 1].

    Raises:
        ValueError: an unknown kind (the message lists the kinds), a batch or a bad image.
        TypeError: a kind or seed of the wrong type.

    Example:
        >>> baseline_map("Sobel", image).shape, float(baseline_map("random", image, seed=3).max())
        ((224, 224), 1.0)
    """
    spelt = _ALIASES.get(kind.strip().casefold(), kind) if isinstance(kind, str) else kind
    kind = check_choice("baseline kind", spelt, BASELINE_KINDS, ignore_case=True)  # kind=3: an ArgumentTypeError
    seed = check_int("seed", seed, 0)
    batch, single = check_batch(image)
    if not single:
        raise ValueError(f"baseline_map() takes one image (H, W, 3); got a batch of {len(batch)}: "
                         "call it once per image")
    if kind == "random":
        return random_map(batch.shape[1:3], seed)
    if kind == "sobel":
        return sobel_map(batch[0])
    return centre_map(batch.shape[1:3])
