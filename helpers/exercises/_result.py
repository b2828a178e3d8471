"""What a check returns: passed, failed (with what is wrong) or not answered yet; printed as one ✓ / ✗ / ○ line."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Result:
    """The verdict of one exercise check, the same for every notebook: ``ok`` is True (✓), False
    (✗) or None (○, not answered yet: an empty answer cell is not a wrong answer); prints as one line."""

    ok: bool | None
    message: str

    def __str__(self) -> str:
        if self.ok:
            return f"✓ correct: {self.message}"
        if self.ok is None:
            return f"○ not answered yet: {self.message}"
        return f"✗ not quite: {self.message}"

    __repr__ = __str__

    def __bool__(self) -> bool:
        return bool(self.ok)


def passed(message: str) -> Result:
    return Result(True, message)


def failed(message: str) -> Result:
    return Result(False, message)


def unanswered(hint: str) -> Result:
    return Result(None, hint)


def raised(what: str, error: Exception) -> Result:
    """A learner's function raised: name the error in one line instead of a traceback."""
    return failed(f"{what} raised {type(error).__name__}: {error}".strip())


def unknown_name(kind: str, answer, valid) -> Result:
    """An answer that is not one of the valid names, with the closest ones as a hint."""
    close = difflib.get_close_matches(str(answer), list(valid), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return failed(f"{answer!r} is not {kind} of this model{hint}")


def as_int(answer, what: str, n: int) -> int | Result:
    """The answer as an index in 0..n-1, or a failed Result that says why it is not one."""
    if isinstance(answer, bool) or not hasattr(answer, "__index__"):
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return failed(f"{what} must be a whole number from 0 to {n - 1}, not {answer!r}")
        if not value.is_integer():
            return failed(f"{what} must be a whole number from 0 to {n - 1}, not {answer!r}")
        answer = int(value)
    index = int(answer.__index__()) if hasattr(answer, "__index__") else int(answer)
    if not 0 <= index < n:
        return failed(f"{what} {index} does not exist: there are {n} (0 to {n - 1})")
    return index


def layer_name(answer) -> str:
    """A layer given as its name or as the Layer object itself."""
    return answer if isinstance(answer, str) else getattr(answer, "name", str(answer))


class Hints:
    """A notebook's second hints, one per exercise: ``hint(n)`` returns a question to work on, never the
    answer. An exercise number that does not exist is a KeyError listing the numbers there are.

    Example:
        >>> hint = Hints(9, {1: "What does the first layer see?"})
        >>> hint(1)
        'hint 1: What does the first layer see?'
    """

    def __init__(self, notebook: int, texts: dict[int, str]):
        self.notebook, self.texts = notebook, dict(texts)

    def __call__(self, n) -> str:
        # True == 1 in Python, and "1" is not a number: only a real integer names an exercise
        number = int(n) if isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)) else None
        if number not in self.texts:
            raise KeyError(f"no exercise {n!r:.40} in notebook {self.notebook}: "
                           f"hint(n) takes n = {', '.join(map(str, self.texts))}")
        return f"hint {number}: {self.texts[number]}"
