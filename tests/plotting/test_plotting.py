"""Tests of helpers.plotting's pure parts: tiling and colours."""
import cv2
import numpy as np
import pytest

import helpers
from helpers.plotting import atlas_grid, grid_shape, tile, tile_origin


def test_mosaic_round_trip_and_tile_positions():
    rng = np.random.default_rng(2)
    maps = rng.random((5, 7, 11)).astype(np.float32)
    for ncols, pad in [(None, 1), (4, 0), (3, 2), (11, 1), (1, 1)]:
        tiled = helpers.mosaic(maps, ncols=ncols, pad=pad, fill=-1)
        rows, cols = grid_shape(11, ncols)
        assert tiled.shape == (rows * (5 + pad) - pad, cols * (7 + pad) - pad)
        for k in range(11):
            y, x = tile_origin(k, maps.shape, ncols, pad)
            assert (y, x) == ((k // cols) * (5 + pad), (k % cols) * (7 + pad))
            np.testing.assert_array_equal(tiled[y:y + 5, x:x + 7], maps[..., k])  # tile k == channel k
        np.testing.assert_array_equal(helpers.unmosaic(tiled, maps.shape, ncols, pad), maps)
    # empty tiles and padding hold the fill value
    t = helpers.mosaic(np.ones((2, 2, 3)), ncols=2, pad=1, fill=9)
    assert t.shape == (5, 5) and t[2, 0] == 9 and np.all(t[3:, 3:] == 9)
    # trailing colour axes are carried along
    rgb = rng.integers(0, 255, (3, 3, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(helpers.unmosaic(helpers.mosaic(rgb), (3, 3, 5)), rgb)


def test_grid_shape_defaults_and_errors():
    assert grid_shape(96) == (6, 16)
    assert grid_shape(32) == (4, 8)
    assert grid_shape(3) == (1, 3)
    rows, cols = grid_shape(1280)
    assert cols % 8 == 0 and rows * cols >= 1280 and (rows - 1) * cols < 1280
    with pytest.raises(ValueError):
        grid_shape(0)
    with pytest.raises(IndexError, match="0..95"):
        tile_origin(96, (4, 4, 96))
    with pytest.raises(ValueError, match="pixels"):
        helpers.unmosaic(np.zeros((10, 10)), (4, 4, 96))


def test_tile_is_the_one_layout_for_mosaics_and_atlases():
    stack = np.random.default_rng(3).integers(0, 255, (5, 4, 6, 3), dtype=np.uint8)
    # a mosaic of maps (h, w, c) is the tiling of its channels
    maps = np.moveaxis(stack[..., 0], 0, 2)
    np.testing.assert_array_equal(helpers.mosaic(maps, ncols=2, pad=1), tile(stack[..., 0], ncols=2, pad=1))
    # an atlas is the tiling of the patterns with white gaps
    grid = atlas_grid(stack, ncols=2, pad=2)
    assert grid.shape == (3 * 4 + 2 * 2, 2 * 6 + 2, 3)
    np.testing.assert_array_equal(grid[6:10, 8:14], stack[3])  # row 1, column 1
    assert np.all(grid[4:6] == 255) and np.all(grid[12:, 8:] == 255)  # gap rows, the empty 6th tile
    with pytest.raises(ValueError, match="pad"):
        tile(stack, pad=-1)
    with pytest.raises(ValueError, match="ncols"):
        tile(stack, ncols=0)


def test_colorize_uses_the_colour_map_ends():
    rgb = helpers.colorize(np.array([[0.0, 1.0]]), "jet")
    assert rgb.shape == (1, 2, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0, 2] > 100 and rgb[0, 0, 0] < 10   # jet starts dark blue
    assert rgb[0, 1, 0] > 100 and rgb[0, 1, 2] < 10   # ... and ends dark red
    with pytest.raises(ValueError, match="jet"):
        helpers.colorize(np.zeros((2, 2)), "no-such-map")


def test_overlay_default_is_turbo_and_fades_with_the_heat():
    """Hand-made arrays: zero heat leaves the photo as it is; full heat at alpha a gives
    (1 - a) * image + a * turbo's top colour; half heat weighs the colour a * 0.5 ** 0.5."""
    from helpers.plotting import colour

    assert colour.DEFAULT_COLORMAP == "turbo" and colour.FADE == 0.5
    image = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    np.testing.assert_array_equal(helpers.overlay(image, np.zeros((6, 8))), image)
    np.testing.assert_array_equal(helpers.overlay(image, np.zeros((3, 4)), alpha=1.0), image)
    top = cv2.cvtColor(cv2.applyColorMap(np.full((1, 1), 255, np.uint8), cv2.COLORMAP_TURBO),
                       cv2.COLOR_BGR2RGB)[0, 0].astype(np.float64)
    mid = cv2.cvtColor(cv2.applyColorMap(np.full((1, 1), 128, np.uint8), cv2.COLORMAP_TURBO),
                       cv2.COLOR_BGR2RGB)[0, 0].astype(np.float64)
    for a in (0.0, 0.4, 0.75, 1.0):
        expected = np.clip(np.round((1 - a) * image + a * top), 0, 255)
        np.testing.assert_array_equal(helpers.overlay(image, np.ones((6, 8)), alpha=a), expected)
    half = np.full((6, 8), 0.5)
    w = 0.4 * 0.5 ** 0.5
    np.testing.assert_array_equal(helpers.overlay(image, half), np.round((1 - w) * image + w * mid))
    # fade=0: the textbook's uniform blend, the same alpha at every pixel (even where the heat is 0)
    zero = cv2.cvtColor(cv2.applyColorMap(np.zeros((1, 1), np.uint8), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)[0, 0]
    np.testing.assert_array_equal(helpers.overlay(image, np.zeros((6, 8)), 0.4, "jet", fade=0),
                                  np.round(0.6 * image + 0.4 * zero.astype(np.float64)))
    # values outside [0, 1] are clipped, not extrapolated
    np.testing.assert_array_equal(helpers.overlay(image, np.full((6, 8), -3.0)), image)
    np.testing.assert_array_equal(helpers.overlay(image, np.full((6, 8), 7.0)), helpers.overlay(image, np.ones((6, 8))))
    for bad in (-0.1, np.nan, np.inf, "1", True):
        with pytest.raises(ValueError, match="fade"):
            helpers.overlay(image, half, fade=bad)


def test_colorize_default_is_opencv_turbo():
    levels = np.arange(0, 256, 17, dtype=np.uint8)[None]
    expected = cv2.cvtColor(cv2.applyColorMap(levels, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(helpers.colorize(levels / 255.0), expected)


# --------------------------------------------------------------------------- helpers.plotting.cam_figures
def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]


def test_overlays_keep_the_pictures_real_shape_and_have_one_colour_bar():
    import matplotlib.pyplot as plt

    from helpers.plotting import cam_figures as cf

    image = np.zeros((8, 8, 3), np.uint8)
    heat = np.linspace(0, 1, 64).reshape(8, 8)
    fig = cf.show_overlays(image, [heat, heat.T], ["a", "b"], aspect=2.0)
    axes = _image_axes(fig)
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    assert all(ax.get_aspect() == 0.5 for ax in axes)            # a square array drawn twice as wide as tall
    np.testing.assert_array_equal(axes[0].images[0].get_array(), helpers.overlay(image, heat))
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 1
    fig = cf.show_cam_panels(image, heat[::2, ::2], overlaid=heat, aspect=2.0)
    assert [ax.get_title() for ax in _image_axes(fig)] == ["picture", "heat alone, 4x4", "heat over the picture"]
    plt.close("all")
    for bad in (0, 20, "2", True):
        with pytest.raises(ValueError, match="aspect"):
            cf.show_overlays(image, [heat], aspect=bad)


def test_boxed_cams_draw_the_boxes_the_inset_and_a_grey_picture():
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from helpers import datasets
    from helpers.plotting import cam_figures as cf

    data = datasets.make_shapes(3, seed=0, marker_rates=(1.0, 0.0))   # circles carry the marker
    heat = np.zeros((3, 150, 150))
    fig = cf.show_boxed_cams(data.images, {"Grad-CAM": heat}, boxes=data.boxes, marker_boxes=data.marker_boxes,
                             titles=["x", "y", "z"])
    grid = fig.axes[:6]                                               # 2 rows (overlay, heat alone) x 3 images
    boxes_drawn = sum(isinstance(p, Rectangle) and p.get_edgecolor()[:3] == (1.0, 1.0, 1.0)
                      for ax in grid for p in ax.patches)
    n_markers = int(data.has_marker.sum())
    assert boxes_drawn == 2 * (3 + n_markers)                          # object + marker, in both rows
    insets = [child for ax in grid for child in ax.child_axes]         # the zoom, on the overlay row only
    assert len(insets) == n_markers and all(child.images for child in insets)
    shown = grid[0].images[0].get_array()                              # zero heat over a grey picture: grey
    assert np.all(shown[..., 0] == shown[..., 1]) and np.all(shown[..., 1] == shown[..., 2])
    assert [grid[i].get_title() for i in range(3)] == ["x", "y", "z"]
    plt.close("all")
    with pytest.raises(TypeError, match="dict"):
        cf.show_boxed_cams(data.images, heat)
    with pytest.raises(ValueError, match="2 maps for 3 images"):
        cf.show_boxed_cams(data.images, {"a": heat[:2]})
    with pytest.raises(ValueError, match="one .* box per image"):
        cf.show_boxed_cams(data.images, {"a": heat}, boxes=data.boxes[:2])


def test_same_scale_needs_one_size_and_draws_each_pixel_alike():
    import matplotlib.pyplot as plt

    from helpers.plotting import cam_figures as cf

    pics = [np.zeros((64, 64, 3), np.uint8), np.full((64, 64, 3), 255, np.uint8)]
    small, big = cf.show_same_scale(pics, scale=2.0), cf.show_same_scale(pics, scale=4.0)
    assert big.get_size_inches()[0] > 1.8 * small.get_size_inches()[0]
    axes = _image_axes(big)
    assert {ax.images[0].get_interpolation() for ax in axes} == {"nearest"}
    plt.close("all")
    with pytest.raises(ValueError, match="one size"):
        cf.show_same_scale([pics[0], np.zeros((60, 60, 3), np.uint8)])
