"""One child process of the classroom's supervisor (a server process, or HAProxy): started in a
process group of its own that ends with the supervisor, its output copied line by line.

Like :mod:`helpers.apps.workers`, this imports nothing of ``helpers`` (TensorFlow): the supervisor
loads both on their own (scripts/classroom.py).
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["Worker", "how_it_stopped", "write_line"]

ROOT = Path(__file__).resolve().parents[2]


def _prctl():
    """Linux's ``prctl``, looked up once here, so a child calls it before exec without loading anything."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def _own_group_and_die_with_parent() -> None:
    """In a child, before exec: a process group of its own (Ctrl-C reaches only the supervisor, which
    stops everyone in order), and SIGTERM when the thread that started it ends (Linux's
    PR_SET_PDEATHSIG), so no worker outlives a killed supervisor."""
    os.setpgrp()
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)


def how_it_stopped(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


class Worker:
    """One child process (a classroom server, or the proxy) whose output lines go to ``out`` as
    ``[name] line``; ``ready`` is set when a line contains ``ready_line`` (None: at once)."""

    def __init__(self, name: str, command, env: dict, out, ready_line: str | None = None, port: int = 0):
        self.name, self.command, self.env, self.out = name, list(command), env, out
        self.ready_line, self.port = ready_line, port
        self.proc: subprocess.Popen | None = None
        self.ready = threading.Event()
        self.stops: collections.deque = collections.deque()  # when it stopped by itself
        self.reported = False

    def start(self) -> None:
        """Start (or restart) the process, ended with its supervisor (see _own_group_and_die_with_parent)."""
        self.ready.clear()
        self.reported = False
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, bufsize=1,
                                     errors="replace", preexec_fn=_own_group_and_die_with_parent)
        threading.Thread(target=self._copy, args=(self.proc,), daemon=True, name=f"output of {self.name}").start()
        if self.ready_line is None:
            self.ready.set()

    def _copy(self, proc) -> None:
        for line in proc.stdout:
            if self.ready_line is not None and self.ready_line in line and proc is self.proc:
                self.ready.set()  # (a dead process's last lines never mark its successor ready)
            write_line(self.out, f"[{self.name}] {line.rstrip()}")

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


_OUT_LOCK = threading.Lock()


def write_line(out, text: str) -> None:
    with _OUT_LOCK:
        out.write(text + "\n")
        out.flush()
