"""Launch the classroom app: ``python scripts/classroom.py`` (what ``make classroom`` runs).

Environment (all optional):

* ``PORT`` -- default 8765.
* ``CLASSROOM_HOST`` -- default ``127.0.0.1`` (this computer only, no class code; ``::1`` works
  too). Any other address, e.g. ``0.0.0.0`` for the classroom network, requires a class code.
* ``CLASSROOM_CODE`` -- the class code (default: a random one, printed at start, beyond this
  computer; none on loopback unless set); at least 8 characters.
* ``CLASSROOM_WORKERS`` -- threads for filter ascents and Score-CAM (default 1: the other core
  stays free for everyone's clicks).
* ``CLASSROOM_MAX_STUDENTS`` -- browser tabs (kernels) held at once (default 60);
  ``CLASSROOM_TABS_PER_BROWSER`` -- default 3; ``CLASSROOM_IDLE_MINUTES`` -- a tab that sends
  nothing for this long is disconnected (default 30); a disconnected tab's kernel is freed after
  ``CLASSROOM_CULL_MINUTES`` (default 3).
* ``CLASSROOM_MAX_UPLOAD_MB`` -- default 20.
* ``CLASSROOM_TRUSTED_PROXY`` -- the address of a reverse proxy in front of this server; only
  then are its ``X-Forwarded-*`` headers believed, and the server prints "worker ready" instead of
  an address (students open the proxy's; the class code is not printed). ``CLASSROOM_ROOT_PATH`` --
  the path the proxy serves the classroom under (default: none). Neither is ever taken from a request.
* ``CLASSROOM_LISTEN`` -- the address this process listens on, when a proxy on the same computer
  is what the class reaches at ``CLASSROOM_HOST`` (default: ``CLASSROOM_HOST`` itself). It must be
  a loopback address or ``CLASSROOM_HOST``: the host and class-code rules follow ``CLASSROOM_HOST``.
* ``CLASSROOM_PROCESSES`` -- how many server processes ``scripts/classroom.py`` runs behind HAProxy
  (:mod:`helpers.apps.workers`; ``make classroom`` passes ``auto``); unset: 1, this process alone.

Solara's server (Starlette + uvicorn) does the serving; this module only configures it: offline
assets (``solara-assets``, served read-only), no telemetry, production mode, and the checks of
:mod:`helpers.apps` around it (outermost first): host and origin, the class code (LAN mode), seats,
websocket message limits; plus a time limit on request headers and the widget fixes of
:mod:`helpers._compat`.
"""

from __future__ import annotations

import os
import threading
import time

# the facts the supervisor of several workers shares with each (it imports no TensorFlow)
from .workers import DEFAULT_PORT, HEADER_TIMEOUT_S, WORKER_READY, _lan_address, is_loopback

__all__ = ["APP", "build_app", "configure_solara", "listen_address", "main", "max_students", "start"]

APP = "helpers.apps.classroom"


def listen_address(host: str, listen: str | None) -> str:
    """Where a server for a class at ``host`` listens: ``listen`` (a proxy's worker on loopback) or ``host``.

    Example:
        >>> listen_address("0.0.0.0", "127.0.0.1"), listen_address("0.0.0.0", None)
        ('127.0.0.1', '0.0.0.0')
        >>> listen_address("127.0.0.1", "0.0.0.0")
        Traceback (most recent call last):
        ...
        ValueError: CLASSROOM_LISTEN='0.0.0.0': expected a loopback address or CLASSROOM_HOST ('127.0.0.1')
    """
    if not listen or listen == host:
        return host
    if not is_loopback(listen):  # else a loopback-mode server, with no class code, would listen beyond
        raise ValueError(f"CLASSROOM_LISTEN={listen!r}: expected a loopback address or CLASSROOM_HOST ({host!r})")
    return listen


def configure_solara() -> None:
    """Set Solara's environment before it is imported (its settings are read at import)."""
    env = {
        "SOLARA_APP": APP,
        "SOLARA_MODE": "production",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_ASSETS_PROXY": "true",  # pages load the front end from /_solara/cdn (ReadOnlyCdn serves it)
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/offline/",  # never fetched: ReadOnlyCdn answers first
        "SOLARA_THEME_SHOW_BANNER": "false",
        "SOLARA_THEME_TITLE": "convnet-vis classroom",
        # configured, so Solara never takes it from the first request's X-Script-Name header
        "SOLARA_ROOT_PATH": os.environ.get("CLASSROOM_ROOT_PATH", "").rstrip("/"),
        "SOLARA_KERNEL_CULL_TIMEOUT": f"{_minutes('CLASSROOM_CULL_MINUTES', 3)}m",
    }
    for key, value in env.items():
        os.environ[key] = value


def _minutes(name: str, default: float) -> float:
    """A number of minutes from the environment variable ``name`` (0.1 .. 1440)."""
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        minutes = float(value)
    except ValueError:
        minutes = float("nan")
    if not 0.1 <= minutes <= 24 * 60:
        raise ValueError(f"{name}={value!r}: expected a number of minutes from 0.1 to 1440")
    return minutes


def max_students() -> int:
    return int(os.environ.get("CLASSROOM_MAX_STUDENTS") or 60)


