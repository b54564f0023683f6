"""Text fields of any request are bounded before a handler runs (issue 15 item 1): a long layer name, image
name or id is INVALID_ARGUMENT naming the field, with a short message that quotes none of the text; the
daemon keeps serving. And LoadModel's answers do not reveal which files exist outside --model-dir
(issue 15 item 5).
"""

from __future__ import annotations

import grpc
import pytest

from daemon_support import noise_png, rpc_error, running_daemon, short_tmpdir

LONG = "x" * 1_000_000


def _expect_field(error, field: str, limit: int):
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{error.code().name}: {error.details()!r}"
    message = error.details() or ""
    assert f"request field {field} is " in message and f"limited to {limit} bytes" in message, message
    assert len(message) < 200 and "xxxx" not in message, message


@pytest.fixture(scope="module")
def image(daemon):
    return daemon.client().add([(noise_png(64, 48, seed=3), "n.png")])[0]


def test_long_layer_name(daemon, image):
    client = daemon.client()
    request = client.similarity_request(LONG, image.id, [image.id], cell=(1, 1))
    _expect_field(rpc_error(client.call, "Similarity", request), "layer", 256)
    # The daemon is unharmed: the same query with a real layer answers.
    _, maps = client.similarity("blocks.10", image.id, [image.id], cell=(1, 1))
    assert maps.shape[0] == 1


@pytest.mark.parametrize("where", ["query.image_id", "target_ids[1]"])
def test_long_ids_in_nested_and_repeated_fields(daemon, image, where):
    client = daemon.client()
    if where == "query.image_id":
        request = client.similarity_request("blocks.10", LONG[:257], [image.id], cell=(1, 1))
    else:
        request = client.similarity_request("blocks.10", image.id, [image.id, LONG[:300]], cell=(1, 1))
    _expect_field(rpc_error(client.call, "Similarity", request), where, 256)


def test_limit_is_inclusive(daemon, image):
    """256 bytes is allowed (then it is merely an unknown layer, named with a clipped quote)."""
    client = daemon.client()
    request = client.similarity_request("y" * 256, image.id, [image.id], cell=(1, 1))
    error = rpc_error(client.call, "Similarity", request)
    assert error.code() == grpc.StatusCode.NOT_FOUND, error.details()


def test_long_image_name(daemon):
    client = daemon.client()
    error = rpc_error(client.add, [(noise_png(8, 8, seed=1), "n" * 300_000)])
    _expect_field(error, "images[0].name", 256)


def test_stream_message_checked(daemon, image):
    """SimilarityStream: a bad message ends the stream with the same status."""
    client = daemon.client()
    good = client.similarity_request("blocks.10", image.id, [image.id], cell=(1, 1))
    bad = client.similarity_request(LONG, image.id, [image.id], cell=(1, 1))
    responses = client.stub.SimilarityStream(iter([good, bad]), timeout=60, metadata=client.metadata)
    first = next(responses)
    assert first.HasField("maps"), first
    with pytest.raises(grpc.RpcError) as info:
        next(responses)
    _expect_field(info.value, "layer", 256)


@pytest.fixture(scope="module")
def guarded(daemon_stubs):
    root = short_tmpdir("md-") / "models"
    root.mkdir()
    with running_daemon(["--model-dir", str(root)]) as d:
        yield d, root


def test_load_model_does_not_probe_outside(guarded, tmp_path):
    """An existing and a missing file outside --model-dir get the same status and wording."""
    d, root = guarded
    client = d.client()
    existing = tmp_path / "real.onnx"
    existing.write_bytes(b"not a model")

    def answer(path):
        error = rpc_error(client.call, "LoadModel", client.pb.LoadModelRequest(name="m", path=str(path)))
        return error.code(), (error.details() or "").replace(str(path), "PATH")

    seen = {answer(p) for p in [existing, tmp_path / "missing.onnx", "/no/such/dir/x.onnx", "/etc/passwd",
                                str(root) + "/../missing.onnx", tmp_path]}
    assert len(seen) == 1, seen
    code, message = seen.pop()
    assert code == grpc.StatusCode.PERMISSION_DENIED and "--model-dir" in message, message
    # Inside the directory a missing file is still named as missing.
    code, message = answer(root / "missing.onnx")
    assert code == grpc.StatusCode.NOT_FOUND and "does not exist" in message, message
    # A path of 4097 bytes is refused by the limit, before the file system is asked.
    error = rpc_error(client.call, "LoadModel", client.pb.LoadModelRequest(name="m", path="/" + "a" * 4096))
    _expect_field(error, "path", 4096)


def test_stats_reports_limits_and_version(daemon_stubs):
    """Stats tells a client the daemon's limits (its --max-* flags) and version, so requests can be sized."""
    import tomllib
    from daemon_support import REPO
    with running_daemon(["--max-images", "5", "--max-layers", "3", "--max-image-pixels", "700000",
                         "--max-request-pixels", "1234567", "--max-message-mb", "7"]) as d:
        stats = d.client().stats()
    limits = stats.limits
    assert (limits.max_images_per_request, limits.max_layers_per_request) == (5, 3)
    assert (limits.max_image_pixels, limits.max_request_pixels) == (700000, 1234567)
    assert limits.max_message_bytes == 7 << 20
    assert (limits.max_text_field_bytes, limits.max_path_bytes, limits.max_tile_size) == (256, 4096, 1024)
    version = tomllib.loads((REPO / "python" / "pyproject.toml").read_text())["project"]["version"]
    assert stats.version == version
