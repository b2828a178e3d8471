"""Colour: heatmaps through a colour map, and blended over a photo (OpenCV, uint8 RGB out).

The default colour map is ``"turbo"`` (Google's perceptual rainbow: it brightens steadily from dark blue
through green and yellow to dark red, unlike ``"jet"``, whose bright cyan and yellow bands look like
edges that are not in the data), and an overlay fades out where the heat is low, so a photo stays
visible where there is no evidence.

Example:
    >>> heat = helpers.gradcam(model, image, 282)
    >>> overlay(image, heat).shape
    (224, 224, 3)
"""

from __future__ import annotations

import cv2
import matplotlib as mpl
import numpy as np

from ..images import array_to_rgb_uint8
from ..validation import check_array, check_choice, check_finite, check_number

__all__ = ["COLORMAPS", "DEFAULT_COLORMAP", "FADE", "colorize", "colormap", "lookup_table", "overlay"]

COLORMAPS = {name[len("COLORMAP_"):].lower(): getattr(cv2, name) for name in dir(cv2) if name.startswith("COLORMAP_")}
DEFAULT_COLORMAP = "turbo"
FADE = 0.5   # overlay: per-pixel alpha = alpha * heat ** FADE (0 = the same alpha everywhere, as in the textbook)


def colorize(heatmap: np.ndarray, colormap: str = DEFAULT_COLORMAP) -> np.ndarray:
    """A [0, 1] heatmap as a uint8 RGB picture through an OpenCV colour map (``"turbo"``, the
    default, ``"jet"``, ``"viridis"``, ``"inferno"`` ...; see ``COLORMAPS``).

    Example:
        >>> colorize(np.array([[0.0, 1.0]])).shape
        (1, 2, 3)
    """
    key = check_choice("colour map", colormap, sorted(COLORMAPS), ignore_case=True)
    h = np.asarray(heatmap, np.float32)
    if h.ndim != 2:
        raise ValueError(f"a heatmap is a 2-D array (height, width); got shape {h.shape}")
    h = np.clip(np.nan_to_num(h, nan=0.0), 0.0, 1.0)
    u8 = np.round(h * 255.0).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(u8, COLORMAPS[key]), cv2.COLOR_BGR2RGB)


def overlay(image, heatmap, alpha=0.4, colormap=DEFAULT_COLORMAP, *, fade=FADE) -> np.ndarray:
    """Blend a colour-mapped heatmap over an image, pixel by pixel:
    ``(1 - a) * image + a * colours`` with ``a = alpha * heat ** fade``.

    Where the heat is 0 the image is unchanged; where it is 1 the colour weighs ``alpha``; in
    between the colour fades in (``fade=0.5``, the default: half the heat gives 71 % of ``alpha``).
    ``fade=0`` blends every pixel with the same ``alpha``, as the textbook's
    ``heatmap * 0.4 + image`` does. The heatmap (values clipped to [0, 1]) is resized to the image
    (bilinear) if needed; the result is computed in floating point, clipped to 0..255 and rounded
    (no uint8 wrap-around).

    Args:
        image: uint8 RGB (H, W, 3) (or anything :func:`helpers.load_image` accepts as an array).
        heatmap: (h, w) values in [0, 1], e.g. from :func:`gradcam`.
        alpha: the colour's weight at full heat: 0 = only the image, 1 = only the heatmap's colours.
        colormap: an OpenCV colour map name: ``"turbo"`` (default), ``"jet"``, ``"viridis"``, ...
        fade: the exponent of the heat in the per-pixel alpha, a number >= 0.

    Example:
        >>> overlay(np.zeros((4, 4, 3), np.uint8), np.ones((2, 2)), alpha=0.5).dtype
        dtype('uint8')
    """
    alpha = check_number("alpha", alpha, 0.0, 1.0)
    fade = check_number("fade (0 = the same alpha everywhere)", fade, 0.0)
    img = array_to_rgb_uint8(image)  # a photo name or path: "load it with helpers.load_image first"
    h = check_array("the heatmap", heatmap, 2, dtype=np.float32, expected="a 2-D array (height, width)",
                    allow_empty=False)
    check_finite("the heatmap", h, "; a Grad-CAM map from helpers.gradcam never has them -- if you computed it "
                 "yourself, divide by (max + a small epsilon)")
    if h.shape != img.shape[:2]:
        h = cv2.resize(h, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    h = np.clip(h, 0.0, 1.0)
    colours = colorize(h, colormap).astype(np.float32)
    weight = (float(alpha) * h ** float(fade))[..., None]   # 0 ** 0 is 1: fade=0 is a uniform alpha
    out = (1.0 - weight) * img.astype(np.float32) + weight * colours
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def colormap(name: str):
    """A Matplotlib colormap by name (``mpl.colormaps``; ``cm.get_cmap`` is gone since 3.9)."""
    return mpl.colormaps[name]


def lookup_table(cmap) -> np.ndarray:
    """A Matplotlib colour map as a (256, 3) uint8 table: ``table[levels]`` colours uint8 levels."""
    cmap = colormap(cmap) if isinstance(cmap, str) else cmap
    return np.round(cmap(np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
