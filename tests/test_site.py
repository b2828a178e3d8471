"""The course site and the slides (scripts/build_site.py, Sphinx + sphinx-book-theme + MyST-NB).

* the builder's parts on small inputs: an explorer's saved widget state becomes its still picture and
  its controls' values, a progress bar its last line, slides are cut at headings (or the author's
  ``slideshow`` metadata is kept), timings are read from nbclient's timestamps;
* a small course (two notebooks with formulas, a Matplotlib picture, an explorer and a progress bar,
  executed here with the kernel ``make notebooks`` uses) built for teachers and for students;
* the real course, from the executed copies ``make notebooks`` leaves in ``build/executed/`` (skipped
  when there are none): every page and every deck opened in headless Chromium (Debian's, through
  Playwright) with every request recorded; anything outside the site's folder is recorded and aborted,
  and there must be none; formulas typeset by the MathJax copy in the build (its ``mjx-container``
  elements present, no raw ``$$`` left), each notebook page showing its pictures (screenshots of a
  page and a slide in ``build/site_screenshots/``);
* the teachers' README's key recipe, run exactly as printed.
"""
from __future__ import annotations

import ast
import base64
import io
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "build" / "executed"
SHOTS = ROOT / "build" / "site_screenshots"  # one notebook page and one slide of the real course
sys.path.insert(0, str(ROOT / "scripts"))

import build_site  # noqa: E402  (scripts/ is not a package)

VIEW = build_site.WIDGET_VIEW


