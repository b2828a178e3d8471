"""Which hosts and which web pages may talk to the classroom server (ASGI middleware).

Two checks, on every request, before anything else sees it:

* **Host**: in loopback mode only this computer's own names (``127.0.0.1``, ``localhost``,
  ``[::1]``, any port) -- a page under another name that resolves here (DNS rebinding) is refused.
  In LAN mode any host name is accepted (students type the teacher's address); the class code
  protects that mode.
* **Origin**: a browser names the page that opened a websocket or sent a form in the ``Origin``
  header. Websockets and every request other than GET/HEAD/OPTIONS must come from the server's
  own origin (``http://`` + the Host the browser asked for) or carry no Origin at all (a program,
  not a web page). So a web page the teacher happens to visit cannot drive the classroom on
  ``127.0.0.1`` from inside the teacher's browser.

Example:
    >>> host_name("[::1]:8765"), host_name("127.0.0.1:8765"), host_name("localhost")
    ('::1', '127.0.0.1', 'localhost')
    >>> same_origin("http://127.0.0.1:8765", "127.0.0.1:8765"), same_origin("http://evil.example", "127.0.0.1:8765")
    (True, False)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse

__all__ = ["LOOPBACK_NAMES", "HostAndOrigin", "host_name", "same_origin"]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(host: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8765`` -> ``::1``), lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def same_origin(origin: str, host: str, scheme: str = "http") -> bool:
    """True when ``origin`` (an Origin header) is ``scheme://host`` (the Host header), ports included."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    return parts.scheme == scheme and not parts.path.strip("/") and parts.netloc.lower() == host.strip().lower()


class HostAndOrigin:
    """ASGI middleware: the two checks of the module's text. ``allowed_hosts`` None: any host."""

    def __init__(self, app, *, allowed_hosts=LOOPBACK_NAMES):
        self.app = app
        self.allowed_hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or []}
        host = headers.get("host", "")
        if self.allowed_hosts is not None and host_name(host) not in self.allowed_hosts:
            return await _refuse(scope, receive, send, 400, "Invalid host header")
        origin = headers.get("origin")
        needs_origin = scope["type"] == "websocket" or scope.get("method", "GET") not in _SAFE_METHODS
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        if needs_origin and origin is not None and not same_origin(origin, host, scheme):
            return await _refuse(scope, receive, send, 403, "This page may not be used from another web site.")
        return await self.app(scope, receive, send)


async def _refuse(scope, receive, send, status: int, text: str):
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": text[:100]})
        return
    await PlainTextResponse(text, status_code=status)(scope, receive, send)
