"""Errors a program can read (issue 12 item 4): every failed call carries a google.rpc.Status in the
`grpc-status-details-bin` trailer, read here with grpcio-status (the helper other Python clients use),
with an ErrorInfo whose reason is a simlay.v1.ErrorReason value name and whose metadata holds the facts
(the grid size, the id, the limit), plus BadRequest field violations and QuotaFailure violations.
"""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from daemon_support import noise_png, rpc_error, running_daemon

MISSING = "e" * 32


def _details(error):
    status = rpc_status.from_call(error)
    assert status is not None, f"no grpc-status-details-bin on {error.code().name}: {error.details()!r}"
    assert status.code == error.code().value[0] and status.message == error.details()
    found = {}
    for any_ in status.details:
        for cls in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest, error_details_pb2.QuotaFailure):
            if any_.Is(cls.DESCRIPTOR):
                message = cls()
                any_.Unpack(message)
                found[cls.__name__] = message
    info = found["ErrorInfo"]
    assert info.domain == "simlay.v1"
    return info, found


@pytest.fixture(scope="module")
def image(daemon):
    return daemon.client().add([(noise_png(64, 64, seed=41), "d.png")])[0]


def test_cell_out_of_range_names_the_grid(daemon, image):
    client = daemon.client()
    error = rpc_error(client.call, "Similarity", client.similarity_request("blocks.10", image.id, [image.id],
                                                                         cell=(20, 3)))
    assert error.code() == grpc.StatusCode.OUT_OF_RANGE
    info, found = _details(error)
    assert info.reason == "CELL_OUT_OF_RANGE"
    assert dict(info.metadata) == {"layer": "blocks.10", "grid_height": "14", "grid_width": "14"}
    assert [v.field for v in found["BadRequest"].field_violations] == ["query.cell.y"]


@pytest.mark.parametrize("case,reason,metadata", [
    ("layer", "LAYER_NOT_FOUND", {"model": "efficientnet-lite0", "layer": "blocks.99"}),
    ("model", "MODEL_NOT_FOUND", {"model": "no-such-model"}),
    ("image", "IMAGE_NOT_FOUND", {"image_id": MISSING}),
])
def test_not_found_reasons(daemon, image, case, reason, metadata):
    client = daemon.client()
    request = {
        "layer": client.similarity_request("blocks.99", image.id, [image.id], cell=(1, 1)),
        "model": client.similarity_request("blocks.10", image.id, [image.id], cell=(1, 1), model="no-such-model"),
        "image": client.similarity_request("blocks.10", image.id, [image.id, MISSING], cell=(1, 1)),
    }[case]
    error = rpc_error(client.call, "Similarity", request)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    info, _ = _details(error)
    assert info.reason == reason and dict(info.metadata) == metadata, info


def test_evicted_image_is_told_apart(daemon_stubs):
    """An image pushed out of a small image store is IMAGE_EVICTED, not IMAGE_NOT_FOUND."""
    with running_daemon(["--image-cache-mb", "1"]) as d:
        client = d.client()
        first = client.add([(noise_png(400, 300, seed=42), "a.png")])[0]  # 360 KB decoded
        for seed in range(43, 47):
            client.add([(noise_png(400, 300, seed=seed), f"{seed}.png")])
        error = rpc_error(client.call, "Similarity", client.similarity_request("blocks.10", first.id, [first.id],
                                                                             cell=(1, 1)))
        assert error.code() == grpc.StatusCode.NOT_FOUND and "evicted" in error.details()
        info, _ = _details(error)
        assert info.reason == "IMAGE_EVICTED" and info.metadata["image_id"] == first.id


def test_limits_come_as_quota_failures(daemon_stubs):
    with running_daemon(["--max-images", "2"]) as d:
        client = d.client()
        uploads = [client.pb.ImageUpload(data=noise_png(32, 32, seed=50 + i), name=f"{i}.png") for i in range(3)]
        error = rpc_error(client.call, "AddImages", client.pb.AddImagesRequest(images=uploads))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        info, found = _details(error)
        assert info.reason == "LIMIT_EXCEEDED" and info.metadata["limit"] == "2" and info.metadata["requested"] == "3"
        assert len(found["QuotaFailure"].violations) == 1


def test_long_field_is_a_bad_request(daemon, image):
    client = daemon.client()
    error = rpc_error(client.call, "Similarity", client.similarity_request("L" * 300, image.id, [image.id],
                                                                         cell=(1, 1)))
    info, found = _details(error)
    assert info.reason == "FIELD_TOO_LONG" and info.metadata["field"] == "layer"
    assert [v.field for v in found["BadRequest"].field_violations] == ["layer"]


def test_every_failure_has_a_reason(daemon):
    """A malformed request without a specific reason still gets an ErrorInfo (INVALID_REQUEST)."""
    client = daemon.client()
    error = rpc_error(client.call, "AddImages", client.pb.AddImagesRequest())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, _ = _details(error)
    assert info.reason == "INVALID_REQUEST"


def test_reasons_are_listed_in_the_proto(daemon_stubs):
    """Every reason the daemon sends is a value of simlay.v1.ErrorReason."""
    from daemon_support import stubs
    names = set(stubs().pb.ErrorReason.keys())
    for reason in ["IMAGE_NOT_FOUND", "IMAGE_EVICTED", "LAYER_NOT_FOUND", "MODEL_NOT_FOUND", "CELL_OUT_OF_RANGE",
                   "GROUP_OUT_OF_RANGE", "LIMIT_EXCEEDED", "FIELD_TOO_LONG", "BAD_IMAGE", "INVALID_REQUEST"]:
        assert reason in names