def _png(width=4, height=3, colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _widget_notebook(state: dict, root_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("explorer")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        VIEW: {"model_id": root_id, "version_major": 2, "version_minor": 0}, "text/plain": "VBox(...)"})]
    printed = nbformat.v4.new_code_cell("print('kept')")
    printed.outputs = [nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    nb = nbformat.v4.new_notebook(cells=[cell, printed])
    nb.metadata["widgets"] = {build_site.WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nb


# --------------------------------------------------------------------------- the builder's parts
def test_an_explorer_becomes_its_picture_and_its_controls_values():
    picture = _png()
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_menu", "IPY_MODEL_row"]}},
        "menu": {"model_name": "DropdownModel",
                 "state": {"description": "layer", "_options_labels": ["conv1", "conv2"], "index": 1}},
        "row": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_img"]}},
        "slider": {"model_name": "IntSliderModel", "state": {"description": "channel", "value": 7}},
        "img": {"model_name": "ImageModel", "state": {"format": "png"},
                "buffers": [{"path": ["value"], "encoding": "base64", "data": base64.b64encode(picture).decode()}]},
    }
    pictures, controls = build_site.widget_still(state, "box")
    assert pictures == [picture]
    assert controls == ["layer = conv2", "channel = 7"]

    nb = _widget_notebook(state, "box")
    assert build_site.replace_widgets_with_stills(nb) == 1
    assert "widgets" not in nb.metadata  # its renderer would be fetched from a CDN
    outputs = nb.cells[0].outputs
    assert "Run the notebook" in outputs[0].data["text/html"] and "layer = conv2" in outputs[0].data["text/html"]
    assert base64.b64decode(outputs[1].data["image/png"]) == picture
    assert nb.cells[1].outputs[0].text == "kept\n"  # other outputs untouched


def test_an_explorer_drawn_into_an_output_widget_shows_that_figure():
    picture = _png(colour=(0, 90, 200))
    state = {"out": {"model_name": "OutputModel", "state": {"outputs": [
        {"output_type": "display_data", "data": {"image/png": base64.b64encode(picture).decode()}}]}}}
    assert build_site.widget_still(state, "out") == ([picture], [])


def test_an_explorer_without_saved_state_gets_a_note_and_no_picture():
    nb = _widget_notebook({}, "missing")
    build_site.replace_widgets_with_stills(nb)
    assert [list(o.data) for o in nb.cells[0].outputs] == [["text/html"]]
    assert "live explorer appears here when the notebook runs" in nb.cells[0].outputs[0].data["text/html"]


def test_a_finished_progress_bar_becomes_the_line_it_ended_on():
    state = {"bar": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"]}},
             "a": {"model_name": "HTMLModel", "state": {"value": "filters:\u2007100%"}},
             "b": {"model_name": "FloatProgressModel", "state": {"value": 8.0, "max": 8.0}},
             "c": {"model_name": "HTMLModel", "state": {"value": "\u20078/8\u2007[00:07&lt;00:00,\u20071.60it/s]"}}}
    assert build_site.progress_text(state, "bar") == "filters: 100% |##########| 8/8 [00:07<00:00, 1.60it/s]"
    nb = _widget_notebook(state, "bar")
    build_site.replace_widgets_with_stills(nb)
    assert nb.cells[0].outputs[0].output_type == "stream" and "8/8" in nb.cells[0].outputs[0].text


def _cells(*specs):
    cells = []
    for kind, source, picture in specs:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        if picture:
            cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def test_slides_are_cut_at_headings_and_one_picture_per_slide():
    nb = _cells(("code", "import google.colab", False), ("md", "# Title\ntext", False), ("code", "x = 1", False),
                ("md", "## Part 1", False), ("code", "plot()", True), ("md", "What the plot shows", False),
                ("code", "plot()", True), ("code", "plot()", True), ("md", "### Detail", False),
                ("md", "## Part 2", False), ("md", "more prose", False), ("code", "y = 2", False),
                ("md", "the next idea", False))
    assert build_site.mark_slides(nb) == "headings"
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert kinds == ["skip", "slide", "-", "slide", "-", "subslide", "-", "subslide", "subslide", "slide",
                     "-", "-", "subslide"]


def test_the_authors_slide_metadata_is_kept():
    nb = _cells(("md", "# Title", False), ("md", "## Part", False))
    nb.cells[1].metadata["slideshow"] = {"slide_type": "fragment"}
    assert build_site.mark_slides(nb) == "metadata"
    assert "slideshow" not in nb.cells[0].metadata and nb.cells[1].metadata["slideshow"]["slide_type"] == "fragment"


def test_timings_come_from_nbclients_timestamps():
    nb = _cells(("md", "# T\n## 1 · Setup", False), ("code", "a", False), ("md", "## 2 · *Slow* part", False),
                ("code", "b", False))
    stamps = [("2026-12-02T10:00:00.000000Z", "2026-12-02T10:00:02.500000Z"),
              ("2026-12-02T10:00:02.600000Z", "2026-12-02T10:00:12.600000Z")]
    for cell, (start, end) in zip([nb.cells[1], nb.cells[3]], stamps):
        cell.metadata["execution"] = {"iopub.execute_input": start, "shell.execute_reply": end}
    record = build_site.run_record(nb)
    assert record["seconds"] == pytest.approx(12.6)
    assert record["slowest"][0] == (pytest.approx(10.0), 3, "2 · Slow part")
    assert record["started"].isoformat().startswith("2026-12-02T10:00:00")


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob(build_site.TUTORIALS)), ids=lambda p: p.stem)
def test_every_cell_of_a_tutorial_notebook_is_marked_for_the_slides(path):
    """The decks are cut where the notebook's author marked them (``slideshow`` metadata, as RISE and
    JupyterLab's property inspector write it), the Colab set-up cell left out."""
    nb = nbformat.read(path, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    allowed = {"slide", "subslide", "fragment", "-", "skip", "notes"}
    assert all(k in allowed for k in kinds), [(i, k) for i, k in enumerate(kinds) if k not in allowed]
    first = next(i for i, c in enumerate(nb.cells) if not build_site.is_colab_cell(c))
    assert kinds[first] == "slide"
    assert all(k == "skip" for c, k in zip(nb.cells, kinds) if build_site.is_colab_cell(c))


def test_each_slide_of_the_real_course_holds_at_most_one_picture():
    executed = build_site.executed_notebooks(EXECUTED) if EXECUTED.is_dir() else []
    if not executed:
        pytest.skip("no executed notebooks in build/executed/ (make notebooks)")
    crowded = []
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        build_site.replace_widgets_with_stills(nb)   # as the decks are written
        build_site.mark_slides(nb)
        pictures, start = 0, 0
        for i, cell in enumerate(nb.cells + [nbformat.v4.new_markdown_cell("")]):
            kind = cell.metadata.get("slideshow", {}).get("slide_type", "slide")
            if kind in ("slide", "subslide"):
                if pictures > 1:
                    crowded.append(f"{path.stem}: cells {start}-{i - 1} hold {pictures} pictures")
                pictures, start = 0, i
            if kind != "skip":
                pictures += build_site._has_picture(cell)
    assert crowded == []


def test_slides_link_the_pictures_the_site_already_holds(tmp_path):
    import hashlib

    picture = _png()
    name = hashlib.sha256(picture).hexdigest() + ".png"
    (tmp_path / name).write_bytes(picture)
    nb = _cells(("code", "plot()", False), ("code", "other()", False))
    for cell, png in zip(nb.cells, (picture, _png(5))):
        cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode()})]
    assert build_site.link_site_pictures(nb, tmp_path, "../_images/") == 1
    assert nb.cells[0].outputs[0].data["text/html"].startswith(f'<img src="../_images/{name}"')
    assert "image/png" in nb.cells[1].outputs[0].data  # not in the site: stays inlined


