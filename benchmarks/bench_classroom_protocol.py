"""Load test of the classroom without the browsers in the way: N students that speak the page's own
websocket protocol, and two real Chromium students beside them as the "what a person sees" probe.

A protocol student (:class:`tests.kit.student.Student`) does what the page's front end does: GET
the page, open the kernel websocket, run the page, then send the widget messages a browser sends
for the scripted Grad-CAM lesson of ``bench_classroom.py`` (pick a photo, change the layer, move
the alpha slider, switch the class, upload a photo, switch the class again; think times of 1-3 s).
It costs a few milliseconds of CPU per message where a Chromium page costs seconds, so hundreds
share the machine with the server without taking its cores. Per action it times the message sent
-> the first message back that changes the picture or the line naming class and layer.

Before the class, the protocol students are checked against a real browser: for each of the
lesson's four combinations, one Chromium student and one protocol student run it alone, and the
run prints whether every kind of message the protocol student sent (method and state keys) is one
the browser sent too, and how far their final pictures differ (mean absolute difference, 0-255).

Per level N (default 30, 60, 100, 150; a fresh server each, admitting N + 10 tabs per process), with
one server process and with two behind HAProxy (``make classroom WORKERS=2``): p50 / p95 of
the protocol students and of the browser probes, page opens, server CPU (seconds, and cores used
on average), server RSS, errors (an action with no new picture within the time-out, a closed
socket, an error shown) and cross-talk (a final picture that is another combination's). All
traffic goes to 127.0.0.1; every level is bounded in time.

    .venv/bin/python benchmarks/bench_classroom_protocol.py          # N = 30 60 100 150; 1 and 2 processes
    .venv/bin/python benchmarks/bench_classroom_protocol.py --students 10 --workers 2 --probes 1
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench_classroom import (  # noqa: E402
    CHROMIUM, COMBOS, Sampler, Server, _differs, _free_port, _lesson, _photo_file, tree_cpu, tree_memory)
from kit.student import Student, deserialize  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

TARGETS = {(1, 30): 1.0, (1, 60): 3.0, (2, 100): 3.0}  # (server processes, students) -> p95 (s)


class Cluster:
    """``workers`` classroom processes behind HAProxy (:class:`helpers.apps.workers.Supervisor`), on
    127.0.0.1; ``memory()`` / ``cpu()`` sum the workers' and the proxy's processes, ``per_worker_mb()``
    gives each worker's RSS."""

    def __init__(self, workers: int, env: dict | None = None):
        from helpers.apps.workers import Supervisor

        self.log = tempfile.NamedTemporaryFile("w+", suffix="-workers.log", delete=False)
        self.sup = Supervisor(workers, host="127.0.0.1", port=_free_port(), env={**os.environ, **(env or {})},
                              out=self.log, restarts=0)
        self.sup.start()
        self.url = self.sup.url().rstrip("/") + "/gradcam"

    def _processes(self):
        found = []
        for part in [*self.sup.workers, self.sup.proxy]:
            pid = part.pid if part is not None else None
            try:
                if pid:
                    found.append(psutil.Process(pid))
            except psutil.Error:
                pass
        return found

    def per_worker_mb(self) -> list[float]:
        out = []
        for w in self.sup.workers:
            try:
                out.append(psutil.Process(w.pid).memory_info().rss / 2**20)
            except (psutil.Error, TypeError):
                out.append(float("nan"))
        return out

    def memory(self) -> tuple[float, float]:
        return tree_memory(self._processes())

    def cpu(self) -> float:
        return tree_cpu(self._processes())

    def close(self):
        self.sup.stop()


