"""Websocket messages checked before Solara reads them (ASGI middleware), and idle sockets closed.

A page's widget messages arrive on the kernel websocket as JSON text, or -- when they carry
binary buffers (an uploaded photo) -- in Jupyter's binary framing: a 4-byte count ``n``, ``n``
4-byte offsets, the JSON, then the buffers. Solara builds a ``struct`` format ``n`` characters
long from that count without a bound (Python then caches it: one 4-byte frame claiming 2**22
buffers kept +136 MB after its socket closed). :class:`FrameLimits` checks each message first:

* the buffer count is at most ``max_buffers`` (the classroom's widgets send at most one buffer:
  an upload's content), the offsets start after the header, never go backwards and stay inside
  the message;
* the JSON part (or a text message) is at most ``max_json_bytes`` (widget updates are a few
  hundred bytes; the limit also bounds what ``json.loads`` builds from one message).

A message that breaks a rule -- no browser's page sends one -- closes that socket (code 1008 with
the reason); everything else passes through unchanged. A socket on which the page sent nothing for
``idle_seconds`` is closed too (code 1001), so an abandoned tab's kernel is culled in minutes: the
page's own traffic (every widget change) keeps it open, a reload opens a fresh one.

Example:
    >>> import struct
    >>> check_frame(struct.pack("!II", 1, 8) + b"{}", max_buffers=2, max_json_bytes=100) is None
    True
    >>> check_frame(struct.pack("!I", 2**22), max_buffers=2, max_json_bytes=100)
    '4194304 binary buffers in one message (at most 2 accepted)'
"""

from __future__ import annotations

import asyncio
import struct
import time

__all__ = ["FrameLimits", "check_frame", "KERNEL_SOCKET_PREFIX"]

KERNEL_SOCKET_PREFIX = "/jupyter/api/kernels/"


def check_frame(data, *, max_buffers: int, max_json_bytes: int) -> str | None:
    """Why a websocket message ``data`` (str or bytes) is refused, or None when it is acceptable."""
    if isinstance(data, str):
        if len(data) <= max_json_bytes // 4:  # at most 4 bytes a character: short enough, no need to encode
            return None
        size = len(data.encode("utf-8", "surrogatepass"))
        return None if size <= max_json_bytes else f"a {size}-byte text message (at most {max_json_bytes})"
    if len(data) < 4:
        return f"a {len(data)}-byte binary message (no header)"
    (count,) = struct.unpack("!I", data[:4])
    if not 1 <= count <= max_buffers + 1:
        return f"{count} binary buffers in one message (at most {max_buffers} accepted)"
    header = 4 * (count + 1)
    if len(data) < header:
        return "a binary message shorter than its own header"
    offsets = struct.unpack(f"!{count}I", data[4:header])
    ends = list(offsets[1:]) + [len(data)]
    if offsets[0] != header or any(b < a for a, b in zip(offsets, ends)):  # the last end is the message's
        return "binary offsets outside the message"
    if ends[0] - offsets[0] > max_json_bytes:
        return f"a {ends[0] - offsets[0]}-byte JSON part (at most {max_json_bytes})"
    return None


class FrameLimits:
    """ASGI middleware: the checks of the module's text on the kernel websockets."""

    def __init__(self, app, *, max_buffers: int = 2, max_json_bytes: int = 256 * 1024,
                 idle_seconds: float | None = 30 * 60, prefix: str = KERNEL_SOCKET_PREFIX):
        self.app, self.prefix = app, prefix
        self.max_buffers, self.max_json_bytes = int(max_buffers), int(max_json_bytes)
        self.idle_seconds = idle_seconds
        self.stats = {"refused": 0, "idle_closed": 0}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        last = [time.monotonic()]
        closed = asyncio.Event()

        async def checked_receive():
            while True:
                message = await receive()
                if message["type"] != "websocket.receive":
                    if message["type"] == "websocket.disconnect":
                        closed.set()
                    return message
                last[0] = time.monotonic()
                data = message.get("bytes")
                why = check_frame(message.get("text") if data is None else data, max_buffers=self.max_buffers,
                                  max_json_bytes=self.max_json_bytes)
                if why is None:
                    return message
                self.stats["refused"] += 1
                closed.set()
                await send({"type": "websocket.close", "code": 1008, "reason": f"message refused: {why}"[:120]})
                return {"type": "websocket.disconnect", "code": 1008}

        async def tracked_send(message):
            if message["type"] == "websocket.close":
                closed.set()
            await send(message)

        watchdog = None
        if self.idle_seconds:
            watchdog = asyncio.ensure_future(self._close_when_idle(last, closed, send))
        try:
            await self.app(scope, checked_receive, tracked_send)
        finally:
            closed.set()
            if watchdog is not None:
                watchdog.cancel()

    async def _close_when_idle(self, last, closed, send):
        while not closed.is_set():
            left = last[0] + self.idle_seconds - time.monotonic()
            if left > 0:
                try:
                    await asyncio.wait_for(closed.wait(), timeout=min(left, 60.0))
                except asyncio.TimeoutError:
                    pass
                continue
            self.stats["idle_closed"] += 1
            closed.set()
            try:
                await send({"type": "websocket.close", "code": 1001, "reason": "closed after a long pause: reload"})
            except Exception:  # the socket went away meanwhile
                pass
            return
