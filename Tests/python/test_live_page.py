"""The live page (``simlayd --http``) in headless Chromium against a real daemon: the page queries the
daemon's hover path over its WebSocket for every move, so what it shows must be the daemon's own maps.

Checks: ``hover()`` and ``valueAt()`` equal the Similarity maps (float32 on the wire: equal to 1e-6);
real mouse moves move the query to the cell under the pointer; screenshot pixels inside cells equal the
blend of the photo and the colour map's colour for the daemon's values; a tile's pixels change with the
query; arrow keys; pin and unpin; synchronised layers (one row each, the same image point); top-K boxes;
adding an image through the file input; NMF, PCA and sweep panels against their RPCs; the token kept (a
reload without it still works) and dropped from the address bar; no console error, exception or error
log entry.

Pixel tolerance: the page blends in the browser (alpha opacity 0.6 = 153/255 exactly; 8-bit compositing
rounds once more than the daemon's formula), so a pixel may be 2 levels off the prediction.

Chromium: ``chromium`` on the PATH (or ``$SIMLAY_CHROMIUM``); without it the tests skip, unless
``SIMLAY_REQUIRE_BIN=1`` (CI), which makes them fail.
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
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
    with live_support.live_daemon(token=TOKEN) as (d, base):
        paths = [photos[k] for k in IMAGE_KEYS]
        ids = [i.id for i in d.client().add(paths)]
        yield Live(d, int(base.rsplit(":", 1)[1]), ids, paths)


@pytest.fixture(scope="module")
def browser():
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


# ---------------------------------------------------------------------------------------------------


def test_hover_and_value_at_equal_the_daemons_maps(live, browser):
    page = open_live(browser, live.url(f"images={','.join(live.ids)}&layer=blocks.10"))
    for image, cell in [(0, (3, 4)), (2, (13, 0)), (1, (7, 11))]:
        answer = page.evaluate(f"window.simlay.hover({image}, {cell[0]}, {cell[1]})", await_promise=True)
        assert answer["superseded"] is False, answer
        _, maps = live.maps("blocks.10", image, cell)
        assert maps.shape == (3, 14, 14)
        assert_values(page, maps)
        assert state(page)["cells"] == [{"y": cell[0], "x": cell[1]}]
    with pytest.raises(cdp.CDPError, match=r"cell \(14, 0\) is outside blocks.10's 14x14 grid"):
        page.evaluate("window.simlay.hover(0, 14, 0)")
    with pytest.raises(cdp.CDPError, match="image 3 is not one of the 3 shown"):
        page.evaluate("window.simlay.hover(3, 0, 0)")
    assert_clean(page)


def test_token_kept_and_dropped_from_the_address_bar(live, browser):
    page = open_live(browser, live.url(f"images={live.ids[0]}&layer=blocks.10"))
    href = page.evaluate("location.href")
    assert TOKEN not in href and "token" not in href, href
    assert f"images={live.ids[0]}" in href and "layer=blocks.10" in href, href
    assert page.evaluate("sessionStorage.getItem('simlay-token')") == TOKEN
    # The daemon refuses /api/* without the token, so a working reload proves the page kept it.
    with pytest.raises(urllib.error.HTTPError) as refused:
        live.get("/api/colormaps", token=False)
    assert refused.value.code == 401
    page.send("Page.reload")
    page.wait_event("Page.loadEventFired")
    assert page.evaluate("window.simlay.ready", await_promise=True) is True
    page.evaluate("window.simlay.hover(0, 2, 2)", await_promise=True)
    _, maps = live.maps("blocks.10", 0, (2, 2), targets=[live.ids[0]])
    assert_values(page, maps)
    assert_clean(page)


def test_mouse_moves_query_and_pixels_follow_the_maps(live, browser):
    page = open_live(browser, live.url(f"images={','.join(live.ids)}&layer=blocks.10"))
    box = tiles(page)
    table = np.array(json.loads(live.get("/api/colormaps"))["viridis"], dtype=np.float64).reshape(256, 3)
    shots = []
    for image, (y, x) in [(1, (4, 9)), (2, (10, 3))]:
        left, top, w, h = box[(0, image)]
        page.mouse("mouseMoved", left + (x + 0.5) * w / 14, top + (y + 0.5) * h / 14)
        assert state(page)["cells"] == [{"y": y, "x": x}] and state(page)["focus"]["image"] == image
        page.evaluate(f"window.simlay.hover({image}, {y}, {x})", await_promise=True)  # resolves once painted
        response, maps = live.maps("blocks.10", image, (y, x))
        assert_values(page, maps)
        assert page.evaluate(f"window.simlay.valueAt({image}, {y}, {x})") == pytest.approx(1.0, abs=1e-3)
        shot = screenshot(page)
        shots.append(shot)
        compared = 0
        for i in range(3):
            photo = png_pixels(live.get(f"/api/images/{live.ids[i]}.png?size={TILE}"))
            left, top, w, h = box[(0, i)]
            assert photo.shape[:2] == (h, w), f"tile {i} is {w}x{h}, its photo {photo.shape[1]}x{photo.shape[0]}"
            boxed = {(m.get("y", 0), m.get("x", 0)) for m in page.evaluate("window.simlay.state().top[0]") if m.get("image", 0) == i}
            for cy in range(14):
                for cx in range(14):
                    if (i == image and (cy, cx) == (y, x)) or (cy, cx) in boxed:
                        continue  # outlined
                    v = min(max(float(maps[i, cy, cx]), 0.0), 1.0)  # cosine with viridis: [0, 1]
                    want = photo * 0 + table[min(int(v * 256), 255)]
                    py0, py1 = int(np.ceil(cy * h / 14)) + 2, int(np.ceil((cy + 1) * h / 14)) - 2
                    px0, px1 = int(np.ceil(cx * w / 14)) + 2, int(np.ceil((cx + 1) * w / 14)) - 2
                    src = photo[py0:py1, px0:px1]
                    pred = src * (1 - OPACITY) + want[py0:py1, px0:px1] * OPACITY
                    got = shot[top + py0:top + py1, left + px0:left + px1]
                    worst = float(np.max(np.abs(got - pred))) if got.size else 0.0
                    assert worst <= 2.0, f"image {i} cell {(cy, cx)}: screenshot off the prediction by {worst} levels (v={v:.4f})"
                    compared += got.size
        assert compared > 10000, compared
    for i in range(3):
        left, top, w, h = box[(0, i)]
        a, b = (s[top:top + h, left:left + w] for s in shots)
        assert np.mean(np.abs(a - b)) > 1.0, f"tile {i} did not change between the two queries"
    assert_clean(page)


def png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB")).astype(np.float64)


def test_arrow_keys_pin_and_unpin(live, browser):
    page = open_live(browser, live.url(f"images={','.join(live.ids)}&layer=blocks.10"))
    page.evaluate("window.simlay.hover(0, 5, 13)", await_promise=True)
    for key, code, want in [("ArrowRight", 39, (5, 13)), ("ArrowDown", 40, (6, 13)), ("ArrowLeft", 37, (6, 12)), ("ArrowUp", 38, (5, 12))]:
        page.send("Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code)
        assert state(page)["cells"] == [{"y": want[0], "x": want[1]}], key  # ArrowRight at the edge stays
    page.evaluate("window.simlay.hover(0, 5, 12)", await_promise=True)  # the same query: resolves when painted
    _, maps = live.maps("blocks.10", 0, (5, 12))
    assert_values(page, maps)
    box = tiles(page)
    left, top, w, h = box[(0, 1)]
    page.click(left + 2.5 * w / 14, top + 3.5 * h / 14)  # pins cell (3, 2) of image 1
    assert state(page)["pinned"] is True and state(page)["cells"] == [{"y": 3, "x": 2}]
    page.evaluate("window.simlay.hover(1, 3, 2)", await_promise=True)
    left, top, w, h = box[(0, 2)]
    page.mouse("mouseMoved", left + 9.5 * w / 14, top + 9.5 * h / 14)  # pinned: the query stays
    s = state(page)
    assert s["cells"] == [{"y": 3, "x": 2}] and s["focus"]["image"] == 1, s
    _, maps = live.maps("blocks.10", 1, (3, 2))
    status = page.evaluate("document.getElementById('status').textContent")
    assert "pinned" in status and f"{maps[2, 9, 9]:.3f}" in status, status  # the value under the cursor
    page.click(left + 9.5 * w / 14, top + 9.5 * h / 14)  # unpins and queries the clicked cell
    s = state(page)
    assert s["pinned"] is False and s["cells"] == [{"y": 9, "x": 9}] and s["focus"]["image"] == 2, s
    page.evaluate("window.simlay.hover(2, 9, 9)", await_promise=True)
    assert_values(page, live.maps("blocks.10", 2, (9, 9))[1])
    assert_clean(page)


def test_synchronised_layers_one_row_each(live, browser):
    page = open_live(browser, live.url(f"images={','.join(live.ids)}&layers=blocks.10,blocks.4,head"))
    assert [(r["layer"], r["h"]) for r in state(page)["rows"]] == [("blocks.10", 14), ("blocks.4", 28), ("head", 7)]
    assert len(tiles(page)) == 9
    page.evaluate("window.simlay.hover(2, 5, 6)", await_promise=True)
    # The cell's centre (5.5/14, 6.5/14) of the image falls in cell (11, 13) of 28x28 and (2, 3) of 7x7.
    cells = [(c["y"], c["x"]) for c in state(page)["cells"]]
    assert cells == [(5, 6), (11, 13), (2, 3)]
    for row, (layer, cell) in enumerate(zip(["blocks.10", "blocks.4", "head"], cells)):
        assert_values(page, live.maps(layer, 2, cell)[1], row=row)
    assert_clean(page)


def test_top_k_boxes_are_the_daemons(live, browser):
    page = open_live(browser, live.url(f"images={','.join(live.ids)}&layer=blocks.10&top=4"))
    page.evaluate("window.simlay.hover(0, 6, 6)", await_promise=True)
    response, _ = live.maps("blocks.10", 0, (6, 6), top_k=4, exclude_radius=1)
    want = [(m.image, m.y, m.x) for m in response.top]
    got = [(m.get("image", 0), m.get("y", 0), m.get("x", 0)) for m in state(page)["top"][0]]
    assert got == want and len(want) == 4
    shown = page.evaluate("document.querySelectorAll('.tile[data-row=\"0\"] .box.top:not([hidden])').length")
    assert shown == 4
    assert_clean(page)


def test_add_image_through_the_file_input(live, browser, photos):
    page = open_live(browser, live.url(f"images={live.ids[0]}&layer=blocks.10"))
    page.send("DOM.enable")
    root = page.send("DOM.getDocument")["root"]["nodeId"]
    node = page.send("DOM.querySelector", nodeId=root, selector="#files")["nodeId"]
    page.send("DOM.setFileInputFiles", nodeId=node, files=[str(photos["coffee"])])
    deadline = time.monotonic() + 60
    while len(state(page)["images"]) < 2:
        assert time.monotonic() < deadline, page.evaluate("document.getElementById('status').textContent")
        time.sleep(0.1)
    added = state(page)["images"][1]
    assert added["name"] == photos["coffee"].name
    (info,) = live.client.add([photos["coffee"]])  # content-addressed: the same id, already held
    assert info.existed and list(added["ids"].values()) == [info.id]
    assert info.id in page.evaluate("location.href")
    page.evaluate("window.simlay.hover(1, 4, 4)", await_promise=True)
    assert_values(page, live.maps("blocks.10", None, (4, 4), targets=[live.ids[0], info.id], query_id=info.id)[1])
    assert_clean(page)


def test_nmf_pca_and_sweep_panels_show_their_rpcs(live, browser):
    pb = live.client.pb
    page = open_live(browser, live.url(f"images={','.join(live.ids)}&layer=blocks.10"))
    nmf = page.evaluate("window.simlay.panels.runNmf()", await_promise=True)
    r = live.client.call("Nmf", pb.NmfRequest(layer="blocks.10", image_ids=live.ids, k=6, policy=pb.NMF_POLICY_CLAMP))
    groups = np.array(r.groups.values)
    assert nmf["counts"] == [int(np.sum(groups == g)) for g in range(6)]
    legend = page.evaluate("[...document.querySelectorAll('#nmf-legend button small')].map(e => Number(e.textContent))")
    assert legend == nmf["counts"]
    pca = page.evaluate("window.simlay.panels.runPca()", await_promise=True)
    r = live.client.call("Pca", pb.PcaRequest(layer="blocks.10", image_ids=live.ids, components=3))
    assert pca["explainedVariance"] == pytest.approx(list(r.explained_variance), abs=1e-12)
    assert page.evaluate("document.querySelectorAll('#pca-tiles canvas').length") == 3
    page.evaluate("window.simlay.hover(0, 7, 7)", await_promise=True)
    page.evaluate("window.simlay.pin(true)")
    sweep = page.evaluate("window.simlay.panels.runSweep()", await_promise=True)
    r = live.client.call("Sweep", pb.SweepRequest(layer="blocks.10", image_id=live.ids[0], transform=pb.TRANSFORM_ROTATE,
                                                  params=[30 * k for k in range(12)], queries=[pb.Cell(y=7, x=7)]))
    want = [s.tracked[0].similarity if s.tracked[0].in_bounds else None for s in r.steps]
    assert sweep["params"] == [30 * k for k in range(12)] and sweep["cell"] == [7, 7]
    assert [v is None for v in sweep["values"]] == [v is None for v in want]
    assert [v for v in sweep["values"] if v is not None] == pytest.approx([v for v in want if v is not None], abs=1e-6)
    assert page.evaluate("document.querySelectorAll('#sweep-chart circle').length") == sum(v is not None for v in want)
    assert_clean(page)


def test_models_side_by_side_one_row_each(browser, photos, default_model, test_models):
    """A comparison row (&compare=MODEL:LAYER): the page adds the photos for that model (ids depend on
    its preprocessing) and each hover sends one request per row; the row shows that model's maps."""
    args = ["--model", f"efficientnet-lite0={default_model}", "--model", f"resnet={test_models['resnet_like']},size=224:224"]
    with live_support.live_daemon(args) as (d, base):
        client = d.client()
        ids = [i.id for i in client.add([photos[k] for k in IMAGE_KEYS[:2]])]
        resnet = next(m for m in client.list_models().models if m.name == "resnet")
        layer = next(l for l in resnet.layers if l.height >= 7)
        page = open_live(browser, f"{base}/?images={','.join(ids)}&layer=blocks.10&compare=resnet:{layer.name}")
        s = state(page)
        assert [(r["model"], r["layer"]) for r in s["rows"]] == [("efficientnet-lite0", "blocks.10"), ("resnet", layer.name)]
        res_ids = [im["ids"]["resnet"] for im in s["images"]]
        assert len(set(res_ids)) == 2 and not set(res_ids) & set(ids)
        page.evaluate("window.simlay.hover(1, 6, 3)", await_promise=True)
        cells = [(c["y"], c["x"]) for c in state(page)["cells"]]
        req = client.similarity_request("blocks.10", ids[1], ids, cell=cells[0])
        assert_values(page, tensor(client.call("Similarity", req).maps), row=0)
        req = client.similarity_request(layer.name, res_ids[1], res_ids, cell=cells[1], model="resnet")
        assert_values(page, tensor(client.call("Similarity", req).maps), row=1)
        assert "compare=resnet:" in page.evaluate("location.href")
        assert_clean(page)


