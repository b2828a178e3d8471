"""Checks for notebook 5 (is the explanation right?). Each computes the true answer here, with the
model where one is needed, so only a correct answer passes; common slips get their own message.

Example:
    >>> print(area(lambda f, s: np.trapezoid(s, f)))
    ✓ correct: the trapezoid rule: each step's width times the mean of its two ends, summed
    >>> print(area(lambda f, s: np.mean(s)))
    ✗ not quite: that is the mean of the scores: on an uneven grid of fractions the steps have different widths
"""
from __future__ import annotations

import numpy as np

from ..cam.perturbation import MEAN_RGB
from ..heads import probabilities
from ..metrics import baseline_map, deletion
from ..models import logits
from ._result import Hints, Result, failed, passed, raised, unanswered

__all__ = ["HINTS", "area", "blurred_deletion", "hint", "occlusion_drop"]

HINTS = {
    1: "Draw the curve through the points and cut the area under it into vertical strips, one per step. "
       "Each strip is a trapezoid: how wide is it, and how tall on average? Try fractions [0, 0.5, 1] and "
       "scores [1, 0, 0] by hand first (the answer is 0.25).",
    2: "Two forward passes: the probability of the class for the picture as it is, and for a copy with the "
       "square painted grey (the ImageNet mean colour, as in section 1). Which of the two is larger when "
       "the square hides evidence?",
    3: "helpers.deletion takes a `baseline=` argument: what hidden pixels become. The table used the default; "
       "call it again on the baseline map with the blurred picture as the substrate and read `.auc`.",
}


hint = Hints(5, HINTS)
"""A second hint for an exercise of notebook 5: ``hint(n)``, a question to work on, not the answer."""


def _stuck(n: int) -> str:
    return f" (stuck? print(checks.hint({n})))"


def _number(answer, what: str):
    """``answer`` as a float, or a failed Result saying why it is not one."""
    value = answer.numpy() if hasattr(answer, "numpy") else answer
    try:
        value = float(np.asarray(value, np.float64).squeeze())
    except (TypeError, ValueError):
        return failed(f"{what} must be one number, not {type(answer).__name__}")
    if not np.isfinite(value):
        return failed(f"{what} must be a finite number, got {value}")
    return value


def _trapezoid(x, y) -> float:
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2).sum())


# The test curves: an even grid (as the notebook's), an uneven one (where the mean of the scores is
# wrong) and the shortest curve there is, two points.
_CASES = ((np.linspace(0, 1, 5), np.array([0.9, 0.5, 0.2, 0.1, 0.0])),
          (np.array([0.0, 0.1, 0.2, 0.6, 1.0]), np.array([0.8, 0.6, 0.5, 0.1, 0.05])),
          (np.array([0.0, 1.0]), np.array([1.0, 0.0])))


def area(my_area) -> Result:
    """Exercise 1: ``my_area(fractions, scores)`` -> the area under the curve (trapezoid rule)."""
    got = []
    for f, s in _CASES:
        try:
            out = my_area(f.copy(), s.copy())
        except Exception as e:  # noqa: BLE001 -- the learner's code: report, never a traceback
            return raised("my_area(fractions, scores)", e)
        if out is None:
            return unanswered("return one number: the area under the curve through (fractions[k], scores[k])"
                              + _stuck(1))
        value = _number(out, "my_area(fractions, scores)")
        if isinstance(value, Result):
            return value
        got.append(value)
    truth = [_trapezoid(f, s) for f, s in _CASES]
    if np.allclose(got, truth, atol=1e-9):
        return passed("the trapezoid rule: each step's width times the mean of its two ends, summed")
    if np.allclose(got, [s.mean() for _, s in _CASES]):
        return failed("that is the mean of the scores: on an uneven grid of fractions the steps have different "
                      "widths")
    if np.allclose(got, [s.sum() for _, s in _CASES]):
        return failed("that is the sum of the scores: multiply each step by its width (the fractions' differences)")
    if np.allclose(got, [float(np.diff(f) @ s[:-1]) for f, s in _CASES]) or \
            np.allclose(got, [float(np.diff(f) @ s[1:]) for f, s in _CASES]):
        return failed("that is a rectangle (step) rule: use the mean of each step's two ends, (y[k] + y[k+1]) / 2")
    return failed(f"for fractions {_CASES[1][0].tolist()} and scores {_CASES[1][1].tolist()} the area is "
                  f"{truth[1]:.4f}, yours {got[1]:.4f}")


def _probability(model, picture, class_index: int) -> float:
    return float(probabilities(np.asarray(logits(model, picture[None])), False)[0, class_index])


def occlusion_drop(model, image, class_index: int, corner, patch: int, answer) -> Result:
    """Exercise 2: how much the class probability falls when the ``patch`` square at ``corner`` = (top,
    left) is painted the ImageNet mean colour."""
    x = np.asarray(image, np.float32)
    y0, x0 = (int(v) for v in corner)
    hidden = x.copy()
    hidden[y0:y0 + patch, x0:x0 + patch] = MEAN_RGB
    before, after = _probability(model, x, class_index), _probability(model, hidden, class_index)
    drop = before - after
    if answer is None:
        return unanswered("one number: the class probability of the picture minus that of the picture with the "
                          "square hidden" + _stuck(2))
    value = _number(answer, "the drop")
    if isinstance(value, Result):
        return value
    tol = max(0.005, 0.02 * abs(drop))
    if abs(value - drop) <= tol:
        return passed(f"hiding that square takes the probability from {before:.3f} to {after:.3f}: a drop of "
                      f"{drop:.3f}")
    if abs(value + drop) <= tol and abs(drop) > tol:
        return failed("right size, wrong sign: the drop is the probability BEFORE hiding minus the one AFTER")
    if abs(value - after) <= tol:
        return failed(f"{value:.3f} is the probability with the square hidden; subtract it from the probability "
                      "of the whole picture")
    if abs(value / 100 - drop) <= tol and abs(value) > 1:
        return failed("right idea, but give the drop as a probability (0..1), not a percentage")
    return failed(f"{value:.3f} is not the drop: compare the class probability of the picture and of the copy "
                  f"with rows {y0}..{y0 + patch - 1}, columns {x0}..{x0 + patch - 1} grey")


def blurred_deletion(model, image, class_index: int, kind: str, answer, *, steps: int = 16, seed: int = 0) -> Result:
    """Exercise 3: the deletion area of the baseline map ``kind`` ("random", "sobel", "centre") when hidden
    pixels take the blurred picture (``baseline="blur"``) instead of grey."""
    m = baseline_map(kind, image, seed=seed)
    blur = deletion(model, image, m, class_index, steps=steps, baseline="blur").auc
    grey = deletion(model, image, m, class_index, steps=steps).auc
    if answer is None:
        return unanswered(f"one number: the area under the deletion curve of the {kind} map, hidden pixels "
                          "blurred" + _stuck(3))
    if isinstance(answer, str):
        return failed(f"give the area (a number), not the text {answer!r}")
    value = _number(getattr(answer, "auc", answer), "the area")
    if isinstance(value, Result):
        return value
    if abs(value - blur) <= 0.01:
        change = "rises" if blur > grey else "does not rise"
        return passed(f"blurred instead of grey, the {kind} map's deletion area {change}: {grey:.3f} -> {blur:.3f}")
    if abs(value - grey) <= 0.01:
        return failed(f"{value:.3f} is the area with grey pixels (the default); pass baseline='blur'")
    return failed(f"{value:.3f} is not the blurred deletion area of the {kind} map (seed {seed}, {steps} steps)")
