"""Matplotlib figures for the notebooks. Plot functions take arrays and return the figure;
none of them computes a technique."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from ..activations import dead_channels, shrink_maps
from .colour import colormap, lookup_table
from .levels import Scale, default_cmap, display_levels, display_scale
from .tiles import grid_shape, mosaic, tile_origin

__all__ = ["add_scale_bar", "draw_channel", "draw_mosaic", "label_mosaic_axes", "mosaic_rgb", "plot_similarity_curves",
           "plot_sparsity", "show_cam", "show_images", "show_kernels", "show_layers_overview", "show_mosaic",
           "show_patterns"]


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


def show_cam(image, heatmap, overlaid, *, title: str | None = None, cmap: str = "turbo", size: float = 3.0):
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
    label_h = (0.24 if size >= 1.0 else 0.18) if labels is not None else 0.0
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
            ax.set_title(str(labels[i]) + (" (stuck)" if bad else ""), fontsize=9 if size >= 1.0 else 7, pad=2,
                         color="#b00020" if bad else "black")
    if title:
        fig.suptitle(title, fontsize=9)
    top = 1 - 0.12 * (1 + str(title).count("\n")) / height if title else 1
    fig.tight_layout(pad=0.3, rect=(0, 0, 1, top))
    return fig


# What a kernel's colour means (first_layer_kernels: 128 = weight 0, 255 = +peak, 0 = -peak per colour):
# swatches for the legend, in the kernels' own encoding.
KERNEL_KEY = (("0", (128, 128, 128)), ("+red", (255, 128, 128)), ("+green", (128, 255, 128)),
              ("+blue", (128, 128, 255)), ("-red", (0, 128, 128)), ("+all", (255, 255, 255)), ("-all", (0, 0, 0)))


def show_kernels(kernels, *, ncols: int = 16, size: float = 0.55, title: str | None = None, legend: bool = True,
                 scaled: str = "each kernel to its own largest |weight|"):
    """Show first-layer kernels (n, k, k, 3) uint8 as magnified RGB patches (no smoothing), with a
    legend of what a colour means: mid-grey = weight 0, and each colour channel brighter for a
    positive weight on that input colour, darker for a negative one (``scaled`` says to what peak).

    Example:
        >>> fig = show_kernels(np.full((4, 3, 3, 3), 128, np.uint8), ncols=4)
    """
    kernels = np.asarray(kernels)
    if not legend:
        return show_patterns(kernels, [str(i) for i in range(len(kernels))], ncols=ncols, size=size, title=title)
    n = len(kernels)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    key_h, title_h, below = size + 0.1, (0.35 if title else 0.05), 0.3
    height = (size + 0.2) * nrows + key_h + title_h + below
    width = max(size * ncols, len(KERNEL_KEY) * size + 4.0)
    n_key = min(len(KERNEL_KEY), ncols)
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[size + 0.2] * nrows + [key_h],
                            left=0.01, right=0.99, bottom=below / height, top=1 - title_h / height, hspace=0.3,
                            wspace=0.1)
    for i in range(nrows * ncols):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        ax.axis("off")
        if i < n:
            ax.imshow(kernels[i], interpolation="nearest")
            ax.set_title(str(i), fontsize=9, pad=2)
    swatches = fig.add_subplot(grid[nrows, :n_key])
    swatches.imshow(np.array([rgb for _, rgb in KERNEL_KEY], np.uint8)[None], interpolation="nearest")
    swatches.set_xticks(range(len(KERNEL_KEY)), [label for label, _ in KERNEL_KEY], fontsize=9)
    swatches.set_yticks([])
    swatches.tick_params(length=0)
    note = fig.add_subplot(grid[nrows, n_key:] if n_key < ncols else grid[nrows, -1])
    note.axis("off")
    note.text(0.0, 0.5, f"colour = the weight on each input colour:\nmid-grey 0, brighter +, darker -;\n"
              f"scaled {scaled}", fontsize=9, va="center", transform=note.transAxes)
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.08 / height, va="top")
    return fig


# --- intermediate activations ---

_BLANK = np.array([225, 225, 225], np.uint8)  # dead channels: a light grey tile, not a colour of the map


def mosaic_rgb(maps, mode: str = "channel", *, value_range=None, ncols=None, pad: int = 1, cmap=None,
               tile: tuple[int, int] | None = None):
    """One layer's feature maps ``(h, w, c)`` as a single RGB mosaic (uint8): scaled with zero
    anchored (:func:`helpers.plotting.levels.display_levels`: activation 0 has the same colour in
    every mode), coloured with ``cmap`` (default: viridis, or the diverging RdBu_r for maps with
    negative values), dead channels light grey, white gaps. ``tile=(th, tw)`` draws each channel
    at that size (e.g. its size on screen) instead of ``(h, w)``. Returns ``(rgb, dead_mask)``.

    Example:
        >>> rgb, dead = mosaic_rgb(np.random.rand(8, 8, 5))
    """
    maps = np.asarray(maps)
    dead = dead_channels(maps)
    levels, scale = display_levels(maps, mode, value_range)
    if tile is not None:
        levels = shrink_maps(levels, tile)
    coloured = lookup_table(cmap or default_cmap(scale))[levels]  # (h, w, c, 3) uint8
    coloured[:, :, dead] = _BLANK
    return mosaic(coloured, ncols=ncols, pad=pad, fill=255), dead


def add_scale_bar(fig, ax, scale: Scale, cmap=None, *, orientation: str = "vertical"):
    """A colour bar that says what the mosaic's colours mean (:class:`~.levels.Scale`), beside ``ax``
    (one axes or a list of them); returns the colour bar."""
    lo, hi = scale.limits
    mappable = ScalarMappable(Normalize(lo, hi), colormap(cmap or default_cmap(scale)))
    bar = fig.colorbar(mappable, ax=ax, orientation=orientation, fraction=0.035, pad=0.02)
    bar.set_label(scale.label, fontsize=9)
    bar.ax.tick_params(labelsize=9)
    return bar


def draw_mosaic(ax, maps, mode: str = "channel", *, value_range=None, ncols=None, cmap=None,
                highlight: int | None = None, title: str | None = None, colorbar: bool = False):
    """Draw every channel of a layer into ``ax`` with ONE ``imshow`` (not one subplot per channel).
    The y-axis gives the first channel number of each row, the x-axis the offset within the
    row (channel = row label + column label); ``highlight`` outlines one channel in red;
    ``colorbar`` adds what the colours mean. Returns the dead-channel mask."""
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
    if colorbar:
        add_scale_bar(ax.figure, ax, display_scale(maps, mode, value_range), cmap)
    return dead


def label_mosaic_axes(ax, shape, ncols=None, pad: int = 1):
    """Tick labels that give channel numbers: row start on the y-axis, offset on the x-axis
    (channel = row label + column label)."""
    h, w, c = shape[:3]
    rows, cols = grid_shape(c, ncols)
    step = 1 if cols <= 16 else 4 if cols <= 32 else 8
    ax.set_xticks([k * (w + pad) + w / 2 for k in range(0, cols, step)], [f"+{k}" for k in range(0, cols, step)],
                  fontsize=9)
    rstep = max(1, -(-rows // 12))  # at most 12 row labels: 9-pt labels of a tall mosaic would overlap
    ax.set_yticks([r * (h + pad) + h / 2 for r in range(0, rows, rstep)],
                  [str(r * cols) for r in range(0, rows, rstep)], fontsize=9)
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


def show_mosaic(maps, mode: str = "channel", *, value_range=None, ncols=None, cmap=None, channel=None,
                title: str | None = None, width: float = 11.0, colorbar: bool = True):
    """Show all channels of one layer as a mosaic (one imshow) with a colour bar that says what
    its colours mean; with ``channel``, that channel large beside it in its real values (its own
    colour bar). Returns the figure.

    Example:
        >>> acts = helpers.activations(model, image, ["stem_activation"])
        >>> fig = show_mosaic(acts["stem_activation"], "channel", channel=4, title="stem_activation")
    """
    maps = np.asarray(maps)
    h, w, c = maps.shape
    rows, cols = grid_shape(c, ncols)
    aspect = rows * (h + 1) / (cols * (w + 1))
    if channel is None:
        fig, ax = plt.subplots(figsize=(width, max(1.5, 0.9 * width * aspect + 0.5)), layout="constrained")
        axes = [ax]
    else:
        fig, axes = plt.subplots(1, 2, figsize=(width, max(3.0, 0.62 * width * aspect + 0.8)),
                                 gridspec_kw={"width_ratios": [1.7, 1]}, layout="constrained")
    scale = display_scale(maps, mode, value_range)
    dead = draw_mosaic(axes[0], maps, mode, value_range=value_range, ncols=ncols, cmap=cmap, highlight=channel,
                       colorbar=colorbar)
    n_dead = int(dead.sum())
    axes[0].set_title((title + ": " if title else "") + f"{c} channels of {h}x{w}, '{scale.mode}' normalisation"
                      + (f", {n_dead} dead (grey)" if n_dead else ""), fontsize=9)
    if channel is not None:
        img = maps[..., int(channel)] if 0 <= int(channel) < c else maps[..., :1]
        draw_channel(axes[1], maps, channel, cmap=cmap or default_cmap(scale),
                     title=f"channel {channel}: its own range, {img.min():.3g} to {img.max():.3g}")
    return fig


def show_layers_overview(acts: dict, layers=None, *, n_channels: int = 8, max_layers: int = 10,
                         mode: str = "channel", value_range=None, cmap=None, size: float = 1.15,
                         colorbar: bool = True):
    """"All layers at a glance": the first ``n_channels`` channels of each layer, one row per
    layer, deeper layers further down (spatial size shrinks, channel count grows; both are in the
    row label). Of ``layers`` (default: all of ``acts``), at most ``max_layers`` evenly spaced
    ones are shown, the first and the last included. ``mode="global"`` with ``value_range`` puts
    every row on one scale; the colour bar says what the colours mean (for the first row's kind
    of values: rows with and without negative values should not be mixed). Returns the figure.

    Example:
        >>> fig = show_layers_overview(helpers.activations(model, image), n_channels=8)
    """
    names = list(acts) if layers is None else list(layers)
    if len(names) > max_layers:
        names = [names[int(round(i))] for i in np.linspace(0, len(names) - 1, max_layers)]
    missing = [n for n in names if n not in acts]
    if missing:
        raise KeyError(f"layers {missing} are not in the activations dict; it has {list(acts)[:6]} ...")
    label_w, bar_w = 2.4, 1.1  # inches for the row labels and the colour bar
    width, height = label_w + size * n_channels + bar_w, size * len(names) + 0.4
    fig, axes = plt.subplots(len(names), 1, figsize=(width, height), squeeze=False)
    fig.subplots_adjust(left=label_w / width, right=1 - bar_w / width, top=1 - 0.3 / height, bottom=0.1 / height,
                        hspace=0.08)
    side = 56  # every channel drawn at 56x56 (area-averaged or repeated), so every row has the same width
    scale = None
    for ax, name in zip(axes[:, 0], names):
        maps = np.asarray(acts[name])
        k = min(n_channels, maps.shape[-1])
        levels, row_scale = display_levels(maps[..., :k], mode, value_range)
        scale = scale or row_scale
        row = lookup_table(cmap or default_cmap(scale))[shrink_maps(levels, (side, side))]
        row[:, :, dead_channels(maps[..., :k])] = _BLANK
        ax.imshow(mosaic(row, ncols=k, pad=3, fill=255), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"{name}\n{maps.shape[0]}x{maps.shape[1]}x{maps.shape[2]}", rotation=0, ha="right",
                      va="center", fontsize=9)
    axes[0, 0].set_title(f"first {n_channels} channels of each layer ('{scale.mode}' normalisation)", fontsize=9)
    if colorbar:
        lo, hi = scale.limits
        cax = fig.add_axes((1 - bar_w / width + 0.15 / width, 0.2, 0.18 / width, 0.6))
        bar = fig.colorbar(ScalarMappable(Normalize(lo, hi), colormap(cmap or default_cmap(scale))), cax=cax)
        bar.set_label(scale.label, fontsize=9)
        bar.ax.tick_params(labelsize=9)
    return fig


def _common_suffix(names) -> str:
    """The longest ``_...`` suffix every name shares (``"_activation"``), or ``""``."""
    names = list(names)
    if len(names) < 2:
        return ""
    tails = {n[n.find("_"):] if "_" in n else "" for n in names}
    if len(tails) == 1:
        return tails.pop()
    ends = {n.rsplit("_", 1)[-1] for n in names}
    return "_" + ends.pop() if len(ends) == 1 and all("_" in n for n in names) else ""


def plot_sparsity(sparsities: dict, dead_fraction: dict | None = None, *, title: str | None = None,
                  fontsize: float = 9):
    """Line plot of the fraction of zero activations per layer, by depth (and optionally the
    fraction of dead channels). Takes dicts ``{layer: fraction}`` in forward order; returns the figure.
    A suffix every layer name shares (``_activation``) is left out of the tick labels, and said so.

    Example:
        >>> acts = helpers.activations(model, image, helpers.layer_names(model, kinds=("activation",)))
        >>> fig = plot_sparsity(helpers.sparsity_by_layer(acts))
    """
    names = list(sparsities)
    x = np.arange(len(names))
    suffix = _common_suffix(names)
    labels = [n[:len(n) - len(suffix)] if suffix else n for n in names]
    longest = max((len(label) for label in labels), default=1)
    per_label = fontsize / 72 * 1.6  # inches a rotated label needs side by side
    fig, ax = plt.subplots(figsize=(max(6.0, per_label * len(names) + 1.5), 2.6 + longest * fontsize / 72 * 0.62),
                           layout="constrained")
    ax.plot(x, [sparsities[n] for n in names], "o-", ms=4, label="zero activations")
    if dead_fraction is not None:
        ax.plot(x, [dead_fraction[n] for n in names], "s--", ms=4, label="dead channels")
    ax.axhline(0.5, color="grey", lw=0.6, ls=":")
    ax.set_ylim(0, 1)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_xticks(x, labels, rotation=90, fontsize=fontsize)
    ax.tick_params(axis="y", labelsize=fontsize)
    ax.set_ylabel("fraction", fontsize=fontsize + 1)
    ax.set_xlabel("layer, input -> output" + (f" (names without '{suffix}')" if suffix else ""), fontsize=fontsize + 1)
    ax.legend(fontsize=fontsize, loc="upper left")
    ax.set_title(title or "How sparse is each layer's output?", fontsize=fontsize + 1)
    return fig
