"""Figures for class activation maps (notebooks 3 and 4): overlays with a colour bar, the heat shown
beside the picture as well as over it, boxes around known regions with a zoomed inset, and pictures
drawn at one pixel scale. Each function takes arrays and returns the Matplotlib figure; none computes
a map.

``aspect`` is the shape the picture really has (width / height) when the array was squashed to the
model's square input: ``cat_and_coffee`` is two square photos squashed side by side, ``aspect=2``
shows it as it was photographed.

Example:
    >>> heat = np.linspace(0, 1, 64).reshape(8, 8)
    >>> fig = show_overlays(np.zeros((8, 8, 3), np.uint8), [heat, heat.T], ["a", "b"])
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from ..validation import check_number, check_type
from .colour import DEFAULT_COLORMAP, colormap, overlay

__all__ = ["HEAT_LABEL", "draw_box", "show_boxed_cams", "show_cam_panels", "show_overlays", "show_pictures",
           "show_same_scale"]

HEAT_LABEL = "heat (1 = the map's maximum)"
TITLE_SIZE = 10


def _aspect(aspect) -> float:
    return check_number("aspect (the picture's width / height)", aspect, 0.1, 10)


def _grid(n: int, ncols: int | None, size: float, aspect: float, extra_width: float = 0.0):
    ncols = max(1, min(ncols or n, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * aspect * ncols + extra_width, (size + 0.35) * nrows),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def _colour_bar(fig, axes, cmap: str, label: str = HEAT_LABEL):
    bar = fig.colorbar(ScalarMappable(Normalize(0.0, 1.0), colormap(cmap)), ax=axes, fraction=0.025, pad=0.02)
    bar.set_label(label, fontsize=9)
    bar.ax.tick_params(labelsize=8)
    return bar


def show_pictures(pictures, titles=None, *, aspect: float = 1.0, ncols: int | None = None, size: float = 2.6,
                  cmap: str = "gray", suptitle: str | None = None, boxes=None, marker_boxes=None):
    """Pictures (uint8 RGB, or 2-D arrays drawn with ``cmap``) in a grid, each drawn with the
    picture's real ``aspect`` (width / height); optional white boxes, one per picture: ``boxes``
    solid (the object), ``marker_boxes`` dashed (x0 < 0: none). Returns the figure."""
    pictures = list(pictures)
    aspect = _aspect(aspect)
    obj, mark = _boxes(boxes, len(pictures), "boxes"), _boxes(marker_boxes, len(pictures), "marker_boxes")
    fig, axes = _grid(len(pictures), ncols, size, aspect)
    for i, pic in enumerate(pictures):
        ax = axes.flat[i]
        ax.imshow(pic, cmap=cmap if np.ndim(pic) == 2 else None, aspect=1.0 / aspect)
        draw_box(ax, obj[i])
        draw_box(ax, mark[i], dashed=True, pad=MARKER_PAD)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=TITLE_SIZE)
    if suptitle:
        fig.suptitle(suptitle, fontsize=TITLE_SIZE + 1)
    return fig


def show_overlays(image, heatmaps, titles=None, *, aspect: float = 1.0, alpha: float = 0.4,
                  colormap: str = DEFAULT_COLORMAP, ncols: int | None = None, size: float = 2.8,
                  suptitle: str | None = None):
    """One image under several heatmaps (:func:`helpers.overlay`), side by side, with one colour bar
    for the heat; ``aspect`` as in :func:`show_pictures`. Returns the figure."""
    heatmaps = list(heatmaps)
    aspect = _aspect(aspect)
    fig, axes = _grid(len(heatmaps), ncols, size, aspect, extra_width=0.8)
    for i, heat in enumerate(heatmaps):
        ax = axes.flat[i]
        ax.imshow(overlay(image, heat, alpha, colormap), aspect=1.0 / aspect)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=TITLE_SIZE)
    if suptitle:
        fig.suptitle(suptitle, fontsize=TITLE_SIZE + 1)
    _colour_bar(fig, axes, colormap)
    return fig


def show_cam_panels(image, heatmap, *, overlaid=None, title: str | None = None, aspect: float = 1.0,
                    alpha: float = 0.4, colormap: str = DEFAULT_COLORMAP, size: float = 3.0):
    """The picture | the heat alone (e.g. at the layer's grid, drawn cell by cell, with a colour bar) |
    the heat over the picture (``overlaid``: the map to blend, default ``heatmap``); returns the figure."""
    aspect = _aspect(aspect)
    heat = np.asarray(heatmap, np.float32)
    if heat.ndim != 2:
        raise ValueError(f"a heatmap is a 2-D array (height, width); got shape {heat.shape}")
    H, W = np.shape(image)[:2]
    fig, axes = plt.subplots(1, 3, figsize=(3 * size * aspect * W / H + 1.0, size + 0.4), layout="constrained")
    axes[0].imshow(np.asarray(image, np.uint8), aspect=1.0 / aspect)
    axes[0].set_title("picture", fontsize=TITLE_SIZE)
    axes[1].imshow(heat, cmap=colormap, vmin=0.0, vmax=1.0, interpolation="nearest",
                   aspect=(heat.shape[1] / heat.shape[0]) * (H / W) / aspect)   # drawn at the picture's shape
    axes[1].set_title(f"heat alone, {heat.shape[0]}x{heat.shape[1]}", fontsize=TITLE_SIZE)
    axes[2].imshow(overlay(image, heat if overlaid is None else overlaid, alpha, colormap), aspect=1.0 / aspect)
    axes[2].set_title("heat over the picture", fontsize=TITLE_SIZE)
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE + 1)
    _colour_bar(fig, axes, colormap)
    return fig


def draw_box(ax, box, *, colour: str = "white", dashed: bool = False, width: float = 1.5, pad: int = 0):
    """Outline ``box`` = (x0, y0, x1, y1) pixel bounds (end exclusive) on an image axis, ``pad``
    pixels outside it (so a small box's own pixels stay visible); a box whose x0 is negative (no box)
    draws nothing. Returns the patch or None."""
    x0, y0, x1, y1 = (int(v) for v in box)
    if x0 < 0:
        return None
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    return ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=colour,
                                  linewidth=width, linestyle=(0, (3, 2)) if dashed else "-"))


MARKER_PAD = 2   # the marker's dashed box is drawn 2 px outside it: the marker's own pixels stay visible


def _grey(image) -> np.ndarray:
    """The picture in grey (ITU-R 601 luma), as RGB: under a heatmap, every colour is then the heat's."""
    rgb = np.asarray(image, np.float32)
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.repeat(np.clip(np.round(luma), 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


def _boxes(boxes, n: int, what: str) -> np.ndarray:
    if boxes is None:
        return np.full((n, 4), -1, np.int64)
    b = np.asarray(boxes, np.int64).reshape(-1, 4)
    if len(b) != n:
        raise ValueError(f"{what}: one (x0, y0, x1, y1) box per image ({n}), got {len(b)}")
    return b


def _inset(ax, picture, box, zoom_margin: int):
    """A zoomed copy of the region around ``box`` in a corner of the axis, on the other side from the box."""
    h, w = picture.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in box)
    m = int(zoom_margin)
    left = 0.02 if (x0 + x1) / 2 > w / 2 else 0.6        # the other side from the box, at its height
    bottom = 0.6 if (y0 + y1) / 2 < h / 2 else 0.02
    inset = ax.inset_axes([left, bottom, 0.38, 0.38])
    inset.imshow(picture, interpolation="nearest")
    inset.set_xlim(max(x0 - m, 0) - 0.5, min(x1 + m, w) - 0.5)
    inset.set_ylim(min(y1 + m, h) - 0.5, max(y0 - m, 0) - 0.5)
    inset.set_xticks([])
    inset.set_yticks([])
    for spine in inset.spines.values():
        spine.set_edgecolor("white")
        spine.set_linewidth(1.5)
    draw_box(inset, box, dashed=True, pad=MARKER_PAD)
    return inset


def show_boxed_cams(images, heatmaps: dict, *, boxes=None, marker_boxes=None, titles=None, heat_alone: bool = True,
                    inset: bool = True, zoom_margin: int = 6, alpha: float = 0.6, grey: bool = True,
                    colormap: str = DEFAULT_COLORMAP, size: float = 2.2):
    """Heatmaps of several images against known boxes, one column per image.

    ``heatmaps`` maps a row label (e.g. ``"Grad-CAM, before the fix"``) to one heatmap per image.
    For each label: a row of overlays (:func:`helpers.overlay`) with white boxes -- the object solid,
    the marker dashed -- and, with ``inset``, a zoomed view of the marker region in the corner across
    from it; then (``heat_alone``) a row with the heat alone and the same boxes. One colour bar. With
    ``grey`` (default) the picture under the heat is drawn in grey, so that every colour is the heat's.
    ``titles``: one per image, or a dict label -> titles. Returns the figure.
    """
    images = np.asarray(images)
    n = len(images)
    wanted = "a dict {row label: one heatmap per image}, e.g. {'Grad-CAM': heat}"
    check_type("heatmaps", heatmaps, dict, wanted)
    if not heatmaps:
        raise ValueError(f"heatmaps is empty: give {wanted}")
    for label, heats in heatmaps.items():
        if len(heats) != n:
            raise ValueError(f"heatmaps[{label!r}] has {len(heats)} maps for {n} images")
    obj, mark = _boxes(boxes, n, "boxes"), _boxes(marker_boxes, n, "marker_boxes")
    per_label = 2 if heat_alone else 1
    nrows = per_label * len(heatmaps)
    fig, axes = plt.subplots(nrows, n, figsize=(size * n + 0.9, (size + 0.4) * nrows), squeeze=False,
                             layout="constrained")
    for r, (label, heats) in enumerate(heatmaps.items()):
        row_titles = titles.get(label) if isinstance(titles, dict) else titles
        for i in range(n):
            heat = np.asarray(heats[i], np.float32)
            pictures = [overlay(_grey(images[i]) if grey else images[i], heat, alpha, colormap)]
            if heat_alone:
                pictures.append(heat)
            for k, pic in enumerate(pictures):
                ax = axes[per_label * r + k, i]
                if pic.ndim == 2:
                    ax.imshow(pic, cmap=colormap, vmin=0.0, vmax=1.0)
                else:
                    ax.imshow(pic)
                draw_box(ax, obj[i])
                draw_box(ax, mark[i], dashed=True, pad=MARKER_PAD)
                ax.set_xticks([])
                ax.set_yticks([])
                if k == 0 and row_titles is not None:
                    ax.set_title(str(row_titles[i]), fontsize=TITLE_SIZE)
                if k == 0 and inset and mark[i, 0] >= 0:
                    _inset(ax, pic, mark[i], zoom_margin)
            axes[per_label * r, 0].set_ylabel(label, fontsize=TITLE_SIZE)
            if heat_alone:
                axes[per_label * r + 1, 0].set_ylabel("heat alone", fontsize=TITLE_SIZE - 1)
    _colour_bar(fig, axes, colormap)
    return fig


def show_same_scale(pictures, titles=None, *, boxes=None, scale: float = 3.0, dpi: int = 100):
    """Pictures of one pixel size drawn at one scale (``scale`` screen pixels per picture pixel,
    no smoothing), so that a pattern and the thing it responds to can be compared pixel for pixel;
    optional white dashed ``boxes`` (e.g. the marker), one per picture (x0 < 0: none). Returns the figure."""
    pictures = [np.asarray(p) for p in pictures]
    sizes = {p.shape[:2] for p in pictures}
    if len(sizes) != 1:
        raise ValueError(f"show_same_scale needs pictures of one size, got {sorted(sizes)}: crop or pad them first")
    h, w = sizes.pop()
    b = _boxes(boxes, len(pictures), "boxes")
    side_w, side_h = w * scale / dpi, h * scale / dpi
    fig, axes = plt.subplots(1, len(pictures), figsize=((side_w + 0.2) * len(pictures), side_h + 0.5),
                             squeeze=False, dpi=dpi, layout="constrained")
    for i, (ax, pic) in enumerate(zip(axes[0], pictures)):
        ax.imshow(pic, interpolation="nearest")
        draw_box(ax, b[i], dashed=True, pad=MARKER_PAD, width=2.0)
        ax.axis("off")
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=TITLE_SIZE)
    return fig
