"""Which channels make a Grad-CAM map hot at one place: activation x gradient, per channel.

Grad-CAM's map at cell ``(i, j)`` of a layer is ``ReLU(sum_k alpha_k * A[i, j, k])`` with
``alpha_k`` the class score's gradient for channel ``k`` averaged over the map. Each term
``alpha_k * A[i, j, k]`` is channel ``k``'s *contribution* there: the terms add up to the map's
value before the ReLU and the normalisation, so the largest ones are the channels that make that
cell hot (``weights="gradcam"``). ``weights="local"`` uses the gradient at that cell instead,
``A[i, j, k] * dscore/dA[i, j, k]``: the first-order (Taylor) share of the score that the
activation carries. At a layer followed only by global average pooling and a Dense layer the
gradient is the same at every cell, and the two agree.

Numpy in, numpy out, no model: the explorer (:mod:`helpers.widgets.where_what`) feeds it the
cached feature maps and gradients of a :class:`helpers.cam.Context`.

Example:
    >>> a = np.array([[[1.0, 2.0], [3.0, 0.0]]])          # a 1 x 2 map, 2 channels
    >>> g = np.array([[[1.0, -1.0], [3.0, 1.0]]])          # mean gradients: 2, 0
    >>> location_contributions(a, g, 0, 1)                  # at cell (0, 1): 3 x 2, 0 x 0
    array([6., 0.])
    >>> top_channels(np.array([0.5, 2.0, -1.0, 2.0]), 3)    # ties: the lower index first
    (array([1, 3, 0]), array([2. , 2. , 0.5]))
"""

from __future__ import annotations

import numpy as np

from ..validation import check_array, check_choice, check_int
from .maths import gradcam_weights

__all__ = ["CONTRIBUTION_WEIGHTS", "location_contributions", "top_channels"]

CONTRIBUTION_WEIGHTS = ("gradcam", "local")


def location_contributions(fmaps, grads, row: int, col: int, *, weights: str = "gradcam") -> np.ndarray:
    """Each channel's contribution (c,) to the class evidence at cell ``(row, col)`` of one image's
    feature maps ``fmaps`` (h, w, c), given the class score's gradients ``grads`` (h, w, c).

    ``weights="gradcam"``: ``A[row, col, k] * mean_ij(grads[i, j, k])``; they sum to the Grad-CAM
    map's raw value at that cell. ``weights="local"``: ``A[row, col, k] * grads[row, col, k]``.

    Raises:
        ValueError: arrays that are not (h, w, c) or differ in shape; an unknown ``weights``;
        ``row`` / ``col`` outside the map (the message gives the range).

    Example:
        >>> a, g = np.ones((2, 2, 3)), np.arange(12.0).reshape(2, 2, 3)
        >>> location_contributions(a, g, 1, 1, weights="local")
        array([ 9., 10., 11.])
    """
    a = check_array("fmaps", fmaps, (3,), dtype=np.float64, expected="one image's feature maps (h, w, c)")
    g = check_array("grads", grads, (3,), dtype=np.float64, expected="their gradients (h, w, c)")
    if a.shape != g.shape:
        raise ValueError(f"fmaps {a.shape} and grads {g.shape} must have the same shape (h, w, c)")
    weights = check_choice("weights", weights, CONTRIBUTION_WEIGHTS)
    h, w = a.shape[:2]
    row, col = check_int("row", row, 0, h - 1), check_int("col", col, 0, w - 1)
    per_channel = gradcam_weights(g) if weights == "gradcam" else g[row, col]
    return a[row, col] * per_channel


def top_channels(contributions, top: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``top`` largest contributions, descending: ``(channel indices, values)``. Equal values keep
    the lower channel index first; ``top`` larger than the number of channels gives them all.

    Example:
        >>> top_channels(np.array([1.0, -2.0, 3.0]), 5)
        (array([2, 0, 1]), array([ 3.,  1., -2.]))
    """
    c = check_array("contributions", contributions, (1,), dtype=np.float64, expected="one value per channel (c,)")
    top = check_int("top", top, 1)
    order = np.argsort(-c, kind="stable")[:top]
    return order, c[order]
