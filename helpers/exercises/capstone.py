"""Self-checks for notebook 4's exercises (debugging a model that learned a shortcut).

Each takes the learner's answer plus what the notebook measured and returns a :class:`Result`;
no answer is stored here: the right one is always derived from the measurement (so it holds for
any seed, and for the bundled pre-trained weights). The notebook calls them as ``checks.swapped_prediction``,
``checks.marker_channel`` and ``checks.heat_follows``; the ``check_*`` names are the same functions.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_array
from ._result import Hints, Result

__all__ = ["ACCURACY_OPTIONS", "HINTS", "check_heat_follows", "check_marker_channel", "check_swapped_prediction",
           "heat_follows", "hint", "marker_channel", "swapped_prediction"]

ACCURACY_OPTIONS = {"a": 0.98, "b": 0.50, "c": 0.0}

# A second hint per exercise, for a learner who is stuck: a question to think through, never the answer.
HINTS = {
    1: "In `swapped` every circle carries the marker and no square does. A model that answers 'square' exactly when "
       "it sees the marker: what does it say for each circle, and for each square? How many of those are right?",
    2: "`selectivity` holds one score per channel. Which position holds the largest score? np.argsort orders the "
       "positions from the smallest score to the largest.",
    3: "A convolution slides the same filters over every position, and global max pooling keeps each channel's "
       "maximum wherever it is. But does the detector fire as strongly for the marker in a new place? Look at "
       "the printed share of circles the model now calls squares.",
}


hint = Hints(4, HINTS)
"""A second hint for an exercise of notebook 4: ``hint(n)``, a question to work on, not the answer."""


def check_swapped_prediction(answer, measured_accuracy: float) -> Result:
    """Exercise 1: predict the shortcut model's accuracy on the swapped test set -- ``"a"``
    (about 98 %), ``"b"`` (about 50 %, chance) or ``"c"`` (about 0 %). The right option is the
    one nearest the measured accuracy.

    Example:
        >>> print(check_swapped_prediction("c", 0.02))
        ✓ correct: measured 2%, nearest to option c (about 0%)
    """
    if answer is None:
        return Result(None, "set ANSWER_1 to 'a', 'b' or 'c' before you run this cell (stuck? print(checks.hint(1)))")
    key = str(answer).strip().lower().strip("()") if isinstance(answer, str) else None
    if key not in ACCURACY_OPTIONS:
        return Result(False, f"{answer!r} is not one of the options: answer 'a', 'b' or 'c'")
    acc = float(measured_accuracy)
    truth = min(ACCURACY_OPTIONS, key=lambda k: abs(ACCURACY_OPTIONS[k] - acc))
    if key == truth:
        return Result(True, f"measured {acc:.0%}, nearest to option {truth} (about {ACCURACY_OPTIONS[truth]:.0%})")
    return Result(False, f"option {key} says about {ACCURACY_OPTIONS[key]:.0%}, the model scored {acc:.0%}")


def check_marker_channel(answer, selectivity, tolerance: float = 0.9) -> Result:
    """Exercise 2: which channel is the marker detector? ``selectivity`` is
    :func:`helpers.evaluation.box_selectivity` per channel; every channel scoring at least ``tolerance`` x the best
    score counts (so ties are all right).

    Example:
        >>> print(check_marker_channel(2, [0.1, 3.0, 2.9]))
        ✓ correct: channel 2 scores 2.90, the best is 3.00 (channels 1, 2 count)
    """
    s = check_array("selectivity", selectivity, 1, dtype=np.float64, allow_empty=False, finite=True,
                    hint=": one score per channel (helpers.evaluation.box_selectivity gives them)")
    if answer is None:
        return Result(None, "set ANSWER_2 to a channel number (stuck? print(checks.hint(2)))")
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, np.integer)):
        return Result(False, f"{answer!r} is not a channel number: give an integer 0..{s.size - 1}")
    if not 0 <= int(answer) < s.size:
        return Result(False, f"channel {answer} does not exist: this layer has channels 0..{s.size - 1}")
    best = s.max()
    good = np.flatnonzero(s >= tolerance * best) if best > 0 else np.array([], int)
    listed = ", ".join(map(str, good[:8])) + (" ..." if good.size > 8 else "")
    if int(answer) in good:
        return Result(True, f"channel {answer} scores {s[answer]:.2f}, the best is {best:.2f} "
                           f"(channels {listed} count)")
    return Result(False, f"channel {answer} scores {s[answer]:.2f}, the best is {best:.2f}; "
                        "sort the scores and look again")


def check_heat_follows(answer, hits_on_moved_marker) -> Result:
    """Exercise 3: after moving the marker, does the heat's peak follow it? ``answer`` is
    True/False (or "yes"/"no"); the truth is whether the peak lands on the moved marker in most
    images (``hits_on_moved_marker``: the pointing game's booleans).

    Example:
        >>> print(check_heat_follows("yes", [True, True, False]))
        ✓ correct: the peak lands on the moved marker in 67% of the images
    """
    hits = np.asarray(hits_on_moved_marker, dtype=bool).ravel()
    if hits.size == 0:
        raise ValueError("hits_on_moved_marker is empty: run the pointing game on the moved-marker images first")
    if answer is None:
        return Result(None, "set ANSWER_3 to True or False before you run this cell (stuck? print(checks.hint(3)))")
    if isinstance(answer, str) and answer.strip().lower() in ("yes", "no", "true", "false"):
        answer = answer.strip().lower() in ("yes", "true")
    if not isinstance(answer, (bool, np.bool_)):
        return Result(False, f"{answer!r} is not an answer: use True (it follows) or False")
    rate = hits.mean()
    truth = rate > 0.5
    if bool(answer) == truth:
        return Result(True, f"the peak lands on the moved marker in {rate:.0%} of the images")
    return Result(False, f"the peak lands on the moved marker in {rate:.0%} of the images")


# the names the notebook uses (``checks.<name>``, as in notebooks 1-3)
swapped_prediction = check_swapped_prediction
marker_channel = check_marker_channel
heat_follows = check_heat_follows
