"""Tiny helper shared by the notebook generators (scripts/make_notebook_0*.py, make_apps.py):
collect markdown and code cells, then write a clean notebook (no outputs, no cell longer than a
screen)."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

MAX_CELL_LINES = 40
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


class NotebookBuilder:
    """``nb = NotebookBuilder(); nb.md("# Title"); nb.code("x = 1"); nb.write(path)``."""

    def __init__(self):
        self.cells = []

    def md(self, text: str) -> None:
        self.cells.append(new_markdown_cell(text.strip()))

    def code(self, text: str) -> None:
        self.cells.append(new_code_cell(text.strip()))

    def write(self, path: Path) -> None:
        for i, cell in enumerate(self.cells):
            cell.id = str(i)  # deterministic ids (as nbstripout writes them): clean diffs
            if len(cell.source.splitlines()) > MAX_CELL_LINES:
                raise ValueError(f"cell longer than {MAX_CELL_LINES} lines: {cell.source[:80]!r}")
        nb = new_notebook(cells=self.cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        print(f"wrote {path} ({len(self.cells)} cells)")
