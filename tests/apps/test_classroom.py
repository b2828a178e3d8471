"""The classroom server (make classroom): one Solara process, many students.

Without a browser: the class-code middleware, the worker pool (latest request wins, one running
job per student, bounded), the upload limits; in process, the pages: the start page lists them all,
after the warm-up no page's first default view traces anything, and the composed pages (occluder,
where -> what, debug a model) show what their controls say. With Debian's headless Chromium (Playwright, no
browser download): five students in one browser each do one thing on the Grad-CAM page; each
sees their own picture change and nobody else's; no console error; no request leaves
127.0.0.1; and the server refuses to run code sent over its websocket.
"""
from __future__ import annotations

import asyncio
import datetime
import os
import tempfile
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import urlparse

import cv2
import numpy as np
import pytest

with warnings.catch_warnings():  # starlette >= 1.0 suggests httpx2 for its TestClient; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from kit import free_port
from kit.browser import CHROMIUM, FLAGS, require_chromium
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from helpers.apps.guard import COOKIE, ClassCodeMiddleware
from helpers.apps.pool import WorkerPool
from helpers.apps.readiness import WARMING
from helpers.apps.workers import is_loopback
from helpers.apps.uploads import guard_uploads
from helpers.images import IMAGES_DIR
from helpers.widgets import ImagePicker

ROOT = Path(__file__).resolve().parents[2]
CODE = "test-class-code-1234"


# -- class code ---------------------------------------------------------------------------------
def _tiny_app():
    async def home(request):
        return PlainTextResponse("the app")

    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    return Starlette(routes=[Route("/", home), Route("/gradcam", home), WebSocketRoute("/ws", ws)])


def test_class_code_is_required_for_pages_and_websockets():
    client = TestClient(ClassCodeMiddleware(_tiny_app(), CODE), follow_redirects=False)
    assert client.get("/").status_code == 403
    wrong = client.get("/?code=not-the-code")
    assert wrong.status_code == 403 and "not right" in wrong.text and COOKIE not in wrong.cookies
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/ws") as socket_:
            socket_.receive_text()
    assert closed.value.code == 1008

    ok = client.get(f"/gradcam?code={CODE}&x=1")
    assert ok.status_code == 303 and ok.headers["location"] == "/gradcam?x=1"  # the code leaves the address bar
    cookie = ok.cookies[COOKIE]
    assert CODE not in cookie and "httponly" in ok.headers["set-cookie"].lower()
    client.cookies.set(COOKIE, cookie)
    assert client.get("/").text == "the app"
    with client.websocket_connect("/ws") as socket_:
        assert socket_.receive_text() == "hello"
    client.cookies.set(COOKIE, cookie[:-1] + ("0" if cookie[-1] != "0" else "1"))
    assert client.get("/").status_code == 403


def test_short_codes_are_refused_and_only_loopback_runs_without_a_code():
    with pytest.raises(ValueError, match="at least 8"):
        ClassCodeMiddleware(_tiny_app(), "1234")
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "192.168.1.5")] == [
        True, True, True, False, False]


# -- static files kept compressed ---------------------------------------------------------------
def _static_app(calls):
    import gzip as _gzip

    from starlette.middleware.gzip import GZipMiddleware

    script = "".join(f"var v{i} = {i * 7919 % 10007};\n" for i in range(4000)).encode()  # ~80 KB

    async def asset(request):
        calls.append(request.url.path)
        if request.path_params.get("name") == "missing.js":
            return PlainTextResponse("not found", status_code=404)
        return PlainTextResponse(script.decode(), media_type="application/javascript")

    app = Starlette(routes=[Route("/static/{name}", asset), Route("/gradcam", asset)])
    return GZipMiddleware(app, minimum_size=1000), script, _gzip


