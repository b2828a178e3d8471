"""Launch the classroom app: ``python scripts/classroom.py`` (what ``make classroom`` runs).

Environment (all optional):

* ``PORT`` -- default 8765.
* ``CLASSROOM_HOST`` -- default ``127.0.0.1`` (this computer only, no class code). Any other
  address, e.g. ``0.0.0.0`` for the classroom network, requires a class code.
* ``CLASSROOM_CODE`` -- the class code (default: a random one, printed at start); at least 8
  characters.
* ``CLASSROOM_WORKERS`` -- threads for filter ascents (default 1: the other core stays free for
  everyone's clicks); ``CLASSROOM_MAX_STUDENTS`` -- browser tabs served at once (default 60);
  ``CLASSROOM_MAX_UPLOAD_MB`` -- default 20.

Solara's server (Starlette + uvicorn) does the serving; this module only configures it: offline
assets (``solara-assets``; a missing asset fails locally instead of being fetched), no telemetry,
production mode, and :class:`~helpers.apps.guard.ClassCodeMiddleware` or, on localhost,
Starlette's ``TrustedHostMiddleware``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time

DEFAULT_PORT = 8765
APP = "helpers.apps.classroom"


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (``127.0.0.1``, ``::1``, ``localhost``).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
        (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configure_solara() -> None:
    """Set Solara's environment before it is imported (its settings are read at import)."""
    env = {
        "SOLARA_APP": APP,
        "SOLARA_MODE": "production",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_ASSETS_PROXY": "true",  # serve solara-assets' local copies under /_solara/cdn ...
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/offline/",  # ... and never fetch a missing one
        "SOLARA_THEME_SHOW_BANNER": "false",
        "SOLARA_THEME_TITLE": "convnet-vis classroom",
        "SOLARA_KERNEL_MAX_COUNT": os.environ.get("CLASSROOM_MAX_STUDENTS", "60"),
        "SOLARA_KERNEL_CULL_TIMEOUT": "30m",
    }
    for key, value in env.items():
        os.environ[key] = value


def build_app(host: str, code: str | None):
    """Solara's Starlette app wrapped for ``host``: class code unless loopback."""
    configure_solara()
    from solara.server.starlette import app
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from .._compat import no_script_magics, quiet_solara_events
    from .assets import StaticCache
    from .guard import ClassCodeMiddleware

    quiet_solara_events()  # no MagicMock built per widget message (see helpers._compat)
    no_script_magics()  # no %%bash magics (argparse help) built per student tab (see helpers._compat)
    app = StaticCache(app)  # the front end compressed once, not once per student (inside the checks below)
    if is_loopback(host):
        # only this computer: refuse pages asked for under another host name (DNS rebinding)
        return TrustedHostMiddleware(app, allowed_hosts=["127.0.0.1", "localhost", "[::1]"])
    if not code:
        raise ValueError("a class code is required when the classroom listens beyond this computer")
    return ClassCodeMiddleware(app, code)


def _lan_address() -> str:
    """This computer's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return socket.gethostname()


def main() -> None:
    host = os.environ.get("CLASSROOM_HOST", "127.0.0.1")
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    code = None
    if not is_loopback(host):
        from .guard import new_code

        code = os.environ.get("CLASSROOM_CODE") or new_code()
    app = build_app(host, code)
    import uvicorn

    from .uploads import MAX_UPLOAD_MB

    shown = _lan_address() if host in ("0.0.0.0", "::") else host
    print("convnet-vis classroom: loading the model once for everyone ...", flush=True)
    import helpers.apps.classroom  # noqa: F401  (load the model now, not on the first student's visit)

    if code:
        message = f"\n  Students open:  http://{shown}:{port}/?code={code}\n  Class code:     {code}\n"
    else:
        message = (f"\n  Open:  http://{host}:{port}/   (this computer only; CLASSROOM_HOST=0.0.0.0 shares it "
                   "with the classroom network, protected by a class code)\n")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5,
                            ws_max_size=int((MAX_UPLOAD_MB + 4) * 2**20))  # a bigger upload closes that tab's socket
    server = uvicorn.Server(config)

    def announce():
        while not server.started and not server.should_exit:
            time.sleep(0.1)
        if server.started:
            print(message, flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()

if __name__ == "__main__":
    main()


def start(port: int, *, host: str = "127.0.0.1", env: dict | None = None, log=None, timeout: float = 180.0):
    """Start the classroom server in a child process and wait until it answers (for the tests
    and the load-test benchmark). Returns the ``subprocess.Popen``; terminate it when done."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    full_env = {**os.environ, "PORT": str(port), "CLASSROOM_HOST": host, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    proc = subprocess.Popen([sys.executable, str(root / "scripts" / "classroom.py")], cwd=root, env=full_env,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the classroom server exited early (code {proc.returncode})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
            return proc
        except urllib.error.HTTPError:  # 403 without the class code: it is up
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"the classroom server did not answer within {timeout:.0f} s")
