"""The compiled machinery of class activation maps, built once per (model, layer).

An :class:`Engine` holds the ``tf.function`` s every CAM method shares: one pass that returns a
layer's feature maps, the class scores and the gradient of one class score with respect to the
maps (the class is a tensor argument: nothing retraces per image or class), a forward-only
pass, the gradients from cached feature maps through the rest of the network (for the
explorer's class switch), and Score-CAM's masked passes. Engines live in the model's cache
registry (``helpers._cache.store(model, "cam")``), never in a module-level dict, and hold no
reference to the model itself. The gradient functions answer their first calls eagerly while
they compile in a background thread (:mod:`.first_call`): a new (model, layer) costs one eager
pass, not a trace.

Example:
    >>> eng = engine(model)                      # the default layer: 'top_activation'
    >>> fmaps, grads, scores, idx = eng.grads(image[None].astype("float32"), np.array([282], np.int32))
    >>> tuple(fmaps.shape), int(idx[0])
    ((1, 7, 7, 1280), 282)
"""

from __future__ import annotations

import functools

import keras
import tensorflow as tf

from ..features import LOGITS, feature_model
from ..heads import class_logits
from ..layers import find_layer, output_shape, require_spatial
from ..models import check_classifier
from .first_call import CompiledSoon
from .layer_choice import default_layer
from .store import cam_store

__all__ = ["Engine", "engine"]


def _target(scores, idx):
    """Each image's score for its class (``idx < 0``: its top class); returns (scores, indices)."""
    idx = tf.where(idx < 0, tf.argmax(scores, axis=-1, output_type=tf.int32), idx)
    return tf.gather(scores, idx, batch_dims=1), idx