def test_static_files_are_compressed_once_and_replayed_byte_for_byte():
    from helpers.apps.assets import StaticCache

    calls = []
    inner, script, gzip = _static_app(calls)
    cached = StaticCache(inner)
    client = TestClient(cached)
    first = client.get("/static/main.js?v=1", headers={"Accept-Encoding": "gzip"})
    again = [client.get("/static/main.js?v=1", headers={"Accept-Encoding": "gzip"}) for _ in range(3)]
    assert calls == ["/static/main.js"] and cached.stats == {"hits": 3, "misses": 1}
    for r in [first, *again]:
        assert r.status_code == 200 and r.content == script and r.headers["content-encoding"] == "gzip"
        assert r.headers["content-type"].startswith("application/javascript")
    assert 0 < cached.nbytes < len(script) / 3  # kept compressed
    # without gzip, another query string, a range request: each its own answer, never a mixed-up one
    plain = client.get("/static/main.js?v=1", headers={"Accept-Encoding": "identity"})
    assert plain.content == script and "content-encoding" not in plain.headers
    client.get("/static/main.js?v=2", headers={"Accept-Encoding": "gzip"})
    client.get("/static/main.js?v=1", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert len(calls) == 4
    # pages, other methods and failed answers are never kept
    for _ in range(2):
        client.get("/gradcam")
        client.head("/static/main.js?v=1")
        assert client.get("/static/missing.js").status_code == 404
    assert calls.count("/gradcam") == 2 and calls.count("/static/missing.js") == 2
    assert calls.count("/static/main.js") == 4 + 2  # the two HEAD requests went through
    cached.clear()
    assert cached.nbytes == 0
    client.get("/static/main.js?v=1", headers={"Accept-Encoding": "gzip"})
    assert calls.count("/static/main.js") == 7


def test_static_cache_is_bounded_in_bytes():
    from helpers.apps.assets import StaticCache

    calls = []
    inner, script, _ = _static_app(calls)
    cached = StaticCache(inner, max_bytes=5000)  # less than one compressed answer
    client = TestClient(cached)
    for _ in range(3):
        assert client.get("/static/main.js", headers={"Accept-Encoding": "gzip"}).content == script
    assert cached.nbytes == 0 and len(calls) == 3  # too big to keep: served the normal way each time


def test_the_class_code_is_checked_before_the_static_cache():
    from helpers.apps.assets import StaticCache

    calls = []
    inner, script, _ = _static_app(calls)
    client = TestClient(ClassCodeMiddleware(StaticCache(inner), CODE))
    assert client.get(f"/static/main.js?code={CODE}").content == script  # fills the cache
    stranger = TestClient(ClassCodeMiddleware(StaticCache(inner), CODE))
    assert stranger.get("/static/main.js").status_code == 403


# -- worker pool --------------------------------------------------------------------------------
def test_pool_replaces_stale_requests_and_serves_students_in_turn():
    pool = WorkerPool(workers=1)
    release, ran = threading.Event(), []
    atlas = pool.submit("ann", "atlas", lambda: (release.wait(10), ran.append("ann-atlas")))
    while atlas.state != "running":
        time.sleep(0.01)
    slider = [pool.submit("ann", "redraw", lambda k=k: ran.append(f"ann-{k}")) for k in range(5)]
    bob = pool.submit("bob", "redraw", lambda: ran.append("bob"))
    assert [j.state for j in slider[:4]] == ["replaced"] * 4 and pool.stats["replaced"] == 4
    release.set()
    assert slider[-1].wait(10) and bob.wait(10)
    assert ran == ["ann-atlas", "bob", "ann-4"]  # ann just had the worker: bob goes first
    pool.shutdown()


def test_pool_is_bounded_and_survives_failing_jobs():
    pool = WorkerPool(workers=2)
    lock, now, peak = threading.Lock(), [0], [0]

    def work():
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.05)
        with lock:
            now[0] -= 1

    def fail():
        raise ValueError("bad layer")

    bad = pool.submit("eve", "redraw", fail)
    jobs = [pool.submit(f"s{i}", "redraw", work) for i in range(8)]
    assert all(j.wait(10) for j in jobs + [bad])
    assert bad.state == "failed" and isinstance(bad.error, ValueError)
    assert [j.state for j in jobs] == ["done"] * 8 and peak[0] == 2
    with pytest.raises(ValueError, match="at least 1"):
        WorkerPool(workers=0)
    pool.shutdown()


