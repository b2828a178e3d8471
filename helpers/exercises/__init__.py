"""Self-checks for the notebooks' exercises: each check returns a :class:`Result` that prints as
one line, ``✓ correct: ...``, ``✗ not quite: <what is wrong>`` or ``○ not answered yet: <hint>``,
and never raises on a wrong answer (a learner's failing function is reported in that line too).

Layer: beside plotting (it may import the techniques, never widgets or apps). The answer keys are
not here: they live in docs/teaching/answers/, which tests/exercises/test_exercises.py runs through these checks.

* :mod:`.activations` -- notebook 1; :mod:`.filters` -- notebook 2; :mod:`.cam` -- notebook 3;
  :mod:`.capstone` -- notebook 4.
"""
from . import activations, cam, capstone, filters
from ._result import Result

__all__ = ["Result", "activations", "cam", "capstone", "filters"]
