"""The ``simlay`` client against the shared daemon: similarity / sync write .npy files equal to the grpcio
answers; models, layers, stats and bench query; errors are one stderr line and a non-zero exit code.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from daemon_support import (DEFAULT_MODEL_NAME, KNOWN_LAYERS, assert_ok, assert_one_line_error, image_size,
                            pixel_to_cell, run_cli, tensor)

IMAGE_KEYS = ["landscape", "portrait", "tall"]


@pytest.fixture(scope="module")
def setup(daemon, photos):
    paths = [photos[k] for k in IMAGE_KEYS]
    client = daemon.client()
    ids = [i.id for i in client.add(paths)]
    return daemon, client, paths, ids


QUERIES = {  # CLI text -> keyword arguments of Client.similarity
    "cell": ("1:5,7", {"cell": (5, 7)}),
    "region": ("1:2,3-5,6", {"region": (2, 3, 5, 6)}),
    "pixel": ("1@300.5,120", {"pixel": (300.5, 120.0)}),
}


@pytest.mark.parametrize("metric,code", [("cosine", 0), ("dot", 1), ("euclidean", 2)])
@pytest.mark.parametrize("kind", list(QUERIES))
def test_similarity_npy_equals_grpc(setup, tmp_path, kind, metric, code):
    daemon, client, paths, ids = setup
    text, position = QUERIES[kind]
    out = tmp_path / "maps.npy"
    assert_ok(daemon.cli("similarity", "--model", DEFAULT_MODEL_NAME, "--layer", "blocks.10", "--query", text,
                         "--metric", metric, "--npy", out, *paths))
    maps = np.load(out)
    assert maps.dtype == np.float32 and maps.shape == (3, 14, 14), (maps.dtype, maps.shape)
    _, expected = client.similarity("blocks.10", ids[1], ids, metric=code, **position)
    np.testing.assert_allclose(maps, expected, rtol=0, atol=1e-6)


def test_similarity_default_model_and_summary(setup):
    daemon, _, paths, _ = setup
    proc = assert_ok(daemon.cli("similarity", "--layer", "head", "--query", "0:3,3", *paths[:2]))
    assert proc.stdout.strip(), "without --npy/--out the command prints a summary"


def test_sync_npy_dir_equals_grpc(setup, tmp_path):
    daemon, client, paths, ids = setup
    layers = ["blocks.1.expand", "blocks.2", "blocks.10", "head"]
    width, height = image_size(paths[2])
    px, py = width - 1, height - 1
    assert_ok(daemon.cli("sync", "--model", DEFAULT_MODEL_NAME, "--layers", ",".join(layers),
                         "--point", f"2@{px},{py}", "--npy-dir", tmp_path, *paths))
    reply = client.sync(layers, ids[2], (float(px), float(py)), ids)
    for lm in reply.layers:
        path = tmp_path / f"{lm.layer}.npy"
        assert path.exists(), f"{path} not written; dir has {sorted(p.name for p in tmp_path.iterdir())}"
        maps = np.load(path)
        _, h, w = KNOWN_LAYERS[lm.layer]
        assert maps.dtype == np.float32 and maps.shape == (3, h, w), (lm.layer, maps.dtype, maps.shape)
        np.testing.assert_allclose(maps, tensor(lm.maps), rtol=0, atol=1e-6, err_msg=lm.layer)
        assert (lm.cell.y, lm.cell.x) == pixel_to_cell(px, py, width, height, h, w)


def test_models_layers_stats(setup):
    daemon, _, _, _ = setup
    proc = assert_ok(daemon.cli("models"))
    assert DEFAULT_MODEL_NAME in proc.stdout
    proc = assert_ok(run_cli(["--server", daemon.tcp_target(), "models"]))  # over TCP (127.0.0.1)
    assert DEFAULT_MODEL_NAME in proc.stdout

    proc = assert_ok(daemon.cli("layers", "--model", DEFAULT_MODEL_NAME))
    lines = {line.split()[0]: line for line in proc.stdout.splitlines() if line.strip() and not line.startswith("#")}
    for name, (c, h, w) in KNOWN_LAYERS.items():
        assert name in lines, f"{name} not listed:\n{proc.stdout[:2000]}"
        assert f"C={c} H={h} W={w}" in lines[name], lines[name]

    proc = assert_ok(daemon.cli("stats"))
    assert proc.stdout.strip()
    proc = assert_ok(daemon.cli("stats", "--json"))
    stats = json.loads(proc.stdout)
    cache = stats["cache"]
    capacity = int(cache.get("capacityBytes", cache.get("capacity_bytes", 0)))
    assert capacity > 0 and int(cache.get("bytes", 0)) <= capacity, cache


@pytest.mark.parametrize("flags, mode", [([], "stream"), (["--unary"], "unary"), (["--stream"], "stream")])
def test_bench_query_one_json_line(setup, flags, mode):
    daemon, _, paths, _ = setup
    proc = assert_ok(daemon.cli("bench", "query", "--model", DEFAULT_MODEL_NAME, "--layer", "blocks.10",
                                "--clients", "2", "--seconds", "1", *flags, *paths[:2]))
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line:\n{proc.stdout}"
    record = json.loads(lines[0])
    for key in ("p50_ms", "p99_ms", "qps", "clients"):
        assert key in record, f"{key} missing from {record}"
    assert record["clients"] == 2 and record["mode"] == mode and record["errors"] == 0, record
    assert 0 < record["p50_ms"] <= record["p99_ms"] and record["qps"] > 0, record


def test_activations_in_process_shape(photos, tmp_path):
    assert_ok(run_cli(["activations", "--model", "models/efficientnet-lite0.onnx", "--image", photos["landscape"],
                       "--layer", "blocks.10", "--layer", "head", "--out", tmp_path]))
    assert np.load(tmp_path / "blocks.10.npy").shape == (1, 112, 14, 14)
    assert np.load(tmp_path / "head.npy").shape == (1, 1280, 7, 7)


@pytest.mark.parametrize("case", [
    "unknown-layer", "unknown-model", "cell-out-of-range", "pixel-out-of-range", "query-index", "missing-file",
    "not-an-image", "bad-query", "sync-unknown-layer", "no-daemon"])
def test_cli_errors_are_one_line(setup, tmp_path, case):
    daemon, _, paths, _ = setup
    sim = ["similarity", "--layer", "blocks.10"]
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"this is not an image" * 10)
    cases = {  # case -> (arguments after `simlay --server unix:SOCK`, words the error line must contain)
        "unknown-layer": (["similarity", "--layer", "blocks.99", "--query", "0:1,1", *paths], ["blocks.99"]),
        "unknown-model": ([*sim, "--model", "nosuchmodel", "--query", "0:1,1", *paths], ["nosuchmodel"]),
        "cell-out-of-range": ([*sim, "--query", "0:14,0", *paths], ["14 x 14"]),
        "pixel-out-of-range": ([*sim, "--query", "0@5000,10", *paths], []),
        "query-index": ([*sim, "--query", "3:1,1", *paths], []),
        "missing-file": ([*sim, "--query", "0:1,1", tmp_path / "missing.png"], ["missing.png"]),
        "not-an-image": ([*sim, "--query", "0:1,1", garbage], []),
        "bad-query": ([*sim, "--query", "zero:1,1", *paths], []),
        "sync-unknown-layer": (["sync", "--layers", "blocks.2,nosuchlayer", "--point", "0@1,1", *paths],
                               ["nosuchlayer"]),
        "no-daemon": (None, []),
    }
    args, needles = cases[case]
    if args is None:
        proc = run_cli(["--server", f"unix:{tmp_path}/none.sock", *sim, "--query", "0:1,1", *paths])
    else:
        proc = daemon.cli(*args)
    assert_one_line_error(proc, *needles)
    # The daemon is unaffected.
    assert_ok(daemon.cli("models"))


@pytest.mark.parametrize("command, flags, needle", [
    ("similarity", ["--tile-size", "2000"], "render.tile_size 2000 outside 16...1024"),
    ("similarity", ["--opacity", "1.5"], "render.opacity 1.5 outside (0, 1]"),
    ("sync", ["--tile-size", "8"], "render.tile_size 8 outside 16...1024"),
    ("sync", ["--value-range", "1,0"], "render.value_min 1.0 must be below render.value_max 0.0"),
    ("nmf", ["--tile-size", "4096"], "render.tile_size 4096 outside 16...1024"),
    ("export-html", ["--image-size", "2000"], "render.tile_size 2000 outside 16...1024"),
])
def test_cli_render_limits_are_the_daemons(setup, tmp_path, command, flags, needle):
    """The CLI checks no render range itself (it once allowed 16...4096 against the daemon's 8...1024): the
    daemon's INVALID_ARGUMENT comes back as the one error line, for every command that renders."""
    daemon, _, paths, _ = setup
    out = tmp_path / ("page.html" if command == "export-html" else "out.png")
    what = {"similarity": ["--layer", "blocks.10", "--query", "0:1,1"],
            "sync": ["--layers", "blocks.10,head", "--point", "0@10,10"],
            "nmf": ["--layer", "blocks.10", "--k", "2", "--policy", "clamp"],
            "export-html": ["--layer", "head"]}[command]
    proc = daemon.cli(command, *what, *flags, "--out", out, *paths[:2])
    line = assert_one_line_error(proc, "INVALID_ARGUMENT", needle)
    assert proc.returncode == 1, line
    assert not out.exists(), "nothing is written for a refused request"
