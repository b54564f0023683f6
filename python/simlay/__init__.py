"""Simlay's Python client: similarity overlays of CNN activations from a running ``simlayd``.

    import simlay
    c = simlay.Client("unix:///run/user/1000/simlay/simlayd.sock")   # Client() = the default socket
    ids = c.add_images(["cat.png", "dog.jpg"])
    maps = c.similarity(layer="blocks.10", query=(0, 3, 5), images=ids)   # numpy float32 [N, H, W]
    with c.hover(layer="blocks.10", images=ids) as h:                     # many queries, one stream
        maps = h.query((0, 3, 6))
    png = c.render(ids, layer="blocks.10", query=(0, 3, 5), options=simlay.RenderOptions(tile_size=128))
    c.show(ids, layer="blocks.10")                                        # Jupyter: interactive viewer
    w = c.show(ids, layer="blocks.10", live=True)                         # live widget: hovers go to the daemon

Errors are ``SimlayError`` subclasses (``.code`` = gRPC status name, ``str(e)`` = the daemon's message).
The generated protobuf messages are in ``simlay.v1`` (``simlay_pb2``, ``simlay_pb2_grpc``).
"""

from ._client import Client, default_target
from ._hover import HoverSession
from ._render import RenderOptions
from ._matches import Match, SimilarityMaps, ZeroVectorWarning
from ._errors import (CancelledError, DeadlineExceededError, FailedPreconditionError, InternalError,
                      InvalidArgumentError, NotFoundError, OutOfRangeError, PermissionDeniedError,
                      ResourceExhaustedError, SimlayError, UnauthenticatedError, UnavailableError, UnimplementedError)
from ._results import ImageInfo, Layer, Model, NmfResult, PcaResult, SyncMaps, Viewer
from ._sweep import SweepResult
from ._sweep_chart import sweep_chart

__version__ = "0.1.0"

__all__ = [
    "Client", "default_target", "HoverSession", "RenderOptions", "Match", "SimilarityMaps", "ZeroVectorWarning", "ImageInfo", "Layer", "Model", "NmfResult", "PcaResult", "SweepResult", "sweep_chart", "SyncMaps", "Viewer",
    "SimlayError", "InvalidArgumentError", "NotFoundError", "OutOfRangeError", "ResourceExhaustedError",
    "UnauthenticatedError", "PermissionDeniedError", "UnavailableError", "DeadlineExceededError",
    "UnimplementedError", "InternalError", "CancelledError", "FailedPreconditionError",
]
