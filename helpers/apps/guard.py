"""Class-code protection for the classroom server: a plain ASGI middleware for Starlette.

A student opens ``http://HOST:PORT/?code=CLASSCODE`` once; the middleware checks the code
(constant-time), sets an HttpOnly cookie and redirects to the same page without the code in the
address bar. Every later request -- pages, static files and the widget websocket -- must carry
that cookie; anything else gets a small "ask your teacher for the class code" page (HTTP 403) or
a closed websocket (code 1008). Starlette's ``HTTPConnection`` parses the request; nothing else
is home-made.

Example:
    >>> ClassCodeMiddleware(app=None, code="")
    Traceback (most recent call last):
    ...
    ValueError: the class code must have at least 8 characters, got 0
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from urllib.parse import urlencode

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse

COOKIE = "convnet_class"
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

    def __init__(self, app, code: str):
        if not isinstance(code, str) or len(code) < 8:
            raise ValueError(f"the class code must have at least 8 characters, got {len(code or '')}")
        self.app = app
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
        conn = HTTPConnection(scope)
        if self._valid_cookie(conn.cookies.get(COOKIE)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        given = conn.query_params.get("code")
        if self._valid_code(given):
            rest = [(k, v) for k, v in conn.query_params.multi_items() if k != "code"]
            target = conn.url.path + (("?" + urlencode(rest)) if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, self._cookie, httponly=True, samesite="strict", path="/")
        else:
            message = "That class code is not right." if given else "This page is for one class only."
            response = HTMLResponse(_ASK.format(message=html.escape(message)), status_code=403)
        await response(scope, receive, send)
