"""simlayd over grpcio: health, ListModels, AddImages (content-addressed ids shared between clients),
Similarity over the Unix socket and over TCP, Stats, rendering in the Similarity and LayerSync calls.

All against the session's shared daemon (``daemon`` fixture: default model, Unix socket + 127.0.0.1 TCP).
"""

from __future__ import annotations

import numpy as np
import pytest

from daemon_support import (DEFAULT_MODEL, DEFAULT_MODEL_NAME, INPUT_SIZE, KNOWN_LAYERS, decode_png, find_tiles,
                            noise_png, rpc_error)


def test_health_serving_on_both_transports(daemon, daemon_stubs):
    s = daemon_stubs
    for transport in ("unix", "tcp"):
        health = s.health_rpc.HealthStub(daemon.channel(transport))
        for service in ("", "simlay.v1.Simlay"):
            reply = health.Check(s.health_pb.HealthCheckRequest(service=service), timeout=10)
            assert reply.status == s.health_pb.HealthCheckResponse.SERVING, (transport, service, reply)
        error = rpc_error(health.Check, s.health_pb.HealthCheckRequest(service="no.such.Service"), timeout=10)
        assert error.code() == s.grpc.StatusCode.NOT_FOUND, (error.code(), error.details())
    assert "listening" in daemon.log_text(), daemon.describe()


def test_list_models_default_model_and_layers(client):
    reply = client.list_models()
    assert reply.default_model == DEFAULT_MODEL_NAME, reply.default_model
    models = {m.name: m for m in reply.models}
    assert DEFAULT_MODEL_NAME in models, list(models)
    model = models[DEFAULT_MODEL_NAME]
    assert model.path and model.path.endswith(DEFAULT_MODEL.name), model.path
    assert (model.input_height, model.input_width) == (INPUT_SIZE, INPUT_SIZE)
    assert len(model.mean) == 3 and len(model.std) == 3 and all(s > 0 for s in model.std), (model.mean, model.std)

    layers = {layer.name: layer for layer in model.layers}
    for name, (c, h, w) in KNOWN_LAYERS.items():
        assert name in layers, f"layer {name} missing from ListModels: {sorted(layers)[:20]}..."
        layer = layers[name]
        assert (layer.channels, layer.height, layer.width) == (c, h, w), (name, layer)
        assert layer.stride_y == pytest.approx(INPUT_SIZE / h) and layer.stride_x == pytest.approx(INPUT_SIZE / w)
    for i in range(16):
        assert f"blocks.{i}" in layers, f"blocks.{i} missing"
    # Execution order: the stem first, the head after the last block.
    order = [layer.name for layer in model.layers]
    assert order.index("stem") < order.index("blocks.0") < order.index("blocks.15") < order.index("head")
    assert all(layer.channels > 0 and layer.height > 0 and layer.width > 0 for layer in model.layers)


def test_add_images_ids_sizes_and_existed(client):
    uploads = [(noise_png(300, 200, seed=101), "a.png"), (noise_png(120, 333, seed=102), "b.png")]
    first = client.add(uploads)
    assert [(i.width, i.height) for i in first] == [(300, 200), (120, 333)]
    assert [i.name for i in first] == ["a.png", "b.png"]
    assert all(i.id for i in first) and first[0].id != first[1].id
    assert [i.existed for i in first] == [False, False]

    again = client.add(uploads)
    assert [i.id for i in again] == [i.id for i in first], "same bytes must give the same (content-addressed) id"
    assert [i.existed for i in again] == [True, True]
    assert [(i.width, i.height) for i in again] == [(300, 200), (120, 333)]

    # A different name does not change the id (the bytes decide); other bytes do.
    renamed = client.add([(uploads[0][0], "renamed.png"), (noise_png(300, 200, seed=103), "c.png")])
    assert renamed[0].id == first[0].id and renamed[0].existed
    assert renamed[1].id not in {first[0].id, first[1].id} and not renamed[1].existed


