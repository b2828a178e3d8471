"""Build the course site (Sphinx + sphinx-book-theme + MyST-NB) and the lecture slides from executed notebooks.

    python scripts/build_site.py                          # build/executed/ -> build/site/ (teachers' build)
    python scripts/build_site.py --audience students      # -> build/site-students/, no teachers' section
    python scripts/build_site.py --executed DIR --out DIR # any folder of executed NN_*.ipynb

Nothing is executed here: the pages show the outputs that ``make notebooks`` saved in the executed
copies (MyST-NB runs with ``nb_execution_mode = "off"``), and nothing is downloaded: MathJax 3
(from the ``django-static-mathjax`` wheel) and reveal.js (from the ``sphinx-revealjs`` wheel) are
copied into the build, the theme ships its own scripts, styles and fonts.

What it does, in order:

1. stages one Sphinx source folder (``build/site_src/``): ``docs/site/`` (configuration, home page,
   worksheets, quizzes), a copy of every executed ``NN_*.ipynb`` (in the learner's order, 01, 02, ...),
   the lesson plans ``docs/teaching/*.md`` and answer keys ``docs/teaching/answers/*.py`` (teachers'
   build only), and two generated pages: the slides' index and the reference run (timings and what
   each cell printed, read from the executed notebooks);
2. in each staged notebook, replaces every widget output (an explorer: live only with a kernel) by a
   still picture of it, decoded from the widget state nbclient saved, with a note to run the notebook
   for the live explorer, then drops the widget state, whose renderer would load from a CDN;
3. runs Sphinx (``-E``: a fresh environment, so a students' build never shows a teachers' page);
4. writes one reveal.js slide deck per notebook into ``<out>/slides/`` (nbconvert's SlidesExporter
   with the template in ``docs/site/slides/``), slide boundaries from the cells' ``slideshow``
   metadata when a notebook has any, otherwise from the headings (see :func:`mark_slides`);
5. writes ``build/index.html``, a relative redirect to the teachers' site (teachers' build into the
   default folder only).

Exits 1 when there is no executed notebook, or (``--strict``) when Sphinx printed a warning.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import hashlib
import html
import importlib.util
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_ranges  # noqa: E402  (scripts/ is not a package)

ROOT = Path(__file__).resolve().parents[1]
SITE_SOURCES = ROOT / "docs" / "site"
TEACHING = ROOT / "docs" / "teaching"
BUILD = ROOT / "build"
TUTORIALS = "[0-9][0-9]_*.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
STILL_NOTE = ("A still picture of the explorer as the notebook left it. Run the notebook (JupyterLab or "
              "Colab) for the live explorer.")


def executed_notebooks(folder: Path) -> list[Path]:
    """The executed tutorial notebooks in ``folder``, in the learner's order (01, 02, ...)."""
    return sorted(Path(folder).glob(TUTORIALS))


def match_sources(executed: list[Path], sources: Path) -> tuple[list[Path], list[str]]:
    """Keep the executed copies whose notebook is still in ``sources`` (a renamed or removed
    notebook's old copy is left out); returns them and a note for each copy left out, each notebook
    with no copy, and each copy older than its notebook (edited since ``make notebooks`` ran)."""
    current = {p.stem: p for p in Path(sources).glob(TUTORIALS)}
    kept, notes = [], []
    for path in executed:
        if path.stem not in current:
            notes.append(f"{path.name}: no such notebook in {sources} any more, left out")
            continue
        kept.append(path)
        if current[path.stem].stat().st_mtime > path.stat().st_mtime:
            notes.append(f"{path.name}: executed before the notebook's last edit (run make notebooks again)")
    have = {p.stem for p in kept}
    notes += [f"{stem}.ipynb: not executed yet, not in the site (run make notebooks)"
              for stem in sorted(set(current) - have)]
    return kept, notes


# --------------------------------------------------------------------------- explorers as stills
def _widget_children(state: dict, model_id: str) -> list[str]:
    """The model ids a widget refers to (its children, its output's widgets), in display order."""
    found = []
    for value in state.get(model_id, {}).get("state", {}).values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str) and item.startswith("IPY_MODEL_"):
                found.append(item[len("IPY_MODEL_"):])
    for output in state.get(model_id, {}).get("state", {}).get("outputs", []) or []:
        view = output.get("data", {}).get(WIDGET_VIEW) if isinstance(output, dict) else None
        if view:
            found.append(view["model_id"])
    return found


