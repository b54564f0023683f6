"""``simlay export-html`` in a real browser: a real simlayd over a Unix socket (the session's daemon), the
CLI writes the page, headless Chromium opens it from file:// and is driven over the DevTools protocol
(``cdp.py``) with real mouse events. Checks: the page is self-contained; each mouse position moves the
focus to the cell under it; the overlay changes between two positions; screenshot pixels inside cells
equal what the daemon's Similarity maps predict through the daemon's overlay formula; ``valueAt`` equals
the maps; ``hover()`` works for both layers; the NMF legend highlights the groups the Nmf RPC returns; no
console error, exception or error log entry; too large a page is refused with one line.

Tolerances come from the page's 8-bit storage: a layer's values in [low, high] are stored as codes of
step (high - low) / 255, so a displayed value is within step / 2 of the daemon's (plus float rounding,
1e-5); a pixel ``round(src * (keep + opacity * v))`` is then within 255 * opacity * step / 2 of the
prediction, plus one level when rounding flips.

Chromium: ``chromium`` on the PATH (or ``$SIMLAY_CHROMIUM``). Without it the tests skip, unless
``SIMLAY_REQUIRE_BIN=1`` (CI), which makes them fail. ``SIMLAY_VIEWER_SHOTS=DIR`` keeps the screenshots.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

import cdp
from daemon_support import assert_ok, assert_one_line_error, tensor

IMAGE_KEYS = ["landscape", "portrait", "chelsea"]  # landscape, portrait, landscape: different display sizes
LAYERS = ["blocks.10", "blocks.4"]  # 14x14 and 28x28


@pytest.fixture(scope="module")
def browser():
    binary = cdp.require_chromium()
    with cdp.Browser(binary) as b:
        yield b


@pytest.fixture(scope="module")
def setup(daemon, photos):
    paths = [photos[k] for k in IMAGE_KEYS]
    client = daemon.client()
    ids = [i.id for i in client.add(paths)]
    return daemon, client, paths, ids


def export(daemon, out: Path, paths, *args) -> tuple[str, dict]:
    """Runs the CLI contract; returns the page and its data block."""
    proc = assert_ok(daemon.cli("export-html", *args, "--out", out, *paths))
    assert proc.stdout.strip().startswith(f"{out}: {out.stat().st_size} bytes"), proc.stdout
    html = out.read_text()
    m = re.search(r'<script type="application/json" id="simlay-data">(.*?)</script>', html, re.S)
    assert m, "no data block"
    return html, json.loads(m.group(1))


def display_image(data: dict, i: int) -> np.ndarray:
    """The page's embedded image i at display size, uint8 [H, W, 3]."""
    from PIL import Image
    src = data["images"][i]["src"]
    assert src.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as im:
        return np.asarray(im.convert("RGB"))


def screenshot(page: cdp.Page, name: str) -> np.ndarray:
    from PIL import Image
    png = page.screenshot()
    keep = os.environ.get("SIMLAY_VIEWER_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{name}.png").write_bytes(png)
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"))


def open_viewer(browser: cdp.Browser, path: Path) -> tuple[cdp.Page, dict]:
    """The page loaded and ready; {(image, layer): (left, top, width, height)} of its tiles, in CSS pixels."""
    page = cdp.open_page(browser, path.resolve().as_uri())
    page.evaluate("window.simlay.ready", await_promise=True)
    rects = page.evaluate("""[...document.querySelectorAll('canvas[data-image]')].map(c => {
        const r = c.getBoundingClientRect();
        return [Number(c.dataset.image), Number(c.dataset.layer), r.left, r.top, r.width, r.height]; })""")
    tiles = {}
    for i, l, x, y, w, h in rects:
        # Whole-pixel placement: the canvas is then copied 1:1 to the screenshot (see viewer.css).
        assert x == int(x) and y == int(y), f"tile {i},{l} at fractional position {x},{y}"
        tiles[(i, l)] = (int(x), int(y), int(w), int(h))
    return page, tiles


def cell_centre(data, i, l, y, x) -> tuple[float, float]:
    """Display pixel (px, py) at the centre of cell (y, x) of layer l on image i."""
    im, g = data["images"][i], data["layers"][l]
    return (x + 0.5) * im["displayWidth"] / g["width"], (y + 0.5) * im["displayHeight"] / g["height"]


def move_mouse(page, tiles, data, i, l, y, x) -> None:
    px, py = cell_centre(data, i, l, y, x)
    left, top, _, _ = tiles[(i, l)]
    page.mouse("mouseMoved", left + px, top + py)


def quant_step(data, l) -> float:
    g = data["layers"][l]
    return (g["high"] - g["low"]) / 255