def test_only_current_notebooks_are_published_and_stale_copies_are_named(tmp_path):
    import os

    sources, executed = tmp_path / "notebooks", tmp_path / "executed"
    sources.mkdir(), executed.mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb", "03_c.ipynb"):
        (sources / name).write_text("{}")
    for name in ("01_a.ipynb", "02_b.ipynb", "09_renamed.ipynb"):
        (executed / name).write_text("{}")
    os.utime(executed / "02_b.ipynb", (1, 1))  # executed long before its notebook was edited
    kept, notes = build_site.match_sources(build_site.executed_notebooks(executed), sources)
    assert [p.name for p in kept] == ["01_a.ipynb", "02_b.ipynb"]
    assert any(n.startswith("02_b.ipynb: executed before") for n in notes)
    assert any(n.startswith("09_renamed.ipynb: no such notebook") for n in notes)
    assert any(n.startswith("03_c.ipynb: not executed yet") for n in notes)


# --------------------------------------------------------------------------- the teachers' key recipe
def _recipe() -> str:
    text = (ROOT / "docs" / "teaching" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    recipes = [b for b in blocks if "answers_01" in b and "SimpleNamespace" in b]
    assert len(recipes) == 1, "docs/teaching/README.md prints one key recipe as a ```python block"
    return recipes[0]


def test_the_key_recipe_runs_exactly_as_printed(monkeypatch):
    """In notebook 1's folder, with the notebook's variables defined, the printed lines (from a fresh
    namespace: nothing imported beforehand) show exercise 4's answer."""
    import numpy as np

    monkeypatch.chdir(NOTEBOOKS)  # the recipe's relative path is from the notebook's folder
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "answers_01", raising=False)
    stem = np.zeros((4, 4, 5), dtype="float32")
    stem[..., 0], stem[0, 0, 2], stem[..., 3] = 1.0, 0.5, 0.2  # channel 2 is live and the weakest; 1, 4 dead
    namespace = {"everything": {"stem_activation": stem}, "__name__": "__main__"}
    tree = ast.parse(_recipe())
    *body, last = tree.body
    assert isinstance(last, ast.Expr), "the recipe ends with the expression a notebook displays"
    exec(compile(ast.Module(body=body, type_ignores=[]), "recipe", "exec"), namespace)
    shown = eval(compile(ast.Expression(last.value), "recipe", "eval"), namespace)
    assert shown == 2


# --------------------------------------------------------------------------- a small course, end to end
MINI = {
    "01_first_steps": [
        ("code", "try:\n    import google.colab  # only on Colab\nexcept ImportError:\n    pass"),
        ("md", "# 1 · First steps\n\nA formula inline, $a_f(x)$, and on its own line:\n\n"
               "$$x \\leftarrow x + \\eta \\, \\frac{\\nabla_x a_f(x)}{\\lVert \\nabla_x a_f(x) \\rVert_2}$$"),
        ("code", "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0]); plt.show()"),
        ("md", "## 2 · An explorer"),
        ("code", "import io, ipywidgets as w\nfrom PIL import Image\nb = io.BytesIO(); "
                 "Image.new('RGB', (60, 40), (250, 120, 0)).save(b, 'PNG')\n"
                 "w.VBox([w.Dropdown(options=['a', 'b'], value='b', description='layer'), "
                 "w.Image(value=b.getvalue(), format='png')])"),
    ],
    "02_second_steps": [
        ("md", "# 2 · Second steps\n\nNo formula here, a progress bar and a picture."),
        ("code", "from tqdm.auto import tqdm\nfor i in tqdm(range(3), desc='steps'):\n    pass\nprint('done')"),
        ("code", "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.imshow([[0, 1], [1, 0]]); plt.show()"),
    ],
}


