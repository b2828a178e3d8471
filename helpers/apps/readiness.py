"""The health route says "not yet" while the server warms up (ASGI middleware).

A proxy (HAProxy's health check), Kubernetes' readiness probe and :func:`helpers.apps.server.start`
send students, or tests, to a process once ``/readyz`` answers 200. While :data:`WARMING` is set
(:mod:`helpers.apps.warmup` traces every page's first view, seconds of both cores), the route
answers 503 instead, so a process that has just started or been restarted joins the class only
when no student's first view costs a trace. Everything else passes through unchanged: a page
opened directly meanwhile works, and its start page says the server is warming up.

Example:
    >>> WARMING.is_set()
    False
"""

from __future__ import annotations

import threading

from .workers import HEALTH_PATH

__all__ = ["WARMING", "Readiness"]

# set while helpers.apps.warmup traces the pages' default views (the start page says so)
WARMING = threading.Event()
_NOT_YET = b"warming up"


class Readiness:
    """Answer ``GET /readyz`` with 503 while :data:`WARMING` is set; pass everything else to ``app``."""

    def __init__(self, app, warming: threading.Event = WARMING):
        self.app, self.warming = app, warming

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope.get("path") == HEALTH_PATH and scope.get("method") in ("GET", "HEAD")
                and self.warming.is_set()):
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(_NOT_YET)).encode()),
                                    (b"cache-control", b"no-store"), (b"retry-after", b"2")]})
            await send({"type": "http.response.body", "body": _NOT_YET})
            return
        await self.app(scope, receive, send)
