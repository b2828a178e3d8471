"""The one place where this package leans on another library's internals.

Each use below is checked by ``tests/test_compat.py``, which fails loudly (rather than letting
the workaround silently stop working) when the library changes what it relies on.

Solara 1.58 (the classroom server): every widget message a student's browser sends goes through
``comm``'s ``handle_msg``, which asks ``get_ipython()`` for the shell and calls
``shell.events.trigger("pre_execute")`` and ``("post_execute")``. In a Solara virtual kernel
``get_ipython()`` builds a new ``FakeIPython`` each time, whose ``events`` is a new
``unittest.mock.MagicMock``: building it and its ``trigger`` child costs ~1 ms of the server's
CPU (profiled: a fifth of a Grad-CAM class switch). Nothing listens to those events there, so
:func:`quiet_solara_events` gives ``FakeIPython`` one shared object whose methods do nothing --
what the MagicMock did, without building one per message.

IPython (in Solara's virtual kernels): each new student tab builds an IPython shell, and Solara's
shell looks up ``ScriptMagics``, which generates a ``%%bash``, ``%%perl``, ... cell magic for every
interpreter it finds on the PATH, formatting argparse help for each: ~80 ms of every page open,
holding the GIL while other students wait (profiled with ``py-spy --gil``). Nobody can run cells
in the classroom, so :func:`no_script_magics` makes that list empty.

ipywidgets (in the classroom, where one process holds every student's widgets): the reply to a
page's ``request_states`` goes out on ``Widget._control_comm``, one class attribute for the whole
process, bound to whichever kernel opened its control comm last -- so one student's widget states
went out on another student's socket. :func:`per_kernel_widget_control` answers each control comm
on that comm itself (with ipywidgets' own reply code). :func:`client_writable_only` makes
``Widget.set_state`` (what runs for every state a browser sends) accept only what a person can
change in a control -- a slider's ``value``, a dropdown's ``index`` -- and nothing for pictures and
text the server shows; :func:`no_client_widgets` refuses widgets a browser asks the server to
create (Solara's page never does).

uvicorn: no time limit on reading a request's headers (a client trickling one header line every
few seconds holds its connection for ever). :func:`header_timeout_protocol` is uvicorn's own h11
protocol with one: the connection closes when a request's headers have not arrived in time.

Solara's virtual kernels: :func:`live_kernels` and :func:`close_kernel` read and close the
contexts in ``solara.server.kernel_context.contexts`` (for the classroom's seat limits).
"""

from __future__ import annotations

import functools
import time
import types


class _NoEvents:
    """IPython's ``shell.events`` with nobody listening: every method accepts anything and does nothing.

    Example:
        >>> NO_EVENTS.trigger("pre_execute"), NO_EVENTS.register("post_execute", print)
        (None, None)
    """

    def trigger(self, *args, **kwargs):
        return None

    def register(self, *args, **kwargs):
        return None

    def unregister(self, *args, **kwargs):
        return None

    def __getattr__(self, name):  # anything else IPython's EventManager offers
        if name.startswith("__"):
            raise AttributeError(name)
        return self.trigger


NO_EVENTS = _NoEvents()


def quiet_solara_events() -> bool:
    """Make Solara's ``FakeIPython.events`` the shared :data:`NO_EVENTS` (see the module's text).

    Solara's ``solara.server.patch`` uses its ``mock`` module name only to build that MagicMock;
    it is replaced by a namespace whose ``MagicMock()`` returns :data:`NO_EVENTS`. Idempotent.
    Returns False, changing nothing, if Solara no longer has what this relies on (the test says so).
    """
    try:
        patch = solara_patch_module()
    except ImportError:  # pragma: no cover - solara is a requirement of the classroom only
        return False
    if getattr(patch, "mock", None) is _SHIM:
        return True
    if not hasattr(patch, "FakeIPython") or not hasattr(getattr(patch, "mock", None), "MagicMock"):
        return False
    patch.mock = _SHIM
    return True