def build_app(host: str, code: str | None):
    """Solara's Starlette app wrapped for ``host``: class code unless loopback (see the module's text)."""
    if not is_loopback(host) and not code:
        raise ValueError("a class code is required when the classroom listens beyond this computer")
    configure_solara()
    from solara.server import settings
    from solara.server.starlette import app
    from starlette.middleware.gzip import GZipMiddleware

    from .. import _compat
    from .assets import ReadOnlyCdn, StaticCache
    from .frames import FrameLimits
    from .guard import ClassCodeMiddleware
    from .origin import LOOPBACK_NAMES, HostAndOrigin
    from .readiness import Readiness
    from .seats import Seats

    _compat.quiet_solara_events()  # no MagicMock built per widget message
    _compat.no_script_magics()  # no %%bash magics (argparse help) built per student tab
    _compat.per_kernel_widget_control()  # a page's request_states answered on its own socket
    _compat.client_writable_only()  # a browser sets a control's value, never its bounds or a picture
    _compat.no_client_widgets()  # a browser cannot make the server build widgets
    app = Readiness(app)  # /readyz: 503 until the warm-up has traced every page's first view
    app = ReadOnlyCdn(app, settings.assets.proxy_cache_dir)  # the front end read-only, never fetched or deleted
    app = StaticCache(GZipMiddleware(app, minimum_size=1000))  # compressed once, not once per student
    app = FrameLimits(app, idle_seconds=60 * _minutes("CLASSROOM_IDLE_MINUTES", 30))
    app = Seats(app, max_kernels=max_students(), per_browser=int(os.environ.get("CLASSROOM_TABS_PER_BROWSER") or 3))
    if code:
        app = ClassCodeMiddleware(app, code)
    # loopback: only this computer's names (DNS rebinding); both modes: websockets and posts from our own pages
    return HostAndOrigin(app, allowed_hosts=LOOPBACK_NAMES if is_loopback(host) else None)


def main() -> None:
    host = os.environ.get("CLASSROOM_HOST", "127.0.0.1")
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    listen = listen_address(host, os.environ.get("CLASSROOM_LISTEN"))
    code = os.environ.get("CLASSROOM_CODE") or None  # on loopback too, when a teacher sets one
    if code is None and not is_loopback(host):
        from .guard import new_code

        code = new_code()
    app = build_app(host, code)
    import uvicorn

    from .._compat import header_timeout_protocol
    from .uploads import MAX_UPLOAD_MB

    shown = _lan_address() if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    print("convnet-vis classroom: loading the model once for everyone ...", flush=True)
    import helpers.apps.classroom  # noqa: F401  (load the model now, not on the first student's visit)
    from .warmup import start_warm_up

    # every page's first view traced in a background thread (the start page says so meanwhile)
    warming = start_warm_up(log=lambda text: print(f"convnet-vis classroom: {text}", flush=True))

    if code:
        message = f"\n  Students open:  http://{shown}:{port}/?code={code}\n  Class code:     {code}\n"
    else:
        message = (f"\n  Open:  http://{shown}:{port}/   (this computer only; CLASSROOM_HOST=0.0.0.0 shares it "
                   "with the classroom network, protected by a class code)\n")
    proxy = os.environ.get("CLASSROOM_TRUSTED_PROXY") or None
    if proxy:  # behind a proxy, which is what students open (and whose supervisor, if any, says where)
        message = f"{WORKER_READY} on {listen}:{port}, behind the proxy at {proxy}"
    config = uvicorn.Config(
        app, host=listen, port=port, log_level="warning", timeout_graceful_shutdown=5,
        http=header_timeout_protocol(HEADER_TIMEOUT_S),
        # an upload up to twice the cap still arrives, so the picker can say it is too big; past
        # that the socket closes. At most 2 such messages wait per socket (memory per student).
        ws_max_size=int((2 * MAX_UPLOAD_MB + 1) * 2**20), ws_max_queue=2,
        proxy_headers=proxy is not None, forwarded_allow_ips=proxy)
    server = uvicorn.Server(config)

    def announce():
        while not server.started and not server.should_exit:
            time.sleep(0.1)
        if server.started:
            warming.join()  # the address once no student's first view costs a trace
            print(message, flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()

if __name__ == "__main__":
    main()


def start(port: int, *, host: str = "127.0.0.1", env: dict | None = None, log=None, timeout: float = 180.0):
    """Start the classroom server in a child process and wait until it answers, warm (``/readyz``
    says 503 while it warms up), for the tests and the load-test benchmark. Returns the
    ``subprocess.Popen``; terminate it when done."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    full_env = {**os.environ, "PORT": str(port), "CLASSROOM_HOST": host, "TF_CPP_MIN_LOG_LEVEL": "2",
                "CLASSROOM_PROCESSES": "1", **(env or {})}  # one process, whatever the caller's shell says
    proc = subprocess.Popen([sys.executable, str(root / "scripts" / "classroom.py")], cwd=root, env=full_env,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    probe = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the classroom server exited early (code {proc.returncode})")
        try:
            urllib.request.urlopen(f"http://{probe}:{port}/readyz", timeout=2)
            return proc
        except urllib.error.HTTPError as err:
            if err.code != 503:  # 503: still warming up; 403 without the class code: it is up
                return proc
            time.sleep(0.5)
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"the classroom server did not answer within {timeout:.0f} s")