@pytest.fixture(scope="module")
def mini_executed(tmp_path_factory):
    """Two small notebooks, executed with the kernel and arguments ``make notebooks`` uses."""
    from run_notebooks import run_client

    folder = tmp_path_factory.mktemp("executed")
    for stem, cells in MINI.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) if k == "md"
                                             else nbformat.v4.new_code_cell(s) for k, s in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        run_client(nb, folder, timeout=300)
        nbformat.write(nb, folder / f"{stem}.ipynb")
    solution = nbformat.read(folder / "02_second_steps.ipynb", as_version=4)  # as the main job leaves one
    solution.cells[0].source = solution.cells[0].source.replace("# 2 · ", "# Solutions · 2 · ")
    (folder / "solutions").mkdir()
    nbformat.write(solution, folder / "solutions" / "02_second_steps.ipynb")
    return folder


@pytest.fixture(scope="module")
def mini_sites(mini_executed, tmp_path_factory):
    out = tmp_path_factory.mktemp("sites")
    teachers = build_site.build(mini_executed, out / "site", "teachers", redirect=out)
    students = build_site.build(mini_executed, out / "site-students", "students")
    return out, teachers, students


def test_the_small_course_builds_without_a_warning(mini_sites):
    out, teachers, students = mini_sites
    assert teachers["warnings"] == [] and students["warnings"] == []
    assert teachers["notebooks"] == ["01_first_steps", "02_second_steps"]
    site = out / "site"
    for stem in teachers["notebooks"]:
        assert (site / "notebooks" / f"{stem}.html").exists() and (site / "slides" / f"{stem}.slides.html").exists()
    assert (site / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert (site / "slides" / "reveal.js" / "dist" / "reveal.js").exists()
    for page in ("teachers/index.html", "teachers/guide.html", "teachers/reference.html",
                 "teachers/answers/answers_01.html", "teachers/solutions/02_second_steps.html",
                 "worksheets/index.html", "slides.html", "search.html"):
        assert (site / page).exists(), page


def _broken_links(site: Path) -> list[str]:
    """Every relative href/src of the site's pages whose file is not in the build (the theme's own
    template fragments under _static/ are not pages)."""
    broken = []
    for page in site.rglob("*.html"):
        if "_static" in page.relative_to(site).parts or "reveal.js" in page.relative_to(site).parts:
            continue
        for link in re.findall(r'(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8")):
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:|#|$)", link):  # a scheme (http:, data:, ...) or an anchor
                continue
            target = (page.parent / link.split("#")[0].split("?")[0]).resolve()
            if not target.exists() or target.is_dir():
                broken.append(f"{page.relative_to(site)} -> {link}")
    return broken


def test_every_link_of_the_small_course_leads_to_a_file_of_the_build(mini_sites):
    out, _, _ = mini_sites
    assert _broken_links(out / "site") == [] and _broken_links(out / "site-students") == []


def test_the_students_build_leaves_the_answers_out(mini_sites):
    out, _, _ = mini_sites
    site = out / "site-students"
    assert not (site / "teachers").exists() and not list(site.rglob("*solutions*"))
    assert (site / "notebooks" / "01_first_steps.html").exists() and (site / "worksheets" / "index.html").exists()
    index = (site / "searchindex.js").read_text(encoding="utf-8")
    assert "answer key" not in index.lower() and "exit quiz" not in index.lower()
    assert not re.search(r"href=\"[^\"]*teachers/", (site / "index.html").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the browser
def _open_all(site: Path, pages: list[str], check):
    """Open each page in headless Chromium; every request outside ``site`` is recorded and aborted.
    ``check(page, rel)`` runs on each loaded page. Returns (outside requests, console errors)."""
    from kit.browser import persistent_context, require_chromium

    playwright = require_chromium()
    root = site.resolve().as_uri() + "/"
    outside, errors = [], []

    def route(r):
        if r.request.url.startswith(root):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    with persistent_context(playwright, width=1280, height=900) as ctx:
        ctx.route("**/*", route)
        for rel in pages:
            page = ctx.new_page()
            page.on("console", lambda m, rel=rel: m.type == "error" and errors.append((rel, m.text)))
            page.on("pageerror", lambda e, rel=rel: errors.append((rel, str(e))))
            page.on("requestfailed", lambda r, rel=rel: errors.append((rel, f"failed: {r.url}")))
            page.goto(root + rel, wait_until="load")
            try:
                check(page, rel)
            except Exception as err:  # say which page
                raise AssertionError(f"{rel}: {err}") from err
            page.close()
    return outside, errors


# Visit every slide of a deck (no transition); for each: is it taller than the view, and if so, does
# it scroll far enough to show its last line?
SLIDE_HEIGHTS = """() => {
  Reveal.configure({transition: "none"});
  const limit = Reveal.getConfig().height;   // slide units; reveal.js scales the slide area to the window
  return Reveal.getSlides().map(slide => {
    const {h, v} = Reveal.getIndices(slide);
    Reveal.slide(h, v);
    const taller = slide.scrollHeight > limit * 1.02;
    const fits = slide.getBoundingClientRect().bottom <= window.innerHeight + 2;   // the box, in the window
    slide.scrollTop = slide.scrollHeight;
    const scrolls = slide.scrollTop > 0 && slide.scrollTop + slide.clientHeight >= slide.scrollHeight - 2;
    slide.scrollTop = 0;
    return [taller, taller ? scrolls && fits : true];
  });
}"""


def _typeset(page, timeout=30_000):
    """Wait for MathJax to finish (its startup promise), then count its output elements."""
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=timeout)
    page.evaluate("() => MathJax.startup.promise")
    return page.eval_on_selector_all("mjx-container", "e => e.length")


def _visible_text(page) -> str:
    return page.evaluate("() => document.body.innerText")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_recorder_catches_what_leaves_the_folder(tmp_path):
    """The check below is only as good as its recorder: a page that asks for a file beside the site's
    folder and for a web address gets both recorded (and neither loaded)."""
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "beside.png").write_bytes(_png())
    (site / "inside.png").write_bytes(_png())
    (site / "index.html").write_text('<img src="../beside.png"><img src="inside.png">'
                                     '<script src="https://example.invalid/x.js"></script>', encoding="utf-8")
    loaded = {}
    sizes = "e => Object.fromEntries(e.map(i => [i.getAttribute('src'), i.naturalWidth]))"
    outside, _ = _open_all(site, ["index.html"],
                           lambda page, rel: loaded.update(page.eval_on_selector_all("img", sizes)))
    assert sorted(outside) == [(tmp_path / "beside.png").as_uri(), "https://example.invalid/x.js"]
    assert loaded == {"../beside.png": 0, "inside.png": 4}


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_small_course_works_offline_in_chromium(mini_sites):
    out, teachers, _ = mini_sites
    site = out / "site"
    seen = {}

    def check(page, rel):
        if "01_first_steps" in rel:  # the notebook with formulas
            seen[rel + " math"] = _typeset(page)
            seen[rel + " raw"] = "$$" in _visible_text(page)
        seen[rel + " img"] = page.eval_on_selector_all(
            "img", "e => e.filter(i => i.complete && i.naturalWidth > 0).length")
        if rel.endswith(".slides.html"):
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
            seen[rel + " slides"] = page.evaluate("() => Reveal.getTotalSlides()")
        if rel == "notebooks/01_first_steps.html":
            seen["note"] = page.locator(".explorer-still-note").inner_text()
        if rel == "notebooks/02_second_steps.html":
            seen["bar"] = "steps: 100%" in _visible_text(page)

    pages = ["notebooks/01_first_steps.html", "notebooks/02_second_steps.html",
             "slides/01_first_steps.slides.html", "slides/02_second_steps.slides.html"]
    outside, errors = _open_all(site, pages, check)
    assert outside == [] and errors == []
    assert seen["notebooks/01_first_steps.html math"] >= 2 and not seen["notebooks/01_first_steps.html raw"]
    assert seen["slides/01_first_steps.slides.html math"] >= 2 and not seen["slides/01_first_steps.slides.html raw"]
    assert seen["notebooks/01_first_steps.html img"] >= 2  # the plot and the explorer's still picture
    assert seen["notebooks/02_second_steps.html img"] >= 1 and seen["bar"]
    assert "Run the notebook" in seen["note"] and "layer = b" in seen["note"]
    assert seen["slides/01_first_steps.slides.html slides"] >= 2
    assert seen["slides/01_first_steps.slides.html img"] >= 2

    # build/index.html's redirect (here: the folder above the site) opens the site's home page
    outside, errors = _open_all(out, ["index.html"], lambda page, rel: (
        page.wait_for_url("**/site/index.html", timeout=10_000), seen.update(title=page.title())))
    assert outside == [] and errors == [] and "convnet-vis" in seen["title"]


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_search_finds_a_notebook_offline(mini_sites):
    out, _, _ = mini_sites
    found = {}

    def check(page, rel):
        page.wait_for_selector("#search-results li", timeout=30_000)
        found["links"] = page.eval_on_selector_all("#search-results li a", "e => e.map(a => a.getAttribute('href'))")

    outside, errors = _open_all(out / "site", ["search.html?q=explorer"], check)
    assert outside == [] and errors == []
    assert any("01_first_steps" in link for link in found["links"])


# --------------------------------------------------------------------------- the real course
def _executed_course() -> Path:
    stems = {p.stem for p in NOTEBOOKS.glob(build_site.TUTORIALS)}
    have = {p.stem for p in build_site.executed_notebooks(EXECUTED)}
    if not stems or not stems <= have:
        pytest.skip(f"build/executed/ lacks executed notebooks ({sorted(stems - have)}): run `make notebooks`")
    return EXECUTED


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    executed = _executed_course()
    out = tmp_path_factory.mktemp("real") / "site"
    result = build_site.build(executed, out, "teachers")
    return out, result


def test_every_lesson_has_a_worksheet_and_an_exit_quiz_of_five():
    lessons = ROOT / "docs" / "site" / "teaching"
    for notebook in sorted(NOTEBOOKS.glob(build_site.TUTORIALS)):
        number = notebook.name[:2]
        sheet, quiz = lessons / f"worksheet_{number}.md", lessons / f"quiz_{number}.md"
        assert sheet.exists() and quiz.exists(), f"{notebook.name}: write {sheet.name} and {quiz.name}"
        assert sheet.read_text(encoding="utf-8").count('class="predict-box"') >= 4
        questions, _, answers = quiz.read_text(encoding="utf-8").partition("\n## Answers\n")
        assert len(re.findall(r"^\d\. ", questions, flags=re.M)) == 5
        assert len(re.findall(r"^\d\. ", answers, flags=re.M)) == 5


def test_every_link_of_the_real_course_leads_to_a_file_of_the_build(real_site):
    site, result = real_site
    assert _broken_links(site) == []


@pytest.mark.browser
@pytest.mark.timeout(420)
def test_the_real_course_works_offline_in_chromium(real_site):
    site, result = real_site
    assert result["warnings"] == [], result["warnings"]
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                   if not {"reveal.js", "_static"} & set(p.relative_to(site).parts))  # pages, not the tools' files
    decks = [f"slides/{stem}.slides.html" for stem in result["notebooks"]]
    assert set(decks) <= set(pages) and {f"notebooks/{s}.html" for s in result["notebooks"]} <= set(pages)
    staged = site.parent / "site_src" / "notebooks"
    markdown = {stem: "\n".join(c.source for c in nbformat.read(staged / f"{stem}.ipynb", 4).cells
                                 if c.cell_type == "markdown") for stem in result["notebooks"]}
    problems = []

    def check(page, rel):
        stem = Path(rel).name.split(".")[0] if rel.split("/")[0] in ("notebooks", "slides") else None
        if stem in markdown and re.search(r"\$[^$\n]+\$", markdown[stem]):  # a notebook with formulas
            if _typeset(page) == 0 or "$$" in _visible_text(page):
                problems.append(f"{rel}: formulas not typeset")
        if stem in markdown:
            shown = page.eval_on_selector_all("img", "e => e.filter(i => i.complete && i.naturalWidth > 0).length")
            if shown == 0:
                problems.append(f"{rel}: no picture shown")
        if rel.endswith(".slides.html"):
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
            tall[rel] = page.evaluate(SLIDE_HEIGHTS)
        if stem == result["notebooks"][min(2, len(result["notebooks"]) - 1)]:  # what a page and a slide look like
            SHOTS.mkdir(parents=True, exist_ok=True)
            if rel.endswith(".slides.html"):
                page.evaluate("() => Reveal.slide(2)")
                page.wait_for_timeout(1000)
            page.screenshot(path=str(SHOTS / (Path(rel).name.replace(".html", "") + ".png")))

    tall = {}
    outside, errors = _open_all(site, pages, check)
    assert outside == [], outside
    assert errors == [], errors
    assert problems == []
    # every slide taller than the view scrolls to its last line; the course has such slides
    stuck = [(rel, i) for rel, slides in tall.items() for i, (taller, scrolls) in enumerate(slides)
             if taller and not scrolls]
    assert stuck == [], stuck
    assert sum(taller for slides in tall.values() for taller, _ in slides) >= 1
