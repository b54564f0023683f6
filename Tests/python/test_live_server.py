"""``simlayd --http``: the live page's server over real sockets (HTTP and WebSocket, websocket-client), a real
daemon, real photos. Hover answers equal the daemon's Similarity maps exactly (float32: both are the same
computation on the same cache), several rows per hover, latest-only hovers, calls by name in proto3 JSON,
errors named by gRPC status while the socket and the daemon keep serving, the token on every /api request
and WebSocket, other sites' pages refused, images and colormaps as the renderer has them."""

from __future__ import annotations

import io
import json
import subprocess
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from daemon_support import assert_one_line_error, free_port, short_tmpdir, simlayd_bin, tensor
from live_support import LiveSocket, get, live_daemon, similarity_json, upload_json

LAYERS = ["blocks.10", "blocks.4"]  # 14x14 and 28x28


@pytest.fixture(scope="module")
def live(photos):
    with live_daemon() as (d, base):
        client = d.client()
        ids = [i.id for i in client.add([photos["landscape"], photos["portrait"], photos["chelsea"]])]
        yield d, base, client, ids


def test_page_and_scripts_served_with_a_strict_policy(live):
    _, base, _, _ = live
    status, headers, body = get(base + "/")
    assert status == 200 and body.lstrip().lower().startswith(b"<!doctype html"), body[:200]
    assert headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    for script, needle in [("/live-core.js", b"createHoverGate"), ("/viewer-core.js", b"blendPixel")]:
        status, headers, body = get(base + script)
        assert status == 200 and needle in body, script
        assert headers["Content-Type"].startswith("text/javascript")
    assert get(base + "/no-such-file")[0] == 404


def test_hover_rows_equal_the_similarity_maps(live):
    _, base, client, ids = live
    with LiveSocket(base) as s:
        for seq, (y, x) in enumerate([(3, 4), (13, 0), (0, 13)], start=1):
            rows = [similarity_json(layer, ids[1], ids, y * (2 if layer == "blocks.4" else 1), x, topK=3)
                    for layer in LAYERS]
            got_seq, meta, maps = s.hover(seq, rows)
            assert got_seq == seq
            assert [r["layer"] for r in meta["rows"]] == LAYERS
            for layer, row, got in zip(LAYERS, meta["rows"], maps):
                yy = y * (2 if layer == "blocks.4" else 1)
                response, want = client.similarity(layer, ids[1], ids, cell=(yy, x))
                assert got.shape == want.shape == (3, row["h"], row["w"])
                np.testing.assert_array_equal(got, want)  # the same maps, bit for bit
                assert row["queryCells"] == {"y0": yy, "x0": x, "y1": yy + 1, "x1": x + 1}
            # Top matches: the 3 largest values over all targets, decreasing.
            flat = np.sort(maps[0].ravel())[::-1][:3]
            np.testing.assert_allclose([m["value"] for m in meta["rows"][0]["top"]], flat, rtol=0, atol=1e-6)


def test_a_burst_of_hovers_answers_only_the_latest(live, photos):
    d, base, client, _ = live
    # New images: the first hover runs forward passes (tens of ms or more), during which the burst arrives.
    fresh = [i.id for i in client.add([photos["tall"], photos["square"], photos["coffee"]])]
    with LiveSocket(base) as s:
        for seq in range(1, 31):
            s.send({"op": "hover", "seq": seq, "requests": [similarity_json("blocks.10", fresh[0], fresh, seq % 14, 5)]})
        answered, superseded = [], []
        while not answered or answered[-1] != 30:
            m = s.receive()
            if isinstance(m, tuple):
                answered.append(m[0])
            else:
                assert m["op"] == "superseded", m
                superseded.append(m["seq"])
        assert sorted(answered + superseded) == list(range(1, 31)), (answered, superseded)
        assert len(superseded) >= 20, f"only {len(superseded)} of 30 superseded: hovers queued ({answered})"
        _, want = client.similarity("blocks.10", fresh[0], fresh, cell=(30 % 14, 5))
        s.send({"op": "hover", "seq": 31, "requests": [similarity_json("blocks.10", fresh[0], fresh, 30 % 14, 5)]})
        np.testing.assert_array_equal(s.receive()[2][0], want)


