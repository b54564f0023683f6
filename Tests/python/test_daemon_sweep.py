"""Rotation and scale sweeps (``simlay sweep rotate|scale`` and the Sweep RPC) against the real daemon over its
Unix socket: identity transforms give similarity 1 at the query; the CSV equals the maps at the tracked cells;
quarter turns track cells exactly and their maps equal numpy's (np.rot90 of the preprocessed input, run
in-process); crop-and-resize equals a numpy TensorFlow-style reference; cells that leave the grid are reported
out of bounds; errors are one line and exit 1.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from daemon_support import (EXAMPLES, KNOWN_LAYERS, assert_ok, assert_one_line_error, decode_png, reference_map, rpc_error,
                            run_cli, tensor)

LAYER = "blocks.10"
H, W = KNOWN_LAYERS[LAYER][1:]
CHELSEA = EXAMPLES / "chelsea.png"  # 451 x 300; the photos fixture checks it exists
HEADER = ["transform", "param", "query", "label", "spec", "tracked_y", "tracked_x", "in_bounds", "similarity"]


@pytest.fixture(scope="module")
def chelsea(photos):
    return photos["chelsea"]


@pytest.fixture(scope="module")
def reference(chelsea, tmp_path_factory):
    """The preprocessed input [3,224,224] and blocks.10 activations [C,14,14] of the photo, in-process."""
    out = tmp_path_factory.mktemp("sweep-ref")
    assert_ok(run_cli(["activations", "--image", chelsea, "--layer", "input", "--layer", LAYER, "--out", out]))
    return np.load(out / "input.npy")[0], np.load(out / f"{LAYER}.npy")[0]


def run_in_process(x: np.ndarray, tmp: Path) -> np.ndarray:
    """blocks.10 activations [C,H,W] of a preprocessed input [3,224,224] (simlay activations --input-npy)."""
    np.save(tmp / "x.npy", x[None].astype(np.float32))
    assert_ok(run_cli(["activations", "--input-npy", tmp / "x.npy", "--layer", LAYER, "--out", tmp / "acts"]))
    return np.load(tmp / "acts" / f"{LAYER}.npy")[0]


def crop_and_resize(x: np.ndarray, box, fill=0.0) -> np.ndarray:
    """TensorFlow's crop_and_resize of [C,H,W] to its own size, bilinear, extrapolation value ``fill``."""
    c, h, w = x.shape
    y0, x0, y1, x1 = box
    ys = y0 * (h - 1) + np.arange(h) * (y1 - y0) * (h - 1) / (h - 1)
    xs = x0 * (w - 1) + np.arange(w) * (x1 - x0) * (w - 1) / (w - 1)
    out = np.empty((c, h, w), dtype=np.float64)
    out[...] = np.reshape(fill, (-1, 1, 1))  # a scalar or one value per channel
    iy, ix = (ys >= 0) & (ys <= h - 1), (xs >= 0) & (xs <= w - 1)
    ty, by, fy = np.floor(ys[iy]).astype(int), np.ceil(ys[iy]).astype(int), ys[iy] - np.floor(ys[iy])
    tx, bx, fx = np.floor(xs[ix]).astype(int), np.ceil(xs[ix]).astype(int), xs[ix] - np.floor(xs[ix])
    a = x.astype(np.float64)
    top = a[:, ty][:, :, tx] + (a[:, ty][:, :, bx] - a[:, ty][:, :, tx]) * fx
    bottom = a[:, by][:, :, tx] + (a[:, by][:, :, bx] - a[:, by][:, :, tx]) * fx
    out[np.ix_(np.arange(c), np.flatnonzero(iy), np.flatnonzero(ix))] = top + (bottom - top) * fy[None, :, None]
    return out


def sweep(daemon, tmp_path, kind: str, params: str, queries, *extra):
    """Runs the CLI with --csv and --json; returns (csv rows as dicts, json document)."""
    flag = "--angles" if kind == "rotate" else "--scales"
    args = ["sweep", kind, "--layer", LAYER, flag, params]
    for q in queries:
        args += ["--query", f"0:{q[0]},{q[1]}"]
    csv_path, json_path = tmp_path / "s.csv", tmp_path / "s.json"
    assert_ok(daemon.cli(*args, "--csv", csv_path, "--json", json_path, *extra, CHELSEA))
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == HEADER
        rows = [dict(zip(HEADER, r)) for r in reader]
    assert [(r["label"], r["spec"]) for r in rows[:len(queries)]] == [(f"q{i}", f"0:{y},{x}")
                                                                     for i, (y, x) in enumerate(queries)]
    return rows, json.loads(json_path.read_text())


