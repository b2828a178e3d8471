"""Filter visualisation by gradient ascent in input space: what image makes one filter fire?

Start from a near-gray noise image and repeatedly change its *pixels* (not the weights) in the
direction that increases the mean activation of one filter of one layer. Two recipes:

* ``method="classic"`` -- the textbook / keras.io recipe (Chollet, *Deep Learning with Python*,
  2nd ed. ch. 9; keras.io "Visualizing what convnets learn"): loss = mean of the filter's map
  with a 2-pixel border cropped, gradient L2-normalised, step 10, 30 steps, deprocess by
  standardising, x0.15, +0.5, clip, x255.
* ``method="robust"`` -- the remedies of Olah, Mordvintsev & Schubert, "Feature Visualization"
  (Distill, 2017) and their Lucid library: the image is parametrised in a decorrelated colour
  space and in Fourier space (so low frequencies are as easy to change as high ones), and it is
  randomly jittered, scaled and rotated before every step (so the pattern must survive small
  transformations). Far less high-frequency noise; Adam steps instead of normalised gradients.

Only the network up to the target layer is run (a truncated :func:`helpers.features.feature_model`
at the requested size); the whole ascent loop is one compiled ``tf.function`` per
(model, layer, size, method) with the filter index passed as a tensor, so changing the filter
never retraces. Results are cached per (model, layer, filter, settings).

Saturating activations: a ReLU6 output has zero gradient where it is off (< 0) or clipped
(= 6), so ascent on ``block5a_expand_activation`` either never moves or stops at exactly 6.0.
When you pick a ReLU / ReLU6 layer, the *pre-activation* (the BatchNormalization output that
feeds it) is maximised instead (``preactivation=True``, the default); the activation is a
monotone function of it, so the pattern is the same idea without the dead zones. Filters that
still could not be driven are listed in :attr:`FilterResult.undriven` (and warned about by
:func:`filter_patterns`), never returned as a silent gray square.

Example:
    >>> model = helpers.load_model()
    >>> patterns = filter_patterns(model, "block4b_expand_conv", [0, 1, 2], size=96, steps=20)
    >>> patterns.shape, patterns.dtype
    ((3, 96, 96, 3), dtype('uint8'))
"""

from __future__ import annotations

import functools
import math
import warnings
import weakref
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from .features import feature_fn, feature_model, find_layer, is_spatial, layer_kind, output_shape, require_spatial

# --- the recipe's constants, and where each comes from ---------------------------------------
# Our models take raw RGB pixels 0..255 (their preprocessing is their first layer). The textbook
# works in the preprocessed [-1, 1] space of Xception / ResNet50V2, where one unit = 127.5 raw
# pixels. Every textbook number below is converted with this factor (measured in shared/README:
# a step of 10 *raw* pixels leaves 3 of 8 filters no more excited than by ordinary photos).
PIXEL_SCALE = 127.5
CLASSIC_STEP = 10.0          # keras.io / DLwP 2nd ed.: learning_rate = 10.0, in [-1, 1] units
CLASSIC_STEPS = 30           # keras.io / DLwP: 30 iterations
START_SPREAD = 0.125         # keras.io: img = (uniform - 0.5) * 0.25 -> gray +-0.125 in [-1, 1]
BORDER = 2                   # keras.io / DLwP: loss on activation[:, 2:-2, 2:-2, f] (border artefacts)
MIN_KEPT = 4                 # ... but keep at least a 4x4 centre (a 4x4 map cropped by 2 is empty: NaN)
CONTRAST = 0.15              # DLwP 2nd ed. / keras.io deprocess: std 0.15 around 0.5 (1st ed.: 0.1)
ROBUST_LR = 0.05             # Lucid's default Adam learning rate for render_vis
METHODS = ("classic", "robust")
MIN_SIZE = 16
MAX_SIZE = 1024

# Lucid's colour decorrelation: square root of the ImageNet colour covariance (from its SVD),
# normalised so the largest column has unit norm (lucid/optvis/param/color.py).
COLOR_CORRELATION_SVD_SQRT = np.array([[0.26, 0.09, 0.02],
                                       [0.27, 0.00, -0.05],
                                       [0.27, -0.09, 0.03]], np.float32)
COLOR_CORRELATION = COLOR_CORRELATION_SVD_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0))

_ASCENT: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()
_RESULTS: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()
_CACHE_LIMIT = 4096  # patterns kept per model (128 px: 48 KiB each)


