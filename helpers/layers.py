"""Layers by name: find a layer (also inside nested models), list a model's layers in forward
order with their kinds and shapes, and find what feeds a layer. Public Keras APIs only.

Example:
    >>> layer_names(load_model(), kinds=("pool",))
    []
    >>> find_layer(load_model(), "block2a_dwconv").kind
    'conv'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import keras

from .validation import check_kinds, check_model_type, layer_name

__all__ = ["KINDS", "LayerRef", "find_layer", "is_spatial", "iter_layers", "layer_kind", "layer_names", "output_shape",
           "predecessor", "require_spatial"]

_CONV = ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")
_POOL = ("MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D")
KINDS = ("conv", "pool", "activation", "other", "model")
_ACTIVATION = ("ReLU", "Activation", "LeakyReLU", "PReLU", "ELU", "Softmax")

@dataclass(frozen=True)
class LayerRef:
    """A layer found in a model: the layer, and the chain of nested models that contain it."""

    layer: keras.layers.Layer
    parents: tuple  # outermost first; empty for a top-level layer

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def kind(self) -> str:
        return layer_kind(self.layer)


def layer_kind(layer) -> str:
    """``"conv"``, ``"pool"``, ``"activation"``, ``"model"`` (a nested model) or ``"other"``."""
    if isinstance(layer, keras.Model):
        return "model"
    names = {cls.__name__ for cls in type(layer).__mro__}
    if names & set(_CONV):
        return "conv"
    if names & set(_POOL):
        return "pool"
    if names & set(_ACTIVATION):
        return "activation"
    return "other"


def iter_layers(model: keras.Model, _parents: tuple = ()):
    """All layers in forward order, entering nested models (the nested model itself comes first)."""
    check_model_type(model)  # a model name ...: the TypeError that says to call helpers.load_model first
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        yield LayerRef(layer, _parents)
        if isinstance(layer, keras.Model):
            yield from iter_layers(layer, _parents + (layer,))


def find_layer(model: keras.Model, name: str) -> LayerRef:
    """Find a layer by name (or a Keras layer object, by its name), also inside nested models.

    Raises:
        TypeError: not a model (e.g. its name). LayerTypeError (a TypeError and a KeyError): ``name``
            is neither a string nor a layer.
        KeyError: no such layer; the message lists the closest names.

    Example:
        >>> find_layer(load_model(), "top_activation").layer.name
        'top_activation'
    """
    check_model_type(model)
    name = layer_name(name)
    refs = list(iter_layers(model))
    for ref in refs:
        if ref.name == name:
            return ref
    all_names = [r.name for r in refs]
    close = difflib.get_close_matches(name, all_names, n=5, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else (
        f"the model's layers include {', '.join(all_names[:8])}, ...")
    raise KeyError(f"no layer named {name!r} in model {model.name!r}; {hint} "
                   "(helpers.layer_names(model) lists them all)")


def output_shape(ref: LayerRef) -> tuple:
    """Output shape of a found layer, e.g. ``(None, 112, 112, 32)``."""
    out = ref.layer.output
    if isinstance(out, (list, tuple)):
        out = out[0]
    return tuple(out.shape)


def is_spatial(ref: LayerRef) -> bool:
    """True when the layer outputs a batch of feature maps ``(N, H, W, C)``."""
    try:
        return len(output_shape(ref)) == 4
    except (AttributeError, ValueError):
        return False


def layer_names(model: keras.Model, kinds=("conv", "pool", "activation"), *, spatial: bool = True,
                with_shapes: bool = False):
    """Layer names in forward order, for dropdowns and loops (nested models included).

    Args:
        kinds: which layer kinds to list (``"conv"``, ``"pool"``, ``"activation"``, ``"other"``,
            ``"model"``), or ``"all"``.
        spatial: only layers whose output is a stack of feature maps (N, H, W, C).
        with_shapes: return ``(name, (h, w, c))`` pairs instead of names.

    Raises:
        TypeError: not a model (e.g. its name: call helpers.load_model first).
        ValueError: the model has no convolution layer at all.

    Example:
        >>> layer_names(load_model(), kinds=("conv",))[:3]
        ['stem_conv', 'block1a_dwconv', 'block1a_project_conv']
    """
    check_model_type(model)
    kinds = check_kinds(kinds, KINDS)
    refs = list(iter_layers(model))
    if not any(r.kind == "conv" for r in refs):
        raise ValueError(f"model {model.name!r} has no convolution layer: convnet-vis shows what a "
                         "*convolutional* network sees (feature maps, filters, class heatmaps)")
    result = []
    for ref in refs:
        if ref.kind not in kinds or (spatial and not is_spatial(ref)):
            continue
        result.append((ref.name, output_shape(ref)[1:]) if with_shapes else ref.name)
    return result


def require_spatial(model: keras.Model, name: str, purpose: str = "a feature map") -> LayerRef:
    """Find a layer and check that it outputs feature maps; ValueError explains why not."""
    ref = find_layer(model, name)
    if not is_spatial(ref):
        try:
            shape = output_shape(ref)
        except (AttributeError, ValueError):
            shape = "unknown"
        raise ValueError(
            f"layer {name!r} ({type(ref.layer).__name__}) outputs shape {shape}, not a grid of feature "
            f"maps (N, height, width, channels), so it cannot be used as {purpose}. Pick a convolution, "
            f"pooling or activation layer before the global pooling: helpers.layer_names(model) lists them.")
    return ref


def predecessor(model: keras.Model, name: str) -> LayerRef | None:
    """The layer whose output feeds layer ``name`` (public Keras API: ``layer.input`` is the
    tensor another layer output), or None when its input is the model's input.

    Example:
        >>> predecessor(load_model(), "stem_activation").name
        'stem_bn'
    """
    ref = find_layer(model, name)
    inp = ref.layer.input
    if isinstance(inp, (list, tuple)):
        inp = inp[0]
    for other in iter_layers(model):
        out = other.layer.output
        if out is inp or (isinstance(out, (list, tuple)) and any(o is inp for o in out)):
            return other
    return None
