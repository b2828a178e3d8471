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


# -- ipywidgets in a process shared by many students -------------------------------------------
class _FakeComm:
    def __init__(self):
        self.sent, self.callback, self.closed = [], None, False

    def on_msg(self, callback):
        self.callback = callback

    def send(self, data=None, buffers=None, **kwargs):
        self.sent.append(data)

    def close(self, *args, **kwargs):
        self.closed = True


def test_ipywidgets_still_answers_request_states_on_the_class_wide_control_comm():
    """What per_kernel_widget_control relies on: the reply goes out on ``cls._control_comm``,
    built from the module's ``_instances``, and ``get_manager_state`` is called on the class."""
    from ipywidgets.widgets import widget

    source = inspect.getsource(widget.Widget._handle_control_comm_msg)
    assert "cls._control_comm.send(" in source and "_instances.values()" in source
    assert "cls.get_manager_state()" in source
    assert "cls._control_comm = comm" in inspect.getsource(widget.Widget.handle_control_comm_opened)
    assert "Widget.handle_control_comm_opened" in inspect.getsource(__import__("ipywidgets").register_comm_target)


def test_each_control_comm_gets_its_own_reply(monkeypatch):
    import ipywidgets as W
    from ipywidgets.widgets import widget

    monkeypatch.setattr(widget.Widget, "handle_control_comm_opened", widget.Widget.handle_control_comm_opened)
    assert _compat.per_kernel_widget_control() is True and _compat.per_kernel_widget_control() is True
    slider = W.IntSlider(value=3)
    opened = {"metadata": {"version": "1.0.0"}}
    ann, bob = _FakeComm(), _FakeComm()
    widget.Widget.handle_control_comm_opened(ann, opened)
    widget.Widget.handle_control_comm_opened(bob, opened)  # bob's page opens its control comm last
    ann.callback({"content": {"data": {"method": "request_states"}}})
    assert len(ann.sent) == 1 and bob.sent == []  # ann's reply on ann's comm
    assert ann.sent[0]["method"] == "update_states" and slider.model_id in ann.sent[0]["states"]
    assert widget.Widget._control_comm is None  # nothing kept process-wide
    with pytest.raises(ValueError, match="Incompatible"):
        widget.Widget.handle_control_comm_opened(_FakeComm(), {"metadata": {"version": "9.0.0"}})
    slider.close()


def test_browsers_set_only_the_values_of_controls(monkeypatch):
    import ipywidgets as W
    import traitlets
    from ipywidgets.widgets import widget

    source = inspect.getsource(widget)  # _handle_msg is wrapped by a decorator without functools.wraps
    handle = source[source.index("def _handle_msg"):source.index("def _handle_custom_msg")]
    assert "self.set_state(state)" in handle  # every state a browser sends goes through set_state
    monkeypatch.setattr(widget.Widget, "set_state", widget.Widget.set_state)
    assert _compat.client_writable_only() is True and _compat.client_writable_only() is True
    steps = W.IntSlider(value=30, min=0, max=200)
    steps.set_state({"max": 10000, "value": 5081, "description": "hacked"})
    assert (steps.max, steps.value, steps.description) == (200, 200, "")  # bounds kept, value clamped by traitlets
    choice = W.Dropdown(options=["a", "b"], value="a")
    choice.set_state({"index": 1, "options": ["x"] * 10})
    assert choice.value == "b" and choice.options == ("a", "b")
    told = []
    choice.send_state = lambda key=None: told.append(key)  # what the browser is sent back
    for refused in ({"index": 999}, {"index": "b"}, {"index": -1}):  # traitlets refuses each: no exception
        choice.set_state(refused)
        assert choice.index == 1 and told[-1] == ["index"]
    steps.send_state = lambda key=None: told.append(key)
    steps.set_state({"value": "many", "min": -5})
    assert steps.value == 200 and told[-1] == ["value"] and len(told) == 4
    picture, note = W.Image(value=b"server"), W.HTML(value="server")
    picture.set_state({"value": b"client"})
    note.set_state({"value": "<script>client</script>"})
    assert bytes(picture.value) == b"server" and note.value == "server"

    class Other(widget.Widget):  # another library's widget (Solara's page layout): unchanged
        _model_module = traitlets.Unicode("jupyter-vuetify").tag(sync=True)
        v_model = traitlets.Unicode("").tag(sync=True)

    other = Other()
    other.set_state({"v_model": "tab 2"})
    assert other.v_model == "tab 2"
    for w in (steps, choice, picture, note, other):
        w.close()


def test_browsers_cannot_build_widgets_on_the_server(monkeypatch):
    from ipywidgets.widgets import widget

    monkeypatch.setattr(widget.Widget, "handle_comm_opened", widget.Widget.handle_comm_opened)
    assert "Widget.handle_comm_opened" in inspect.getsource(__import__("ipywidgets").register_comm_target)
    assert _compat.no_client_widgets() is True and _compat.no_client_widgets() is True
    before = len(widget._instances)
    comm = _FakeComm()
    widget.Widget.handle_comm_opened(comm, {"metadata": {"version": "2.1.0"}, "content": {"data": {"state": {
        "_model_name": "IntSliderModel", "_model_module": "@jupyter-widgets/controls"}}}})
    assert comm.closed and len(widget._instances) == before


def test_uvicorn_h11_still_sets_headers_per_request_and_reports_each_response():
    """What header_timeout_protocol relies on (its behaviour is tested against the real server in
    tests/apps/test_hostile.py::test_slow_headers_do_not_hold_connections)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    events = inspect.getsource(H11Protocol.handle_events)
    assert "self.headers = [" in events and "on_response=self.on_response_complete" in events
    protocol = _compat.header_timeout_protocol(3.5)
    assert issubclass(protocol, H11Protocol) and protocol.header_timeout == 3.5


def test_solara_still_keeps_its_kernels_in_one_dict():
    """What live_kernels and close_kernel rely on (the seat limits' behaviour is tested against the
    real server in tests/apps/test_hostile.py)."""
    out = _fresh_python("""
        import dataclasses
        from helpers import _compat
        _compat.solara_patch_module()
        from solara.server import kernel_context
        assert isinstance(kernel_context.contexts, dict)
        fields = {f.name for f in dataclasses.fields(kernel_context.VirtualKernelContext)}
        assert {"id", "session_id", "page_status", "closed_event"} <= fields, fields
        assert {s.value for s in kernel_context.PageStatus} >= {"connected", "disconnected"}
        assert _compat.live_kernels() == [] and _compat.close_kernel("no-such-kernel") is False
        print("kernels in one dict")
    """)
    assert "kernels in one dict" in out
