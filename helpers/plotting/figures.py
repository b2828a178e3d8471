"""Matplotlib figures for the notebooks. Plot functions take arrays and return the figure;
none of them computes a technique."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..activations import dead_channels, normalize, shrink_maps
from .colour import colormap, lookup_table
from .tiles import grid_shape, mosaic, tile_origin

__all__ = ["draw_channel", "draw_mosaic", "label_mosaic_axes", "mosaic_rgb", "plot_similarity_curves", "plot_sparsity",
           "show_cam", "show_images", "show_kernels", "show_layers_overview", "show_mosaic", "show_patterns"]


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


# --- Grad-CAM --------------------------------------------------------------------------------


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


# --- filter visualisation ---

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
    label_h = 0.18 if labels is not None else 0.0
    height = (size + label_h) * nrows + (0.5 if title else 0.1)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, height), squeeze=False)
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
    top = 1 - 0.12 * (1 + str(title).count("\n")) / height if title else 1
    fig.tight_layout(pad=0.3, rect=(0, 0, 1, top))
    return fig


def show_kernels(kernels, *, ncols: int = 16, size: float = 0.55, title: str | None = None):
    """Show first-layer kernels (n, k, k, 3) uint8 as magnified RGB patches (no smoothing)."""
    return show_patterns(kernels, [str(i) for i in range(len(kernels))], ncols=ncols, size=size, title=title)


# --- intermediate activations ---

_BLANK = np.array([225, 225, 225], np.uint8)  # dead channels: a light grey tile, not a colour of the map


def mosaic_rgb(maps, mode: str = "channel", *, value_range=None, ncols=None, pad: int = 1, cmap="viridis",
               tile: tuple[int, int] | None = None):
    """One layer's feature maps ``(h, w, c)`` as a single RGB mosaic (uint8): normalised
    (:func:`helpers.normalize`), coloured with ``cmap``, dead channels light grey, white gaps.
    ``tile=(th, tw)`` draws each channel at that size (e.g. its size on screen) instead of
    ``(h, w)``. Returns ``(rgb, dead_mask)``.

    Example:
        >>> rgb, dead = mosaic_rgb(np.random.rand(8, 8, 5))
    """
    maps = np.asarray(maps)
    dead = dead_channels(maps)
    levels = normalize(maps, mode, value_range)
    if tile is not None:
        levels = shrink_maps(levels, tile)
    coloured = lookup_table(cmap)[levels]  # (h, w, c, 3) uint8
    coloured[:, :, dead] = _BLANK
    return mosaic(coloured, ncols=ncols, pad=pad, fill=255), dead


def draw_mosaic(ax, maps, mode: str = "channel", *, value_range=None, ncols=None, cmap="viridis",
                highlight: int | None = None, title: str | None = None):
    """Draw every channel of a layer into ``ax`` with ONE ``imshow`` (not one subplot per channel).
    The y-axis gives the first channel number of each row, the x-axis the offset within the
    row (channel = row label + column label); ``highlight`` outlines one channel in red.
    Returns the dead-channel mask."""
    maps = np.asarray(maps)
    h, w, c = maps.shape
    rgb, dead = mosaic_rgb(maps, mode, value_range=value_range, ncols=ncols, cmap=cmap)
    ax.imshow(rgb, interpolation="nearest" if h < 64 else "antialiased")
    label_mosaic_axes(ax, maps.shape, ncols)
    if highlight is not None:
        y, x = tile_origin(highlight, maps.shape, ncols)
        ax.add_patch(Rectangle((x - 1, y - 1), w + 1, h + 1, fill=False, edgecolor="red", linewidth=1.5))
    if title is not None:
        ax.set_title(title, fontsize=9)
    return dead


def label_mosaic_axes(ax, shape, ncols=None, pad: int = 1):
    """Tick labels that give channel numbers: row start on the y-axis, offset on the x-axis
    (channel = row label + column label)."""
    h, w, c = shape[:3]
    rows, cols = grid_shape(c, ncols)
    step = 1 if cols <= 16 else 4 if cols <= 32 else 8
    ax.set_xticks([k * (w + pad) + w / 2 for k in range(0, cols, step)], [f"+{k}" for k in range(0, cols, step)],
                  fontsize=7)
    rstep = max(1, rows // 16)
    ax.set_yticks([r * (h + pad) + h / 2 for r in range(0, rows, rstep)],
                  [str(r * cols) for r in range(0, rows, rstep)], fontsize=7)
    ax.tick_params(length=0, pad=1)
    for side in ax.spines.values():
        side.set_visible(False)


def draw_channel(ax, maps, channel: int, *, cmap="viridis", cax=None, title: str | None = None):
    """Draw one channel large, in its real activation values, with a colour bar in ``cax``
    (or next to ``ax``). A dead channel is drawn as zeros with the scale 0..1 (no NaN)."""
    maps = np.asarray(maps)
    c = maps.shape[-1]
    if not 0 <= int(channel) < c:
        raise IndexError(f"channel {channel} is out of range: this layer has {c} channels (0..{c - 1})")
    img = maps[..., int(channel)]
    lo, hi = float(img.min()), float(img.max())
    if hi <= lo:
        hi = lo + 1.0
    im = ax.imshow(img, cmap=colormap(cmap) if isinstance(cmap, str) else cmap, vmin=lo, vmax=hi,
                   interpolation="nearest" if img.shape[0] < 64 else "antialiased")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.figure.colorbar(im, cax=cax, ax=None if cax is not None else ax, fraction=0.046, pad=0.03)
    if title is not None:
        ax.set_title(title, fontsize=9)
    return im


def show_mosaic(maps, mode: str = "channel", *, value_range=None, ncols=None, cmap="viridis", channel=None,
                title: str | None = None, width: float = 11.0):
    """Show all channels of one layer as a mosaic (one imshow); with ``channel``, that channel
    large beside it with a colour bar. Returns the figure.

    Example:
        >>> acts = helpers.activations(model, image, ["stem_activation"])
        >>> fig = show_mosaic(acts["stem_activation"], "channel", channel=4, title="stem_activation")
    """
    maps = np.asarray(maps)
    h, w, c = maps.shape
    rows, cols = grid_shape(c, ncols)
    aspect = rows * (h + 1) / (cols * (w + 1))
    if channel is None:
        fig, ax = plt.subplots(figsize=(width, max(1.5, width * aspect + 0.5)))
        axes = [ax]
    else:
        fig, axes = plt.subplots(1, 2, figsize=(width, max(3.0, 0.62 * width * aspect + 0.8)),
                                 gridspec_kw={"width_ratios": [1.7, 1]})
    dead = draw_mosaic(axes[0], maps, mode, value_range=value_range, ncols=ncols, cmap=cmap, highlight=channel)
    n_dead = int(dead.sum())
    axes[0].set_title((title + ": " if title else "") + f"{c} channels of {h}x{w}, '{mode}' normalisation"
                      + (f", {n_dead} dead (grey)" if n_dead else ""), fontsize=9)
    if channel is not None:
        draw_channel(axes[1], maps, channel, cmap=cmap, title=f"channel {channel} (activation values)")
    fig.tight_layout()
    return fig


def show_layers_overview(acts: dict, layers=None, *, n_channels: int = 8, max_layers: int = 10,
                         mode: str = "channel", cmap="viridis", size: float = 1.15):
    """"All layers at a glance": the first ``n_channels`` channels of each layer, one row per
    layer, deeper layers further down (spatial size shrinks, channel count grows; both are in the
    row label). Of ``layers`` (default: all of ``acts``), at most ``max_layers`` evenly spaced
    ones are shown, the first and the last included. Returns the figure.

    Example:
        >>> fig = show_layers_overview(helpers.activations(model, image), n_channels=8)
    """
    names = list(acts) if layers is None else list(layers)
    if len(names) > max_layers:
        names = [names[int(round(i))] for i in np.linspace(0, len(names) - 1, max_layers)]
    missing = [n for n in names if n not in acts]
    if missing:
        raise KeyError(f"layers {missing} are not in the activations dict; it has {list(acts)[:6]} ...")
    lut = lookup_table(cmap)
    fig, axes = plt.subplots(len(names), 1, figsize=(size * n_channels + 2.2, size * len(names) + 0.3),
                             squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        maps = np.asarray(acts[name])
        k = min(n_channels, maps.shape[-1])
        row = lut[normalize(maps[..., :k], mode)]
        row[:, :, np.all(maps[..., :k] == 0, axis=(0, 1))] = _BLANK
        ax.imshow(mosaic(row, ncols=k, pad=max(1, maps.shape[0] // 28), fill=255),
                  interpolation="nearest" if maps.shape[0] < 64 else "antialiased")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"{name}\n{maps.shape[0]}x{maps.shape[1]}x{maps.shape[2]}", rotation=0, ha="right",
                      va="center", fontsize=8)
    axes[0, 0].set_title(f"first {n_channels} channels of each layer ('{mode}' normalisation)", fontsize=9)
    fig.tight_layout(pad=0.4)
    return fig


def plot_sparsity(sparsities: dict, dead_fraction: dict | None = None, *, title: str | None = None):
    """Line plot of the fraction of zero activations per layer, by depth (and optionally the
    fraction of dead channels). Takes dicts ``{layer: fraction}`` in forward order; returns the figure.

    Example:
        >>> acts = helpers.activations(model, image, helpers.layer_names(model, kinds=("activation",)))
        >>> fig = plot_sparsity(helpers.sparsity_by_layer(acts))
    """
    names = list(sparsities)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.22 * len(names) + 2), 3.4))
    ax.plot(x, [sparsities[n] for n in names], "o-", ms=3, label="zero activations")
    if dead_fraction is not None:
        ax.plot(x, [dead_fraction[n] for n in names], "s--", ms=3, label="dead channels")
    ax.axhline(0.5, color="grey", lw=0.6, ls=":")
    ax.set_ylim(0, 1)
    ax.set_xticks(x, names, rotation=90, fontsize=6)
    ax.set_ylabel("fraction")
    ax.set_xlabel("layer (input -> output)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title or "How sparse is each layer's output?", fontsize=9)
    fig.tight_layout()
    return fig