def test_sixty_four_images_at_an_early_layer(live, browser):
    """No cap below the daemon's: 64 images (--max-images) at blocks.4 (28 x 28, 50,176 cells a hover);
    a 65th is refused naming the limit."""
    from daemon_support import noise_png
    ids = [i.id for i in live.client.add([(noise_png(96, 64 + k % 3 * 16, 1000 + k), f"n{k}.png") for k in range(64)])]
    page = open_live(browser, live.url(f"images={','.join(ids)}&layer=blocks.4&top=0"))
    assert len(tiles(page)) == 64
    page.evaluate("window.simlay.hover(63, 27, 1)", await_promise=True)
    _, maps = live.maps("blocks.4", None, (27, 1), targets=ids, query_id=ids[63])
    assert maps.shape == (64, 28, 28)
    assert_values(page, maps)
    with pytest.raises(cdp.CDPError, match=r"65 images: the daemon takes at most 64 per request \(simlayd --max-images\)"):
        page.evaluate(f"window.simlay.addId('{live.ids[0]}')", await_promise=True)
    assert_clean(page)


@pytest.mark.parametrize("metric, number", [("dot", 1), ("euclidean", 2)])
def test_metric_from_the_address(live, browser, metric, number):
    page = open_live(browser, live.url(f"images={','.join(live.ids)}&layer=blocks.10&metric={metric}&colormap=diverging"))
    page.evaluate("window.simlay.hover(2, 8, 1)", await_promise=True)
    req = live.client.similarity_request("blocks.10", live.ids[2], live.ids, cell=(8, 1), metric=number)
    assert_values(page, tensor(live.client.call("Similarity", req).maps))
    assert_clean(page)


def test_drop_files_onto_the_page(live, browser, photos):
    page = open_live(browser, live.url(f"images={live.ids[0]}&layer=blocks.10"))
    data = {"items": [], "files": [str(photos["square"])], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        page.send("Input.dispatchDragEvent", type=kind, x=400, y=600, data=data)
    deadline = time.monotonic() + 60
    while len(state(page)["images"]) < 2:
        assert time.monotonic() < deadline, page.evaluate("document.getElementById('status').textContent")
        time.sleep(0.1)
    (info,) = live.client.add([photos["square"]])
    assert info.existed and list(state(page)["images"][1]["ids"].values()) == [info.id]
    assert page.evaluate("document.getElementById('drop').hidden") is True
    assert_clean(page)


def test_unknown_image_id_is_named(live, browser):
    page = cdp.open_page(browser, live.url("images=0123456789abcdef&layer=blocks.10"))
    with pytest.raises(cdp.CDPError):
        page.evaluate("window.simlay.ready", await_promise=True)
    status = page.evaluate("document.getElementById('status').textContent")
    assert "image 0123456789abcdef" in status and "404" in status, status
    assert_clean(page, allowed=["404"])
    page.send("Log.clear")  # the tab is shared: Log.enable would replay this 404 to the next test
