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


# --- Grad-CAM (issue 5) ---------------------------------------------------------------------


def show_cam(image, heatmap, overlaid, *, title: str | None = None, cmap: str = "jet", size: float = 3.0):
    """Side by side: the image | the heatmap (0..1, with a colour bar) | the overlay; returns the figure.

    Example:
        >>> heat = helpers.gradcam(model, image, 282)
        >>> fig = show_cam(image, heat, helpers.overlay(image, heat), title="tiger cat")
    """
    fig, axes = plt.subplots(1, 3, figsize=(3 * size + 0.6, size))
    axes[0].imshow(np.asarray(image, np.uint8))
    axes[0].set_title("image", fontsize=9)
    shown = axes[1].imshow(np.asarray(heatmap, np.float32), cmap=colormap(cmap), vmin=0.0, vmax=1.0)
    axes[1].set_title(f"heatmap {np.shape(heatmap)[0]}x{np.shape(heatmap)[1]}", fontsize=9)
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    axes[2].imshow(np.asarray(overlaid, np.uint8))
    axes[2].set_title("overlay", fontsize=9)
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_similarity_curves(steps, curves: dict, *, title: str | None = None):
    """Line plot of similarity scores (e.g. Spearman rank correlation) per randomisation step,
    one line per method: ``curves = {"Grad-CAM": [...], "guided backprop": [...]}``; returns the figure."""
    steps = list(steps)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(steps) + 2), 3.2))
    for label, values in curves.items():
        ax.plot(range(len(steps)), values, "o-", ms=4, label=label)
    ax.axhline(0.0, color="grey", lw=0.6, ls=":")
    ax.set_ylim(-1.05, 1.05)
    ax.set_xticks(range(len(steps)), steps, rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("weights randomised down to (cumulative, from the top)")
    ax.set_ylabel("Spearman vs original")
    ax.legend(fontsize=8)
    ax.set_title(title or "Sanity check: does the map depend on the weights?", fontsize=9)
    fig.tight_layout()
    return fig


# --- filter visualisation (issue 4) ---

def show_patterns(patterns, labels=None, *, ncols: int = 8, size: float = 1.1, title: str | None = None,
                  flagged=()):
    """Show uint8 patterns (n, h, w, 3) in a tight grid, small labels; labels of ``flagged`` tiles
    (indices into ``patterns``) are red with "(stuck)". Returns the figure.

    Example:
        >>> fig = show_patterns(np.zeros((4, 8, 8, 3), np.uint8), ["0", "1", "2", "3"], ncols=2)
    """
    patterns = np.asarray(patterns)
    n = len(patterns)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.5 if title else 0.1)),
                             squeeze=False)
    flagged = set(flagged)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        ax = axes.flat[i]
        ax.imshow(patterns[i], interpolation="nearest" if patterns.shape[1] < 32 else "antialiased")
        if labels is not None:
            bad = i in flagged
            ax.set_title(str(labels[i]) + (" (stuck)" if bad else ""), fontsize=7, pad=2,
                         color="#b00020" if bad else "black")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def show_kernels(kernels, *, ncols: int = 16, size: float = 0.55, title: str | None = None):
    """Show first-layer kernels (n, k, k, 3) uint8 as magnified RGB patches (no smoothing)."""
    return show_patterns(kernels, [str(i) for i in range(len(kernels))], ncols=ncols, size=size, title=title)