def test_calls_by_name_in_proto_json(live, photos):
    _, base, client, ids = live
    with LiveSocket(base) as s:
        models = s.call("ListModels", {})
        assert models["op"] == "result" and models["response"]["models"][0]["name"], models
        # An upload through the page gets the id a gRPC upload of the same bytes got (content-addressed).
        data = photos["chelsea"].read_bytes()
        added = s.call("AddImages", {"images": [upload_json(data, "chelsea.png")]})
        assert added["response"]["images"][0]["id"] == ids[2], added
        assert added["response"]["images"][0]["existed"] is True
        sync = s.call("LayerSync", {"layers": LAYERS, "imageId": ids[0], "point": {"px": 100, "py": 80},
                                    "targetIds": ids})
        assert [l["layer"] for l in sync["response"]["layers"]] == LAYERS
        want = client.sync(LAYERS, ids[0], (100, 80), ids)
        got = np.frombuffer(__import__("base64").b64decode(sync["response"]["layers"][0]["maps"]["data"]), "<f4")
        np.testing.assert_array_equal(got, tensor(want.layers[0].maps).ravel())


def test_errors_are_named_and_the_socket_keeps_serving(live):
    d, base, client, ids = live
    with LiveSocket(base) as s:
        bad = s.hover(7, [similarity_json("no.such.layer", ids[0], ids, 0, 0)])
        assert bad["op"] == "error" and bad["seq"] == 7 and bad["code"] == "NOT_FOUND", bad
        assert "no.such.layer" in bad["message"]
        out = s.hover(8, [similarity_json("blocks.10", ids[0], ids, 20, 0)])
        assert out["code"] == "OUT_OF_RANGE", out
        seq, _, maps = s.hover(9, [similarity_json("blocks.10", ids[0], ids, 1, 1)])  # the stream reopened
        assert seq == 9 and maps[0].shape == (3, 14, 14)
        for message, code in [
            ({"op": "call", "id": 1, "method": "LoadModel", "request": {}}, "UNIMPLEMENTED"),
            ({"op": "call", "id": 2, "method": "Similarity", "request": {"noSuchField": 1}}, "INVALID_ARGUMENT"),
            ({"op": "call", "id": 3, "method": "Similarity", "request": {"layer": "x" * 100000}}, "INVALID_ARGUMENT"),
            ({"op": "hover", "requests": []}, "INVALID_ARGUMENT"),
            ({"op": "dance"}, "INVALID_ARGUMENT"),
        ]:
            s.send(message)
            answer = s.receive()
            assert answer["op"] == "error" and answer["code"] == code, (message["op"], answer)
            assert len(answer["message"]) < 400, answer  # a prefix of what was sent, not all of it
        s.ws.send("not json")
        assert s.receive()["code"] == "INVALID_ARGUMENT"
        assert s.hover(10, [similarity_json("blocks.10", ids[0], ids, 2, 2)])[0] == 10
    client.similarity("blocks.10", ids[0], ids, cell=(0, 0))  # gRPC clients were never affected


def test_images_and_colormaps(live, photos):
    _, base, _, ids = live
    status, headers, body = get(f"{base}/api/images/{ids[1]}.png?size=64")
    assert status == 200 and headers["Content-Type"] == "image/png"
    tile = Image.open(io.BytesIO(body))
    source = Image.open(photos["portrait"]).convert("RGB")
    assert max(tile.size) == 64 and tile.size == (round(64 * source.width / source.height), 64), tile.size
    # The daemon's resize is Pillow's bicubic-with-antialias: within a level or two of Pillow's.
    want = np.asarray(source.resize(tile.size, Image.BICUBIC), dtype=np.int16)
    assert np.abs(np.asarray(tile.convert("RGB"), dtype=np.int16) - want).mean() < 2.0
    assert get(f"{base}/api/images/{'0' * 64}.png")[0] == 404
    assert get(f"{base}/api/images/{ids[1]}.png?size=5000")[0] == 400
    status, _, body = get(base + "/api/colormaps")
    tables = json.loads(body)
    assert status == 200 and "mask" not in tables and len(tables["viridis"]) == 768
    # matplotlib's viridis at both ends: (68, 1, 84) and (253, 231, 37).
    assert np.abs(np.array(tables["viridis"][:3]) - [68, 1, 84]).max() <= 1
    assert np.abs(np.array(tables["viridis"][-3:]) - [253, 231, 37]).max() <= 1


def test_other_sites_pages_are_refused(live):
    d, base, _, _ = live
    import websocket
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        LiveSocket(base, origin="http://evil.example")
    # Refused in the upgrade handshake (Hummingbird answers a refused upgrade with 400).
    assert refused.value.status_code in (400, 403)
    assert "refused a WebSocket from origin http://evil.example" in d.log_text()
    with LiveSocket(base, origin=base) as s:  # the page's own origin
        assert s.call("ListModels", {})["op"] == "result"
    # DNS rebinding: a site's name resolved to 127.0.0.1 has Origin and Host agree, but names itself.
    port = base.rsplit(":", 1)[1]
    request = urllib.request.Request(base + "/api/colormaps", headers={"Host": f"evil.example:{port}"})
    with pytest.raises(urllib.error.HTTPError) as rebound:
        urllib.request.urlopen(request, timeout=10)
    assert rebound.value.code == 403
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(base.replace("http", "ws") + "/ws", timeout=10, host=f"evil.example:{port}",
                                    origin=f"http://evil.example:{port}")


