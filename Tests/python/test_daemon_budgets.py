"""Budgets against the real daemon over its Unix socket (issue 15, items 2 and 3): work per request (NMF rows x
k x iterations, rendered pixels, sweep forward passes) refused with RESOURCE_EXHAUSTED naming the flag, and
allowed just below it; Stats reports every budget and the bytes clients make the daemon hold, image names
included; a model file loaded under a second name shares the first one's weights (Stats and the daemon's
RSS); UnloadModel over the wire, the CLI and the Python client.
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from daemon_support import (DEFAULT_MODEL, DEFAULT_MODEL_NAME, assert_ok, assert_one_line_error, noise_png,
                            rpc_error, running_daemon, tensor)

LAYER = "blocks.10"  # 112 channels on a 14 x 14 grid


def rss_bytes(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def exhausted(client, method, request, *needles):
    error = rpc_error(client.call, method, request)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{error.code()}: {error.details()}"
    for needle in needles:
        assert needle in error.details(), f"{needle!r} not in {error.details()!r}"
    return error


@pytest.fixture(scope="module")
def budgeted():
    args = ["--max-nmf-work", "1000000", "--max-render-pixels", "100000", "--max-sweep-steps", "3",
            "--max-model-mb", "300", "--nmf-cache-mb", "9", "--image-cache-mb", "50", "--cache-mb", "60",
            "--model-dir", str(DEFAULT_MODEL.parent)]
    with running_daemon(args) as d:
        client = d.client()
        ids = [i.id for i in client.add([(noise_png(160, 120, seed=1500 + i), f"b{i}.png") for i in range(2)])]
        yield d, client, ids


def test_stats_reports_every_budget(budgeted):
    _, client, _ = budgeted
    limits = client.stats().limits
    assert (limits.max_nmf_work, limits.max_render_pixels, limits.max_sweep_steps) == (1_000_000, 100_000, 3)
    assert (limits.max_model_bytes, limits.nmf_result_bytes) == (300 << 20, 9 << 20)
    assert (limits.image_store_bytes, limits.cache_bytes) == (50 << 20, 60 << 20)


def test_nmf_work_budget(budgeted):
    _, client, ids = budgeted
    pb = client.pb
    # 2 images x 196 cells = 392 rows; x k 4 x 1000 iterations = 1.568e6 > 1e6.
    exhausted(client, "Nmf", pb.NmfRequest(layer=LAYER, policy=pb.NMF_POLICY_CLAMP, image_ids=ids, k=4, max_iter=1000),
              "--max-nmf-work", "392 rows", "1568000")
    # 392 x 4 x 600 = 940800: within it.
    reply = client.call("Nmf", pb.NmfRequest(layer=LAYER, policy=pb.NMF_POLICY_CLAMP, image_ids=ids, k=4, max_iter=600))
    assert 1 <= reply.iterations <= 600
    assert client.stats().nmf_result_bytes >= 4 * 392 * (4 + 2)  # w, groups, strengths at least


def test_render_pixel_budget(budgeted):
    _, client, ids = budgeted
    pb = client.pb
    request = pb.SimilarityRequest(layer=LAYER, query=pb.Query(image_id=ids[0], cell=pb.Cell(y=3, x=4)),
                                   target_ids=ids, render=pb.RenderOptions(tile_size=256))
    # 2 tiles x 256^2 = 131072 > 100000, refused before any forward pass of the render.
    exhausted(client, "Similarity", request, "--max-render-pixels", "131072")
    request.render.tile_size = 128  # 2 x 16384: within it
    reply = client.call("Similarity", request)
    assert reply.rendered.png[:8] == b"\x89PNG\r\n\x1a\n"


def test_layer_sync_render_budget(budgeted):
    """2 layers x 2 targets x 200^2 = 160000 pixels > 100000; at 128, 65536 fit."""
    _, client, ids = budgeted
    pb = client.pb
    request = pb.LayerSyncRequest(layers=[LAYER, "head"], image_id=ids[0], point=pb.Pixel(px=5, py=5),
                                  target_ids=ids, render=pb.RenderOptions(tile_size=200))
    exhausted(client, "LayerSync", request, "--max-render-pixels", "4 tiles")
    request.render.tile_size = 128
    assert client.call("LayerSync", request).rendered.png[:4] == b"\x89PNG"


def test_sweep_step_budget(budgeted):
    _, client, ids = budgeted
    pb = client.pb
    request = pb.SweepRequest(layer=LAYER, image_id=ids[0], transform=pb.TRANSFORM_ROTATE,
                              params=[0, 90, 180, 270], queries=[pb.Cell(y=5, x=5)])
    exhausted(client, "Sweep", request, "--max-sweep-steps", "4")
    del request.params[3]
    assert len(client.call("Sweep", request).steps) == 3


def test_image_names_are_counted(budgeted):
    _, client, _ = budgeted
    before = client.stats().image_bytes
    client.add([(noise_png(64, 48, seed=1601), "n" * 10)])
    middle = client.stats().image_bytes
    client.add([(noise_png(64, 48, seed=1602), "n" * 250)])
    after = client.stats().image_bytes
    first, second = middle - before, after - middle
    assert first >= 64 * 48 * 3 + 10 + 32  # pixels, the name, the 32-character id
    assert second - first == 240, (first, second)  # the same size of image: only the names differ


def test_second_name_shares_the_weights_and_unload(budgeted, tmp_path):
    d, client, ids = budgeted
    pb = client.pb
    path = str(DEFAULT_MODEL.resolve())
    size = DEFAULT_MODEL.stat().st_size
    stats = client.stats()
    assert stats.model_weight_sets == 1
    assert 0.9 * size <= stats.model_bytes <= 1.1 * size, (stats.model_bytes, size)  # a model is its weights
    rss_before = rss_bytes(d.proc.pid)
    client.call("LoadModel", pb.LoadModelRequest(name="second", path=path))
    rss_after = rss_bytes(d.proc.pid)
    shared = client.stats()
    assert shared.model_weight_sets == 1
    assert shared.model_bytes - stats.model_bytes == len("second") + len(path)  # its name and path only
    # No second copy of the ~19 MB of weights (a copy would add all of them to the resident set).
    assert rss_after - rss_before < 0.25 * size, (rss_before, rss_after, size)

    # The shared model answers exactly as the first name does.
    _, first = client.similarity(LAYER, ids[0], ids, cell=(3, 4))
    _, second = client.similarity(LAYER, ids[0], ids, cell=(3, 4), model="second")
    np.testing.assert_array_equal(first, second)
    cached = client.stats().cache.bytes

    reply = client.call("UnloadModel", pb.UnloadModelRequest(name="second"))
    assert reply.name == "second" and not reply.weights_freed  # the default model still holds them
    assert reply.cache_entries_freed >= 1 and reply.cache_bytes_freed > 0
    assert client.stats().cache.bytes == cached - reply.cache_bytes_freed
    assert "second" not in [m.name for m in client.list_models().models]
    assert client.stats().model_bytes == stats.model_bytes
    error = rpc_error(client.similarity, LAYER, ids[0], ids, cell=(3, 4), model="second")
    assert error.code() == grpc.StatusCode.NOT_FOUND and "second" in error.details()

    # Unknown names and the default model are refused politely; the daemon keeps serving.
    error = rpc_error(client.call, "UnloadModel", pb.UnloadModelRequest(name="second"))
    assert error.code() == grpc.StatusCode.NOT_FOUND and "no model 'second' to unload" in error.details()
    error = rpc_error(client.call, "UnloadModel", pb.UnloadModelRequest(name=DEFAULT_MODEL_NAME))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and "default model" in error.details()
    error = rpc_error(client.call, "UnloadModel", pb.UnloadModelRequest(name=""))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT

    # The name can be loaded again; its activations are computed afresh and equal.
    client.call("LoadModel", pb.LoadModelRequest(name="second", path=path))
    _, again = client.similarity(LAYER, ids[0], ids, cell=(3, 4), model="second")
    np.testing.assert_array_equal(first, again)

    # The CLI and the Python client.
    proc = assert_ok(d.cli("unload-model", "second"))
    assert "second" in proc.stdout and "unloaded" in proc.stdout and "shared" in proc.stdout, proc.stdout
    assert_one_line_error(d.cli("unload-model", "second"), "no model 'second'")
    connection = d.connection()
    connection.load_model("third", path)
    reply = connection.unload_model("third")
    assert reply["name"] == "third" and reply["weights_freed"] is False
    import simlay
    with pytest.raises(simlay.NotFoundError, match="third"):
        connection.unload_model("third")


def test_model_budget_refuses_a_new_file(tmp_path):
    """A file that is not loaded yet is refused when it would pass --max-model-mb (the weights of the default
    model alone are ~19 MB); a second name for the loaded file still fits, as it adds no weights."""
    import shutil
    models = tmp_path / "models"
    models.mkdir()
    copy = models / "copy.onnx"
    shutil.copy(DEFAULT_MODEL, copy)
    with running_daemon(["--max-model-mb", "30", "--model-dir", str(models), "--model-dir",
                         str(DEFAULT_MODEL.parent)]) as d:
        client = d.client()
        pb = client.pb
        exhausted(client, "LoadModel", pb.LoadModelRequest(name="copy", path=str(copy)), "--max-model-mb")
        client.call("LoadModel", pb.LoadModelRequest(name="alias", path=str(DEFAULT_MODEL.resolve())))
        assert client.stats().model_weight_sets == 1
