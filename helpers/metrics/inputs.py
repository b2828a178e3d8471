"""What a metric does with a heatmap before any pass: check it and bring it to the model's input size.

A metric compares a heatmap with the picture the model sees, which :func:`helpers.cam.inputs.prepare_input`
stretches to the model's input size (224 x 224 here). A heatmap may come at the picture's size (what
:func:`helpers.gradcam` returns), at the input size, or at a layer's resolution (7 x 7); it is resized
bilinearly to the input size. Its height : width ratio must match the picture's -- a transposed map
of a non-square picture is refused, not silently stretched.

Example:
    >>> map_at_input(np.ones((7, 7)), (100, 100), (224, 224)).shape
    (224, 224)
"""

from __future__ import annotations

import cv2
import numpy as np

from ..validation.args import check_map

__all__ = ["map_at_input", "maps_at_input"]

ASPECT_TOLERANCE = 0.05  # relative difference of height / width ratios still taken as "the same shape"


def map_at_input(heatmap, image_hw, input_hw, value_range=None, name: str = "heatmap") -> np.ndarray:
    """One checked 2-D heatmap as float32 at ``input_hw``; the image it belongs to is ``image_hw``.

    Raises:
        TypeError: not a numeric array. ValueError: not 2-D, empty, NaN / infinite, outside ``value_range``,
        or a height : width ratio unlike the image's (the message gives both shapes).
    """
    h = check_map(name, heatmap, ndims=(2,), value_range=value_range)
    return _resize(h, image_hw, input_hw, name)


def maps_at_input(heatmaps, image_hw, input_hw, count: int, value_range=None) -> np.ndarray:
    """``count`` heatmaps (count, h, w) -- or one (h, w) map when ``count`` is 1 -- as float32 (count, H, W).

    Raises:
        as :func:`map_at_input`; ValueError: a number of maps unlike the number of images.
    """
    h = check_map("heatmap", heatmaps, ndims=(2, 3), value_range=value_range)
    if h.ndim == 2:
        h = h[None]
    if len(h) != count:
        raise ValueError(f"got {len(h)} heatmaps for {count} images: give one (height, width) map per image")
    return np.stack([_resize(m, image_hw, input_hw, "heatmap") for m in h])


def _resize(h: np.ndarray, image_hw, input_hw, name: str) -> np.ndarray:
    ratio, want = h.shape[0] / h.shape[1], image_hw[0] / image_hw[1]
    if abs(ratio - want) > ASPECT_TOLERANCE * want:
        raise ValueError(f"{name} has shape {h.shape} but the image is {image_hw[0]} x {image_hw[1]}: give a map of "
                         "the image's shape (height, width), e.g. what helpers.gradcam returns for it")
    if h.shape != tuple(input_hw):
        h = cv2.resize(h, (int(input_hw[1]), int(input_hw[0])), interpolation=cv2.INTER_LINEAR)
    return h.astype(np.float32)
