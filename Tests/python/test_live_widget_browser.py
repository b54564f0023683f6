"""The live widget's front end (python/simlay/widget.mjs) in headless Chromium, wired to a real kernel side.

No Jupyter front end runs here: a small host page plays anywidget's part (``model.get`` from the widget's
synced state, ``model.send`` recorded, ``msg:custom`` delivered by the test). Real mouse and key events go
to the tiles; each hover message the page sends is handed to the real widget (``_on_hover``, real daemon)
and its answer (content and binary buffers) handed back to the page. The tiles' pixels must then equal the
mask formula on the daemon's tile pixels and maps, exactly (integers, no tolerance).
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import threading
import time

import numpy as np
import pytest

import cdp
import photo_fixtures
from daemon_support import EXAMPLES, PYTHON_DIR, working_tree_package

simlay = working_tree_package()
try:
    import anywidget  # noqa: F401
except ImportError as missing:  # scripts/requirements.txt has it: a fresh setup skips nothing
    pytest.fail(f"anywidget missing ({missing}): pip install -r scripts/requirements.txt", pytrace=False)

HOST = """<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><div id="out"></div><script type="module">
import widget from './widget.mjs';
const state = await (await fetch('./state.json')).json(), handlers = {};
window.sent = [];
const model = { get: (k) => state[k], on: (e, cb) => (handlers[e] = handlers[e] || []).push(cb),
                send: (m) => window.sent.push(m) };
widget.render({ model, el: document.getElementById('out') });
window.deliver = (content, frames) => handlers['msg:custom'].forEach((cb) => cb(content, frames.map((b) => {
  const s = atob(b), u = new Uint8Array(s.length + 3);
  for (let i = 0; i < s.length; i++) u[i + 3] = s.charCodeAt(i);
  return new DataView(u.buffer, 3, s.length);  // a view into a larger buffer, as anywidget gives them
})));
window.setError = (e) => { state.error = e; handlers['change:error'].forEach((cb) => cb()); };
window.pixels = (k) => Array.from(document.querySelectorAll('canvas')[k].getContext('2d')
  .getImageData(0, 0, document.querySelectorAll('canvas')[k].width, document.querySelectorAll('canvas')[k].height).data);
window.rect = (k) => { const r = document.querySelectorAll('canvas')[k].getBoundingClientRect();
  return [r.left, r.top, r.width, r.height]; };
