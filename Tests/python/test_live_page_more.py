"""The live page (``simlayd --http``) in headless Chromium, continued (test_live_page.py has the hover
path): images added through the file input and by drag and drop, NMF, PCA and sweep panels against their
RPCs, 64 images at an early layer and the 65th refused, metrics from the address, models side by side,
an unknown id named. Helpers: live_page_support.py; no console error, exception or error log entry.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import cdp
import live_support
from daemon_support import tensor
from live_page_support import (IMAGE_KEYS, assert_clean, assert_values, browser, live, open_live,  # noqa: F401
                               state, tiles)


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


def test_add_a_photo_over_one_mebibyte_as_a_message(live, browser):
    """astronaut.png (791,555 bytes) is a 1.05 MB message in base64: under the daemon's --max-message-mb
    (64), which hello reports, so the page sends it in one AddImages call and it must be added."""
    from daemon_support import EXAMPLES
    path = EXAMPLES / "astronaut.png"
    page = open_live(browser, live.url(f"images={live.ids[0]}&layer=blocks.10"))
    page.send("DOM.enable")
    root = page.send("DOM.getDocument")["root"]["nodeId"]
    node = page.send("DOM.querySelector", nodeId=root, selector="#files")["nodeId"]
    page.send("DOM.setFileInputFiles", nodeId=node, files=[str(path)])
    deadline = time.monotonic() + 60
    while len(state(page)["images"]) < 2:
        status = page.evaluate("document.getElementById('status').textContent")
        assert time.monotonic() < deadline and "closed" not in status, status
        time.sleep(0.1)
    (info,) = live.client.add([path])
    assert list(state(page)["images"][1]["ids"].values()) == [info.id]
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
