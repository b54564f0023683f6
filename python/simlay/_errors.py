"""Exceptions raised by the client: one class per gRPC status the daemon uses, all ``SimlayError``s."""

from __future__ import annotations

import grpc

__all__ = [
    "SimlayError", "InvalidArgumentError", "NotFoundError", "OutOfRangeError", "ResourceExhaustedError",
    "UnauthenticatedError", "PermissionDeniedError", "UnavailableError", "DeadlineExceededError",
    "UnimplementedError", "InternalError", "CancelledError", "FailedPreconditionError",
]


class SimlayError(Exception):
    """A failed call to simlayd.

    ``code`` is the gRPC status name (``"NOT_FOUND"``, ``"OUT_OF_RANGE"``, ...), ``message`` (also
    ``str(error)``) the daemon's message, ``method`` the RPC that failed (e.g. ``"Similarity"``).
    """

    code = "UNKNOWN"

    def __init__(self, message: str, *, code: str | None = None, method: str = ""):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.method = method

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidArgumentError(SimlayError, ValueError):
    """INVALID_ARGUMENT: a malformed request (the message says what)."""
    code = "INVALID_ARGUMENT"


class NotFoundError(SimlayError, LookupError):
    """NOT_FOUND: an unknown model, layer or image id (named in the message)."""
    code = "NOT_FOUND"


class OutOfRangeError(SimlayError, IndexError):
    """OUT_OF_RANGE: a cell, region or pixel outside the grid or image (the message gives the size)."""
    code = "OUT_OF_RANGE"


class ResourceExhaustedError(SimlayError):
    """RESOURCE_EXHAUSTED: a daemon limit (named in the message) was exceeded."""
    code = "RESOURCE_EXHAUSTED"


class UnauthenticatedError(SimlayError):
    """UNAUTHENTICATED: the daemon wants a token (``Client(..., token=...)`` or ``token_file=``)."""
    code = "UNAUTHENTICATED"


class PermissionDeniedError(SimlayError):
    code = "PERMISSION_DENIED"


class UnavailableError(SimlayError, ConnectionError):
    """UNAVAILABLE: the daemon cannot be reached (not running, wrong socket) or is shutting down."""
    code = "UNAVAILABLE"


class DeadlineExceededError(SimlayError, TimeoutError):
    """DEADLINE_EXCEEDED: the call took longer than the client's ``timeout``."""
    code = "DEADLINE_EXCEEDED"


class UnimplementedError(SimlayError, NotImplementedError):
    """UNIMPLEMENTED: the daemon does not have this RPC (older than the client)."""
    code = "UNIMPLEMENTED"


class InternalError(SimlayError):
    code = "INTERNAL"


class CancelledError(SimlayError):
    code = "CANCELLED"


class FailedPreconditionError(SimlayError):
    code = "FAILED_PRECONDITION"


_BY_CODE = {cls.code: cls for cls in (
    InvalidArgumentError, NotFoundError, OutOfRangeError, ResourceExhaustedError, UnauthenticatedError,
    PermissionDeniedError, UnavailableError, DeadlineExceededError, UnimplementedError, InternalError,
    CancelledError, FailedPreconditionError)}


def from_rpc_error(error: grpc.RpcError, *, method: str, target: str) -> SimlayError:
    """The SimlayError for a failed grpc call."""
    try:
        status = error.code()
        message = error.details() or ""
    except Exception:  # not a call error (should not happen for unary calls)
        status, message = grpc.StatusCode.UNKNOWN, str(error)
    name = status.name if isinstance(status, grpc.StatusCode) else str(status)
    if name == "UNAVAILABLE" and ("connect" in message.lower() or "no such file" in message.lower()):
        message = f"cannot reach simlayd at {target}: is it running? ({message})"
    elif name == "UNIMPLEMENTED":
        message = f"{message} (is {target} a simlayd as new as this client?)" if message else \
            f"{method} is not implemented by simlayd at {target}"
    elif name == "DEADLINE_EXCEEDED" and not message:
        message = f"{method} took longer than the client's timeout"
    cls = _BY_CODE.get(name, SimlayError)
    return cls(message or name, code=name, method=method)