def no_script_magics() -> bool:
    """Make IPython's ``ScriptMagics`` generate no ``%%bash``-style magics (see the module's text).

    Its ``script_magics`` trait defaults to ``default_script_magics()``, looked up in
    ``IPython.core.magics.script`` when a shell is built; that name is replaced by a function
    returning ``[]``. Idempotent; returns False, changing nothing, if IPython no longer has it.
    """
    try:
        from IPython.core.magics import script
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    if getattr(script, "default_script_magics", None) is _no_scripts:
        return True
    if not callable(getattr(script, "default_script_magics", None)):
        return False
    script.default_script_magics = _no_scripts
    return True


def _no_scripts() -> list:
    return []


def solara_patch_module():
    """``solara.server.patch``, imported the way Solara itself does (through ``solara.server.app``:
    importing it first is a circular import)."""
    import solara.server.app  # noqa: F401
    from solara.server import patch

    return patch


_SHIM = types.SimpleNamespace(MagicMock=lambda *args, **kwargs: NO_EVENTS)


# -- ipywidgets in a process shared by many students -------------------------------------------
def per_kernel_widget_control() -> bool:
    """Answer every ``jupyter.widget.control`` comm on itself (see the module's text).

    ``Widget.handle_control_comm_opened`` is what each kernel registers for that target (looked up
    when Solara builds the kernel); it is replaced by a function that checks the protocol version
    as ipywidgets does and hands each message to ipywidgets' own ``_handle_control_comm_msg`` with
    a stand-in class whose ``_control_comm`` is this comm. The widgets it reports are those of
    ``ipywidgets.widgets.widget._instances``, which Solara makes per kernel. Idempotent; False,
    changing nothing, if ipywidgets no longer has these names.
    """
    from ipywidgets.widgets import widget

    cls = widget.Widget
    if getattr(cls.handle_control_comm_opened, "__func__", None) is _control_comm_opened:
        return True
    if not (hasattr(cls, "_control_comm") and hasattr(cls, "_handle_control_comm_msg")
            and hasattr(widget, "CONTROL_PROTOCOL_VERSION_MAJOR")):
        return False
    cls.handle_control_comm_opened = classmethod(_control_comm_opened)
    return True


def _control_comm_opened(cls, comm, msg):
    from ipywidgets.widgets import widget

    version = msg.get("metadata", {}).get("version", "")
    if version.split(".")[0] != widget.CONTROL_PROTOCOL_VERSION_MAJOR:
        raise ValueError(f"Incompatible widget control protocol versions: received version {version!r}, "
                         f"expected version {widget.__control_protocol_version__!r}")
    stand_in = types.SimpleNamespace(_control_comm=comm, get_manager_state=lambda *a, **k: None)
    comm.on_msg(functools.partial(widget.Widget._handle_control_comm_msg.__func__, stand_in))


# what a person can change in an ipywidgets control; the server's pictures, text and layout are
# never changed by a browser
CLIENT_TRAITS = frozenset({"value", "index", "selected_index", "playing", "repeat"})
_WIDGET_MODULES = ("@jupyter-widgets/controls", "@jupyter-widgets/base", "@jupyter-widgets/output")


def _output_only():
    import ipywidgets as W

    # widgets with a ``value`` that only the server sets (boxes, layouts and styles have no trait
    # in CLIENT_TRAITS, so nothing of theirs is kept either)
    return (W.Image, W.HTML, W.HTMLMath, W.Label, W.Valid, W.IntProgress, W.FloatProgress, W.Audio, W.Video)


