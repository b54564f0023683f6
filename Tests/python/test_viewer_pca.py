"""``simlay export-html --pca`` in a real browser (issue 14 item 2's viewer mode): the session's simlayd
over a Unix socket, the CLI writes the page, headless Chromium opens it from file:// with real mouse and
key events (``cdp.py``). Checks: the PCA button and the C key switch every tile to its image's PCA colours,
and each screenshot pixel outside the focus outline equals the Pca RPC's colour of the cell under it
(nearest scaling, floor(p * H / size), the rule of ``simlay pca --out``); the explained variance per
component is in the bar and the status line; hovering moves the focus in the PCA mode; back in the
similarity mode the overlays are the daemon's maps again; ``--pca-layer``, ``--pca-components`` and
``--pca-foreground-threshold`` reach the fit; the CLI refuses PCA options without ``--pca``.

Tolerance: none on PCA pixels. The page embeds the RPC's bytes (no quantisation) and draws them opaque on
canvases placed on whole pixels, which the browser copies 1:1 to the screenshot (see viewer.css), so
every compared pixel must be equal. The similarity overlays after leaving the mode are checked with
test_viewer_browser's stated tolerances.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from daemon_support import assert_ok, assert_one_line_error, tensor
from test_viewer_browser import (IMAGE_KEYS, assert_clean, assert_outline, browser, check_pixels,  # noqa: F401
                                 export, maps_for, move_mouse, open_viewer, screenshot, setup)

LAYERS = ["blocks.10", "blocks.4"]  # 14x14 and 28x28


def pca_answer(client, ids, layer, components=0, threshold=None):
    pb = client.pb
    request = pb.PcaRequest(layer=layer, image_ids=ids, components=components)
    if threshold is not None:
        request.foreground_threshold = threshold
    answer = client.call("Pca", request)
    colors = tensor(answer.colors).astype(np.uint8)  # [N, H, W, 3]
    return answer, colors


def expected_tile(colors, i, width, height) -> np.ndarray:
    """Image i's PCA colours scaled to a width x height tile by the cell rule floor(p * H / size)."""
    h, w = colors.shape[1:3]
    ys, xs = (np.arange(height) * h) // height, (np.arange(width) * w) // width
    return colors[i][ys][:, xs]


def check_pca_tiles(shot, data, tiles, colors, state) -> int:
    """Every pixel of every tile against the RPC's colours, except the focus cell's box (its outline)."""
    compared = 0
    for (i, l), (left, top, w, h) in tiles.items():
        got = shot[top:top + h, left:left + w].astype(int)
        want = expected_tile(colors, i, w, h).astype(int)
        keep = np.ones((h, w), dtype=bool)
        if i == state["image"]:
            g = data["layers"][l]
            y, x = state["cells"][l]
            x0, x1 = math.ceil(x * w / g["width"]), math.ceil((x + 1) * w / g["width"])
            y0, y1 = math.ceil(y * h / g["height"]), math.ceil((y + 1) * h / g["height"])
            keep[y0:y1, x0:x1] = False
        bad = np.argwhere(np.any(got != want, axis=2) & keep)
        assert len(bad) == 0, (f"tile {i},{l}: {len(bad)} pixels differ from the Pca RPC's colours, first at "
                               f"(y, x) = {tuple(bad[0])}: screenshot {got[tuple(bad[0])]}, RPC {want[tuple(bad[0])]}")
        compared += int(keep.sum())
    return compared


def key(page, name: str, code: str, vk: int) -> None:
    text = {"text": name} if len(name) == 1 else {}  # a printable key carries its text; Escape has none
    page.send("Input.dispatchKeyEvent", type="keyDown", key=name, code=code, windowsVirtualKeyCode=vk, **text)
    page.send("Input.dispatchKeyEvent", type="keyUp", key=name, code=code, windowsVirtualKeyCode=vk)


def variance_text(fractions) -> str:
    return " · ".join(f"PC{k + 1} {v * 100:.1f}%" for k, v in enumerate(fractions))


