"""The classroom server's checks, each as plain ASGI middleware in this process (no Solara):
host and origin (helpers.apps.origin), websocket message limits and idle sockets
(helpers.apps.frames), seats (helpers.apps.seats), the read-only front end (helpers.apps.assets)
and the class code's redirect and back-off (helpers.apps.guard). The same checks against the real
server are in tests/apps/test_hostile.py."""
from __future__ import annotations

import asyncio
import struct
import time
import types
import warnings

import pytest

with warnings.catch_warnings():  # starlette >= 1.0 suggests httpx2 for its TestClient; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from helpers.apps.frames import FrameLimits, check_frame
from helpers.apps.guard import ClassCodeMiddleware
from helpers.apps.origin import HostAndOrigin, host_name, same_origin
from helpers.apps.seats import SESSION_COOKIE, Seats


def _app(received=None):
    async def page(request):
        return PlainTextResponse(f"{request.method} {request.url.path}")

    async def socket_(websocket):
        await websocket.accept()
        while True:
            try:
                message = await websocket.receive()
            except WebSocketDisconnect:
                return
            if message["type"] == "websocket.disconnect":
                return
            if received is not None:
                received.append(message.get("bytes") or message.get("text"))
            await websocket.send_text("ok")

    return Starlette(routes=[Route("/{path:path}", page, methods=["GET", "POST"]),
                             WebSocketRoute("/jupyter/api/kernels/{kid}/channels", socket_)])


# -- host and origin ------------------------------------------------------------------------------
@pytest.mark.parametrize("host, name", [("127.0.0.1:8765", "127.0.0.1"), ("[::1]:8765", "::1"), ("[::1]", "::1"),
                                        ("LOCALHOST", "localhost"), ("evil.example:80", "evil.example"),
                                        ("::1", "::1")])
def test_host_names_are_read_as_browsers_send_them(host, name):
    assert host_name(host) == name


def test_same_origin_is_scheme_host_and_port():
    assert same_origin("http://127.0.0.1:8765", "127.0.0.1:8765")
    assert same_origin("http://[::1]:8765", "[::1]:8765")
    for other in ("http://127.0.0.1:9999", "https://127.0.0.1:8765", "http://evil.example", "null", "",
                  "http://127.0.0.1:8765/path", "http://127.0.0.1:8765@evil.example"):
        assert not same_origin(other, "127.0.0.1:8765"), other


