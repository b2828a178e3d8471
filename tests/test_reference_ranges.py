"""The reference outputs' ranges (scripts/reference_ranges.py): a notebook run with three seeds, the
spread of every printed number, and what the teachers' reference page says about it.

* the parts on hand-made text: a terminal's view of a progress bar, numbers found and put back,
  ranges in the printed precision, a cell whose text changes form, a stale description;
* papermill's injection: ``SEED = k`` right after the cell tagged ``parameters``, removed again so
  cell numbers match the learner's notebook;
* a small seeded notebook run with seeds 0, 1 and 2 by the kernel the main job uses: its random
  number gets a range, its fixed number none, and the reference page shows both;
* the committed file: it covers every tutorial notebook, and every notebook with a random part
  has a seed parameter.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_site  # noqa: E402  (scripts/ is not a package)
import reference_ranges as rr  # noqa: E402


def _printing_notebook(*texts: str) -> nbformat.NotebookNode:
    cells = []
    for text in texts:
        cell = nbformat.v4.new_code_cell("print(...)")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), *cells])


# --------------------------------------------------------------------------- the parts
def test_a_redrawn_progress_bar_leaves_its_last_state():
    keras_bar = ("Epoch 1/2\n\r\x1b[1m 1/47\x1b[0m ━━ \x1b[1m1:21\x1b[0m 2s/step - accuracy: 0.4688" + "\x08" * 40
                 + "\r\x1b[1m47/47\x1b[0m ━━ \x1b[1m8s\x1b[0m 137ms/step - accuracy: 0.9527\n")
    assert rr.terminal_text(keras_bar) == "Epoch 1/2\n47/47 ━━ 8s 137ms/step - accuracy: 0.9527\n"
    assert rr.terminal_text("abcdef\rxy") == "xycdef"       # a shorter redraw leaves the rest, as a terminal does


def test_numbers_are_found_and_every_number_keeps_its_place():
    shape, numbers = rr.template("val 96.0%, loss 2.3e-05, delta -0.42 at block5c_add")
    assert numbers == ["96.0", "2.3e-05", "-0.42", "5"]
    assert shape.count(rr.SLOT) == 4 and "block" in shape and "96" not in shape


def test_ranges_are_computed_per_number_and_only_moving_lines_are_shown():
    runs = [{1: "swapped 90.5%\nfixed 4 layers\nseed 0", 3: "Epoch 1/2"},
            {1: "swapped 93.8%\nfixed 4 layers\nseed 1", 3: "Epoch 1/2"},
            {1: "swapped 91.0%\nfixed 4 layers\nseed 2", 3: "Epoch 1/2"}]
    records = rr.cell_ranges(runs)
    assert [r["cell"] for r in records] == [1, 3]
    assert records[0]["values"] == [["90.5", "93.8", "91.0"], ["4", "4", "4"], ["0", "1", "2"]]
    assert rr.varying_lines(records[0]) == ["swapped 90.5…93.8%", "seed 0…2"]   # "fixed 4 layers" did not move
    assert rr.varying_lines(records[1]) == []
    assert rr.span(["0.5", "0.25", "1"]) == "0.25…1.00"   # the finest precision printed


def test_a_cell_whose_text_changes_form_gets_no_range():
    records = rr.cell_ranges([{2: "3 filters: a b c"}, {2: "2 filters: a b"}, {}])
    assert records == [{"cell": 2, "template": f"{rr.SLOT} filters: a b c", "form_varies": True}]
    assert rr.varying_lines(records[0]) == []


def test_a_stale_description_is_found():
    records = rr.cell_ranges([rr.printed_cells(_printing_notebook("acc 91.2%", "p = 0.25"))] * 3)
    assert rr.stale_cells(_printing_notebook("acc 88.0%", "p = 0.5"), records) == []   # numbers may move
    problems = rr.stale_cells(_printing_notebook("accuracy 88.0%", "p = 0.5", "new line"), records)
    assert len(problems) == 2 and "cell 1" in problems[0] and "cell 3" in problems[1], problems


def test_the_seed_is_injected_after_the_parameters_cell_and_taken_out_again():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"),
                                         nbformat.v4.new_code_cell("SEED = 0\nN = 3"),
                                         nbformat.v4.new_code_cell("print(SEED)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    assert rr.seed_cell(nb) is None                      # not tagged: no seed parameter
    nb.cells[1].metadata["tags"] = ["parameters"]
    assert rr.seed_cell(nb) == 1
    seeded = rr.with_seed(nb, 2)
    assert len(seeded.cells) == 4 and "injected-parameters" in seeded.cells[2].metadata["tags"]
    assert "SEED = 2" in seeded.cells[2].source and len(nb.cells) == 3   # the original is untouched
    assert rr.same_cells(rr.without_injected(seeded), nb)


# --------------------------------------------------------------------------- a seeded notebook, run
def test_a_seeded_notebook_run_three_times_gives_ranges_and_the_page_shows_them(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 9 · Seeds\n\n## Part"),
        nbformat.v4.new_code_cell("SEED = 0"),
        nbformat.v4.new_code_cell("import numpy as np\nrng = np.random.default_rng(SEED)\n"
                                  "print(f'random {rng.random():.3f}')\nprint('fixed 4')")])
    nb.cells[1].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_seeds.ipynb"
    nbformat.write(nb, path)

    runs = rr.run_seeds(path, (0, 1, 2), timeout=120, log_dir=tmp_path)
    import numpy as np

    expected = [f"{np.random.default_rng(s).random():.3f}" for s in (0, 1, 2)]   # the same draws, here
    assert [run[2] for run in runs] == [f"random {e}\nfixed 4" for e in expected]
    records = rr.cell_ranges(runs)
    low, high = min(expected, key=float), max(expected, key=float)
    assert rr.varying_lines(records[0]) == [f"random {low}…{high}"]

    ranges = {"measured": "2026-12-02", "commit": "abc1234", "machine": "x86_64, 2 cores", "seeds": [0, 1, 2],
              "notebooks": {"99_seeds": {"seeded": True, "cells": records}}}
    executed = nbformat.read(path, as_version=4)
    executed.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text=runs[0][2] + "\n")]
    page = build_site.reference_page([("99_seeds", "9 · Seeds", executed)], ranges)
    assert f"random {low}…{high}" in page and "seeds 0, 1 and 2" in page and "2026-12-02" in page
    assert "fixed 4" in page.split("Over the seeds")[0]       # shown as printed, not as a range

    executed.cells[2].outputs[0].text = "random draws: 0.5\n"    # the notebook changed since
    assert "printed something else when the ranges were measured" in build_site.reference_page(
        [("99_seeds", "9 · Seeds", executed)], ranges)


# --------------------------------------------------------------------------- the committed file
def test_the_committed_ranges_cover_every_tutorial_notebook():
    from run_notebooks import tutorial_notebooks

    ranges = rr.load()
    assert ranges, f"{rr.RANGES} is missing: run python scripts/reference_ranges.py"
    assert ranges["seeds"] == list(rr.SEEDS) and ranges["measured"] and ranges["machine"]
    for path in tutorial_notebooks():
        entry = ranges["notebooks"].get(path.stem)
        assert entry is not None, f"{path.stem}: no ranges (python scripts/reference_ranges.py {path.name[:2]})"
        seeded = rr.seed_cell(nbformat.read(path, as_version=4)) is not None
        assert entry["seeded"] == seeded, path.stem
        if seeded:
            assert any(rr.varying_lines(r) for r in entry["cells"]), f"{path.stem}: no number moved with the seed"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem)
def test_a_notebook_that_draws_random_numbers_has_a_seed_parameter(path):
    source = path.read_text(encoding="utf-8")
    random = any(word in source for word in ("seed=", "random_seed", "default_rng"))
    if random:
        assert re.search(r'^# %%.* tags=\["parameters"\]', source, flags=re.M) and "\nSEED = " in source, path.name
        assert "seed=0" not in source.replace(" ", ""), "a seed written as a number, not SEED"
