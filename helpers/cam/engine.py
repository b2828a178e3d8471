"""The compiled machinery of class activation maps, built once per (model, layer).

An :class:`Engine` holds the ``tf.function`` s every CAM method shares: one pass that returns a
layer's feature maps, the class scores and the gradient of one class score with respect to the
maps (the class is a tensor argument: nothing retraces per image or class), a forward-only
pass, the gradients from cached feature maps through the rest of the network (for the
explorer's class switch), and Score-CAM's masked passes. Engines live in the model's cache
registry (``helpers._cache.store(model, "cam")``), never in a module-level dict, and hold no
reference to the model itself.

Example:
    >>> eng = engine(model)                      # the default layer: 'top_activation'
    >>> fmaps, grads, scores, idx = eng.grads(image[None].astype("float32"), np.array([282], np.int32))
    >>> tuple(fmaps.shape), int(idx[0])
    ((1, 7, 7, 1280), 282)
"""

from __future__ import annotations

import contextlib
import functools

import keras
import numpy as np
import tensorflow as tf

from .._cache import store
from ..features import LOGITS, feature_model, find_layer, is_spatial, iter_layers, output_shape, require_spatial
from ..images import as_array
from ..models import check_class_index, check_classifier, class_logits, prepare
from ..validation import FOREIGN_ERRORS, check_model, contract_error

CACHE = "cam"  # the name of this package's store in each model's cache


def cam_store(model: keras.Model):
    """This package's store in ``model``'s cache: engines, layer choices, input-gradient functions."""
    check_model(model)  # a model name or another object: a TypeError that says what to pass
    return store(model, CACHE, max_items=64)


@contextlib.contextmanager
def contract_errors(what: str):
    """Turn a TensorFlow / OpenCV error raised inside the block into the contract's ValueError
    (``helpers.validation.contract_error``): nothing foreign escapes a public function."""
    try:
        yield
    except FOREIGN_ERRORS as err:
        raise contract_error(err, what) from None


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
        self.grads = compile_(functools.partial(self._grads), input_signature=[x_spec, i_spec])
        self.forward = compile_(functools.partial(self._forward), input_signature=[x_spec])
        masks_spec = tf.TensorSpec((1, *self.map_shape[:2], None), tf.float32)
        self.masked_probs = compile_(functools.partial(self._masked_probs), input_signature=[
            tf.TensorSpec((1, *self.input_shape), tf.float32), masks_spec])
        self._head = None

    def _run(self, x):
        out = self.fm(x, training=False)
        return out[self.layer], class_logits(out[LOGITS], self.binary)

    def _grads(self, x, idx):
        fmaps, scores = self._run(x)
        target, idx = _target(scores, idx)
        # d(sum over the batch)/dA = each image's own gradient: images never mix
        return fmaps, tf.gradients(target, fmaps)[0], scores, idx

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

    @property
    def head_grads(self):
        """``fn(fmaps, idx) -> grads`` from given feature maps through the rest of the network
        (no forward pass up to the layer), or None when a skip connection crosses the layer.
        Built on first use."""
        if self._head is None:
            try:
                head = keras.Model(self.fm.output[self.layer], self.fm.output[LOGITS], name=f"{self.layer}_head")
                self._head = tf.function(functools.partial(self._head_grads, head), autograph=False, input_signature=[
                    tf.TensorSpec((None, *self.map_shape), tf.float32), tf.TensorSpec((None,), tf.int32)])
            except ValueError:  # the part after the layer also needs earlier tensors
                self._head = False
        return self._head or None

    def trace_count(self) -> int:
        """How many times this engine's functions were traced (for retracing checks)."""
        fns = [self.grads, self.forward, self.masked_probs] + ([self._head] if self._head else [])
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


def prepare_input(model: keras.Model, image) -> tuple[np.ndarray, bool, tuple[int, int]]:
    """Validate an image / batch and resize it (whole picture, no crop) to the model's input
    size, so a heatmap stretched back to the picture lines up with it. Never mutates ``image``.

    Returns ``(float32 batch, was_single, (height, width) of the original)``.

    Example:
        >>> x, single, hw = prepare_input(model, np.zeros((100, 50, 3), np.uint8))
        >>> x.shape, single, hw
        ((1, 224, 224, 3), True, (100, 50))
    """
    image = as_array(image)  # a PIL image as its pixels; a photo name: "load it first"
    batch, single = prepare(model, image, crop=False)  # a float32 copy
    h, w = image.shape[:2] if single else image.shape[1:3]  # (H, W) grey has no channel axis
    return batch, single, (int(h), int(w))


def class_indices(model: keras.Model, class_index, n: int) -> np.ndarray:
    """``n`` checked class indices as int32 (-1 = the top class) from None, one index or a list."""
    if class_index is None:
        return np.full(n, -1, np.int32)
    if isinstance(class_index, (list, tuple, np.ndarray)) and np.ndim(class_index) == 1:
        idx = [check_class_index(model, i) for i in class_index]
        if len(idx) != n:
            raise ValueError(f"got {len(idx)} class indices for a batch of {n} images")
        return np.asarray(idx, np.int32)
    return np.full(n, check_class_index(model, class_index), np.int32)
