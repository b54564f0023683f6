"""RPC errors: the status code and message of each malformed, unknown, out-of-range or over-limit request,
and that the daemon is unharmed: the next valid call succeeds and the activation cache kept its entries.

NOT_FOUND / OUT_OF_RANGE / INVALID_ARGUMENT against the shared daemon; RESOURCE_EXHAUSTED against one
started with small limits (--max-images 3 --max-layers 2 --max-image-pixels 200000 --max-message-mb 1).
"""

from __future__ import annotations

import grpc
import pytest

from daemon_support import noise_png, rpc_error, running_daemon, solid_png


@pytest.fixture(scope="module")
def setup(daemon, photos):
    client = daemon.client()
    infos = client.add([photos["landscape"], photos["portrait"]])
    ids = [i.id for i in infos]
    client.similarity("blocks.10", ids[0], ids, cell=(1, 1))  # cache both images' blocks.10
    return client, ids, infos


def expect(client, code_name: str, method: str, request, *needles: str, valid=None):
    """Calls, expects status ``code_name`` with each needle in the message; then ``valid`` (a call whose
    activations were cached before) succeeds without a forward pass, and the cache lost no entry."""
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


def _sim(layer, q, targets, **kw):
    return lambda c, ids, infos: c.similarity_request(layer, ids[q] if isinstance(q, int) else q,
                                                       [ids[t] if isinstance(t, int) else t for t in targets], **kw)


MISSING_ID = "f" * 64

# id -> (status, method, request builder (client, ids, infos), words the message must contain)
CASES = {
    "unknown-model": ("NOT_FOUND", "Similarity", _sim("blocks.10", 0, [0, 1], cell=(1, 1), model="no-such-model"),
                      ["no-such-model"]),
    "unknown-layer": ("NOT_FOUND", "Similarity", _sim("blocks.99", 0, [0, 1], cell=(1, 1)), ["blocks.99"]),
    "unknown-query-image": ("NOT_FOUND", "Similarity", _sim("blocks.10", MISSING_ID, [0, 1], cell=(1, 1)),
                            [MISSING_ID]),
    "unknown-target-image": ("NOT_FOUND", "Similarity", _sim("blocks.10", 0, [0, MISSING_ID], cell=(1, 1)),
                             [MISSING_ID]),
    "sync-unknown-layer": ("NOT_FOUND", "LayerSync",
                           lambda c, ids, _: c.sync_request(["blocks.2", "layer-x"], ids[0], (5, 5), ids), ["layer-x"]),
    "add-unknown-model": ("NOT_FOUND", "AddImages", lambda c, ids, _: c.pb.AddImagesRequest(
        model="no-such-model", images=[c.pb.ImageUpload(data=solid_png(32, 32), name="x.png")]), ["no-such-model"]),

    "cell-y-14": ("OUT_OF_RANGE", "Similarity", _sim("blocks.10", 0, [0, 1], cell=(14, 0)), ["14 x 14"]),
    "cell-x-14": ("OUT_OF_RANGE", "Similarity", _sim("blocks.10", 0, [0, 1], cell=(0, 14)), ["14 x 14"]),
    "cell-head": ("OUT_OF_RANGE", "Similarity", _sim("head", 0, [0, 1], cell=(7, 3)), ["7 x 7"]),
    "cell-negative": ("OUT_OF_RANGE", "Similarity", _sim("blocks.4", 0, [0, 1], cell=(-1, 3)), ["28 x 28"]),
    "region-past-grid": ("OUT_OF_RANGE", "Similarity", _sim("blocks.10", 0, [0, 1], region=(10, 10, 15, 12)),
                         ["14 x 14"]),
    "pixel-right-of-image": ("OUT_OF_RANGE", "Similarity",
                             lambda c, ids, infos: c.similarity_request("blocks.10", ids[0], ids,
                                                                        pixel=(infos[0].width + 10, 5)), []),
    "pixel-negative": ("OUT_OF_RANGE", "Similarity", _sim("blocks.10", 0, [0, 1], pixel=(5, -3)), []),
    "sync-point-below-image": ("OUT_OF_RANGE", "LayerSync", lambda c, ids, infos: c.sync_request(
        ["blocks.10"], ids[0], (5, infos[0].height + 50), ids), []),

    "no-query": ("INVALID_ARGUMENT", "Similarity",
                 lambda c, ids, _: c.pb.SimilarityRequest(layer="blocks.10", target_ids=ids), []),
    "query-without-position": ("INVALID_ARGUMENT", "Similarity", lambda c, ids, _: c.pb.SimilarityRequest(
        layer="blocks.10", query=c.pb.Query(image_id=ids[0]), target_ids=ids), []),
    "empty-targets": ("INVALID_ARGUMENT", "Similarity", _sim("blocks.10", 0, [], cell=(1, 1)), []),
    "empty-layer": ("INVALID_ARGUMENT", "Similarity", _sim("", 0, [0, 1], cell=(1, 1)), []),
    "empty-region": ("INVALID_ARGUMENT", "Similarity", _sim("blocks.10", 0, [0, 1], region=(3, 3, 3, 5)), []),
    "sync-no-layers": ("INVALID_ARGUMENT", "LayerSync", lambda c, ids, _: c.sync_request([], ids[0], (5, 5), ids), []),
    "sync-empty-layer": ("INVALID_ARGUMENT", "LayerSync",
                         lambda c, ids, _: c.sync_request([""], ids[0], (5, 5), ids), []),
    "sync-empty-targets": ("INVALID_ARGUMENT", "LayerSync",
                           lambda c, ids, _: c.sync_request(["head"], ids[0], (5, 5), []), []),
    "garbage-image": ("INVALID_ARGUMENT", "AddImages", lambda c, ids, _: c.pb.AddImagesRequest(
        images=[c.pb.ImageUpload(data=b"GIF89a not really" * 20, name="garbage.gif")]), []),
    "truncated-png": ("INVALID_ARGUMENT", "AddImages", lambda c, ids, _: c.pb.AddImagesRequest(
        images=[c.pb.ImageUpload(data=noise_png(64, 64, seed=7)[:200], name="truncated.png")]), []),
    "empty-image": ("INVALID_ARGUMENT", "AddImages",
                    lambda c, ids, _: c.pb.AddImagesRequest(images=[c.pb.ImageUpload(data=b"")]), []),
}


