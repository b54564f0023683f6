"""RPC errors: the status code and message of each malformed, unknown, out-of-range or over-limit request,
and that the daemon is unharmed: the next valid call succeeds and the activation cache kept its entries.

NOT_FOUND / OUT_OF_RANGE / INVALID_ARGUMENT against the shared daemon; RESOURCE_EXHAUSTED against one
started with small limits (--max-images 3 --max-layers 2 --max-image-pixels 200000).
"""

from __future__ import annotations

import grpc
import pytest

from daemon_support import noise_png, rpc_error, running_daemon, solid_png


@pytest.fixture(scope="module")
def setup(daemon, photos):
    client = daemon.client()
    infos = client.add([photos["cat"], photos["grace"]])
    ids = [i.id for i in infos]
    client.similarity("blocks.10", ids[0], ids, cell=(1, 1))  # cache both images' blocks.10
    return client, ids, infos


def expect(client, code_name: str, method: str, request, *needles: str, valid=None):
    """Calls, expects status ``code_name`` with each needle in the message; then a valid call (cached:
    no forward pass) succeeds and the cache lost no entry."""
    before = client.stats().cache
    error = rpc_error(client.call, method, request)
    assert error.code() == getattr(grpc.StatusCode, code_name), (
        f"{method}: expected {code_name}, got {error.code().name}: {error.details()!r}")
    message = error.details() or ""
    for needle in needles:
        assert needle.lower() in message.lower(), f"{method} {code_name}: {needle!r} not in message {message!r}"
    if valid is not None:
        middle = client.stats().cache
        valid()
        after = client.stats().cache
        assert after.entries >= before.entries, f"cache entries {before.entries} -> {after.entries} after an error"
        assert after.forward_passes == middle.forward_passes, (
            f"the valid call after the {code_name} error recomputed activations that were cached before it")
    return message


def _valid(client, ids):
    return lambda: client.similarity("blocks.10", ids[0], ids, cell=(2, 2))


def test_not_found_model_layer_image(setup):
    client, ids, _ = setup
    valid = _valid(client, ids)
    expect(client, "NOT_FOUND", "Similarity", client.similarity_request("blocks.10", ids[0], ids, cell=(1, 1),
                                                                        model="no-such-model"), "no-such-model",
           valid=valid)
    expect(client, "NOT_FOUND", "Similarity", client.similarity_request("blocks.99", ids[0], ids, cell=(1, 1)),
           "blocks.99", valid=valid)
    missing = "f" * 64
    expect(client, "NOT_FOUND", "Similarity", client.similarity_request("blocks.10", missing, ids, cell=(1, 1)),
           missing, valid=valid)
    expect(client, "NOT_FOUND", "Similarity", client.similarity_request("blocks.10", ids[0], [ids[0], missing],
                                                                        cell=(1, 1)), missing, valid=valid)
    expect(client, "NOT_FOUND", "LayerSync", client.sync_request(["blocks.2", "layer-x"], ids[0], (5, 5), ids),
           "layer-x", valid=valid)
    expect(client, "NOT_FOUND", "AddImages", client.pb.AddImagesRequest(
        model="no-such-model", images=[client.pb.ImageUpload(data=solid_png(32, 32), name="x.png")]),
        "no-such-model", valid=valid)


def test_out_of_range_cells_and_pixels(setup):
    client, ids, infos = setup
    valid = _valid(client, ids)
    sim = client.similarity_request
    expect(client, "OUT_OF_RANGE", "Similarity", sim("blocks.10", ids[0], ids, cell=(14, 0)), "14 x 14", valid=valid)
    expect(client, "OUT_OF_RANGE", "Similarity", sim("blocks.10", ids[0], ids, cell=(0, 14)), "14 x 14", valid=valid)
    expect(client, "OUT_OF_RANGE", "Similarity", sim("head", ids[0], ids, cell=(7, 3)), "7 x 7", valid=valid)
    expect(client, "OUT_OF_RANGE", "Similarity", sim("blocks.4", ids[0], ids, cell=(-1, 3)), "28 x 28", valid=valid)
    expect(client, "OUT_OF_RANGE", "Similarity", sim("blocks.10", ids[0], ids, region=(10, 10, 15, 12)), "14 x 14",
           valid=valid)
    w, h = infos[0].width, infos[0].height
    expect(client, "OUT_OF_RANGE", "Similarity", sim("blocks.10", ids[0], ids, pixel=(w + 10, 5)), valid=valid)
    expect(client, "OUT_OF_RANGE", "Similarity", sim("blocks.10", ids[0], ids, pixel=(5, -3)), valid=valid)
    expect(client, "OUT_OF_RANGE", "LayerSync", client.sync_request(["blocks.10"], ids[0], (5, h + 50), ids),
           valid=valid)


