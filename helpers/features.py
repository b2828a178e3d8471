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
    >>> {name: tuple(t.shape) for name, t in fm.output.items()}
    {'stem_conv': (None, 112, 112, 32), 'top_activation': (None, 7, 7, 1280), 'logits': (None, 1000)}
"""

from __future__ import annotations

import functools

import keras
import tensorflow as tf

from ._cache import store
from .layers import find_layer, iter_layers
from .validation import check_layers, check_model_type, model_input_shape

__all__ = ["LOGITS", "feature_fn", "feature_model", "trace_model"]

LOGITS = "logits"  # the key of the logits among a feature model's outputs (``with_logits=True``)


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
    if not _is_graph_model(model):
        raise ValueError(f"model {model.name!r} is a subclassed Keras model; convnet-vis needs a functional or "
                         "Sequential model (its layers and their connections must be known)")
    if isinstance(model.input, (list, tuple)):
        x = [x]
    clone = keras.models.clone_model(model, input_tensors=x, clone_function=lambda layer: layer,
                                     call_function=call)
    return clone.outputs[0] if len(clone.outputs) == 1 else clone.outputs


def _is_graph_model(model) -> bool:
    """A functional model knows its input and output tensors; a subclassed one does not."""
    try:
        return bool(model.inputs) and bool(model.outputs)
    except (AttributeError, ValueError):
        return False


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


def _layer_names(model: keras.Model, layers) -> tuple[str, ...]:
    check_model_type(model)
    names = check_layers(layers) or ()  # names or layer objects -> names; else an ArgumentTypeError
    return tuple(dict.fromkeys(names))  # each layer once, in the order asked for


def feature_model(model: keras.Model, layers, *, with_logits: bool = False,
                  input_shape: tuple | None = None) -> keras.Model:
    """A model from raw pixels to the outputs of ``layers`` (plus the logits if ``with_logits``).

    Calling it returns a dict ``{layer name: tensor}`` (and ``"logits"``: the model's output,
    with ``with_logits``), whatever the number of layers.

    Built once per (model, layers, with_logits, input_shape) and cached. Shares the original
    model's weights (no copy). ``input_shape`` ``(h, w, 3)`` re-traces the graph at another
    size (e.g. for filter visualisation at 128 px); with only ``layers`` asked for, the graph is
    truncated after the deepest of them.

    Raises:
        KeyError: a layer name is unknown (with close matches).

    Example:
        >>> fm = feature_model(load_model(), ["block3a_expand_conv"], input_shape=(96, 96, 3))
        >>> {k: tuple(t.shape) for k, t in fm(np.zeros((1, 96, 96, 3), np.float32)).items()}
        {'block3a_expand_conv': (1, 24, 24, 144)}
    """
    names = _layer_names(model, layers)
    if with_logits and LOGITS in names:
        raise ValueError(f"a layer named {LOGITS!r} clashes with the logits' key: ask for it without "
                         "with_logits=True (the logits are the model's output)")
    shape = tuple(input_shape) if input_shape is not None else tuple(model_input_shape(model)[1:])
    return store(model, "feature_models").get_or_make(
        (names, bool(with_logits), shape), lambda: _build(model, names, with_logits, shape))


def _build(model, names, with_logits, shape) -> keras.Model:
    refs = [find_layer(model, n) for n in names]  # checked once, when the model is built (not on every call)
    direct = _direct(model, refs, with_logits, shape)
    if direct is not None:
        return direct
    inputs = keras.Input(shape, name="pixels")
    found: dict = {}
    output = _trace(model, inputs, set(names), found, stop_early=not with_logits)
    outputs = {n: found[n] for n in names}
    if with_logits:
        outputs[LOGITS] = output
    return keras.Model(inputs, outputs, name=f"{model.name}_features")


def _direct(model, refs, with_logits, shape) -> keras.Model | None:
    """The textbook sub-model ``keras.Model(model.inputs, {name: layer.output})`` when it is
    valid -- a functional model at its own input size, every layer at the top level and called
    once -- else None. Building it costs ~10 ms instead of ~150 ms for a re-trace."""
    if any(r.parents for r in refs) or not _is_graph_model(model) or len(model.inputs) != 1:
        return None
    if tuple(model.inputs[0].shape[1:]) != tuple(shape):
        return None
    try:
        outputs = {r.name: r.layer.output for r in refs}
        if with_logits:
            outputs[LOGITS] = model.outputs[0]
        return keras.Model(model.inputs[0], outputs, name=f"{model.name}_features")
    except (AttributeError, ValueError):  # a layer called several times has no single output
        return None


def _run_features(fm, names, x):
    out = fm(x, training=False)
    return [out[n] for n in names]


def feature_fn(model: keras.Model, layers, *, input_shape: tuple | None = None):
    """The compiled (``tf.function``) call of :func:`feature_model`: ``fn(batch) -> [tensors]``,
    in the order the layers were asked for.

    Built once per feature model and cached; any batch size runs without retracing. Use it
    in interactive code instead of calling the feature model eagerly.

    Example:
        >>> fn = feature_fn(load_model(), ["stem_conv"])
        >>> [tuple(t.shape) for t in fn(np.zeros((2, 224, 224, 3), np.float32))]
        [(2, 112, 112, 32)]
    """
    names = _layer_names(model, layers)
    fm = feature_model(model, names, input_shape=input_shape)

    def make():
        spec = tf.TensorSpec((None, *fm.inputs[0].shape[1:]), tf.float32)
        # a partial per feature model: TensorFlow then counts each one's traces on its own
        return tf.function(functools.partial(_run_features, fm, names), input_signature=[spec])

    return store(model, "feature_fns").get_or_make((names, tuple(fm.inputs[0].shape[1:])), make)
