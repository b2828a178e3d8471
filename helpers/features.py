"""The one shared mechanism: find layers by name (also inside nested models) and build a
multi-output *feature model* that returns their outputs, for any Keras model.

Why not simply ``keras.Model(model.inputs, [model.get_layer(n).output ...])``? That works
for the layers of a flat functional model, but fails with "Graph disconnected" as soon as the
layer lives inside a nested model -- the usual transfer-learning shape
``Sequential([VGG16(include_top=False), GlobalAveragePooling2D(), Dense(...)])``. Here the
model's graph is instead *re-traced* on a fresh ``keras.Input``: every layer (the same layer
objects, so the same weights) is called again in order, nested models are entered
recursively, and the outputs of the requested layers are picked up on the way. The result is
a single connected graph, truncated after the last tensor that is needed, at any input size.

Example:
    >>> fm = feature_model(load_model(), ["stem_conv", "top_activation"], with_logits=True)
    >>> [tuple(t.shape) for t in fm.outputs]
    [(None, 112, 112, 32), (None, 7, 7, 1280), (None, 1000)]
"""

from __future__ import annotations

import difflib
import functools
import weakref
from dataclasses import dataclass

import keras
import tensorflow as tf
from keras.src.models.functional import Functional

from .models import model_input_shape

_CONV = ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")
_POOL = ("MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D")
_ACTIVATION = ("ReLU", "Activation", "LeakyReLU", "PReLU", "ELU", "Softmax")

_FEATURE_MODELS: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()
_COMPILED: "weakref.WeakKeyDictionary[keras.Model, object]" = weakref.WeakKeyDictionary()


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
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        yield LayerRef(layer, _parents)
        if isinstance(layer, keras.Model):
            yield from iter_layers(layer, _parents + (layer,))