def test_two_clients_share_images_and_activations(daemon):
    """Two independent connections (Unix and TCP) adding the same bytes share one image and its cache."""
    a, b = daemon.client("unix"), daemon.client("tcp")
    data = noise_png(256, 192, seed=201)
    info_a = a.add([(data, "shared.png")])[0]
    info_b = b.add([(data, "shared.png")])[0]
    assert info_a.id == info_b.id and not info_a.existed and info_b.existed

    before = a.stats().cache.forward_passes
    _, maps_a = a.similarity("blocks.4", info_a.id, [info_a.id], cell=(3, 4))
    middle = a.stats().cache.forward_passes
    _, maps_b = b.similarity("blocks.4", info_b.id, [info_b.id], cell=(3, 4))
    after = b.stats().cache.forward_passes
    assert middle - before == 1, f"first query on a new image: {middle - before} forward passes"
    assert after == middle, "the second client's identical query must come from the shared cache"
    np.testing.assert_array_equal(maps_a, maps_b)


def test_similarity_identical_over_unix_and_tcp(daemon, photos):
    unix, tcp = daemon.client("unix"), daemon.client("tcp")
    infos = unix.add([photos["landscape"], photos["portrait"], photos["square"]])
    ids = [i.id for i in infos]
    for metric in (0, 1, 2):
        r_unix, m_unix = unix.similarity("blocks.10", ids[1], ids, cell=(6, 8), metric=metric)
        r_tcp, m_tcp = tcp.similarity("blocks.10", ids[1], ids, cell=(6, 8), metric=metric)
        assert m_unix.shape == (3, 14, 14)
        assert r_unix.maps.data == r_tcp.maps.data, f"metric {metric}: Unix and TCP answers differ"
        assert r_unix.layer == r_tcp.layer == "blocks.10"
        assert np.all(np.isfinite(m_unix))


def test_stats_reports_requests_and_cache(client, photos):
    info = client.add([photos["chelsea"]])[0]
    client.similarity("head", info.id, [info.id], cell=(0, 0))
    stats = client.stats()
    assert stats.uptime_seconds > 0
    assert stats.images >= 1 and stats.image_bytes > 0
    assert DEFAULT_MODEL_NAME in {m.name for m in stats.models}
    cache = stats.cache
    assert 0 < cache.bytes <= cache.capacity_bytes, cache
    assert cache.entries >= 1 and cache.forward_passes >= 1 and cache.misses >= 1
    methods = {m.method.split("/")[-1]: m for m in stats.methods}
    for name in ("AddImages", "Similarity"):
        assert name in methods, f"{name} not in Stats.methods: {list(methods)}"
        assert methods[name].requests >= 1
        assert 0 <= methods[name].p50_ms <= methods[name].p90_ms <= methods[name].p99_ms, methods[name]


def test_similarity_and_sync_render_png_in_the_same_call(client, photos):
    pb = client.pb
    infos = client.add([photos["landscape"], photos["portrait"]])
    ids = [i.id for i in infos]
    request = client.similarity_request("blocks.10", ids[1], ids, cell=(4, 5))
    plain = client.call("Similarity", request)
    assert not plain.HasField("rendered"), "no render options: maps only"
    request.render.CopyFrom(pb.RenderOptions(tile_size=128))
    answer = client.call("Similarity", request)
    assert answer.maps == plain.maps, "rendering must not change the maps"
    reply = answer.rendered
    png = decode_png(reply.png)
    assert (reply.width, reply.height) == (png.shape[1], png.shape[0])
    tiles = find_tiles(png)
    assert len(tiles) == 1 and len(tiles[0]) == 2, f"expected 1 row of 2 tiles, found {tiles}"
    # Longest side 128: landscape 512x341 -> 128x85, portrait 512x600 -> 109x128 (either may be off by one).
    sizes = [(t.width, t.height) for t in tiles[0]]
    for (w, h), (ew, eh) in zip(sizes, [(128, 85), (109, 128)]):
        assert abs(w - ew) <= 1 and abs(h - eh) <= 1, sizes

    sync = client.sync_request(["blocks.4", "head"], ids[0], (100.0, 50.0), ids)
    sync.render.CopyFrom(pb.RenderOptions(tile_size=96, colormap=pb.COLORMAP_VIRIDIS, upsample=pb.UPSAMPLE_BILINEAR,
                                          no_titles=True))
    answer = client.call("LayerSync", sync)
    assert [lm.layer for lm in answer.layers] == ["blocks.4", "head"]
    reply = answer.rendered
    png = decode_png(reply.png)
    assert (reply.width, reply.height) == (png.shape[1], png.shape[0])
    tiles = find_tiles(png)
    assert [len(r) for r in tiles] == [2, 2], f"expected 2 rows (layers) of 2 tiles, found {tiles}"
