"""Top-K matches (``SimilarityRequest.top_k``, ``simlay similarity --top K``) on the real daemon: the answer
equals a numpy selection over the answer's own maps (float32 values compared exactly: both select among
the same numbers), ordered by decreasing value with ties by lower image, then y, then x, with the
Chebyshev exclusion around the query's cells applied to the query's own image only; the CLI's JSON and
CSV say the same; the overlay PNG outlines the matches in cyan (pixels there differ from the plain
overlay, nowhere else); bad values are refused naming the field and the daemon keeps serving.
"""

from __future__ import annotations

import csv
import json

import grpc
import numpy as np
import pytest

from daemon_support import (KNOWN_LAYERS, assert_ok, assert_one_line_error, cell_pixel_rect, decode_png, find_tiles,
                            rpc_error, tensor)

IMAGE_KEYS = ["chelsea", "coffee", "landscape", "square"]
QUERY = 0


def reference_top(maps: np.ndarray, k: int, exclude=None, per_target: bool = False) -> list[tuple]:
    """(image, y, x, value) of the k largest values of maps [N, H, W]: numpy's stable argsort of -value
    (so equal values keep the lower flat index first); exclude = (images, (y0, x0, y1, x1), radius)."""
    n, h, w = maps.shape
    keep = ~np.isnan(maps)
    if exclude is not None:
        images, (y0, x0, y1, x1), radius = exclude
        ys, xs = np.mgrid[0:h, 0:w]
        dy = np.maximum(np.maximum(y0 - ys, 0), ys - (y1 - 1))
        dx = np.maximum(np.maximum(x0 - xs, 0), xs - (x1 - 1))
        near = np.maximum(dy, dx) <= radius
        for i in images:
            keep[i] &= ~near
    groups = [[i] for i in range(n)] if per_target else [list(range(n))]
    out = []
    for group in groups:
        flat_values = maps[group].reshape(-1)
        flat_keep = keep[group].reshape(-1)
        order = np.argsort(-flat_values, kind="stable")
        order = [j for j in order if flat_keep[j]][:k]
        for j in order:
            i, rest = group[0] + j // (h * w), j % (h * w)
            out.append((int(i), int(rest // w), int(rest % w), float(flat_values[j])))
    return out


def got_top(reply) -> list[tuple]:
    return [(m.image, m.y, m.x, m.value) for m in reply.top]


@pytest.fixture(scope="module")
def setup(daemon, photos):
    paths = [photos[k] for k in IMAGE_KEYS]
    client = daemon.client()
    ids = [i.id for i in client.add(paths)]
    return daemon, client, paths, ids


def top_request(client, ids, layer, k, *, cell=None, region=None, radius=None, per_target=False, targets=None,
                metric=0):
    request = client.similarity_request(layer, ids[QUERY], targets if targets is not None else ids, cell=cell,
                                        region=region, metric=metric)
    request.top_k = k
    request.top_per_target = per_target
    if radius is not None:
        request.exclude_radius = radius
    return request


@pytest.mark.parametrize("layer", ["blocks.4", "blocks.10", "head"])
@pytest.mark.parametrize("radius", [None, 0, 1, 3])
def test_top_matches_equal_numpy_selection(setup, layer, radius):
    _, client, _, ids = setup
    _, h, w = KNOWN_LAYERS[layer]
    cell = (h // 3, w // 2)
    reply = client.call("Similarity", top_request(client, ids, layer, 25, cell=cell, radius=radius))
    maps = tensor(reply.maps)
    exclude = None if radius is None else ([QUERY], (cell[0], cell[1], cell[0] + 1, cell[1] + 1), radius)
    expected = reference_top(maps, 25, exclude)
    assert got_top(reply) == expected
    assert [m.image_id for m in reply.top] == [ids[m.image] for m in reply.top]
    values = [m.value for m in reply.top]
    assert values == sorted(values, reverse=True)
    if radius is None:  # cosine ~1 (the 1e-4 stabiliser aside) at the query cell itself: among the matches
        assert (QUERY, *cell) in [(m.image, m.y, m.x) for m in reply.top]
    else:
        assert all(max(abs(m.y - cell[0]), abs(m.x - cell[1])) > radius for m in reply.top if m.image == QUERY)


def test_top_per_target_region_and_duplicate_query_image(setup):
    """Per target: k per image, grouped in target order. A region query excludes around the whole
    rectangle, on every occurrence of the query's image among the targets (here targets 0 and 2)."""
    _, client, _, ids = setup
    targets = [ids[0], ids[1], ids[0], ids[3]]
    region = (4, 5, 7, 9)
    reply = client.call("Similarity", top_request(client, ids, "blocks.10", 6, region=region, radius=1,
                                                  per_target=True, targets=targets, metric=1))
    maps = tensor(reply.maps)
    expected = reference_top(maps, 6, ([0, 2], region, 1), per_target=True)
    assert got_top(reply) == expected
    assert [m.image for m in reply.top] == [0] * 6 + [1] * 6 + [2] * 6 + [3] * 6
    assert reply.top[0].image_id == ids[0] and reply.top[12].image_id == ids[0]


def test_top_k_beyond_cells_and_ties(setup, daemon):
    """K above the cells left answers every cell left; a flat image's map is full of ties, which come out
    in (image, y, x) order."""
    _, client, _, ids = setup
    reply = client.call("Similarity", top_request(client, ids[3:], "head", 1024, cell=(3, 3), radius=0,
                                                  targets=[ids[3]]))
    assert len(reply.top) == 7 * 7 - 1
    assert got_top(reply) == reference_top(tensor(reply.maps), 1024, ([0], (3, 3, 4, 4), 0))
    from daemon_support import solid_png
    flat = client.add([(solid_png(64, 64, (90, 140, 200)), "flat.png")])[0].id
    request = client.similarity_request("blocks.4", flat, [flat, flat], cell=(0, 0))
    request.top_k = 40
    reply = client.call("Similarity", request)
    maps = tensor(reply.maps)
    assert got_top(reply) == reference_top(maps, 40)
    ties = [(a, b) for a, b in zip(reply.top, reply.top[1:]) if a.value == b.value]
    assert ties, "a flat image should give equal values"
    assert all((a.image, a.y, a.x) < (b.image, b.y, b.x) for a, b in ties)


@pytest.mark.parametrize("field, value, needle", [
    ("top_k", 1025, "top_k 1025 outside 1...1024"),
    ("top_k", -3, "top_k -3 outside 1...1024"),
    ("exclude_radius", -1, "exclude_radius -1 is negative"),
    ("top_per_target", True, "need top_k > 0"),
])
def test_bad_top_values_are_refused(setup, field, value, needle):
    _, client, _, ids = setup
    request = client.similarity_request("blocks.10", ids[0], ids, cell=(1, 1))
    if field != "top_k":
        request.top_k = 5 if field == "exclude_radius" else 0
    setattr(request, field, value)
    error = rpc_error(client.call, "Similarity", request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert needle in error.details(), error.details()
    reply = client.call("Similarity", top_request(client, ids, "blocks.10", 3, cell=(1, 1)))
    assert len(reply.top) == 3


def test_cli_top_json_and_csv(setup, tmp_path):
    daemon, _, paths, _ = setup
    out_json, out_csv = tmp_path / "top.json", tmp_path / "top.csv"
    assert_ok(daemon.cli("similarity", "--layer", "blocks.10", "--query", "0:5,6", "--top", "12", "--exclude-radius",
                         "2", "--json", out_json, "--csv", out_csv, *paths))
    doc = json.loads(out_json.read_text())
    maps = np.array(doc["maps"], dtype=np.float32)
    expected = reference_top(maps, 12, ([0], (5, 6, 6, 7), 2))
    assert [set(m) for m in doc["top"]] == [{"image", "y", "x", "value"}] * 12
    # JSON and CSV carry float32 values in their shortest decimal form: read back as float32, exact.
    assert [(m["image"], m["y"], m["x"], float(np.float32(m["value"]))) for m in doc["top"]] == expected
    rows = list(csv.DictReader(out_csv.open()))
    assert [(int(r["rank"]), int(r["image"]), int(r["y"]), int(r["x"])) for r in rows] == \
        [(rank, i, y, x) for rank, (i, y, x, _) in enumerate(expected)]
    assert [float(np.float32(r["value"])) for r in rows] == [v for *_, v in expected]
    assert [r["name"] for r in rows] == [paths[i].name for i, *_ in expected]
    # Without an output file, the matches are printed, best first.
    proc = assert_ok(daemon.cli("similarity", "--layer", "blocks.10", "--query", "0:5,6", "--top", "3", *paths))
    assert [line.split()[0] for line in proc.stdout.splitlines()] == ["#0", "#1", "#2"]


def test_cli_bad_top_is_one_line(setup):
    daemon, _, paths, _ = setup
    assert_one_line_error(daemon.cli("similarity", "--layer", "blocks.10", "--query", "0:5,6", "--top", "5000",
                                     *paths), "top_k 5000 outside 1...1024")
    assert_one_line_error(daemon.cli("similarity", "--layer", "blocks.10", "--query", "0:5,6", "--exclude-radius",
                                     "1", *paths), "need --top")


def test_overlay_boxes_the_matches(setup, tmp_path):
    """One square 224x224 target at tile 128 (no titles): the tile is 128x128. With --top the PNG differs
    from the plain overlay exactly on the cyan rings of the matches' cells."""
    daemon, _, paths, _ = setup
    square = paths[3]
    common = ["similarity", "--layer", "blocks.4", "--query", "0:10,12", "--tile-size", "128", "--no-titles"]
    with_top, plain, doc = tmp_path / "top.png", tmp_path / "plain.png", tmp_path / "top.json"
    assert_ok(daemon.cli(*common, "--top", "4", "--exclude-radius", "2", "--out", with_top, "--json", doc, square))
    assert_ok(daemon.cli(*common, "--top", "4", "--exclude-radius", "2", "--no-top-boxes", "--out", plain, square))
    a, b = decode_png(with_top.read_bytes()), decode_png(plain.read_bytes())
    assert a.shape == b.shape
    [[tile]] = find_tiles(b)
    assert (tile.width, tile.height) == (128, 128)
    expected = np.zeros(a.shape[:2], dtype=bool)
    matches = json.loads(doc.read_text())["top"]
    assert len(matches) == 4
    for m in matches:
        x0, y0, x1, y1 = cell_pixel_rect(m["y"], m["x"], 28, 28, 128, 128)
        ring = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        ring[:2, :] = ring[-2:, :] = ring[:, :2] = ring[:, -2:] = True
        expected[tile.y0 + y0:tile.y0 + y1, tile.x0 + x0:tile.x0 + x1] |= ring
        corner = a[tile.y0 + y0, tile.x0 + x0]
        assert tuple(corner) == (0, 255, 255), f"match {m}: corner pixel {corner}"
    differs = np.any(a != b, axis=2)
    assert not np.any(differs & ~expected), "pixels changed outside the match boxes"
    assert np.all(np.all(a[expected] == (0, 255, 255), axis=1)), "box pixels not cyan"
