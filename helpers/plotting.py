"""Matplotlib helpers shared by the notebooks. Plot functions take arrays and return the figure;
none of them computes a technique (they call nothing but numpy/matplotlib)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np


def show_images(images, titles=None, *, ncols: int | None = None, size: float = 2.6, cmap=None):
    """Show a list of images (uint8 RGB or 2-D) in a grid with optional titles; returns the figure.

    Example:
        >>> fig = show_images([np.zeros((8, 8, 3), np.uint8)] * 2, ["a", "b"])
    """
    images = list(images)
    n = len(images)
    ncols = ncols or min(n, 6)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.flat[i]
        ax.imshow(img, cmap=cmap if np.ndim(img) == 2 else None)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig


def colormap(name: str):
    """A Matplotlib colormap by name (``mpl.colormaps``; ``cm.get_cmap`` is gone since 3.9)."""
    return mpl.colormaps[name]
