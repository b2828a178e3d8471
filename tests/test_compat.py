"""helpers._compat: each reliance on another library's internals, checked so that a change there
fails here, loudly, instead of silently undoing the workaround.

Checks that need Solara's server run in a fresh Python: importing ``solara.server`` patches
ipywidgets for the whole process (an ``Output`` widget then needs Solara's display publisher), and
the other tests use ipywidgets without Solara.
"""
from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import _compat

ROOT = Path(__file__).resolve().parents[1]
FAKE_CONTEXT = """
import types
def fake_context():
    return types.SimpleNamespace(kernel=types.SimpleNamespace(shell=types.SimpleNamespace(display_pub=None)))
"""


def _fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter (with this checkout on the path); its stdout."""
    pytest.importorskip("solara")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, "-c", FAKE_CONTEXT + textwrap.dedent(code)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_no_events_accepts_what_ipython_event_managers_get():
    events = _compat.NO_EVENTS
    assert events.trigger("pre_execute") is None
    assert events.register("post_execute", print) is None and events.unregister("post_execute", print) is None
    assert events.callbacks_for_anything("x") is None  # any other EventManager method: a no-op too
    with pytest.raises(AttributeError):
        events.__wrapped__  # dunder lookups (copy, pickle, inspect) are not swallowed


def test_solara_still_builds_fake_ipython_events_with_its_mock_module():
    """What quiet_solara_events relies on: solara.server.patch's only use of its ``mock`` name is
    FakeIPython.__init__'s ``self.events = mock.MagicMock()``, and comm still triggers events
    on the shell for every widget message. If either changes, revisit helpers._compat."""
    import comm.base_comm

    handle = inspect.getsource(comm.base_comm.BaseComm.handle_msg)
    assert 'shell.events.trigger("pre_execute")' in handle and 'shell.events.trigger("post_execute")' in handle
    out = _fresh_python("""
        import inspect
        from helpers import _compat
        patch = _compat.solara_patch_module()
        source = inspect.getsource(patch)
        uses = [l.strip() for l in source.splitlines() if "mock." in l and not l.strip().startswith("#")]
        assert uses == ["self.events = mock.MagicMock()"], uses
        assert "self.events = mock.MagicMock()" in inspect.getsource(patch.FakeIPython.__init__)
        print("relied-on code unchanged")
    """)
    assert "relied-on code unchanged" in out


def test_quiet_solara_events_gives_fake_ipython_the_shared_no_op():
    out = _fresh_python("""
        from unittest import mock
        from helpers import _compat
        patch = _compat.solara_patch_module()
        assert isinstance(patch.FakeIPython(fake_context()).events, mock.MagicMock)  # Solara's own
        assert _compat.quiet_solara_events() is True
        assert _compat.quiet_solara_events() is True  # idempotent
        shells = [patch.FakeIPython(fake_context()) for _ in range(3)]
        assert all(s.events is _compat.NO_EVENTS for s in shells)
        assert shells[0].events.trigger("pre_execute") is None
        print("shared no-op events")
    """)
    assert "shared no-op events" in out


def test_ipython_still_takes_script_magics_from_default_script_magics():
    """What no_script_magics relies on: ScriptMagics' default list comes from the module-level name
    default_script_magics, and Solara's shell builds ScriptMagics for every student tab."""
    from IPython.core.magics import script

    assert "default_script_magics()" in inspect.getsource(script.ScriptMagics._script_magics_default.func)
    out = _fresh_python("""
        import inspect
        from helpers import _compat
        _compat.solara_patch_module()
        from solara.server.shell import SolaraInteractiveShell
        assert 'registry["ScriptMagics"]' in inspect.getsource(SolaraInteractiveShell.__init__)
        print("solara builds ScriptMagics")
    """)
    assert "solara builds ScriptMagics" in out


def test_no_script_magics_leaves_shells_without_bash_magics():
    from IPython.core.magics import script

    original = script.default_script_magics
    try:
        assert "bash" in original() or "sh" in original()  # what IPython would generate here
        assert _compat.no_script_magics() is True and _compat.no_script_magics() is True
        magics = script.ScriptMagics(shell=None)
        assert magics.script_magics == [] and "bash" not in magics.magics["cell"]
        assert "script" in magics.magics["cell"]  # the generic %%script stays (and nobody can run cells)
    finally:
        script.default_script_magics = original
    assert script.ScriptMagics(shell=None).script_magics == original()


def test_classroom_server_applies_both():
    out = _fresh_python("""
        from IPython.core.magics import script
        from helpers import _compat
        from helpers.apps.server import build_app
        build_app("127.0.0.1", None)
        patch = _compat.solara_patch_module()
        assert patch.FakeIPython(fake_context()).events is _compat.NO_EVENTS
        assert script.ScriptMagics(shell=None).script_magics == []
        print("applied")
    """)
    assert "applied" in out
