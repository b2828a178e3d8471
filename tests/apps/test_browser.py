"""The explorers proven in a real browser: the classroom server (make classroom) serves each
explorer's page on 127.0.0.1, headless Debian Chromium (driven by Playwright, no browser
download) changes a dropdown and moves a slider, and the rendered picture must change each time
with no console error. (tests/apps/test_classroom.py drives five students at once.)

Screenshots are saved under build/browser/. Needs /usr/bin/chromium (``.ci/run`` installs it);
outside CI the test is skipped when Chromium is missing.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from kit import free_port
from kit.browser import persistent_context, real_errors, require_chromium

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "browser"

# app -> (label of the dropdown to change, label of the slider to move)
APPS = {
    "gradcam": ("class", "alpha"),
    "activations": ("layer", "channel"),
    "filters": ("layer", "filter"),
}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

playwright = require_chromium(allow_module_level=True)


@pytest.fixture(scope="module")
def classroom_url():
    from helpers.apps.server import start

    port = free_port()
    proc = start(port)
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser_context():
    with persistent_context(playwright, width=1280, height=1200) as ctx:
        yield ctx


def _picture_state(page) -> list[str]:
    """What the learner sees: the src of every rendered picture (blob/data URLs change on redraw)."""
    return page.eval_on_selector_all("img.widget-image", "els => els.map(e => e.src)")


def _wait_for_change(page, before, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        page.wait_for_timeout(250)
        now = _picture_state(page)
        if now and now != before:
            return now
    raise AssertionError(f"the picture did not change within {timeout} s after {what}")


@pytest.mark.parametrize("app", list(APPS))
def test_explorer_redraws_in_a_real_browser(app, browser_context, classroom_url):
    dropdown_label, slider_label = APPS[app]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_context.new_page()
    messages = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
    page.on("requestfailed", lambda r: messages.append(("error", f"request failed: {r.url}")))
    try:
        t0 = time.time()
        page.goto(classroom_url + app, timeout=180_000)
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
        assert not real_errors(messages), real_errors(messages)
    finally:
        page.close()
