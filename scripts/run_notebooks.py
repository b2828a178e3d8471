"""The main job: execute every tutorial notebook offline and write viewable HTML to build/.

    python scripts/run_notebooks.py            # every tutorial notebook, notebooks/NN_*.ipynb
    python scripts/run_notebooks.py 03         # only those whose name contains "03"
    python scripts/run_notebooks.py --no-solutions   # without the teachers' solution notebooks

Each notebook (found by the glob ``notebooks/[0-9][0-9]_*.ipynb``, so a new one is included)
runs top to bottom with nbclient (its working folder is notebooks/, the default model is the
embedded EfficientNet-Lite0, so no network is needed); nbconvert turns the executed
notebook, outputs and pictures included, into ``build/<name>.html``, and ``build/index.html``
links them. Each notebook's solution notebook (the learner's notebook answered by its answer key,
:mod:`solutions`) is executed too, into ``build/executed/solutions/``, for the teachers' pages of
the course site. Exits with status 1 if any notebook fails (the HTML of a failed notebook still
shows where it stopped). The .ipynb is what runs; if its py:percent source (``notebooks/NN_*.py``)
says something else, a warning says so (``make sync`` pairs them).

What the kernel process itself writes to its stderr goes to ``build/<name>.kernel.log``, not to the
notebook or this terminal: TensorFlow's C++ start-up notes ("All log messages before
absl::InitializeLog() ...", "oneDNN custom operations are on ...") are printed before Python's logging
exists, so no Python setting hides them, and ipykernel would otherwise copy that low-level output into
the notebook as red stderr blocks (``capture_fd_output``); ipykernel's own "running over TCP without
encryption" start-up warning goes there too. What a cell writes to ``sys.stderr`` (Python warnings,
tracebacks) still shows in the notebook, and this script counts it (:func:`stderr_outputs`).
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TUTORIALS = "[0-9][0-9]_*.ipynb"  # the tutorial notebooks (01_..., 02_..., ...)


def tutorial_notebooks() -> list[Path]:
    """The tutorial notebooks, in order: ``notebooks/01_*.ipynb``, ``02_*``, ..."""
    return sorted(NOTEBOOKS.glob(TUTORIALS))


def pair_differences(path: Path) -> list[str]:
    """How a notebook's py:percent source and its .ipynb disagree: [] when they are in sync.

    ``path`` is either file of the pair. Compares what jupytext reads from each (cell types and
    sources) and the pairing metadata (``jupytext: formats: ipynb,py:percent`` in both).
    """
    import jupytext  # dev requirement (requirements-dev.txt)

    path = Path(path)
    py, ipynb = path.with_suffix(".py"), path.with_suffix(".ipynb")
    missing = [str(p) for p in (py, ipynb) if not p.exists()]
    if missing:
        return [f"{', '.join(missing)} missing: every notebook is a .py + .ipynb pair (make sync writes the twin)"]
    text, nb = jupytext.read(py), jupytext.read(ipynb)
    problems = [f"{p.name}: metadata jupytext.formats is {n.metadata.get('jupytext', {}).get('formats')!r}, "
                f"not 'ipynb,py:percent'" for p, n in ((py, text), (ipynb, nb))
                if n.metadata.get("jupytext", {}).get("formats") != "ipynb,py:percent"]
    a = [(c.cell_type, c.source) for c in text.cells]
    b = [(c.cell_type, c.source) for c in nb.cells]
    if a != b:
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        x, y = (a[i] if i < len(a) else ("none", "")), (b[i] if i < len(b) else ("none", ""))
        lx, ly = x[1].splitlines() or [""], y[1].splitlines() or [""]
        k = next((k for k, (u, v) in enumerate(zip(lx, ly)) if u != v), min(len(lx), len(ly)) - 1)

        def line(lines):
            return lines[k][:80] if k < len(lines) else "(no such line)"

        problems.append(f"{py.name} ({len(a)} cells) and {ipynb.name} ({len(b)} cells) differ from cell {i} "
                        f"({x[0]} / {y[0]}), line {k + 1}: {line(lx)!r} vs {line(ly)!r}; run `make sync`")
    return problems


# ipykernel copies what the kernel process writes to its file descriptors 1 and 2 (C/C++ libraries
# included) into the notebook; off, that low-level output goes to the kernel's own stderr (the log).
KERNEL_ARGUMENTS = ("--IPKernelApp.capture_fd_output=False",)


def run_client(nb: nbformat.NotebookNode, folder: Path, timeout: int = 600, kernel_log: Path | None = None):
    """Execute ``nb`` in place, in ``folder``, the way ``make notebooks`` does (the notebook test
    calls this too). The kernel process's stderr is written to ``kernel_log`` (discarded if None).
    Raises :class:`nbclient.exceptions.CellExecutionError` on a cell's error."""
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=list(KERNEL_ARGUMENTS),
                            resources={"metadata": {"path": str(folder)}})
    with open(kernel_log if kernel_log is not None else os.devnull, "w", encoding="utf-8") as log:
        client.execute(stderr=log)
    return nb