def test_invalid_arguments(setup):
    client, ids, _ = setup
    pb = client.pb
    valid = _valid(client, ids)
    expect(client, "INVALID_ARGUMENT", "Similarity", pb.SimilarityRequest(layer="blocks.10", target_ids=ids),
           valid=valid)  # no query at all
    expect(client, "INVALID_ARGUMENT", "Similarity", pb.SimilarityRequest(
        layer="blocks.10", query=pb.Query(image_id=ids[0]), target_ids=ids), valid=valid)  # query without position
    expect(client, "INVALID_ARGUMENT", "Similarity", client.similarity_request("blocks.10", ids[0], [], cell=(1, 1)),
           valid=valid)
    expect(client, "INVALID_ARGUMENT", "Similarity", client.similarity_request("", ids[0], ids, cell=(1, 1)),
           valid=valid)
    expect(client, "INVALID_ARGUMENT", "LayerSync", client.sync_request([], ids[0], (5, 5), ids), valid=valid)
    expect(client, "INVALID_ARGUMENT", "LayerSync", client.sync_request([""], ids[0], (5, 5), ids), valid=valid)
    expect(client, "INVALID_ARGUMENT", "LayerSync", client.sync_request(["head"], ids[0], (5, 5), []), valid=valid)
    garbage = [pb.ImageUpload(data=b"GIF89a not really" * 20, name="garbage.gif")]
    expect(client, "INVALID_ARGUMENT", "AddImages", pb.AddImagesRequest(images=garbage), valid=valid)
    truncated = [pb.ImageUpload(data=noise_png(64, 64, seed=7)[:200], name="truncated.png")]
    expect(client, "INVALID_ARGUMENT", "AddImages", pb.AddImagesRequest(images=truncated), valid=valid)
    expect(client, "INVALID_ARGUMENT", "AddImages", pb.AddImagesRequest(images=[pb.ImageUpload(data=b"")]),
           valid=valid)


def test_errors_counted_in_stats(setup):
    client, ids, _ = setup
    before = {m.method.split("/")[-1]: m.errors for m in client.stats().methods}
    rpc_error(client.call, "Similarity", client.similarity_request("blocks.99", ids[0], ids, cell=(1, 1)))
    after = {m.method.split("/")[-1]: m.errors for m in client.stats().methods}
    assert after.get("Similarity", 0) == before.get("Similarity", 0) + 1, (before, after)


@pytest.fixture(scope="module")
def limited(daemon_stubs):
    with running_daemon(["--max-images", "3", "--max-layers", "2", "--max-image-pixels", "200000"]) as d:
        yield d


def test_resource_exhausted_limits(limited):
    client = limited.client()
    pb = client.pb
    small = [(noise_png(64, 48, seed=300 + i), f"s{i}.png") for i in range(4)]
    ids = [i.id for i in client.add(small[:3])]  # at the limit: fine
    valid = lambda: client.sync(["blocks.4", "head"], ids[0], (3, 3), ids)  # noqa: E731  (2 layers, 3 images)
    valid()

    uploads = [pb.ImageUpload(data=d, name=n) for d, n in small]
    m = expect(client, "RESOURCE_EXHAUSTED", "AddImages", pb.AddImagesRequest(images=uploads), "3", valid=valid)
    assert "image" in m.lower(), m
    expect(client, "RESOURCE_EXHAUSTED", "Similarity",
           client.similarity_request("head", ids[0], ids + [ids[0]], cell=(0, 0)), "3", valid=valid)
    m = expect(client, "RESOURCE_EXHAUSTED", "LayerSync",
               client.sync_request(["blocks.2", "blocks.4", "head"], ids[0], (3, 3), ids), "2", valid=valid)
    assert "layer" in m.lower(), m
    big = pb.ImageUpload(data=noise_png(600, 400, seed=310), name="big.png")  # 240000 pixels > 200000
    m = expect(client, "RESOURCE_EXHAUSTED", "AddImages", pb.AddImagesRequest(images=[big]), valid=valid)
    assert "pixel" in m.lower() or "200000" in m.replace(",", "").replace("_", ""), m
    # At the pixel limit exactly: accepted.
    assert client.add([(noise_png(500, 400, seed=311), "edge.png")])[0].width == 500
