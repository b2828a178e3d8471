"""Intermediate activations: every feature map of every layer for one image, and the small
pieces of maths needed to look at them (normalisation, dead channels, sparsity). Drawing them
(mosaics, colours) is :mod:`helpers.plotting`'s job.

The technique itself is one function, :func:`activations`: a multi-output *feature model*
(``helpers.features.feature_model``: raw pixels -> the outputs of the chosen layers) is built
once per model and layer set, compiled with ``tf.function``, and run once per image. The rest
of the module is pure numpy, checked on hand-computed arrays in ``tests/test_activations.py``.

Example:
    >>> model = helpers.load_model()
    >>> acts = helpers.activations(model, helpers.load_image("chelsea"))
    >>> next(iter(acts.items()))[1].shape          # the first convolution: 32 feature maps
    (112, 112, 32)
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ._cache import store
from .features import feature_fn
from .layers import iter_layers, layer_names, require_spatial
from .models import prepare
from .validation import (MAX_SIDE, check_array, check_choice, check_count, check_finite, check_ints, check_layers,
                         check_model, check_number)

__all__ = ["DEFAULT_KINDS", "NORMALIZATIONS", "activations", "count_dead", "dead_channels", "default_layers",
           "kind_ranges", "normalize", "resolve_layers", "shrink_maps", "sparsity", "sparsity_by_layer", "value_range"]

NORMALIZATIONS = ("channel", "layer", "global")
DEFAULT_KINDS = ("conv", "pool")

# --------------------------------------------------------------------------- the technique
def default_layers(model) -> list[str]:
    """Every convolution (incl. depthwise / separable) and pooling layer with a spatial output,
    in forward order (nested models included).

    Example:
        >>> default_layers(helpers.load_model())[:2]
        ['stem_conv', 'block1a_dwconv']
    """
    return layer_names(model, kinds=DEFAULT_KINDS, spatial=True)


def resolve_layers(model, layers=None) -> tuple[str, ...]:
    """Validate layers (names or Keras layer objects) and put their names in forward order (duplicates dropped).

    Raises:
        ArgumentTypeError: ``layers`` is not a name, a layer, a list of them or None (e.g. ``layers=5``).
        KeyError: an unknown layer name (the message lists close matches).
        ValueError: a layer without a spatial output (Dense, global pooling, ...), or no layers.

    Example:
        >>> resolve_layers(helpers.load_model(), ["top_conv", "stem_conv"])
        ('stem_conv', 'top_conv')
    """
    check_model(model)
    key = check_layers(layers)  # names (a layer object becomes its name): a hashable key
    # checking ~50 names against ~150 layers costs ~5 ms: do it once per layer set
    return store(model, "resolved_layers", max_items=256).get_or_make(key, lambda: _resolve_layers(model, key))


def _resolve_layers(model, layers) -> tuple[str, ...]:
    if layers is None:
        names = default_layers(model)
        if not names:
            raise ValueError(f"model {model.name!r} has no convolution or pooling layer with a spatial output; "
                             "pass layers=[...] (helpers.layer_names(model) lists the candidates)")
    else:
        names = list(layers)
        if not names:
            raise ValueError("layers is empty: give at least one layer name, or None for every conv/pool layer")
    for name in names:
        require_spatial(model, name, purpose="a stack of feature maps for activations()")
    order = {ref.name: i for i, ref in enumerate(iter_layers(model))}
    return tuple(sorted(dict.fromkeys(names), key=order.__getitem__))


def activations(model, image, layers=None) -> dict[str, np.ndarray]:
    """The output of each requested layer for an image: ``{layer name: (h, w, channels) float32}``.

    One compiled forward pass computes all requested layers together (the feature model is
    built once per model and layer set, and cached). Keys come in forward order. The arrays are
    read-only views of TensorFlow's results (no copy); ``.copy()`` one to change it.

    Args:
        model: a Keras model taking raw 0..255 RGB pixels (``helpers.load_model()``), also a
            Sequential model or one with a nested backbone.
        image: ``(H, W, 3)`` uint8/float RGB, or a batch ``(N, H, W, 3)``; resized to the
            model's input size. A batch gives ``(N, h, w, channels)`` arrays.
        layers: layer names or Keras layer objects (or one of them); ``None`` means every convolution and pooling
            layer with a spatial output (:func:`default_layers`).

    Raises:
        TypeError: not a model (e.g. its name: call helpers.load_model first); ``layers`` not a name,
            a layer, a list of them or None (an ArgumentTypeError, also a ValueError).
        KeyError: unknown layer (with close matches).
        ValueError: a layer that is not a stack of feature maps (e.g. Dense), or a malformed image.

    Example:
        >>> acts = activations(model, image, ["stem_conv", "top_activation"])
        >>> {k: v.shape for k, v in acts.items()}
        {'stem_conv': (112, 112, 32), 'top_activation': (7, 7, 1280)}
    """
    check_model(model)  # the public boundary: a model name, several inputs ... -> a clear error
    names = resolve_layers(model, layers)
    batch, single = prepare(model, image)
    outputs = feature_fn(model, names)(tf.constant(batch))
    result = {}
    for name, out in zip(names, outputs):
        a = _as_numpy(out)
        result[name] = a[0] if single else a
    return result


def _as_numpy(tensor) -> np.ndarray:
    """The tensor's values as a read-only float32 numpy view, without a copy.

    ``np.asarray`` of an eager tensor shares its buffer (``Tensor.numpy()`` would copy ~25 MB
    of feature maps into fresh pages: about a third of a forward pass). Read-only, so a cached
    result cannot be changed by accident.
    """
    a = np.asarray(tensor)
    return a if a.dtype == np.float32 else a.astype(np.float32)


# --------------------------------------------------------------------------- pure maths
def _layer_maps(maps) -> np.ndarray:
    """One layer's feature maps (h, w, c) of one image, with at least one value."""
    return check_array("maps", maps, 3, expected="one layer's feature maps of shape (height, width, channels)",
                       allow_empty=False, hint=" (for a batch, pass one image's maps: acts[name][i])")