def stderr_outputs(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """``(cell index, text)`` of every stderr stream output of an executed notebook ([] if none).

    Example:
        >>> cell = nbformat.v4.new_code_cell("import sys; sys.stderr.write('oops')")
        >>> cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="oops")]
        >>> stderr_outputs(nbformat.v4.new_notebook(cells=[cell]))
        [(0, 'oops')]
    """
    return [(i, "".join(out.get("text", ""))) for i, cell in enumerate(nb.cells)
            for out in cell.get("outputs", []) if out.get("output_type") == "stream" and out.get("name") == "stderr"]


def execute(path: Path, timeout: int = 600, kernel_log: Path | None = None
            ) -> tuple[nbformat.NotebookNode, float, str | None]:
    """Execute one notebook in its folder; returns (notebook with outputs, seconds, error or None)."""
    nb = nbformat.read(path, as_version=4)
    return (nb, *execute_notebook(nb, path.parent, timeout, kernel_log))


def execute_notebook(nb: nbformat.NotebookNode, folder: Path, timeout: int = 600, kernel_log: Path | None = None
                     ) -> tuple[float, str | None]:
    """Execute ``nb`` in place, in ``folder``; returns (seconds, the failing cell's error line or None)."""
    t0, error = time.perf_counter(), None
    try:
        run_client(nb, folder, timeout, kernel_log)
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
    return time.perf_counter() - t0, error


def run_solution(path: Path, out: Path, timeout: int, log_dir: Path) -> str | None:
    """Execute ``path``'s solution notebook (:mod:`solutions`: the answer key fills the exercises)
    in the notebook's folder and write it to ``out``; returns the error, or None."""
    from solutions import answer_key_path, solution_notebook

    key = answer_key_path(path)
    if not key.exists():
        print(f"  no answer key {key.relative_to(ROOT)}: no solution notebook", flush=True)
        return None
    nb = solution_notebook(nbformat.read(path, as_version=4), key)
    seconds, error = execute_notebook(nb, path.parent, timeout, log_dir / (path.stem + ".solution.kernel.log"))
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / path.name)
    print(f"  solution notebook {'FAILED: ' + error if error else 'ok'} in {seconds:.1f} s "
          f"-> {out / path.name}", flush=True)
    return error


def to_html(nb: nbformat.NotebookNode, out: Path) -> None:
    body, _ = HTMLExporter().from_notebook_node(nb)
    out.write_text(body, encoding="utf-8")


def write_index(rows: list[tuple[str, str, float, str | None]], out_dir: Path) -> None:
    items = "\n".join(
        f"<li><a href='{html.escape(h)}'>{html.escape(t)}</a>{f' — {s:.0f} s' if s else ''}"
        f"{' — <b>failed</b>: ' + html.escape(e) if e else ''}</li>" for t, h, s, e in rows)
    page = (f"<!doctype html><meta charset='utf-8'><title>convnet-vis notebooks</title>"
            f"<h1>convnet-vis: what a convolutional network sees</h1>"
            f"<p>Rendered on {time.strftime('%Y-%m-%d %H:%M')} with the embedded EfficientNet-Lite0.</p>"
            f"<ul>{items or '<li>(no notebooks yet)</li>'}</ul>")
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run only notebooks whose file name contains one of these")
    parser.add_argument("--out", default=str(ROOT / "build"), help="output folder (default: build/)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--no-solutions", dest="solutions", action="store_false",
                        help="skip the teachers' solution notebooks (each is one more run of its notebook)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = tutorial_notebooks()
    if args.only:
        paths = [p for p in paths if any(o in p.name for o in args.only)]
    rows, failed = [], 0
    for path in paths:
        print(f"executing {path.relative_to(ROOT)} ...", flush=True)
        try:
            for problem in pair_differences(path):
                print(f"  warning: {problem}", flush=True)
        except ImportError:  # jupytext is a dev requirement; the runtime alone can still render
            pass
        log = out_dir / (path.stem + ".kernel.log")
        nb, seconds, error = execute(path, args.timeout, kernel_log=log)
        executed_dir = out_dir / "executed"
        executed_dir.mkdir(exist_ok=True)
        nbformat.write(nb, executed_dir / path.name)  # what the course site (scripts/build_site.py) shows
        html_name = path.with_suffix(".html").name
        to_html(nb, out_dir / html_name)
        title = path.stem.replace("_", " ")
        rows.append((title, html_name, seconds, error))
        print(f"  {'FAILED: ' + error if error else 'ok'} in {seconds:.1f} s -> {out_dir / html_name}", flush=True)
        noise = stderr_outputs(nb)
        if noise:
            cells = sorted({i for i, _ in noise})
            print(f"  warning: {len(noise)} stderr output(s) in the notebook (cells {cells}): {noise[0][1][:120]!r}",
                  flush=True)
        if error:
            print(f"  the kernel's own messages: {log}", flush=True)
        failed += error is not None
        if args.solutions and not error:
            failed += run_solution(path, executed_dir / "solutions", args.timeout, out_dir) is not None
    ran = {html_name for _, html_name, _, _ in rows}
    for path in tutorial_notebooks():  # keep earlier renders of notebooks not run now
        html_name = path.with_suffix(".html").name
        if html_name not in ran and (out_dir / html_name).exists():
            rows.append((path.stem.replace("_", " ") + " (earlier run)", html_name, 0.0, None))
    write_index(sorted(rows, key=lambda r: r[1]), out_dir)
    print(f"{len(paths) - failed} of {len(paths)} notebooks rendered; open {out_dir / 'index.html'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