def test_loopback_serves_only_its_own_names_and_pages():
    client = TestClient(HostAndOrigin(_app()), base_url="http://127.0.0.1:8765")
    assert client.get("/gradcam").text == "GET /gradcam"
    assert client.get("/", headers={"Host": "[::1]:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    # a page from another site may link here (GET), but not post or open the websocket
    assert client.get("/", headers={"Origin": "http://evil.example"}).status_code == 200
    assert client.post("/x", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/x", headers={"Origin": "http://127.0.0.1:8765"}).status_code == 200
    assert client.post("/x").status_code == 200  # a program, not a web page
    here = {"Host": "127.0.0.1:8765"}
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/jupyter/api/kernels/k/channels", headers={**here, "Origin": "http://evil.example"}):
            pass
    assert refused.value.code == 1008 and "another web site" in refused.value.reason
    ours = {**here, "Origin": "http://127.0.0.1:8765"}
    with client.websocket_connect("/jupyter/api/kernels/k/channels", headers=ours) as ws:
        ws.send_text("{}")
        assert ws.receive_text() == "ok"


def test_lan_mode_accepts_any_host_but_still_checks_origins():
    client = TestClient(HostAndOrigin(_app(), allowed_hosts=None), base_url="http://192.168.1.5:8765")
    assert client.get("/").status_code == 200
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/jupyter/api/kernels/k/channels", headers={"Origin": "http://evil.example"}):
            pass


# -- websocket messages ---------------------------------------------------------------------------
def _binary(*parts: bytes) -> bytes:
    offsets, at = [], 4 * (len(parts) + 1)
    for p in parts:
        offsets.append(at)
        at += len(p)
    return struct.pack(f"!I{len(parts)}I", len(parts), *offsets) + b"".join(parts)


def test_check_frame_on_hand_built_messages():
    limits = {"max_buffers": 2, "max_json_bytes": 1000}
    assert check_frame('{"a": 1}', **limits) is None
    assert check_frame(_binary(b"{}"), **limits) is None
    assert check_frame(_binary(b"{}", b"photo", b"x"), **limits) is None      # JSON + 2 buffers
    assert "buffers" in check_frame(_binary(b"{}", b"a", b"b", b"c"), **limits)
    assert "buffers" in check_frame(struct.pack("!I", 2**22), **limits)       # the 4-byte bomb
    assert "buffers" in check_frame(struct.pack("!I", 0), **limits)
    assert "header" in check_frame(b"\x00\x00", **limits)
    assert "shorter" in check_frame(struct.pack("!II", 2, 12), **limits)
    assert "outside" in check_frame(struct.pack("!III", 2, 12, 10**6) + b"{}", **limits)   # past the end
    assert "outside" in check_frame(struct.pack("!III", 2, 14, 12) + b"{}", **limits)      # backwards
    assert "outside" in check_frame(struct.pack("!II", 1, 4) + b"{}", **limits)            # JSON inside the header
    assert "JSON" in check_frame(_binary(b" " * 1001), **limits)
    assert "text" in check_frame("x" * 1001, **limits) and check_frame("x" * 1000, **limits) is None
    assert "text" in check_frame("é" * 501, **limits)                         # counted in bytes (UTF-8)


def test_refused_messages_close_that_socket_and_never_reach_the_app():
    received = []
    client = TestClient(FrameLimits(_app(received), max_json_bytes=1000, idle_seconds=None))
    with client.websocket_connect("/jupyter/api/kernels/k/channels") as ws:
        ws.send_bytes(_binary(b'{"ok": 1}', b"photo"))
        assert ws.receive_text() == "ok"
        ws.send_bytes(struct.pack("!I", 2**22))
        closed = ws.receive()
    assert closed["type"] == "websocket.close" and closed["code"] == 1008 and "buffers" in closed["reason"]
    assert received == [_binary(b'{"ok": 1}', b"photo")]
    with client.websocket_connect("/jupyter/api/kernels/k2/channels") as ws:  # a fresh socket is served
        ws.send_text("x" * 999)
        assert ws.receive_text() == "ok"


def test_a_silent_socket_is_closed_after_the_idle_time():
    limits = FrameLimits(_app(), idle_seconds=0.5)
    client = TestClient(limits)
    with client.websocket_connect("/jupyter/api/kernels/k/channels") as ws:
        for _ in range(3):  # traffic keeps it open past the idle time
            time.sleep(0.3)
            ws.send_text("{}")
            assert ws.receive_text() == "ok"
        t0 = time.time()
        closed = ws.receive()
    assert closed["type"] == "websocket.close" and closed["code"] == 1001 and 0.3 < time.time() - t0 < 3
    assert limits.stats["idle_closed"] == 1


# -- seats ----------------------------------------------------------------------------------------
class FakeKernels:
    """Kernels as Seats sees them; a websocket that reaches the app makes its kernel (as Solara does)."""

    def __init__(self):
        self.kernels, self.closed = {}, []

    def __call__(self):
        return list(self.kernels.values())

    def close(self, kid):
        self.closed.append(kid)
        self.kernels.pop(kid, None)
        return True

    def app(self):
        async def app(scope, receive, send):
            if scope["type"] == "websocket":
                kid = scope["path"].split("/")[4]
                header = dict(scope["headers"]).get(b"cookie", b"").decode()
                cookie = dict(h.split("=", 1) for h in header.split("; ") if h)
                self.kernels.setdefault(kid, types.SimpleNamespace(id=kid, session=cookie.get(SESSION_COOKIE),
                                                                   connected=True, since=time.monotonic()))
                await receive()
                await send({"type": "websocket.accept"})
                while (await receive())["type"] != "websocket.disconnect":
                    pass
                return
            await PlainTextResponse("page")(scope, receive, send)

        return app


def _open(client, kid, browser):
    return client.websocket_connect(f"/jupyter/api/kernels/{kid}/channels?session_id=p",
                                    headers={"Cookie": f"{SESSION_COOKIE}={browser}"} if browser else {})


def _refused(client, kid, browser) -> str:
    with _open(client, kid, browser) as ws:
        message = ws.receive()
    assert message["type"] == "websocket.close" and message["code"] == 1013
    return message["reason"]


def test_seats_per_browser_in_total_and_per_tab():
    fake = FakeKernels()
    seats = Seats(fake.app(), max_kernels=3, per_browser=2, sockets_per_kernel=1, kernels=fake, close=fake.close)
    client = TestClient(seats)
    assert "cookies" in _refused(client, "k0", None)
    with _open(client, "a1", "ann"), _open(client, "a2", "ann"):
        assert "too many tabs" in _refused(client, "a3", "ann")     # both of ann's tabs are open
        assert "connections" in _refused(client, "a1", "ann")       # one socket per tab here
        with _open(client, "b1", "bob"):
            assert "full" in _refused(client, "c1", "cat")          # 3 of 3 seats, all connected
            assert client.get("/gradcam").status_code == 503 and "class is full" in client.get("/").text
            assert client.get("/gradcam", headers={"Cookie": f"{SESSION_COOKIE}=bob"}).status_code == 200  # a reload
            assert client.get("/static/main.js").status_code == 200  # files are not pages
    assert fake.closed == []


def test_a_new_tab_takes_the_seat_of_an_abandoned_one():
    fake = FakeKernels()
    seats = Seats(fake.app(), max_kernels=2, per_browser=2, kernels=fake, close=fake.close)
    client = TestClient(seats)
    with _open(client, "a1", "ann"):
        pass
    with _open(client, "a2", "ann"):
        pass
    fake.kernels["a1"].connected = fake.kernels["a2"].connected = False   # ann reloaded twice
    with _open(client, "a3", "ann"):                                     # her oldest abandoned kernel goes
        assert fake.closed == ["a1"]
        with _open(client, "b1", "bob"):                                  # the class is full: a2 was abandoned
            assert fake.closed == ["a1", "a2"] and sorted(fake.kernels) == ["a3", "b1"]
            assert "full" in _refused(client, "c1", "cat")
    assert seats.stats["evicted"] == 2


def test_seat_limits_are_checked():
    with pytest.raises(ValueError, match=r"max_kernels must be in 1\.\.inf, got 0"):
        Seats(_app(), max_kernels=0)
    with pytest.raises(TypeError, match="per_browser"):
        Seats(_app(), max_kernels=2, per_browser=2.5)


# -- the class code ---------------------------------------------------------------------------------
def _request(app, path: str, query: str = "", client=("10.0.0.7", 1234)) -> dict:
    """One raw HTTP request through ``app`` (a path exactly as sent, which HTTP clients would
    rewrite); returns the response's start message."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "headers": [(b"host", b"x")], "client": client, "server": ("x", 80), "scheme": "http", "root_path": ""}
    asyncio.run(app(scope, receive, send))
    return sent[0]


def test_the_redirect_never_leaves_this_server():
    guard = ClassCodeMiddleware(_app(), "a-long-class-code")
    for path, target in [("//evil.example/x", "/evil.example/x"), ("/\\evil.example", "/%5Cevil.example"),
                         ("\\\\evil", "/%5C%5Cevil"), ("/gradcam", "/gradcam"), ("///x", "/x")]:
        start = _request(guard, path, "code=a-long-class-code&x=1")
        location = dict(start["headers"])[b"location"].decode()
        assert start["status"] == 303 and location == target + "?x=1", path
        assert location[1] not in "/\\", location  # a browser reads neither // nor /\ as this server


def test_wrong_codes_wait_longer_each_time_and_a_right_one_clears_it():
    guard = ClassCodeMiddleware(_app(), "a-long-class-code", first_delay=0.05, max_delay=0.4)
    client = TestClient(guard, follow_redirects=False)
    times = []
    for i in range(5):
        t0 = time.perf_counter()
        assert client.get(f"/?code=guess{i}").status_code == 403
        times.append(time.perf_counter() - t0)
    assert times[0] >= 0.04 and times[1] >= 0.09 and times[2] >= 0.19 and times[3] >= 0.39
    assert times[4] < 0.4 + 0.3  # capped at max_delay
    assert client.get("/?code=a-long-class-code").status_code == 303
    t0 = time.perf_counter()
    client.get("/?code=guess-after")
    assert time.perf_counter() - t0 < 0.2  # the count started again


def test_guesses_while_one_waits_are_refused_unchecked():
    guard = ClassCodeMiddleware(_app(), "a-long-class-code", first_delay=0.5, max_delay=0.5)

    async def guess(code):
        return (await asyncio.to_thread(_request, guard, "/", f"code={code}"))["status"]

    async def many():
        first = asyncio.ensure_future(guess("g0"))
        await asyncio.sleep(0.1)  # the first wrong guess is waiting now
        rest = await asyncio.gather(*(guess(f"g{i}") for i in range(1, 5)), guess("a-long-class-code"))
        return [await first, *rest]

    statuses = asyncio.run(many())
    assert statuses[0] == 403 and statuses[1:] == [429] * 5  # even the right code waits its turn
