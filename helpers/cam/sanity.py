"""The sanity check of Adebayo et al. (2018): does an explanation change when the model's weights
are destroyed? Cascading weight randomisation on copies of the model, and the Spearman rank
correlation that compares a map before and after.

Example:
    >>> spearman([1, 2, 3, 4], [10, 20, 30, 45]), spearman([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
"""

from __future__ import annotations

import keras
import numpy as np

from ..layers import iter_layers
from ..models import model_info, register_model
from ..validation import check_int, check_model

__all__ = ["cascading_randomization", "copy_model", "randomization_groups", "randomize_layers", "rankdata",
           "spearman"]


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
    ranks = np.empty(v.size, np.float64)
    ranks[order] = ((starts + ends - 1) / 2.0 + 1.0)[group]  # average of ranks start+1 .. end
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two equally sized arrays (flattened; ties get average ranks).

    1 = same ordering of pixels, 0 = unrelated, -1 = reversed. If either array is constant (e.g.
    an all-zero map) the ordering is undefined and the result is 0.0 (no agreement), not NaN.

    Example:
        >>> spearman(np.zeros(3), [1, 2, 3])
        0.0
    """
    x = np.asarray(a, np.float64).ravel()
    y = np.asarray(b, np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"spearman needs two arrays of the same size, got {x.size} and {y.size} values")
    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denom = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return 0.0 if denom == 0 else float(np.clip((rx * ry).sum() / denom, -1.0, 1.0))


def copy_model(model: keras.Model, *, name: str | None = None) -> keras.Model:
    """An independent copy of ``model`` (same architecture and weights, new variables), so the
    original is never changed; its class names and head type are registered too, under ``name``
    (default: the original's name + " (copy)")."""
    check_model(model)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    info = model_info(model)
    register_model(copy, name or f"{info.name} (copy)", info.class_names, binary=info.binary)
    return copy


def randomization_groups(model: keras.Model) -> list[tuple[str, list]]:
    """Layers with weights grouped by name prefix (``"predictions"``, ``"top"``, ``"block7a"``,
    ... ``"stem"``), from the output down to the input: the steps of the cascade."""
    check_model(model)
    groups: dict[str, list] = {}
    for ref in iter_layers(model):
        if ref.kind != "model" and ref.layer.trainable_weights:
            groups.setdefault(ref.name.split("_")[0], []).append(ref.layer)
    return list(groups.items())[::-1]


def randomize_layers(layers, rng: np.random.Generator) -> None:
    """Replace the trainable weights of ``layers`` in place: kernels by Gaussian noise with the
    original standard deviation, 1-D parameters (biases, batch-norm scales) by a random
    permutation of their values. Only ever call it on a copy (see :func:`cascading_randomization`)."""
    for layer in layers:
        for var in layer.trainable_weights:
            w = np.asarray(var)
            new = rng.normal(0.0, float(w.std()) or 1e-3, w.shape) if w.ndim >= 2 else rng.permutation(w)
            var.assign(new.astype(w.dtype))


def cascading_randomization(model: keras.Model, *, seed: int = 0, steps: int | None = None):
    """Randomise the weights from the top down, each step on a new copy.

    Yields ``(group_name, randomised_model)``: first ``("original", copy)``, then a copy with
    ``"predictions"`` randomised, then one with ``"predictions"`` and ``"top"`` randomised, then
    ``"block7a"`` too, ... (cumulative, see :func:`randomization_groups`). Every yielded model is
    independent of the others: a step never changes a model handed out before, so
    ``list(cascading_randomization(model))`` holds the original and each randomised stage. ``model``
    itself is never modified. ``steps`` limits the number of randomised groups; the same ``seed``
    gives the same weights.

    Example:
        >>> for name, rnd in cascading_randomization(model, steps=3):
        ...     print(name, round(spearman(helpers.gradcam(model, image, 282), helpers.gradcam(rnd, image, 282)), 1))
        ... # doctest: +SKIP
        original 1.0
        predictions -0.1
        top -0.2
    """
    check_model(model)  # checked at the call, not at the first next()
    seed = check_int("seed", seed, 0)
    steps = None if steps is None else check_int("steps", steps, 0)
    return _cascade(model, seed, steps)


def _cascade(model, seed, steps):
    rng = np.random.default_rng(seed)
    base = model_info(model).name
    current = copy_model(model, name=f"{base} (original copy)")
    yield "original", current
    for i, (name, _) in enumerate(randomization_groups(current)):
        if steps is not None and i >= steps:
            return
        # a new copy of the previous stage, then one more group randomised: the previous stage stays as it was
        current = copy_model(current, name=f"{base} (randomised down to {name})")
        randomize_layers(dict(randomization_groups(current))[name], rng)
        yield name, current
