"""The classroom server against hostile students and hostile web pages, at the protocol level.

Real servers (``scripts/classroom.py`` in a child process) on 127.0.0.1 only: one in loopback mode,
one with a class code. Every student here is tests/kit/student.py speaking the page's own
websocket protocol (no browser), bounded in count and time. Each test is one class of attack:
state crossing students, headers and paths, memory bombs, client-set bounds (also on the composed
pages: occluder, where -> what, debug a model, each of which must answer a move with a new picture
for that student only), server-side writes, seats and slow connections. The in-process checks of
each middleware live in test_classroom.py.
"""
from __future__ import annotations

import concurrent.futures
import socket
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from kit import free_port
from kit.student import Student

from helpers.apps.guard import COOKIE

pytestmark = pytest.mark.server
CODE = "hostile-test-code-42"
SETTINGS = {"CLASSROOM_MAX_STUDENTS": "6", "CLASSROOM_TABS_PER_BROWSER": "3", "CLASSROOM_CULL_MINUTES": "0.2",
            "CLASSROOM_MAX_UPLOAD_MB": "2"}


class Server:
    def __init__(self, proc, base, log):
        self.proc, self.base, self.log = proc, base, log

    def rss_mb(self) -> float:
        return psutil.Process(self.proc.pid).memory_info().rss / 2**20

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")


def _serve(env):
    from helpers.apps.server import start

    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log")
    proc = start(port, env={**SETTINGS, **env}, log=log)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.time() + 100  # the address is printed once every page's first view is warm (so the
    while f":{port}/" not in server.log_text() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)  # tests' memory readings are not the warm-up's)
    return server


def _stop(server):
    server.proc.terminate()
    try:
        server.proc.wait(20)
    except Exception:
        server.proc.kill()
    server.log.close()


@pytest.fixture(scope="module")
def loopback():
    server = _serve({})
    yield server
    _stop(server)


@pytest.fixture(scope="module")
def coded():
    server = _serve({"CLASSROOM_CODE": CODE})
    yield server
    _stop(server)


def _student(server, page="/gradcam", **kwargs):
    return Student(server.base, **kwargs).open(page)


def _wait_for_seats(server, timeout=40.0):
    """Wait until the class is not full (the kernels of the tests before are culled 12 s after
    their sockets closed)."""
    deadline = time.time() + timeout
    while time.time() < deadline and Student(server.base).get("/gradcam")[0] == 503:
        time.sleep(1)


CULL_S = 12 + 2  # CLASSROOM_CULL_MINUTES, and a margin


# -- one student's state never reaches another ---------------------------------------------
@pytest.mark.timeout(300)
def test_reconnecting_students_each_get_only_their_own_widget_states(loopback):
    """ipywidgets' control comm was one for the process: A's reply went out on B's socket."""
    students = [_student(loopback, page) for page in ("/gradcam", "/filters", "/activations", "/gradcam", "/filters")]
    own = [set(s.widgets) for s in students]
    assert all(own) and sum(map(len, own)) == len(set().union(*own))  # nobody shares a widget

    def reconnects(i, times=6):
        replies = []
        for _ in range(times):
            replies.append(students[i].request_states(timeout=20))  # what a page does after each reconnect
        return replies

    with concurrent.futures.ThreadPoolExecutor(len(students)) as pool:  # all at once, as a class on flaky Wi-Fi
        results = list(pool.map(reconnects, range(len(students))))
    for i, replies in enumerate(results):
        assert all(r is not None for r in replies), f"student {i}: a request_states went unanswered"
        other = set().union(*(o for j, o in enumerate(own) if j != i))
        for reply in replies:
            ids = set(reply["states"])
            assert own[i] <= ids and not ids & other, "a reply held widgets that are not this student's"
            assert ids <= set(students[i].widgets), "a reply held widgets this student's page never received"
        foreign = [m for m in students[i].received if m.get("content", {}).get("comm_id") in other]
        assert not foreign, f"student {i} received {len(foreign)} messages of other students' widgets"
    for s in students:
        s.close()


# -- headers and paths ------------------------------------------------------------------------
@pytest.mark.timeout(120)
def test_script_name_and_forwarded_headers_change_nothing_for_anyone(loopback):
    hostile = Student(loopback.base)
    status, _, page = hostile.get("/gradcam", headers={"X-Script-Name": "//other.host", "Script-Name": "//x.host",
                                                       "X-Forwarded-Host": "other.host",
                                                       "X-Forwarded-Proto": "https"})
    assert status == 200 and b"other.host" not in page and b"x.host" not in page
    status, _, later = Student(loopback.base).get("/gradcam")
    assert status == 200 and b"other.host" not in later and b"x.host" not in later
    assert b'src="/static/' in later or b"/static/" in later  # the page's scripts load from this server