def dead_channels(maps, tol: float = 0.0) -> np.ndarray:
    """Boolean mask ``(channels,)``: True where a channel is zero everywhere (``|x| <= tol``).

    Works for ``(h, w, c)`` and batches ``(n, h, w, c)`` (dead on every image).

    Example:
        >>> dead_channels(np.stack([np.zeros((2, 2)), np.ones((2, 2))], -1)).tolist()
        [True, False]
    """
    a = np.asarray(maps)
    if a.ndim < 2:
        raise ValueError(f"feature maps need a channel axis; got shape {a.shape}")
    flat = a.reshape(-1, a.shape[-1])
    if flat.shape[0] == 0:
        return np.ones(a.shape[-1], bool)
    return (flat.max(axis=0) <= tol) & (flat.min(axis=0) >= -tol)  # two reductions, no temporaries


def count_dead(maps, tol: float = 0.0) -> int:
    """How many channels are all zero (``|x| <= tol`` everywhere).

    Example:
        >>> count_dead(np.zeros((4, 4, 3)))
        3
    """
    return int(dead_channels(maps, tol).sum())


def sparsity(maps, tol: float = 0.0) -> float:
    """Fraction of activations that are zero (``|x| <= tol``): 0 = every unit fires, 1 = silence.

    Example:
        >>> sparsity(np.array([[[0.0, 1.0], [0.0, 0.0]]]))
        0.75
    """
    a = np.asarray(maps)
    if a.size == 0:
        raise ValueError("sparsity of an empty array is undefined")
    return float(np.count_nonzero(np.abs(a) <= tol) / a.size)


def sparsity_by_layer(acts: dict, tol: float = 0.0) -> dict[str, float]:
    """:func:`sparsity` of each layer of an :func:`activations` dict, in the same order.

    Example:
        >>> sparsity_by_layer({"a": np.zeros((2, 2, 1)), "b": np.ones((2, 2, 1))})
        {'a': 1.0, 'b': 0.0}
    """
    return {name: sparsity(a, tol) for name, a in acts.items()}


def value_range(acts: dict) -> tuple[float, float]:
    """Smallest and largest activation over all layers of a dict (for ``"global"`` normalisation).

    Example:
        >>> value_range({"a": np.array([[[1.0]]]), "b": np.array([[[-2.0, 5.0]]])})
        (-2.0, 5.0)
    """
    if not acts:
        raise ValueError("value_range needs at least one layer")
    return (float(min(np.min(a) for a in acts.values())), float(max(np.max(a) for a in acts.values())))


def kind_ranges(acts: dict, kinds: dict) -> dict[str, tuple[float, float]]:
    """:func:`value_range` per kind of layer: ``kinds`` maps each layer of ``acts`` to its kind
    (``helpers.layers.layer_kind``). One ``"global"`` scale per kind compares like with like: on
    EfficientNet-Lite0 the conv outputs reach |values| up to 99 on the photo 'chelsea', ReLU6
    activations at most 6.

    Example:
        >>> acts = {"c1": np.array([[[-40.0, 90.0]]]), "a1": np.array([[[0.0, 6.0]]]), "a2": np.array([[[2.0]]])}
        >>> kind_ranges(acts, {"c1": "conv", "a1": "activation", "a2": "activation"})
        {'conv': (-40.0, 90.0), 'activation': (0.0, 6.0)}
    """
    missing = sorted(set(acts) - set(kinds))
    if missing:
        raise KeyError(f"no kind given for layers {missing}")
    order = list(dict.fromkeys(kinds[n] for n in acts))
    return {kind: value_range({n: a for n, a in acts.items() if kinds[n] == kind}) for kind in order}


