"""Sweeps as a scientist needs them (issue 14 item 5), against the real daemon: pixel and region queries
(vectors as numpy computes them), tracking of the query's exact point (a numpy reference of the geometry on the
451 x 300 photo), the best cell within a radius (numpy argmax over the window), the CSV's label and spec
columns (RFC 4180 quoting, read back by Python's csv module), and sweeps' own query limit.
"""

from __future__ import annotations

import csv
import json
import math

import grpc
import numpy as np
import pytest

from daemon_support import (KNOWN_LAYERS, assert_ok, assert_one_line_error, pixel_to_cell, query_vector, reference_map,
                            rpc_error, run_cli, running_daemon, tensor)

LAYER = "blocks.10"
H, W = KNOWN_LAYERS[LAYER][1:]
PHOTO_W, PHOTO_H = 451, 300  # chelsea.png
INPUT = 224


@pytest.fixture(scope="module")
def chelsea(photos):
    return photos["chelsea"]


@pytest.fixture(scope="module")
def acts(chelsea, tmp_path_factory):
    """blocks.10 activations [C,14,14] of the untransformed photo, in-process."""
    out = tmp_path_factory.mktemp("sweep-q")
    assert_ok(run_cli(["activations", "--image", chelsea, "--layer", LAYER, "--out", out]))
    return np.load(out / f"{LAYER}.npy")[0]


def rotate_point(py, px, degrees, h, w):
    """numpy's reference of where content at continuous point (py, px) of an h x w image goes when the image is
    turned counterclockwise (as displayed) about its centre: the inverse of the sampler's map."""
    a = math.radians(degrees)
    c, s = (round(math.cos(a)), round(math.sin(a))) if degrees % 90 == 0 else (math.cos(a), math.sin(a))
    dy, dx = py - h / 2, px - w / 2
    return h / 2 - dx * s + dy * c, w / 2 + dx * c + dy * s


def input_space_cell(px, py, degrees):
    """A photo pixel tracked through an input-space rotation: squashed to 224 x 224, turned, its cell."""
    uy, ux = rotate_point(py * INPUT / PHOTO_H, px * INPUT / PHOTO_W, degrees, INPUT, INPUT)
    return math.floor(uy * H / INPUT), math.floor(ux * W / INPUT), (uy * H / INPUT - 0.5, ux * W / INPUT - 0.5)


def call(client, image_id, params, points, **kw):
    pb = client.pb
    return client.call("Sweep", pb.SweepRequest(layer=LAYER, image_id=image_id, params=params, query_points=points, **kw))


def test_pixel_and_region_queries_take_similaritys_vectors(client, chelsea, acts):
    pb = client.pb
    image_id = client.add([chelsea])[0].id
    points = [pb.Query(pixel=pb.Pixel(px=228.0, py=148.0)), pb.Query(region=pb.Region(y0=2, x0=3, y1=5, x1=7)),
              pb.Query(image_id=image_id, cell=pb.Cell(y=6, x=1)), pb.Query(pixel=pb.Pixel(px=PHOTO_W, py=PHOTO_H))]
    r = call(client, image_id, [0.0], points)
    cell = pixel_to_cell(228.0, 148.0, PHOTO_W, PHOTO_H, H, W)
    assert [(c.y0, c.x0, c.y1, c.x1) for c in r.query_cells] == [
        (*cell, cell[0] + 1, cell[1] + 1), (2, 3, 5, 7), (6, 1, 7, 2), (H - 1, W - 1, H, W)]
    maps = tensor(r.steps[0].maps)
    vectors = [query_vector(acts, cell=cell), query_vector(acts, region=(2, 3, 5, 7)), query_vector(acts, cell=(6, 1)),
               query_vector(acts, cell=(H - 1, W - 1))]
    for q, u in enumerate(vectors):
        np.testing.assert_allclose(maps[q], reference_map(u, acts, "cosine"), rtol=0, atol=1e-4, err_msg=f"query {q}")
    t = r.steps[0].tracked
    # At angle 0 each point stays in its cell: the pixel's, the region's centre (3.5, 5) in cell (3, 5), and
    # a pixel on the bottom-right edge in the last cell (as Similarity maps it).
    assert [(x.y, x.x, x.in_bounds) for x in t] == [(*cell, True), (3, 5, True), (6, 1, True), (H - 1, W - 1, True)]
    assert (t[1].point_y, t[1].point_x) == (3.0, 4.5), "region centre (3.5, 5) cells = grid point (3, 4.5)"


