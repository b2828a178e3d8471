"""The one headless browser every browser test drives: Debian's Chromium through Playwright (no
browser download). Outside CI a missing Chromium skips the test; in CI it is an error, since
``.ci/run`` installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

__all__ = ["CHROMIUM", "FLAGS", "persistent_context", "real_errors", "require_chromium"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# no background traffic: every request a page makes is one the page asked for
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def require_chromium(api: str = "playwright.sync_api", *, allow_module_level: bool = False):
    """Skip (or, in CI, fail) when Debian's Chromium or Playwright is missing; return the API."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the browser tests: install Debian's chromium (see .ci/run)")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)",
                    allow_module_level=allow_module_level)
    return pytest.importorskip(api)


@contextlib.contextmanager
def persistent_context(playwright, *, width: int = 1280, height: int = 1200):
    """A Chromium context with a throw-away profile, closed on exit."""
    with playwright.sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": width, "height": height})
        try:
            yield ctx
        finally:
            ctx.close()


def real_errors(messages):
    """The console messages that are errors (page errors and failed requests included)."""
    return [m for m in messages if m[0] in ("error", "pageerror")]