# --- small pure functions (tested on hand-computed arrays) -----------------------------------

def border_crop(height: int, width: int, border: int = BORDER, min_kept: int = MIN_KEPT) -> int:
    """How many border pixels to drop from an ``height x width`` map before averaging.

    The textbook drops 2; on a small map that would leave nothing (a 4x4 map cropped by 2 is
    empty and its mean is NaN), so the crop shrinks until at least ``min_kept`` pixels remain
    on each side.

    Example:
        >>> border_crop(8, 8), border_crop(6, 6), border_crop(4, 4)
        (2, 1, 0)
    """
    b = int(border)
    while b > 0 and min(height, width) - 2 * b < min_kept:
        b -= 1
    return b


def filter_objective(activations, filter_index, border: int = 0):
    """Mean activation of channel ``filter_index`` over ``activations[:, b:-b, b:-b, :]``.

    Works on tensors and numpy arrays; ``filter_index`` may be a tensor (no retracing).

    Example:
        >>> float(filter_objective(np.ones((1, 6, 6, 2)) * [1.0, 3.0], 1, border=1))
        3.0
    """
    a = tf.convert_to_tensor(activations)
    if border:
        a = a[:, border:-border, border:-border, :]
    return tf.reduce_mean(tf.gather(a, filter_index, axis=-1))


def normalize_gradient(gradient, epsilon: float = 1e-12):
    """The gradient divided by its global L2 norm (``tf.math.l2_normalize``; DLwP 2nd ed. and
    keras.io). Each step then has the same length whatever the layer's scale; an all-zero
    gradient stays zero (that is how a stuck filter is detected).

    Example:
        >>> normalize_gradient(np.array([3.0, 4.0])).numpy()
        array([0.6, 0.8])
    """
    g = tf.convert_to_tensor(gradient)
    return g * tf.math.rsqrt(tf.maximum(tf.reduce_sum(g * g), tf.cast(epsilon, g.dtype)))


def deprocess(image, contrast: float = CONTRAST) -> np.ndarray:
    """Turn an optimised float image into a displayable uint8 picture (classic recipe).

    Standardise (mean 0, std 1: the ascent leaves the image at an arbitrary offset and scale),
    x ``contrast`` (0.15, DLwP 2nd ed. / keras.io; 0.1 in the 1st ed.), +0.5 (mid-gray), clip to
    [0, 1], x255. The textbook also crops 25 border pixels; we keep the full size so the output
    is ``size x size``. Works on one image (h, w, 3) or a batch, each image on its own.

    Example:
        >>> deprocess(np.array([[[0.0, 1.0, 2.0]]]))      # std 0.816: 0.5 -+ 0.15 / 0.816
        array([[[ 81, 128, 174]]], dtype=uint8)
    """
    x = np.asarray(image, np.float64)
    axes = tuple(range(x.ndim - 3, x.ndim))
    x = x - x.mean(axis=axes, keepdims=True)
    x = x / (x.std(axis=axes, keepdims=True) + 1e-5)
    x = np.clip(x * contrast + 0.5, 0.0, 1.0)
    return np.round(x * 255.0).astype(np.uint8)


def start_image(size: int, seed: int = 0) -> np.ndarray:
    """The classic starting point: near-gray uniform noise, in raw pixels (float32, size x size x 3).

    keras.io starts from ``(uniform - 0.5) * 0.25`` in the model's [-1, 1] input space, i.e. gray
    +-0.125; in raw pixels that is 127.5 +- 15.9.

    Example:
        >>> x = start_image(32, seed=0)
        >>> bool(111.5 <= x.min() and x.max() <= 143.5)
        True
    """
    rng = np.random.default_rng(seed)
    u = rng.random((size, size, 3))
    return (PIXEL_SCALE + PIXEL_SCALE * (u - 0.5) * (2 * START_SPREAD)).astype(np.float32)


def fft_frequencies(height: int, width: int) -> np.ndarray:
    """Spatial frequency (cycles per pixel) of each coefficient of ``rfft2`` of an h x w image."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    return np.sqrt(fx * fx + fy * fy)


def fourier_scale(height: int, width: int, decay_power: float = 1.0) -> np.ndarray:
    """Lucid's spectrum scaling: 1 / frequency (so every frequency band has similar energy in the
    image, like natural images), times sqrt(h*w) to undo the FFT's normalisation."""
    f = fft_frequencies(height, width)
    scale = 1.0 / np.maximum(f, 1.0 / max(height, width)) ** decay_power
    return (scale * math.sqrt(height * width)).astype(np.float32)


