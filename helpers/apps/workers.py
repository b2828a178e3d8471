"""Every core: the classroom as N server processes behind HAProxy (``make classroom WORKERS=N``).

One classroom process serves a class from one core. :class:`Supervisor` starts N of them -- each
the server of :mod:`helpers.apps.server`, listening on a loopback port only -- and HAProxy in front
on the address the class uses, its configuration filled in from ``deploy/haproxy.cfg.template``:

* **Sticky sessions**: HAProxy sets the cookie :data:`AFFINITY_COOKIE` on its first response to a
  browser (the page load, or the class-code redirect before it), so the websocket that follows and
  every later request of that browser reach the same process -- a cookie, not the client's address,
  which a whole class may share. A new browser goes to the process with the fewest open connections.
* **The same rules as one process**: each worker is told the proxy's address as ``CLASSROOM_HOST``
  (loopback's host-name rule, or the class code beyond loopback, hold as they do today), the same
  class code, and ``CLASSROOM_TRUSTED_PROXY=127.0.0.1``: it believes the ``X-Forwarded-For`` that
  HAProxy writes itself (a client's own is dropped), so wrong class codes are still slowed per student
  address. Seats count per browser cookie, so all students arriving from the proxy's address is fine;
  the seat limits (``CLASSROOM_MAX_STUDENTS``) hold per process.
* **A worker that dies**: its open websockets close (the student's page says "Server disconnected"
  and then "Please refresh the page"); HAProxy's health check on ``/readyz`` marks it down and the
  next page load goes to a live process (a refused connection is redispatched at once). The
  supervisor restarts a worker at most ``restarts`` times in :data:`RESTART_WINDOW_S` (default 3 in
  10 minutes); beyond that it stays down and the supervisor says so. A worker that stops before its
  first start finished stops everything (a setting is wrong; its output says which).
* Ctrl-C (or SIGTERM) stops the proxy and every worker; the workers also stop if the supervisor is
  killed (Linux).

``CLASSROOM_PROCESSES`` chooses: ``auto`` (what ``make classroom`` passes) runs one process per
core, at most one per :data:`MB_PER_WORKER` MB of available memory, and one alone when HAProxy is
not installed; a number runs that many; unset, one process and no proxy (as the tests expect).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__:  # imported as helpers.apps.workers
    from .child import Worker, how_it_stopped, write_line
else:  # loaded on its own by scripts/classroom.py: its sibling the same way
    import importlib.util as _util

    _spec = _util.spec_from_file_location("classroom_child", Path(__file__).with_name("child.py"))
    _child = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_child)
    Worker, how_it_stopped, write_line = _child.Worker, _child.how_it_stopped, _child.write_line

__all__ = ["AFFINITY_COOKIE", "DEFAULT_PORT", "HAPROXY_TEMPLATE", "HEADER_TIMEOUT_S", "HEALTH_PATH", "MB_PER_WORKER",
           "RESTART_WINDOW_S", "Supervisor", "TUNNEL_TIMEOUT_S", "WORKER_READY", "Worker", "default_processes",
           "find_haproxy", "haproxy_config", "is_loopback", "processes"]

# This module imports nothing of ``helpers`` (whose package imports TensorFlow, ~550 MB):
# scripts/classroom.py loads it on its own, so the supervisor of N workers stays a small process.
# The facts it shares with the server live here and helpers.apps.server imports them; the class
# code's rule is repeated (helpers.apps.guard), and tests/apps/test_workers.py checks both agree.
DEFAULT_PORT = 8765
HEADER_TIMEOUT_S = 10.0  # a request's headers must arrive within this (slow clients hold no connection)
# printed instead of the address by a process behind a proxy, once warm (the supervisor waits for it)
WORKER_READY = "convnet-vis classroom: worker ready"
_MIN_CODE = 8

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg.template"
AFFINITY_COOKIE = "convnet_worker"   # the Ingress of deploy/k8s/ uses the same name
HEALTH_PATH = "/readyz"              # Solara's health route, answered without the class code
TUNNEL_TIMEOUT_S = 3600              # an open websocket may be silent this long at the proxy
MB_PER_WORKER = 1700                 # memory kept free per worker: 1.53 GB measured with 60 tabs, and headroom
RESTART_WINDOW_S = 600


def check_int(name: str, value, low: int, high: int | None = None) -> int:
    """``value`` as a whole number from ``low`` to ``high`` (the rule of helpers.validation.check_int)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{name}={value!r}: expected a whole number {bounds}")
    return value


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (``127.0.0.1``, ``::1``, ``localhost``).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost"), is_loopback("::1")
        (True, False, True, True)
    """
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lan_address() -> str:
    """This computer's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return socket.gethostname()


