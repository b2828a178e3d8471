"""Reference outputs with their range: each notebook run with three seeds, every printed number's spread.

    python scripts/reference_ranges.py          # every notebook with a SEED parameter, seeds 0, 1 and 2
    python scripts/reference_ranges.py 04       # only notebooks whose file name contains "04"

A notebook takes part when one of its cells is tagged ``parameters`` (papermill's convention;
JupyterLab's property inspector, *Cell Tags*) and sets ``SEED``. For each other seed, papermill
injects ``SEED = <seed>`` after that cell and the notebook runs as the main job runs it
(:func:`run_notebooks.execute_notebook`); seed 0 is the main job's own run, read from
``build/executed/`` when that copy's cells are the notebook's current ones (otherwise it runs
again). What each code cell printed is compared across the seeds: a number that differs gets its
range. The result, dated and with the commit it measured, is ``docs/teaching/reference_ranges.json``;
the teachers' reference page of the course site shows it beside the numbers of the run that built
the site (:mod:`build_site`), and the notebook test fails when a notebook no longer prints what the
file describes (run this script again).

Times printed by a notebook differ too, from run to run rather than from seed to seed: they get
their range like any other number, over these three runs on this machine.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "build" / "executed"
RANGES = ROOT / "docs" / "teaching" / "reference_ranges.json"
SEEDS = (0, 1, 2)
INJECTED = "injected-parameters"   # papermill's tag on the cell it adds

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
SLOT = "\x00"  # where a number stood, in a cell's template


# --------------------------------------------------------------------------- printed text
def terminal_text(text: str) -> str:
    """What a terminal would show for ``text``: colour codes dropped, each backspace erasing the
    character before it, and a carriage return starting its line again (so a progress bar that
    redraws itself leaves its last state).

    Example:
        >>> terminal_text("1/3\\r2/3\\r3/3 done\\nab\\x08c \\x1b[1mbold\\x1b[0m")
        '3/3 done\\nac bold'
    """
    lines = []
    for line in _ANSI.sub("", text).split("\n"):
        shown = ""
        for part in line.split("\r"):
            kept: list[str] = []
            for ch in part:
                if ch == "\x08":
                    if kept:
                        kept.pop()
                else:
                    kept.append(ch)
            piece = "".join(kept)
            shown = piece + shown[len(piece):] if part else shown
        lines.append(shown.rstrip())
    return "\n".join(lines)


def printed_cells(nb: nbformat.NotebookNode) -> dict[int, str]:
    """{code cell index: what it printed to stdout, as a terminal shows it}, for cells that printed."""
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = "".join("".join(out.get("text", "")) for out in cell.get("outputs", [])
                       if out.get("output_type") == "stream" and out.get("name") == "stdout")
        text = terminal_text(text).strip("\n")
        if text.strip():
            found[i] = text
    return found


def template(text: str) -> tuple[str, list[str]]:
    """``text`` with each number replaced by a slot, and the numbers in order.

    Example:
        >>> template("accuracy 93.8% after 2 epochs")
        ('accuracy \\x00% after \\x00 epochs', ['93.8', '2'])
    """
    return NUMBER.sub(SLOT, text), NUMBER.findall(text)


def form(text: str) -> str:
    """What must stay the same from run to run: :func:`template` with runs of spaces as one (a number
    one digit longer shifts a column: ``100.0%`` against `` 99.5%``).

    Example:
        >>> form("peak  100.0%") == form("peak   99.5%")
        True
    """
    return re.sub(r"[ \t]+", " ", template(text)[0])


def same_form(text: str, record: dict) -> bool:
    """Whether ``text`` has the form a cell's record (:func:`cell_ranges`) describes."""
    return form(text) == re.sub(r"[ \t]+", " ", record["template"])


# --------------------------------------------------------------------------- ranges
def cell_ranges(runs: list[dict[int, str]]) -> list[dict]:
    """Compare what the same cells printed in several runs (one dict per seed, as
    :func:`printed_cells` gives). Per cell printed in the first run: ``{"cell", "template",
    "values"}`` with ``values[k]`` the k-th number of every run, when all runs printed the same
    text apart from the numbers; ``{"cell", "template", "form_varies": True}`` when the text
    itself differs (or a run printed nothing there)."""
    records = []
    for cell, text in sorted(runs[0].items()):
        shape, same = template(text)[0], form(text)
        split = [template(run.get(cell, "")) for run in runs]
        if any(form(run.get(cell, "")) != same for run in runs):
            records.append({"cell": cell, "template": shape, "form_varies": True})
            continue
        values = [list(column) for column in zip(*(numbers for _, numbers in split))]
        records.append({"cell": cell, "template": shape, "values": values})
    return records


def _decimals(text: str) -> int:
    return len(text.split(".")[1].split("e")[0].split("E")[0]) if "." in text else 0


def span(values: list[str]) -> str:
    """``values`` (one number, as printed, per run) as their range ``lowest…highest`` in the printed
    precision, or the number itself when every run printed the same.

    Example:
        >>> span(["93.8", "91.2", "90.5"]), span(["4", "4", "4"]), span(["+0.25", "-0.1", "+0.3"])
        ('90.5…93.8', '4', '-0.10…+0.30')
    """
    if len(set(values)) == 1:
        return values[0]
    numbers = [float(v) for v in values]
    places = max(_decimals(v) for v in values)
    sign = "+" if any(v.startswith("+") for v in values) else ""
    low, high = (f"{v:{sign}.{places}f}" for v in (min(numbers), max(numbers)))
    return f"{low}…{high}"  # an ellipsis, not a dash: a dash would read as a minus before a negative bound