def normalize(maps, mode: str = "channel", value_range: tuple[float, float] | None = None) -> np.ndarray:
    """Turn one layer's feature maps ``(h, w, c)`` into displayable uint8 0..255, same shape.

    Modes:
        ``"channel"``: each channel on its own (the textbook's recipe: standardise, x64, +128,
            clip). Every channel uses the full contrast, so a barely active channel looks as
            busy as a strong one.
        ``"layer"``: one linear scale for the whole layer (its min -> 0, max -> 255): channels
            can be compared with each other.
        ``"global"``: one linear scale shared by all layers: pass ``value_range=(lo, hi)``
            (:func:`value_range` of the activations dict); layers can be compared too.

    Channels that are all zero (dead) and, in ``"channel"`` mode, constant channels come out 0
    (blank); no NaN, no warnings.

    Example:
        >>> normalize(np.arange(8.0).reshape(2, 2, 2), "layer")[..., 0].tolist()
        [[0, 73], [146, 219]]
    """
    mode = check_choice("normalisation", mode, NORMALIZATIONS, ignore_case=True)  # "Layer" is "layer"
    with np.errstate(over="ignore", invalid="ignore"):  # values beyond float32 become inf: refused below
        a = np.array(_layer_maps(maps), dtype=np.float32)  # a private float32 copy, modified in place
    check_finite("the maps", a, " (or values beyond float32's range); feature maps from helpers.activations "
                 "never have them")
    dead = dead_channels(a)
    if mode == "channel":
        mean = a.mean(axis=(0, 1), dtype=np.float64)
        std = a.std(axis=(0, 1), dtype=np.float64)
        flat = std <= 1e-7 * np.maximum(1.0, np.abs(mean))  # constant (incl. dead): nothing to show
        scale = np.where(flat, 0.0, 64.0 / np.where(flat, 1.0, std))
        offset = np.where(flat, 0.0, 128.0 - mean * scale)
        a *= scale.astype(np.float32)
        a += offset.astype(np.float32)
    else:
        if mode == "global":
            if value_range is None:
                raise ValueError("global normalisation shares one scale across layers: pass "
                                 "value_range=helpers.value_range(acts) (the min and max over all layers)")
            low_high = check_array("value_range", value_range, 1, expected="(low, high)")
            if low_high.shape != (2,):
                raise ValueError(f"value_range must be (low, high), got {value_range!r:.60}")
            lo, hi = check_number("value_range's low", low_high[0]), check_number("value_range's high", low_high[1])
            if hi < lo:
                raise ValueError(f"value_range must be finite (low, high) with low <= high; got {value_range!r}")
        else:
            lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
        span = hi - lo
        if span > 0:
            a -= np.float32(lo)
            a *= np.float32(255.0 / span)
        else:
            a[...] = 0.0
    a[..., dead] = 0.0
    np.clip(a, 0, 255, out=a)
    np.rint(a, out=a)
    return a.astype(np.uint8)


def shrink_maps(maps, size: tuple[int, int]) -> np.ndarray:
    """Resize every channel of ``(h, w, c)`` maps to ``size=(height, width)``: area averaging
    when shrinking (fine detail is averaged, not aliased), nearest pixel when enlarging. Used to
    draw a mosaic at its size on screen. uint8 and float32 keep their dtype.

    Example:
        >>> shrink_maps(np.arange(16.0).reshape(4, 4, 1), (2, 2))[..., 0].tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """
    import cv2

    a = _layer_maps(maps)
    if a.dtype not in (np.uint8, np.float32):
        a = a.astype(np.float32)
    th, tw = (check_count("size", side, MAX_SIDE) for side in check_ints("size", size, 2, expected="(height, width)"))
    h, w, c = a.shape
    if (th, tw) == (h, w):
        return a
    interp = cv2.INTER_AREA if th * tw < h * w else cv2.INTER_NEAREST
    out = np.empty((th, tw, c), a.dtype)
    for i in range(0, c, 4):  # OpenCV's fast paths take up to 4 channels at a time
        part = cv2.resize(np.ascontiguousarray(a[..., i:i + 4]), (tw, th), interpolation=interp)
        out[..., i:i + 4] = part.reshape(th, tw, -1)
    return out