def maps_for(client, ids, layer, image, cell, metric=0) -> np.ndarray:
    _, maps = client.similarity(layer, ids[image], ids, cell=cell, metric=metric)
    return maps


def interior_pixels(data, i, l, y, x, margin=3):
    """Display pixels well inside cell (y, x): away from block edges and from the outline (2 px)."""
    im, g = data["images"][i], data["layers"][l]
    w, h = im["displayWidth"], im["displayHeight"]
    x0, x1 = math.ceil(x * w / g["width"]), math.ceil((x + 1) * w / g["width"])
    y0, y1 = math.ceil(y * h / g["height"]), math.ceil((y + 1) * h / g["height"])
    return [(px, py) for py in range(y0 + margin, y1 - margin) for px in range(x0 + margin, x1 - margin)]


def overlay(src, v, data):
    """The page's (and the daemon's) blend of a normalised value v in [0, 1] over pixel src (float RGB)."""
    op = data["opacity"]
    if data["colormap"] == "mask":
        return np.floor(src * (1 - op + op * v) + 0.5)
    table = np.array(data["colormapTable"], dtype=np.float64).reshape(256, 3)
    return np.floor(src * (1 - op) + table[min(int(v * 256), 255)] * op + 0.5)


def check_pixels(shot, data, tiles, maps, l, focus_image, focus_cell, rng) -> int:
    """Screenshot pixels inside sampled cells of every tile of layer l (nearest upsampling, cosine) against
    the overlay formula applied to the daemon's maps; returns how many pixels were compared. The page
    shows v up to half a code step off, so a pixel may be anything the formula gives for v - step/2 ..
    v + step/2 (for a colour table: the bins at both ends), plus one level for rounding."""
    g = data["layers"][l]
    assert data["metric"] == "cosine" and data["upsample"] == "nearest"
    low = -1.0 if data["colormap"] == "diverging" else 0.0  # cosine's natural range: [low, 1]
    half = quant_step(data, l) / 2 + 1e-5
    compared = 0
    for i in range(len(data["images"])):
        src = display_image(data, i).astype(np.float64)
        left, top, _, _ = tiles[(i, l)]
        cells = [(int(rng.integers(g["height"])), int(rng.integers(g["width"]))) for _ in range(12)]
        for y, x in cells:
            if i == focus_image and (y, x) == tuple(focus_cell):
                continue  # outlined
            ends = [min(max((float(maps[i, y, x]) + d - low) / (1 - low), 0.0), 1.0) for d in (-half, half)]
            for px, py in interior_pixels(data, i, l, y, x)[::7]:
                a, b = overlay(src[py, px], ends[0], data), overlay(src[py, px], ends[1], data)
                got = shot[top + py, left + px].astype(np.float64)
                assert np.all((got >= np.minimum(a, b) - 1) & (got <= np.maximum(a, b) + 1)), (
                    f"image {i} layer {g['name']} cell {(y, x)} pixel {(px, py)}: screenshot {got}, "
                    f"maps predict {a}..{b} (v = {maps[i, y, x]:.4f})")
                compared += 1
    return compared


def check_values(page, data, maps, l) -> None:
    """valueAt of every cell of every image (layer l) against the daemon's maps, within half a code step."""
    got = np.array(page.evaluate(f"""window.simlay.images.map((_, i) => {{
        const g = window.simlay.layers[{l}], out = [];
        for (let y = 0; y < g.height; y++) for (let x = 0; x < g.width; x++) out.push(window.simlay.valueAt(i, y, x, {l}));
        return out; }})"""), dtype=np.float64).reshape(maps.shape)
    bound = quant_step(data, l) / 2 + 1e-5
    worst = float(np.max(np.abs(got - maps)))
    assert worst <= bound, f"layer {data['layers'][l]['name']}: valueAt differs from the maps by {worst} > {bound}"