class LessonStudent(Student):
    """A protocol student running the scripted lesson for one combination of ``COMBOS``."""

    def __init__(self, base: str, index: int, combo, think=(1.0, 3.0), rng=None, timeout: float = 60.0):
        super().__init__(base, timeout=timeout)
        self.index, self.combo, self.think = index, combo, think
        self.rng = rng or random.Random(index)
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.shapes: set[tuple] = set()     # (method, state keys) of every widget message sent
        self.final = None
        self.late = 0                       # pictures that changed after the action's handler ended
        self.opened_at = None
        self.received = collections.deque(maxlen=20)  # only the last few: hundreds of students share memory

    # what changes when a redraw lands: the picture's bytes and the line naming class and layer
    def signature(self):
        view = next((w["state"].get("value") for w in self.widgets.values() if w["model"] == "ImageModel"), None)
        line = next((w["state"].get("value") for w in self.widgets.values() if w["model"] == "HTMLModel"
                     and "evidence" in str(w["state"].get("value", ""))), "")
        return view, line

    def update(self, comm_id, state, buffers=(), buffer_paths=()) -> str:
        """Send a change, and keep it in this page's copy of the widget, as the browser's model does
        (the server answers with ``echo_update``, which the kit does not apply)."""
        self.shapes.add(("update", tuple(sorted(state))))
        msg_id = super().update(comm_id, state, buffers, buffer_paths)
        if not buffers:
            self.widgets[comm_id]["state"].update(state)
        return msg_id

    def _drain(self) -> None:
        """Read what arrived while this student was thinking: nothing is timed from it, and a change
        of the picture here (after the kernel said ``idle``) is counted as a late redraw."""
        before = self.signature()
        while self.recv(0.001) is not None:
            pass
        self.late += self.signature() != before

    def act(self, name: str, send) -> None:
        """Time one action: ``send()`` (returning the message's id) -> the first message that changes
        the picture or the class line. The kernel handles a widget message in one go and then
        reports ``idle`` for it, so the action ends there: a later action never counts messages of an
        earlier one. A handler that finishes with no change is an error, at once."""
        self._drain()
        before = self.signature()
        t0 = time.perf_counter()
        msg_id = send()
        deadline, changed = time.monotonic() + self.timeout, None
        while time.monotonic() < deadline:
            msg = self.recv(max(deadline - time.monotonic(), 0.01))
            if msg is None:
                continue
            if changed is None and self.signature() != before:
                changed = time.perf_counter() - t0
            if (msg["header"]["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg.get("parent_header", {}).get("msg_id") == msg_id):
                break
        if changed is not None:
            self.latencies.setdefault(name, []).append(changed)
        else:
            self.errors.append(f"student {self.index}: the picture did not change after '{name}'")
        time.sleep(self.rng.uniform(*self.think))

    def open_page(self, page: str = "/gradcam") -> None:
        """Open the page as the browser does; timed until the first picture has arrived."""
        t0 = time.perf_counter()
        status, _, _ = self.get(page)
        if status != 200:
            raise RuntimeError(f"GET {page} answered {status}")
        self.connect()
        self.send("kernel_info_request", {})
        control = "control-" + str(self.index)
        self.send("comm_open", {"comm_id": control, "target_name": "solara.control", "data": {}})
        self.send("comm_msg", {"comm_id": control, "data": {"method": "run", "args": {"path": page}}})
        deadline = time.monotonic() + 5 * self.timeout
        while not self.signature()[0] and time.monotonic() < deadline:
            self.recv(1.0)
        if not self.signature()[0]:
            raise RuntimeError("the page's picture never arrived")
        self.latencies["open"] = [time.perf_counter() - t0]
        self.opened_at = time.time()
        while self.recv(0.3) is not None:  # the rest of the page's widgets
            pass

    def _choose(self, label: str, index: int, name: str) -> None:
        dropdown = self.find("DropdownModel", description=label)
        self.act(name, lambda: self.update(dropdown, {"index": index}))

    def run(self, page: str = "/gradcam") -> None:
        photo, layer, presses, cls, upload, cls2 = self.combo
        try:
            self.open_page(page)
            time.sleep(self.rng.uniform(*self.think))
            labels = self.state(self.find("DropdownModel", description="image"))["_options_labels"]
            self._choose("image", labels.index(photo), "pick a photo")
            self._choose("layer", layer, "change layer")
            alpha = self.find("FloatSliderModel", description="alpha")
            for _ in range(presses):
                value = round(self.state(alpha)["value"] + 0.05, 2)
                self.act("move slider", lambda v=value: self.update(alpha, {"value": v}))
            self._pick_class(cls)
            content = Path(_photo_file(upload)).read_bytes()
            entry = {"name": Path(_photo_file(upload)).name, "type": "image/jpeg", "size": len(content),
                     "last_modified": 0}
            upload_id = self.find("FileUploadModel")
            self.act("upload a photo", lambda: self.update(upload_id, {"value": [entry]}, buffers=[content],
                                                           buffer_paths=[["value", 0, "content"]]))
            self._pick_class(cls2)
            self.settle(1.0, limit=self.timeout)
            view = self.signature()[0]
            self.final = cv2.imdecode(np.frombuffer(view, np.uint8), cv2.IMREAD_COLOR) if view else None
            shown = [str(w["state"].get("value", "")) for w in self.widgets.values() if w["model"] == "HTMLModel"]
            if any("Error" in s for s in shown):
                self.errors.append(f"student {self.index}: error shown: {[s for s in shown if 'Error' in s][0][:120]}")
        except (ConnectionClosed, OSError, RuntimeError, LookupError, ValueError) as err:
            self.errors.append(f"student {self.index}: {type(err).__name__}: {str(err)[:160]}")
        finally:
            self.close()

    def _pick_class(self, k: int) -> None:
        dropdown = self.find("DropdownModel", description="class")
        n = len(self.state(dropdown)["_options_labels"])
        target = min(k, n - 1)
        if self.state(dropdown).get("index") == target:  # already chosen: another first, as the browser lesson
            self._choose("class", n - 1, "switch class")
        self._choose("class", target, "switch class")


def browser_shapes(frames) -> set[tuple]:
    """(method, state keys) of every widget ``update`` a browser page sent (its raw websocket frames)."""
    shapes = set()
    for frame in frames:
        try:
            msg = deserialize(frame)
        except (ValueError, UnicodeDecodeError):
            continue
        data = msg.get("content", {}).get("data", {})
        if msg.get("header", {}).get("msg_type") == "comm_msg" and data.get("method") == "update":
            shapes.add(("update", tuple(sorted(data.get("state", {})))))
    return shapes


def _q(values, p):
    return round(float(np.percentile(values, p)), 3) if values else float("nan")


def validate(server, timeout: float) -> dict:
    """Each combination alone, once by Chromium and once by a protocol student: same messages, same
    pictures? Returns the protocol references (final pictures) and what was found."""
    refs, rows = [], []
    for k, combo in enumerate(COMBOS):
        proto = LessonStudent(server.url.rsplit("/", 1)[0], -1 - k, combo, think=(0, 0), timeout=timeout)
        proto.run()
        browser = asyncio.run(_lesson(server.url, 1, lambda i, c=combo: c, (0, 0), 0, timeout, 600))[0]
        seen = browser_shapes(browser.sent)
        rows.append({"combo": k, "picture_diff": round(_differs(proto.final, browser.final), 2),
                     "protocol_messages_the_browser_also_sends": sorted(proto.shapes) == sorted(proto.shapes & seen),
                     "protocol_only": sorted(map(str, proto.shapes - seen)),
                     "errors": proto.errors + browser.errors})
        refs.append(proto.final)
    return {"refs": refs, "rows": rows}


def run_level(n: int, args, refs, workers: int = 1) -> dict:
    env = {"CLASSROOM_MAX_STUDENTS": str(n + 10)}
    server = Server("solara", env=env) if workers == 1 else Cluster(workers, env=env)
    base = server.url.rsplit("/", 1)[0]
    worker_peak: list[float] = []
    try:
        before_rss, _ = server.memory()
        sampler = Sampler(server)
        sampler.start()
        cpu0, t0 = server.cpu(), time.time()
        me = psutil.Process()
        client0 = sum(me.cpu_times()[:2])
        students = [LessonStudent(base, i, COMBOS[i % len(COMBOS)], tuple(args.think), random.Random(args.seed + i),
                                  args.timeout) for i in range(n)]

        def arrive(s):
            time.sleep(args.arrival * s.index)  # a room fills over a while, not in one instant
            s.run()

        threads = [threading.Thread(target=arrive, args=(s,), daemon=True) for s in students]
        for t in threads:
            t.start()
        probes = []
        if args.probes:
            probes = asyncio.run(_lesson(server.url, args.probes, lambda i: COMBOS[(i + 1) % len(COMBOS)],
                                         tuple(args.think), args.seed + 1000, args.timeout, args.max_minutes * 60))
        deadline = t0 + args.max_minutes * 60
        for t in threads:
            while t.is_alive() and time.time() < deadline:
                t.join(2.0)
                if workers > 1:
                    worker_peak = [max(a, b) for a, b in zip(server.per_worker_mb(), worker_peak or [0.0] * workers)]
        wall = time.time() - t0
        cpu = server.cpu() - cpu0
        client_cpu = sum(me.cpu_times()[:2]) - client0  # the protocol students' own cost (this process)
        sampler.stop()
    finally:
        server.close()
    per_action, probe_actions = _per_action(students), _per_action(probes)
    lat = [x for k, v in per_action.items() if k != "open" for x in v]
    opens = per_action.get("open", [])
    probe_lat = [x for k, v in probe_actions.items() if k != "open" for x in v]
    crosstalk = 0
    for s in students:
        own = s.index % len(COMBOS)
        if s.final is not None and _differs(s.final, refs[own]) > 1.0:
            crosstalk += any(_differs(s.final, r) <= 1.0 for k, r in enumerate(refs) if k != own)
    errors = [e for s in students + probes for e in s.errors]
    unfinished = sum(s.final is None for s in students)
    return {"workers": workers, "students": n, "actions": len(lat),
            "worker_peak_mb": [round(m) for m in worker_peak], "wall_s": round(wall, 1),
            "p50_s": _q(lat, 50), "p95_s": _q(lat, 95), "open_p50_s": _q(opens, 50), "open_p95_s": _q(opens, 95),
            "probe_actions": len(probe_lat), "probe_p50_s": _q(probe_lat, 50), "probe_p95_s": _q(probe_lat, 95),
            "server_cpu_s": round(cpu, 1), "server_cores": round(cpu / wall, 2),
            "rss_before_mb": round(before_rss), "rss_peak_mb": round(sampler.peak[0]),
            "per_action_p95_s": {k: _q(v, 95) for k, v in sorted(per_action.items())},
            "late_redraws": sum(s.late for s in students), "client_cpu_s": round(client_cpu, 1),
            "errors": len(errors), "error_samples": errors[:5], "crosstalk": crosstalk, "unfinished": unfinished}


def _per_action(students) -> dict[str, list[float]]:
    """Every student's latencies, by action ("open" included)."""
    out: dict[str, list[float]] = {}
    for s in students:
        for k, v in s.latencies.items():
            out.setdefault(k, []).extend(v)
    return out


def _row(r) -> str:
    return (f"| {r['workers']} | {r['students']:3} | {r['actions']} | {r['p50_s']:.2f} / {r['p95_s']:.2f} s "
            f"| {r['probe_p50_s']:.2f} / {r['probe_p95_s']:.2f} s | {r['open_p50_s']:.1f} / {r['open_p95_s']:.1f} s "
            f"| {r['server_cpu_s']:.0f} s ({r['server_cores']:.2f} cores) "
            f"| {r['rss_before_mb']} -> {r['rss_peak_mb']} MB "
            f"| {r['errors']} | {r['crosstalk']} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, nargs="*", default=[30, 60, 100, 150])
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2],
                    help="server processes per run (2 or more: behind HAProxy, as make classroom WORKERS=N)")
    ap.add_argument("--probes", type=int, default=2, help="real Chromium students beside the protocol ones")
    ap.add_argument("--think", type=float, nargs=2, default=[1.0, 3.0])
    ap.add_argument("--arrival", type=float, default=0.2, help="seconds between two students' arrivals")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds an action may take before it is an error")
    ap.add_argument("--max-minutes", type=float, default=10.0, help="bound on one level")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "build" / "bench_classroom_protocol.json"))
    args = ap.parse_args()
    if args.probes and not Path(CHROMIUM).exists():
        print(f"SKIPPED: {CHROMIUM} is missing (apt-get install chromium), and the probes need it")
        return 0
    server = Server("solara")
    try:
        check = validate(server, args.timeout)
    finally:
        server.close()
    print("protocol students vs Chromium, each combination alone:")
    for row in check["rows"]:
        print(f"  combination {row['combo']}: pictures differ by {row['picture_diff']} (0-255); every message kind the "
              f"protocol student sent, the browser sent too: {row['protocol_messages_the_browser_also_sends']}"
              + (f" (not: {row['protocol_only']})" if row["protocol_only"] else "")
              + (f"; errors: {row['errors'][:2]}" if row["errors"] else ""), flush=True)
    print("\n| processes | N | actions | protocol p50 / p95 | browser probes p50 / p95 | page open p50 / p95 "
          "| server CPU | server RSS | errors | cross-talk |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    results = []
    for workers in args.workers:
        for n in args.students:
            r = run_level(n, args, check["refs"], workers)
            results.append(r)
            print(_row(r), flush=True)
            print("    p95 per action: " + ", ".join(f"{k} {v:.2f} s" for k, v in r["per_action_p95_s"].items())
                  + f"; late redraws {r['late_redraws']}; the protocol students' own CPU {r['client_cpu_s']} s",
                  flush=True)
            if r["worker_peak_mb"]:
                print(f"    peak RSS per worker: {r['worker_peak_mb']} MB", flush=True)
            for e in r["error_samples"]:
                print(f"    error: {e}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"validation": check["rows"], "levels": results}, indent=1))
    for (workers, n), target in TARGETS.items():
        r = next((r for r in results if r["students"] == n and r["workers"] == workers), None)
        if r is not None:
            print(f"target: {workers} process(es), {n} students, p95 <= {target:.0f} s: {r['p95_s']:.2f} s "
                  f"{'met' if r['p95_s'] <= target else 'MISSED'}")
    bad = [r for r in results if r["errors"] or r["crosstalk"] or r["unfinished"]]
    return 1 if bad or not all(r["protocol_messages_the_browser_also_sends"] and r["picture_diff"] <= 1.0
                               for r in check["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
