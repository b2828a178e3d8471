"""Figures for faithfulness metrics (notebook 5): deletion and insertion curves side by side, one line
per map, and the ranking table as text. Each function takes finished numbers (curves from
:func:`helpers.deletion` / :func:`helpers.insertion`, or anything with ``fractions``, ``scores`` and
``auc``) and returns a figure or a string; none runs the model.

Example:
    >>> from types import SimpleNamespace as C
    >>> down = C(fractions=np.linspace(0, 1, 5), scores=np.array([0.9, 0.3, 0.2, 0.1, 0.0]), auc=0.26)
    >>> up = C(fractions=np.linspace(0, 1, 5), scores=np.array([0.1, 0.6, 0.8, 0.9, 0.9]), auc=0.71)
    >>> fig = plot_faithfulness_curves({"Grad-CAM": (down, up)}, title="one map")
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..validation import ArgumentTypeError, check_type

__all__ = ["BASELINE_STYLE", "format_ranking", "plot_faithfulness_curves"]

BASELINE_STYLE = {"ls": "--", "lw": 1.2, "alpha": 0.8}   # model-free maps: dashed, so they read as the yardstick


def _check_curves(curves) -> dict:
    wanted = "a dict {label: (deletion curve, insertion curve)}"
    check_type("curves", curves, dict, wanted)
    if not curves:
        raise ValueError(f"curves is empty: give {wanted}, with at least one map")
    for label, pair in curves.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"curves[{label!r}] must be a pair (deletion curve, insertion curve), got {pair!r:.80}")
        for c in pair:
            if not all(hasattr(c, a) for a in ("fractions", "scores", "auc")):
                raise ArgumentTypeError(f"curves[{label!r}] holds {type(c).__name__}, not a curve with fractions, "
                                        "scores and auc (helpers.deletion / helpers.insertion return one)")
    return curves


def plot_faithfulness_curves(curves: dict, *, baselines=(), title: str | None = None, size: float = 3.4):
    """Deletion (left) and insertion (right) curves, one line per map, its area in the legend.

    Args:
        curves: ``{label: (deletion curve, insertion curve)}``.
        baselines: labels drawn dashed (the model-free maps).
        title: the figure's title.
        size: each panel's height in inches.

    Returns:
        the Matplotlib figure.

    Raises:
        TypeError / ValueError: ``curves`` not of that form.
    """
    curves = _check_curves(curves)
    baselines = set(baselines)
    fig, axes = plt.subplots(1, 2, figsize=(2.6 * size, size + 0.4), layout="constrained")
    for k, (ax, kind, better) in enumerate(zip(axes, ("deletion", "insertion"), ("lower", "higher"))):
        for label, pair in curves.items():
            style = BASELINE_STYLE if label in baselines else {"lw": 1.6}
            ax.plot(pair[k].fractions, pair[k].scores, label=f"{label} ({pair[k].auc:.3f})", **style)
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(f"fraction of pixels {'hidden' if k == 0 else 'put back'} (most salient first)")
        ax.set_ylabel("class probability")
        ax.set_title(f"{kind}: area, {better} is better", fontsize=10)
        ax.legend(fontsize=7, loc="upper right" if k == 0 else "lower right")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def format_ranking(areas: dict, columns, *, baselines=()) -> str:
    """The ranking table as text: one row per map, its deletion and insertion areas per column (photo),
    their means and the map's rank by mean deletion area (1 = lowest = best) and by mean insertion area
    (1 = highest = best). Rows sorted by the sum of the two ranks; baselines marked with ``*``.

    Args:
        areas: ``{label: {column: (deletion area, insertion area)}}``; every row has every column.
        columns: the column names, in the order to print.
        baselines: labels to mark as model-free.

    Example:
        >>> print(format_ranking({"a": {"p": (0.1, 0.9)}, "b": {"p": (0.5, 0.4)}}, ["p"]))
        map                        p del       p ins   mean del  mean ins  rank del  rank ins
        a                          0.100       0.900      0.100     0.900         1         1
        b                          0.500       0.400      0.500     0.400         2         2
    """
    columns = list(columns)
    wanted = "a dict {label: {column: (deletion, insertion)}}"
    check_type("areas", areas, dict, wanted)
    if not areas:
        raise ValueError(f"areas is empty: give {wanted}, with at least one map")
    for label, row in areas.items():
        missing = [c for c in columns if c not in row]
        if missing:
            raise KeyError(f"areas[{label!r}] has no column {missing[0]!r}; it has {', '.join(map(repr, row))}")
    labels = list(areas)
    dele = np.array([[areas[m][c][0] for c in columns] for m in labels]).mean(axis=1)
    ins = np.array([[areas[m][c][1] for c in columns] for m in labels]).mean(axis=1)
    rank_del = np.argsort(np.argsort(dele, kind="stable"), kind="stable") + 1
    rank_ins = np.argsort(np.argsort(-ins, kind="stable"), kind="stable") + 1
    head = f"{'map':<20s}" + "".join(f"{c[:7] + ' del':>12s}{c[:7] + ' ins':>12s}" for c in columns)
    lines = [head + "   mean del  mean ins  rank del  rank ins"]
    for i in sorted(range(len(labels)), key=lambda i: (rank_del[i] + rank_ins[i], rank_del[i])):
        m = labels[i]
        name = (m + " *") if m in set(baselines) else m
        cells = "".join(f"{areas[m][c][0]:12.3f}{areas[m][c][1]:12.3f}" for c in columns)
        lines.append(f"{name:<20s}{cells}{dele[i]:11.3f}{ins[i]:10.3f}{rank_del[i]:10d}{rank_ins[i]:10d}")
    return "\n".join(lines)
