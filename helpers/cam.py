"""Class activation maps: Grad-CAM, Grad-CAM++, Score-CAM, gradient saliency, guided backprop,
colour overlays, and the weight-randomisation sanity check.

Grad-CAM (Selvaraju et al., 2017) answers "which parts of this image made the network say
*tiger cat*?" with a coarse heatmap: take the feature maps ``A`` of a late convolutional layer
and the gradient of the class's pre-softmax score with respect to them; average each
channel's gradient over the map (one weight per channel); add up the channels with those
weights; keep the positive part (ReLU); scale to [0, 1]; upsample to the picture.

Design (after pytorch-grad-cam): one shared mechanism, :class:`_Engine`, built once per
(model, layer) on :func:`helpers.features.feature_model`, runs a compiled ``tf.function``
that returns the feature maps, their gradients and the class scores (the class index is a
tensor argument, so nothing retraces per image or per class). Each method is then a small
object that only turns ``(feature maps, gradients)`` into channel weights
(:class:`GradCAM`, :class:`GradCAMPlusPlus`, :class:`ScoreCAM`), and the maths lives in small
pure numpy functions (:func:`gradcam_weights`, :func:`gradcam_plus_plus_weights`,
:func:`weighted_cam`, :func:`normalize_map`) that tests check on hand-computed arrays.

Example:
    >>> model = helpers.load_model()
    >>> image = helpers.load_image("cat_and_coffee", size=224)
    >>> heat = gradcam(model, image, class_index=282)        # tiger cat
    >>> heat.shape, heat.dtype, float(heat.max())
    ((224, 224), dtype('float32'), 1.0)
    >>> picture = overlay(image, heat)                        # uint8 RGB
"""

from __future__ import annotations

import functools

import weakref

import cv2
import keras
import numpy as np
import tensorflow as tf

from .features import feature_model, is_spatial, iter_layers, layer_kind, output_shape, require_spatial, trace_model
from .images import array_to_rgb_uint8
from .models import check_class_index, class_logits, model_info, model_input_shape, prepare, register_model

EPSILON = 1e-7
SCORECAM_MAX_CHANNELS = 32  # Score-CAM masks only the k most active channels (one forward pass each)
SCORECAM_BATCH = 16

# ---------------------------------------------------------------------------------------------
# Pure maths (numpy in, numpy out): checkable on hand-computed arrays
# ---------------------------------------------------------------------------------------------


def gradcam_weights(grads: np.ndarray) -> np.ndarray:
    """Grad-CAM channel weights: the gradients averaged over the map, separately per image.

    ``grads`` is ``(h, w, c)`` or ``(n, h, w, c)``; the result is ``(c,)`` or ``(n, c)``.
    (Never average over the batch axis: that would mix images.)

    Example:
        >>> gradcam_weights(np.array([[[1.0], [3.0]]]))     # a 1 x 2 map, one channel
        array([2.])
    """
    g = np.asarray(grads, np.float64)
    return g.mean(axis=(-3, -2))