def find_layer(model: keras.Model, name: str) -> LayerRef:
    """Find a layer by name, also inside nested models.

    Raises:
        KeyError: no such layer; the message lists the closest names.

    Example:
        >>> find_layer(load_model(), "top_activation").layer.name
        'top_activation'
    """
    if isinstance(name, keras.layers.Layer):
        name = name.name
    if not isinstance(name, str):
        raise KeyError(f"a layer is named by a string, got {name!r}")
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
        ValueError: the model has no convolution layer at all.

    Example:
        >>> layer_names(load_model(), kinds=("conv",))[:3]
        ['stem_conv', 'block1a_dwconv', 'block1a_project_conv']
    """
    if isinstance(kinds, str):
        kinds = ("conv", "pool", "activation", "other", "model") if kinds == "all" else (kinds,)
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


class FeatureModel(Functional):
    """A functional model whose call always returns a list (Keras unpacks a 1-element list)."""

    def call(self, inputs, training=None, mask=None, **kwargs):
        out = super().call(inputs, training=training, mask=mask, **kwargs)
        return list(out) if isinstance(out, (list, tuple)) else [out]


def _trace(model: keras.Model, x, wanted: set[str], found: dict, *, stop_early: bool = False, after=None):
    """Call ``model``'s layers on symbolic tensor ``x``; record outputs of ``wanted`` layers.

    With ``stop_early`` the layers after the last wanted one are not called at all (their input
    is passed through unchanged), so a head that fixes the input size -- VGG16's Flatten + Dense
    -- does not stop a feature model at another size. ``after(layer, output)``, if given, may
    replace each layer's output (nested models are then entered too).
    """

    def done():
        return stop_early and wanted <= found.keys()

    def call(layer, *args, **kwargs):
        if done():
            return args[0]
        if isinstance(layer, keras.Model) and (after is not None or any(r.name in wanted for r in iter_layers(layer))):
            out = _trace(layer, args[0], wanted, found, stop_early=stop_early, after=after)
        else:
            out = layer(*args, **kwargs)
        if after is not None:
            out = after(layer, out)
        if layer.name in wanted and layer.name not in found:
            found[layer.name] = out
        return out

    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            if done():
                break
            if not isinstance(layer, keras.layers.InputLayer):
                x = call(layer, x)
        return x
    if not hasattr(model, "_run_through_graph"):
        raise ValueError(f"model {model.name!r} is a subclassed Keras model; convnet-vis needs a functional or "
                         "Sequential model (its layers and their connections must be known)")
    if isinstance(model.input, (list, tuple)):
        x = [x]
    clone = keras.models.clone_model(model, input_tensors=x, clone_function=lambda layer: layer,
                                     call_function=call)
    return clone.outputs[0] if len(clone.outputs) == 1 else clone.outputs


def trace_model(model: keras.Model, inputs, *, after):
    """Call all of ``model``'s layers again on the symbolic tensor ``inputs`` (same layers, same
    weights; nested models entered), passing each layer's output through ``after(layer, output)``,
    e.g. to insert a gate after every activation. Returns the model's output tensor.

    Example:
        >>> inputs = keras.Input((224, 224, 3))
        >>> out = trace_model(load_model(), inputs, after=lambda layer, t: t)
        >>> tuple(out.shape)
        (None, 1000)
    """
    return _trace(model, inputs, set(), {}, after=after)


def feature_model(model: keras.Model, layers, *, with_logits: bool = False,
                  input_shape: tuple | None = None) -> keras.Model:
    """A model from raw pixels to the outputs of ``layers`` (plus the logits if ``with_logits``).

    Calling it always returns a list of tensors, in the order asked for (logits last), even
    for a single layer.

    Built once per (model, layers, with_logits, input_shape) and cached. Shares the original
    model's weights (no copy). ``input_shape`` ``(h, w, 3)`` re-traces the graph at another
    size (e.g. for filter visualisation at 128 px); with only ``layers`` asked for, the graph is
    truncated after the deepest of them.

    Raises:
        KeyError: a layer name is unknown (with close matches).

    Example:
        >>> fm = feature_model(load_model(), ["block3a_expand_conv"], input_shape=(96, 96, 3))
        >>> [tuple(t.shape) for t in fm(np.zeros((1, 96, 96, 3), np.float32))]
        [(1, 24, 24, 144)]
    """
    names = tuple(n.name if isinstance(n, keras.layers.Layer) else n
                  for n in ([layers] if isinstance(layers, str) else layers))
    for n in names:
        if not isinstance(n, str):
            find_layer(model, n)  # a clear KeyError ("a layer is named by a string")
    shape = tuple(input_shape) if input_shape is not None else tuple(model_input_shape(model)[1:])
    key = (names, bool(with_logits), shape)
    cache = _FEATURE_MODELS.setdefault(model, {})
    if key not in cache:  # names are checked once, when the model is built (not on every call)
        for n in names:
            find_layer(model, n)
        inputs = keras.Input(shape, name="pixels")
        found: dict = {}
        output = _trace(model, inputs, set(names), found, stop_early=not with_logits)
        outputs = [found[n] for n in names]
        if with_logits:
            outputs.append(output)
        cache[key] = FeatureModel(inputs, outputs, name=f"{model.name}_features")
    return cache[key]


def _run_features(fm, x):
    return fm(x, training=False)


def feature_fn(model: keras.Model, layers, *, input_shape: tuple | None = None):
    """The compiled (``tf.function``) call of :func:`feature_model`: ``fn(batch) -> [tensors]``.

    Built once per feature model and cached; any batch size runs without retracing. Use it
    in interactive code instead of calling the feature model eagerly.

    Example:
        >>> fn = feature_fn(load_model(), ["stem_conv"])
        >>> [tuple(t.shape) for t in fn(np.zeros((2, 224, 224, 3), np.float32))]
        [(2, 112, 112, 32)]
    """
    fm = feature_model(model, layers, input_shape=input_shape)
    fn = _COMPILED.get(fm)
    if fn is None:
        spec = tf.TensorSpec((None, *fm.inputs[0].shape[1:]), tf.float32)
        # a partial per feature model: TensorFlow then counts each one's traces on its own
        fn = tf.function(functools.partial(_run_features, fm), input_signature=[spec])
        _COMPILED[fm] = fn
    return fn
