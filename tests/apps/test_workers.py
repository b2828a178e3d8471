"""The classroom on every core: N server processes behind HAProxy (helpers/apps/workers.py).

With the real classroom (two worker processes with TensorFlow, one HAProxy, all on 127.0.0.1; the
students are tests/kit/student.py, speaking the page's own websocket protocol): the class code holds
through the proxy, each browser stays on one worker (the proxy's cookie; checked against what each
worker itself holds), students on the same or different workers see only their own pictures, no
socket leaves this computer, and killing one worker (SIGKILL) closes only its students' sockets,
while a fresh page load lands on the live worker and works. With small stand-in workers (seconds,
no TensorFlow): what the proxy tells a worker about its client, the restart limit, a worker that
cannot start, and HAProxy's acceptance of the generated configuration for every address form.
"""
from __future__ import annotations

import concurrent.futures
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from kit import free_port
from kit.student import Student

from helpers.apps import workers
from helpers.apps.guard import COOKIE

ROOT = Path(__file__).resolve().parents[2]
CODE = "workers-test-code-42"
AFFINITY = workers.AFFINITY_COOKIE
SETTINGS = {"CLASSROOM_MAX_STUDENTS": "6", "CLASSROOM_TABS_PER_BROWSER": "3", "CLASSROOM_CULL_MINUTES": "0.2",
            "TF_CPP_MIN_LOG_LEVEL": "2"}


def _haproxy() -> str:
    found = workers.find_haproxy()
    assert found, "HAProxy is needed for these tests (CI installs it): apt-get install haproxy"
    return found


