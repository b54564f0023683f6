"""Batched queries (issue 14 item 4): SimilarityBatch answers many queries (cells, regions, pixels, every cell of
an image) against the same targets as [Q, N, H, W], each slice equal to the Similarity answer of that query
alone; its limits are the daemon's (--max-batch-queries, reported by Stats); the CLI and the Python client.
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from daemon_support import rpc_error, running_daemon


def floats(t):
    return np.frombuffer(t.data, "<f4").reshape(tuple(t.shape))


def test_every_slice_is_the_single_query_answer(client, photos):
    ids = [i.id for i in client.add([photos["chelsea"], photos["coffee"]])]
    pb = client.pb
    queries = [pb.Query(image_id=ids[0], cell=pb.Cell(y=3, x=4)),
               pb.Query(image_id=ids[1], region=pb.Region(y0=2, x0=2, y1=5, x1=6)),
               pb.Query(image_id=ids[0], pixel=pb.Pixel(px=200.5, py=120.0))]
    answer = client.call("SimilarityBatch", pb.SimilarityBatchRequest(
        layer="blocks.10", queries=queries, all_cells_of=ids[1], target_ids=ids))
    maps = floats(answer.maps)
    assert maps.shape == (3 + 196, 2, 14, 14)
    singles = queries + [pb.Query(image_id=ids[1], cell=pb.Cell(y=y, x=x)) for y in range(14) for x in range(14)]
    for q in [0, 1, 2, 3, 3 + 14 * 7 + 9, 3 + 195]:
        one = client.call("Similarity", pb.SimilarityRequest(layer="blocks.10", query=singles[q], target_ids=ids))
        np.testing.assert_array_equal(maps[q], floats(one.maps))
        assert (answer.query_cells[q].y0, answer.query_cells[q].x0) == (one.query_cells.y0, one.query_cells.x0)
    # A cell's map of its own image peaks at itself under cosine.
    assert maps[3 + 14 * 7 + 9, 1, 7, 9] == pytest.approx(maps[3 + 14 * 7 + 9, 1].max())


def test_limits_and_bad_queries_are_named(photos):
    with running_daemon(["--max-batch-queries", "10"]) as daemon:
        client = daemon.client()
        ids = [i.id for i in client.add([photos["chelsea"]])]
        pb = client.pb
        assert client.stats().limits.max_batch_queries == 10
        error = rpc_error(client.call, "SimilarityBatch", pb.SimilarityBatchRequest(
            layer="blocks.10", all_cells_of=ids[0], target_ids=ids))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "196" in error.details() and "--max-batch-queries" in error.details()
        error = rpc_error(client.call, "SimilarityBatch", pb.SimilarityBatchRequest(
            layer="blocks.10", target_ids=ids,
            queries=[pb.Query(image_id=ids[0], cell=pb.Cell(y=1, x=1)), pb.Query(image_id=ids[0], cell=pb.Cell(y=20, x=1))]))
        assert error.code() == grpc.StatusCode.OUT_OF_RANGE
        assert error.details().startswith("queries[1]:")
        error = rpc_error(client.call, "SimilarityBatch", pb.SimilarityBatchRequest(layer="blocks.10", target_ids=ids))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_cli_and_python_client(daemon, photos, tmp_path):
    files = [photos["chelsea"], photos["coffee"], photos["landscape"]]
    out = tmp_path / "batch.npy"
    proc = daemon.cli("similarity-batch", "--layer", "blocks.10", "--query", "0:3,4", "--query", "1@100,80",
                      "--all-cells", "2", "--npy", out, *files)
    assert proc.returncode == 0, proc.stderr
    maps = np.load(out)
    assert maps.shape == (2 + 196, 3, 14, 14) and maps.dtype == np.float32
    import daemon_support

    simlay = daemon_support.working_tree_package()
    with simlay.Client(daemon.unix_target()) as c:
        ids = c.add_images(files)
        again = c.similarity_batch(layer="blocks.10", images=ids, queries=[(0, 3, 4)], all_cells_of=2)
        single = c.similarity(layer="blocks.10", query=(0, 3, 4), images=ids)
    np.testing.assert_array_equal(again[0], single)
    np.testing.assert_array_equal(again[1:], maps[2:])
    np.testing.assert_array_equal(maps[0], single)
