"""Solution notebooks (scripts/solutions.py): each exercise's blanks filled by the answer key, on a
hand-built notebook and on every real one."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import solutions  # noqa: E402  (scripts/ is not a package)

KEY = '''
def exercise_1(nb):
    return 3

def exercise_2(nb):
    return lambda x: 2 * x, "b"
'''


def _learner():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return nbformat.v4.new_notebook(cells=[
        md("# 9 · A tiny lesson"), code("%matplotlib inline\nimport checks_here as checks"),
        code("LAYER = None   # a parameter, not an exercise"),
        code("CHANNEL = None   # your answer"),
        code("stats = 1\nprint(checks.channel(stats, CHANNEL))"),
        code("def double(x):\n    return None   # your code\n\nWHY = None\nprint(checks.pair(double, WHY, LAYER))\n"
             "print('after')"),
    ])


def test_blanks_are_the_names_left_as_none_or_defined():
    assert solutions.blanks("%time x = 1\nA = None  # yours\nB = 2\ndef f():\n    return None") == ["A", "f"]
    assert solutions.checked_names("y = 1\nprint(checks.pair(double, WHY, n=LAYER))") == {"double", "WHY", "LAYER"}


def test_each_answer_cell_gets_the_keys_answer_just_before_its_check(tmp_path):
    key = tmp_path / "answers_09.py"
    key.write_text(KEY)
    learner = _learner()
    out = solutions.solution_notebook(learner, key)
    sources = [c.source for c in out.cells]
    assert sources[0] == "# Solutions · 9 · A tiny lesson" and "Solution notebook (teachers)" in sources[1]
    loader = next(i for i, s in enumerate(sources) if "spec_from_file_location" in s)
    assert sources[loader + 1].startswith("CHANNEL = None")       # just before exercise 1's first blank
    assert "answers_09.py" in sources[loader]
    one = next(s for s in sources if "checks.channel" in s)
    assert one.splitlines()[1:3] == ["# solution: the answer key's exercise_1",
                                     "CHANNEL = answer_key.exercise_1(types.SimpleNamespace(**globals()))"]
    two = next(s for s in sources if "checks.pair" in s)
    assert "double, WHY = answer_key.exercise_2(" in two         # LAYER is a parameter of an earlier cell
    assert two.index("double, WHY =") < two.index("print(checks.pair") < two.index("print('after')")
    assert learner.cells[0].source == "# 9 · A tiny lesson"      # the learner's notebook is not changed


def test_a_key_that_does_not_pair_with_the_notebook_is_refused(tmp_path):
    key = tmp_path / "answers_09.py"
    key.write_text(KEY + "\ndef exercise_3(nb):\n    return 0\n")
    with pytest.raises(ValueError, match=r"answers exercises \[1, 2, 3\], but the notebook has 2 answer cells"):
        solutions.solution_notebook(_learner(), key)


def test_the_loader_and_fills_run_in_a_namespace_like_a_kernels(tmp_path):
    """Execute the generated code cells (no kernel): the key's answers land where the checks read them."""
    key = tmp_path / "answers_09.py"
    key.write_text(KEY)
    out = solutions.solution_notebook(_learner(), key)
    seen = {}

    class Checks:
        def channel(self, stats, channel):
            seen["channel"] = channel
            return "ok"

        def pair(self, fn, why, layer):
            seen["pair"] = (fn(4), why)
            return "ok"

    import helpers.images
    namespace = {"print": lambda *a: None}
    for cell in out.cells[2:]:
        if cell.cell_type != "code":
            continue
        code = "\n".join("" if line.startswith("%") else line for line in cell.source.splitlines())
        code = code.replace("import checks_here as checks", "")
        code = code.replace('DATA_DIR.parent / "docs" / "teaching" / "answers" / "answers_09.py"', repr(str(key)))
        namespace.setdefault("checks", Checks())
        namespace.setdefault("DATA_DIR", helpers.images.DATA_DIR)
        exec(code, namespace)  # noqa: S102 -- the test's own generated cells
    assert seen == {"channel": 3, "pair": (8, "b")}


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_pairs_with_its_answer_key(path):
    key = solutions.answer_key_path(path)
    out = solutions.solution_notebook(nbformat.read(path, as_version=4), key)
    fills = [line for c in out.cells for line in c.source.splitlines() if "= answer_key.exercise_" in line]
    assert len(fills) == len(solutions.key_exercises(key)) >= 3
    assert all(line.split(" = ")[0] for line in fills)