class Engine:
    """Compiled functions for one (model, layer). Build it with :func:`engine` (cached).

    All take and return batches: ``x`` (n, H, W, 3) float32 raw pixels, ``idx`` (n,) int32 class
    indices (-1: each image's top class). Gradients are symbolic (``tf.gradients``), so only the
    part of the network between the layer and the score is differentiated.
    """

    def __init__(self, model: keras.Model, layer: str):
        self.layer = layer
        self.info = check_classifier(model)  # the class names, for classes given by name
        self.binary = self.info.binary
        self.fm = feature_model(model, [layer], with_logits=True)
        self.input_shape = tuple(self.fm.inputs[0].shape[1:])
        self.map_shape = tuple(self.fm.output[layer].shape[1:])
        self.num_classes = 2 if self.binary else int(self.fm.output[LOGITS].shape[-1])
        x_spec = tf.TensorSpec((None, *self.input_shape), tf.float32)
        i_spec = tf.TensorSpec((None,), tf.int32)
        # a partial per engine: TensorFlow then counts each engine's traces on its own (no
        # retracing warning when several layers or model copies are in use)
        compile_ = functools.partial(tf.function, autograph=False, jit_compile=False)
        # the first answer of a (model, layer) is eager while the graph compiles in the background
        self.grads = CompiledSoon(compile_(functools.partial(self._grads), input_signature=[x_spec, i_spec]),
                                  self._grads_eager, name=f"gradcam-{layer}")
        self.forward = compile_(functools.partial(self._forward), input_signature=[x_spec])
        masks_spec = tf.TensorSpec((1, *self.map_shape[:2], None), tf.float32)
        self.masked_probs = compile_(functools.partial(self._masked_probs), input_signature=[
            tf.TensorSpec((1, *self.input_shape), tf.float32), masks_spec])
        self._head = self._head_net = self._base_net = None

    def _run(self, x):
        out = self.fm(x, training=False)
        return out[self.layer], class_logits(out[LOGITS], self.binary)

    def _grads(self, x, idx):
        fmaps, scores = self._run(x)
        target, idx = _target(scores, idx)
        # d(sum over the batch)/dA = each image's own gradient: images never mix
        return fmaps, tf.gradients(target, fmaps)[0], scores, idx

    def _grads_eager(self, x, idx):
        x, idx = tf.convert_to_tensor(x, tf.float32), tf.convert_to_tensor(idx, tf.int32)
        head = self._head_model()
        if head is not None:  # the maps without the tape, then only the part after the layer under it
            fmaps = self._base_model()(x, training=False)  # (an eager tape from x backs up through every op)
            return (fmaps, *self._head_eager(head, fmaps, idx))
        with tf.GradientTape() as tape:
            tape.watch(x)  # records the whole pass, also for a model whose weights are frozen
            fmaps, scores = self._run(x)
            target, idx = _target(scores, idx)
        return fmaps, tape.gradient(target, fmaps), scores, idx

    def _forward(self, x):
        return self._run(x)

    def _head_grads(self, head, fmaps, idx):
        target, _ = _target(class_logits(head(fmaps, training=False), self.binary), idx)
        return tf.gradients(target, fmaps)[0]

    def _masked_probs(self, x, maps):
        """Score-CAM: class probabilities of one image ``x`` (1, H, W, 3) masked by each map of
        ``maps`` (1, h, w, k), upsampled and scaled to [0, 1]; returns (k, classes)."""
        up = tf.image.resize(maps, tf.shape(x)[1:3], method="bilinear")[0]  # (H, W, k)
        lo = tf.reduce_min(up, axis=(0, 1), keepdims=True)
        hi = tf.reduce_max(up, axis=(0, 1), keepdims=True)
        masks = tf.math.divide_no_nan(up - lo, hi - lo)
        _, scores = self._run(tf.transpose(masks, (2, 0, 1))[..., None] * x)  # (k, H, W, 3)
        return tf.sigmoid(scores) if self.binary else tf.nn.softmax(scores, axis=-1)

    def _head_eager(self, head, fmaps, idx):
        """Eagerly, from given maps: (gradients, class scores, class indices), as :meth:`_grads` gives them."""
        fmaps, idx = tf.convert_to_tensor(fmaps, tf.float32), tf.convert_to_tensor(idx, tf.int32)
        with tf.GradientTape() as tape:
            tape.watch(fmaps)
            scores = class_logits(head(fmaps, training=False), self.binary)
            target, idx = _target(scores, idx)
        return tape.gradient(target, fmaps), scores, idx

    def _head_grads_eager(self, head, fmaps, idx):
        return self._head_eager(head, fmaps, idx)[0]

    def _base_model(self):
        """The part of the network up to the layer (pixels -> its maps), built on first use."""
        if self._base_net is None:
            self._base_net = keras.Model(self.fm.inputs, self.fm.output[self.layer], name=f"{self.layer}_base")
        return self._base_net

    def _head_model(self):
        """The part of the network after the layer, as a model from its maps to the logits, or
        None when a skip connection crosses the layer. Built on first use."""
        if self._head_net is None:
            try:
                self._head_net = keras.Model(self.fm.output[self.layer], self.fm.output[LOGITS],
                                             name=f"{self.layer}_head")
            except ValueError:  # the part after the layer also needs earlier tensors
                self._head_net = False
        return self._head_net or None

    @property
    def head_grads(self):
        """``fn(fmaps, idx) -> grads`` from given feature maps through the rest of the network
        (no forward pass up to the layer), or None when a skip connection crosses the layer.
        Built on first use; its first answer is eager, like :attr:`grads`."""
        if self._head is None:
            head = self._head_model()
            self._head = False if head is None else CompiledSoon(
                tf.function(functools.partial(self._head_grads, head), autograph=False, input_signature=[
                    tf.TensorSpec((None, *self.map_shape), tf.float32), tf.TensorSpec((None,), tf.int32)]),
                functools.partial(self._head_grads_eager, head), name=f"gradcam-head-{self.layer}")
        return self._head or None

    def trace_count(self) -> int:
        """How many times this engine's functions were traced (for retracing checks)."""
        fns = [self.grads.compiled, self.forward, self.masked_probs] + ([self._head.compiled] if self._head else [])
        return sum(f.experimental_get_tracing_count() for f in fns)


def engine(model: keras.Model, layer: str | None = None) -> Engine:
    """The cached compiled CAM machinery for ``(model, layer)`` (``layer=None``: the default).

    The layer name is resolved and checked once; later calls are a cache look-up.

    Raises:
        TypeError: not a Keras model. KeyError: unknown layer. ValueError: a layer without feature
        maps or with a 1 x 1 map, a model without logits (a regression head, a softmax still on).
    """
    cache = cam_store(model)
    if layer is not None and not isinstance(layer, str):
        layer = find_layer(model, layer).name  # a layer object -> its name; else a KeyError (named by a string)
    eng = cache.get(("engine", layer))
    if eng is None:
        check_classifier(model)
        name = default_layer(model) if layer is None else layer
        shape = output_shape(require_spatial(model, name, "a Grad-CAM layer"))
        if shape[1] == 1 and shape[2] == 1:
            raise ValueError(f"layer {name!r} outputs {shape}: a 1 x 1 map (after global pooling?) has one location, "
                             "so its heatmap would be uniform. Pick a layer before the global pooling: "
                             "helpers.cam.cam_layers(model) lists them")
        eng = cache.get_or_make(("engine", name), lambda: Engine(model, name))
        cache.put(("engine", layer), eng)
    return eng
