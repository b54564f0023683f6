"""``Client.show(..., live=True)``, the live notebook widget (issue 16 item 4), against a real simlayd.

The kernel side is driven as its front end drives it: ``_on_hover`` is what the widget's custom message
calls, and what the widget sends back (``send(content, buffers)``) is recorded on its way to the comm. The
maps must equal ``Client.similarity``'s bit for bit; two widgets on two clients share one daemon and its
cache; a burst of hovers is answered latest-only. test_live_widget_errors.py: failures and close();
test_live_widget_notebook.py: a real kernel; test_live_widget_browser.py: its page in Chromium.
"""

from __future__ import annotations

import base64
import io
import threading

from live_widget_support import (WAIT, client, counts, decode, from_front_end, hover, own_daemon,  # noqa: F401
                                 paths, recording, simlay)

def test_maps_equal_similarity_on_every_row_with_the_daemons_tiles(client, paths):
    from PIL import Image

    ids = client.add_images(paths)
    w = client.show(ids, layers=["blocks.10", "head"], live=True, render=simlay.RenderOptions(tile_size=64))
    try:
        sent = recording(w)
        assert [g for g in w.layers] == [{"name": "blocks.10", "height": 14, "width": 14},
                                          {"name": "head", "height": 7, "width": 7}]
        assert (w.colormap, w.table, w.metric, w.error) == ("mask", [], "cosine", "")
        assert abs(w.opacity - 0.6) < 1e-6, w.opacity  # the daemon's default for opacity 0
        for image, tile in zip([Image.open(p) for p in paths], w.images):
            assert tile["src"].startswith("data:image/png;base64,")
            png = Image.open(io.BytesIO(base64.b64decode(tile["src"].split(",", 1)[1])))
            assert png.size == (tile["width"], tile["height"]) and max(png.size) == 64
            long, short = max(image.size), min(image.size)
            assert abs(min(png.size) - 64 * short / long) <= 1, (image.size, png.size)

        hover(w, image=0, y=3, x=4, seq=7)
        (content, buffers), = sent
        # Cell (3, 4) of the 14 x 14 grid is the one holding its centre at head's 7 x 7: (1, 2).
        assert content == {"type": "maps", "seq": 7, "image": 0, "rows": [
            {"row": 0, "layer": "blocks.10", "y": 3, "x": 4}, {"row": 1, "layer": "head", "y": 1, "x": 2}]}
        for (layer, query), frame in zip([("blocks.10", (0, 3, 4)), ("head", (0, 1, 2))], buffers):
            seq, maps = decode(frame)
            expected = client.similarity(layer=layer, query=query, images=ids)
            assert seq == 7 and maps.shape == expected.shape and maps.tobytes() == expected.tobytes(), layer
            assert w.maps[layer].tobytes() == expected.tobytes()

        # A hover on the second row: head (2, 5) is blocks.10 (5, 11) (centre (2.5/7, 5.5/7) of the image).
        hover(w, image=2, layer=1, y=2, x=5, seq=8)
        content, buffers = sent[-1]
        assert [(r["y"], r["x"]) for r in content["rows"]] == [(5, 11), (2, 5)]
        assert decode(buffers[0])[1].tobytes() == client.similarity(layer="blocks.10", query=(2, 5, 11),
                                                                    images=ids).tobytes()
        assert w.query["seq"] == 8 and w.error == ""

        # The same through the comm, as a front end sends it; other message types are ignored.
        from_front_end(w, {"type": "hover", "seq": 9, "image": 1, "layer": 0, "y": 13, "x": 0})
        from_front_end(w, {"type": "something else"})
        assert w.wait(WAIT) and sent[-1][0]["seq"] == 9 and len(sent) == 3
        assert decode(sent[-1][1][0])[1].tobytes() == client.similarity(layer="blocks.10", query=(1, 13, 0),
                                                                        images=ids).tobytes()
    finally:
        w.close()


def test_style_is_the_daemons(client, paths):
    ids = client.add_images(paths[:1])
    style = simlay.RenderOptions(colormap="viridis", opacity=0.8, upsample="bilinear", value_range=(0.2, 0.9))
    w = client.show(ids, layer="head", live=True, render=style, metric="dot")
    try:
        page = client.export_html(ids, layer="head", metric="dot",
                                  render=simlay.RenderOptions(colormap="viridis", opacity=0.8))
        import json
        import re
        payload = json.loads(re.search(r'id="simlay-data">(.*?)</script>', page, re.S).group(1))
        assert len(w.table) == 768 and w.table == payload["colormapTable"]
        assert (w.colormap, w.upsample, w.metric, w.value_range) == ("viridis", "bilinear", "dot", [0.2, 0.9])
        assert abs(w.opacity - 0.8) < 1e-6
    finally:
        w.close()


def test_two_widgets_on_two_clients_share_one_daemon(own_daemon, paths):
    with simlay.Client(own_daemon.unix_target()) as first, simlay.Client(own_daemon.unix_target()) as second:
        a = first.show(paths, layer="blocks.10", live=True)
        hover(a, image=1, y=6, x=6)
        forward = first.stats()["cache"]["forward_passes"]
        messages = counts(first, "SimilarityStream.message")
        infos = second.add_images(paths, info=True)
        assert all(i.existed for i in infos), "the first client added these images: same content, same ids"
        b = second.show([i.id for i in infos], layer="blocks.10", live=True)
        try:
            sent = recording(b)
            hover(b, image=1, y=6, x=6)
            assert decode(sent[-1][1][0])[1].tobytes() == a.maps["blocks.10"].tobytes()
            stats = second.stats()
            assert stats["cache"]["forward_passes"] == forward, "the second widget's hover ran forward passes"
            assert counts(second, "SimilarityStream.message") == messages + 1
        finally:
            a.close()
            b.close()


def test_a_burst_of_hovers_is_answered_latest_only(client, paths):
    ids = client.add_images(paths)
    w = client.show(ids, layer="head", live=True)
    try:
        hover(w, image=0, y=0, x=0, seq=0)  # forward passes done: the burst measures the hover path only
        sent = recording(w)
        before = counts(client, "SimilarityStream.message")
        cells = [(i % 3, i // 7 % 7, i % 7) for i in range(50)]
        burst = threading.Thread(target=lambda: [w._on_hover({"image": i, "y": y, "x": x, "seq": k + 1})
                                                 for k, (i, y, x) in enumerate(cells)])
        burst.start()
        burst.join()
        assert w.wait(WAIT)
        queried = counts(client, "SimilarityStream.message") - before
        assert 1 <= queried < 50 and queried == len(sent), f"{queried} queries reached the daemon, {len(sent)} sent"
        seqs = [content["seq"] for content, _ in sent]
        assert seqs == sorted(seqs) and seqs[-1] == 50, seqs
        seq, maps = decode(sent[-1][1][0])
        assert seq == 50 and maps.tobytes() == client.similarity(layer="head", query=cells[-1], images=ids).tobytes()
    finally:
        w.close()