def _wait(predicate, timeout: float, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return predicate()


class Class:
    """A supervisor run in this test process (its watcher in a thread) and its log."""

    def __init__(self, supervisor, log):
        self.sup, self.log = supervisor, log
        self.base = f"http://127.0.0.1:{supervisor.port}"
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self.watch_error = None

    def _watch(self):
        try:
            self.sup.watch(self._stop, every=0.5)
        except RuntimeError as err:
            self.watch_error = err

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def worker(self, name: str):
        return next(w for w in self.sup.workers if w.name == name)

    def close(self):
        self._stop.set()
        self._watcher.join(5)
        self.sup.stop()
        self.log.close()


def _run(count, *, command=None, restarts=0, code=None, env=None, timeout=420.0):
    log = tempfile.NamedTemporaryFile("w+", suffix=".log")
    sup = workers.Supervisor(count, host="127.0.0.1", port=free_port(), code=code, restarts=restarts,
                             command=command, env={**os.environ, **SETTINGS, **(env or {})}, out=log,
                             haproxy=_haproxy())
    sup.start(timeout=timeout)
    run = Class(sup, log)
    run._watcher.start()
    return run


# -- the real classroom: two workers, a few students ----------------------------------------------
@pytest.fixture(scope="module")
def classroom():
    run = _run(2, code=CODE)
    yield run
    run.close()


def _enrol(base: str, **kwargs) -> Student:
    """A browser that has typed the class code (it now holds the class cookie and a worker cookie)."""
    s = Student(base, **kwargs)
    status, headers, _ = s.get(f"/gradcam?code={CODE}")
    assert status == 303 and headers["location"] == "/gradcam"
    return s


def _redrawn(s: Student, view: str, before: bytes, timeout: float = 90.0) -> bool:
    """True once the student's picture ``view`` differs from ``before`` (read as the server sends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settle(1.0, limit=30)
        if s.state(view)["value"] != before:
            return True
    return False


def _kernels(run, worker_name: str, cookies: dict) -> int:
    """What the worker itself holds, asked directly on its loopback port (not through the proxy)."""
    direct = Student(f"http://127.0.0.1:{run.worker(worker_name).port}", cookies={COOKIE: cookies[COOKIE]})
    status, _, body = direct.get("/resourcez")
    assert status == 200, status
    return json.loads(body)["kernels"]["total"]


@pytest.fixture(scope="module")
def students(classroom):
    """Four browsers (ann has two tabs), each on the Grad-CAM page through the proxy."""
    tabs = {}
    for name in ("ann", "bob", "cat", "dan"):
        tabs[name] = _enrol(classroom.base).open("/gradcam")
    tabs["ann2"] = Student(classroom.base, cookies=tabs["ann"].cookies).open("/gradcam")
    yield tabs
    for s in tabs.values():
        s.close()


@pytest.mark.server
@pytest.mark.timeout(600)
def test_the_class_code_holds_through_the_proxy(classroom):
    from websockets.exceptions import InvalidStatus

    stranger = Student(classroom.base)
    status, _, page = stranger.get("/gradcam")
    assert status == 403 and b"Class code needed" in page
    with pytest.raises(InvalidStatus) as refused:  # a websocket without the class cookie
        Student(classroom.base).connect()
    assert refused.value.response.status_code == 403
    status, _, page = Student(classroom.base).get("/?code=not-the-code")
    assert status == 403 and b"not right" in page

    s = Student(classroom.base)
    status, headers, _ = s.get(f"/gradcam?code={CODE}&x=1")
    assert status == 303 and headers["location"] == "/gradcam?x=1"  # the code leaves the address bar
    cookies = {c.split("=", 1)[0]: c for c in headers.get_all("set-cookie")}
    assert set(cookies) == {COOKIE, AFFINITY}
    assert s.cookies[AFFINITY] in ("w1", "w2") and "httponly" in cookies[AFFINITY].lower()
    assert "samesite=lax" in cookies[AFFINITY].lower()
    assert Student(classroom.base).get("/readyz")[0] == 200  # the health probe needs no code

    # nothing says which port or process answered
    status, headers, page = s.get("/gradcam")
    assert status == 200
    for w in classroom.sup.workers:
        assert str(w.port).encode() not in page and str(w.port) not in str(headers.items())

    # the proxy writes X-Forwarded-For itself: addresses a guesser claims change nothing, and
    # while one wrong guess waits, the others from this address are refused unchecked
    pinned = {AFFINITY: s.cookies[AFFINITY]}

    def spoofed(i):
        return Student(classroom.base, cookies=pinned).get(f"/?code=guess-{i}",
                                                            headers={"X-Forwarded-For": f"10.0.0.{i}"})[0]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(spoofed, range(4)))
    assert statuses.count(429) >= 2 and set(statuses) <= {403, 429}, statuses


@pytest.mark.server
@pytest.mark.timeout(600)
def test_each_browser_stays_on_one_worker_and_sees_only_its_own_pictures(classroom, students):
    placed = {name: s.cookies[AFFINITY] for name, s in students.items()}
    assert set(placed.values()) == {"w1", "w2"}, placed  # new browsers go where fewest are ...
    assert placed["ann2"] == placed["ann"]  # ... but a browser's second tab joins its first
    for worker in ("w1", "w2"):  # each worker holds exactly the tabs its cookie sends there
        held = _kernels(classroom, worker, students["ann"].cookies)
        assert held == sum(1 for w in placed.values() if w == worker), (worker, held, placed)

    for name, s in students.items():  # a second socket to one's own tab finds it: same worker
        again = Student(classroom.base, cookies=s.cookies).connect(s.kernel_id)
        reply = again.request_states(timeout=30)
        again.close()
        assert reply is not None and set(s.widgets) <= set(reply["states"]), name

    pictures = {}
    for k, name in enumerate(("ann", "bob", "cat", "dan"), start=1):
        s = students[name]
        view, chooser = s.find("ImageModel"), s.find("DropdownModel", description="class")
        before = s.state(view)["value"]
        s.update(chooser, {"index": k})
        assert _redrawn(s, view, before), f"{name}: choosing another class drew no new picture"
        pictures[name] = (view, s.state(view)["value"])
    assert len({p for _, p in pictures.values()}) == 4  # four choices, four pictures
    for name, (view, picture) in pictures.items():
        s = students[name]
        s.settle(1.0)
        assert s.state(view)["value"] == picture, f"{name}'s picture changed when others chose"
        others = set().union(*(set(o.widgets) for n, o in students.items() if n != name))
        assert not any(m.get("content", {}).get("comm_id") in others for m in s.received), name


@pytest.mark.server
@pytest.mark.timeout(120)
def test_no_socket_leaves_this_computer(classroom, students):
    processes = [psutil.Process(p.pid) for p in [classroom.sup.proxy, *classroom.sup.workers]]
    listening, seen = set(), 0
    for proc in processes:
        for conn in proc.net_connections(kind="inet"):
            seen += 1
            assert ipaddress.ip_address(conn.laddr.ip).is_loopback, (proc.name(), conn)
            if conn.raddr:
                assert ipaddress.ip_address(conn.raddr.ip).is_loopback, (proc.name(), conn)
            if conn.status == psutil.CONN_LISTEN:
                listening.add(conn.laddr.port)
    assert seen > len(processes)  # the check saw the open websockets, not just the listeners
    assert classroom.sup.port in listening and {w.port for w in classroom.sup.workers} <= listening
    assert "Could not load URL" not in classroom.log_text()  # nothing fetched: the front end is local
    for proc in processes[1:]:  # the target per process (the lead measures it under load)
        assert proc.memory_info().rss < 2 * 2**30


@pytest.mark.server
@pytest.mark.timeout(600)
def test_killing_one_worker_closes_only_its_students_and_a_reload_lands_on_the_live_one(classroom, students):
    dead = students["ann"].cookies[AFFINITY]
    live = "w2" if dead == "w1" else "w1"
    victims = [s for s in students.values() if s.cookies[AFFINITY] == dead]
    survivors = [s for s in students.values() if s.cookies[AFFINITY] == live]
    assert victims and survivors
    held_before = _kernels(classroom, live, students["ann"].cookies)

    os.kill(classroom.worker(dead).pid, signal.SIGKILL)
    for s in victims:
        assert s.closed(15) is not None, "a dead worker's student kept an open socket"
    for s in survivors:
        assert s.closed(1) is None, "a live worker's student lost the socket"
        view, chooser = s.find("ImageModel"), s.find("DropdownModel", description="class")
        before = s.state(view)["value"]
        s.update(chooser, {"index": 0})
        assert _redrawn(s, view, before), "a live worker's student got no new picture"

    ann = students["ann"]  # a fresh page load, still holding the dead worker's cookie
    reload = Student(classroom.base, cookies=ann.cookies)
    status, headers, _ = reload.get("/gradcam")
    assert status == 200 and reload.cookies[AFFINITY] == live, headers.get_all("set-cookie")
    page = Student(classroom.base, cookies=reload.cookies).open("/gradcam")
    assert page.find("DropdownModel", description="class")  # the page works on the live worker
    assert _kernels(classroom, live, ann.cookies) == held_before + 1
    page.close()

    assert _wait(lambda: classroom.sup.proxy_status().get(dead) == "DOWN", 20), classroom.sup.proxy_status()
    assert classroom.sup.proxy_status()[live] == "UP"
    assert _wait(lambda: f"[{dead}] stopped (killed by signal 9)" in classroom.log_text(), 10)
    assert "Not restarted" in classroom.log_text() and classroom.worker(dead).exited() is not None
    assert classroom.watch_error is None and classroom.sup.proxy.exited() is None  # the class goes on


# -- small stand-in workers: the proxy and the supervisor themselves ------------------------------
STUB = r'''
import http.server, json, os
class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = json.dumps({"port": int(os.environ["PORT"]),
                           "headers": {k.lower(): ", ".join(self.headers.get_all(k)) for k in set(self.headers)},
                           "env": {k: v for k, v in os.environ.items() if k.startswith("CLASSROOM_")}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def handle_one_request(self):
        try:
            super().handle_one_request()
        except ConnectionError:
            self.close_connection = True
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer((os.environ["CLASSROOM_LISTEN"], int(os.environ["PORT"])), Echo)
print("convnet-vis classroom: worker ready on", os.environ["PORT"], flush=True)
server.serve_forever()
'''


@pytest.fixture
def stub(tmp_path):
    path = tmp_path / "stub_worker.py"
    path.write_text(STUB)
    return [sys.executable, str(path)]


def _echo(base: str, cookies: dict | None = None, headers: dict | None = None):
    s = Student(base, cookies=cookies)
    status, head, body = s.get("/anything", headers=headers)
    assert status == 200, status
    return s.cookies, head, json.loads(body)


@pytest.mark.server
@pytest.mark.timeout(120)
def test_the_proxy_pins_a_browser_and_tells_the_worker_only_what_it_knows(stub):
    run = _run(2, command=stub, code=CODE, timeout=60)
    try:
        ports = {w.name: w.port for w in run.sup.workers}
        cookies, head, seen = _echo(run.base, headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https",
                                                       "Forwarded": "for=10.1.2.3"})
        pinned = cookies[AFFINITY]
        assert seen["port"] == ports[pinned]
        assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"  # the client's own claim is dropped
        assert seen["headers"]["x-forwarded-proto"] == "http" and "forwarded" not in seen["headers"]
        assert seen["headers"]["host"] == f"127.0.0.1:{run.sup.port}"  # the Host the browser sent
        for _ in range(6):
            again, head, seen = _echo(run.base, cookies={AFFINITY: pinned, "other": "1"})
            assert seen["port"] == ports[pinned] and head.get_all("set-cookie") is None  # nothing to re-set
            assert AFFINITY not in seen["headers"].get("cookie", "") and "other=1" in seen["headers"]["cookie"]
        newcomers = {_echo(run.base)[0][AFFINITY] for _ in range(6)}
        assert newcomers == {"w1", "w2"}  # browsers without a cookie are spread
        env = seen["env"]
        assert env["CLASSROOM_LISTEN"] == "127.0.0.1" and env["CLASSROOM_HOST"] == "127.0.0.1"
        assert env["CLASSROOM_TRUSTED_PROXY"] == "127.0.0.1" and env["CLASSROOM_CODE"] == CODE
        assert env["CLASSROOM_PROCESSES"] == "1" and env["CLASSROOM_MAX_STUDENTS"] == "6"
    finally:
        run.close()


@pytest.mark.server
@pytest.mark.timeout(120)
def test_a_killed_worker_is_restarted_at_most_the_limit_and_its_browsers_move_at_once(stub):
    run = _run(2, command=stub, restarts=1, timeout=60)
    try:
        w1 = run.worker("w1")
        first = w1.pid
        assert _echo(run.base, cookies={AFFINITY: "w1"})[2]["port"] == w1.port  # HAProxy keeps that connection
        os.kill(first, signal.SIGKILL)
        cookies, head, seen = _echo(run.base, cookies={AFFINITY: "w1"})  # at once, before any health check
        assert cookies[AFFINITY] == "w2" and seen["port"] == run.worker("w2").port
        assert _wait(lambda: w1.pid != first and w1.ready.is_set(), 30), "w1 was not restarted"
        assert "Restarting it (1 of 1" in run.log_text()
        assert _wait(lambda: _echo(run.base, cookies={AFFINITY: "w1"})[2]["port"] == w1.port, 30)  # back in

        os.kill(w1.pid, signal.SIGKILL)
        assert _wait(lambda: "Not restarted" in run.log_text(), 10)
        time.sleep(2)
        assert w1.exited() is not None, "w1 was restarted beyond the limit"
        assert _wait(lambda: run.sup.proxy_status()["w1"] == "DOWN", 20)
        assert _echo(run.base, cookies={AFFINITY: "w1"})[2]["port"] == run.worker("w2").port

        w2 = run.worker("w2")
        first = w2.pid
        os.kill(first, signal.SIGKILL)  # w2 has a restart left: the class goes on
        assert _wait(lambda: w2.pid != first and w2.ready.is_set(), 30)
        os.kill(w2.pid, signal.SIGKILL)
        assert _wait(lambda: run.watch_error is not None, 10)
        assert "every worker process has stopped" in str(run.watch_error)
    finally:
        run.close()
    assert run.sup.proxy.exited() is not None and not run.sup.run_dir.exists()


@pytest.mark.server
@pytest.mark.timeout(60)
def test_a_worker_that_cannot_start_stops_everything(tmp_path):
    failing = [sys.executable, "-c", "import sys; print('CLASSROOM_SOMETHING is wrong'); sys.exit(3)"]
    log = tempfile.NamedTemporaryFile("w+", suffix=".log")
    port = free_port()
    sup = workers.Supervisor(2, port=port, command=failing, out=log, env=dict(os.environ), haproxy=_haproxy())
    with pytest.raises(RuntimeError, match=r"w\d stopped while starting \(exit code 3\)"):
        sup.start(timeout=30)
    assert _wait(lambda: "CLASSROOM_SOMETHING is wrong" in Path(log.name).read_text(), 5)  # its words reach the teacher
    assert all(w.exited() is not None for w in sup.workers) and sup.proxy is None and not sup.run_dir.exists()
    log.close()
    with socket.socket() as taken, pytest.raises(RuntimeError, match="in use"):  # said before anything starts
        taken.bind(("127.0.0.1", port))
        taken.listen()
        workers.Supervisor(2, port=port, command=failing, haproxy=_haproxy()).start()


@pytest.mark.server
@pytest.mark.timeout(60)
def test_nothing_outlives_a_killed_supervisor(stub, tmp_path):
    script = tmp_path / "supervise.py"
    script.write_text(
        "import sys\nfrom helpers.apps.workers import Supervisor\n"
        "sup = Supervisor(2, port=int(sys.argv[1]), command=sys.argv[2:])\nsup.start(timeout=60)\n"
        "print('PIDS', sup.proxy.pid, *[w.pid for w in sup.workers], flush=True)\nsup.watch()\n")
    short = tempfile.mkdtemp(prefix="cw-", dir="/tmp")  # a Unix socket's path must stay short
    supervisor = subprocess.Popen([sys.executable, str(script), str(free_port()), *stub], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  env={**os.environ, "TMPDIR": short})  # its run folder stays in here
    children = []
    try:
        line = next(line for line in supervisor.stdout if line.startswith("PIDS"))
        children = [psutil.Process(int(pid)) for pid in line.split()[1:]]
        assert len(children) == 3 and all(c.is_running() for c in children)
        supervisor.kill()  # no chance to stop anyone itself
        supervisor.wait(10)
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"still running after their supervisor was killed: {alive}"
    finally:
        supervisor.kill()
        for child in children:
            if child.is_running():
                child.kill()
        shutil.rmtree(short, ignore_errors=True)


@pytest.mark.server
@pytest.mark.timeout(60)
@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "0.0.0.0", "::", "localhost"])
def test_haproxy_accepts_the_configuration_for_every_address(tmp_path, host):
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(workers.haproxy_config(host, 8765, [("w1", 40001), ("w2", 40002)], tmp_path / "s.sock"))
    check = subprocess.run([_haproxy(), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    text = cfg.read_text()
    settings = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not any("${" in line for line in settings) and text.count("server w") == 2  # every field filled
    assert all(line.split()[2].startswith("127.0.0.1:") for line in text.splitlines()
               if line.strip().startswith("server "))  # workers on loopback only


# -- the supervisor's own facts ------------------------------------------------------------------
def test_the_supervisor_agrees_with_the_server_it_starts():
    from helpers.apps import server
    from helpers.apps.guard import ClassCodeMiddleware, new_code

    assert (workers.DEFAULT_PORT, workers.HEADER_TIMEOUT_S, workers.WORKER_READY) == \
        (server.DEFAULT_PORT, server.HEADER_TIMEOUT_S, server.WORKER_READY)
    for host in ("127.0.0.1", "127.8.8.8", "::1", "localhost", "0.0.0.0", "::", "192.168.1.5", "example.org"):
        assert workers.is_loopback(host) == server.is_loopback(host), host
    for code in ("short", "12345678", new_code()):  # the same rule for a class code
        refused_here = refused_there = False
        try:
            workers.Supervisor(2, code=code, haproxy="haproxy")
        except ValueError:
            refused_here = True
        try:
            ClassCodeMiddleware(None, code)
        except ValueError:
            refused_there = True
        assert refused_here == refused_there, code
    beyond = workers.Supervisor(2, host="0.0.0.0", haproxy="haproxy")
    assert len(beyond.code) == len(new_code()) and beyond.code != workers.Supervisor(2, host="0.0.0.0").code
    assert workers.Supervisor(2, haproxy="haproxy").code is None  # loopback: no code unless one is set


def test_the_number_of_processes():
    assert workers.default_processes(cores=16, free_mb=workers.MB_PER_WORKER * 3.5) == 3  # memory bounds it
    assert workers.default_processes(cores=2, free_mb=10**6) == 2  # cores bound it
    said = []
    assert workers.processes("auto", haproxy=None, log=said.append) == 1 and "apt-get install haproxy" in said[0]
    with pytest.raises(RuntimeError, match="apt-get install haproxy"):
        workers.processes("2", haproxy=None)
    for bad in ("0", "-1", "65", "2.5", "two"):
        with pytest.raises(ValueError, match="CLASSROOM_PROCESSES"):
            workers.processes(bad, haproxy="haproxy")


def test_the_launcher_loads_the_supervisor_without_tensorflow():
    code = ("import runpy, sys; m = runpy.run_path(sys.argv[1], run_name='launcher');"
            "print(m['workers'].Supervisor.__name__, 'tensorflow' in sys.modules, 'helpers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "scripts" / "classroom.py")], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.stdout.split() == ["Supervisor", "False", "False"], out.stdout + out.stderr


def test_a_worker_behind_a_proxy_listens_on_loopback_only():
    from helpers.apps.server import listen_address

    assert listen_address("0.0.0.0", "127.0.0.1") == "127.0.0.1"
    assert listen_address("127.0.0.1", "") == "127.0.0.1"
    for host, listen in (("127.0.0.1", "0.0.0.0"), ("0.0.0.0", "192.168.1.5"), ("::1", "::")):
        with pytest.raises(ValueError, match="CLASSROOM_LISTEN"):  # no code-free server beyond loopback
            listen_address(host, listen)