@pytest.mark.parametrize("case", list(CASES))
def test_error_status_and_recovery(setup, case):
    client, ids, infos = setup
    code, method, build, needles = CASES[case]
    expect(client, code, method, build(client, ids, infos), *needles,
           valid=lambda: client.similarity("blocks.10", ids[0], ids, cell=(2, 2)))


def test_errors_counted_in_stats(setup):
    client, ids, _ = setup
    before = {m.method.split("/")[-1]: m.errors for m in client.stats().methods}
    rpc_error(client.call, "Similarity", client.similarity_request("blocks.99", ids[0], ids, cell=(1, 1)))
    after = {m.method.split("/")[-1]: m.errors for m in client.stats().methods}
    assert after.get("Similarity", 0) == before.get("Similarity", 0) + 1, (before, after)


@pytest.fixture(scope="module")
def limited(daemon_stubs):
    with running_daemon(["--max-images", "3", "--max-layers", "2", "--max-image-pixels", "200000",
                         "--max-message-mb", "1"]) as d:
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


def test_resource_exhausted_message_size(limited):
    """A request over --max-message-mb (1 MiB) is refused as a whole (by size: these bytes are no image),
    and the connection stays usable."""
    client = limited.client()
    pb = client.pb
    blob = pb.ImageUpload(data=bytes(1536 * 1024), name="blob.bin")
    error = rpc_error(client.call, "AddImages", pb.AddImagesRequest(images=[blob]))
    info = client.add([(noise_png(64, 48, seed=320), "after.png")])[0]
    _, maps = client.similarity("head", info.id, [info.id], cell=(0, 0))
    assert maps.shape == (1, 7, 7)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (
        f"a 1.5 MiB request to a daemon with --max-message-mb 1: {error.code().name} {error.details()!r}")


def test_request_pixel_budget(daemon_stubs):
    """--max-request-pixels bounds the pixels one AddImages request decodes over all its images, read from
    the headers before decoding: three 200x200 images (120000 pixels) pass a 120000 budget, a fourth is
    refused naming the flag, and nothing of the refused request is stored."""
    with running_daemon(["--max-request-pixels", "120000"]) as d:
        client = d.client()
        pb = client.pb
        images = [(noise_png(200, 200, seed=330 + i), f"p{i}.png") for i in range(4)]
        infos = client.add(images[:3])
        assert [i.existed for i in infos] == [False] * 3
        before = client.stats().cache
        uploads = [pb.ImageUpload(data=data, name=name) for data, name in [images[3]] + images[:3]]
        m = expect(client, "RESOURCE_EXHAUSTED", "AddImages", pb.AddImagesRequest(images=uploads),
                   "--max-request-pixels", "160000", "120000")
        assert "\n" not in m
        # The fourth image alone fits: it was not stored by the refused request.
        assert client.add([images[3]])[0].existed is False
        assert client.stats().cache.entries >= before.entries
