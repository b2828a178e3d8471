"""First-layer kernels: no optimisation needed, a first-layer filter's weights *are* its pattern."""

from __future__ import annotations

import keras
import numpy as np

from ..layers import find_layer, iter_layers, layer_kind
from ..validation import check_choice

__all__ = ["first_layer_kernels"]


def first_layer_kernels(model: keras.Model, layer: str | None = None, *, normalize: str = "each") -> np.ndarray:
    """The first convolution's raw weights as little RGB pictures: uint8 (filters, k, k, 3).

    No optimisation: a first-layer filter is a weighted sum of the input colours, so its
    weights *are* its preferred pattern. Gray = weight 0, brighter = positive weight per colour.
    ``normalize="each"`` stretches every kernel to its own largest |weight|; ``"all"`` uses one
    scale for all (so weak kernels look faint). Models fed in BGR order (caffe preprocessing,
    e.g. VGG16) are flipped back to RGB.

    Example:
        >>> first_layer_kernels(load_model()).shape      # stem_conv: 32 kernels of 3x3x3
        (32, 3, 3, 3)
    """
    normalize = check_choice("normalize", normalize, ("each", "all"), ignore_case=True)
    if layer is None:
        refs = [r for r in iter_layers(model) if layer_kind(r.layer) == "conv" and _kernel_in_channels(r.layer) == 3]
        if not refs:
            raise ValueError("this model has no convolution on the 3 RGB input channels")
        ref = refs[0]
    else:
        ref = find_layer(model, layer)
        if layer_kind(ref.layer) != "conv" or _kernel_in_channels(ref.layer) != 3:
            raise ValueError(f"layer {layer!r} is not a convolution on the 3 RGB input channels, so its kernels "
                             "are not pictures; use the model's first convolution (layer=None)")
    w = np.asarray(ref.layer.kernel.numpy())
    w = np.transpose(w, (3, 0, 1, 2)).astype(np.float64)  # (filters, k, k, 3)
    if _is_bgr(model):
        w = w[..., ::-1]
    axes = (1, 2, 3) if normalize == "each" else None
    peak = np.abs(w).max(axis=axes, keepdims=normalize == "each")
    w = 0.5 + 0.5 * w / np.maximum(peak, 1e-12)
    return np.round(np.clip(w, 0, 1) * 255).astype(np.uint8)


def _kernel_in_channels(layer) -> int | None:
    kernel = getattr(layer, "kernel", None)
    if kernel is None or len(kernel.shape) != 4 or type(layer).__name__ != "Conv2D":
        return None
    return int(kernel.shape[2])


def _is_bgr(model) -> bool:
    return any(getattr(r.layer, "mode", None) == "caffe" for r in iter_layers(model))
