"""A student's browser, spoken in Python: the classroom server's own websocket protocol, no browser.

What Solara's page does (read off its front end and checked against the server's replies): GET
the page (the server sets the ``solara-session-id`` cookie), open the kernel websocket
``/jupyter/api/kernels/<new uuid>/channels?session_id=<uuid>``, send ``kernel_info_request``,
then ``comm_open`` on target ``solara.control`` and a ``comm_msg`` ``{"method": "run", "args":
{"path": ...}}`` on it;
the server answers with a ``comm_open`` per widget (its state included) and ``comm_msg`` updates.
A control changes with ``comm_msg`` ``{"method": "update", "state": ...}`` on the widget's comm
id, a button click with ``{"method": "custom", "content": {"event": "click"}}``; ipywidgets'
``jupyter.widget.control`` comm answers ``request_states`` with every widget's state.

Used by the hostile-input tests (tests/apps/test_hostile.py) and any load test: a
``Student`` costs a few milliseconds of CPU per message, where a Chromium page costs seconds.
Traffic goes to the address given (the tests use 127.0.0.1 only).
"""

from __future__ import annotations

import inspect
import json
import struct
import time
import urllib.request
import uuid
from http.cookies import SimpleCookie

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

# websockets >= 16 warns unless a connection kept outside a ``with`` block says so
_DIRECT = {"legacy": True} if "legacy" in inspect.signature(connect).parameters else {}


def serialize(msg: dict, buffers=()) -> bytes | str:
    """A Jupyter message as the browser sends it: JSON text, or the binary framing with buffers
    (4-byte count, 4-byte offsets, the JSON, then each buffer)."""
    body = json.dumps(msg).encode()
    if not buffers:
        return body.decode()
    parts = [body, *map(bytes, buffers)]
    offsets, at = [], 4 * (len(parts) + 1)
    for part in parts:
        offsets.append(at)
        at += len(part)
    return struct.pack(f"!I{len(parts)}I", len(parts), *offsets) + b"".join(parts)


