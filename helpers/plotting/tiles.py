"""Tiling: one pure function lays a stack of pictures out as a grid. It serves the activation
mosaics (one tile per channel), the filter atlases (one tile per filter) and the widgets.

No drawing here: numpy in, numpy out.
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_count, check_index, check_int

__all__ = ["atlas_grid", "grid_shape", "mosaic", "tile", "tile_origin", "unmosaic"]


def grid_shape(n: int, ncols: int | None = None) -> tuple[int, int]:
    """``(rows, columns)`` of a grid of ``n`` tiles. The default number of columns is a multiple
    of 8 (so channel numbers are easy to read) giving a roughly 2:1 wide picture.

    Example:
        >>> grid_shape(96)
        (6, 16)
        >>> grid_shape(5, ncols=2)
        (3, 2)
    """
    n = check_count("the number of tiles (a grid needs at least one)", n)
    if ncols is None:
        ncols = n if n <= 8 else 8 * math.ceil(math.sqrt(2 * n) / 8)
    ncols = min(check_count("ncols", ncols), n)
    return math.ceil(n / ncols), ncols


def tile(stack, ncols: int | None = None, pad: int = 1, fill=0) -> np.ndarray:
    """Lay ``stack`` ``(n, h, w[, ...])`` out as one picture: item k goes to row ``k // ncols``,
    column ``k % ncols``; tiles are separated by ``pad`` pixels of ``fill``. Trailing axes (e.g.
    RGB colour) are kept. The dtype is kept.

    Example:
        >>> tile(np.arange(4).reshape(4, 1, 1), ncols=2, pad=0).tolist()
        [[0, 1], [2, 3]]
        >>> tile(np.zeros((3, 4, 4, 3), np.uint8), ncols=2, pad=1, fill=255).shape
        (9, 9, 3)
    """
    a = np.asarray(stack)
    if a.ndim < 3:
        raise ValueError(f"tile needs a stack of shape (n, height, width[, colours]); got shape {a.shape}")
    pad = check_int("pad", pad, 0)
    n, h, w = a.shape[:3]
    extra = a.shape[3:]
    rows, cols = grid_shape(n, ncols)
    tiles = np.full((rows * cols, h + pad, w + pad, *extra), fill, dtype=a.dtype)
    tiles[:n, :h, :w] = a
    big = tiles.reshape(rows, cols, h + pad, w + pad, *extra).swapaxes(1, 2)
    big = big.reshape(rows * (h + pad), cols * (w + pad), *extra)
    return big[:rows * (h + pad) - pad, :cols * (w + pad) - pad]


def mosaic(maps, ncols: int | None = None, pad: int = 1, fill=0) -> np.ndarray:
    """Tile the channels of feature maps ``(h, w, c[, ...])`` into one picture (:func:`tile` of
    the channels).

    Example:
        >>> mosaic(np.arange(4).reshape(1, 1, 4), ncols=2, pad=0).tolist()
        [[0, 1], [2, 3]]
    """
    a = np.asarray(maps)
    if a.ndim < 3:
        raise ValueError(f"mosaic needs maps of shape (height, width, channels); got shape {a.shape}")
    return tile(np.moveaxis(a, 2, 0), ncols=ncols, pad=pad, fill=fill)


def tile_origin(k: int, shape: tuple, ncols: int | None = None, pad: int = 1) -> tuple[int, int]:
    """Top-left pixel ``(y, x)`` of channel ``k``'s tile in :func:`mosaic` of maps of ``shape``
    ``(h, w, c)``.

    Example:
        >>> tile_origin(9, (4, 4, 16), ncols=8)
        (5, 5)
    """
    h, w, c = (int(s) for s in shape[:3])
    k = check_index("channel", k, c, hint=f": this layer has {c} channels")
    _, cols = grid_shape(c, ncols)
    r, col = divmod(int(k), cols)
    return r * (h + pad), col * (w + pad)


def unmosaic(tiled, shape: tuple, ncols: int | None = None, pad: int = 1) -> np.ndarray:
    """Inverse of :func:`mosaic`: recover the ``(h, w, c)`` stack from a mosaic picture.

    Example:
        >>> x = np.random.rand(5, 4, 7); np.array_equal(unmosaic(mosaic(x), x.shape), x)
        True
    """
    t = np.asarray(tiled)
    h, w, c = (int(s) for s in shape[:3])
    rows, cols = grid_shape(c, ncols)
    expected = (rows * (h + pad) - pad, cols * (w + pad) - pad)
    if t.shape[:2] != expected:
        raise ValueError(f"a mosaic of {c} maps of {h}x{w} (pad {pad}) is {expected[0]}x{expected[1]} pixels; "
                         f"got {t.shape[:2]}")
    out = np.empty((h, w, c, *t.shape[2:]), dtype=t.dtype)
    for k in range(c):
        y, x = tile_origin(k, (h, w, c), ncols, pad)
        out[:, :, k] = t[y:y + h, x:x + w]
    return out


def atlas_grid(patterns, ncols: int = 8, pad: int = 2, fill: int = 255) -> np.ndarray:
    """Filter patterns ``(n, h, w, 3)`` as one uint8 picture, white gaps (:func:`tile`).

    Example:
        >>> atlas_grid(np.zeros((3, 4, 4, 3), np.uint8), ncols=2, pad=1).shape
        (9, 9, 3)
    """
    p = np.asarray(patterns)
    if p.ndim != 4:
        raise ValueError(f"patterns must be (n, h, w, channels), got shape {p.shape}")
    return tile(p.astype(np.uint8, copy=False), ncols=ncols, pad=pad, fill=fill)
