"""Seats for a class: how many students' kernels the server holds, and a page that says when it is full.

Every browser tab is one Solara virtual kernel (~4 MB of widgets and explorers) with one or more
websockets. :class:`Seats` (ASGI middleware) counts what costs memory -- the kernels -- and:

* refuses a kernel websocket without Solara's ``solara-session-id`` cookie (the page sets it; only
  a program skips it, and each such socket would look like a new student);
* lets one cookie (one browser) hold at most ``per_browser`` kernels: a new tab beyond that first
  replaces that browser's own oldest disconnected kernel (a reloaded or closed tab), otherwise it
  is refused ("too many tabs");
* holds at most ``max_kernels`` kernels in all: a new student beyond that takes the seat of the
  oldest disconnected kernel, otherwise is refused; the page itself then says "the class is full"
  (HTTP 503) instead of an endless spinner;
* lets each kernel have at most ``sockets_per_kernel`` open websockets (a page and its reconnect).

Reconnecting to one's own kernel is always allowed. The kernels are read through
:func:`helpers._compat.live_kernels` (Solara keeps them in a module-level dict).
"""

from __future__ import annotations

import collections
import html
import threading

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse

from .._compat import close_kernel, live_kernels
from ..validation import check_int
from .workers import HEALTH_PATH

__all__ = ["Seats", "SESSION_COOKIE", "FULL_PAGE"]

SESSION_COOKIE = "solara-session-id"
_NOT_PAGES = ("/_solara/", "/static/", "/jupyter/", HEALTH_PATH, "/resourcez", "/favicon")
FULL_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>The class is full</title>
<meta http-equiv="refresh" content="30"></head><body style="font-family:sans-serif;max-width:32em;margin:4em auto">
<h1>The class is full</h1><p>{message}</p><p>This page tries again every 30 seconds.</p></body></html>"""


class Seats:
    """ASGI middleware: the limits of the module's text. ``kernels()`` lists the live kernels
    (objects with ``id``, ``session``, ``connected``, ``since``) and ``close(id)`` closes one: by
    default Solara's, through :mod:`helpers._compat`."""

    def __init__(self, app, *, max_kernels: int, per_browser: int = 3, sockets_per_kernel: int = 2,
                 kernels=live_kernels, close=close_kernel):
        self.app = app
        self.max_kernels = check_int("max_kernels", max_kernels, 1)
        self.per_browser = check_int("per_browser", per_browser, 1)
        self.sockets_per_kernel = check_int("sockets_per_kernel", sockets_per_kernel, 1)
        self._kernels, self._close = kernels, close
        self._lock = threading.Lock()
        self._sockets: collections.Counter = collections.Counter()   # kernel id -> open websockets
        self._owner: dict[str, str] = {}                              # kernel id admitted -> its cookie
        self.stats = collections.Counter()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "GET" and not scope["path"].startswith(_NOT_PAGES):
            return await self._page(scope, receive, send)
        if scope["type"] != "websocket" or not scope["path"].startswith("/jupyter/api/kernels/"):
            return await self.app(scope, receive, send)
        kernel_id = scope["path"].split("/")[4] if scope["path"].count("/") >= 5 else ""
        session = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
        why = self._admit(kernel_id, session)
        if why is not None:
            self.stats["refused"] += 1
            # accepted, then closed with "try again later" and the reason (a refusal before the
            # handshake reaches the page as a bare HTTP 403)
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": 1013, "reason": why[:120]})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self._sockets[kernel_id] -= 1
                if self._sockets[kernel_id] <= 0:
                    del self._sockets[kernel_id]

    async def _page(self, scope, receive, send):
        session = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
        kernels = self._kernels()
        mine = session is not None and any(k.session == session for k in kernels)
        if mine or len(kernels) < self.max_kernels or any(not k.connected for k in kernels):
            return await self.app(scope, receive, send)
        self.stats["full"] += 1
        message = (f"All {self.max_kernels} places are taken. Wait until someone closes a tab, or ask your "
                   "teacher to raise CLASSROOM_MAX_STUDENTS.")
        await HTMLResponse(FULL_PAGE.format(message=html.escape(message)), status_code=503)(scope, receive, send)

    def _admit(self, kernel_id: str, session: str | None) -> str | None:
        """None when this websocket may open (counted), else why not."""
        if not kernel_id:
            return "no kernel id"
        if not session:
            return "this page needs cookies: reload it"
        with self._lock:
            kernels = {k.id: k for k in self._kernels()}
            # admitted sockets whose kernel Solara has not built yet count as kernels too
            for kid, owner in list(self._owner.items()):
                if kid not in kernels and self._sockets[kid] <= 0:
                    del self._owner[kid]
            if self._sockets[kernel_id] >= self.sockets_per_kernel:
                return f"this tab already has {self.sockets_per_kernel} connections open"
            known = kernel_id in kernels or kernel_id in self._owner
            if not known:
                pending = [kid for kid in self._owner if kid not in kernels]
                everyone = [*kernels.values()]
                owners = {k.id: k.session for k in everyone} | {kid: self._owner[kid] for kid in pending}
                mine = sorted((k for k in everyone if k.session == session and not k.connected), key=lambda k: k.since)
                if sum(1 for s in owners.values() if s == session) >= self.per_browser:
                    if not mine:
                        return f"too many tabs: this browser already has {self.per_browser} open; close one"
                    self._evict(mine[0].id)
                    owners.pop(mine[0].id)
                if len(owners) >= self.max_kernels:
                    idle = sorted((k for k in everyone if not k.connected and k.id in owners), key=lambda k: k.since)
                    if not idle:
                        return f"the class is full ({self.max_kernels} places)"
                    self._evict(idle[0].id)
                self._owner[kernel_id] = session
            self._sockets[kernel_id] += 1
            return None

    def _evict(self, kernel_id: str) -> None:
        self.stats["evicted"] += 1
        self._owner.pop(kernel_id, None)
        self._close(kernel_id)
