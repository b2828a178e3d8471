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
"""

from __future__ import annotations

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
