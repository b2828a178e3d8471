"""helpers._compat: each reliance on another library's internals, checked so that a change there
fails here, loudly, instead of silently undoing the workaround."""
from __future__ import annotations

import inspect
import os
import types

import pytest

from helpers import _compat


def _fake_context():
    return types.SimpleNamespace(kernel=types.SimpleNamespace(shell=types.SimpleNamespace(display_pub=None)))


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
    pytest.importorskip("solara")
    patch = _compat.solara_patch_module()
    source = inspect.getsource(patch)
    uses = [line.strip() for line in source.splitlines() if "mock." in line and not line.strip().startswith("#")]
    assert uses == ["self.events = mock.MagicMock()"], uses
    assert "self.events = mock.MagicMock()" in inspect.getsource(patch.FakeIPython.__init__)
    import comm.base_comm

    handle = inspect.getsource(comm.base_comm.BaseComm.handle_msg)
    assert 'shell.events.trigger("pre_execute")' in handle and 'shell.events.trigger("post_execute")' in handle


def test_quiet_solara_events_gives_fake_ipython_the_shared_no_op():
    pytest.importorskip("solara")
    patch = _compat.solara_patch_module()
    from unittest import mock

    before = patch.FakeIPython(_fake_context()).events
    try:
        assert _compat.quiet_solara_events() is True
        assert _compat.quiet_solara_events() is True  # idempotent
        shells = [patch.FakeIPython(_fake_context()) for _ in range(3)]
        assert all(s.events is _compat.NO_EVENTS for s in shells)
        assert shells[0].events.trigger("pre_execute") is None
    finally:
        patch.mock = mock  # leave Solara as other tests expect it
    assert isinstance(before, (mock.MagicMock, _compat._NoEvents))
    assert isinstance(patch.FakeIPython(_fake_context()).events, mock.MagicMock)


def test_classroom_server_applies_it(monkeypatch):
    pytest.importorskip("solara")
    monkeypatch.setattr(os, "environ", os.environ.copy())  # build_app sets Solara's variables
    from unittest import mock

    patch = _compat.solara_patch_module()
    from helpers.apps.server import build_app

    from IPython.core.magics import script

    scripts = script.default_script_magics
    try:
        build_app("127.0.0.1", None)
        assert patch.FakeIPython(_fake_context()).events is _compat.NO_EVENTS
        assert script.ScriptMagics(shell=None).script_magics == []
    finally:
        patch.mock, script.default_script_magics = mock, scripts


def test_ipython_still_takes_script_magics_from_default_script_magics():
    """What no_script_magics relies on: ScriptMagics' default list comes from the module-level name
    default_script_magics, and Solara's shell builds ScriptMagics for every student tab."""
    from IPython.core.magics import script

    assert "default_script_magics()" in inspect.getsource(script.ScriptMagics._script_magics_default.func)
    pytest.importorskip("solara")
    _compat.solara_patch_module()
    from solara.server.shell import SolaraInteractiveShell

    assert 'registry["ScriptMagics"]' in inspect.getsource(SolaraInteractiveShell.__init__)


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
