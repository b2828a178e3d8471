"""Tests of helpers.plotting's pure parts: tiling and colours."""
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
