"""LayerSync: one pixel, several layers. The cell reported per layer follows the contract's rule
y = floor(py * H_l / H), x = floor(px * W_l / W) (clamped), on grids of 112, 56, 28, 14 and 7 cells, for
images of different aspect ratios, with points on the first and last pixel rows/columns and on both
sides of cell boundaries; and each layer's maps equal a Similarity query at that cell (and the numpy
reference from ``simlay activations``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from daemon_support import (KNOWN_LAYERS, activations, image_size, map_tolerance, pixel_to_cell, query_vector,
                            reference_map, tensor)

SYNC_LAYERS = ["stem", "blocks.1.expand", "blocks.2", "blocks.4", "blocks.10", "head"]  # 112 112 56 28 14 7
IMAGE_KEYS = ["landscape", "tall", "square"]  # 512x341, 512x929 (portrait), 224x224


def _points(width: int, height: int) -> list[tuple[float, float]]:
    """Corners (the last pixel column/row included), the centre, and pixels just before and at a cell
    boundary of the 112-cell grid (where floor and round disagree)."""
    bx = math.ceil(37 * width / 112)  # first pixel column of cell 37
    by = math.ceil(75 * height / 112)
    return [
        (0.0, 0.0),
        (width - 1.0, height - 1.0),
        (width - 1.0, 0.0),
        (0.0, height - 1.0),
        (width - 0.5, height - 0.5),
        (width / 2, height / 2),
        (bx - 1.0, by - 1.0),
        (float(bx), float(by)),
        (bx - 0.01, by + 0.99),
    ]


@pytest.fixture(scope="module")
def setup(daemon, photos, tmp_path_factory):
    paths = [photos[k] for k in IMAGE_KEYS]
    client = daemon.client()
    infos = client.add(paths)
    acts = activations(paths, ["stem", "blocks.10"], tmp_path_factory.mktemp("sync-acts"))
    return client, [i.id for i in infos], [image_size(p) for p in paths], acts


@pytest.mark.parametrize("image_index", range(len(IMAGE_KEYS)), ids=IMAGE_KEYS)
def test_sync_cells_follow_floor_rule_and_match_similarity(setup, image_index):
    client, ids, sizes, _ = setup
    width, height = sizes[image_index]
    for point in _points(width, height):
        reply = client.sync(SYNC_LAYERS, ids[image_index], point, ids)
        assert [lm.layer for lm in reply.layers] == SYNC_LAYERS, [lm.layer for lm in reply.layers]
        for lm in reply.layers:
            _, h, w = KNOWN_LAYERS[lm.layer]
            expected = pixel_to_cell(point[0], point[1], width, height, h, w)
            assert (lm.cell.y, lm.cell.x) == expected, (
                f"{IMAGE_KEYS[image_index]} {width}x{height}, point {point}, {lm.layer} ({h}x{w}): "
                f"cell ({lm.cell.y},{lm.cell.x}), expected {expected}")
            maps = tensor(lm.maps)
            assert maps.shape == (len(ids), h, w), (lm.layer, maps.shape)
            _, same = client.similarity(lm.layer, ids[image_index], ids, cell=expected)
            np.testing.assert_allclose(maps, same, rtol=0, atol=1e-6,
                                       err_msg=f"{lm.layer} at point {point}: sync maps != Similarity at {expected}")
            assert maps[image_index][expected] == pytest.approx(1.0, abs=1e-3)


def test_sync_maps_match_reference_and_metrics(setup):
    """Point on image 1 (tall, 512x929); stem (112x112) and blocks.10 (14x14) against numpy, for all metrics."""
    client, ids, sizes, acts = setup
    width, height = sizes[1]
    point = (width - 1.0, 0.4 * height)
    for metric, code in (("cosine", 0), ("dot", 1), ("euclidean", 2)):
        reply = client.sync(["stem", "blocks.10"], ids[1], point, ids, metric=code)
        for lm in reply.layers:
            _, h, w = KNOWN_LAYERS[lm.layer]
            cell = pixel_to_cell(*point, width, height, h, w)
            assert (lm.cell.y, lm.cell.x) == cell
            u = query_vector(acts[1][lm.layer], cell=cell)
            maps = tensor(lm.maps)
            for i, target in enumerate(acts):
                ref = reference_map(u, target[lm.layer], metric)
                err = float(np.abs(maps[i] - ref).max())
                tol = map_tolerance(u, target[lm.layer], metric)
                assert err <= tol, f"{lm.layer} {metric} image {i}: max error {err:.3g} > {tol:.3g}"


def test_sync_single_layer_and_query_image_not_first(setup):
    client, ids, sizes, _ = setup
    width, height = sizes[2]
    reply = client.sync(["head"], ids[2], (width - 1.0, height - 1.0), [ids[0], ids[2]])
    assert len(reply.layers) == 1 and (reply.layers[0].cell.y, reply.layers[0].cell.x) == (6, 6)
    maps = tensor(reply.layers[0].maps)
    assert maps.shape == (2, 7, 7)
    assert maps[1, 6, 6] == pytest.approx(1.0, abs=1e-3)