@pytest.mark.timeout(120)
def test_the_front_end_is_served_read_only(loopback):
    from solara.server import settings

    folder = Path(settings.assets.proxy_cache_dir) / "@widgetti" / "solara-vuetify-app@10.1.1"
    assert folder.is_dir()
    s = Student(loopback.base)
    package = "/_solara/cdn/@widgetti/solara-vuetify-app@10.1.1"
    for path in (package, package + "/",
                 "/_solara/cdn/no-such-package@1.0.0/index.js", "/_solara/cdn/../../../etc/passwd"):
        assert s.get(path)[0] == 404, path
    assert folder.is_dir() and any(folder.iterdir()), "a GET removed an installed front-end package"
    assert s.get("/_solara/cdn/requirejs@2.3.6/require.js")[0] == 200
    assert "Could not load URL" not in loopback.log_text()  # nothing was fetched


@pytest.mark.timeout(120)
def test_websockets_and_posts_from_another_web_site_are_refused(loopback, coded):
    from websockets.exceptions import InvalidStatus

    for server in (loopback, coded):
        cookies = {}
        if server is coded:
            probe = Student(server.base)
            probe.get(f"/?code={CODE}")
            cookies = {COOKIE: probe.cookies[COOKIE]}
        page = Student(server.base, cookies=cookies, origin="http://evil.example")
        assert page.get("/gradcam")[0] == 200
        with pytest.raises(InvalidStatus) as refused:
            page.connect()
        assert refused.value.response.status_code == 403
        assert Student(server.base, cookies=cookies, origin="null").get("/gradcam")[0] == 200
    # a program (no Origin) and our own page (same origin) are served
    for origin in (None, "same"):
        s = Student(loopback.base, origin=origin).open("/gradcam")
        assert s.widgets
        s.close()
    # a cross-site POST (an unload beacon forged by another page) is refused
    import urllib.request

    request = urllib.request.Request(loopback.base + "/_solara/api/close/x?session_id=y", data=b"", method="POST",
                                     headers={"Origin": "http://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as forbidden:
        urllib.request.urlopen(request, timeout=10)
    assert forbidden.value.code == 403


@pytest.mark.timeout(60)
def test_only_this_computers_names_are_served_on_loopback(loopback):
    s = Student(loopback.base)
    port = loopback.base.rsplit(":", 1)[1]
    assert s.get("/", headers={"Host": f"localhost:{port}"})[0] == 200
    assert s.get("/", headers={"Host": f"[::1]:{port}"})[0] == 200  # IPv6 loopback
    assert s.get("/", headers={"Host": "evil.example"})[0] == 400  # DNS rebinding


@pytest.mark.timeout(60)
def test_the_class_code_redirect_stays_on_this_server_and_guesses_are_slowed(coded):
    s = Student(coded.base)
    status, headers, _ = s.get(f"//other.host/x?code={CODE}")
    assert status == 303 and headers["location"] == "/other.host/x"
    guesser = Student(coded.base)
    t0 = time.time()
    answers = [guesser.get(f"/?code=wrong-guess-{i}")[0] for i in range(5)]
    assert answers == [403] * 5 and time.time() - t0 >= 0.25 + 0.5 + 1 + 2 + 4 - 0.5  # doubling waits
    def spoofed(i):  # another address claimed in X-Forwarded-For changes nothing (no proxy is trusted)
        return Student(coded.base).get(f"/?code=parallel-{i}", headers={"X-Forwarded-For": f"10.0.0.{i}"})[0]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:  # while one guess waits, others are not even checked
        statuses = list(pool.map(spoofed, range(4)))
    assert statuses.count(429) >= 2 and set(statuses) <= {403, 429}


# -- memory bombs ---------------------------------------------------------------------------
@pytest.mark.timeout(180)
def test_malformed_frames_close_that_socket_and_keep_no_memory(loopback):
    _wait_for_seats(loopback)
    before = loopback.rss_mb()
    for frame in (struct.pack("!I", 2**22),                       # claims 4 million buffers
                  struct.pack("!II", 2, 10**9) + b"{}",            # offsets past the end
                  b"\x00\x00",                                     # no header
                  "[" * 300_000):                                   # a 300 KB text message
        s = Student(loopback.base).open("/gradcam", quiet=0.5)
        s.send_raw(frame)
        assert s.closed(10) == 1008, frame[:8]
    victim = _student(loopback)                                       # the server is fine for the next one
    assert victim.widgets
    victim.close()
    assert loopback.rss_mb() - before < 60, "malformed frames left memory behind"


def _upload(student, name: str, content: bytes) -> str:
    upload = student.find("FileUploadModel")
    entry = {"name": name, "type": "image/png", "size": len(content), "last_modified": 0}
    student.update(upload, {"value": [entry]}, buffers=[content], buffer_paths=[["value", 0, "content"]])
    student.settle(2.0, limit=60)
    return " ".join(str(w["state"].get("value", "")) for w in student.widgets.values() if w["model"] == "HTMLModel")


def _png16_rgba_claiming(width, height) -> bytes:
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(2**20), 9))
            + chunk(b"IEND", b""))