def test_query_points_errors(client, chelsea, photos):
    pb = client.pb
    image_id, other = (i.id for i in client.add([chelsea, photos["coffee"]]))
    cases = [
        ([pb.Query(pixel=pb.Pixel(px=452.0, py=10.0))], grpc.StatusCode.OUT_OF_RANGE, "query_points[0]: pixel"),
        ([pb.Query(cell=pb.Cell(y=1, x=1)), pb.Query(region=pb.Region(y0=3, x0=3, y1=3, x1=5))],
         grpc.StatusCode.INVALID_ARGUMENT, "query_points[1]: region"),
        ([pb.Query(image_id=other, cell=pb.Cell(y=1, x=1))], grpc.StatusCode.INVALID_ARGUMENT, "not the swept image"),
        ([pb.Query(group=pb.NmfGroup(group=0))], grpc.StatusCode.INVALID_ARGUMENT, "NMF groups"),
        ([pb.Query()], grpc.StatusCode.INVALID_ARGUMENT, "no position"),
    ]
    for points, code, needle in cases:
        error = rpc_error(call, client, image_id, [0.0], points)
        assert error.code() == code and needle in error.details(), (needle, error.code(), error.details())
    error = rpc_error(call, client, image_id, [0.0], [pb.Query(cell=pb.Cell(y=1, x=1))], track_radius=-1)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "track_radius -1" in error.details()


@pytest.mark.parametrize("degrees", [0, 90, 30, -45, 180])
def test_tracking_follows_the_exact_pixel(client, chelsea, degrees):
    """Pixels near cell edges, tracked as numpy computes the geometry: squash, turn about the centre, take the cell."""
    pb = client.pb
    image_id = client.add([chelsea])[0].id
    # x = 32.3 is 0.22 px into cell 1 (cells are 451/14 = 32.2 px wide); 96.5 and 161 sit just past cell edges.
    pixels = [(32.3, 20.1), (96.7, 150.0), (161.1, 288.9), (400.0, 64.4), (225.5, 150.0)]
    r = call(client, image_id, [float(degrees)], [pb.Query(pixel=pb.Pixel(px=px, py=py)) for px, py in pixels])
    for (px, py), t in zip(pixels, r.steps[0].tracked):
        y, x, (gy, gx) = input_space_cell(px, py, degrees)
        assert (t.y, t.x) == (y, x) and t.in_bounds == (0 <= y < H and 0 <= x < W), ((px, py), t)
        assert abs(t.point_y - gy) < 1e-9 and abs(t.point_x - gx) < 1e-9, ((px, py), t)


def test_tracking_no_longer_drifts_by_a_cell(client, chelsea):
    """The photo's centre pixel (225.5, 150) is the rotation's centre: it stays put at every angle, in cell
    (7, 7). Moving the centre of its cell instead (the rule before, still what a cell query does) leaves
    (7.5, 7.5) and drifts a cell at each quarter turn."""
    pb = client.pb
    image_id = client.add([chelsea])[0].id
    r = call(client, image_id, [0.0, 90.0, 180.0, 270.0, 33.0],
             [pb.Query(pixel=pb.Pixel(px=225.5, py=150.0)), pb.Query(cell=pb.Cell(y=7, x=7))])
    assert [(s.tracked[0].y, s.tracked[0].x) for s in r.steps] == [(7, 7)] * 5
    assert [(s.tracked[0].point_y, s.tracked[0].point_x) for s in r.steps[:4]] == [(6.5, 6.5)] * 4
    assert [(s.tracked[1].y, s.tracked[1].x) for s in r.steps[:4]] == [(7, 7), (6, 7), (6, 6), (7, 6)]


