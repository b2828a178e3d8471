"""Which layers a class activation map can use: the default (the last spatial layer before the
global pooling) and the menu of layers worth a map, each found once per model and cached.
"""

from __future__ import annotations

import keras

from ..layers import is_spatial, iter_layers, output_shape
from ..validation import check_model
from .store import cam_store

__all__ = ["cam_layers", "check_resolution", "default_layer"]


def check_resolution(fmaps_shape, layer: str | None) -> None:
    """Refuse feature maps with a single location (1 x 1): their heatmap would be uniform."""
    h, w = (int(s) for s in tuple(fmaps_shape)[-3:-1])
    if h * w == 1:
        where = f"layer {layer!r} gives" if layer is not None else "got"
        raise ValueError(f"{where} a 1 x 1 feature map for this input: one location, so its heatmap "
                         "would be uniform. Use a larger image (e.g. helpers.load_image(source, size=224)) or an "
                         "earlier layer: helpers.cam.cam_layers(model) lists them")


def default_layer(model: keras.Model) -> str:
    """The last layer with a spatial (N, H, W, C) output before the global pooling -- where
    Grad-CAM looks by default (``"top_activation"`` for EfficientNet-Lite0). Found once per model.

    Example:
        >>> default_layer(helpers.load_model())
        'top_activation'
    """
    return cam_store(model).get_or_make(("default_layer",), lambda: _find_default_layer(model))


def _find_default_layer(model: keras.Model) -> str:
    last = None
    for ref in iter_layers(model):
        if ref.kind != "model" and is_spatial(ref) and 1 not in output_shape(ref)[1:3]:
            last = ref.name
    if last is None:
        raise ValueError(f"model {model.name!r} has no layer with a spatial output (N, height, width, channels): "
                         "Grad-CAM needs convolutional feature maps")
    return last


def cam_layers(model: keras.Model) -> list[str]:
    """Layers worth a Grad-CAM, deepest first: activations, residual adds, pooling, plus the
    default layer (earlier layers give finer but noisier maps).

    Example:
        >>> cam_layers(model)[0]
        'top_activation'
    """
    check_model(model)
    return list(cam_store(model).get_or_make(("cam_layers",), lambda: tuple(_cam_layers(model))))


def _cam_layers(model: keras.Model) -> list[str]:
    names = []
    for ref in iter_layers(model):
        if ref.kind == "model" or not is_spatial(ref) or 1 in output_shape(ref)[1:3]:
            continue
        act = getattr(ref.layer, "activation", None)
        if ref.kind in ("activation", "pool") or type(ref.layer).__name__ == "Add" or (
                ref.kind == "conv" and act not in (None, keras.activations.linear)):
            names.append(ref.name)
    default = default_layer(model)
    if default not in names:
        names.append(default)
    return names[::-1]