def gradcam_plus_plus_weights(fmaps: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Grad-CAM++ channel weights (Chattopadhay et al., 2018), with the exponential-score trick.

    ``alpha = g**2 / (2 g**2 + sum_ab(A) * g**3)`` per location (0 where the denominator is 0),
    weight = ``sum_ab(alpha * relu(g))``. Shapes as in :func:`gradcam_weights`.

    Example:
        >>> gradcam_plus_plus_weights(np.ones((1, 2, 1)), np.array([[[1.0], [0.0]]]))
        array([0.25])
    """
    return (gradcam_plus_plus_alphas(fmaps, grads) * np.maximum(np.asarray(grads, np.float64), 0)).sum(axis=(-3, -2))


def gradcam_plus_plus_alphas(fmaps: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """The per-location Grad-CAM++ coefficients ``alpha`` (same shape as ``grads``)."""
    a = np.asarray(fmaps, np.float64)
    g = np.asarray(grads, np.float64)
    g2, g3 = g * g, g * g * g
    denom = 2.0 * g2 + a.sum(axis=(-3, -2), keepdims=True) * g3
    safe = np.where(np.abs(denom) > 1e-30, denom, 1.0)
    return np.where((g != 0) & (np.abs(denom) > 1e-30), g2 / safe, 0.0)


def weighted_cam(fmaps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``ReLU(sum_k weights[k] * fmaps[..., k])``: the raw (unnormalised) class activation map.

    Example:
        >>> weighted_cam(np.array([[[1.0, 2.0], [3.0, -4.0]]]), np.array([1.0, 1.0]))
        array([[3., 0.]])
    """
    a = np.asarray(fmaps, np.float64)
    w = np.asarray(weights, np.float64)
    cam = np.einsum("...hwc,...c->...hw", a, w)
    return np.maximum(cam, 0.0)


def normalize_map(cam: np.ndarray, eps: float = EPSILON) -> np.ndarray:
    """Scale a non-negative map (or each map of a stack) so its maximum is 1.

    A map whose maximum is below ``eps`` (e.g. all zeros) stays all zeros -- never NaN.

    Example:
        >>> normalize_map(np.array([[0.0, 2.0]])), normalize_map(np.zeros((1, 2)))
        (array([[0., 1.]]), array([[0., 0.]]))
    """
    c = np.maximum(np.nan_to_num(np.asarray(cam, np.float64), nan=0.0, posinf=0.0, neginf=0.0), 0.0)
    peak = c.max(axis=(-2, -1), keepdims=True)
    return np.where(peak > eps, c / np.where(peak > eps, peak, 1.0), 0.0)


def upsample(cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Smoothly resize a (h, w) map to ``size=(height, width)`` (bicubic), clipped to [0, 1],
    renormalised so its maximum is 1 again (all zeros stays all zeros); float32."""
    c = np.asarray(cam, np.float32)
    if c.shape != tuple(size):
        c = cv2.resize(c, (int(size[1]), int(size[0])), interpolation=cv2.INTER_CUBIC)
    return normalize_map(np.clip(c, 0.0, 1.0)).astype(np.float32)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two equally sized arrays (flattened; ties get average ranks).

    1 = same ordering of pixels, 0 = unrelated, -1 = reversed. Used for the sanity check of
    Adebayo et al. (2018). If either array is constant (e.g. an all-zero map) the ordering
    is undefined and the result is 0.0 (no agreement), not NaN.

    Example:
        >>> spearman([1, 2, 3, 4], [10, 20, 30, 45]), spearman([1, 2, 3], [3, 2, 1])
        (1.0, -1.0)
    """
    x = np.asarray(a, np.float64).ravel()
    y = np.asarray(b, np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"spearman needs two arrays of the same size, got {x.size} and {y.size} values")
    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denom = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    if denom == 0:
        return 0.0
    return float(np.clip((rx * ry).sum() / denom, -1.0, 1.0))


def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D array, ties sharing their average rank (like ``scipy.stats.rankdata``).

    Example:
        >>> rankdata(np.array([10.0, 30.0, 20.0, 20.0]))
        array([1. , 4. , 2.5, 2.5])
    """
    v = np.asarray(values, np.float64).ravel()
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    new_group = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], v.size]
    avg = (starts + ends - 1) / 2.0 + 1.0  # average of ranks start+1 .. end
    ranks = np.empty(v.size, np.float64)
    ranks[order] = avg[group]
    return ranks


# ---------------------------------------------------------------------------------------------
# Overlay
# ---------------------------------------------------------------------------------------------

COLORMAPS = {name[len("COLORMAP_"):].lower(): getattr(cv2, name) for name in dir(cv2) if name.startswith("COLORMAP_")}


def colorize(heatmap: np.ndarray, colormap: str = "jet") -> np.ndarray:
    """A [0, 1] heatmap as a uint8 RGB picture through an OpenCV colour map (``"jet"``,
    ``"turbo"``, ``"viridis"``, ``"inferno"`` ...; see ``COLORMAPS``).

    Example:
        >>> colorize(np.array([[0.0, 1.0]])).shape
        (1, 2, 3)
    """
    key = str(colormap).lower()
    if key not in COLORMAPS:
        raise ValueError(f"unknown colour map {colormap!r}; choose one of {', '.join(sorted(COLORMAPS))}")
    h = np.asarray(heatmap, np.float32)
    if h.ndim != 2:
        raise ValueError(f"a heatmap is a 2-D array (height, width); got shape {h.shape}")
    h = np.clip(np.nan_to_num(h, nan=0.0), 0.0, 1.0)
    u8 = np.round(h * 255.0).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(u8, COLORMAPS[key]), cv2.COLOR_BGR2RGB)


def overlay(image, heatmap, alpha=0.4, colormap="jet") -> np.ndarray:
    """Blend a colour-mapped heatmap over an image: ``(1 - alpha) * image + alpha * colours``.

    The heatmap (values clipped to [0, 1]) is resized to the image if needed; the result is
    computed in floating point, clipped to 0..255 and rounded (no uint8 wrap-around).

    Args:
        image: uint8 RGB (H, W, 3) (or anything :func:`helpers.load_image` accepts as an array).
        heatmap: (h, w) values in [0, 1], e.g. from :func:`gradcam`.
        alpha: 0 = only the image, 1 = only the heatmap's colours.
        colormap: an OpenCV colour map name, e.g. ``"jet"``, ``"turbo"``, ``"viridis"``.

    Example:
        >>> overlay(np.zeros((4, 4, 3), np.uint8), np.ones((2, 2)), alpha=0.5).dtype
        dtype('uint8')
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be a number between 0 and 1, got {alpha!r}")
    img = array_to_rgb_uint8(np.asarray(image))
    h = np.asarray(heatmap, np.float32)
    if h.ndim != 2:
        raise ValueError(f"a heatmap is a 2-D array (height, width); got shape {h.shape}")
    if not np.isfinite(h).all():
        raise ValueError("the heatmap contains NaN or infinite values; a Grad-CAM map from helpers.gradcam never "
                         "does -- if you computed it yourself, divide by (max + a small epsilon)")
    if h.shape != img.shape[:2]:
        h = cv2.resize(h, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)
    colours = colorize(h, colormap).astype(np.float32)
    out = (1.0 - float(alpha)) * img.astype(np.float32) + float(alpha) * colours
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# The shared mechanism: one engine per (model, layer)
# ---------------------------------------------------------------------------------------------

_ENGINES: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()
_INPUT_GRADS: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()


def default_layer(model: keras.Model) -> str:
    """The last layer with a spatial (N, H, W, C) output before the global pooling -- where
    Grad-CAM looks by default (``"top_activation"`` for EfficientNet-Lite0).

    Example:
        >>> default_layer(helpers.load_model())
        'top_activation'
    """
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
    default layer (earlier layers give finer but noisier maps)."""
    names = []
    for ref in iter_layers(model):
        if ref.kind == "model" or not is_spatial(ref):
            continue
        shape = output_shape(ref)
        if shape[1] == 1 or shape[2] == 1:
            continue
        cls = type(ref.layer).__name__
        if ref.kind in ("activation", "pool") or cls == "Add" or (
                ref.kind == "conv" and getattr(ref.layer, "activation", None) not in (None, keras.activations.linear)):
            names.append(ref.name)
    default = default_layer(model)
    if default not in names:
        names.append(default)
    return names[::-1]


def _class_target(scores, idx):
    """Each image's score for its class (``idx < 0``: its top class); returns (scores, indices)."""
    idx = tf.where(idx < 0, tf.argmax(scores, axis=-1, output_type=tf.int32), idx)
    return tf.gather(scores, idx, batch_dims=1), idx


class _Engine:
    """Compiled functions for one (model, layer): built once, cached, reused for every image/class."""

    def __init__(self, model: keras.Model, layer: str):
        self.model_ref = weakref.ref(model)
        self.layer = layer
        self.binary = model_info(model).binary
        self.fm = feature_model(model, [layer], with_logits=True)
        shape = tuple(self.fm.inputs[0].shape[1:])
        x_spec = tf.TensorSpec((None, *shape), tf.float32)
        # functools.partial: each engine's functions count as their own for TensorFlow, which
        # otherwise warns about "retracing" when several engines (layers, model copies) exist.
        i_spec = tf.TensorSpec((None,), tf.int32)
        a_shape = tuple(self.fm.outputs[0].shape[1:])
        self.input_hw = shape[:2]
        self.grads = tf.function(functools.partial(self._grads), input_signature=[x_spec, i_spec])
        self.features = tf.function(functools.partial(self._features), input_signature=[x_spec])
        self.masked_probs = tf.function(functools.partial(self._masked_probs), input_signature=[
            tf.TensorSpec((None, *shape), tf.float32), tf.TensorSpec((None, *a_shape[:2], None), tf.float32)])
        try:  # the part of the network after the layer, when it depends on nothing earlier
            self.head = keras.Model(self.fm.outputs[0], self.fm.outputs[-1], name=f"{layer}_head")
            self.head_grads = tf.function(functools.partial(self._head_grads), input_signature=[
                tf.TensorSpec((None, *a_shape), tf.float32), i_spec])
        except ValueError:  # a skip connection crosses the layer: gradients need the whole pass
            self.head = self.head_grads = None

    def _scores(self, z):
        return class_logits(z, self.binary)

    def _grads(self, x, idx):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            fmaps, z = self.fm(x, training=False)
            scores = self._scores(z)
            target, idx = _class_target(scores, idx)
        # d(sum over the batch)/dA = each image's own gradient: images never mix
        return fmaps, tape.gradient(target, fmaps), scores, idx

    def _features(self, x):
        fmaps, z = self.fm(x, training=False)
        return fmaps, self._scores(z)

    def _head_grads(self, fmaps, idx):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(fmaps)
            scores = self._scores(self.head(fmaps, training=False))
            target, idx = _class_target(scores, idx)
        return tape.gradient(target, fmaps)

    def _masked_probs(self, x, maps):
        """Score-CAM: class probabilities of ``x`` masked by each upsampled, [0, 1]-scaled map.

        ``x`` is one image (1, H, W, 3), ``maps`` (1, h, w, k); returns (k, classes)."""
        up = tf.image.resize(maps, tf.shape(x)[1:3], method="bilinear")[0]  # (H, W, k)
        lo = tf.reduce_min(up, axis=(0, 1), keepdims=True)
        hi = tf.reduce_max(up, axis=(0, 1), keepdims=True)
        masks = tf.math.divide_no_nan(up - lo, hi - lo)
        masked = tf.transpose(masks, (2, 0, 1))[..., None] * x  # (k, H, W, 3)
        _, z = self.fm(masked, training=False)
        scores = self._scores(z)
        return tf.sigmoid(scores) if self.binary else tf.nn.softmax(scores, axis=-1)

    def trace_count(self) -> int:
        fns = [self.grads, self.features, self.masked_probs] + ([self.head_grads] if self.head_grads else [])
        return sum(f.experimental_get_tracing_count() for f in fns)


def engine(model: keras.Model, layer: str | None = None) -> _Engine:
    """The cached compiled Grad-CAM machinery for ``(model, layer)`` (``layer=None``: default).

    Raises KeyError for an unknown layer and ValueError for a layer without feature maps."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model (e.g. helpers.load_model()), got {type(model).__name__}")
    name = default_layer(model) if layer is None else layer
    require_spatial(model, name, "a Grad-CAM layer")
    cache = _ENGINES.setdefault(model, {})
    if name not in cache:
        cache[name] = _Engine(model, name)
    return cache[name]


def prepare_input(model: keras.Model, image) -> tuple[np.ndarray, bool, tuple[int, int]]:
    """Validate an image / batch and resize it (whole picture, no crop) to the model's input
    size, so a heatmap stretched back to the picture lines up with it. Never mutates ``image``.

    Returns ``(float32 batch, was_single, (height, width) of the original)``."""
    batch, single = prepare(model, image, crop=False)  # a float32 copy
    h, w = np.shape(image)[-3:-1]
    return batch, single, (int(h), int(w))


def _class_indices(model, class_index, n: int) -> np.ndarray:
    if class_index is None:
        return np.full(n, -1, np.int32)
    if isinstance(class_index, (list, tuple, np.ndarray)):
        idx = [check_class_index(model, i if not isinstance(i, np.ndarray) else i.item()) for i in class_index]
        if len(idx) != n:
            raise ValueError(f"got {len(idx)} class indices for a batch of {n} images")
        return np.asarray(idx, np.int32)
    return np.full(n, check_class_index(model, class_index), np.int32)


# ---------------------------------------------------------------------------------------------
# The methods: each turns (feature maps, gradients) into channel weights
# ---------------------------------------------------------------------------------------------


class GradCAM:
    """Grad-CAM: weights = spatially averaged gradients (Selvaraju et al., 2017)."""

    name = "gradcam"
    needs_gradients = True

    def weights(self, fmaps, grads, **_):
        return gradcam_weights(grads)

    def __call__(self, model, image, class_index=None, layer=None, *, counterfactual=False):
        return _run(self, model, image, class_index, layer, counterfactual)


class GradCAMPlusPlus(GradCAM):
    """Grad-CAM++: positive gradients weighted by per-location alphas (Chattopadhay et al., 2018)."""

    name = "gradcam++"

    def weights(self, fmaps, grads, **_):
        return gradcam_plus_plus_weights(fmaps, grads)


class ScoreCAM(GradCAM):
    """Score-CAM (Wang et al., 2020): no gradients. Each channel, upsampled and scaled to [0, 1],
    masks the image; its weight is the class probability of the masked image (as in the
    authors' code; the paper's extra softmax over channels flattens probabilities <= 1 to
    almost equal weights -- measured here: the tiger-cat map's share on the cat fell from 0.82
    to 0.58). Only the ``max_channels`` most active channels are tried (one forward pass each,
    batched), so a CPU answers in about a second.

    Example:
        >>> heat = ScoreCAM(max_channels=16)(model, image, class_index=282)
    """

    name = "scorecam"
    needs_gradients = False

    def __init__(self, max_channels: int = SCORECAM_MAX_CHANNELS, batch_size: int = SCORECAM_BATCH):
        if isinstance(max_channels, bool) or not isinstance(max_channels, (int, np.integer)) or max_channels < 1:
            raise ValueError(f"max_channels must be a positive integer, got {max_channels!r}")
        self.max_channels = int(max_channels)
        self.batch_size = int(batch_size)

    def channels(self, fmaps: np.ndarray) -> np.ndarray:
        """Indices of the most active channels of one image's (h, w, c) maps (by mean activation)."""
        k = min(self.max_channels, fmaps.shape[-1])
        return np.argsort(-fmaps.mean(axis=(0, 1)), kind="stable")[:k]

    def channel_probs(self, eng: _Engine, x1: np.ndarray, fmaps1: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """(k, classes) probabilities of one image masked by each chosen channel (batched)."""
        out = []
        for start in range(0, len(chosen), self.batch_size):
            sel = fmaps1[..., chosen[start:start + self.batch_size]][None].astype(np.float32)
            out.append(eng.masked_probs(tf.constant(x1[None]), tf.constant(sel)).numpy())
        return np.concatenate(out, axis=0)

    @staticmethod
    def weights_from_probs(probs_k: np.ndarray, chosen: np.ndarray, n_channels: int) -> np.ndarray:
        """Channel weights: the chosen channels' class probabilities, 0 for the others."""
        w = np.zeros(n_channels, np.float64)
        w[np.asarray(chosen)] = np.asarray(probs_k, np.float64)
        return w


METHODS = {"gradcam": GradCAM(), "gradcam++": GradCAMPlusPlus(), "scorecam": ScoreCAM()}


def _method(method) -> GradCAM:
    if isinstance(method, GradCAM):
        return method
    key = str(method).lower().replace("-", "").replace("_", "").replace(" ", "")
    key = {"gradcampp": "gradcam++", "gradcamplusplus": "gradcam++"}.get(key, key)
    if key not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return METHODS[key]


def cam_from_gradients(fmaps, grads, method="gradcam", counterfactual=False) -> np.ndarray:
    """One image's (h, w) map in [0, 1] from its feature maps and gradients (any gradient method).

    ``counterfactual=True`` negates the gradients: the regions whose increase would *lower*
    the class score (Selvaraju et al., section 5)."""
    m = _method(method)
    if not m.needs_gradients:
        raise ValueError(f"method {m.name!r} does not use gradients")
    g = -np.asarray(grads) if counterfactual else np.asarray(grads)
    return normalize_map(weighted_cam(fmaps, m.weights(fmaps, g)))


def _run(m: GradCAM, model, image, class_index, layer, counterfactual) -> np.ndarray:
    eng = engine(model, layer)
    x, single, hw = prepare_input(model, image)
    idx = _class_indices(model, class_index, len(x))
    if m.needs_gradients:
        fmaps, grads, _, _ = eng.grads(tf.constant(x), tf.constant(idx))
        fmaps, grads = fmaps.numpy(), grads.numpy()
        maps = [cam_from_gradients(fmaps[i], grads[i], m, counterfactual) for i in range(len(x))]
    else:
        if counterfactual:
            raise ValueError("counterfactual maps need gradients; use method='gradcam' or 'gradcam++'")
        fmaps, scores = eng.features(tf.constant(x))
        fmaps, scores = fmaps.numpy(), scores.numpy()
        maps = []
        for i in range(len(x)):
            c = int(np.argmax(scores[i])) if idx[i] < 0 else int(idx[i])
            chosen = m.channels(fmaps[i])
            probs = m.channel_probs(eng, x[i], fmaps[i], chosen)
            w = m.weights_from_probs(probs[:, c], chosen, fmaps.shape[-1])
            maps.append(normalize_map(weighted_cam(fmaps[i], w)))
    out = np.stack([upsample(c, hw) for c in maps])
    return out[0] if single else out


def gradcam(model, image, class_index=None, layer=None, *, method="gradcam", counterfactual=False) -> np.ndarray:
    """Class activation heatmap: where in ``image`` the evidence for ``class_index`` is.

    Args:
        model: a Keras model that takes raw 0..255 RGB pixels and outputs logits (e.g.
            :func:`helpers.load_model`); nested backbones, Sequential models and single-sigmoid
            heads (class 1 = +logit, class 0 = -logit) work.
        image: uint8 / float (H, W, 3) RGB 0..255, or a batch (N, H, W, 3). It is stretched to
            the model's input size (not cropped) and never modified.
        class_index: which class to explain; ``None`` = the top predicted class.
        layer: the feature-map layer; ``None`` = the last spatial layer before the global
            pooling (``"top_activation"`` here). Earlier layers: finer but noisier maps.
        method: ``"gradcam"`` (default), ``"gradcam++"`` or ``"scorecam"``.
        counterfactual: explain what argues *against* the class (negated gradients).

    Returns:
        float32 (H, W) heatmap in [0, 1] at the image's size ((N, H, W) for a batch); an image
        with no positive evidence gives all zeros (never NaN).

    Raises:
        IndexError: class index out of range. KeyError: unknown layer. ValueError: a layer
        without feature maps (e.g. Dense, global pooling), a bad image or method.

    Example:
        >>> heat = gradcam(model, load_image("cat_and_coffee", size=224), class_index=967)
        >>> bool(heat[:, 112:].sum() > heat[:, :112].sum())     # espresso: the right half
        True
    """
    return _method(method)(model, image, class_index, layer, counterfactual=counterfactual)


# ---------------------------------------------------------------------------------------------
# Input-gradient methods: plain saliency and guided backprop
# ---------------------------------------------------------------------------------------------


@tf.custom_gradient
def _guided_gate(x):
    def grad(dy):
        return tf.nn.relu(dy)  # guided backprop: only positive gradients flow back
    return tf.identity(x), grad


class GuidedGate(keras.layers.Layer):
    """Identity forward; on the way back it keeps only positive gradients. Placed after every
    rectifier, the ReLU's own derivative (x > 0) then completes the guided-backprop rule."""

    def call(self, x):
        return _guided_gate(x)


def _is_rectifier(layer) -> bool:
    if layer_kind(layer) == "activation":
        return True
    act = getattr(layer, "activation", None)
    return act is not None and act is not keras.activations.linear and getattr(act, "__name__", "") != "linear"


def _gate_rectifiers(layer, out):
    return GuidedGate()(out) if _is_rectifier(layer) else out


def _input_grad_fn(model: keras.Model, guided: bool):
    cache = _INPUT_GRADS.setdefault(model, {})
    if guided not in cache:
        shape = tuple(model_input_shape(model)[1:])
        if guided:
            inputs = keras.Input(shape, name="pixels")
            net = keras.Model(inputs, trace_model(model, inputs, after=_gate_rectifiers), name=f"{model.name}_guided")
        else:
            net = model
        binary = model_info(model).binary

        def fn(x, idx):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(x)
                target, _ = _class_target(class_logits(net(x, training=False), binary), idx)
            return tape.gradient(target, x)

        cache[guided] = tf.function(fn, input_signature=[tf.TensorSpec((None, *shape), tf.float32),
                                                         tf.TensorSpec((None,), tf.int32)])
    return cache[guided]


def _input_grads(model, x: np.ndarray, class_index, guided: bool) -> np.ndarray:
    idx = _class_indices(model, class_index, len(x))
    return _input_grad_fn(model, guided)(tf.constant(x), tf.constant(idx)).numpy()


def input_gradients(model, image, class_index=None, *, guided=False) -> np.ndarray:
    """d(class logit)/d(pixels) as a float32 (H, W, 3) array at the model's input size
    (``guided=True``: guided backprop, Springenberg et al. 2015)."""
    x, single, _ = prepare_input(model, image)
    g = _input_grads(model, x, class_index, guided)
    return g[0] if single else g


def _saliency_map(grads: np.ndarray, hw) -> np.ndarray:
    m = np.abs(grads).max(axis=-1)  # strongest colour channel per pixel
    if m.shape != tuple(hw):
        m = cv2.resize(m.astype(np.float32), (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)
    return normalize_map(m).astype(np.float32)


def _saliency(model, image, class_index, guided: bool) -> np.ndarray:
    x, single, hw = prepare_input(model, image)
    out = np.stack([_saliency_map(g, hw) for g in _input_grads(model, x, class_index, guided)])
    return out[0] if single else out


def gradient_saliency(model, image, class_index=None) -> np.ndarray:
    """Plain gradient saliency (Simonyan et al., 2014): ``max_rgb |d logit / d pixel|``, scaled
    to [0, 1], float32 (H, W) at the image's size.

    Example:
        >>> gradient_saliency(model, image, 282).shape
        (224, 224)
    """
    return _saliency(model, image, class_index, guided=False)


def guided_backprop(model, image, class_index=None) -> np.ndarray:
    """Guided backpropagation (Springenberg et al., 2015) as a [0, 1] float32 (H, W) map
    (``max_rgb |guided gradient|``): sharp edges, but -- as the sanity check shows -- barely
    dependent on the top layers' weights (Adebayo et al., 2018).

    Example:
        >>> guided_backprop(model, image, 282).shape
        (224, 224)
    """
    return _saliency(model, image, class_index, guided=True)


# ---------------------------------------------------------------------------------------------
# Sanity check (Adebayo et al., 2018): cascading weight randomisation on a copy
# ---------------------------------------------------------------------------------------------


def copy_model(model: keras.Model) -> keras.Model:
    """An independent copy of ``model`` (same architecture and weights, new variables), so the
    original is never changed; its class names and head type are registered too."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    info = model_info(model)
    register_model(copy, f"{info.name} (copy)", info.class_names, binary=info.binary)
    return copy


def randomization_groups(model: keras.Model) -> list[tuple[str, list]]:
    """Layers with weights grouped by name prefix (``"predictions"``, ``"top"``, ``"block7a"``,
    ... ``"stem"``), from the output down to the input: the steps of the cascade."""
    groups: dict[str, list] = {}
    for ref in iter_layers(model):
        if ref.kind == "model" or not ref.layer.trainable_weights:
            continue
        groups.setdefault(ref.name.split("_")[0], []).append(ref.layer)
    return list(groups.items())[::-1]


def randomize_layers(layers, rng: np.random.Generator) -> None:
    """Replace the trainable weights of ``layers`` in place: kernels by Gaussian noise with the
    original standard deviation, 1-D parameters (biases, batch-norm scales) by a random
    permutation of their values. Only ever call it on a copy (see :func:`cascading_randomization`)."""
    for layer in layers:
        for var in layer.trainable_weights:
            w = np.asarray(var.numpy())
            new = rng.normal(0.0, float(w.std()) or 1e-3, w.shape) if w.ndim >= 2 else rng.permutation(w)
            var.assign(new.astype(w.dtype))


def cascading_randomization(model: keras.Model, *, seed: int = 0, steps: int | None = None):
    """The sanity check of Adebayo et al. (2018): randomise the weights from the top down.

    Yields ``(group_name, randomised_copy)``: first ``("original", copy)``, then the same copy
    after also randomising ``"predictions"``, then ``"top"``, ``"block7a"``, ... (cumulative,
    see :func:`randomization_groups`). ``model`` itself is never modified. The copy's
    variables are changed in place, so its compiled Grad-CAM functions are built only once;
    compute what you need at each step before asking for the next. ``steps`` limits the
    number of randomised groups.

    Example:
        >>> for name, rnd in cascading_randomization(model, steps=3):
        ...     print(name, round(spearman(gradcam(model, image, 282), gradcam(rnd, image, 282)), 1))
        ... # doctest: +SKIP
        original 1.0
        predictions -0.1
        top -0.2
    """
    rng = np.random.default_rng(seed)
    copy = copy_model(model)
    yield "original", copy
    for i, (name, layers) in enumerate(randomization_groups(copy)):
        if steps is not None and i >= steps:
            return
        randomize_layers(layers, rng)
        yield name, copy


__all__ = [
    "gradcam", "overlay", "colorize", "GradCAM", "GradCAMPlusPlus", "ScoreCAM", "METHODS", "gradient_saliency",
    "guided_backprop", "input_gradients", "cascading_randomization", "copy_model", "randomize_layers",
    "randomization_groups", "spearman", "rankdata", "gradcam_weights", "gradcam_plus_plus_weights",
    "gradcam_plus_plus_alphas", "weighted_cam", "normalize_map", "upsample", "default_layer", "cam_layers",
    "cam_from_gradients", "engine", "prepare_input", "COLORMAPS",
]