@pytest.mark.parametrize("radius", [0, 1, 3])
def test_best_cell_within_radius_is_numpys_argmax(daemon, client, chelsea, tmp_path, radius):
    out = tmp_path / "r.json"
    assert_ok(daemon.cli("sweep", "rotate", "--layer", LAYER, "--angles", "0,30,45,200", "--query", "0:0,0",
                         "--query", "0@228,148", "--query", "0:2,3-4,6", "--track-radius", str(radius),
                         "--json", out, chelsea))
    doc = json.loads(out.read_text())
    for step in doc["steps"]:
        maps = np.array(step["maps"], dtype=np.float32)
        for q, t in enumerate(step["tracked"]):
            y0, y1 = max(0, t["y"] - radius), min(H - 1, t["y"] + radius)
            x0, x1 = max(0, t["x"] - radius), min(W - 1, t["x"] + radius)
            if y0 > y1 or x0 > x1:
                assert "best_y" not in t and t["best_similarity"] is None, t
                continue
            window = maps[q, y0:y1 + 1, x0:x1 + 1]
            by, bx = np.unravel_index(np.argmax(window), window.shape)  # first maximum in row-major order
            assert (t["best_y"], t["best_x"]) == (y0 + by, x0 + bx), (step["param"], q, t)
            assert np.float32(t["best_similarity"]) == window[by, bx]
            if radius == 0 and t["in_bounds"]:
                assert (t["best_y"], t["best_x"]) == (t["y"], t["x"])


def test_csv_has_label_and_spec_quoted(daemon, chelsea, tmp_path):
    out = tmp_path / "s.csv"
    labels = ['eye, left', 'say "hi"', "plain"]
    assert_ok(daemon.cli("sweep", "scale", "--layer", LAYER, "--scales", "1,2", "--query", "0:5,5", "--query",
                         "0@228.5,148", "--query", "0:1,1-3,4", *sum((["--label", x] for x in labels), []),
                         "--track-radius", "2", "--csv", out, chelsea))
    text = out.read_text()
    assert text.splitlines()[1].startswith('scale,1,0,"eye, left","0:5,5",'), text
    assert '"say ""hi"""' in text
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["transform", "param", "query", "label", "spec", "tracked_y", "tracked_x", "in_bounds",
                             "similarity", "best_y", "best_x", "best_similarity"]
    assert [(r["query"], r["label"], r["spec"]) for r in rows[:3]] == [
        ("0", labels[0], "0:5,5"), ("1", labels[1], "0@228.5,148"), ("2", labels[2], "0:1,1-3,4")]
    assert all(float(r["best_similarity"]) >= float(r["similarity"]) for r in rows if r["in_bounds"] == "true")


def test_sweeps_have_their_own_query_limit(chelsea):
    with running_daemon(["--max-sweep-queries", "2", "--max-images", "8"]) as d:
        client = d.client()
        pb = client.pb
        assert client.stats().limits.max_sweep_queries == 2
        image_id = client.add([chelsea])[0].id
        assert len(call(client, image_id, [0.0], [pb.Query(cell=pb.Cell(y=1, x=1))] * 2).steps[0].tracked) == 2
        error = rpc_error(call, client, image_id, [0.0], [pb.Query(cell=pb.Cell(y=1, x=1))] * 3)
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "3 sweep queries (--max-sweep-queries)" in error.details() and "limit of 2" in error.details()
        proc = d.cli("sweep", "rotate", "--layer", LAYER, "--angles", "0", "--query", "0:1,1", "--query", "0:1,2",
                     "--query", "0:1,3", chelsea)
        assert_one_line_error(proc, "RESOURCE_EXHAUSTED", "--max-sweep-queries")
    with running_daemon() as d:
        assert d.client().stats().limits.max_sweep_queries == 64
    help_text = run_cli(["sweep", "rotate", "--help"]).stdout + run_cli(["sweep", "--help"]).stdout
    assert "--max-sweep-queries" in help_text
