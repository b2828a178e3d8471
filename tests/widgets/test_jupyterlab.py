"""The learner's main path in a real browser: JupyterLab serves each tutorial notebook on 127.0.0.1
with a token, headless Debian Chromium (driven by Playwright, no browser download) runs all cells,
moves one slider of each of the notebook's explorers listed below, and that explorer's picture must
change, with no cell error and no console error.

The notebooks run from a temporary copy (JupyterLab would otherwise save outputs into the committed
.ipynb); JupyterLab's news / update checks are switched off (offline) and cells are not windowed
(every output stays in the page). Screenshots: build/jupyterlab/. Marker ``browser``.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from kit import free_port
from kit.browser import persistent_context, real_errors, require_chromium

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "jupyterlab"
# notebook -> the label of the slider to move in each explorer checked (the first slider with that label)
NOTEBOOKS = {
    "01_intermediate_activations": ("channel",),
    "02_filter_visualization": ("filter",),
    "03_gradcam_heatmaps": ("alpha",),
    "04_debug_a_model": ("alpha",),     # the first explorer with an alpha slider: Grad-CAM on the trained model
    "05_is_the_explanation_right": ("left", "row"),   # the occluder's square; the where -> what cell
}
SETTINGS = {  # JupyterLab user settings: offline, no autosave, every cell rendered
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]
playwright = require_chromium(allow_module_level=True)


class JupyterLab:
    """One JupyterLab server on a temporary copy of the notebooks, localhost only, with a random token."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="convnet-vis-lab-"))
        for name in NOTEBOOKS:
            shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", self.dir)
        settings = self.dir / ".settings"
        for path, values in SETTINGS.items():
            (settings / path).parent.mkdir(parents=True, exist_ok=True)
            (settings / path).write_text(json.dumps(values))
        self.port, self.token = free_port(), secrets.token_hex(16)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "JUPYTERLAB_SETTINGS_DIR": str(settings),
               "PYTHONPATH": str(ROOT)}
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        lab = Path(sys.executable).with_name("jupyter-lab")
        self.proc = subprocess.Popen(
            [str(lab), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.dir}", "--ServerApp.allow_root=True", "--LabApp.news_url=",
             "--LabApp.extension_manager=readonly"],
            cwd=self.dir, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{Path(self.log.name).read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status?token={self.token}", timeout=2)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("jupyter lab did not start within 120 s")

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}.ipynb?token={self.token}&reset"

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def lab():
    server = JupyterLab()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser_context():
    with persistent_context(playwright, width=1400, height=1000) as ctx:
        yield ctx


def _explorer_pictures(page, slider_label) -> list[str]:
    """The src of every picture in the output that holds the explorer's slider."""
    return page.evaluate("""label => {
        const sliders = [...document.querySelectorAll('.jp-OutputArea .widget-slider')]
            .filter(s => s.innerText.includes(label));
        if (!sliders.length) return [];
        const area = sliders[0].closest('.jp-OutputArea');
        return [...area.querySelectorAll('img')].map(e => e.src);
    }""", slider_label)


def _move_key(handle) -> str:
    """The arrow key that moves a slider's handle away from the end it sits at (right, unless at its max)."""
    now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
    try:
        return "ArrowLeft" if float(now) >= float(top) else "ArrowRight"
    except (TypeError, ValueError):  # no ARIA values on this handle: move right
        return "ArrowRight"


def _started(page) -> bool:
    prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputArea-prompt", "els => els.map(e => e.innerText)")
    return any(re.fullmatch(r"\[(\d+|\*)\]:", p.strip()) for p in prompts)


def _all_ran(page) -> bool:
    """Every code cell shows an execution count ([3]:), none is queued or running ([*]:)."""
    prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputArea-prompt", "els => els.map(e => e.innerText)")
    return bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts)


def _wait(condition, what, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s")


@pytest.mark.parametrize("notebook", list(NOTEBOOKS))
def test_notebook_runs_in_jupyterlab_and_its_explorer_redraws(notebook, lab, browser_context):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_context.new_page()
    messages = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
    try:
        t0 = time.time()
        page.goto(lab.url(notebook), timeout=180_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=180_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=180_000)
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=180_000)   # kernel ready
        for attempt in range(3):  # the menu command is ignored if it comes before the notebook is active
            page.locator(".jp-Notebook .jp-Cell").first.click()             # focus the notebook
            page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()    # Run > Run All Cells
            page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()
            try:
                _wait(lambda: _started(page), "no cell started", timeout=60)
                break
            except AssertionError:
                page.keyboard.press("Escape")
        else:
            raise AssertionError("Run > Run All Cells did not start the notebook")
        _wait(lambda: _all_ran(page), "the cells did not all run", timeout=900)
        run_s = time.time() - t0
        errors = page.eval_on_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                                           " pre, .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']",
                                           "els => els.map(e => e.innerText)")
        assert not [e for e in errors if "Traceback" in e or "Error" in e], errors
        for k, slider_label in enumerate(NOTEBOOKS[notebook]):
            handle = page.locator(f".jp-OutputArea .widget-slider:has-text('{slider_label}') .noUi-handle").first
            handle.scroll_into_view_if_needed(timeout=60_000)
            before = _wait(lambda: _explorer_pictures(page, slider_label), "the explorer showed no picture", 120)
            if k == 0:
                page.screenshot(path=str(SHOTS / f"{notebook}_1_ran.png"))
            handle.focus()
            key = _move_key(handle)
            for _ in range(3):
                handle.press(key)
            _wait(lambda: (now := _explorer_pictures(page, slider_label)) and now != before,
                  f"the picture did not change after moving the {slider_label!r} slider", 120)
            page.screenshot(path=str(SHOTS / f"{notebook}_{k + 2}_{slider_label}.png"))
        print(f"{notebook}: all cells ran in {run_s:.0f} s, total {time.time() - t0:.0f} s")
        assert not real_errors(messages), real_errors(messages)
    except Exception:
        page.screenshot(path=str(SHOTS / f"{notebook}_failed.png"))
        raise
    finally:
        page.close()