@pytest.mark.timeout(240)
def test_hostile_uploads_get_a_message_and_cost_no_memory(loopback):
    _wait_for_seats(loopback)
    s = _student(loopback, "/activations")
    before = loopback.rss_mb()
    text = _upload(s, "bomb.png", _png16_rgba_claiming(7000, 7000))
    assert "bomb.png" in text or "pixels" in text or "MB" in text, text[:400]
    hdr = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 7000 +X 9000\n" + bytes(4096)
    text = _upload(s, "sky.hdr", hdr)
    assert "JPEG" in text and "PNG" in text, text[:400]  # says which formats are accepted
    text = _upload(s, "big.png", b"\x89PNG" + bytes(3 * 2**20))  # over the 2 MB cap, under the socket limit
    assert "2 MB" in text, text[:400]
    assert s.closed(1) is None, "an upload over the cap closed the student's socket"
    assert loopback.rss_mb() - before < 150
    s.close()


# -- the server owns the bounds, and writes nothing -----------------------------------------
@pytest.mark.timeout(240)
def test_client_set_bounds_and_pictures_are_ignored(loopback):
    _wait_for_seats(loopback)
    s = _student(loopback, "/filters")
    steps, image = s.find("IntSliderModel", description="steps"), s.find("ImageModel")
    s.update(steps, {"max": 10000, "value": 5081})
    s.update(image, {"width": "99999"}, buffers=[b"not a picture"], buffer_paths=[["value"]])
    s.settle(2.0)
    server = s.request_states()["states"]  # what the server holds (it does not echo a client's own update)
    assert server[steps]["state"]["max"] == 200 and server[steps]["state"]["value"] <= 200
    assert server[image]["state"].get("width") != "99999"
    assert s.state(image)["value"] != b"not a picture"
    # a browser cannot make the server build widgets
    before = len(s.widgets)
    s.send("comm_open", {"comm_id": "f" * 32, "target_name": "jupyter.widget",
                         "data": {"state": {"_model_name": "IntSliderModel", "_view_name": "IntSliderView",
                                            "_model_module": "@jupyter-widgets/controls",
                                            "_model_module_version": "2.0.0", "value": 1}, "buffer_paths": []}},
           metadata={"version": "2.1.0"})
    s.settle(1.0)
    assert len(s.widgets) == before and "f" * 32 not in (s.request_states() or {}).get("states", {})
    s.close()


# -- the composed pages: a move answers that student only, the server keeps the bounds ------------
def _wait_for_free_seats(server, n: int, timeout: float = 60.0) -> None:
    """Wait until ``n`` students can join (the kernels of earlier tests are culled after CULL_S)."""
    deadline = time.time() + timeout
    while _kernels(server) > int(SETTINGS["CLASSROOM_MAX_STUDENTS"]) - n and time.time() < deadline:
        time.sleep(1)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page, slider", [("/occluder", "left"), ("/where_what", "col"), ("/debug", "picture")])