# -- uploads ------------------------------------------------------------------------------------
def _entry(name: str, content: bytes) -> dict:
    return {"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
            "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)}


def _png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image[..., ::-1])[1].tobytes()


def test_bad_uploads_are_refused_for_that_student_only():
    ann, bob = ImagePicker(size=64, max_upload_mb=1), ImagePicker(size=64)   # the cap: public, either way
    guard_uploads(bob, max_bytes=2**20)
    assert ann.max_upload_bytes == bob.max_upload_bytes == 2**20
    before_ann, before_bob = ann.image.copy(), bob.image.copy()

    ann.upload.value = (_entry("huge.png", b"\x89PNG" + bytes(2**20)),)  # over the cap: never decoded
    assert "huge.png" in ann.status.value and "1 MB" in ann.status.value
    assert ann.upload.value == () and np.array_equal(ann.image, before_ann)
    ann.upload.value = (_entry("notes.txt", b"this is not a picture"),)
    assert "not an image" in ann.status.value and np.array_equal(ann.image, before_ann)
    assert bob.status.value == "" and np.array_equal(bob.image, before_bob)

    red = np.zeros((80, 120, 3), np.uint8)
    red[..., 0] = 255
    bob.upload.value = (_entry("red.png", _png(red)),)
    assert bob.status.value == "" and bob.name == "red.png" and bob.image.shape == (64, 64, 3)
    assert (bob.image[..., 0] == 255).all() and np.array_equal(ann.image, before_ann)


def test_a_decoder_crash_is_shown_to_that_student_and_the_picker_lives_on(monkeypatch):
    from helpers.widgets import picker as picker_module

    picker = ImagePicker(size=64)
    before = picker.image.copy()

    def crash(*args, **kwargs):
        raise MemoryError("the decoder ran out of memory")

    monkeypatch.setattr(picker_module, "load_image", crash)
    picker.upload.value = (_entry("odd.png", b"\x89PNG"),)
    assert "odd.png" in picker.status.value and "MemoryError" in picker.status.value
    assert picker.upload.value == () and np.array_equal(picker.image, before)
    monkeypatch.undo()
    picker.dropdown.value = "coffee"                      # still alive
    assert picker.status.value == "" and picker.name == "coffee"