def rot90_cell(y: int, x: int, k: int, n: int):
    for _ in range(k % 4):
        y, x = n - 1 - x, y
    return y, x


def test_identity_transforms_give_one_at_the_query(daemon, tmp_path, chelsea):
    queries = [(5, 5), (0, 0), (13, 7)]
    for kind, params in [("rotate", "0,360,-360"), ("scale", "1")]:
        rows, doc = sweep(daemon, tmp_path, kind, params, queries)
        assert len(rows) == len(queries) * len(params.split(","))
        for row in rows:
            q = queries[int(row["query"])]
            assert (int(row["tracked_y"]), int(row["tracked_x"])) == q and row["in_bounds"] == "true", row
            assert abs(float(row["similarity"]) - 1) < 1e-3, row  # cosine's 1e-4 epsilon keeps it just under 1
        assert doc["grid"] == [H, W] and doc["transform"] == kind


def test_csv_equals_the_maps_at_tracked_cells_and_the_rpc(daemon, client, chelsea, tmp_path):
    queries = [(5, 5), (2, 12), (0, 0)]
    rows, doc = sweep(daemon, tmp_path, "rotate", "0:360:30", queries)
    assert [float(s["param"]) for s in doc["steps"]] == list(range(0, 361, 30))
    assert len(rows) == 13 * len(queries)
    for row in rows:
        step = doc["steps"][[s["param"] for s in doc["steps"]].index(float(row["param"]))]
        maps = np.array(step["maps"], dtype=np.float32)
        assert maps.shape == (len(queries), H, W)
        q, y, x = int(row["query"]), int(row["tracked_y"]), int(row["tracked_x"])
        inside = 0 <= y < H and 0 <= x < W
        assert row["in_bounds"] == ("true" if inside else "false"), row
        if inside:
            assert np.float32(row["similarity"]) == maps[q, y, x], row
        else:
            assert row["similarity"] == "nan", row
    # The same numbers straight from the RPC (grpcio).
    pb = client.pb
    image_id = client.add([chelsea])[0].id
    response = client.call("Sweep", pb.SweepRequest(layer=LAYER, image_id=image_id, transform=pb.TRANSFORM_ROTATE,
                                                    params=list(range(0, 361, 30)),
                                                    queries=[pb.Cell(y=y, x=x) for y, x in queries]))
    assert (response.height, response.width) == (H, W) and len(response.steps) == 13
    for step, mine in zip(response.steps, doc["steps"]):
        np.testing.assert_array_equal(tensor(step.maps), np.array(mine["maps"], dtype=np.float32))
        for t, m in zip(step.tracked, mine["tracked"]):
            assert (t.y, t.x, t.in_bounds) == (m["y"], m["x"], m["in_bounds"])
            assert np.isnan(t.similarity) if not t.in_bounds else t.similarity == np.float32(m["similarity"])


