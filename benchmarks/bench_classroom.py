"""Load test of the classroom: N students in headless Chromium run a scripted Grad-CAM lesson.

One browser (Debian's chromium, Playwright), N contexts; each student opens the page, picks a
photo, changes the layer, moves the alpha slider, switches the class, uploads a photo and
switches the class again, with think times of 1-3 s. Measured per action:

* input -> picture changed (p50 / p95), timed inside the page (performance.now() at the input
  event and when a MutationObserver sees the picture or the class line change), overall and for
  the actions after every student's page had opened;
* the server side of it: from the browser's network stack sending the widget message to it
  receiving the first message that carries the change (Chrome DevTools Protocol timestamps,
  which a busy page's scripts do not delay);
* server RSS (peak, and PSS per student above the idle server); CPU seconds of the server and of
  the browsers (which share the cores with the server here), and the server's CPU per page open
  and per action measured alone (one student at a time, before the class);
* errors (an action whose picture never changes, console errors, failed requests, a request
  leaving 127.0.0.1); cross-talk: each student's final picture must match what a student alone
  gets for the same choices (recorded first, one at a time).

Runs against ``make classroom`` (Solara, one process) and, for comparison, the Voila app mode
this project had before commit d009f61 (``notebooks/apps/gradcam_app.ipynb``, one kernel per
tab), served from a checkout of that commit's parent given as ``--voila-root`` (levels whose
kernels would not fit in free memory are skipped). All traffic goes to 127.0.0.1; every run is
bounded in time.

    git worktree add --detach /tmp/voila-era d009f61^
    .venv/bin/python benchmarks/bench_classroom.py --voila-root /tmp/voila-era   # N = 10 20 30, Voila 10
    .venv/bin/python benchmarks/bench_classroom.py --students 3 --voila 2 --voila-root /tmp/voila-era
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
PHOTOS = ROOT / "data" / "images"
# (photo to pick, layer option (0 = the deepest), alpha presses, class option, file to upload,
# class option after the upload). Each (photo, layer) has some positive evidence for the photo's top
# class: on an all-zero map (chelsea at block7a_activation) moving alpha rightly changes nothing.
COMBOS = [("chelsea", 2, 2, 3, "coffee", 2),
          ("coffee", 2, 1, 2, "chelsea", 2),
          ("astronaut", 4, 3, 3, "cat_and_coffee", 3),
          ("chelsea", 3, 2, 4, "astronaut", 0)]
KERNEL_GB = 1.1  # what one Voila kernel takes (TensorFlow + the model), to decide what fits


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _photo_file(name: str) -> str:
    return str(next(p for p in PHOTOS.iterdir() if p.stem == name))


# -- servers --------------------------------------------------------------------------------------
class Server:
    """A classroom (Solara) or Voila server on 127.0.0.1; ``memory()`` sums the process tree."""

    def __init__(self, kind: str, voila_root: Path | None = None, env: dict | None = None):
        self.kind, self.port = kind, _free_port()
        self.log = tempfile.NamedTemporaryFile("w+", suffix=f"-{kind}.log", delete=False)
        if kind == "solara":
            from helpers.apps.server import start

            self.proc = start(self.port, log=self.log, env=env)
            self.url = f"http://127.0.0.1:{self.port}/gradcam"
        else:
            token = secrets.token_hex(16)
            env = {**os.environ, "JUPYTER_PATH": str(voila_root / "share" / "jupyter"), "TF_CPP_MIN_LOG_LEVEL": "2",
                   "PYTHONPATH": str(voila_root)}  # that checkout's helpers, not this one's
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).with_name("voila")), "notebooks/apps/gradcam_app.ipynb", "--no-browser",
                 "--template=convnet", "--Voila.ip=127.0.0.1", f"--port={self.port}", f"--token={token}"],
                cwd=voila_root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
            self.url = f"http://127.0.0.1:{self.port}/?token={token}"
            _wait_http(f"http://127.0.0.1:{self.port}/voila/static/", self.proc)
        self.ps = psutil.Process(self.proc.pid)

    def tree(self):
        try:
            return [self.ps, *self.ps.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def memory(self) -> tuple[float, float]:
        """(RSS, PSS) of the server and its kernels, MB."""
        return tree_memory(self.tree())

    def cpu(self) -> float:
        return tree_cpu(self.tree())

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def tree_memory(processes) -> tuple[float, float]:
    """(RSS, PSS) of ``processes`` together, MB (one that has exited counts 0)."""
    rss = pss = 0
    for p in processes:
        try:
            info = p.memory_full_info()
            rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
        except psutil.Error:
            pass
    return rss / 2**20, pss / 2**20


def tree_cpu(processes) -> float:
    """CPU seconds (user + system) of ``processes`` together."""
    total = 0.0
    for p in processes:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _wait_http(url, proc, timeout=180):
    import urllib.error
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early ({proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def _chromium():
    """The Chromium processes alive now (the simulated students' browser, zygotes and renderers)."""
    return [p for p in psutil.process_iter(["name"]) if "chrom" in (p.info["name"] or "")]


class Sampler(threading.Thread):
    """Samples the server's memory every second; ``peak`` is (RSS, PSS) MB."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.peak, self._halt = server, (0.0, 0.0), threading.Event()
        self.browser_cpu = 0.0  # Chromium processes exit with their contexts: their last reading counts

    def run(self):
        last: dict[int, float] = {}
        while not self._halt.wait(1.0):
            rss, pss = self.server.memory()
            self.peak = (max(self.peak[0], rss), max(self.peak[1], pss))
            for p in _chromium():
                try:
                    t = p.cpu_times()
                    last[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
            self.browser_cpu = sum(last.values())

    def stop(self):
        self._halt.set()
        self.join(5)


# -- one student ------------------------------------------------------------------------------------
# What a redraw changes: the picture, and the line under the controls that names the class and layer
# (two classes can have the same picture, e.g. both all-zero heatmaps at a shallow layer: then only the
# line changes; the picture bytes are equal, so the widget sends nothing and the image keeps its src).
# textContent, not innerText: reading it forces no layout.
_SIGNATURE = """() => { const i = document.querySelector('img.widget-image');
    const info = Array.from(document.querySelectorAll('.widget-html')).map(e => e.textContent)
                      .find(t => t.includes('evidence')) || '';
    return (i ? i.src : '') + '|' + info.replace(/; \\d+ ms$/, ''); }"""
# Timing in the page, performance.now() on both ends: from the input event (the first input, change or
# keydown after arming) to the moment a MutationObserver sees the signature differ. The measurement
# polls nothing but a variable, and Playwright's own round trips are not counted.
_ARM = """() => { const sig = (%s); const before = sig();
    if (window.__watch) window.__watch.disconnect();
    window.__changed = null; window.__t0 = null;
    if (!window.__inputs) {
        window.__inputs = true;
        const note = () => { if (window.__t0 === null) window.__t0 = performance.now(); };
        for (const type of ['input', 'change', 'keydown']) document.addEventListener(type, note, true);
    }
    window.__watch = new MutationObserver(() => {
        if (window.__changed === null && sig() !== before) {
            window.__changed = performance.now(); window.__watch.disconnect();
        }
    });
    window.__watch.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    window.__armed = performance.now(); }""" % _SIGNATURE
_PNG = """async () => {
    const img = document.querySelector('img.widget-image');
    const data = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let s = ''; for (let i = 0; i < data.length; i += 8192) s += String.fromCharCode(...data.subarray(i, i + 8192));
    return btoa(s);
}"""


class Student:
    def __init__(self, browser, index: int, combo, think, rng, timeout_s: float):
        self.browser, self.index, self.combo = browser, index, combo
        self.think, self.rng, self.timeout_ms = think, rng, int(timeout_s * 1000)
        self.latencies: dict[str, list[float]] = {}
        self.done_at: list[tuple[float, float]] = []  # (time.time() when an action's redraw arrived, latency)
        self.opened_at = None
        self.cpu_probe, self.cpu_marks = None, []     # server CPU at start and page open (single-student runs)
        self.action_cpu: list[float] = []             # server CPU of each action (single-student runs)
        self.frames: list[tuple[bool, float, bool]] = []  # websocket frames: (sent, browser timestamp, marks)
        self.sent: list[bytes | str] = []              # every websocket frame this page sent
        self.server_s: list[float] = []               # input frame sent -> first frame carrying the change
        self.errors: list[str] = []
        self.final = None

    async def _act(self, page, name, action):
        await page.evaluate(_ARM)
        mark = len(self.frames)
        c0 = self.cpu_probe() if self.cpu_probe else None
        await action()
        try:
            await page.wait_for_function("() => window.__changed !== null", polling=100, timeout=self.timeout_ms)
            ms = await page.evaluate("() => window.__changed - (window.__t0 === null ? window.__armed : window.__t0)")
            self.latencies.setdefault(name, []).append(ms / 1000)
            self.done_at.append((time.time(), ms / 1000))
            await self._server_time(mark)
            if c0 is not None:
                await asyncio.sleep(0.3)  # let the server finish sending
                self.action_cpu.append(self.cpu_probe() - c0)
        except Exception:
            self.errors.append(f"student {self.index}: the picture did not change after '{name}'")
        await asyncio.sleep(self.rng.uniform(*self.think))

    def _frame(self, sent: bool, event) -> None:
        """Note a websocket frame: an input (a widget message from this page) when sent, a change
        (a picture buffer, or the line naming the class) when received. Timestamps are the browser's
        network stack's, so a busy page's scripts do not delay them."""
        data, binary = event["response"]["payloadData"], event["response"]["opcode"] == 2
        head = base64.b64decode(data[:4000]) if binary else data.encode()
        marks = b"comm_msg" in head if sent else (binary and b"comm_msg" in head) or b"evidence" in head
        self.frames.append((sent, event["timestamp"], bool(marks)))
        if sent:
            self.sent.append(base64.b64decode(data) if binary else data)

    async def _server_time(self, mark: int) -> None:
        """Server + wire time of the last action, from the frames noted since ``mark``."""
        for _ in range(50):
            sent = next((i for i in range(mark, len(self.frames)) if self.frames[i][0] and self.frames[i][2]), None)
            if sent is not None:
                got = next((f for f in self.frames[sent + 1:] if not f[0] and f[2]), None)
                if got is not None:
                    self.server_s.append(got[1] - self.frames[sent][1])
                    return
            await asyncio.sleep(0.1)

    async def run(self, url):
        context = await self.browser.new_context(viewport={"width": 1100, "height": 900})
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameSent", lambda e: self._frame(True, e))
        cdp.on("Network.webSocketFrameReceived", lambda e: self._frame(False, e))
        await cdp.send("Network.enable")
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text[:160]}"))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {str(e)[:160]}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url[:120]}"))
        page.on("request", lambda r: r.url.split("/")[2:3] != [url.split("/")[2]] and not r.url.startswith(
            ("blob:", "data:")) and self.errors.append(f"request left 127.0.0.1: {r.url[:120]}"))
        photo, layer, presses, cls, upload, cls2 = self.combo

        def dropdown(label):
            return page.locator(f".widget-dropdown:has(label:text-is('{label}')) select").first

        async def pick_class(k):
            values = await dropdown("class").evaluate("s => Array.from(s.options).map(o => o.value)")
            target = values[min(k, len(values) - 1)]
            if target == await dropdown("class").input_value():  # already chosen: pick another first
                await self._act(page, "switch class", lambda: dropdown("class").select_option(values[-1]))
            await self._act(page, "switch class", lambda: dropdown("class").select_option(target))

        try:
            t0 = time.perf_counter()
            self.cpu_marks = [self.cpu_probe()] if self.cpu_probe else []
            await page.goto(url, timeout=self.timeout_ms * 5)
            await page.wait_for_function("() => { const i = document.querySelector('img.widget-image');"
                                         " return i && i.src; }", polling=100, timeout=self.timeout_ms * 5)
            self.latencies["open"] = [time.perf_counter() - t0]
            self.opened_at = time.time()
            self.cpu_marks += [self.cpu_probe()] if self.cpu_probe else []
            await asyncio.sleep(self.rng.uniform(*self.think))
            await self._act(page, "pick a photo", lambda: dropdown("image").select_option(label=photo))
            layers = await dropdown("layer").evaluate("s => Array.from(s.options).map(o => o.value)")
            await self._act(page, "change layer", lambda: dropdown("layer").select_option(layers[layer]))
            handle = page.locator(".widget-slider:has-text('alpha') .noUi-handle").first
            for _ in range(presses):
                await handle.focus()
                await self._act(page, "move slider", lambda: handle.press("ArrowRight"))
            await pick_class(cls)
            async def choose_file():
                async with page.expect_file_chooser(timeout=self.timeout_ms) as chooser:
                    await page.locator(".widget-upload").first.click()
                await (await chooser.value).set_files(_photo_file(upload))

            await self._act(page, "upload a photo", choose_file)
            await pick_class(cls2)
            settle, last = time.perf_counter(), None          # read the picture once the page is quiet
            while time.perf_counter() - settle < self.timeout_ms / 1000:
                now = await page.evaluate(_SIGNATURE)
                if now == last:
                    break
                last = now
                await asyncio.sleep(3.0)
            self.final = cv2.imdecode(np.frombuffer(__import__("base64").b64decode(await page.evaluate(_PNG)),
                                                    np.uint8), cv2.IMREAD_COLOR)
            status = await page.locator(".widget-html").all_inner_texts()
            if any("Error" in s for s in status):
                self.errors.append(f"student {self.index}: error shown: {[s for s in status if 'Error' in s][:1]}")
        except Exception as err:
            self.errors.append(f"student {self.index}: {type(err).__name__}: {str(err)[:160]}")
        finally:
            await context.close()


def _renice_browsers(nice: int) -> None:
    """Lower the priority of the Chromium processes running now (browser, zygotes): the renderers
    they fork for each student inherit it."""
    for p in _chromium():
        try:
            p.nice(max(p.nice(), nice))
        except psutil.Error:
            pass


async def _lesson(url, n, combos_for, think, seed, timeout_s, total_s, nice=0, cpu_probe=None):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        if nice:
            _renice_browsers(nice)
        students = [Student(browser, i, combos_for(i), think, random.Random(seed + i), timeout_s) for i in range(n)]
        for s in students:
            s.cpu_probe = cpu_probe

        async def staggered(s):
            await asyncio.sleep(0.5 * s.index)  # students arrive over a few seconds, as in a room
            await s.run(url)

        try:
            await asyncio.wait_for(asyncio.gather(*(staggered(s) for s in students)), total_s)
        except asyncio.TimeoutError:
            for s in students:
                if s.final is None:
                    s.errors.append(f"student {s.index}: lesson not finished within {total_s:.0f} s")
        await browser.close()
    return students


# -- one run ---------------------------------------------------------------------------------------------
def _differs(a, b) -> float:
    if a is None or b is None or a.shape != b.shape:
        return 255.0
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def run_level(kind: str, n: int, args) -> dict:
    server = Server(kind, Path(args.voila_root) if args.voila_root else None)
    try:
        idle_rss, _ = server.memory()
        # references: each combination alone, one student at a time, no think time
        refs, alone_open, alone_action = [], [], []
        for combo in COMBOS:
            alone = asyncio.run(_lesson(server.url, 1, lambda i, c=combo: c, (0, 0), 0, args.timeout, 600,
                                        nice=args.browser_nice, cpu_probe=server.cpu))[0]
            refs.append(alone.final)
            if len(alone.cpu_marks) == 2:
                alone_open.append(alone.cpu_marks[1] - alone.cpu_marks[0])
            alone_action += alone.action_cpu
        distinct = min(_differs(a, b) for i, a in enumerate(refs) for b in refs[i + 1:])
        base_rss, base_pss = server.memory()
        cpu0 = server.cpu()
        sampler = Sampler(server)
        sampler.start()
        t0 = time.time()
        students = asyncio.run(_lesson(server.url, n, lambda i: COMBOS[i % len(COMBOS)], tuple(args.think),
                                       args.seed, args.timeout, args.max_minutes * 60, nice=args.browser_nice))
        wall = time.time() - t0
        sampler.stop()
        cpu = server.cpu() - cpu0
    finally:
        server.close()
    lat = [x for s in students for k, v in s.latencies.items() if k != "open" for x in v]
    opens = [x for s in students for x in s.latencies.get("open", [])]
    # actions whose redraw arrived once every student had the page open (no page loading at the same time)
    all_open = max((s.opened_at for s in students), default=None) if all(s.opened_at for s in students) else None
    later = [x for s in students for when, x in s.done_at if all_open and when > all_open]
    wire = [x for s in students for x in s.server_s]
    # A final picture unlike its own reference is cross-talk when it is another combination's
    # picture (someone else's choices reached this screen), "stale" when it is nobody's (e.g. the
    # screen still showed an earlier step when it was read). Both are saved for a look.
    crosstalk = stale = 0
    shots = ROOT / "build" / "bench_classroom" / f"{kind}{n}"
    shots.mkdir(parents=True, exist_ok=True)
    for s in students:
        own = s.index % len(COMBOS)
        if s.final is None or _differs(s.final, refs[own]) <= 1.0:
            continue
        others = [k for k, ref in enumerate(refs) if k != own and _differs(s.final, ref) <= 1.0]
        crosstalk += bool(others)
        stale += not others
        cv2.imwrite(str(shots / f"student{s.index}_combo{own}_{'combo' + str(others[0]) if others else 'stale'}.png"),
                    s.final)
    errors = [e for s in students for e in s.errors]
    actions = len(lat)
    def q(v, p):
        return float(np.percentile(v, p)) if v else float("nan")

    result = {
        "server": kind, "students": n, "actions": actions, "wall_s": round(wall, 1),
        "p50_s": round(q(lat, 50), 3), "p95_s": round(q(lat, 95), 3), "open_p50_s": round(q(opens, 50), 1),
        "open_p95_s": round(q(opens, 95), 1),
        "server_side": {"actions": len(wire), "p50_s": round(q(wire, 50), 3), "p95_s": round(q(wire, 95), 3)},
        "after_all_open": {"actions": len(later), "p50_s": round(q(later, 50), 3), "p95_s": round(q(later, 95), 3)},
        "browser_nice": args.browser_nice,
        "alone_server_cpu_s": {"page_open": round(statistics.mean(alone_open), 3) if alone_open else None,
                               "action": round(statistics.median(alone_action), 3) if alone_action else None},
        "per_action": {k: round(statistics.median(v), 3) for k, v in _by_action(students).items()},
        "idle_rss_mb": round(idle_rss), "before_rss_mb": round(base_rss), "peak_rss_mb": round(sampler.peak[0]),
        "peak_pss_mb": round(sampler.peak[1]),
        "mb_per_student": round((sampler.peak[1] - base_pss) / n, 1),
        "server_cpu_s_per_action": round(cpu / max(actions, 1), 3),
        "server_cpu_s": round(cpu, 1), "browsers_cpu_s": round(sampler.browser_cpu, 1),
        "cpu_busy": round((cpu + sampler.browser_cpu) / (wall * (os.cpu_count() or 1)), 2),
        "errors": len(errors), "error_samples": errors[:5],
        "crosstalk": crosstalk, "stale": stale, "unfinished": sum(s.final is None for s in students),
        "references_differ_by": round(distinct, 1),
    }
    print(_row(result), flush=True)
    a, w = result["after_all_open"], result["server_side"]
    print(f"    server side (input frame sent -> change received, {w['actions']} actions): p50 {w['p50_s']:.2f} s, "
          f"p95 {w['p95_s']:.2f} s", flush=True)
    print(f"    once all {n} pages were open: {a['actions']} actions, p50 {a['p50_s']:.2f} s, p95 {a['p95_s']:.2f} s; "
          f"page open p95 {result['open_p95_s']:.0f} s; "
          f"server CPU alone: {result['alone_server_cpu_s']['page_open']} s "
          f"per page open, {result['alone_server_cpu_s']['action']} s per action", flush=True)
    for e in result["error_samples"]:
        print(f"    error: {e}", flush=True)
    return result


def _by_action(students):
    out: dict[str, list[float]] = {}
    for s in students:
        for k, v in s.latencies.items():
            out.setdefault(k, []).extend(v)
    return out


def _row(r) -> str:
    return (f"| {r['server']:6} | {r['students']:3} | {r['p50_s']:.2f} s | {r['p95_s']:.2f} s "
            f"| {r['open_p50_s']:.0f} s "
            f"| {r['before_rss_mb']} -> {r['peak_rss_mb']} MB (PSS {r['peak_pss_mb']}) | {r['mb_per_student']} "
            f"| {r['server_cpu_s_per_action']:.2f} s | {r['server_cpu_s']:.0f} / {r['browsers_cpu_s']:.0f} s "
            f"({100 * r['cpu_busy']:.0f} %) | {r['errors']} | {r['crosstalk']} (stale {r['stale']}) |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, nargs="*", default=[10, 20, 30])
    ap.add_argument("--voila", type=int, nargs="*", default=[10], help="Voila levels (skipped if they cannot fit)")
    ap.add_argument("--think", type=float, nargs=2, default=[1.0, 3.0])
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds an action may take before it counts as an error")
    ap.add_argument("--max-minutes", type=float, default=12.0, help="bound on one level's lesson")
    ap.add_argument("--voila-root", default=None, help="a checkout of d009f61^ (the last commit with the Voila apps)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="run the simulated students' Chromium at this niceness (e.g. 10: the browsers, which in "
                         "a classroom run on the students' own computers, take only the CPU the server leaves)")
    ap.add_argument("--out", default=str(ROOT / "build" / "bench_classroom.json"))
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"SKIPPED: {CHROMIUM} is missing (apt-get install chromium)")
        return 0
    print("| server | N | p50 | p95 | open (p50) | server memory | MB/student | server CPU/action "
          "| CPU server / browsers (machine busy) | errors | cross-talk |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    results = []
    for n in args.students:
        results.append(run_level("solara", n, args))
    for n in args.voila:
        if not args.voila_root or not (Path(args.voila_root) / "notebooks" / "apps" / "gradcam_app.ipynb").exists():
            print(f"| voila  | {n:3} | skipped: the Voila app mode was removed (commit d009f61); to compare, give "
                  "--voila-root, a checkout of d009f61^ |")
            continue
        free_gb = psutil.virtual_memory().available / 2**30
        if n * KERNEL_GB + 3 > free_gb:
            print(f"| voila  | {n:3} | skipped: {n} kernels need ~{n * KERNEL_GB:.0f} GB, {free_gb:.0f} GB free |")
            continue
        results.append(run_level("voila", n, args))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    bad = [r for r in results if r["errors"] or r["crosstalk"] or r["unfinished"]]
    target = [r for r in results if r["server"] == "solara" and r["students"] == 30]
    for r in target:
        ok = r["peak_rss_mb"] <= 2048 and r["p95_s"] <= 3.0 and not r["errors"] and not r["crosstalk"]
        print(f"30 students (targets: RSS <= 2 GB, p95 <= 3 s, 0 errors, 0 cross-talk): {'OK' if ok else 'MISSED'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