def available_mb() -> float:
    """Memory available to new processes now, in MB (``MemAvailable``; unbounded if unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import psutil

        return psutil.virtual_memory().available / 2**20
    except ImportError:
        return float("inf")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_processes(cores: int | None = None, free_mb: float | None = None) -> int:
    """One process per core, at most one per :data:`MB_PER_WORKER` MB of available memory, at least one.

    Example:
        >>> default_processes(cores=8, free_mb=5000), default_processes(cores=2, free_mb=64000)
        (2, 2)
        >>> default_processes(cores=4, free_mb=500)
        1
    """
    cores = _cores() if cores is None else check_int("cores", cores, 1)
    free_mb = available_mb() if free_mb is None else free_mb
    return max(1, min(cores, int(free_mb // MB_PER_WORKER)))


def find_haproxy() -> str | None:
    """The ``haproxy`` program (Debian installs it in /usr/sbin, not always on a user's PATH), or None."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def processes(value: str | None, *, haproxy: str | None = None, log=print) -> int:
    """How many server processes ``CLASSROOM_PROCESSES=value`` asks for (see the module's text).

    Example:
        >>> processes(None), processes("1"), processes("3", haproxy="/usr/sbin/haproxy")
        (1, 1, 3)
        >>> processes("many")
        Traceback (most recent call last):
        ...
        ValueError: CLASSROOM_PROCESSES='many': expected auto or a whole number from 1 to 64
    """
    value = (value or "").strip().lower()
    if value in ("", "1"):
        return 1
    if value == "auto":
        if haproxy is None:
            log("convnet-vis classroom: one server process (install HAProxy to use every core: "
                "apt-get install haproxy)")
            return 1
        return default_processes()
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= 64:
        raise ValueError(f"CLASSROOM_PROCESSES={value!r}: expected auto or a whole number from 1 to 64")
    if count > 1 and haproxy is None:
        raise RuntimeError(f"CLASSROOM_PROCESSES={count} needs HAProxy in front of the processes: "
                           "apt-get install haproxy (or WORKERS=1 for one process)")
    return count


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def haproxy_config(bind: str, port: int, workers, stats_socket: str | Path, *, maxconn: int = 4096,
                   template: Path = HAPROXY_TEMPLATE) -> str:
    """HAProxy's configuration: listen on ``bind:port``, ``workers`` a list of (name, loopback port).

    Example:
        >>> text = haproxy_config("127.0.0.1", 8765, [("w1", 40001), ("w2", 40002)], "/run/x.sock")
        >>> "bind 127.0.0.1:8765" in text, "server w1 127.0.0.1:40001 cookie w1" in text
        (True, True)
    """
    check_int("port", port, 1, 65535)
    workers = list(workers)
    if not workers:
        raise ValueError("haproxy_config needs at least one worker (name, port)")
    servers = "\n".join(f"    server {name} 127.0.0.1:{check_int('worker port', p, 1, 65535)} cookie {name}"
                        for name, p in workers)
    fields = {"bind": _address(bind, port).rsplit(":", 1)[0], "port": port, "servers": servers,
              "stats_socket": str(stats_socket), "cookie": AFFINITY_COOKIE, "health_path": HEALTH_PATH,
              "header_timeout": int(HEADER_TIMEOUT_S), "tunnel_timeout": TUNNEL_TIMEOUT_S,
              "maxconn": check_int("maxconn", maxconn, 1)}
    return string.Template(Path(template).read_text()).substitute(fields)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


class Supervisor:
    """N classroom processes and HAProxy in front of them (see the module's text).

    ``host``/``port``: what the class opens (HAProxy listens there); ``code``: the class code (a new
    one beyond loopback when None); ``env``: settings for every worker (default: this process's
    environment); ``restarts``: how often one worker is restarted in :data:`RESTART_WINDOW_S`;
    ``command``: what a worker runs (default ``scripts/classroom.py``; tests use small stand-ins);
    ``out``: where every line goes (default stdout).
    """

    def __init__(self, workers: int, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, code: str | None = None,
                 env: dict | None = None, restarts: int = 3, command=None, out=None, haproxy: str | None = None):
        self.count = check_int("workers", workers, 1, 64)
        self.host, self.port = host, check_int("port", port, 1, 65535)
        if code is None and not is_loopback(host):
            code = secrets.token_urlsafe(9)  # as helpers.apps.guard.new_code: 12 characters, ~72 bits
        if code is not None and (not isinstance(code, str) or len(code) < _MIN_CODE):
            # the workers' own rule (helpers.apps.guard), checked before any of them starts
            raise ValueError(f"the class code must have at least {_MIN_CODE} characters, got "
                             f"{len(code) if isinstance(code, str) else type(code).__name__}")
        self.code = code or None
        self.restarts = check_int("restarts", restarts, 0)
        self.command = list(command) if command else [sys.executable, str(ROOT / "scripts" / "classroom.py")]
        self.out = out or sys.stdout
        self.haproxy = haproxy or find_haproxy()
        self.env = dict(os.environ if env is None else env)
        self.workers: list[Worker] = []
        self.proxy: Worker | None = None
        self.run_dir: Path | None = None
        self.stopping = False

    # -- the parts -----------------------------------------------------------------------------
    def worker_env(self, port: int) -> dict:
        """What one worker process is told (the rest of ``env`` passes through unchanged)."""
        env = {**self.env, "PORT": str(port), "CLASSROOM_HOST": self.host, "CLASSROOM_LISTEN": "127.0.0.1",
               "CLASSROOM_TRUSTED_PROXY": "127.0.0.1", "CLASSROOM_PROCESSES": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("CLASSROOM_CODE", None)
        if self.code:
            env["CLASSROOM_CODE"] = self.code
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        return env

    @property
    def config_path(self) -> Path:
        return self.run_dir / "haproxy.cfg"

    @property
    def stats_socket(self) -> Path:
        return self.run_dir / "haproxy.sock"

    def url(self) -> str:
        shown = _lan_address() if self.host in ("0.0.0.0", "::") else self.host
        base = f"http://{_address(shown, self.port)}/"
        return f"{base}?code={self.code}" if self.code else base

    def message(self) -> str:
        each = self.env.get("CLASSROOM_MAX_STUDENTS") or "60"
        where = (f"\n  Students open:  {self.url()}\n  Class code:     {self.code}\n" if self.code else
                 f"\n  Open:  {self.url()}   (this computer only; CLASSROOM_HOST=0.0.0.0 shares it with the "
                 "classroom network, protected by a class code)\n")
        return where + (f"  {self.count} server processes behind HAProxy: each student stays on one "
                        f"(at most {each} tabs each); Ctrl-C stops them all.\n")

    def proxy_status(self) -> dict[str, str]:
        """What HAProxy thinks of each worker now (``UP``, ``DOWN``, ...), read from its stats socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.stats_socket))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        lines = data.decode(errors="replace").lstrip("# ").splitlines()
        rows = [dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:] if line.strip()]
        return {r["svname"]: r["status"].split()[0] for r in rows
                if r.get("pxname") == "workers" and r.get("svname") not in ("BACKEND", "FRONTEND")}

    # -- life cycle ----------------------------------------------------------------------------
    def start(self, timeout: float = 600.0) -> str:
        """Start the workers and the proxy; returns the class's address once every worker is warm.
        Raises RuntimeError (everything stopped again) when a worker or the proxy fails to start."""
        if self.haproxy is None:
            raise RuntimeError("HAProxy is not installed: apt-get install haproxy (or WORKERS=1 for one process)")
        if not _port_is_free(self.host, self.port):
            raise RuntimeError(f"port {self.port} on {self.host} is in use: choose another with PORT=...")
        self.run_dir = Path(tempfile.mkdtemp(prefix="convnet-classroom-"))  # 0700: the stats socket is ours
        if len(str(self.stats_socket)) > 100:  # past what a Unix socket's address holds (a long TMPDIR)
            self.run_dir.rmdir()
            self.run_dir = Path(tempfile.mkdtemp(prefix="convnet-classroom-", dir="/tmp"))
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> str:
        ports = [_free_port() for _ in range(self.count)]
        self.workers = [Worker(f"w{i + 1}", self.command, self.worker_env(p), self.out, ready_line=WORKER_READY,
                               port=p)
                        for i, p in enumerate(ports)]
        self.config_path.write_text(haproxy_config(self.host, self.port, [(w.name, w.port) for w in self.workers],
                                                   self.stats_socket))
        check = subprocess.run([self.haproxy, "-c", "-q", "-f", str(self.config_path)], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"HAProxy refused its configuration:\n{check.stdout}{check.stderr}")
        for worker in self.workers:
            worker.start()
        deadline = time.monotonic() + timeout
        self._wait(lambda: all(w.ready.is_set() for w in self.workers), self.workers, deadline)
        # the proxy once every worker is warm: its first health checks find them all up
        self.proxy = Worker("proxy", [self.haproxy, "-db", "-f", str(self.config_path)], dict(self.env), self.out,
                            ready_line=None, port=self.port)
        self.proxy.start()
        self._wait(self._all_up, [*self.workers, self.proxy], deadline)
        write_line(self.out, self.message())
        return self.url()

    @staticmethod
    def _wait(done, parts, deadline: float) -> None:
        while not done():
            for part in parts:
                if part.exited() is not None:
                    raise RuntimeError(f"{part.name} stopped while starting ({how_it_stopped(part.exited())}): see its "
                                       "lines above")
            if time.monotonic() > deadline:
                raise RuntimeError("the classroom's processes were not ready in time")
            time.sleep(0.2)

    def _all_up(self) -> bool:
        """HAProxy's health checks see every worker."""
        try:
            return set(self.proxy_status().values()) == {"UP"}
        except OSError:  # the proxy is still starting
            return False

    def poll(self) -> None:
        """One look at every process: a worker that stopped is restarted within the limit, or
        reported and left down. Raises RuntimeError when the proxy or every worker is gone for good."""
        if self.stopping:
            return
        if self.proxy is not None and self.proxy.exited() is not None:
            raise RuntimeError(f"HAProxy stopped ({how_it_stopped(self.proxy.exited())}): the classroom is closed")
        now = time.monotonic()
        for w in self.workers:
            code = w.exited()
            if code is None or w.reported:
                continue
            w.reported = True
            while w.stops and now - w.stops[0] > RESTART_WINDOW_S:
                w.stops.popleft()
            w.stops.append(now)
            if len(w.stops) <= self.restarts:
                write_line(self.out, f"[{w.name}] stopped ({how_it_stopped(code)}); its students' next page load goes "
                                     f"to another process. Restarting it ({len(w.stops)} of {self.restarts} in "
                                     f"{RESTART_WINDOW_S // 60} minutes) ...")
                w.start()
            else:
                write_line(self.out, f"[{w.name}] stopped ({how_it_stopped(code)}); its students' next page load goes "
                                     f"to another process. Not restarted ({len(w.stops) - 1} restarts in the last "
                                     f"{RESTART_WINDOW_S // 60} minutes).")
        if self.workers and all(w.exited() is not None and w.reported and len(w.stops) > self.restarts
                                for w in self.workers):
            raise RuntimeError("every worker process has stopped: the classroom is closed")

    def watch(self, stop: threading.Event | None = None, every: float = 1.0) -> None:
        """Poll every ``every`` seconds until ``stop`` is set (or forever)."""
        stop = stop or threading.Event()
        while not stop.wait(every):
            self.poll()

    def stop(self) -> None:
        """Stop the proxy first (no new requests), then every worker; remove the run folder."""
        self.stopping = True
        parts = [p for p in [self.proxy, *self.workers] if p is not None]
        for part in parts:
            if part.proc is not None and part.proc.poll() is None:
                part.proc.terminate()
        for part in parts:
            part.stop(timeout=10.0)
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def run(self) -> None:
        """Start, supervise until Ctrl-C or SIGTERM, stop everything (what ``make classroom`` runs)."""
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            self.start()
            self.watch()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
            signal.signal(signal.SIGTERM, previous)