def test_quarter_turns_track_exactly_and_match_numpy(daemon, tmp_path, reference):
    x, acts = reference
    queries = [(y, x_) for y in (0, 3, 13) for x_ in (0, 6, 13)]
    rows, doc = sweep(daemon, tmp_path, "rotate", "90,180,270", queries)
    for row in rows:
        k = int(float(row["param"])) // 90
        assert (int(row["tracked_y"]), int(row["tracked_x"])) == rot90_cell(*queries[int(row["query"])], k, H)
        assert row["in_bounds"] == "true"
    # The daemon's 90-degree maps equal maps computed from np.rot90 of the preprocessed input (in-process run).
    rotated = run_in_process(np.rot90(x, 1, axes=(1, 2)), tmp_path)
    maps = np.array(doc["steps"][0]["maps"])
    for q, (y, x_) in enumerate(queries):
        expected = reference_map(acts[:, y, x_].astype(np.float64), rotated, "cosine")
        np.testing.assert_allclose(maps[q], expected, rtol=0, atol=1e-4, err_msg=f"query {q}")


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_scale_matches_numpy_crop_and_resize(daemon, tmp_path, reference, scale):
    x, acts = reference
    rows, doc = sweep(daemon, tmp_path, "scale", str(scale), [(5, 5)])
    half = 0.5 / scale
    assert doc["steps"][0]["box"] == pytest.approx([0.5 - half, 0.5 - half, 0.5 + half, 0.5 + half])
    transformed = run_in_process(crop_and_resize(x, doc["steps"][0]["box"], fill=0.0), tmp_path)
    expected = reference_map(acts[:, 5, 5].astype(np.float64), transformed, "cosine")
    np.testing.assert_allclose(np.array(doc["steps"][0]["maps"])[0], expected, rtol=0, atol=1e-3)
    # Tracking: the centre-relative position scales by s (grid centre 6.5).
    c = (H - 1) / 2
    ty, tx = (int(np.floor(c + scale * (v - c) + 0.5)) for v in (5, 5))
    assert (int(rows[0]["tracked_y"]), int(rows[0]["tracked_x"])) == (ty, tx)


def test_corner_leaves_the_grid_at_45_degrees(daemon, tmp_path, chelsea):
    rows, doc = sweep(daemon, tmp_path, "rotate", "45", [(0, 0), (6, 7)])
    corner, centre = rows
    assert corner["in_bounds"] == "false" and corner["similarity"] == "nan", corner
    assert int(corner["tracked_x"]) == -3, "reported where it went, not clamped"
    assert doc["steps"][0]["tracked"][0]["similarity"] is None
    assert centre["in_bounds"] == "true" and 0 < float(centre["similarity"]) <= 1


def test_chart_and_strip(daemon, tmp_path, chelsea):
    chart, strip = tmp_path / "chart.png", tmp_path / "strip.png"
    assert_ok(daemon.cli("sweep", "scale", "--layer", LAYER, "--scales", "0.5,1,2", "--query", "0:5,5", "--query", "0:12,2",
                         "--chart", chart, "--out", strip, "--tile-size", "128", "--fill", "black", chelsea))
    image = decode_png(chart.read_bytes())
    assert image.shape[0] > 200 and image.shape[1] > 300
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 4, "axes, text and two coloured lines"
    tiles = decode_png(strip.read_bytes())
    assert tiles.shape[1] >= 3 * 128 and tiles.shape[0] >= 128
    assert ((tiles == [255, 255, 0]).all(axis=2)).sum() > 0, "query 0's tracked cell outlined in yellow"
    proc = assert_ok(daemon.cli("sweep", "rotate", "--layer", LAYER, "--angles", "0:90:45", "--query", "0:5,5", chelsea))
    assert "5,5" in proc.stdout and len(proc.stdout.splitlines()) >= 4, "a table when no output is asked"


@pytest.mark.parametrize("args,needles", [
    (["rotate", "--angles", "0,90", "--query", "0:14,0"], ["OUT_OF_RANGE", "14 x 14"]),
    (["rotate", "--angles", "0,abc", "--query", "0:1,1"], ["--angles", "abc"]),
    (["rotate", "--angles", "0:360:0", "--query", "0:1,1"], ["--angles"]),
    (["rotate", "--angles", "0:90:-30", "--query", "0:1,1"], ["--angles"]),
    (["scale", "--scales", "1,0", "--query", "0:1,1"], ["--scales", "> 0"]),
    (["scale", "--scales", "-2", "--query", "0:1,1"], ["--scales"]),
    (["rotate", "--angles", "0", "--query", "1:1,1"], ["--query", "index 1"]),
    (["rotate", "--angles", "0:100:1", "--query", "0:1,1"], ["RESOURCE_EXHAUSTED", "101"]),
    (["rotate", "--angles", "0"], ["--query"]),
])
def test_cli_errors(daemon, chelsea, args, needles):
    kind, rest = args[0], args[1:]
    assert_one_line_error(daemon.cli("sweep", kind, "--layer", LAYER, *rest, chelsea), *needles)
    assert daemon.cli("sweep", kind, "--layer", LAYER, *rest, chelsea).returncode == 1


