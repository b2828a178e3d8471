"""What the explorers do with a mistake: show it in the widget, keep the widget alive.

A user error (ValueError, KeyError, IndexError, FileNotFoundError, TypeError) is shown as its
message; anything else as a short traceback; the explorer goes on either way.
"""

from __future__ import annotations

import functools
import html
import traceback

import ipywidgets as W
import traitlets

from ..validation import check_choice

__all__ = ["USER_ERRORS", "guarded", "set_trait", "show_error"]

USER_ERRORS = (ValueError, KeyError, IndexError, FileNotFoundError, TypeError)


def set_trait(widget, name: str, value, what: str | None = None):
    """Set a widget trait (a dropdown's value ...); a traitlets.TraitError becomes a ValueError that
    names the value and, for a selection widget, the choices."""
    try:
        setattr(widget, name, value)
    except traitlets.TraitError:
        choices = [o[1] if isinstance(o, tuple) else o for o in getattr(widget, "options", ())]
        check_choice(what or name, value, choices)  # raises with the choices when it is not one of them
        raise ValueError(f"{what or name}={value!r:.80} is not accepted by the widget") from None


def guarded(output: W.Output, status: W.HTML | None = None):
    """Decorate a redraw callback so a mistake is shown in ``output`` and the widget stays alive.

    A user error (ValueError, KeyError, ...) shows its message in red; anything else shows a
    short traceback. The callback's return value is passed through (``None`` on error).

    Example:
        >>> out, status = W.Output(), W.HTML()
        >>> @guarded(out, status)
        ... def redraw():
        ...     raise ValueError("bad layer")
        >>> redraw() is None, "ValueError: bad layer" in status.value
        (True, True)
    """
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                result = fn(*args, **kwargs)
                if status is not None:
                    status.value = ""
                return result
            except USER_ERRORS as err:
                message = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
                show_error(output, status, f"{type(err).__name__}: {message}")
            except Exception as err:  # keep the widget alive whatever happens
                show_error(output, status, f"{type(err).__name__}: {err}\n"
                            + "".join(traceback.format_exception(err)[-3:]))
            return None
        return wrapper
    return decorate


def show_error(output, status, text: str) -> None:
    """Show ``text`` in red in ``status`` (or, without one, printed in ``output``)."""
    if status is not None:
        status.value = f"<pre style='color:#b00020;white-space:pre-wrap'>{html.escape(text, quote=False)}</pre>"
    else:
        output.clear_output(wait=True)
        with output:
            print(text)
