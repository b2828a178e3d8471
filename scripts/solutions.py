"""Solution notebooks: a learner's notebook with each exercise answered by the teacher's answer key.

    python scripts/solutions.py 03            # write build/solutions/03_*.ipynb (not executed)

The answer keys (``docs/teaching/answers/answers_NN.py``) are the functions the test suite runs
through the notebooks' checks: ``exercise_k(nb)`` takes the notebook's variables and returns what a
learner would type. Exercise *k* is the *k*-th code cell that prints a check (``print(checks.``);
its answer names are the learner's blanks (names bound to ``None`` or defined with ``def``, in that
cell or the cells since the previous exercise) that the check is given, in order. The solution cell
keeps the learner's lines and sets those names from the key just before the check prints, so an
executed solution notebook shows every ✓ line. The main job
(``scripts/run_notebooks.py``) executes them into ``build/executed/solutions/`` for the teachers'
pages of the course site.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "docs" / "teaching" / "answers"
CHECK_LINE = re.compile(r"^print\(checks\.\w+\(", re.M)

LOADER = '''# Teachers' solution run: the answer key docs/teaching/answers/{key} fills each exercise's blanks.
import importlib.util
import types

from helpers.images import DATA_DIR

_spec = importlib.util.spec_from_file_location("{stem}", DATA_DIR.parent / "docs" / "teaching" / "answers" / "{key}")
answer_key = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(answer_key)'''


def answer_key_path(notebook: Path) -> Path:
    """``notebooks/03_gradcam_heatmaps.ipynb`` -> ``docs/teaching/answers/answers_03.py``."""
    return ANSWERS / f"answers_{Path(notebook).name[:2]}.py"


def key_exercises(key: Path) -> list[int]:
    """The exercise numbers an answer key defines (``exercise_1``, ``exercise_2``, ...), in order."""
    tree = ast.parse(key.read_text(encoding="utf-8"))
    return sorted(int(m.group(1)) for node in tree.body if isinstance(node, ast.FunctionDef)
                  and (m := re.fullmatch(r"exercise_(\d+)", node.name)))


def blanks(source: str) -> list[str]:
    """The names an answer cell leaves for the learner: bound to ``None`` or defined with ``def``.

    Example:
        >>> blanks("def my_loss(maps, f):\\n    return None\\n\\nprint(checks.loss(my_loss))")
        ['my_loss']
        >>> blanks("A = None   # a number\\nWHY = None\\nprint(checks.x(A, WHY))")
        ['A', 'WHY']
    """
    names = []
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef):
            names.append(node.name)
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is None
              and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            names.append(node.targets[0].id)
    return names


def answer_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells that print an exercise check, in order (exercise 1, 2, ...)."""
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and CHECK_LINE.search(cell.source)]


def checked_names(source: str) -> set[str]:
    """The plain names given to the ``print(checks.…(...))`` call of an answer cell."""
    at = CHECK_LINE.search(source).start()
    call = ast.parse(source[at:].splitlines()[0]).body[0].value.args[0]
    return {n.id for arg in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(arg)
            if isinstance(n, ast.Name)}


def solution_notebook(nb: nbformat.NotebookNode, key: Path) -> nbformat.NotebookNode:
    """A copy of learner's notebook ``nb`` whose exercises are answered by ``key`` (see the module doc).

    Raises:
        ValueError: the notebook's answer cells and the key's exercises do not pair up one to one,
            or an exercise has no blank to fill.
    """
    exercises, cells = key_exercises(key), answer_cells(nb)
    if exercises != list(range(1, len(cells) + 1)):
        raise ValueError(f"{key.name} answers exercises {exercises}, but the notebook has {len(cells)} answer cells "
                         f"(code cells with print(checks.…)): they must pair up as 1..{len(cells)}")
    out = nbformat.from_dict(nb)
    start, loader_at = 0, None
    for k, i in zip(exercises, cells):
        cell = out.cells[i]
        given = checked_names(cell.source)
        found = {j: [n for n in blanks(out.cells[j].source) if n in given] for j in range(start, i + 1)
                 if out.cells[j].cell_type == "code"}
        names = list(dict.fromkeys(n for ns in found.values() for n in ns))
        if loader_at is None:  # the loader goes just before exercise 1's first blank
            loader_at = next((j for j, ns in found.items() if ns), i)
        if not names:
            raise ValueError(f"exercise {k}: its check is given no blank (a name bound to None or a def):\n"
                             f"{cell.source}")
        at = CHECK_LINE.search(cell.source).start()
        fill = (f"# solution: the answer key's exercise_{k}\n"
                f"{', '.join(names)} = answer_key.exercise_{k}(types.SimpleNamespace(**globals()))\n")
        cell.source = cell.source[:at] + fill + cell.source[at:]
        start = i + 1
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    out.cells.insert(loader_at, nbformat.v4.new_code_cell(LOADER.format(key=key.name, stem=key.stem)))
    title = nbformat.v4.new_markdown_cell(
        f"**Solution notebook (teachers).** This is the learner's notebook with every exercise answered by "
        f"the answer key `docs/teaching/answers/{key.name}`, the one the tests check; each exercise shows its "
        f"✓ line. Other correct answers pass the same checks.")
    heading = next(c for c in out.cells if c.cell_type == "markdown" and c.source.startswith("# "))
    heading.source = "# Solutions · " + heading.source[2:]
    out.cells.insert(out.cells.index(heading) + 1, title)
    out.metadata.pop("jupytext", None)  # not paired with a .py source
    return out


def main(argv=None) -> int:
    from run_notebooks import tutorial_notebooks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="only notebooks whose file name contains one of these")
    parser.add_argument("--out", default=str(ROOT / "build" / "solutions"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in tutorial_notebooks():
        if args.only and not any(o in path.name for o in args.only):
            continue
        nbformat.write(solution_notebook(nbformat.read(path, as_version=4), answer_key_path(path)), out / path.name)
        print(f"wrote {out / path.name}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
