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

from starlette.responses import PlainTextResponse

from .workers import HEALTH_PATH

__all__ = ["WARMING", "Readiness"]

# set while helpers.apps.warmup traces the pages' default views (the start page says so)
WARMING = threading.Event()


class Readiness:
    """Answer ``GET /readyz`` with 503 while :data:`WARMING` is set; pass everything else to ``app``."""

    def __init__(self, app, warming: threading.Event = WARMING):
        self.app, self.warming = app, warming

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope.get("path") == HEALTH_PATH and scope.get("method") in ("GET", "HEAD")
                and self.warming.is_set()):
            response = PlainTextResponse("warming up", status_code=503,
                                         headers={"cache-control": "no-store", "retry-after": "2"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