def client_writable_only() -> bool:
    """Make ``Widget.set_state`` (a browser's state update) keep only :data:`CLIENT_TRAITS` of
    ipywidgets' own controls, and nothing of the widgets that only show things (pictures, HTML,
    progress bars; boxes, layouts and styles have none of those traits). Other widget libraries
    (Solara's page layout) are unchanged. Traitlets still checks what is kept (a slider's value
    stays within the server's min and max); a value it refuses is answered with the server's
    state. Idempotent; False, changing nothing, if ``Widget.set_state`` is gone."""
    from ipywidgets.widgets import widget
    from traitlets import TraitError

    original = getattr(widget.Widget, "set_state", None)
    if getattr(original, "_convnet_client_filter", False):
        return True
    if not callable(original):
        return False
    output_only = _output_only()

    @functools.wraps(original)
    def set_state(self, sync_data):
        if getattr(self, "_model_module", None) not in _WIDGET_MODULES:
            return original(self, sync_data)
        allowed = () if isinstance(self, output_only) else CLIENT_TRAITS
        sync_data = {k: v for k, v in sync_data.items() if k in allowed}
        if not sync_data:
            return None
        try:
            return original(self, sync_data)
        except TraitError:
            # a value the control refuses (an index past its options, text for a number): the
            # server keeps its own, and tells the browser, whose control snaps back to it, instead
            # of a traceback in the server's log for every such message
            self.send_state(list(sync_data))
            return None

    set_state._convnet_client_filter = True
    widget.Widget.set_state = set_state
    return True


def no_client_widgets() -> bool:
    """Refuse ``comm_open`` requests from a browser to build widgets on the server (target
    ``jupyter.widget``: any registered widget class with any state). The classroom's pages
    only show widgets the server built. Idempotent; False if ipywidgets lacks the handler."""
    from ipywidgets.widgets import widget

    if getattr(widget.Widget.handle_comm_opened, "__func__", widget.Widget.handle_comm_opened) is _refuse_widget:
        return True
    if not callable(getattr(widget.Widget, "handle_comm_opened", None)):
        return False
    widget.Widget.handle_comm_opened = staticmethod(_refuse_widget)
    return True


def _refuse_widget(comm, msg):
    comm.close()


# -- uvicorn: a time limit on request headers ----------------------------------------------
def header_timeout_protocol(seconds: float):
    """uvicorn's h11 protocol class with a limit of ``seconds`` for a request's headers, from the
    connection's start and again after each response (pass it as ``uvicorn.Config(http=...)``).

    It relies on ``H11Protocol`` setting ``self.headers`` to a new list when a request's headers
    are complete and calling ``on_response_complete`` after each response.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11Protocol(H11Protocol):
        header_timeout = float(seconds)
        _header_timer = None

        def connection_made(self, transport):
            super().connection_made(transport)
            self._await_headers()

        def on_response_complete(self):
            super().on_response_complete()
            self._await_headers()

        def connection_lost(self, exc):
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

        def _await_headers(self):
            if self._header_timer is not None:
                self._header_timer.cancel()
            if self.transport.is_closing():
                return
            waiting_for = self.headers  # replaced by a new list once the next request's headers are in
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late, waiting_for)

        def _headers_late(self, waiting_for):
            if self.headers is waiting_for and not self.transport.is_closing() and \
                    self.transport.get_protocol() is self:
                self.transport.close()

    return HeaderTimeoutH11Protocol


# -- Solara's virtual kernels ---------------------------------------------------------------
def live_kernels() -> list[types.SimpleNamespace]:
    """Every live Solara virtual kernel: ``id``, ``session`` (its ``solara-session-id`` cookie),
    ``connected`` (a page is connected now) and ``since`` (``time.monotonic()`` when first seen)."""
    from solara.server import kernel_context

    out = []
    for kid, context in list(kernel_context.contexts.items()):
        if context.closed_event.is_set():
            continue
        statuses = [getattr(s, "value", s) for s in list(context.page_status.values())]
        out.append(types.SimpleNamespace(id=kid, session=context.session_id, connected="connected" in statuses,
                                         since=_first_seen.setdefault(kid, time.monotonic())))
    for kid in set(_first_seen) - set(kernel_context.contexts):
        _first_seen.pop(kid, None)
    return out


_first_seen: dict[str, float] = {}


def close_kernel(kernel_id: str) -> bool:
    """Close one virtual kernel (its widgets are freed); False if there is no such kernel."""
    from solara.server import kernel_context

    context = kernel_context.contexts.get(kernel_id)
    if context is None:
        return False
    context.close()
    return True