def test_button_and_key_switch_to_the_pca_colours_and_back(setup, browser, tmp_path):
    daemon, client, paths, ids = setup
    path = tmp_path / "pca.html"
    _, data = export(daemon, path, paths, "--layer", LAYERS[0], "--layer", LAYERS[1], "--pca")
    answer, colors = pca_answer(client, ids, LAYERS[0])
    assert data["pca"]["layer"] == LAYERS[0] and data["pca"]["explainedVariance"] == list(answer.explained_variance)
    page, tiles = open_viewer(browser, path)
    caption = page.evaluate("document.getElementById('pca').textContent")
    assert caption.startswith("PCA") and variance_text(answer.explained_variance) in caption, caption

    # The similarity mode first, at a cell of the portrait: the reference screenshot.
    move_mouse(page, tiles, data, 1, 0, 4, 9)
    before = screenshot(page, "pca-before")
    assert not page.evaluate("window.simlay.state()")["pca"]

    # The button (a real click) switches every tile to the PCA colours.
    b = page.evaluate("""(() => { const r = document.getElementById('pca-toggle').getBoundingClientRect();
                                  return [r.left + r.width / 2, r.top + r.height / 2]; })()""")
    page.click(*b)
    state = page.evaluate("window.simlay.state()")
    assert state["pca"] and state["image"] == 1 and state["cells"][0] == [4, 9], state
    assert page.evaluate("document.getElementById('pca-toggle').getAttribute('aria-pressed')") == "true"
    status = page.evaluate("document.getElementById('status').textContent")
    assert status.endswith(f"showing PCA at {LAYERS[0]}: {variance_text(answer.explained_variance)}"), status
    shot = screenshot(page, "pca-on")
    assert check_pca_tiles(shot, data, tiles, colors, state) > 100_000
    for l in range(2):
        assert_outline(shot, data, tiles, 1, l, *state["cells"][l])

    # Hover works in the PCA mode: the focus follows the mouse, the outline moves, the colours stay.
    move_mouse(page, tiles, data, 2, 1, 20, 6)
    state = page.evaluate("window.simlay.state()")
    assert state["pca"] and state["image"] == 2 and state["cells"][1] == [20, 6], state
    shot = screenshot(page, "pca-moved")
    check_pca_tiles(shot, data, tiles, colors, state)
    assert_outline(shot, data, tiles, 2, 1, 20, 6)

    # The C key leaves the mode: back at the first cell the tiles are the similarity overlays again.
    move_mouse(page, tiles, data, 1, 0, 4, 9)
    key(page, "c", "KeyC", 67)
    state = page.evaluate("window.simlay.state()")
    assert not state["pca"], state
    assert page.evaluate("document.getElementById('pca-toggle').getAttribute('aria-pressed')") == "false"
    after = screenshot(page, "pca-off")
    for (i, l), (left, top, w, h) in tiles.items():
        assert np.array_equal(before[top:top + h, left:left + w], after[top:top + h, left:left + w]), f"tile {i},{l}"
    # ... and hover still works there: a new cell's overlays are the daemon's maps.
    move_mouse(page, tiles, data, 0, 1, 13, 2)
    state = page.evaluate("window.simlay.state()")
    assert state["image"] == 0 and state["cells"][1] == [13, 2], state
    shot = screenshot(page, "pca-off-moved")
    compared = 0
    for l, layer in enumerate(LAYERS):
        cell = tuple(state["cells"][l])
        maps = maps_for(client, ids, layer, 0, cell)
        compared += check_pixels(shot, data, tiles, maps, l, 0, cell, np.random.default_rng(3))
    assert compared > 100, compared
    # The key turns it on again, Escape leaves it.
    key(page, "c", "KeyC", 67)
    assert page.evaluate("window.simlay.state()")["pca"]
    key(page, "Escape", "Escape", 27)
    assert not page.evaluate("window.simlay.state()")["pca"]
    assert_clean(page)


def test_pca_layer_components_and_foreground(setup, browser, tmp_path):
    daemon, client, paths, ids = setup
    path = tmp_path / "pca-fg.html"
    _, data = export(daemon, path, paths, "--layer", LAYERS[0], "--pca", "--pca-layer", LAYERS[1],
                     "--pca-components", "5", "--pca-foreground-threshold", "0")
    answer, colors = pca_answer(client, ids, LAYERS[1], components=5, threshold=0.0)
    background = tensor(answer.foreground) == 0
    assert background.any() and (~background).any()
    assert np.all(colors[background] == 0)
    assert data["pca"]["components"] == 5 and len(data["pca"]["explainedVariance"]) == 5
    page, tiles = open_viewer(browser, path)
    caption = page.evaluate("document.getElementById('pca').textContent")
    assert f"PCA at {LAYERS[1]} (28×28×" in caption and "black: PC1 ≤ 0" in caption, caption
    assert caption.endswith(variance_text(answer.explained_variance)), caption
    state = page.evaluate("window.simlay.setPca(true)")
    assert state["pca"]
    shot = screenshot(page, "pca-foreground")
    check_pca_tiles(shot, data, tiles, colors, state)
    assert_clean(page)


def test_cli_flags(setup, tmp_path):
    daemon, _, paths, _ = setup
    help_text = assert_ok(daemon.cli("export-html", "--help")).stdout
    for flag in ["--pca ", "--pca-layer", "--pca-components", "--pca-foreground-threshold"]:
        assert flag in help_text, flag
    proc = daemon.cli("export-html", "--layer", "head", "--pca-layer", "head", "--out", tmp_path / "x.html", *paths[:1])
    assert proc.returncode != 0 and "need --pca" in proc.stderr, proc.stderr
    proc = daemon.cli("export-html", "--layer", "head", "--pca", "--pca-components", "17", "--out",
                      tmp_path / "y.html", *paths[:1])
    assert_one_line_error(proc, "INVALID_ARGUMENT", "pca: components 17 must be in 1...16")
    assert not (tmp_path / "y.html").exists()


def test_python_client_pca(setup, tmp_path):
    import json
    import re

    import daemon_support

    daemon, client, paths, ids = setup
    simlay = daemon_support.working_tree_package()
    with simlay.Client(daemon.unix_target()) as c:
        page = c.export_html(paths, layer=LAYERS[0], pca=True, pca_foreground_threshold=0.0, path=tmp_path / "p.html")
        with pytest.raises(ValueError, match="need pca=True"):
            c.export_html(paths, layer=LAYERS[0], pca_layer=LAYERS[1])
        viewer = c.show(paths, layer=LAYERS[0], pca=True, display=False)
    data = json.loads(re.search(r'<script type="application/json" id="simlay-data">(.*?)</script>', page, re.S).group(1))
    _, colors = pca_answer(client, ids, LAYERS[0], threshold=0.0)
    assert data["pca"]["foregroundThreshold"] == 0 and data["pca"]["layer"] == LAYERS[0]
    import base64
    assert base64.b64decode(data["pca"]["colors"]) == colors.tobytes()
    assert (tmp_path / "p.html").read_text() == page
    assert '"pca":{' in viewer.html