def test_cli_unknown_layer(daemon, chelsea):
    assert_one_line_error(daemon.cli("sweep", "rotate", "--layer", "nope", "--angles", "0", "--query", "0:1,1", chelsea),
                          "NOT_FOUND", "nope")


def test_rpc_errors(client, chelsea):
    pb, grpc = client.pb, __import__("grpc")
    image_id = client.add([chelsea])[0].id

    def call(**kw):
        fields = dict(layer=LAYER, image_id=image_id, params=[0.0], queries=[pb.Cell(y=1, x=1)]) | kw
        return rpc_error(client.call, "Sweep", pb.SweepRequest(**fields))

    cases = [
        (dict(transform=pb.TRANSFORM_SCALE, params=[0.0]), grpc.StatusCode.INVALID_ARGUMENT, "scale"),
        (dict(transform=pb.TRANSFORM_SCALE, params=[-1.0]), grpc.StatusCode.INVALID_ARGUMENT, "scale"),
        (dict(params=[float("nan")]), grpc.StatusCode.INVALID_ARGUMENT, "angle"),
        (dict(params=[float("inf")]), grpc.StatusCode.INVALID_ARGUMENT, "angle"),
        (dict(params=[]), grpc.StatusCode.INVALID_ARGUMENT, "params"),
        (dict(queries=[]), grpc.StatusCode.INVALID_ARGUMENT, "queries"),
        (dict(queries=[pb.Cell(y=0, x=-1)]), grpc.StatusCode.OUT_OF_RANGE, "14 x 14"),
        (dict(layer="nope"), grpc.StatusCode.NOT_FOUND, "nope"),
        (dict(image_id="0" * 32), grpc.StatusCode.NOT_FOUND, "0" * 32),
        (dict(model="nope"), grpc.StatusCode.NOT_FOUND, "nope"),
        (dict(params=[float(a) for a in range(65)]), grpc.StatusCode.RESOURCE_EXHAUSTED, "65"),
        (dict(render=pb.RenderOptions(tile_size=5000)), grpc.StatusCode.INVALID_ARGUMENT,
         "render.tile_size 5000 outside 16...1024"),
        (dict(render=pb.RenderOptions(opacity=2.0)), grpc.StatusCode.INVALID_ARGUMENT, "render.opacity 2.0 outside (0, 1]"),
    ]
    for kw, code, needle in cases:
        error = call(**kw)
        assert error.code() == code, (kw, error.code(), error.details())
        assert needle in error.details(), (kw, error.details())


def test_negative_angles_and_ranges(daemon, tmp_path, chelsea):
    rows, doc = sweep(daemon, tmp_path, "rotate", "-90:90:90", [(2, 9)])
    assert [s["param"] for s in doc["steps"]] == [-90, 0, 90], "START:STOP:STEP includes STOP on the step grid"
    assert [(int(r["tracked_y"]), int(r["tracked_x"])) for r in rows] == [rot90_cell(2, 9, 3, H), (2, 9), rot90_cell(2, 9, 1, H)]
    rows, _ = sweep(daemon, tmp_path, "rotate", "-45,-30", [(6, 6)])
    assert [r["param"] for r in rows] == ["-45", "-30"]


def test_black_fill_is_pixel_zero(daemon, client, tmp_path, reference):
    """--fill black: outside the image the input is (0 - mean) / std per channel, as numpy computes it."""
    x, acts = reference
    info = [m for m in client.list_models().models if m.name == "efficientnet-lite0"][0]
    black = -np.array(info.mean, dtype=np.float64) / np.array(info.std, dtype=np.float64)
    rows, doc = sweep(daemon, tmp_path, "scale", "0.5", [(5, 5)], "--fill", "black")
    transformed = run_in_process(crop_and_resize(x, doc["steps"][0]["box"], fill=black), tmp_path)
    expected = reference_map(acts[:, 5, 5].astype(np.float64), transformed, "cosine")
    np.testing.assert_allclose(np.array(doc["steps"][0]["maps"])[0], expected, rtol=0, atol=1e-3)
    _, mean_doc = sweep(daemon, tmp_path, "scale", "0.5", [(5, 5)])
    assert np.abs(np.array(mean_doc["steps"][0]["maps"]) - np.array(doc["steps"][0]["maps"])).max() > 1e-2, "the fill matters"