def widget_still(state: dict, model_id: str) -> tuple[list[bytes], list[str]]:
    """What a saved widget tree shows without a kernel: the PNG/JPEG bytes of its pictures, and one
    ``description = value`` line per control (dropdowns, sliders, toggles), in display order.

    Pictures are the ``value`` buffers of ``ImageModel`` widgets and the ``image/png`` outputs of
    ``OutputModel`` widgets (a Matplotlib figure drawn into an Output).
    """
    pictures, controls, seen, todo = [], [], set(), [model_id]
    while todo:
        mid = todo.pop(0)
        if mid in seen or mid not in state:
            continue
        seen.add(mid)
        model = state[mid]
        name, s = model.get("model_name", ""), model.get("state", {})
        if name == "ImageModel":
            for buffer in model.get("buffers", []):
                if buffer.get("path") == ["value"] and buffer.get("encoding", "base64") == "base64":
                    pictures.append(base64.b64decode(buffer["data"]))
        elif name == "OutputModel":
            for output in s.get("outputs", []) or []:
                png = output.get("data", {}).get("image/png") if isinstance(output, dict) else None
                if png:
                    pictures.append(base64.b64decode(png))
        description = s.get("description", "")
        if name in ("DropdownModel", "ToggleButtonsModel", "RadioButtonsModel", "SelectModel") and description:
            labels, index = s.get("_options_labels", []), s.get("index")
            if isinstance(index, int) and 0 <= index < len(labels):
                controls.append(f"{description} = {labels[index]}")
        elif name.endswith("SliderModel") and description and "value" in s:
            controls.append(f"{description} = {s['value']}")
        elif name in ("CheckboxModel", "ToggleButtonModel") and description and "value" in s:
            controls.append(f"{description} = {'on' if s['value'] else 'off'}")
        todo[0:0] = _widget_children(state, mid)
    return pictures, controls


def progress_text(state: dict, model_id: str) -> str | None:
    """A saved progress bar (tqdm's notebook bar: HBox of HTML, FloatProgress, HTML) as the line tqdm
    prints in a terminal, e.g. ``filters: 100% |##########| 8/8 [00:07<00:00, 1.60it/s]``; None if
    the widget is not a progress bar."""
    box = state.get(model_id, {})
    parts = [state.get(c, {}) for c in _widget_children(state, model_id)]
    bars = [p for p in parts if p.get("model_name") in ("FloatProgressModel", "IntProgressModel")]
    if box.get("model_name") != "HBoxModel" or len(bars) != 1:
        return None
    words = []
    for part in parts:
        s = part.get("state", {})
        if part is bars[0]:
            top = s.get("max") or 1
            filled = max(0, min(10, round(10 * (s.get("value") or 0) / top)))
            words.append("|" + "#" * filled + " " * (10 - filled) + "|")
        elif part.get("model_name") == "HTMLModel":
            text = html.unescape(re.sub(r"<[^>]*>", "", s.get("value", ""))).replace("\u2007", " ").strip()
            if text:
                words.append(text)
    return " ".join(words)


