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

    try:
        build_app("127.0.0.1", None)
        assert patch.FakeIPython(_fake_context()).events is _compat.NO_EVENTS
    finally:
        patch.mock = mock
