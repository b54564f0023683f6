"""``Client.hover``: many similarity queries on one ``SimilarityStream``, the daemon's hover path."""

from __future__ import annotations

import queue
from typing import Any, Optional

import grpc
import numpy as np

from ._errors import SimlayError, from_rpc_error
from ._proto import simlay_pb2 as pb
from ._results import float_tensor

__all__ = ["HoverSession"]

_END = object()  # ends a stream's request iterator: the request side half-closes


class HoverSession:
    """Similarity queries against fixed images, layer, model and metric, sent on one ``SimilarityStream``
    call instead of one call each: what an interactive view needs when it follows the mouse.

    Make one with ``Client.hover(layer=..., images=...)``; ``query(q)`` takes the same query forms as
    ``Client.similarity`` and returns the same float32 [N, H, W] maps, in the order asked. A failed query
    (an unknown image, a cell outside the grid) raises its ``SimlayError`` and ends that stream; the next
    query opens a new one, so the session goes on. ``close()`` (or leaving a ``with`` block) ends it.
    """

    def __init__(self, client, *, layer: str, ids: list[str], model: str, metric: int):
        self._client = client
        self._template = pb.SimilarityRequest(model=model, layer=layer, target_ids=ids, metric=metric)
        self._ids = ids
        self._requests: Optional[queue.SimpleQueue] = None
        self._responses: Any = None
        self._closed = False

    @property
    def image_ids(self) -> list[str]:
        """The images every query is answered for, in order."""
        return list(self._ids)

    def query(self, query) -> np.ndarray:
        """Maps of one query (as in ``Client.similarity``) over the session's images: float32 [N, H, W]."""
        if self._closed:
            raise SimlayError("the hover session is closed", code="CANCELLED", method="SimilarityStream")
        request = pb.SimilarityRequest()
        request.CopyFrom(self._template)
        request.query.CopyFrom(self._client._query(query, self._ids))
        if self._responses is None:
            self._open()
        self._requests.put(request)
        try:
            reply = next(self._responses)
        except grpc.RpcError as rpc_error:
            self._drop()
            error = from_rpc_error(rpc_error, method="SimilarityStream", target=self._client.target)
        except StopIteration:
            self._drop()
            error = SimlayError("the daemon ended the hover stream", code="UNAVAILABLE", method="SimilarityStream")
        else:
            return float_tensor(reply.maps)
        raise error  # outside the except blocks: no grpc traceback chained to it

    def _open(self) -> None:
        self._requests = queue.SimpleQueue()
        # No deadline: a session lives as long as the view that hovers.
        self._responses = self._client._stub.SimilarityStream(iter(self._requests.get, _END),
                                                              metadata=self._client._metadata)

    def _drop(self) -> None:
        if self._requests is not None:
            self._requests.put(_END)
        if self._responses is not None:
            self._responses.cancel()
        self._requests = self._responses = None

    def close(self) -> None:
        """Ends the stream (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._requests is not None:
            self._requests.put(_END)
            try:
                for _ in self._responses:  # the daemon finishes once the request side is closed
                    pass
            except grpc.RpcError:
                pass
        self._requests = self._responses = None

    def __enter__(self) -> "HoverSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        t = self._template
        return f"simlay.HoverSession(layer={t.layer!r}, images={len(self._ids)}, model={t.model!r})"
