"""Serve the page's static files (scripts, styles, fonts) once compressed, not once per student.

Every student's browser fetches the same ~4.3 MB front end (Solara's Vuetify app, jupyter-vue,
fonts). Solara sends each file through Starlette's ``GZipMiddleware``, which compresses it again
on every request (level 9): profiled, compressing alone was a fifth of the server's CPU for a page
open (server CPU per page open measured 1.4 s before this cache and the classroom's other
speed-ups of 2026-11-30, ~0.3 s after). :class:`StaticCache` keeps the finished response (status,
headers, body) of each static file the first time it is sent and replays it to the next student: standard ASGI,
nothing home-made about the files themselves (Solara still finds, types and compresses them).

Only ``GET`` requests under the static prefixes are kept, only complete ``200`` answers, keyed by
path, query and whether the browser accepts gzip; range requests pass through. The cache is
bounded in bytes; a file that does not fit is simply served the normal way.

:class:`ReadOnlyCdn` serves Solara's front-end packages (``/_solara/cdn/...``, installed by
``solara-assets``) with Starlette's ``StaticFiles``: read-only, a missing file is a 404. Solara's
own asset proxy there fetches a missing file from a CDN at run time and, when it meets a folder
where it expects a file, deletes that folder -- one GET of ``/_solara/cdn/<package>@<version>``
removed a whole package from the venv, blanking every student's page until a reinstall.
"""

from __future__ import annotations

import threading

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles

__all__ = ["CDN_PREFIX", "STATIC_PREFIXES", "ReadOnlyCdn", "StaticCache"]

STATIC_PREFIXES = ("/_solara/cdn/", "/static/", "/jupyter/nbextensions/")


class StaticCache:
    """ASGI middleware: replay the responses for immutable static files (see the module's text).

    ``stats`` counts ``hits`` and ``misses`` (for the tests and the curious).
    """

    def __init__(self, app, *, max_bytes: int = 64 * 2**20, prefixes: tuple[str, ...] = STATIC_PREFIXES):
        self.app, self.max_bytes, self.prefixes = app, int(max_bytes), tuple(prefixes)
        self._store: dict[tuple, tuple[dict, bytes]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.stats = {"hits": 0, "misses": 0}

    def _key(self, scope):
        if scope["type"] != "http" or scope.get("method") != "GET" or not scope["path"].startswith(self.prefixes):
            return None
        headers = dict(scope.get("headers") or [])
        if b"range" in headers:
            return None
        return scope["path"], scope.get("query_string", b""), b"gzip" in headers.get(b"accept-encoding", b"")

    async def __call__(self, scope, receive, send):
        key = self._key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        with self._lock:
            hit = self._store.get(key)
        if hit is not None:
            self.stats["hits"] += 1
            start, body = hit
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        self.stats["misses"] += 1
        start, chunks, complete = None, [], False

        async def capture(message):
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, capture)
        if start is not None and start.get("status") == 200 and complete:
            self._keep(key, start, b"".join(chunks))

    def _keep(self, key, start, body: bytes) -> None:
        with self._lock:
            if key in self._store or self._bytes + len(body) > self.max_bytes:
                return
            self._store[key] = (start, body)
            self._bytes += len(body)

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes


CDN_PREFIX = "/_solara/cdn"


class ReadOnlyCdn:
    """ASGI middleware: answer ``/_solara/cdn/...`` from ``directory`` (read-only, see the module's
    text); every other request goes to ``app``."""

    def __init__(self, app, directory, prefix: str = CDN_PREFIX):
        self.app, self.prefix = app, prefix.rstrip("/")
        self.files = StaticFiles(directory=str(directory), check_dir=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and (scope["path"] + "/").startswith(self.prefix + "/"):
            # as Starlette's Mount does: the prefix becomes the root path, the file is what follows
            sub = {**scope, "root_path": scope.get("root_path", "") + self.prefix}
            try:
                response = await self.files.get_response(self.files.get_path(sub), sub)
            except HTTPException as err:  # a missing file or a folder: 404, nothing else happens
                response = PlainTextResponse(err.detail, status_code=err.status_code)
            return await response(sub, receive, send)
        return await self.app(scope, receive, send)
