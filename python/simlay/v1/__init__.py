"""The wire contract's generated modules under the proto package's name, ``simlay.v1``:
``simlay_pb2`` (messages) and ``simlay_pb2_grpc`` (``SimlayStub``), for raw gRPC use.

They are the same modules as ``scripts/gen_python_stubs.py`` writes (``from simlay.v1 import simlay_pb2``
works with either), kept in ``simlay._proto`` and registered here under their generated names.
"""

import sys as _sys

from .._proto import simlay_pb2, simlay_pb2_grpc

_sys.modules.setdefault(__name__ + ".simlay_pb2", simlay_pb2)
_sys.modules.setdefault(__name__ + ".simlay_pb2_grpc", simlay_pb2_grpc)

__all__ = ["simlay_pb2", "simlay_pb2_grpc"]