def varying_lines(record: dict) -> list[str]:
    """The lines of a cell's printed text in which some number differed between the runs, each
    number shown as its range (:func:`span`); [] when nothing varied."""
    if record.get("form_varies"):
        return []
    filled, varied = record["template"], set()
    for k, values in enumerate(record["values"]):
        filled = filled.replace(SLOT, span(values) if len(set(values)) > 1 else values[0], 1)
        if len(set(values)) > 1:
            varied.add(k)
    lines, k = [], 0
    for shape, line in zip(record["template"].split("\n"), filled.split("\n")):
        count = shape.count(SLOT)
        if any(j in varied for j in range(k, k + count)):
            lines.append(line)
        k += count
    return lines


def stale_cells(nb: nbformat.NotebookNode, records: list[dict]) -> list[str]:
    """How an executed notebook's printed text disagrees with its reference ranges: [] when every
    cell the ranges describe printed text of the same form, at the same place."""
    now = printed_cells(nb)
    problems = []
    for record in records:
        text = now.get(record["cell"])
        if record.get("form_varies"):
            continue
        if text is None:
            problems.append(f"cell {record['cell']} printed nothing (the ranges expect {record['template'][:60]!r})")
        elif not same_form(text, record):
            problems.append(f"cell {record['cell']} printed {text[:60]!r}, not the form {record['template'][:60]!r}")
    described = {r["cell"] for r in records}
    problems += [f"cell {i} printed {t[:60]!r}, which the ranges do not describe" for i, t in now.items()
                 if i not in described]
    return problems


def load(path: Path = RANGES) -> dict:
    """The committed ranges (``{}`` when there are none yet)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


# --------------------------------------------------------------------------- running the seeds
def seed_cell(nb: nbformat.NotebookNode) -> int | None:
    """The index of the cell tagged ``parameters`` that sets ``SEED``, or None."""
    for i, cell in enumerate(nb.cells):
        if (cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", [])
                and re.search(r"^SEED\s*=", cell.source, flags=re.M)):
            return i
    return None


def with_seed(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose parameters cell is followed by papermill's ``SEED = <seed>`` cell."""
    import tempfile

    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    with tempfile.TemporaryDirectory() as folder:  # papermill's reader adds the metadata it relies on
        nbformat.write(nb, Path(folder) / "notebook.ipynb")
        loaded = load_notebook_node(str(Path(folder) / "notebook.ipynb"))
    return parameterize_notebook(loaded, {"SEED": seed})


def without_injected(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without papermill's injected cell, so cell indexes match the learner's notebook."""
    nb.cells = [c for c in nb.cells if INJECTED not in c.metadata.get("tags", [])]
    return nb


def same_cells(a: nbformat.NotebookNode, b: nbformat.NotebookNode) -> bool:
    return [(c.cell_type, c.source) for c in a.cells] == [(c.cell_type, c.source) for c in b.cells]


def run_seeds(path: Path, seeds=SEEDS, timeout: int = 600, log_dir: Path | None = None) -> list[dict[int, str]]:
    """What each code cell of ``path`` printed with each seed (seed 0: the main job's run when its
    executed copy is current)."""
    from run_notebooks import execute_notebook

    nb = nbformat.read(path, as_version=4)
    log_dir = log_dir or ROOT / "build"
    runs = []
    for seed in seeds:
        done = EXECUTED / path.name
        if seed == 0 and done.exists() and same_cells(nbformat.read(done, as_version=4), nb):
            print(f"  seed 0: the main job's run ({done.relative_to(ROOT)})", flush=True)
            runs.append(printed_cells(nbformat.read(done, as_version=4)))
            continue
        seeded = with_seed(nb, seed) if seed else copy.deepcopy(nb)
        seconds, error = execute_notebook(seeded, path.parent, timeout, log_dir / f"{path.stem}.seed{seed}.kernel.log")
        if error:
            raise SystemExit(f"{path.name} with SEED = {seed} failed: {error}")
        print(f"  seed {seed}: ran in {seconds:.0f} s", flush=True)
        runs.append(printed_cells(without_injected(seeded)))
    return runs


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="only notebooks whose file name contains one of these")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    from run_notebooks import tutorial_notebooks

    result = load()
    result.update({"measured": dt.date.today().isoformat(), "commit": _commit(), "seeds": list(SEEDS),
                   "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
                              f"{platform.python_version()}"})
    notebooks = result.setdefault("notebooks", {})
    for path in tutorial_notebooks():
        if args.only and not any(o in path.name for o in args.only):
            continue
        if seed_cell(nbformat.read(path, as_version=4)) is None:
            notebooks[path.stem] = {"seeded": False}
            print(f"{path.name}: no parameters cell with SEED: what it prints does not depend on a seed", flush=True)
            continue
        print(f"{path.name}: seeds {', '.join(map(str, SEEDS))} ...", flush=True)
        records = cell_ranges(run_seeds(path, SEEDS, args.timeout))
        notebooks[path.stem] = {"seeded": True, "cells": records}
        varied = sum(bool(varying_lines(r)) for r in records)
        print(f"  {len(records)} printing cells, {varied} with numbers that vary", flush=True)
    RANGES.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RANGES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
