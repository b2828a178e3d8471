"""The explorers proven in a real browser: Voila serves each classroom app on 127.0.0.1 with a
token, headless Debian Chromium (driven by Playwright, no browser download) changes a dropdown
and moves a slider, and the rendered picture must change each time with no console error.

Screenshots are saved under build/browser/. Needs /usr/bin/chromium (``.ci/run`` installs it);
outside CI the test is skipped when Chromium is missing.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]

# app -> (label of the dropdown to change, label of the slider to move)
APPS = {
    "gradcam": ("class", "alpha"),
    "activations": ("layer", "channel"),
    "filters": ("layer", "filter"),
}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser test: install Debian's chromium (see .ci/run)")
    pytest.skip("Debian chromium is not installed (apt-get install chromium)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VoilaApp:
    """One Voila server for one app notebook, localhost only, with a random token."""

    def __init__(self, app: str):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/?token={self.token}"
        env = {**os.environ, "JUPYTER_PATH": str(ROOT / "share" / "jupyter"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        voila = Path(sys.executable).with_name("voila")
        self.proc = subprocess.Popen(
            [str(voila), f"notebooks/apps/{app}_app.ipynb", "--no-browser", "--template=convnet",
             "--Voila.ip=127.0.0.1", f"--port={self.port}", "--Voila.port_retries=0", f"--token={self.token}"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited early:\n{Path(self.log.name).read_text()[-3000:]}")
            try:  # any HTTP answer (even 403 for this file path) means the server is up
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/voila/static/", timeout=2)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("voila did not start within 120 s")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def browser_context():
    with playwright.sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 1200})
        yield ctx
        ctx.close()


def _picture_state(page) -> list[str]:
    """What the learner sees: the src of every rendered picture (blob/data URLs change on redraw)."""
    return page.eval_on_selector_all("#rendered_cells img, .jp-OutputArea img",
                                     "els => els.map(e => e.src)")


def _wait_for_change(page, before, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        page.wait_for_timeout(250)
        now = _picture_state(page)
        if now and now != before:
            return now
    raise AssertionError(f"the picture did not change within {timeout} s after {what}")


def _real_errors(messages):
    return [m for m in messages if m[0] in ("error", "pageerror")]


@pytest.mark.parametrize("app", list(APPS))
def test_explorer_redraws_in_a_real_browser(app, browser_context):
    dropdown_label, slider_label = APPS[app]
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = VoilaApp(app)
    page = browser_context.new_page()
    messages = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
    page.on("requestfailed", lambda r: messages.append(("error", f"request failed: {r.url}")))
    try:
        t0 = time.time()
        page.goto(server.url, timeout=180_000)
        page.wait_for_selector(f".widget-slider:has-text('{slider_label}') .noUi-handle", timeout=180_000)
        first = _wait_for_change(page, [], "the app started", timeout=180)
        load_s = time.time() - t0
        page.screenshot(path=str(SHOTS / f"{app}_1_start.png"), full_page=True)
        assert "import helpers" not in page.inner_text("body"), "the app must not show code"

        select = page.locator(f".widget-dropdown:has(label:text-is('{dropdown_label}')) select").first
        options = select.locator("option").all_inner_texts()
        assert len(options) > 1, f"the {dropdown_label!r} dropdown offers {options}"
        current = select.input_value()
        values = select.evaluate("s => Array.from(s.options).map(o => o.value)")
        select.select_option(next(v for v in values if v != current))
        second = _wait_for_change(page, first, f"changing {dropdown_label!r}")
        page.screenshot(path=str(SHOTS / f"{app}_2_{dropdown_label}.png"), full_page=True)

        handle = page.locator(f".widget-slider:has-text('{slider_label}') .noUi-handle").first
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        _wait_for_change(page, second, f"moving the {slider_label!r} slider")
        page.screenshot(path=str(SHOTS / f"{app}_3_{slider_label}.png"), full_page=True)
        print(f"{app}: loaded in {load_s:.1f} s, total {time.time() - t0:.1f} s")
        assert not _real_errors(messages), _real_errors(messages)
    finally:
        page.close()
        server.close()