def replace_widgets_with_stills(nb: nbformat.NotebookNode) -> int:
    """Replace every widget output of ``nb`` (in place): a progress bar by the line it ended on, an
    explorer by its still picture(s) and a note; drop the saved widget state. Returns the number of
    widget outputs replaced."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW) if "data" in output else None
            if not view:
                outputs.append(output)
                continue
            replaced += 1
            bar = progress_text(state, view.get("model_id", ""))
            if bar is not None:  # a finished progress bar: the line it ended on
                outputs.append(nbformat.v4.new_output("stream", name="stdout", text=bar + "\n"))
                continue
            pictures, controls = widget_still(state, view.get("model_id", ""))
            note = STILL_NOTE if pictures else ("The live explorer appears here when the notebook runs "
                                                "(JupyterLab or Colab).")
            shown = f" Its controls at the start: {'; '.join(controls)}." if controls else ""
            outputs.append(nbformat.v4.new_output("display_data", data={
                "text/html": f'<p class="explorer-still-note">{html.escape(note + shown)}</p>'}))
            for picture in pictures:
                mime = "image/jpeg" if picture[:3] == b"\xff\xd8\xff" else "image/png"
                outputs.append(nbformat.v4.new_output("display_data", data={
                    mime: base64.b64encode(picture).decode("ascii"), "text/plain": "<explorer, still picture>"}))
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return replaced


# --------------------------------------------------------------------------- page tweaks
def is_colab_cell(cell) -> bool:
    """The set-up cell every notebook opens with: it does something only on Colab."""
    return cell.cell_type == "code" and "google.colab" in cell.source


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first Markdown heading, without the ``#``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def plain_title(title: str) -> str:
    """A Markdown title as plain text (for HTML written by hand): no emphasis marks or backticks."""
    return re.sub(r"(\*{1,2}|`)(.+?)\1", r"\2", title)


def add_page_links(nb: nbformat.NotebookNode, stem: str) -> None:
    """Put a line right under the notebook's title that links its slides (relative: the page is
    ``notebooks/<stem>.html``, the deck ``slides/<stem>.slides.html``)."""
    link = (f'<p class="course-links"><a class="slides-link" href="../slides/{stem}.slides.html">'
            f"Slides of this notebook</a> (reveal.js: arrow keys to move, <kbd>S</kbd> for the speaker "
            f"view).</p>")
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            heading, _, rest = cell.source.lstrip().partition("\n")
            cell.source = f"{heading}\n\n{link}\n\n{rest.lstrip(chr(10))}"  # blank lines end the HTML block
            return
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(link))


def hide_colab_cell(nb: nbformat.NotebookNode) -> None:
    """Leave the Colab set-up cell off the page (MyST-NB's ``remove-cell`` tag): it does something only
    on Colab, and a reader of the site runs nothing."""
    for cell in nb.cells:
        if is_colab_cell(cell):
            tags = cell.metadata.setdefault("tags", [])
            if "remove-cell" not in tags:
                tags.append("remove-cell")


# --------------------------------------------------------------------------- slides
def _has_picture(cell) -> bool:
    return any(k.startswith("image/") for out in cell.get("outputs", []) for k in out.get("data", {}))


def mark_slides(nb: nbformat.NotebookNode) -> str:
    """Set each cell's ``slideshow.slide_type`` for nbconvert's reveal.js export (in place).

    When any cell of the notebook already has ``slideshow`` metadata, that is the author's split
    and it is kept as is ("metadata"). Otherwise ("headings"): a ``#`` or ``##`` heading starts a
    slide, a ``###`` heading a sub-slide (below it, arrow down); a paragraph that follows code starts
    a sub-slide (the notebooks' rhythm is prose, then the code that shows it: one idea), and so does a
    cell that draws a picture when the current one already holds a picture, so a slide holds one
    idea and its picture; the Colab set-up cell is skipped. Returns which rule was used.
    """
    if any("slideshow" in cell.metadata for cell in nb.cells):
        return "metadata"
    picture_on_slide = after_code = False
    first = True
    for cell in nb.cells:
        kind = "-"
        head = cell.source.lstrip().split("\n", 1)[0] if cell.cell_type == "markdown" else ""
        if is_colab_cell(cell):
            kind = "skip"
        elif first or head.startswith("# ") or head.startswith("## "):
            kind = "slide"
        elif head.startswith("### "):
            kind = "subslide"
        elif cell.cell_type == "markdown" and after_code:
            kind = "subslide"
        elif picture_on_slide and (_has_picture(cell) or cell.cell_type == "markdown"):
            kind = "subslide"
        if kind in ("slide", "subslide"):
            picture_on_slide = False
        if kind != "skip":
            first = False
            picture_on_slide = picture_on_slide or _has_picture(cell)
            after_code = cell.cell_type == "code"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return "headings"


def link_site_pictures(nb: nbformat.NotebookNode, images: Path, prefix: str) -> int:
    """Point each PNG/JPEG output of ``nb`` (in place) at the copy the site already holds in
    ``images`` (MyST-NB names each picture by the SHA-256 of its bytes), instead of inlining it a
    second time; a picture the site lacks stays inlined. Returns the number of pictures linked."""
    linked = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in ("image/png", "image/jpeg"):
                if mime not in data:
                    continue
                suffix = mimetypes.guess_extension(mime) or ".jpeg"  # as MyST-NB names its files
                suffix = ".jpeg" if suffix == ".jpe" else suffix
                name = hashlib.sha256(base64.b64decode(data[mime])).hexdigest() + suffix
                if (images / name).exists():
                    output["data"] = {"text/html": f'<img src="{prefix}{name}" alt="an output of this cell">'}
                    linked += 1
                break
    return linked


def write_slides(nb: nbformat.NotebookNode, out: Path, title: str, site_images: Path | None = None) -> str:
    """One reveal.js deck; reveal.js, MathJax and the pictures (``site_images``) from the build."""
    from nbconvert import SlidesExporter

    nb = copy.deepcopy(nb)
    rule = mark_slides(nb)
    if site_images is not None:
        link_site_pictures(nb, site_images, os.path.relpath(site_images, out.parent).replace(os.sep, "/") + "/")
    nb.metadata["title"] = plain_title(title)
    exporter = SlidesExporter(extra_template_paths=[str(SITE_SOURCES / "slides")],
                              template_file="course_slides.html.j2", reveal_url_prefix="reveal.js",
                              reveal_theme="white", reveal_scroll=True, reveal_number="c/t",
                              exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"mathjax_local": "../_static/mathjax/tex-chtml.js"})
    out.write_text(body, encoding="utf-8")
    return rule


REVEAL_FILES = ["LICENSE", "dist/reveal.css", "dist/reset.css", "dist/reveal.js", "dist/theme/white.css",
                "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js"]


def _package_folder(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise SystemExit(f"the Python package {module!r} is missing: pip install -r requirements-dev.txt")
    return Path(spec.origin).parent


def copy_reveal(dest: Path) -> None:
    """reveal.js (the copy the sphinx-revealjs wheel ships), only what the decks load, plus its licence."""
    source = _package_folder("sphinx_revealjs") / "_static" / "revealjs"
    for rel in REVEAL_FILES:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if (source / rel).is_dir():
            shutil.copytree(source / rel, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source / rel, target)


def copy_mathjax(dest: Path) -> None:
    """MathJax 3 (the es5 build in the django-static-mathjax wheel): the ``tex-chtml`` component, the
    TeX extensions and fonts it may load on demand, its menu and accessibility parts, and the licence.
    Left out: the speech rule engine (sre, 3.9 MB), the SVG output and the other combined builds."""
    package = _package_folder("mathjax") / "static" / "mathjax"
    es5 = package / "es5"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-chtml.js", dest / "tex-chtml.js")
    shutil.copy2(package / "LICENSE", dest / "LICENSE")
    for part in ("input/tex/extensions", "output/chtml", "ui", "a11y", "adaptors"):
        shutil.copytree(es5 / part, dest / part, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("sre*", "*.map"))


# --------------------------------------------------------------------------- generated pages
def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def cell_seconds(cell) -> float | None:
    """How long a code cell ran, from the timestamps nbclient records in its metadata."""
    execution = cell.get("metadata", {}).get("execution", {})
    start, end = _time(execution.get("iopub.execute_input")), _time(execution.get("shell.execute_reply"))
    return (end - start).total_seconds() if start and end else None


def _section_of(nb: nbformat.NotebookNode, index: int) -> str:
    """The last ``#``/``##`` heading above cell ``index`` (the notebook's section), without the hashes."""
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            for line in reversed(cell.source.splitlines()):
                if re.match(r"#{1,2} ", line):  # emphasis and bars would break the table's Markdown
                    return re.sub(r"[*|]", "", line.lstrip("#")).strip()
    return "the start"


def run_record(nb: nbformat.NotebookNode) -> dict:
    """When and how long the notebook ran, read from nbclient's per-cell timestamps: ``started``,
    ``seconds`` (first cell's start to the last cell's end; the kernel's start-up is not included),
    ``slowest`` [(seconds, cell index, section)] for the three slowest cells, ``errors`` (cells with
    an error output)."""
    starts, ends, slowest, errors = [], [], [], 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        execution = cell.get("metadata", {}).get("execution", {})
        start, end = _time(execution.get("iopub.execute_input")), _time(execution.get("shell.execute_reply"))
        if start and end:
            starts.append(start)
            ends.append(end)
            slowest.append(((end - start).total_seconds(), i, _section_of(nb, i)))
        errors += any(out.get("output_type") == "error" for out in cell.get("outputs", []))
    return {"started": min(starts) if starts else None,
            "seconds": (max(ends) - min(starts)).total_seconds() if starts else None,
            "slowest": sorted(slowest, reverse=True)[:3], "errors": errors}


def _fence(text: str) -> str:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def _ranges_intro(ranges: dict) -> list[str]:
    if not ranges.get("notebooks"):
        return ["No reference ranges yet: `python scripts/reference_ranges.py` runs each seeded notebook with "
                "three seeds and records how far each printed number moves.", ""]
    seeds = ", ".join(map(str, ranges["seeds"][:-1])) + f" and {ranges['seeds'][-1]}"
    return [f"**Ranges.** Below each printed block, the lines whose numbers moved when the notebook ran with "
            f"seeds {seeds} (`SEED` in its parameters cell), each number as its lowest…highest value: measured "
            f"on {ranges['measured']} ({ranges['machine']}, commit {ranges['commit']}) by "
            f"`scripts/reference_ranges.py`. Times move from run to run as well as from seed to seed, and "
            f"with the machine.", ""]


def _cell_ranges(stem: str, cell: int, text: str, ranges: dict) -> list[str]:
    """What the reference page says under one printed block about its numbers' ranges."""
    entry = ranges.get("notebooks", {}).get(stem)
    if not entry or not entry.get("seeded"):
        return []
    record = next((r for r in entry["cells"] if r["cell"] == cell), None)
    if record is None or record.get("form_varies"):
        return ["(Its text itself changes from seed to seed: no range.)", ""] if record else []
    if not reference_ranges.same_form(text, record):
        return [f"(This cell printed something else when the ranges were measured, {ranges['measured']}: run "
                f"`python scripts/reference_ranges.py {stem[:2]}` again.)", ""]
    moved = reference_ranges.varying_lines(record)
    if not moved:
        return ["The same numbers with every seed.", ""]
    return ["Over the seeds:", "", _fence("\n".join(moved)), ""]


def reference_page(records: list[tuple[str, str, nbformat.NotebookNode]], ranges: dict | None = None) -> str:
    """The teachers' reference run: one table of timings, then what each cell printed, with the range
    of each number over three seeds where ``ranges`` (:func:`reference_ranges.load`) has them."""
    ranges = ranges or {}
    lines = ["# Reference run: timings and printed outputs", "",
             "What the run of the notebooks that built this site measured and printed, read from the executed "
             "notebooks (nbclient records when each cell started and finished). A learner's run prints the same "
             "lines; numbers that depend on a seed (training, random starts, random weights) vary from run to "
             "run, and times depend on the machine and on what else it runs.", "",
             "| notebook | started | first cell to last | the three slowest cells | cells with an error |",
             "|---|---|---|---|---|"]
    for stem, title, nb in records:
        r = run_record(nb)
        when = r["started"].strftime("%Y-%m-%d %H:%M UTC") if r["started"] else "not recorded"
        took = f"{r['seconds']:.0f} s" if r["seconds"] is not None else "not recorded"
        slow = "<br>".join(f"{s:.0f} s in *{html.escape(section)}*" for s, _, section in r["slowest"]) or "—"
        short = title.split(":")[0]
        lines.append(f"| [{short}](../notebooks/{stem}.ipynb) | {when} | {took} | {slow} | {r['errors']} |")
    lines += ["", "The kernel's start-up is not included: the times run from the first cell's "
              "start to the last cell's end.", ""] + _ranges_intro(ranges)
    for stem, title, nb in records:
        lines += [f"## {title}", ""]
        entry = ranges.get("notebooks", {}).get(stem)
        if entry is not None and not entry.get("seeded"):
            lines += ["This notebook has no seed (no `SEED` in its parameters): nothing in it is random, so every "
                      "run prints the same numbers, times apart.", ""]
        printed = reference_ranges.printed_cells(nb)
        if not printed:
            lines += ["(no printed output)", ""]
        for i, text in printed.items():
            lines += [f"Cell {i} (in *{_section_of(nb, i)}*):", "", _fence(text), ""]
            lines += _cell_ranges(stem, i, text, ranges)
    return "\n".join(lines)


def slides_page(records: list[tuple[str, str, str]]) -> str:
    """The slides' index: one link per deck, and how the slides were cut."""
    items = "\n".join(f'<li><a class="slides-link" href="slides/{stem}.slides.html">'
                      f"{html.escape(plain_title(title))}</a> (cut by {rule})</li>" for stem, title, rule in records)
    return "\n".join([
        "# Slides", "",
        "One reveal.js deck per notebook, with the outputs of the run that built this site. Open a deck, "
        "press <kbd>F</kbd> for full screen, the arrow keys to move (down: the pictures and details of a "
        "topic), <kbd>S</kbd> for the speaker view, <kbd>Esc</kbd> for the overview. Everything is in the "
        "build folder: it works without a network.", "",
        f'<ul class="slides-list">\n{items}\n</ul>', "",
        "Where a slide starts: when a notebook's cells carry `slideshow` metadata (JupyterLab's property "
        "inspector, *Slide Type*), those are used as they are (\"metadata\"). Otherwise (\"headings\") each "
        "`#` or `##` heading starts a slide, each `###` heading a sub-slide, a paragraph that follows code "
        "starts a sub-slide, and so does a cell that draws a picture when the slide already holds one; "
        "the Colab set-up cell is left out. The tutorial notebooks carry such marks, written once by this "
        "rule and kept with them, so an author can move a cut in JupyterLab.", ""])


ANSWER_PAGE = """# Answer key: {title}

The functions the test suite runs through the notebook's checks (`docs/teaching/answers/{name}`). Each
`exercise_N(nb)` returns what a learner would type, given the notebook's variables; the lesson plan says
how to call one in a running notebook.

```{{literalinclude}} {name}
:language: python
```
"""


# --------------------------------------------------------------------------- staging and build
def stage(executed: list[Path], src: Path, audience: str) -> list[tuple[str, str, nbformat.NotebookNode]]:
    """Lay out the Sphinx source folder ``src`` for the ``executed`` notebooks; returns (stem, title,
    notebook) for each."""
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(SITE_SOURCES, src, ignore=shutil.ignore_patterns("teaching", "slides", "__pycache__"))
    if audience == "students":  # the home page's link to the teachers' section
        home = (src / "index.md").read_text(encoding="utf-8")
        home = re.sub(r"<!-- teachers:.*?<!-- teachers: end -->\n?", "", home, flags=re.S)
        (src / "index.md").write_text(home, encoding="utf-8")
    (src / "notebooks").mkdir()
    (src / "worksheets").mkdir()
    records = []
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        stills = replace_widgets_with_stills(nb)
        title = title_of(nb, path.stem)
        records.append((path.stem, title, copy.deepcopy(nb)))  # the slides start from this copy
        hide_colab_cell(nb)
        add_page_links(nb, path.stem)
        nbformat.write(nb, src / "notebooks" / path.name)
        print(f"  staged {path.name}: {stills} widget output(s) (explorers, progress bars) made static", flush=True)
    lessons = SITE_SOURCES / "teaching"
    shutil.copy2(lessons / "worksheets_index.md", src / "worksheets" / "index.md")
    for sheet in sorted(lessons.glob("worksheet_*.md")):
        shutil.copy2(sheet, src / "worksheets" / sheet.name)
    if audience == "teachers":
        teachers = src / "teachers"
        (teachers / "answers").mkdir(parents=True, exist_ok=True)
        shutil.copy2(lessons / "teachers_index.md", teachers / "index.md")
        shutil.copy2(TEACHING / "README.md", teachers / "guide.md")
        for plan in sorted(TEACHING.glob("[0-9][0-9]_*.md")):
            shutil.copy2(plan, teachers / plan.name)
        for quiz in sorted(lessons.glob("quiz_*.md")):
            shutil.copy2(quiz, teachers / quiz.name)
        titles = {stem[:2]: title for stem, title, _ in records}
        for key in sorted((TEACHING / "answers").glob("answers_*.py")):
            shutil.copy2(key, teachers / "answers" / key.name)
            number = key.stem.split("_")[-1]
            (teachers / "answers" / f"{key.stem}.md").write_text(
                ANSWER_PAGE.format(title=titles.get(number, f"notebook {number}"), name=key.name), encoding="utf-8")
        (teachers / "reference.md").write_text(reference_page(records, reference_ranges.load()),
                                                  encoding="utf-8")
        stage_solutions(Path(executed[0]).parent / "solutions" if executed else None, teachers)
    return records


SOLUTIONS_TOC = """
```{toctree}
:caption: Solution notebooks
:glob:
:maxdepth: 1

solutions/*
```
"""


def stage_solutions(folder: Path | None, teachers: Path) -> int:
    """The executed solution notebooks (``<executed>/solutions/``, written by the main job) as
    teachers' pages, with their own part of the teachers' index; returns how many."""
    paths = executed_notebooks(folder) if folder is not None and folder.is_dir() else []
    if not paths:
        return 0
    (teachers / "solutions").mkdir(exist_ok=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        replace_widgets_with_stills(nb)
        hide_colab_cell(nb)
        nbformat.write(nb, teachers / "solutions" / path.name)
    with open(teachers / "index.md", "a", encoding="utf-8") as index:
        index.write(SOLUTIONS_TOC)
    print(f"  staged {len(paths)} solution notebook(s)", flush=True)
    return len(paths)


def sphinx_build(src: Path, out: Path, audience: str) -> list[str]:
    """Run Sphinx (html builder, fresh environment); returns its warning lines."""
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ, CONVNET_VIS_AUDIENCE=audience, CONVNET_VIS_BUILT=time.strftime("%Y-%m-%d %H:%M"))
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", "-d", str(src / "_doctrees"), str(src), str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode != 0:
        raise SystemExit(f"sphinx-build failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return warnings


def write_redirect(build: Path, site: Path) -> None:
    """``build/index.html``: opens the site (a relative link, so the folder can be moved or copied)."""
    rel = os.path.relpath(site / "index.html", build).replace(os.sep, "/")
    build.mkdir(parents=True, exist_ok=True)
    (build / "index.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>convnet-vis course</title>'
        f'<meta http-equiv="refresh" content="0; url={rel}"></head>'
        f'<body><p>The course site is at <a href="{rel}">{rel}</a>.</p></body></html>\n', encoding="utf-8")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(executed: Path, out: Path, audience: str = "teachers", src: Path | None = None,
          redirect: Path | None = None, sources: Path | None = None) -> dict:
    """Stage, run Sphinx, write the slides; returns what it did (seconds, bytes, Sphinx's warnings,
    notebooks, notes on the executed copies). With ``sources`` (the notebooks' folder), only the
    executed copies of notebooks still there are used (:func:`match_sources`)."""
    t0 = time.perf_counter()
    src = src or out.parent / (out.name + "_src")
    paths, notes = executed_notebooks(executed), []
    if sources is not None:
        paths, notes = match_sources(paths, sources)
    records = stage(paths, src, audience)
    if not records:
        raise SystemExit(f"no executed notebook ({TUTORIALS}) in {executed}: run `make notebooks` first")
    decks = []
    for stem, title, nb in records:  # the slides' index page is a source page: write it before Sphinx runs
        decks.append((stem, title, mark_slides(copy.deepcopy(nb))))
    (src / "slides.md").write_text(slides_page(decks), encoding="utf-8")
    copy_mathjax(src / "_static" / "mathjax")
    warnings = sphinx_build(src, out, audience)
    slides = out / "slides"
    slides.mkdir(parents=True, exist_ok=True)
    copy_reveal(slides / "reveal.js")
    for stem, title, nb in records:
        write_slides(nb, slides / f"{stem}.slides.html", title, site_images=out / "_images")
    if redirect is not None:
        write_redirect(redirect, out)
    return {"seconds": time.perf_counter() - t0, "bytes": folder_size(out), "warnings": warnings,
            "notebooks": [stem for stem, _, _ in records], "audience": audience, "notes": notes}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executed", default=str(BUILD / "executed"),
                        help="folder of executed NN_*.ipynb (default: build/executed/, written by make notebooks)")
    parser.add_argument("--audience", choices=("teachers", "students"),
                        default=os.environ.get("AUDIENCE") or "teachers",
                        help="teachers (default; env AUDIENCE): everything; students: no teachers' section")
    parser.add_argument("--out", default=None, help="output folder (default: build/site/, build/site-students/)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if Sphinx printed a warning")
    args = parser.parse_args(argv)
    default_out = BUILD / ("site" if args.audience == "teachers" else "site-students")
    out = Path(args.out) if args.out else default_out
    redirect = BUILD if (args.audience == "teachers" and out == default_out) else None
    print(f"building the {args.audience}' site from {args.executed} ...", flush=True)
    result = build(Path(args.executed), out, args.audience, redirect=redirect, sources=ROOT / "notebooks")
    for line in result["notes"]:
        print(f"  note: {line}")
    for line in result["warnings"]:
        print(f"  sphinx: {line}")
    print(f"{len(result['notebooks'])} notebooks, {len(result['warnings'])} warning(s), "
          f"{result['bytes'] / 1e6:.1f} MB in {result['seconds']:.0f} s -> {out / 'index.html'}"
          + (f" (and {redirect / 'index.html'})" if redirect else ""))
    return 1 if args.strict and result["warnings"] else 0


if __name__ == "__main__":
    sys.exit(main())
