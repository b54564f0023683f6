"""Helpers of the live page's browser tests (test_live_page*.py): a daemon with --http and a token, the
photos' ids, the page opened in headless Chromium (cdp.py), and readers of what the page shows."""

from __future__ import annotations

import io
import urllib.request

import numpy as np
import pytest

import cdp
import live_support
from daemon_support import tensor

TOKEN = "live-page-test-token-0123456789"
IMAGE_KEYS = ["chelsea", "landscape", "portrait"]
TILE = 160  # the page's default tile size (longest side)
OPACITY = 0.6


class Live:
    """The daemon with --http, a wire-level client, the photos' ids, and helpers for the page."""

    def __init__(self, daemon, port, ids, paths):
        self.daemon, self.port, self.ids, self.paths = daemon, port, ids, paths
        self.client = daemon.client()

    def url(self, query: str, token: bool = True) -> str:
        return f"http://127.0.0.1:{self.port}/?{query}" + (f"&token={TOKEN}" if token else "")

    def get(self, path: str, token: bool = True) -> bytes:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                     headers={"Authorization": f"Bearer {TOKEN}"} if token else {})
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.read()

    def maps(self, layer, image, cell, targets=None, query_id=None, **kw):
        """(SimilarityResponse, maps [N,H,W]) of cell `cell` of image index `image` (or id `query_id`)."""
        req = self.client.similarity_request(layer, query_id or self.ids[image], targets or self.ids, cell=cell)
        for k, v in kw.items():
            setattr(req, k, v)
        response = self.client.call("Similarity", req)
        return response, tensor(response.maps)


@pytest.fixture(scope="module")
def live(photos):
    """The daemon (--http, a token) with the photos of IMAGE_KEYS added."""
    with live_support.live_daemon(token=TOKEN) as (d, base):
        paths = [photos[k] for k in IMAGE_KEYS]
        ids = [i.id for i in d.client().add(paths)]
        yield Live(d, int(base.rsplit(":", 1)[1]), ids, paths)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, one tab shared by a module's tests."""
    binary = cdp.require_chromium()
    with cdp.Browser(binary) as b:
        yield b


def open_live(browser, url):
    page = cdp.open_page(browser, url)
    assert page.evaluate("window.simlay.ready", await_promise=True) is True, page.evaluate("document.getElementById('status').textContent")
    return page


def tiles(page) -> dict:
    """{(row, image): (left, top, width, height)} in CSS pixels, asserted on whole pixels."""
    out = {}
    for r, i, x, y, w, h in page.evaluate("""[...document.querySelectorAll('.tile[data-row]')].map(t => {
            const b = t.getBoundingClientRect(); return [Number(t.dataset.row), Number(t.dataset.image), b.left, b.top, b.width, b.height]; })"""):
        assert x == int(x) and y == int(y), f"tile {r},{i} at fractional position {x},{y}"
        out[(r, i)] = (int(x), int(y), int(w), int(h))
    return out


def shown_values(page, n, h, w, row=0) -> np.ndarray:
    got = page.evaluate(f"""Array.from({{length: {n * h * w}}}, (_, k) =>
        window.simlay.valueAt(Math.floor(k / {h * w}), Math.floor(k / {w}) % {h}, k % {w}, {row}))""")
    assert None not in got, "valueAt answered null for a cell"
    return np.array(got, dtype=np.float64).reshape(n, h, w)


def assert_values(page, maps, row=0):
    got = shown_values(page, *maps.shape, row=row)
    worst = float(np.max(np.abs(got - maps)))
    assert worst <= 1e-6, f"row {row}: valueAt differs from the daemon's maps by {worst}"


def assert_clean(page, allowed=()):
    problems = [p for p in page.problems() if not any(a in p for a in allowed)]
    assert not problems, "console errors or exceptions:\n" + "\n".join(problems)


def screenshot(page) -> np.ndarray:
    from PIL import Image
    with Image.open(io.BytesIO(page.screenshot())) as im:
        return np.asarray(im.convert("RGB")).astype(np.float64)


def state(page) -> dict:
    return page.evaluate("window.simlay.state()")


def png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB")).astype(np.float64)
