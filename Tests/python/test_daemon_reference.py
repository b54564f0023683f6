"""Similarity maps from simlayd equal a numpy reference for every metric, for cell, region and pixel
queries, at layers of 28, 14 and 7 cells. The reference takes the daemon's own activations (Activations
RPC), so it checks the maps' maths alone; those activations in turn equal ``simlay activations``
(in-process, no daemon, one image per pass) within float32 reordering: the daemon runs new images in
batches, and a batch's GEMM blocking sums in another order (measured 1.9e-5 at activations up to 6,
3e-6 relative), which on ``head``'s 1280-channel dot products exceeded the maps' own tolerance.

Reference, for the query vector u (a cell's activations [0,:,y,x], or the mean over a region's cells)
and each target cell's v: cosine (u.v)/((|u|+1e-4)(|v|+1e-4)), dot u.v, euclidean -|u-v|.

Tolerance: 1e-5 absolute for cosine (values in [-1, 1]). Dot and euclidean maps are float32 values that
reach the hundreds at ``head``, where one float32 ulp alone exceeds 1e-5; they get 1e-5 plus 1e-6 times
the largest sum of |terms| of the cell's dot product or distance (about ten float32 roundings), which still
catches any wrong vector, normalisation or cell.
"""

from __future__ import annotations

import numpy as np
import pytest

from daemon_support import (KNOWN_LAYERS, METRICS, activations, image_size, map_tolerance, pixel_to_cell,
                            query_vector, reference_map, tensor)

LAYERS = ["blocks.4", "blocks.10", "head"]  # 28x28, 14x14, 7x7
IMAGE_KEYS = ["portrait", "landscape", "tall", "square"]  # query from image 1 (landscape, 512x341)
QUERY_INDEX = 1


def _positions(layer: str, width: int, height: int) -> dict:
    _, h, w = KNOWN_LAYERS[layer]
    return {
        "cell": {"cell": (h * 2 // 3, w // 3)},
        "region": {"region": (h // 4, w // 4, h // 4 + 2, w // 4 + 3)},
        # A fractional pixel; its cell comes from the contract's floor rule.
        "pixel": {"pixel": (round(0.62 * width) + 0.25, round(0.29 * height) + 0.5)},
    }


@pytest.fixture(scope="module")
def setup(daemon, photos, tmp_path_factory):
    paths = [photos[k] for k in IMAGE_KEYS]
    client = daemon.client()
    infos = client.add(paths)
    ids = [i.id for i in infos]
    client.similarity(LAYERS[0], ids[0], ids, cell=(0, 0))  # the daemon's own (batched) forward pass
    in_process = activations(paths, LAYERS, tmp_path_factory.mktemp("reference-acts"))
    acts = []
    for i, image_id in enumerate(ids):
        acts.append({})
        for layer in LAYERS:
            reply = client.call("Activations", client.pb.ActivationsRequest(image_id=image_id, layer=layer))
            a = tensor(reply.activations)
            assert a.shape == (1, *KNOWN_LAYERS[layer]), (layer, a.shape)
            acts[i][layer] = a[0]
            ref = in_process[i][layer]
            # Float32 reordering across batch sizes: a few ulps of the layer's largest activation.
            scale = float(np.abs(ref).max())
            assert np.abs(a[0] - ref).max() <= 1e-5 * scale + 1e-6, (i, layer, float(np.abs(a[0] - ref).max()), scale)
    return client, ids, [image_size(p) for p in paths], acts


@pytest.mark.parametrize("kind", ["cell", "region", "pixel"])
@pytest.mark.parametrize("metric", list(METRICS))
@pytest.mark.parametrize("layer", LAYERS)
def test_maps_match_numpy_reference(setup, layer, metric, kind):
    client, ids, sizes, acts = setup
    width, height = sizes[QUERY_INDEX]
    _, h, w = KNOWN_LAYERS[layer]
    position = _positions(layer, width, height)[kind]

    response, maps = client.similarity(layer, ids[QUERY_INDEX], ids, metric=METRICS[metric], **position)
    assert maps.dtype == np.float32 and maps.shape == (len(ids), h, w), maps.shape
    assert response.layer == layer

    if kind == "pixel":
        cell = pixel_to_cell(*position["pixel"], width, height, h, w)
        expected_cells = (cell[0], cell[1], cell[0] + 1, cell[1] + 1)
        u = query_vector(acts[QUERY_INDEX][layer], cell=cell)
    elif kind == "cell":
        cell = position["cell"]
        expected_cells = (cell[0], cell[1], cell[0] + 1, cell[1] + 1)
        u = query_vector(acts[QUERY_INDEX][layer], cell=cell)
    else:
        expected_cells = position["region"]
        u = query_vector(acts[QUERY_INDEX][layer], region=position["region"])
    q = response.query_cells
    assert (q.y0, q.x0, q.y1, q.x1) == expected_cells, f"query_cells {q} != {expected_cells}"

    for i, target in enumerate(acts):
        ref = reference_map(u, target[layer], metric)
        tol = map_tolerance(u, target[layer], metric)
        err = np.abs(maps[i].astype(np.float64) - ref)
        worst = np.unravel_index(np.argmax(err), err.shape)
        assert err.max() <= tol, (f"image {i} ({IMAGE_KEYS[i]}), {layer}, {metric}, {kind}: max |daemon - ref| = "
                                  f"{err.max():.3g} > {tol:.3g} at cell {worst} (daemon {maps[i][worst]:.7g}, "
                                  f"ref {ref[worst]:.7g})")

    if kind != "region":
        own = maps[QUERY_INDEX][cell]
        if metric == "cosine":
            assert own == pytest.approx(1.0, abs=1e-3), f"cosine at the query cell is {own}"
        elif metric == "euclidean":
            assert own == pytest.approx(0.0, abs=1e-3), f"euclidean at the query cell is {own}"
            assert maps.max() <= 1e-4, "euclidean maps are negative distances"
