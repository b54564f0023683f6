"""The live page (``simlayd --http``) in headless Chromium against a real daemon: the page queries the
daemon's hover path over its WebSocket for every move, so what it shows must be the daemon's own maps.

Checks here: ``hover()`` and ``valueAt()`` equal the Similarity maps (float32 on the wire: equal to
1e-6); real mouse moves move the query to the cell under the pointer; screenshot pixels inside cells equal
the blend of the photo and the colour map's colour for the daemon's values; a tile's pixels change with
the query; arrow keys; pin and unpin; synchronised layers (one row each, the same image point); top-K
boxes; the token kept (a reload without it still works) and dropped from the address bar; no console
error, exception or error log entry. test_live_page_more.py: adding images, analyses, limits, metrics,
models side by side. Helpers: live_page_support.py.

Pixel tolerance: the page blends in the browser (alpha opacity 0.6 = 153/255 exactly; 8-bit compositing
rounds once more than the daemon's formula), so a pixel may be 2 levels off the prediction.

Chromium: ``chromium`` on the PATH (or ``$SIMLAY_CHROMIUM``); without it the tests skip, unless
``SIMLAY_REQUIRE_BIN=1`` (CI), which makes them fail.
"""

from __future__ import annotations

import json
import urllib.error

import numpy as np
import pytest

import cdp
from live_page_support import (OPACITY, TILE, TOKEN, assert_clean, assert_values, browser, live, open_live,  # noqa: F401
                               png_pixels, screenshot, state, tiles)


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
