"""Colour: heatmaps through a colour map, and blended over a photo (OpenCV, uint8 RGB out).

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

COLORMAPS = {name[len("COLORMAP_"):].lower(): getattr(cv2, name) for name in dir(cv2) if name.startswith("COLORMAP_")}


def colorize(heatmap: np.ndarray, colormap: str = "jet") -> np.ndarray:
    """A [0, 1] heatmap as a uint8 RGB picture through an OpenCV colour map (``"jet"``,
    ``"turbo"``, ``"viridis"``, ``"inferno"`` ...; see ``COLORMAPS``).

    Example:
        >>> colorize(np.array([[0.0, 1.0]])).shape
        (1, 2, 3)
    """
    key = str(colormap).lower()
    if key not in COLORMAPS:
        raise ValueError(f"unknown colour map {colormap!r}; choose one of {', '.join(sorted(COLORMAPS))}")
    h = np.asarray(heatmap, np.float32)
    if h.ndim != 2:
        raise ValueError(f"a heatmap is a 2-D array (height, width); got shape {h.shape}")
    h = np.clip(np.nan_to_num(h, nan=0.0), 0.0, 1.0)
    u8 = np.round(h * 255.0).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(u8, COLORMAPS[key]), cv2.COLOR_BGR2RGB)


def overlay(image, heatmap, alpha=0.4, colormap="jet") -> np.ndarray:
    """Blend a colour-mapped heatmap over an image: ``(1 - alpha) * image + alpha * colours``.

    The heatmap (values clipped to [0, 1]) is resized to the image if needed; the result is
    computed in floating point, clipped to 0..255 and rounded (no uint8 wrap-around).

    Args:
        image: uint8 RGB (H, W, 3) (or anything :func:`helpers.load_image` accepts as an array).
        heatmap: (h, w) values in [0, 1], e.g. from :func:`gradcam`.
        alpha: 0 = only the image, 1 = only the heatmap's colours.
        colormap: an OpenCV colour map name, e.g. ``"jet"``, ``"turbo"``, ``"viridis"``.

    Example:
        >>> overlay(np.zeros((4, 4, 3), np.uint8), np.ones((2, 2)), alpha=0.5).dtype
        dtype('uint8')
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be a number between 0 and 1, got {alpha!r}")
    img = array_to_rgb_uint8(image)  # a photo name or path: "load it with helpers.load_image first"
    h = np.asarray(heatmap, np.float32)
    if h.ndim != 2:
        raise ValueError(f"a heatmap is a 2-D array (height, width); got shape {h.shape}")
    if h.size == 0:
        raise ValueError(f"the heatmap is empty (shape {h.shape}); a heatmap has at least one value")
    if not np.isfinite(h).all():
        raise ValueError("the heatmap contains NaN or infinite values; a Grad-CAM map from helpers.gradcam never "
                         "does -- if you computed it yourself, divide by (max + a small epsilon)")
    if h.shape != img.shape[:2]:
        h = cv2.resize(h, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    colours = colorize(h, colormap).astype(np.float32)
    out = (1.0 - float(alpha)) * img.astype(np.float32) + float(alpha) * colours
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def colormap(name: str):
    """A Matplotlib colormap by name (``mpl.colormaps``; ``cm.get_cmap`` is gone since 3.9)."""
    return mpl.colormaps[name]


def lookup_table(cmap) -> np.ndarray:
    """A Matplotlib colour map as a (256, 3) uint8 table: ``table[levels]`` colours uint8 levels."""
    cmap = colormap(cmap) if isinstance(cmap, str) else cmap
    return np.round(cmap(np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