def assert_outline(shot, data, tiles, i, l, y, x) -> None:
    im, g = data["images"][i], data["layers"][l]
    left, top, _, _ = tiles[(i, l)]
    x0 = math.ceil(x * im["displayWidth"] / g["width"])
    y0 = math.ceil(y * im["displayHeight"] / g["height"])
    x1 = math.ceil((x + 1) * im["displayWidth"] / g["width"])
    assert tuple(shot[top + y0, left + (x0 + x1) // 2]) == (255, 255, 0), "no yellow outline at the focus cell"


def assert_clean(page) -> None:
    problems = page.problems()
    assert not problems, "console errors or exceptions:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------------


def test_page_is_self_contained(setup, tmp_path):
    daemon, _, paths, _ = setup
    html, data = export(daemon, tmp_path / "page.html", paths, "--model", "efficientnet-lite0", "--layer", "blocks.10")
    assert re.search(r"<script[^>]*\ssrc=", html) is None, "an external script"
    assert re.search(r"<link[\s>]", html) is None, "an external stylesheet or resource"
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html) is None, "a network URL"
    assert "fetch(" not in html and "XMLHttpRequest" not in html
    assert [i["name"] for i in data["images"]] == [Path(p).name for p in paths]
    g = data["layers"][0]
    assert (g["height"], g["width"], g["cells"]) == (14, 14, 3 * 196)
    assert g["length"] == g["cells"] * (g["cells"] + 1) // 2 and g["encoding"] == "deflate"


@pytest.mark.parametrize("colormap", ["mask", "viridis"])
def test_mouse_overlays_match_maps(setup, browser, tmp_path, colormap):
    daemon, client, paths, ids = setup
    path = tmp_path / "viewer.html"
    _, data = export(daemon, path, paths, "--model", "efficientnet-lite0", "--layer", LAYERS[0], "--layer", LAYERS[1],
                     "--colormap", colormap)
    page, tiles = open_viewer(browser, path)
    rng = np.random.default_rng(5)
    shots = []
    # Two positions: a cell of the portrait on the first layer, then a cell of the cat on the second layer.
    for step, (i, l, y, x) in enumerate([(1, 0, 4, 9), (0, 1, 20, 6)]):
        move_mouse(page, tiles, data, i, l, y, x)
        state = page.evaluate("window.simlay.state()")
        assert state["image"] == i and state["cells"][l] == [y, x], state
        shot = screenshot(page, f"mouse-{colormap}-{step}")
        shots.append(shot)
        compared = 0
        for layer_index, layer in enumerate(LAYERS):
            cell = state["cells"][layer_index]
            maps = maps_for(client, ids, layer, i, tuple(cell))
            check_values(page, data, maps, layer_index)
            compared += check_pixels(shot, data, tiles, maps, layer_index, i, cell, rng)
            assert_outline(shot, data, tiles, i, layer_index, *cell)
        assert compared > 100, f"only {compared} pixels compared"
    # The overlay changed between the positions, on every tile.
    for (i, l), (left, top, w, h) in tiles.items():
        a, b = (s[top:top + h, left:left + w].astype(np.float64) for s in shots)
        assert np.mean(np.abs(a - b)) > 1.0, f"tile {i},{l} did not change between the two positions"
    status = page.evaluate("document.getElementById('status').textContent")
    assert Path(paths[0]).name in status and "blocks.4 (20, 6)" in status, status
    assert_clean(page)


def test_hover_api_and_layer_sync(setup, browser, tmp_path):
    daemon, client, paths, ids = setup
    path = tmp_path / "viewer.html"
    _, data = export(daemon, path, paths, "--layer", f"{LAYERS[0]},{LAYERS[1]}", "--title", "Hover </script> test")
    page, tiles = open_viewer(browser, path)
    assert page.evaluate("document.title") == "Hover </script> test"
    state = page.evaluate("window.simlay.hover(2, 5, 6)")
    # Layer sync: the cell's centre, (5.5/14, 6.5/14) of the image, falls in cell (11, 13) of the 28x28 layer.
    assert state["image"] == 2 and state["cells"] == [[5, 6], [11, 13]], state
    for l, layer in enumerate(LAYERS):
        check_values(page, data, maps_for(client, ids, layer, 2, tuple(state["cells"][l])), l)
    assert page.evaluate("window.simlay.valueAt(2, 5, 6)") == pytest.approx(1.0, abs=quant_step(data, 0))
    state = page.evaluate("window.simlay.hover(0, 27, 0, 1)")
    assert state["image"] == 0 and state["cells"] == [[13, 0], [27, 0]], state
    maps = maps_for(client, ids, LAYERS[1], 0, (27, 0))
    check_values(page, data, maps, 1)
    shot = screenshot(page, "hover-api")
    check_pixels(shot, data, tiles, maps, 1, 0, (27, 0), np.random.default_rng(7))
    assert_outline(shot, data, tiles, 0, 1, 27, 0)
    # Keyboard: the arrow moves the focus one cell right on the layer last used.
    page.send("Input.dispatchKeyEvent", type="keyDown", key="ArrowRight", code="ArrowRight", windowsVirtualKeyCode=39)
    page.send("Input.dispatchKeyEvent", type="keyUp", key="ArrowRight", code="ArrowRight", windowsVirtualKeyCode=39)
    assert page.evaluate("window.simlay.state()")["cells"][1] == [27, 1]
    with pytest.raises(cdp.CDPError, match="RangeError"):
        page.evaluate("window.simlay.hover(3, 0, 0)")
    with pytest.raises(cdp.CDPError, match="RangeError"):
        page.evaluate("window.simlay.valueAt(0, 14, 0)")
    page.events.clear()  # the two RangeErrors above were thrown on purpose
    # A click pins the focus; the mouse then reads values under the cursor against it; Esc unpins.
    px, py = cell_centre(data, 1, 0, 2, 3)
    page.click(tiles[(1, 0)][0] + px, tiles[(1, 0)][1] + py)
    move_mouse(page, tiles, data, 2, 0, 7, 8)
    state = page.evaluate("window.simlay.state()")
    assert state["pinned"] and state["image"] == 1 and state["cells"][0] == [2, 3], state
    status = page.evaluate("document.getElementById('status').textContent")
    expected = page.evaluate("window.simlay.valueAt(2, 7, 8)")
    assert "Pinned" in status and f"blocks.10 (7, 8) {expected:.3f}" in status, status
    page.send("Input.dispatchKeyEvent", type="keyDown", key="Escape", code="Escape", windowsVirtualKeyCode=27)
    move_mouse(page, tiles, data, 2, 0, 7, 8)
    state = page.evaluate("window.simlay.state()")
    assert not state["pinned"] and state["image"] == 2 and state["cells"][0] == [7, 8], state
    assert_clean(page)


def test_top_boxes_follow_the_focus(setup, browser, tmp_path):
    """The 5 best matches of the focus (its 8 neighbours on its own image left out), computed by the page
    from its own stored values, as the daemon's top_k would from them: decreasing, ties by lower image,
    then y, then x; each is outlined in cyan on the screenshot."""
    daemon, _, paths, _ = setup
    path = tmp_path / "viewer.html"
    _, data = export(daemon, path, paths, "--layer", LAYERS[0])
    page, tiles = open_viewer(browser, path)
    state = page.evaluate("window.simlay.hover(1, 6, 4)")
    values = np.array(page.evaluate("""window.simlay.images.map((_, i) => {
        const out = []; for (let y = 0; y < 14; y++) for (let x = 0; x < 14; x++) out.push(window.simlay.valueAt(i, y, x));
        return out; })"""), dtype=np.float32).reshape(len(paths), 14, 14)  # the page keeps a row as Float32Array
    order = np.argsort(-values.reshape(-1), kind="stable")
    expected = []
    for j in order:
        i, y, x = int(j // 196), int(j % 196 // 14), int(j % 14)
        if i == 1 and max(abs(y - 6), abs(x - 4)) <= 1:
            continue
        expected.append({"image": i, "y": y, "x": x, "value": float(values[i, y, x])})
        if len(expected) == 5:
            break
    assert state["top"][0] == expected
    shot = screenshot(page, "top-boxes")
    for m in expected:
        im, g = data["images"][m["image"]], data["layers"][0]
        left, top, _, _ = tiles[(m["image"], 0)]
        x0 = math.ceil(m["x"] * im["displayWidth"] / g["width"])
        y0 = math.ceil(m["y"] * im["displayHeight"] / g["height"])
        assert tuple(shot[top + y0, left + x0]) == (0, 255, 255), f"no cyan box at match {m}"
    assert_outline(shot, data, tiles, 1, 0, 6, 4)
    assert_clean(page)


def test_bilinear_dot_diverging(setup, browser, tmp_path):
    """Another metric, colormap and upsampling: values and the per-focus value range follow the maps."""
    daemon, client, paths, ids = setup
    path = tmp_path / "dot.html"
    _, data = export(daemon, path, paths, "--layer", "head", "--metric", "dot", "--colormap", "diverging",
                     "--upsample", "bilinear", "--opacity", "0.8", "--image-size", "200")
    assert data["opacity"] == pytest.approx(0.8) and max(data["images"][0]["displayWidth"], data["images"][0]["displayHeight"]) == 200
    page, tiles = open_viewer(browser, path)
    shots = []
    for i, y, x in [(0, 3, 3), (2, 6, 0)]:
        move_mouse(page, tiles, data, i, 0, y, x)
        state = page.evaluate("window.simlay.state()")
        assert state["image"] == i and state["cells"][0] == [y, x], state
        maps = maps_for(client, ids, "head", i, (y, x), metric=1)
        check_values(page, data, maps, 0)
        # Dot is unbounded: the range is symmetric about 0 (diverging), out to the largest |value| shown.
        m = float(np.max(np.abs(maps)))
        lo, hi = state["ranges"][0]
        half = quant_step(data, 0) / 2 + 1e-5 * m
        assert lo == pytest.approx(-hi) and abs(hi - m) <= half, (state["ranges"], m)
        shots.append(screenshot(page, f"dot-{i}"))
    left, top, w, h = tiles[(1, 0)]
    assert np.mean(np.abs(shots[0][top:top + h, left:left + w].astype(float) - shots[1][top:top + h, left:left + w])) > 1.0
    assert_clean(page)


def test_nmf_legend_click_highlights_groups(setup, browser, tmp_path):
    daemon, client, paths, ids = setup
    path = tmp_path / "nmf.html"
    # The contract's form (no --nmf-policy: export-html clamps negative activations by default).
    _, data = export(daemon, path, paths, "--model", "efficientnet-lite0", "--layer", "blocks.10", "--nmf", "3")
    page, tiles = open_viewer(browser, path)
    pb = client.pb
    answer = client.call("Nmf", pb.NmfRequest(layer="blocks.10", image_ids=ids, k=3, policy=pb.NMF_POLICY_CLAMP))
    groups = np.array(answer.groups.values).reshape(len(ids), 14, 14)
    strength = tensor(answer.strength)
    group = int(np.bincount(groups.ravel(), minlength=3).argmax())
    before = screenshot(page, "nmf-before")
    buttons = page.evaluate("""[...document.querySelectorAll('#legend button')].map(b => {
        const r = b.getBoundingClientRect(); return [Number(b.dataset.group), r.left + r.width / 2, r.top + r.height / 2]; })""")
    assert [b[0] for b in buttons] == [0, 1, 2]
    # Numbered from 0 as the Nmf RPC numbers them (issue 14), with the RPC's group sizes.
    labels = page.evaluate("[...document.querySelectorAll('#legend button')].map(b => b.textContent)")
    sizes = np.bincount(groups.ravel(), minlength=3)
    assert labels == [f"Group {g} {sizes[g]}" for g in range(3)], labels
    _, bx, by = buttons[group]
    page.click(bx, by)
    assert page.evaluate("window.simlay.state()")["group"] == group
    status = page.evaluate("document.getElementById('status').textContent")
    assert status.endswith(f"showing NMF group {group}"), status
    shot = screenshot(page, "nmf-group")
    colour = np.array([int(data["nmf"]["palette"][group][k:k + 2], 16) for k in (1, 3, 5)], dtype=np.float64)
    focus = page.evaluate("window.simlay.state()")
    inside = outside = 0
    for i in range(len(ids)):
        src = display_image(data, i).astype(np.float64)
        left, top, _, _ = tiles[(i, 0)]
        for y in range(0, 14, 3):
            for x in range(0, 14, 3):
                if i == focus["image"] and [y, x] == focus["cells"][0]:
                    continue
                for px, py in interior_pixels(data, i, 0, y, x)[::9]:
                    if groups[i, y, x] == group:
                        # Strength is stored as a byte: a is within 0.9 / 510 of the float's.
                        a = 0.9 * float(strength[i, y, x])
                        expected = src[py, px] * (1 - a) + colour * a
                        tolerance = 0.9 / 510 * 255 + 1.5
                        inside += 1
                    else:
                        expected = src[py, px] * 0.35
                        tolerance = 1.0
                        outside += 1
                    got = shot[top + py, left + px].astype(np.float64)
                    assert np.all(np.abs(got - expected) <= tolerance), (
                        f"image {i} cell {(y, x)} (group {groups[i, y, x]}): screenshot {got}, expected {expected}")
    assert inside > 0 and outside > 0, (inside, outside)
    page.click(bx, by)  # clicking again clears the highlight: back to the similarity overlay
    assert page.evaluate("window.simlay.state()")["group"] == -1
    after = screenshot(page, "nmf-cleared")
    for (i, l), (left, top, w, h) in tiles.items():
        assert np.array_equal(before[top:top + h, left:left + w], after[top:top + h, left:left + w]), f"tile {i}"
    assert_clean(page)


def test_too_large_page_is_refused(setup, tmp_path):
    daemon, _, paths, _ = setup
    proc = daemon.cli("export-html", "--layer", "blocks.2", "--out", tmp_path / "big.html", *paths[:2])
    assert_one_line_error(proc, "RESOURCE_EXHAUSTED", "6272 cells", "4096", "fewer images or a coarser layer")
    assert not (tmp_path / "big.html").exists()
    proc = daemon.cli("export-html", "--layer", "no.such.layer", "--out", tmp_path / "x.html", *paths[:1])
    assert_one_line_error(proc, "NOT_FOUND", "no.such.layer")
