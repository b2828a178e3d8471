"""Scoring explanations against ground truth (pure numpy): the pointing game, heat mass in a box,
and which channel fires on a known region. Used by notebook 4 (its exercises' checks are in
:mod:`helpers.exercises.capstone`).

Boxes are ``(x0, y0, x1, y1)`` pixel bounds, end exclusive, as :mod:`helpers.datasets` writes
them; a box whose ``x0`` is negative means "no box" (e.g. an image without the marker).

Example:
    >>> heat = np.zeros((10, 10)); heat[2, 7] = 1.0
    >>> pointing_game(heat, (6, 1, 9, 4)), float(heat_in_box(heat, (6, 1, 9, 4)))
    (True, 1.0)
"""

from __future__ import annotations

import numpy as np

from .validation import check_array, check_finite, check_int

__all__ = ["box_selectivity", "heat_in_box", "peak", "pointing_chance", "pointing_game"]


def _heatmaps(heat) -> tuple[np.ndarray, bool]:
    """A heatmap or a batch of them as float64 (N, H, W), and whether it was one map."""
    h = check_array("the heatmap", heat, (2, 3), dtype=np.float64, expected="a heatmap (H, W) or a batch (N, H, W)")
    single = h.ndim == 2
    if single:
        h = h[None]
    if h.shape[1] == 0 or h.shape[2] == 0:
        raise ValueError(f"expected a heatmap (H, W) or a batch (N, H, W) of at least 1 x 1, got shape {h.shape}")
    check_finite("the heatmap", h, "; compute it again (helpers.gradcam never returns NaN)")
    return h, single


def _boxes(boxes, n: int) -> np.ndarray:
    """One (x0, y0, x1, y1) box per heatmap as int64 (n, 4); one box is used for every map."""
    b = check_array("boxes", boxes, (1, 2), expected="one (x0, y0, x1, y1) box or one per heatmap (N, 4)")
    if b.ndim == 1:
        b = np.broadcast_to(b, (n, 4)) if b.shape == (4,) else b
    if b.shape != (n, 4):
        raise ValueError(f"expected one (x0, y0, x1, y1) box per heatmap ({n}), got boxes of shape {np.shape(boxes)}")
    return b.astype(np.int64)


def peak(heat) -> np.ndarray:
    """The ``(x, y)`` pixel of each heatmap's maximum (the first one if several tie).

    Example:
        >>> peak(np.array([[0, 1], [3, 2]]))
        array([0, 1])
    """
    h, single = _heatmaps(heat)
    flat = h.reshape(len(h), -1).argmax(axis=1)
    ys, xs = np.unravel_index(flat, h.shape[1:])
    out = np.stack([xs, ys], axis=1)
    return out[0] if single else out


def pointing_game(heat, boxes, tolerance: int = 0):
    """Does the heatmap's peak fall inside the box (grown by ``tolerance`` pixels on each side)?
    The pointing game of Zhang et al. (2016). ``heat`` (H, W) with one box -> bool; (N, H, W)
    with (N, 4) boxes -> bool array. A missing box (``x0 < 0``) is never hit.

    Example:
        >>> pointing_game(np.eye(5)[None].repeat(2, 0), [(0, 0, 1, 1), (3, 0, 5, 2)])
        array([ True, False])
    """
    h, single = _heatmaps(heat)
    b = _boxes(boxes, len(h))
    t = check_int("tolerance (pixels)", tolerance, 0)
    xy = peak(h)
    hit = ((b[:, 0] >= 0) & (xy[:, 0] >= b[:, 0] - t) & (xy[:, 0] < b[:, 2] + t)
           & (xy[:, 1] >= b[:, 1] - t) & (xy[:, 1] < b[:, 3] + t))
    return bool(hit[0]) if single else hit