def robust_start(size: int, seed: int = 0) -> np.ndarray:
    """The robust method's starting parameters: small normal noise (sd 0.01, as Lucid) on the
    real and imaginary parts of the 3 colour channels' spectra, shape (2, 3, size, size//2+1)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((2, 3, size, size // 2 + 1)) * 0.01).astype(np.float32)


def decorrelated_to_rgb(t):
    """Map decorrelated colour coordinates (..., 3) to RGB logits (Lucid ``_linear_decorrelate_color``)."""
    return tf.tensordot(tf.convert_to_tensor(t, tf.float32), tf.constant(COLOR_CORRELATION.T), axes=1)


def params_to_image(params, scale):
    """Fourier parameters (2, 3, h, w//2+1) -> raw-pixel image (1, h, w, 3) in (0, 255).

    Inverse FFT of the 1/f-scaled spectrum (Fourier parametrisation), /4 as Lucid, then
    decorrelated colour -> RGB, then a sigmoid squashes it into a valid 0..1 image, x255.
    """
    params = tf.convert_to_tensor(params, tf.float32)
    h = tf.shape(params)[2]
    spectrum = tf.complex(params[0], params[1]) * tf.cast(scale, tf.complex64)
    image = tf.signal.irfft2d(spectrum, fft_length=tf.stack([h, h]))  # (3, h, h)
    image = tf.transpose(image, [1, 2, 0]) / 4.0
    return tf.sigmoid(decorrelated_to_rgb(image))[None] * 255.0


def affine_transform(scale, angle, tx, ty, size):
    """The 8 numbers ``ImageProjectiveTransformV3`` needs to scale by ``scale`` and rotate by
    ``angle`` (radians) about the image centre, then shift by (``tx``, ``ty``) pixels.

    They map each *output* pixel (x, y) to the input pixel it samples:
    ``input = c + R(-angle) (output - c) / scale - (tx, ty)`` with ``c`` the centre.

    Example:
        >>> affine_transform(1.0, 0.0, 3.0, -2.0, 9).numpy()[[0, 2, 4, 5]].tolist()   # a0, a2, b1, b2
        [1.0, -3.0, 1.0, 2.0]
    """
    scale, angle, tx, ty = (tf.cast(v, tf.float32) for v in (scale, angle, tx, ty))
    c = (tf.cast(size, tf.float32) - 1.0) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a0, a1, b0, b1 = cos, sin, -sin, cos
    a2 = c - a0 * c - a1 * c - tx
    b2 = c - b0 * c - b1 * c - ty
    zero = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zero, zero])


def random_transforms(steps: int, size: int, seed: int = 0) -> np.ndarray:
    """Per-step (scale, angle in radians, tx, ty) drawn like Lucid's standard transforms:
    scale in 0.9..1.1, rotation -10..10 degrees, jitter 8 + 4 pixels at 224 px (scaled to ``size``).
    Shape (steps, 4), float32; deterministic for a seed."""
    rng = np.random.default_rng([seed, 4])
    jitter = 12.0 * size / 224.0
    scales = 1.0 + (rng.integers(0, 11, steps) - 5) / 50.0
    angles = np.deg2rad(rng.integers(-10, 11, steps))
    shifts = rng.uniform(-jitter, jitter, (steps, 2)).round()
    return np.column_stack([scales, angles, shifts]).astype(np.float32)


def transform_image(image, transform):
    """Apply one (scale, angle, tx, ty) transform to a (1, h, w, 3) image, reflecting at the edges."""
    size = tf.shape(image)[1]
    m = affine_transform(transform[0], transform[1], transform[2], transform[3], size)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=image, transforms=m[None], output_shape=tf.stack([size, size]),
        fill_value=tf.constant(0.0), interpolation="BILINEAR", fill_mode="REFLECT")


# --- layer and argument checks ----------------------------------------------------------------

def _is_saturating(layer) -> bool:
    """A ReLU-family activation layer (ReLU, ReLU6, Activation('relu'/'relu6'))."""
    if isinstance(layer, keras.layers.ReLU):
        return True
    if isinstance(layer, keras.layers.Activation):
        return getattr(layer.activation, "__name__", "") in ("relu", "relu6")
    return False


def preactivation_layer(model: keras.Model, layer: str) -> str:
    """The layer whose output feeds ``layer`` when ``layer`` is a ReLU / ReLU6 activation
    (e.g. ``block5a_expand_activation`` -> ``block5a_expand_bn``); otherwise ``layer`` itself.

    Example:
        >>> preactivation_layer(load_model(), "block5a_expand_activation")
        'block5a_expand_bn'
    """
    ref = find_layer(model, layer)
    if not _is_saturating(ref.layer):
        return ref.name
    try:  # (an InputLayer parent is not among the model's layers: KeyError)
        parent = find_layer(model, ref.layer._inbound_nodes[0].input_tensors[0]._keras_history.operation.name)
    except (AttributeError, IndexError, KeyError):
        return ref.name  # unusual graph: fall back to the activation itself
    return parent.name if is_spatial(parent) else ref.name


def layer_channels(model: keras.Model, layer: str) -> int:
    """Number of filters (channels) of a feature-map layer; ValueError for Dense / pooled layers."""
    ref = require_spatial(model, layer, "a filter-visualisation target")
    return int(output_shape(ref)[-1])


def _check_filters(model, layer, filters) -> tuple[int, ...]:
    channels = layer_channels(model, layer)
    if isinstance(filters, (int, np.integer)) and not isinstance(filters, bool):
        items = [filters]
    elif isinstance(filters, (list, tuple, range, np.ndarray)):
        items = list(np.asarray(filters).ravel()) if isinstance(filters, np.ndarray) else list(filters)
    else:
        raise ValueError(f"filters must be a filter index or a list of them, got {filters!r}")
    if not items:
        raise ValueError("filters is empty: give at least one filter index")
    out = []
    for f in items:
        if isinstance(f, bool) or not isinstance(f, (int, np.integer)):
            raise ValueError(f"filter indices must be integers, got {f!r}")
        if not 0 <= int(f) < channels:
            raise IndexError(f"filter {int(f)} is out of range: layer {layer!r} has {channels} channels, "
                             f"so valid filters are 0..{channels - 1}")
        out.append(int(f))
    return tuple(out)


def _check_int(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        rng = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {rng}, got {value}")
    return int(value)


# --- the compiled ascent loops ------------------------------------------------------------------

def _ascent_fn(model, target: str, size: int, method: str):
    """One compiled ascent per (model, target layer, size, method); the filter is a tensor."""
    cache = _ASCENT.setdefault(model, {})
    key = (target, size, method)
    if key in cache:
        return cache[key]
    fm = feature_model(model, [target], input_shape=(size, size, 3))  # truncated after ``target``
    h, w = (int(d) for d in fm.outputs[0].shape[1:3])
    border = border_crop(h, w)

    def objective(x, f):
        return filter_objective(fm(x, training=False)[0], f, border)

    image_spec = tf.TensorSpec((1, size, size, 3), tf.float32)
    int_spec, float_spec = tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.float32)

    if method == "classic":
        signature = [image_spec, int_spec, int_spec, float_spec]

        def ascend(image, f, steps, step):
            start = tf.constant(0.0)
            first_norm = tf.constant(0.0)
            last_norm = tf.constant(0.0)
            for i in tf.range(steps):
                with tf.GradientTape() as tape:
                    tape.watch(image)
                    loss = objective(image, f)
                grad = tape.gradient(loss, image)
                norm = tf.norm(grad)
                start = tf.where(i == 0, loss, start)
                first_norm = tf.where(i == 0, norm, first_norm)
                last_norm = norm
                image = image + step * normalize_gradient(grad)
            final = objective(image, f)
            start = tf.where(steps > 0, start, final)
            return image, start, final, first_norm, last_norm
    else:
        scale = tf.constant(fourier_scale(size, size))
        param_spec = tf.TensorSpec((2, 3, size, size // 2 + 1), tf.float32)

        signature = [param_spec, int_spec, tf.TensorSpec((None, 4), tf.float32), float_spec]

        def ascend(params, f, transforms, lr):
            b1, b2, eps = 0.9, 0.999, 1e-8
            m = tf.zeros_like(params)
            v = tf.zeros_like(params)
            first_norm = tf.constant(0.0)
            last_norm = tf.constant(0.0)
            start = objective(params_to_image(params, scale), f)
            for i in tf.range(tf.shape(transforms)[0]):
                with tf.GradientTape() as tape:
                    tape.watch(params)
                    loss = objective(transform_image(params_to_image(params, scale), transforms[i]), f)
                grad = tape.gradient(loss, params)
                norm = tf.norm(grad)
                first_norm = tf.where(i == 0, norm, first_norm)
                last_norm = norm
                t = tf.cast(i + 1, tf.float32)
                m = b1 * m + (1 - b1) * grad
                v = b2 * v + (1 - b2) * grad * grad
                params = params + lr * (m / (1 - b1 ** t)) / (tf.sqrt(v / (1 - b2 ** t)) + eps)
            image = params_to_image(params, scale)
            return image, start, objective(image, f), first_norm, last_norm

    cache[key] = _compile(ascend, signature)
    return cache[key]


def _compile(fn, signature):
    """``tf.function`` with a fixed signature. Wrapped in a ``functools.partial`` so TensorFlow counts
    each (layer, size) function on its own: closures share one code object, and TF would otherwise
    warn about "retracing" when several layers are each compiled once."""
    return tf.function(functools.partial(fn), input_signature=signature)


# --- public API -----------------------------------------------------------------------------------

@dataclass
class FilterResult:
    """What :func:`visualize_filters` found, filter by filter.

    Example:
        >>> r = visualize_filters(load_model(), "block2a_expand_activation", [0, 1], size=64, steps=10)
        >>> r.patterns.shape, r.target
        ((2, 64, 64, 3), 'block2a_expand_bn')

    Attributes:
        patterns: uint8 (n, size, size, 3), one picture per filter.
        layer: the layer you asked for; ``target``: the layer actually maximised (its
            pre-activation when ``layer`` is a ReLU / ReLU6).
        filters: the filter indices, in order.
        start_activation, final_activation: the objective (mean of the filter's map, border
            cropped) on the start image and on the optimised image (before deprocessing).
        stuck: filters whose gradient was exactly zero from the start (nothing could move them).
        saturated: filters whose gradient vanished before the last step (e.g. a ReLU6 stuck at 6).
    """

    patterns: np.ndarray
    layer: str
    target: str
    filters: tuple
    start_activation: np.ndarray
    final_activation: np.ndarray
    stuck: tuple = ()
    saturated: tuple = ()
    method: str = "classic"
    settings: dict = field(default_factory=dict)

    @property
    def undriven(self) -> tuple:
        """Filters that could not be driven (stuck or saturated), sorted."""
        return tuple(sorted(set(self.stuck) | set(self.saturated)))

    def __len__(self):
        return len(self.filters)


def visualize_filters(model: keras.Model, layer: str, filters, *, size: int = 128, steps: int = CLASSIC_STEPS,
                      seed: int = 0, method: str = "classic", step: float | None = None,
                      preactivation: bool = True, progress: bool | None = None, on_progress=None,
                      cache: bool = True) -> FilterResult:
    """Gradient ascent for several filters of a layer; returns a :class:`FilterResult`.

    Same arguments as :func:`filter_patterns`, which returns only ``result.patterns``.

    Example:
        >>> r = visualize_filters(load_model(), "block5a_expand_activation", [0, 1], size=64, steps=10)
        >>> r.target, r.undriven
        ('block5a_expand_bn', ())
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    size = _check_int("size", size, MIN_SIZE, MAX_SIZE)
    steps = _check_int("steps", steps, 0)
    seed = _check_int("seed", seed, 0)
    filters = _check_filters(model, layer, filters)
    layer_name = find_layer(model, layer).name
    target = preactivation_layer(model, layer_name) if preactivation else layer_name
    if step is None:
        step = CLASSIC_STEP if method == "classic" else ROBUST_LR
    if not (isinstance(step, (int, float, np.floating)) and math.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number, got {step!r}")
    settings = dict(size=size, steps=steps, seed=seed, method=method, step=float(step))
    store = _RESULTS.setdefault(model, {})
    keys = {f: (target, f, size, steps, seed, method, float(step)) for f in filters}
    todo = [f for f in dict.fromkeys(filters) if not (cache and keys[f] in store)]

    if todo:
        ascend = _ascent_fn(model, target, size, method)
        if method == "classic":
            start = tf.constant(start_image(size, seed)[None])
            extra = (tf.constant(steps), tf.constant(float(step) * PIXEL_SCALE, tf.float32))
        else:
            start = tf.constant(robust_start(size, seed))
            extra = (tf.constant(random_transforms(steps, size, seed)), tf.constant(float(step), tf.float32))
        show = progress if progress is not None else len(todo) > 1
        bar = None
        if show:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(todo), desc=f"{target} ({method})", leave=False)
        try:
            for k, f in enumerate(todo):
                image, a0, a1, g0, g1 = ascend(start, tf.constant(f, tf.int32), *extra)
                image = image.numpy()[0]
                pattern = deprocess(image) if method == "classic" else np.clip(np.round(image), 0, 255).astype(np.uint8)
                a0, a1, g0, g1 = float(a0), float(a1), float(g0), float(g1)
                stuck = steps > 0 and g0 == 0.0
                saturated = steps > 0 and not stuck and g1 == 0.0
                if len(store) >= _CACHE_LIMIT:
                    store.pop(next(iter(store)))
                store[keys[f]] = (pattern, a0, a1, stuck, saturated)
                if bar is not None:
                    bar.update(1)
                if on_progress is not None:
                    on_progress(k + 1, len(todo))
        finally:
            if bar is not None:
                bar.close()
    rows = [store[keys[f]] for f in filters]
    return FilterResult(
        patterns=np.stack([r[0] for r in rows]),
        layer=layer_name, target=target, filters=filters,
        start_activation=np.array([r[1] for r in rows]), final_activation=np.array([r[2] for r in rows]),
        stuck=tuple(f for f, r in zip(filters, rows) if r[3]),
        saturated=tuple(f for f, r in zip(filters, rows) if r[4]),
        method=method, settings=settings)


def filter_patterns(model: keras.Model, layer: str, filters, *, size: int = 128, steps: int = CLASSIC_STEPS,
                    seed: int = 0, method: str = "classic", step: float | None = None,
                    preactivation: bool = True, progress: bool | None = None, on_progress=None,
                    cache: bool = True) -> np.ndarray:
    """The input pattern that maximises each filter of ``layer``: uint8 array (n, size, size, 3).

    Args:
        model: a model from :func:`helpers.load_model` (raw 0..255 RGB input).
        layer: a convolution / BatchNormalization / add / activation layer name. For a ReLU or
            ReLU6 layer its pre-activation is maximised (see the module doc); ``preactivation=False``
            maximises the clipped activation itself (to see why that fails).
        filters: one filter index or a list of them (each 0 .. channels - 1).
        size: image side in pixels (>= 16; any size, not only the model's input size).
        steps: ascent steps (0 returns the deprocessed start image).
        seed: random seed of the start image (and the robust transforms); same seed, same output.
        method: ``"classic"`` (textbook) or ``"robust"`` (Distill Feature Visualization remedies).
        step: classic: step length in [-1, 1] input units (default 10, x127.5 in raw pixels);
            robust: Adam learning rate (default 0.05).
        progress: show a tqdm progress bar (default: when more than one filter must be computed);
            ``on_progress(done, total)`` is called after each filter (used by the explorer).
        cache: reuse results computed before for the same (model, layer, filter, settings).

    Filters that could not be driven are reported with a ``UserWarning`` (use
    :func:`visualize_filters` to get them as a list).

    Raises:
        IndexError: a filter index outside the layer's channels (the message gives the count).
        ValueError: a layer without feature maps (Dense, global pooling), size < 16, bad method.
        KeyError: unknown layer name.

    Example:
        >>> filter_patterns(load_model(), "block4b_expand_conv", 7, size=64, steps=10).shape
        (1, 64, 64, 3)
    """
    result = visualize_filters(model, layer, filters, size=size, steps=steps, seed=seed, method=method,
                               step=step, preactivation=preactivation, progress=progress,
                               on_progress=on_progress, cache=cache)
    if result.undriven:
        warnings.warn(f"{len(result.undriven)} filter(s) of {result.target!r} could not be driven by gradient "
                      f"ascent (zero gradient): {list(result.undriven)}; their pictures are not meaningful",
                      stacklevel=2)
    return result.patterns


def filter_activations(model: keras.Model, layer: str, images, *, border: int | None = None) -> np.ndarray:
    """Mean activation of every filter of ``layer`` for each image: float array (n_images, channels).

    The same objective the ascent maximises (the border crop of :func:`border_crop` unless
    ``border`` is given); the images (uint8 or float raw pixels) are used at their own size.

    Example:
        >>> pats = filter_patterns(load_model(), "block4b_expand_conv", [3], size=64, steps=10)
        >>> filter_activations(load_model(), "block4b_expand_conv", pats).shape
        (1, 480)
    """
    require_spatial(model, layer, "a filter-visualisation target")
    x = np.asarray(images, np.float32)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3 or x.shape[1] < MIN_SIZE or x.shape[2] < MIN_SIZE:
        raise ValueError(f"images must be RGB (n, h, w, 3) with h, w >= {MIN_SIZE}, got shape {np.shape(images)}")
    out = feature_fn(model, [layer], input_shape=x.shape[1:])(tf.constant(x))[0].numpy()
    b = border_crop(*out.shape[1:3]) if border is None else int(border)
    if b:
        out = out[:, b:-b, b:-b, :]
    return out.mean(axis=(1, 2))


def clear_cache(model: keras.Model | None = None) -> None:
    """Forget cached patterns (of one model, or all), e.g. after changing a model's weights."""
    if model is None:
        _RESULTS.clear()
    else:
        _RESULTS.pop(model, None)


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
    if normalize not in ("each", "all"):
        raise ValueError(f"normalize must be 'each' or 'all', got {normalize!r}")
    if layer is None:
        from .features import iter_layers
        refs = [r for r in iter_layers(model) if layer_kind(r.layer) == "conv" and _kernel_in_channels(r.layer) == 3]
        if not refs:
            raise ValueError("this model has no convolution on the 3 RGB input channels")
        ref = refs[0]
    else:
        ref = find_layer(model, layer)
        if layer_kind(ref.layer) != "conv" or _kernel_in_channels(ref.layer) != 3:
            raise ValueError(f"layer {layer!r} is not a convolution on the 3 RGB input channels, so its kernels "
                             "are not pictures; use the model's first convolution (layer=None)")
    w = np.asarray(ref.layer.kernel.numpy() if hasattr(ref.layer.kernel, "numpy") else ref.layer.kernel)
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
    from .features import iter_layers
    return any(getattr(r.layer, "mode", None) == "caffe" for r in iter_layers(model))


def atlas_grid(patterns, ncols: int = 8, pad: int = 2, fill: int = 255) -> np.ndarray:
    """Tile patterns (n, h, w, 3) into one uint8 mosaic with ``pad`` pixels between tiles.

    Example:
        >>> atlas_grid(np.zeros((3, 4, 4, 3), np.uint8), ncols=2, pad=1).shape
        (9, 9, 3)
    """
    p = np.asarray(patterns)
    if p.ndim != 4:
        raise ValueError(f"patterns must be (n, h, w, channels), got shape {p.shape}")
    n, h, w, c = p.shape
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    grid = np.full((nrows * h + (nrows - 1) * pad, ncols * w + (ncols - 1) * pad, c), fill, np.uint8)
    for i in range(n):
        r, k = divmod(i, ncols)
        grid[r * (h + pad):r * (h + pad) + h, k * (w + pad):k * (w + pad) + w] = p[i]
    return grid


def filter_atlas(model: keras.Model, layer: str, n: int = 64, *, filters=None, size: int = 128,
                 steps: int = CLASSIC_STEPS, seed: int = 0, method: str = "classic", ncols: int = 8,
                 path=None, progress: bool | None = None, on_progress=None, tile: float = 1.1):
    """A grid of the patterns of the first ``n`` filters of ``layer`` (or of ``filters``); returns
    ``(figure, result)``. With ``path`` the figure is also saved there as a PNG.
    Undriven filters are titled in red.

    Example:
        >>> fig, result = filter_atlas(load_model(), "block2a_expand_conv", n=8, size=64, steps=10)
        >>> result.patterns.shape
        (8, 64, 64, 3)
    """
    from .plotting import show_patterns

    channels = layer_channels(model, layer)
    if filters is None:
        n = _check_int("n", n, 1)
        filters = list(range(min(n, channels)))
    result = visualize_filters(model, layer, filters, size=size, steps=steps, seed=seed, method=method,
                               progress=progress, on_progress=on_progress)
    title = f"{layer} ({channels} filters; {method}, {steps} steps, {size} px)"
    if result.target != result.layer:
        title += f"\nmaximising its pre-activation {result.target}"
    fig = show_patterns(result.patterns, [str(f) for f in result.filters], ncols=ncols, size=tile,
                        title=title, flagged=[i for i, f in enumerate(result.filters) if f in result.undriven])
    if path is not None:
        fig.savefig(path, format="png", dpi=100)
    return fig, result