</script></body></html>"""


@pytest.fixture
def served(tmp_path):
    """tmp_path over HTTP on 127.0.0.1 (module scripts do not load from file:// pages)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/host.html"
    server.shutdown()
    server.server_close()


def tile_pixels(src: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB"), dtype=np.float64)


def expected_tile(src: np.ndarray, maps: np.ndarray, opacity: float) -> np.ndarray:
    """The mask with nearest cells, as the daemon's renderer: image * (1 - opacity * (1 - v)), rounded half
    up; v clamped to the cosine range [0, 1] and kept as float32, as the page keeps it."""
    h, w, _ = src.shape
    gh, gw = maps.shape
    v = np.clip(maps, 0, 1).astype(np.float32)[(np.arange(h) * gh) // h][:, (np.arange(w) * gw) // w]
    factor = (1 - opacity) + opacity * v.astype(np.float64)
    return np.floor(src * factor[:, :, None] + 0.5)


def wait_for(page, expression: str, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.05)


def test_widget_front_end_paints_the_kernels_answers(daemon, served):
    binary = cdp.require_chromium()
    photo_fixtures.example_photos()
    root, url = served
    with simlay.Client(daemon.unix_target()) as c:
        ids = c.add_images([EXAMPLES / "chelsea.png", EXAMPLES / "coffee.png"])
        w = c.show(ids, layers=["blocks.10", "head"], live=True, render=simlay.RenderOptions(tile_size=112))
        try:
            answers = []
            send = w.send
            w.send = lambda content, buffers=None: (answers.append((content, buffers)), send(content, buffers))
            state = {k: v for k, v in w.get_state().items() if not k.startswith("_")}
            (root / "state.json").write_text(json.dumps(state))
            (root / "widget.mjs").write_text((PYTHON_DIR / "simlay" / "widget.mjs").read_text())
            (root / "host.html").write_text(HOST)

            def answer(message):
                """The page's hover message, answered by the real widget; the answer given to the page."""
                w._on_hover(message)
                assert w.wait(300)
                content, buffers = answers[-1]
                page.evaluate(f"window.deliver({json.dumps(content)}, "
                              f"{json.dumps([base64.b64encode(b).decode() for b in buffers])})")
                return content

            with cdp.Browser(binary) as browser:
                page = cdp.open_page(browser, url)
                wait_for(page, "document.querySelectorAll('canvas').length === 4 && "
                         "window.pixels(3).some((v, i) => i % 4 === 3 && v > 0)", "tiles drawn")
                left, top, width, height = page.evaluate("window.rect(1)")  # row blocks.10, image 1
                page.mouse("mouseMoved", left + (8 + 0.5) * width / 14, top + (5 + 0.5) * height / 14)
                wait_for(page, "window.sent.length > 0", "a hover message")
                message = page.evaluate("window.sent[window.sent.length - 1]")
                assert {k: message[k] for k in ("type", "image", "layer", "y", "x")} == \
                    {"type": "hover", "image": 1, "layer": 0, "y": 5, "x": 8}, message
                content = answer(message)
                assert [(r["y"], r["x"]) for r in content["rows"]] == [(5, 8), (2, 4)]

                for k, (row, image) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
                    src = tile_pixels(state["images"][image]["src"])
                    shown = np.array(page.evaluate(f"window.pixels({k})"), dtype=np.float64).reshape(*src.shape[:2], 4)
                    want = expected_tile(src, w.maps[state["layers"][row]["name"]][image], state["opacity"])
                    keep = np.ones(src.shape[:2], bool)
                    if image == 1:  # the focus cell's yellow outline (antialiased): compare outside it
                        r = content["rows"][row]
                        gh, gw = state["layers"][row]["height"], state["layers"][row]["width"]
                        h, wd = src.shape[:2]
                        keep[max(r["y"] * h // gh - 2, 0):(r["y"] + 1) * h // gh + 3,
                             max(r["x"] * wd // gw - 2, 0):(r["x"] + 1) * wd // gw + 3] = False
                        box = shown[~keep]
                        assert (box[:, 0] > 200).any() and (box[:, 2] < 60).any(), "no yellow outline"
                    diff = np.abs(shown[..., :3] - want)[keep]
                    assert diff.max() == 0, f"tile {k}: {int((diff > 0).sum())} values differ, by up to {diff.max()}"
                    assert (shown[..., 3] == 255).all()

                # Click pins: moving elsewhere sends nothing; an arrow key moves the pinned cell; Esc unpins.
                page.click(left + 2.5 * width / 14, top + 2.5 * height / 14)
                pinned = page.evaluate("window.sent[window.sent.length - 1]")
                assert (pinned["y"], pinned["x"], pinned["image"]) == (2, 2, 1)
                count = page.evaluate("window.sent.length")
                page.mouse("mouseMoved", left + 10.5 * width / 14, top + 10.5 * height / 14)
                assert page.evaluate("window.sent.length") == count
                for kind in ("keyDown", "keyUp"):
                    page.send("Input.dispatchKeyEvent", type=kind, key="ArrowRight", code="ArrowRight",
                              windowsVirtualKeyCode=39)
                moved = page.evaluate("window.sent[window.sent.length - 1]")
                assert (moved["y"], moved["x"], moved["layer"]) == (2, 3, 0) and moved["seq"] > pinned["seq"]
                assert "(pinned)" in page.evaluate("document.querySelector('.simlay-live div').textContent")
                # An answer overtaken by a newer one is not painted.
                answer(moved)
                before = page.evaluate("window.pixels(1)")
                page.evaluate(f"window.deliver({json.dumps(dict(content, seq=1))}, "
                              f"{json.dumps([base64.b64encode(b).decode() for b in answers[0][1]])})")
                assert page.evaluate("window.pixels(1)") == before, "a stale answer was painted"
                for kind in ("keyDown", "keyUp"):
                    page.send("Input.dispatchKeyEvent", type=kind, key="Escape", code="Escape", windowsVirtualKeyCode=27)
                page.mouse("mouseMoved", left + 10.5 * width / 14, top + 10.5 * height / 14)
                last = page.evaluate("window.sent[window.sent.length - 1]")
                assert (last["y"], last["x"]) == (10, 10)

                # The kernel's error trait is shown in the widget.
                w._on_hover({"image": 0, "y": 99, "x": 0})
                assert w.wait(300) and "cell (99, 0)" in w.error
                page.evaluate(f"window.setError({json.dumps(w.error)})")
                status = page.evaluate("document.querySelector('.simlay-live .error').textContent")
                assert status == w.error
                problems = page.problems()
                assert not problems, problems
        finally:
            w.close()
