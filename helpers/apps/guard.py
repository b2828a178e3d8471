"""Class-code protection for the classroom server: a plain ASGI middleware for Starlette.

A student opens ``http://HOST:PORT/?code=CLASSCODE`` once; the middleware checks the code
(constant-time), sets an HttpOnly cookie and redirects to the same page without the code in the
address bar. Every later request -- pages, static files and the widget websocket -- must carry
that cookie; anything else gets a small "ask your teacher for the class code" page (HTTP 403) or
a closed websocket (code 1008); only the health probe, :data:`OPEN_PATHS`, answers without it.
Starlette's ``HTTPConnection`` parses the request; nothing else is home-made.

The redirect only ever goes to a path on this server: leading slashes and backslashes are
dropped (``//other.host/x`` becomes ``/other.host/x``), so no browser reads it as another host (no
open redirect). Wrong codes are slowed down per client address: each wrong guess waits twice as
long as the one before (0.25 s, 0.5 s, ... at most ``max_delay``), and while one wrong guess of an
address waits, the others from that address are refused at once without being checked -- a
guesser gets a handful of tries a minute instead of thousands a second; a right code clears it.

Example:
    >>> ClassCodeMiddleware(app=None, code="")
    Traceback (most recent call last):
    ...
    ValueError: the class code must have at least 8 characters, got 0
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import secrets
import time
from urllib.parse import urlencode

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse

from ..validation import check_positive, check_type
from .workers import HEALTH_PATH

__all__ = ["COOKIE", "OPEN_PATHS", "ClassCodeMiddleware", "new_code"]

COOKIE = "convnet_class"
# health probes (a proxy's checks, Kubernetes' probes) answer without the code: they say only "ok"
OPEN_PATHS = frozenset({HEALTH_PATH})
_ASK = """<!doctype html><html><head><meta charset="utf-8"><title>Class code needed</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:4em auto">
<h1>Class code needed</h1><p>{message} Ask your teacher for the class code.</p>
<form method="get" action="/"><input name="code" autocomplete="off" autofocus>
<button type="submit">Open</button></form></body></html>"""


def new_code() -> str:
    """A fresh random class code (12 characters, URL-safe, ~72 bits)."""
    return secrets.token_urlsafe(9)


class ClassCodeMiddleware:
    """Require the class ``code`` (see the module docstring) for every HTTP and websocket request."""

    def __init__(self, app, code: str, *, first_delay: float = 0.25, max_delay: float = 8.0):
        if len(check_type("the class code", code, str, "a string of at least 8 characters")) < 8:
            raise ValueError(f"the class code must have at least 8 characters, got {len(code)}")
        self.app = app
        self.first_delay = check_positive("first_delay", first_delay)
        self.max_delay = check_positive("max_delay", max_delay)
        self._misses: dict[str, tuple[int, float]] = {}  # client address -> (wrong guesses, when the last one ended)
        self._waiting: set[str] = set()
        self._code = code.encode()
        # the cookie holds a keyed hash, not the code itself
        self._cookie = hmac.new(self._code, b"convnet-vis classroom", hashlib.sha256).hexdigest()

    def _valid_code(self, given) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self._code)

    def _valid_cookie(self, given) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self._cookie.encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):  # lifespan: pass through
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") and scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        if self._valid_cookie(conn.cookies.get(COOKIE)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        given = conn.query_params.get("code")
        client = conn.client.host if conn.client else "?"
        if given and client in self._waiting:
            response = HTMLResponse(_ASK.format(message="Too many tries: wait a moment, then type the code again."),
                                    status_code=429)
        elif self._valid_code(given):
            self._misses.pop(client, None)
            rest = [(k, v) for k, v in conn.query_params.multi_items() if k != "code"]
            # a path on this server: never //another.host, nor /\another.host (browsers read it the same)
            target = "/" + conn.url.path.lstrip("/\\")
            response = RedirectResponse(target + (("?" + urlencode(rest)) if rest else ""), status_code=303)
            response.set_cookie(COOKIE, self._cookie, httponly=True, samesite="strict", path="/")
        else:
            if given:
                await self._slow_down(client)
            message = "That class code is not right." if given else "This page is for one class only."
            response = HTMLResponse(_ASK.format(message=html.escape(message)), status_code=403)
        await response(scope, receive, send)

    async def _slow_down(self, client: str) -> None:
        """Wait after a wrong code: twice as long as after this address's previous one (forgotten
        after ``max_delay`` x 4 s without a wrong guess)."""
        misses, last = self._misses.get(client, (0, 0.0))
        if time.monotonic() - last > 4 * self.max_delay:
            misses = 0
        delay = min(self.first_delay * 2 ** misses, self.max_delay)
        self._waiting.add(client)
        try:
            await asyncio.sleep(delay)
        finally:
            self._waiting.discard(client)
            self._misses[client] = (misses + 1, time.monotonic())
            if len(self._misses) > 10_000:  # bounded: drop the oldest addresses
                for old in sorted(self._misses, key=lambda c: self._misses[c][1])[:5_000]:
                    del self._misses[old]