def _png_claiming(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    """A small PNG whose header claims width x height (depth bits a value; colour type 2: RGB, 6: RGBA);
    its data is one zlib block of zeros."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(2**20), 9))
            + chunk(b"IEND", b""))


def test_a_pixel_bomb_is_refused_from_its_header():
    picker = ImagePicker(size=64)
    guard_uploads(picker)
    before = picker.image.copy()
    bomb = _png_claiming(20000, 20000)
    assert len(bomb) < 400_000
    picker.upload.value = (_entry("bomb.png", bomb),)
    assert "pixels" in picker.status.value and np.array_equal(picker.image, before)


def test_a_small_16_bit_rgba_png_that_decodes_to_392_mb_is_refused_undecoded(monkeypatch):
    picker = ImagePicker(size=64)
    guard_uploads(picker)
    before = picker.image.copy()
    bomb = _png_claiming(7000, 7000, depth=16, colour=6)  # 49 megapixels: under the pixel limit
    assert len(bomb) < 10_000
    monkeypatch.setattr(cv2, "imdecode", lambda *args: pytest.fail("the bomb was handed to the decoder"))
    picker.upload.value = (_entry("bomb.png", bomb),)
    assert "'bomb.png' is 7000 x 7000 pixels" in picker.status.value and "392 MB" in picker.status.value
    assert picker.upload.value == () and np.array_equal(picker.image, before)


def test_classroom_uploads_are_jpeg_png_or_webp_only():
    from helpers.apps.uploads import CLASSROOM_FORMATS

    free, guarded = ImagePicker(size=32), ImagePicker(size=32)
    guard_uploads(guarded)
    assert free.formats is None and free.upload.accept == "image/*"
    assert guarded.formats == CLASSROOM_FORMATS == ("JPEG", "PNG", "WEBP")
    assert {"image/jpeg", "image/png", "image/webp", ".jpg", ".png", ".webp"} <= set(guarded.upload.accept.split(","))
    before = guarded.image.copy()
    green = np.zeros((40, 40, 3), np.uint8)
    green[..., 1] = 255
    for name, ext in (("scan.bmp", ".bmp"), ("scan.tif", ".tif")):
        data = cv2.imencode(ext, green)[1].tobytes()
        guarded.upload.value = (_entry(name, data),)
        assert f"{name!r} is a {'BMP' if ext == '.bmp' else 'TIFF'} picture" in guarded.status.value
        assert "JPEG, PNG, WEBP" in guarded.status.value
        assert guarded.upload.value == () and np.array_equal(guarded.image, before) and guarded.name == "chelsea"
        free.upload.value = (_entry(name, data),)  # without the classroom's guard, the same file loads
        assert free.status.value == "" and free.name == name and (free.image[..., 1] == 255).all()
    guarded.upload.value = (_entry("green.webp", cv2.imencode(".webp", green, [cv2.IMWRITE_WEBP_QUALITY, 101])[1]
                                   .tobytes()),)
    assert guarded.status.value == "" and guarded.name == "green.webp" and (guarded.image[..., 1] == 255).all()
    guarded.upload.value = (_entry("sky.hdr", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 7000 +X 9000\n" + bytes(99)),)
    assert "'sky.hdr' is not an image" in guarded.status.value and "JPEG, PNG, WEBP" in guarded.status.value
    with pytest.raises(ValueError, match="unknown image format 'GIF'; choose one of 'BMP', 'JPEG'"):
        ImagePicker(size=32, formats=("PNG", "GIF"))


def test_the_classroom_keeps_the_50_megapixel_limit_a_notebook_lifts_for_jpegs():
    """A 60-megapixel phone JPEG loads in a notebook picker (decoded at reduced size) but is refused
    from its header in the classroom's: a student cannot make the server decode it."""
    photo = np.full((6000, 10000, 3), 90, np.uint8)  # flat: encodes small and fast
    entry = _entry("phone.jpg", cv2.imencode(".jpg", photo)[1].tobytes())
    free, guarded = ImagePicker(size=32), ImagePicker(size=32)
    guard_uploads(guarded)
    free.upload.value = (entry,)
    assert free.status.value == "" and free.name == "phone.jpg" and free.image.shape == (32, 32, 3)
    guarded.upload.value = (entry,)
    assert "10000 x 6000 pixels (60 megapixels), over the limit of 50 megapixels" in guarded.status.value
    assert guarded.name == "chelsea"


# -- five students in a real browser ---------------------------------------------------------------
@pytest.fixture(scope="module")
def classroom():
    require_chromium("playwright.async_api")
    from helpers.apps.server import start

    port = free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        proc = start(port, log=log)
        try:
            yield f"http://127.0.0.1:{port}/", Path(log.name)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except Exception:
                proc.kill()


_PICTURE = """async () => {
    const img = document.querySelector('img.widget-image');
    if (!img || !img.src) return null;
    const data = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    return data.length ? Array.from(data.slice(0, 64)).join(',') + ':' + data.length + ':' + img.src : null;
}"""


async def _picture(page):
    return await page.evaluate(_PICTURE)


async def _changed(page, before, timeout=90.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = await _picture(page)
        if now and now != before:
            return now
        await asyncio.sleep(0.1)
    raise AssertionError("the picture did not change")


async def _bytes(page) -> str:
    return await page.evaluate("""async () => {
        const img = document.querySelector('img.widget-image');
        const data = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
        const hash = await crypto.subtle.digest('SHA-256', data);
        return Array.from(new Uint8Array(hash)).map(b => b.toString(16).padStart(2, '0')).join('');
    }""")


async def _five_students(url):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        messages, requests = [], []
        pages = []
        for i in range(5):
            context = await browser.new_context(viewport={"width": 1100, "height": 900})
            page = await context.new_page()
            page.on("console", lambda m, i=i: messages.append((i, m.type, m.text)))
            page.on("pageerror", lambda e, i=i: messages.append((i, "pageerror", str(e))))
            page.on("requestfailed", lambda r, i=i: messages.append((i, "error", f"request failed: {r.url}")))
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", lambda ws: requests.append(ws.url))
            pages.append(page)
        await asyncio.gather(*(page.goto(url + "gradcam", timeout=180_000) for page in pages))
        first = await asyncio.gather(*(_changed(page, None, 180) for page in pages))

        async def act(i, page):
            """Students 0-3 pick the 2nd..5th class of the top five, student 4 another photo."""
            if i < 4:
                select = page.locator(".widget-dropdown:has(label:text-is('class')) select").first
                values = await select.evaluate("s => Array.from(s.options).map(o => o.value)")
                await select.select_option(values[i + 1])
                chosen = await select.evaluate("s => s.options[s.selectedIndex].text")
            else:
                select = page.locator(".widget-dropdown:has(label:text-is('image')) select").first
                await select.select_option(label="chelsea")
                chosen = "chelsea"
            await _changed(page, first[i])
            await page.wait_for_timeout(1500)  # let the redraw settle (a new photo redraws twice)
            return chosen, await _bytes(page)

        mine = await asyncio.gather(*(act(i, page) for i, page in enumerate(pages)))
        await asyncio.sleep(2.0)
        final = await asyncio.gather(*(_bytes(page) for page in pages))
        texts = await asyncio.gather(*(page.locator(".widget-html").all_inner_texts() for page in pages))
        code_ran = await pages[0].evaluate(_TRY_TO_RUN_CODE.replace("MARKER", str(_MARKER)))
        await browser.close()
    return mine, final, texts, messages, requests, code_ran


_MARKER = Path(tempfile.gettempdir()) / f"convnet-classroom-{os.getpid()}.marker"
_TRY_TO_RUN_CODE = """async () => {
    const kernel = crypto.randomUUID(), session = crypto.randomUUID();
    const ws = new WebSocket(`ws://${location.host}/jupyter/api/kernels/${kernel}/channels?session_id=${session}`);
    const replies = [];
    ws.onmessage = (e) => { try { replies.push(JSON.parse(e.data).header.msg_type); } catch (err) {} };
    await new Promise((ok, bad) => { ws.onopen = ok; ws.onerror = bad; setTimeout(bad, 20000); });
    const msg = (type, content) => JSON.stringify({channel: 'shell', header: {msg_id: crypto.randomUUID(),
        msg_type: type, session, username: 'student', date: new Date().toISOString(), version: '5.3'},
        parent_header: {}, metadata: {}, content, buffers: []});
    ws.send(msg('kernel_info_request', {}));
    await new Promise(r => setTimeout(r, 2000));
    ws.send(msg('execute_request', {code: "open(r'MARKER', 'w').write('ran')", silent: false,
        store_history: false, user_expressions: {}, allow_stdin: false}));
    await new Promise(r => setTimeout(r, 2000));
    ws.close();
    return replies;
}"""


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_five_students_each_see_only_their_own_choices_offline(classroom):
    url, log = classroom
    _MARKER.unlink(missing_ok=True)
    mine, final, texts, messages, requests, replies = asyncio.run(_five_students(url))
    mine = [(chosen.replace("\xa0", " "), h) for chosen, h in mine]

    assert [h for _, h in mine] == final, "a student's picture changed after their own action finished"
    assert len(set(final)) == 5, "two students who chose differently see the same picture"
    for i, (chosen, _) in enumerate(mine):
        shown = " ".join(texts[i])
        if i < 4:
            assert chosen.split(" (")[0] in shown, f"student {i} chose {chosen!r} but sees {shown[:200]!r}"
            others = [mine[j][0].split(" (")[0] for j in range(4) if j != i]
            assert not any(f"for {name}" in shown for name in others), f"student {i} sees another's class"
    errors = [m for m in messages if m[1] in ("error", "pageerror")]
    assert not errors, errors

    foreign = sorted({u for u in requests if urlparse(u).scheme not in ("blob", "data")
                      and urlparse(u).hostname != "127.0.0.1"})
    assert not foreign, f"requests left 127.0.0.1: {foreign}"
    assert len(requests) > 20  # the check saw the page's real traffic

    assert "kernel_info_reply" in replies, replies  # the websocket itself worked ...
    assert not _MARKER.exists(), "code sent over the websocket was executed"  # ... and ran no code
    assert "Could not load URL" not in log.read_text(), "an asset was missing from solara-assets"


# -- the pages, in process (no server): builders, warm-up, the composed pages ---------------------
@pytest.fixture(scope="module")
def app():
    """helpers.apps.classroom, imported as the server imports it (the models loaded once)."""
    from helpers.apps import classroom

    return classroom


def _traces():
    """Every live tf.function of this process and how often it was traced (an independent count:
    what TensorFlow itself reports, found without asking the project's caches)."""
    import gc

    import tensorflow as tf

    return {id(f): (f, f.experimental_get_tracing_count()) for f in gc.get_objects()
            if isinstance(f, tf.types.experimental.PolymorphicFunction)}


def _new_traces(before, after):
    return [(getattr(f, "__name__", type(f).__name__), n) for key, (f, n) in after.items()
            if n and (key not in before or before[key][1] != n)]


def test_the_start_page_lists_every_page(app):
    pages = [r for r in app.routes if r.path != "/"]
    assert {r.path for r in pages} == set(app.BUILDERS)  # every page has its builder, and no builder is hidden
    for route in pages:
        assert f"<b>{route.label}</b>" in app.INTRO, f"the start page does not list {route.label!r}"


def _intro_text(app) -> str:
    import solara

    box, rc = solara.render(app.Intro(), handle_error=False)
    try:
        return " ".join(str(getattr(w, "unsafe_innerHTML", "")) for w in box.children)
    finally:
        rc.close()


def test_the_start_page_says_when_the_server_is_still_warming_up(app):
    assert not WARMING.is_set() and "warming up" not in _intro_text(app)
    WARMING.set()
    try:
        text = _intro_text(app)
    finally:
        WARMING.clear()
    assert "warming up" in text and "<b>Debug a model</b>" in text


def test_after_warm_up_the_first_default_view_of_each_page_traces_nothing(app):
    import tensorflow as tf

    from helpers.apps.warmup import WARM_CAM_LAYERS, engines, warm_up

    seconds = warm_up()
    assert set(seconds) == set(app.BUILDERS) | {"engines"} and not WARMING.is_set()
    # the counter sees a trace when there is one (else this test could not fail)
    probe = tf.function(lambda x: 2 * x)
    before = _traces()
    probe(tf.constant(1.0))
    assert len(_new_traces(before, _traces())) == 1

    before = _traces()
    for name, build in app.BUILDERS.items():
        view = build(pooled=False)  # a student's first visit: the default view
        if name == "gradcam":      # ... and the first class switch: the gradients from cached maps
            view.class_dropdown.value = view.class_dropdown.options[1][1]
            photo = IMAGES_DIR / "coffee.png"  # ... an upload, and each of the menu's deepest layers
            view.picker.upload.value = ({"name": photo.name, "type": "image/png", "size": photo.stat().st_size,
                                         "content": photo.read_bytes(), "last_modified": 0},)
            assert view.picker.name == "coffee.png" and view.picker.error is None
            default = view.layer_dropdown.value
            for layer in view.layer_dropdown.options[:WARM_CAM_LAYERS]:
                view.layer_dropdown.value = layer
                assert layer in view.info_label.value
            view.layer_dropdown.value = default
            for _, method in view.method_toggle.options:  # ... and each method (Score-CAM: masked passes)
                view.method_toggle.value = method
        if name == "debug":        # ... and the other model
            view.model_choice.value = "fixed"
    assert _new_traces(before, _traces()) == []
    found = engines([app.MODEL, *app.DEBUG_MODELS.values()])
    assert len(found) >= 3  # Lite0's default layer, each small model's conv4
    for eng in found:  # every first call goes to the compiled function, none is answered eagerly
        assert eng.grads.ready and (eng.head_grads is None or eng.head_grads.ready), eng.layer


def test_the_occluder_page_changes_photo_and_closes_the_old_occluder(app):
    from helpers.apps.pages import PhotoPage
    from helpers.cam.perturbation import MEAN_RGB
    from helpers.widgets import Occluder

    page = app.BUILDERS["occluder"](pooled=False)
    assert isinstance(page, PhotoPage) and isinstance(page.explorer, Occluder) and page.explorer.model is app.MODEL
    first = page.explorer
    tree = [first, *first.children, *(c for w in first.children for c in getattr(w, "children", ()))]
    before = first.view.value
    page.photo.value = "coffee"
    assert page.explorer is not first and page.explorer.name == "coffee" and page.children[-1] is page.explorer
    assert page.explorer.class_index == 967 and page.status.value == ""   # espresso: its own top class
    assert all(w.comm is None for w in tree), "a widget of the replaced occluder is still open"
    assert page.explorer.view.value != before
    # a position far outside the picture ends where the square touches the edge: the grey square is there
    occ = page.explorer
    occ.y_slider.value = 10**6
    top, left, size = occ.square()
    assert top + size == occ.x.shape[0] and occ.status.value == ""
    assert np.abs(occ.picture[top:, left:left + size].astype(float) - np.round(MEAN_RGB)).max() <= 1
    assert np.abs(occ.picture[:top - 1].astype(float) - np.round(MEAN_RGB)).max() > 10  # the rest is the photo


def test_the_where_what_page_explains_a_cell_of_each_photo(app):
    from helpers.apps.pages import PhotoPage
    from helpers.widgets import WhereWhat

    page = app.BUILDERS["where_what"](pooled=False)
    assert isinstance(page, PhotoPage) and isinstance(page.explorer, WhereWhat) and page.explorer.model is app.MODEL
    ww = page.explorer
    assert len(ww.channels) == 4 and set(ww.patterns) == set(ww.channels)  # the first picture: patterns drawn
    row, col = ww.location
    ww.col_slider.value = (col + 3) % ww.grid[1]
    assert ww.location == (row, (col + 3) % ww.grid[1]) and ww.status.value == ""
    page.photo.value = "rocket"
    assert page.explorer is not ww and page.explorer.name == "rocket" and ww.view.comm is None
    assert page.explorer.counters["forward"] == 1


def test_the_debug_page_finds_the_marker_with_the_shared_small_models(app):
    from helpers import evaluation as ev
    from helpers.apps.pages import DEBUG_LAYERS, DebugModelPage
    from helpers.widgets.maps import maps_store

    ann, bob = (app.BUILDERS["debug"](pooled=False) for _ in range(2))
    assert isinstance(ann, DebugModelPage)
    for page in (ann, bob):  # one model per process, not per student
        assert all(v.model is app.DEBUG_MODELS["shortcut"] for v in page.views["shortcut"])
    swapped = app.DEBUG_PICTURES["swapped"]
    circles = np.flatnonzero((swapped.labels == 0) & swapped.has_marker)
    squares = np.flatnonzero(swapped.labels == 1)
    assert len(circles) and len(squares) and not swapped.images.flags.writeable

    store = maps_store(app.DEBUG_MODELS["shortcut"])
    held = store.bytes
    ann.index.value = int(circles[0])
    gradcam, activations, filters = ann.views["shortcut"]
    image = swapped.images[circles[0]]
    assert np.array_equal(gradcam.image, image) and np.array_equal(activations.picker.image, image)
    assert "a <b>circle</b>, with the marker" in ann.about.value
    # the shortcut model calls the circle with the marker a square, as the model itself says (eagerly)
    z = np.asarray(app.DEBUG_MODELS["shortcut"](image[None].astype("float32")))[0]
    assert int(np.argmax(z)) == 1 and gradcam.class_dropdown.value == 1
    assert gradcam.class_dropdown.options[0][0].startswith("square")
    # ... and Grad-CAM's peak sits on the marker (notebook 4's pointing game, 15 px tolerance)
    box = swapped.marker_boxes[circles[0]]
    assert gradcam.heatmap.shape == image.shape[:2] and ev.pointing_game(gradcam.heatmap, box, 15)
    # one picture's maps of the three offered layers, nothing more: 72x72x32 + 34x34x64 + 15x15x64 floats
    assert DEBUG_LAYERS == ("conv2", "conv3", "conv4")
    assert store.bytes - held == 4 * (72 * 72 * 32 + 34 * 34 * 64 + 15 * 15 * 64)
    assert filters.pattern.shape == (64, 64, 3) and filters.settings()[0] == "conv2"

    # the explorers' photo pickers are hidden, and a file sent to one anyway is refused before decoding
    red = np.zeros((150, 150, 3), np.uint8)
    red[..., 0] = 255
    gradcam.picker.upload.value = (_entry("red.png", _png(red)),)
    assert "red.png" in gradcam.picker.status.value and np.array_equal(gradcam.image, image)
    assert gradcam.picker.layout.display == activations.picker.layout.display == "none"

    # bob saw none of it: his page still shows picture 0
    assert bob.index.value == 0 and np.array_equal(bob.views["shortcut"][0].image, swapped.images[0])
    # the fixed model: its own explorers, on the same picture
    ann.model_choice.value = "fixed"
    fixed = ann.views["fixed"]
    assert list(ann.tabs.children) == list(fixed) and all(v.model is app.DEBUG_MODELS["fixed"] for v in fixed)
    assert np.array_equal(fixed[0].image, image) and tuple(ann.tabs.titles) == DebugModelPage.TABS
    z = np.asarray(app.DEBUG_MODELS["fixed"](image[None].astype("float32")))[0]
    assert fixed[0].class_dropdown.value == int(np.argmax(z))
    ann.set_choice.value = "clean"
    assert "no marker" in ann.about.value and np.array_equal(fixed[0].image, app.DEBUG_PICTURES["clean"].images[
        int(circles[0])])
    ann.model_choice.value = "shortcut"  # the other model's explorers catch up with the picture
    assert np.array_equal(ann.views["shortcut"][0].image, fixed[0].image)


def test_the_health_route_says_503_while_the_server_warms_up():
    from helpers.apps.readiness import Readiness

    async def ok(request):
        return PlainTextResponse("ok")

    warming = threading.Event()
    app = Readiness(Starlette(routes=[Route("/readyz", ok), Route("/gradcam", ok)]), warming)
    with TestClient(app) as client:
        assert client.get("/readyz").text == "ok"
        warming.set()
        answer = client.get("/readyz")
        assert (answer.status_code, answer.text, answer.headers["retry-after"]) == (503, "warming up", "2")
        assert client.get("/gradcam").text == "ok"        # a page opened meanwhile works
        assert client.post("/readyz").status_code == 405  # only the route's GET is the probe's
        warming.clear()
        assert client.get("/readyz").status_code == 200