def test_token_guards_api_and_socket(photos):
    with live_daemon(token="s3cret-token") as (d, base):
        assert get(base + "/")[0] == 200  # the page itself carries nothing
        assert get(base + "/api/colormaps")[0] == 401
        assert get(base + "/api/colormaps", token="wrong")[0] == 401
        assert get(base + "/api/colormaps", token="s3cret-token")[0] == 200
        ids = [i.id for i in d.client().add([photos["chelsea"]])]
        assert get(f"{base}/api/images/{ids[0]}.png")[0] == 401
        with LiveSocket(base) as s:
            denied = s.call("ListModels", {})
            assert denied["op"] == "error" and denied["code"] == "UNAUTHENTICATED", denied
            assert s.hover(1, [similarity_json("blocks.10", ids[0], ids, 0, 0)])["code"] == "UNAUTHENTICATED"
            assert s.hello("wrong")["code"] == "UNAUTHENTICATED"
            hello = s.hello("s3cret-token")
            assert hello["op"] == "hello" and int(hello["limits"]["maxImagesPerRequest"]) == 64, hello
            assert s.call("ListModels", {})["op"] == "result"
            assert s.hover(2, [similarity_json("blocks.10", ids[0], ids, 0, 0)])[0] == 2


def test_oversized_message_closes_the_socket_only(photos):
    with live_daemon(["--max-message-mb", "1"]) as (d, base):
        import websocket
        s = LiveSocket(base)
        # The daemon closes the socket as the frame arrives: the send itself may already fail.
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
            s.send({"op": "call", "id": 1, "method": "AddImages",
                    "request": {"images": [upload_json(b"\0" * (2 << 20), "big.png")]}})
            for _ in range(3):
                s.receive()
        ids = [i.id for i in d.client().add([photos["chelsea"]])]
        with LiveSocket(base) as t:
            assert t.hover(1, [similarity_json("blocks.10", ids[0], ids, 0, 0)])[0] == 1


def test_non_loopback_http_needs_a_token():
    workdir = short_tmpdir()
    proc = subprocess.run([str(simlayd_bin()), "--unix", str(workdir / "d.sock"), "--http", f"0.0.0.0:{free_port()}"],
                          capture_output=True, text=True, timeout=60)
    assert_one_line_error(proc, "--token-file")


def test_sigterm_with_a_page_open_closes_it_normally(photos):
    import signal
    import websocket
    with live_daemon() as (d, base):
        ids = [i.id for i in d.client().add([photos["chelsea"]])]
        s = LiveSocket(base)
        assert s.hover(1, [similarity_json("blocks.10", ids[0], ids, 0, 0)])[0] == 1
        d.signal(signal.SIGTERM)
        opcode, data = s.ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(data[:2], "big") == 1000, (opcode, data)
        assert d.wait() == 0
        assert " error " not in d.log_text(), d.log_text()[-2000:]


def test_a_hover_larger_than_a_grpc_clients_default_limit_is_answered(live):
    """24 images at the 224x224 input grid: 4.8 MB of maps, over the 4 MiB a stock gRPC client receives, so
    the daemon would refuse it to such a client; a WebSocket has no such limit and gets the frame."""
    from daemon_support import noise_png
    d, base, client, _ = live
    ids = [i.id for i in client.add([(noise_png(32, 32, seed=100 + k), f"n{k}.png") for k in range(24)])]
    with LiveSocket(base) as s:
        seq, meta, maps = s.hover(1, [similarity_json("input", ids[0], ids, 100, 100)])
        assert seq == 1 and maps[0].shape == (24, 224, 224), meta["rows"][0]
        assert maps[0].nbytes > 4 << 20


def test_one_large_frame_is_a_message(live, photos):
    """Clients that are not browsers send a message as one frame: 3 MB in one frame is accepted."""
    from daemon_support import noise_png
    _, base, _, _ = live
    big = noise_png(1200, 900, seed=7, smooth=False)
    assert len(big) > 2 << 20
    with LiveSocket(base) as s:
        added = s.call("AddImages", {"images": [upload_json(big, "big.png")]})
        assert added["op"] == "result" and added["response"]["images"][0]["width"] == 1200, str(added)[:300]