def deserialize(frame) -> dict:
    if isinstance(frame, str):
        return json.loads(frame)
    (n,) = struct.unpack("!I", frame[:4])
    offsets = list(struct.unpack(f"!{n}I", frame[4:4 * (n + 1)])) + [len(frame)]
    parts = [frame[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    msg = json.loads(parts[0])
    msg["buffers"] = parts[1:]
    return msg


class Student:
    """One browser tab of the classroom app at ``base`` (e.g. ``http://127.0.0.1:8765``).

    ``cookies`` are sent with every request (the class-code cookie in LAN mode); ``origin`` is the
    websocket's ``Origin`` header (a browser always sends its page's origin; None sends none).
    """

    def __init__(self, base: str, *, cookies: dict | None = None, origin: str | None = "same", timeout=60.0):
        self.base = base.rstrip("/")
        self.cookies = dict(cookies or {})
        self.origin = self.base if origin == "same" else origin
        self.timeout = timeout
        self.ws = None
        self.kernel_id = self.page_id = None
        self.widgets: dict[str, dict] = {}   # comm id -> {"model": name, "state": {...}}
        self.received: list[dict] = []

    # -- HTTP ------------------------------------------------------------------------------
    def get(self, path: str, headers: dict | None = None):
        """GET ``path``; returns (status, headers, body). Cookies the server sets are kept."""
        request = urllib.request.Request(self.base + path, headers={**self._cookie_header(), **(headers or {})})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=self.timeout) as r:
                status, head, body = r.status, r.headers, r.read()
        except urllib.error.HTTPError as err:
            status, head, body = err.code, err.headers, err.read()
        for value in head.get_all("set-cookie") or []:
            for key, morsel in SimpleCookie(value).items():
                self.cookies[key] = morsel.value
        return status, head, body

    def _cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    # -- the kernel websocket ------------------------------------------------------------------
    def connect(self, kernel_id: str | None = None, headers: dict | None = None):
        """Open the kernel websocket (a new kernel unless ``kernel_id`` reconnects to one)."""
        self.kernel_id = kernel_id or str(uuid.uuid4())
        self.page_id = str(uuid.uuid4())
        path = f"/jupyter/api/kernels/{self.kernel_id}/channels?session_id={self.page_id}"
        url = self.base.replace("http", "ws", 1) + path
        self.ws = connect(url, origin=self.origin, additional_headers={**self._cookie_header(), **(headers or {})},
                          max_size=None, open_timeout=self.timeout, close_timeout=2, **_DIRECT)
        return self

    def open(self, page: str = "/gradcam", *, quiet: float = 1.5):
        """What a browser does to show ``page``: GET it, open a kernel, run the page; returns self
        once the server has been quiet for ``quiet`` seconds (every widget received)."""
        status, _, _ = self.get(page)
        if status != 200:
            raise RuntimeError(f"GET {page} answered {status}")
        self.connect()
        self.send("kernel_info_request", {})
        control = str(uuid.uuid4())
        self.send("comm_open", {"comm_id": control, "target_name": "solara.control", "data": {}})
        self.send("comm_msg", {"comm_id": control, "data": {"method": "run", "args": {"path": page}}})
        self.settle(quiet)
        return self

    def send(self, msg_type: str, content: dict, buffers=(), metadata: dict | None = None) -> str:
        msg_id = str(uuid.uuid4())
        msg = {"channel": "shell", "header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.page_id,
                                              "username": "student", "date": "2026-01-01T00:00:00Z",
                                              "version": "5.3"},
               "parent_header": {}, "metadata": metadata or {}, "content": content, "buffers": []}
        self.ws.send(serialize(msg, buffers))
        return msg_id

    def send_raw(self, frame) -> None:
        self.ws.send(frame)

    def update(self, comm_id: str, state: dict, buffers=(), buffer_paths=()) -> str:
        """Change a widget's state as the browser does (``comm_msg`` method ``update``); returns the
        message's id (the parent of the kernel's ``busy`` / ``idle`` statuses for it)."""
        return self.send("comm_msg", {"comm_id": comm_id, "data": {
            "method": "update", "state": state, "buffer_paths": [list(p) for p in buffer_paths]}}, buffers)

    def click(self, comm_id: str) -> None:
        self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}})

    def request_states(self, timeout: float = 20.0) -> dict | None:
        """Open ipywidgets' control comm and ask for every widget's state, as a reconnecting page
        does; returns the ``update_states`` reply addressed to this comm, or None if none came."""
        comm_id = str(uuid.uuid4())
        self.send("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
                  metadata={"version": "1.0.0"})
        self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        reply = self.recv_until(lambda m: m["header"]["msg_type"] == "comm_msg"
                                and m["content"].get("comm_id") == comm_id, timeout)
        return None if reply is None else reply["content"]["data"]

    def recv(self, timeout: float):
        """The next message (None when ``timeout`` passes; raises ConnectionClosed when closed)."""
        try:
            frame = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        msg = deserialize(frame)
        self.received.append(msg)
        self._track(msg)
        return msg

    def recv_until(self, predicate, timeout: float):
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = self.recv(left)
            if msg is not None and predicate(msg):
                return msg
        return None

    def settle(self, quiet: float = 1.0, limit: float | None = None) -> int:
        """Read until the server has been quiet for ``quiet`` seconds; returns the messages read."""
        deadline = time.monotonic() + (limit or self.timeout)
        count = 0
        while time.monotonic() < deadline and self.recv(quiet) is not None:
            count += 1
        return count

    def closed(self, timeout: float = 10.0):
        """The close code if the server closes this socket within ``timeout``, else None."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.recv(min(0.5, max(deadline - time.monotonic(), 0.01)))
        except ConnectionClosed as err:
            return err.rcvd.code if err.rcvd is not None else 1006
        return None

    def _track(self, msg: dict) -> None:
        kind, content = msg["header"]["msg_type"], msg.get("content", {})
        data = content.get("data", {})
        if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            state = _with_buffers(data.get("state", {}), data.get("buffer_paths", []), msg.get("buffers", []))
            self.widgets[content["comm_id"]] = {"model": state.get("_model_name"), "state": state}
        elif kind == "comm_msg" and content.get("comm_id") in self.widgets and data.get("method") == "update":
            state = _with_buffers(data.get("state", {}), data.get("buffer_paths", []), msg.get("buffers", []))
            self.widgets[content["comm_id"]]["state"].update(state)

    # -- finding widgets -------------------------------------------------------------------
    def find(self, model: str, **state) -> str:
        """The comm id of the one widget of ``model`` (e.g. "IntSliderModel") whose state has ``state``."""
        hits = [cid for cid, w in self.widgets.items() if w["model"] == model
                and all(w["state"].get(k) == v for k, v in state.items())]
        if len(hits) != 1:
            raise LookupError(f"{len(hits)} widgets {model} with {state}")
        return hits[0]

    def state(self, comm_id: str) -> dict:
        return self.widgets[comm_id]["state"]

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None


def _with_buffers(state: dict, paths, buffers) -> dict:
    """``state`` with each binary buffer put back where its path says (as ipywidgets does)."""
    state = dict(state)
    for path, buffer in zip(paths, buffers):
        target = state
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = bytes(buffer)
    return state


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
