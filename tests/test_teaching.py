"""The lesson plans' timing tables add up: each session fits its stated length and one class hour."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PLANS = sorted((Path(__file__).resolve().parents[1] / "docs" / "teaching").glob("0*.md"))


def timing_tables(text: str) -> list[tuple[int | None, list[int]]]:
    """(stated minutes or None, the minutes of each row) for every table whose first column is 'time'.
    The stated length is the nearest '(N min)' in the heading or bold line above the table."""
    tables, stated, rows, in_table = [], None, None, False
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not in_table:
                in_table, rows = True, ([] if cells[0].lower() == "time" else None)
            elif rows is not None and (m := re.fullmatch(r"(\d+) min", cells[0])):
                rows.append(int(m.group(1)))
            continue
        if in_table and rows is not None:
            tables.append((stated, rows))
        in_table = False
        if line.startswith(("#", "**")):
            m = re.search(r"\((\d+) min\)", line)
            stated = int(m.group(1)) if m else (None if line.startswith("#") else stated)
    if in_table and rows is not None:
        tables.append((stated, rows))
    return tables


def test_the_parser_reads_a_hand_written_plan():
    text = "## Timing (15 min)\n| time | activity |\n|---|---|\n| 5 min | a |\n| 10 min | b |\n\n" \
           "**Session B (7 min)**\n| Time | part |\n|---|---|\n| 7 min | c |\n"
    assert timing_tables(text) == [(15, [5, 10]), (7, [7])]


@pytest.mark.parametrize("plan", PLANS, ids=[p.stem for p in PLANS])
def test_each_session_adds_up_and_fits_a_class_hour(plan):
    tables = timing_tables(plan.read_text(encoding="utf-8"))
    assert tables, f"{plan.name} has no timing table"
    for stated, rows in tables:
        assert rows and 45 <= sum(rows) <= 60, f"{plan.name}: a session of {sum(rows)} min, not a class hour (45-60)"
        if stated is not None:
            assert sum(rows) == stated, f"{plan.name}: the rows add up to {sum(rows)} min, the heading says {stated}"


def test_lesson_3_runs_as_two_sessions_with_the_break_marked_in_the_notebook():
    plan = next(p for p in PLANS if p.name.startswith("03"))
    assert [s for s, _ in timing_tables(plan.read_text(encoding="utf-8"))] == [50, 45]
    notebook = (plan.parents[2] / "notebooks" / "03_gradcam_heatmaps.py").read_text(encoding="utf-8")
    assert notebook.index("**Stopping point.**") < notebook.index("## 4 · Which layer?")
