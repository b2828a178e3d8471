"""helpers.plotting's figures and display levels: zero keeps its colour, colour bars say what colours mean,
labels are legible, kernels come with a key, the MBConv diagram is read from the model."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import helpers
from helpers.plotting import (
    display_levels, display_scale, mosaic_rgb, plot_sparsity, show_block_diagram, show_kernels,
    show_layers_overview, show_mosaic, tile_origin)
from helpers.plotting.colour import lookup_table
from helpers.plotting.diagrams import block_rows
from helpers.plotting.figures import KERNEL_KEY
from helpers.plotting.levels import DIVERGING, SEQUENTIAL, default_cmap

MODES = ("channel", "layer", "global")


def _maps(signed: bool) -> np.ndarray:
    rng = np.random.default_rng(0)
    maps = rng.random((6, 6, 4)).astype(np.float32) * np.array([1.0, 0.1, 5.0, 2.0], np.float32)
    maps[0, 0] = 0.0                      # a zero in every channel
    if signed:
        maps[1, 1] = -maps.max()
    return maps


@pytest.mark.parametrize("signed", [False, True])
def test_zero_gets_the_same_colour_under_every_normalisation(signed):
    maps = _maps(signed)
    colours = set()
    for mode in MODES:
        levels, scale = display_levels(maps, mode, value_range=(float(maps.min()) * 2, float(maps.max()) * 3))
        assert scale.signed is signed
        rgb = lookup_table(default_cmap(scale))[levels]
        colours |= {tuple(rgb[0, 0, k]) for k in range(4)}
    assert len(colours) == 1                      # every channel, every mode: the one colour of 0
    expected = lookup_table(DIVERGING)[128] if signed else lookup_table(SEQUENTIAL)[0]
    assert colours == {tuple(expected)}


def test_the_scales_peaks_are_the_brightest_colour():
    maps = _maps(False)
    levels, scale = display_levels(maps, "channel")
    assert np.all(levels.reshape(-1, 4).max(0) == 255)                  # each channel reaches the top
    np.testing.assert_allclose(scale.peak, maps.max(axis=(0, 1)))
    levels, scale = display_levels(maps, "layer")
    assert levels[..., 2].max() == 255 and levels[..., 1].max() < 10    # the weak channel stays dark
    assert scale.limits == (0.0, pytest.approx(float(maps.max())))
    levels, scale = display_levels(maps, "global", value_range=(0.0, 2 * float(maps.max())))
    assert levels.max() == 128 and scale.label.startswith("activation")
    assert display_scale(maps, "channel").limits == (0.0, 1.0)
    top = float(maps.max())
    assert display_scale(-maps, "Layer").limits == pytest.approx((-top, top))   # negative values: symmetric


def test_display_levels_refuse_bad_input_with_the_valid_choices():
    with pytest.raises(ValueError, match="'channel', 'layer', 'global'"):
        display_levels(np.zeros((2, 2, 1)), "per-pixel")
    with pytest.raises(ValueError, match="value_range"):
        display_levels(np.zeros((2, 2, 1)), "global")
    with pytest.raises(ValueError, match="low <= high"):
        display_levels(np.zeros((2, 2, 1)), "global", value_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="NaN"):
        display_levels(np.full((2, 2, 1), np.nan), "layer")
    with pytest.raises(ValueError, match="height, width, channels"):
        display_levels(np.zeros((2, 2)), "layer")
    levels, _ = display_levels(np.zeros((3, 3, 2)), "channel")   # all zero: level 0, no NaN
    assert levels.max() == 0


def test_mosaic_draws_zero_dark_dead_grey_and_a_colour_bar(cat_224):
    maps = np.random.default_rng(6).random((10, 10, 5)).astype(np.float32)
    maps[..., 3] = 0.0
    maps[0, 0, 0] = 0.0
    rgb, dead = mosaic_rgb(maps, "layer")
    y, x = tile_origin(3, maps.shape)
    assert dead.tolist() == [False, False, False, True, False] and np.all(rgb[y:y + 10, x:x + 10] == 225)
    assert tuple(rgb[0, 0]) == tuple(lookup_table(SEQUENTIAL)[0])
    fig = show_mosaic(maps, "layer", title="t")
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and bars[0].get_ylabel() == "activation"
    assert bars[0].get_ylim() == pytest.approx((0.0, float(maps.max())))
    plt.close(fig)
    fig = show_mosaic(maps, "channel", channel=2)
    labels = sorted(ax.get_ylabel() for ax in fig.axes if ax.get_label() == "<colorbar>")
    assert labels == ["", "fraction of each channel's own peak |value|"]       # the mosaic's and the channel's
    assert "its own range" in fig.axes[1].get_title()
    plt.close(fig)


def test_overview_rows_share_one_global_scale_and_width(default_model, cat_224):
    layers = ["stem_activation", "block2a_expand_activation", "top_activation"]
    acts = helpers.activations(default_model, cat_224, layers)
    fig = show_layers_overview(acts, mode="global", value_range=helpers.value_range(acts))
    rows = fig.axes[:3]
    assert [ax.get_ylabel().split("\n")[0] for ax in rows] == layers
    assert len({ax.images[0].get_array().shape for ax in rows}) == 1          # same width, whatever the map size
    bar = fig.axes[3]
    assert bar.get_ylim() == pytest.approx((0.0, 6.0)) and "several layers" in bar.get_ylabel()
    plt.close(fig)


def test_sparsity_labels_are_legible_and_say_what_was_dropped():
    names = [f"block{i}a_activation" for i in range(1, 40)]
    fig = plot_sparsity({n: i / 40 for i, n in enumerate(names)}, {n: 0.1 for n in names})
    ax = fig.axes[0]
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks][:2] == ["block1a", "block2a"]
    assert min(t.get_fontsize() for t in ticks) >= 9 and ax.yaxis.get_ticklabels()[0].get_fontsize() >= 9
    assert "without '_activation'" in ax.get_xlabel()
    fig.canvas.draw()                                                         # tick labels do not overlap
    boxes = [t.get_window_extent() for t in ticks]
    assert all(a.x1 <= b.x0 + 0.5 for a, b in zip(boxes, boxes[1:]))
    plt.close(fig)
    fig = plot_sparsity({"stem_conv": 0.1, "top_activation": 0.5})              # nothing shared: full names
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["stem_conv", "top_activation"]
    plt.close(fig)


def test_kernels_come_with_a_key_in_their_own_encoding(default_model):
    kernels = helpers.first_layer_kernels(default_model)
    fig = show_kernels(kernels, ncols=16, size=0.6, title="k")
    key = next(ax for ax in fig.axes if [t.get_text() for t in ax.get_xticklabels()] == [k for k, _ in KERNEL_KEY])
    assert key.images[0].get_array()[0, 0].tolist() == [128, 128, 128]       # weight 0 is mid-grey
    kernel_axes = [ax for ax in fig.axes if ax.images and ax is not key]
    assert len(kernel_axes) == 32 and all(ax.get_title() == str(i) for i, ax in enumerate(kernel_axes))
    assert any("mid-grey 0" in t.get_text() for ax in fig.axes for t in ax.texts)
    plt.close(fig)
    # the key's colours are what first_layer_kernels gives a kernel with one weight per sign
    w = np.zeros((1, 1, 3))
    w[0, 0, 0] = 1.0                                                           # +red only
    assert tuple(np.round(np.clip(0.5 + 0.5 * w / np.abs(w).max(), 0, 1) * 255).astype(int)[0, 0]) == \
        dict(KERNEL_KEY)["+red"]
    plt.close(show_kernels(kernels[:4], ncols=4, legend=False))


def test_block_diagram_is_read_from_the_model(default_model):
    rows = block_rows(default_model, "block2b")
    assert rows[0][:2] == ("block2a_project_bn", "input")
    assert [r[1] for r in rows[1:]] == ["expand"] * 3 + ["depthwise"] * 3 + ["project"] * 2 + ["add"]
    assert ("block2b_dwconv", "depthwise", "DepthwiseConv2D 3x3", (56, 56, 144)) in rows
    assert rows[3][2] == "ReLU6"
    fig = show_block_diagram(default_model, "block2b")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "skip" in texts and "block2b_add" in texts and "Conv2D 1x1  56x56x144" in texts
    plt.close(fig)
    with pytest.raises(KeyError, match="block2b"):
        block_rows(default_model, "block99z")