def test_each_new_page_answers_a_move_with_a_new_picture_for_that_student_only(loopback, page, slider):
    log = loopback.log_text()  # the warm-up finished before the address was printed
    assert log.index("every page's first view is ready") < log.index(loopback.base.rsplit(":", 1)[1] + "/")
    _wait_for_free_seats(loopback, 2)
    ann, bob = _student(loopback, page), _student(loopback, page)
    shown = []
    for k, s in enumerate((ann, bob), start=1):
        view, control = s.find("ImageModel", format="jpeg"), s.find("IntSliderModel", description=slider)
        before, state = s.state(view)["value"], s.state(control)
        steps = state["max"] - state["min"] + 1
        s.update(control, {"value": state["min"] + (state["value"] - state["min"] + k * steps // 3) % steps})
        s.settle(2.0, limit=90)
        assert s.state(view)["value"] != before, f"{page}: moving {slider!r} drew no new picture"
        shown.append((view, s.state(view)["value"]))
    assert shown[0][1] != shown[1][1]
    ann.settle(1.0)
    assert ann.state(shown[0][0])["value"] == shown[0][1], "ann's picture changed when bob moved"
    for me, other in ((ann, bob), (bob, ann)):
        foreign = set(other.widgets)
        assert not any(m.get("content", {}).get("comm_id") in foreign for m in me.received)
    for s in (ann, bob):
        s.close()


@pytest.mark.timeout(300)
def test_the_slow_work_of_the_new_pages_comes_back_through_the_pool(loopback):
    """Where -> what's filter patterns and the debug page's filter pattern run in the shared pool
    (in the student's own session) and reach that student's screen."""
    _wait_for_free_seats(loopback, 1)
    s = _student(loopback, "/where_what")
    col = s.find("IntSliderModel", description="col")
    state = s.state(col)
    s.update(col, {"value": (state["value"] + 3) % (state["max"] + 1)})
    deadline = time.time() + 120
    s.settle(1.0, limit=10)
    while "pattern: computing" in _html_text(s) and time.time() < deadline:
        s.settle(1.0, limit=10)
    assert "contribution" in _html_text(s) and "pattern: computing" not in _html_text(s)
    s.close()

    s = _student(loopback, "/debug")
    pattern, slider = s.find("ImageModel", format="png", width="256"), s.find("IntSliderModel", description="filter")
    before = s.state(pattern)["value"]
    s.update(slider, {"value": 3})
    s.settle(3.0, limit=120)
    assert s.state(pattern)["value"] != before and "filter 3" in _html_text(s)
    s.close()


def _html_text(student) -> str:
    return " ".join(str(w["state"].get("value", "")) for w in student.widgets.values() if w["model"] == "HTMLModel")


@pytest.mark.timeout(300)
def test_the_new_pages_keep_their_bounds_against_hostile_values(loopback):
    import re

    _wait_for_free_seats(loopback, 1)
    s = _student(loopback, "/occluder")  # a square far outside the picture, its bounds rewritten first
    top, size = s.find("IntSliderModel", description="top"), s.find("IntSliderModel", description="size")
    s.update(top, {"max": 10**6, "min": -10**6, "value": 10**6})
    s.update(size, {"min": 0, "value": -50})
    photo = s.find("DropdownModel", description="image")
    s.update(photo, {"index": 999})
    s.settle(2.0, limit=60)
    held = s.request_states()["states"]
    t, z = held[top]["state"], held[size]["state"]
    assert z["value"] == z["min"] == 4 and t["max"] == 224 - 4 and 0 <= t["value"] <= t["max"]
    assert held[photo]["state"]["index"] == s.state(photo)["index"] != 999
    square = re.findall(r"square at \((\d+), (\d+)\), side (\d+)", _html_text(s))
    assert square, _html_text(s)[:300]
    y, x, side = map(int, square[-1])
    assert side == 4 and 0 <= y <= 224 - side and 0 <= x <= 224 - side  # what was drawn lies inside the picture
    s.close()

    s = _student(loopback, "/debug")  # a picture number past the set, a model and a tab that do not exist
    picture = s.find("IntSliderModel", description="picture")
    from helpers.apps.pages import DebugModelPage

    model = s.find("ToggleButtonsModel", description="model")
    tabs = s.find("TabModel", titles=list(DebugModelPage.TABS))
    s.update(picture, {"max": 10**4, "value": 10**4})
    s.update(model, {"index": 7})
    s.update(tabs, {"selected_index": 9})
    s.widgets[model]["state"]["index"], s.widgets[tabs]["state"]["selected_index"] = 7, 9  # as a browser shows them
    s.settle(2.0, limit=60)
    held = s.request_states()["states"]
    count = held[picture]["state"]["max"] + 1
    assert held[picture]["state"]["value"] == count - 1 < 10**4
    assert held[model]["state"]["index"] == 0 and held[tabs]["state"]["selected_index"] == 0
    assert s.state(model)["index"] == 0 and s.state(tabs)["selected_index"] == 0  # the page was told
    assert f"Picture {count - 1} of the" in _html_text(s) and "Model: <b>shortcut</b>" in _html_text(s)
    s.close()

    s = _student(loopback, "/where_what")  # a cell outside the map's grid
    row = s.find("IntSliderModel", description="row")
    s.update(row, {"max": 99, "value": 99})
    s.settle(2.0, limit=60)
    held = s.request_states()["states"][row]["state"]
    assert held["max"] == 6 and held["value"] == 6 and "cell (6, " in _html_text(s)
    s.close()
    assert "TraitError" not in loopback.log_text()  # refused values are answered, not crashes in the log


# -- seats and slow connections -------------------------------------------------------------
@pytest.mark.timeout(300)
def test_seats_count_kernels_and_a_full_class_says_so(loopback):
    time.sleep(CULL_S)  # every earlier test's kernels culled: all six seats free
    browser = Student(loopback.base)
    browser.get("/gradcam")
    tabs = []
    for _ in range(3):
        tab = Student(loopback.base, cookies=browser.cookies).open("/gradcam", quiet=0.5)
        tabs.append(tab)
    extra = Student(loopback.base, cookies=browser.cookies).connect()
    assert extra.closed(10) == 1013  # a 4th tab of one browser, all three still open
    nocookie = Student(loopback.base)
    nocookie.connect()
    assert nocookie.closed(10) == 1013  # a socket without the page's cookie
    same = Student(loopback.base, cookies=browser.cookies).connect(tabs[0].kernel_id)  # a reconnect: fine
    again = Student(loopback.base, cookies=browser.cookies).connect(tabs[0].kernel_id)
    assert again.closed(5) == 1013  # a third socket on one tab
    others = [_student(loopback) for _ in range(3)]  # 6 seats: now all taken
    status, _, page = Student(loopback.base).get("/gradcam")
    assert status == 503 and b"class is full" in page
    tabs[0].close()                                # one tab goes away: its seat is free again
    same.close()
    time.sleep(1.0)
    newcomer = Student(loopback.base).open("/gradcam", quiet=0.5)
    assert newcomer.widgets
    for s in [*tabs[1:], *others, newcomer]:
        s.close()
    assert _kernels(loopback) > 0
    deadline = time.time() + CULL_S + 10
    while _kernels(loopback) and time.time() < deadline:  # abandoned tabs are freed in minutes (here 12 s)
        time.sleep(1)
    assert _kernels(loopback) == 0


def _kernels(server) -> int:
    import json

    return json.loads(Student(server.base).get("/resourcez")[2])["kernels"]["total"]


@pytest.mark.timeout(60)
def test_slow_headers_do_not_hold_connections(loopback):
    port = int(loopback.base.rsplit(":", 1)[1])
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    t0 = time.time()
    for s in held:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    closed = 0
    while time.time() - t0 < 25 and closed < len(held):
        time.sleep(2)
        closed = 0
        for s in held:
            try:
                s.sendall(b"X-Slow: 1\r\n")
                s.settimeout(0.01)
                if s.recv(1) == b"":
                    closed += 1
            except (BrokenPipeError, ConnectionResetError):
                closed += 1
            except TimeoutError:
                pass
    assert closed == len(held) and time.time() - t0 < 25
    assert Student(loopback.base).get("/gradcam")[0] in (200, 503)  # still serving


@pytest.mark.timeout(180)
def test_save_sends_a_download_and_writes_nothing_on_the_server(loopback):
    import base64
    import re

    import cv2

    _wait_for_seats(loopback)
    outputs = Path(__file__).resolve().parents[2] / "outputs"
    before = sorted(outputs.rglob("*")) if outputs.exists() else []
    s = _student(loopback, "/gradcam")
    view = s.find("ImageModel")
    s.update(view, {}, buffers=[b"a student's own bytes"], buffer_paths=[["value"]])
    s.click(s.find("ButtonModel", description="save PNG"))
    s.settle(2.0)
    links = [w["state"]["value"] for w in s.widgets.values() if w["model"] == "HTMLModel"
             and "data:image/png;base64," in str(w["state"].get("value"))]
    assert len(links) == 1, "no download link was offered"
    data = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", links[0]).group(1))
    picture = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None and picture.shape[0] >= 64  # a real picture, rendered on the server
    assert b"a student's own bytes" not in data
    assert (sorted(outputs.rglob("*")) if outputs.exists() else []) == before, "the server wrote a file"
    s.close()


@pytest.mark.timeout(240)
def test_the_ipv6_loopback_is_served_in_loopback_mode():
    from helpers.apps.server import start

    port = free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        proc = start(port, host="::1", env=SETTINGS, log=log)
        try:
            s = Student(f"http://[::1]:{port}").open("/gradcam", quiet=1.0)
            assert s.find("DropdownModel", description="class")  # the page ran over IPv6
            s.close()
            assert Student(f"http://[::1]:{port}").get("/", headers={"Host": "evil.example"})[0] == 400
        finally:
            proc.terminate()
            proc.wait(20)
