"""The public filter-visualisation functions: :func:`filter_patterns`, :func:`visualize_filters`
(a :class:`FilterResult`), :func:`filter_activations`, and the ReLU pre-activation redirect.

Each filter is one :func:`~.render.ascend` of ``channel(target, f)`` with a preset's parts
(:mod:`.presets`); the compiled loop is shared by all filters of a layer, and finished patterns
are cached per (model, layer, filter, settings) in the model's ``"filter-patterns"`` store.

Saturating activations: a ReLU6 output has zero gradient where it is off (< 0) or clipped
(= 6), so ascent on ``block5a_expand_activation`` either never moves or stops at exactly 6.0.
When you pick a ReLU / ReLU6 layer, the *pre-activation* (the layer that feeds it, e.g. its
BatchNormalization) is maximised instead (``preactivation=True``, the default); the activation
is a monotone function of it, so the pattern is the same idea without the dead zones. Filters
that still could not be driven are listed in :attr:`FilterResult.undriven` (and warned about by
:func:`filter_patterns`), never returned as a silent gray square.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from .._cache import array_budget, store
from ..features import feature_fn
from ..layers import find_layer, is_spatial, predecessor, require_spatial
from ..validation import check_array, check_choice, check_int, check_model, check_positive
from .checks import MIN_SIZE, check_filters, check_size, check_steps
from .objectives import border_crop, channel
from .presets import CLASSIC_STEPS, METHODS, PRESETS
from .render import ascend

__all__ = ["FilterResult", "filter_activations", "filter_patterns", "preactivation_layer", "visualize_filters"]


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
    parent = predecessor(model, ref.name)
    return parent.name if parent is not None and is_spatial(parent) else ref.name


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
        start_activation, final_activation: the objective (mean of the filter's map; border
            cropped for ``"classic"``) on the start image and on the optimised image.
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


@dataclass(frozen=True)
class _Pattern:
    """One cached filter: its picture and what the ascent reported."""

    picture: np.ndarray
    start: float
    final: float
    stuck: bool
    saturated: bool


def _progress_bar(show: bool, total: int, desc: str):
    if not show:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, leave=False)


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
    method = check_choice("method", method, METHODS, ignore_case=True)  # "Robust" is "robust"
    preset = PRESETS[method]
    check_model(model)
    layer = find_layer(model, layer).name  # a Keras layer object is taken as its name
    size, steps, seed = check_size(size), check_steps(steps), check_int("seed", seed, 0)
    rate = preset.rate if step is None else check_positive("step", step)
    filters = check_filters(model, layer, filters)
    layer_name = find_layer(model, layer).name
    target = preactivation_layer(model, layer_name) if preactivation else layer_name
    results = store(model, "filter-patterns", max_bytes=array_budget())
    keys = {f: (target, f, size, steps, seed, method, rate) for f in filters}
    found = {f: results.get(keys[f]) for f in filters} if cache else {}
    todo = [f for f in dict.fromkeys(filters) if found.get(f) is None]
    if todo:
        param, transforms, rule = preset.parts(size, seed, rate)
        bar = _progress_bar(progress if progress is not None else len(todo) > 1, len(todo), f"{target} ({method})")
        try:
            for k, f in enumerate(todo):
                a = ascend(model, channel(target, f, border=preset.border), param, transforms, rule,
                           steps=steps, seed=seed)
                found[f] = results.put(keys[f], _Pattern(preset.display(a.image), a.start, a.final,
                                                         a.stuck, a.saturated))
                if bar is not None:
                    bar.update(1)
                if on_progress is not None:
                    on_progress(k + 1, len(todo))
        finally:
            if bar is not None:
                bar.close()
    rows = [found[f] for f in filters]
    return FilterResult(
        patterns=np.stack([r.picture for r in rows]),
        layer=layer_name, target=target, filters=filters,
        start_activation=np.array([r.start for r in rows]), final_activation=np.array([r.final for r in rows]),
        stuck=tuple(f for f, r in zip(filters, rows) if r.stuck),
        saturated=tuple(f for f, r in zip(filters, rows) if r.saturated),
        method=method, settings=dict(size=size, steps=steps, seed=seed, method=method, step=rate))


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
        steps: ascent steps (0 returns the start image).
        seed: random seed of the start image (and the robust transforms); same seed, same output.
        method: ``"classic"`` (textbook: pixels, normalised steps, 2-pixel border crop) or
            ``"robust"`` (Fourier + decorrelated colour, transforms, Adam, the whole map); see
            :mod:`helpers.filters.presets`.
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

    ``border=None`` crops like the classic objective (:func:`border_crop`); ``border=0`` averages
    the whole map (the robust objective, and the fair score to compare methods). The images
    (uint8 or float raw pixels) are used at their own size.

    Example:
        >>> pats = filter_patterns(load_model(), "block4b_expand_conv", [3], size=64, steps=10)
        >>> filter_activations(load_model(), "block4b_expand_conv", pats, border=0).shape
        (1, 480)
    """
    require_spatial(model, layer, "a filter-visualisation target")
    x = check_array("images", images, (3, 4), dtype=np.float32, expected="an RGB pattern (h, w, 3) or a batch of them")
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3 or x.shape[1] < MIN_SIZE or x.shape[2] < MIN_SIZE:
        raise ValueError(f"images must be RGB (n, h, w, 3) with h, w >= {MIN_SIZE}, got shape {np.shape(images)}")
    out = feature_fn(model, [layer], input_shape=x.shape[1:])(tf.constant(x))[0].numpy()
    b = border_crop(*out.shape[1:3]) if border is None else check_int("border", border, 0)
    if b:
        out = out[:, b:-b, b:-b, :]
    return out.mean(axis=(1, 2))