def pointing_chance(boxes, tolerance: int = 0, image_size: int = 150) -> float:
    """The pointing game's chance level: the hit rate of a peak placed uniformly at random, i.e.
    the mean share of the image that each box, grown by ``tolerance`` pixels and clipped to the
    ``image_size`` x ``image_size`` image, covers. Missing boxes (``x0 < 0``) are left out.
    Compare a hit rate with it: 80 % means little if the grown boxes cover 60 % of the image.

    Example:
        >>> pointing_chance([(0, 0, 10, 10), (-1, -1, -1, -1)], tolerance=5, image_size=100)
        0.0225
    """
    b = check_array("boxes", boxes, (1, 2), expected="one (x0, y0, x1, y1) box or a list of them (N, 4)")
    if b.shape[-1] != 4:
        raise ValueError(f"boxes must be (x0, y0, x1, y1) each, got boxes of shape {b.shape}")
    b = b.astype(np.int64).reshape(-1, 4)
    t, s = check_int("tolerance (pixels)", tolerance, 0), check_int("image_size", image_size, 1)
    b = b[b[:, 0] >= 0]
    if len(b) == 0:
        raise ValueError("no box to point at: every box is missing (x0 < 0)")
    w = np.clip(b[:, 2] + t, 0, s) - np.clip(b[:, 0] - t, 0, s)
    h = np.clip(b[:, 3] + t, 0, s) - np.clip(b[:, 1] - t, 0, s)
    return round(float(np.mean(w * h)) / (s * s), 6)


def heat_in_box(heat, boxes):
    """Fraction of the heat mass (the sum of the non-negative heat) that lies inside the box;
    0 for a missing box or an all-zero map (never NaN). One map -> float, a batch -> array.

    Example:
        >>> float(heat_in_box(np.ones((10, 10)), (0, 0, 5, 10)))
        0.5
    """
    h, single = _heatmaps(heat)
    h = np.clip(h, 0, None)
    b = _boxes(boxes, len(h))
    total = h.reshape(len(h), -1).sum(axis=1)
    inside = np.zeros(len(h))
    for i, (x0, y0, x1, y1) in enumerate(b):
        if x0 >= 0:
            inside[i] = h[i, max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)].sum()
    frac = np.divide(inside, total, out=np.zeros_like(inside), where=total > 0)
    return float(frac[0]) if single else frac


def box_selectivity(maps, boxes, image_size: int) -> np.ndarray:
    """For each channel of a layer's feature maps ``(N, h, w, C)``: its mean activation inside
    the box (scaled from image pixels ``image_size`` to the map) minus its mean activation
    elsewhere, averaged over the images that have a box. High = the channel fires on what is in
    the box (e.g. a marker detector). Returns float ``(C,)``.

    Example:
        >>> m = np.zeros((1, 4, 4, 2)); m[0, :2, :2, 1] = 5.0
        >>> box_selectivity(m, [(0, 0, 8, 8)], image_size=16)
        array([0., 5.])
    """
    m = check_array("maps", maps, 4, dtype=np.float64, expected="feature maps (N, h, w, C)")
    image_size = check_int("image_size", image_size, 1)
    b = _boxes(boxes, len(m))
    scores, count = np.zeros(m.shape[-1]), 0
    for i, box in enumerate(b):
        if box[0] < 0:
            continue
        mask = _map_mask(box, m.shape[1:3], image_size)
        if mask.all() or not mask.any():
            continue
        scores += m[i][mask].mean(axis=0) - m[i][~mask].mean(axis=0)
        count += 1
    if count == 0:
        raise ValueError("no image has a box that covers part of the map: pass images that carry the marker")
    return scores / count


def _map_mask(box, map_hw, image_size: int) -> np.ndarray:
    """The cells of an (h, w) map whose centres fall inside a box given in image pixels."""
    h, w = map_hw
    ys = (np.arange(h) + 0.5) * image_size / h
    xs = (np.arange(w) + 0.5) * image_size / w
    return ((ys >= box[1]) & (ys < box[3]))[:, None] & ((xs >= box[0]) & (xs < box[2]))[None, :]
