"""Top-K matches and warnings of a similarity answer (``Client.similarity(top_k=...)``)."""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass
from typing import Iterable

import numpy as np

__all__ = ["Match", "SimilarityMaps", "ZeroVectorWarning", "warn_all"]


class ZeroVectorWarning(UserWarning):
    """The daemon's warning that a query vector is all zero (every cosine and dot similarity is then 0)."""


def warn_all(messages: Iterable[str], stacklevel: int = 3) -> list[str]:
    """Issues each of the daemon's warnings as a ``ZeroVectorWarning`` (Python's ``warnings``) and returns them."""
    messages = list(messages)
    for m in messages:
        _warnings.warn(m, ZeroVectorWarning, stacklevel=stacklevel)
    return messages


@dataclass(frozen=True)
class Match:
    """One of the most similar cells: ``image`` indexes the request's images (``image_id`` is its id), (y, x)
    the cell on the layer grid, ``value`` the map's value there."""
    image: int
    image_id: str
    y: int
    x: int
    value: float


class SimilarityMaps(np.ndarray):
    """``similarity(top_k=K)``'s answer: the float32 maps [N, H, W] (a numpy array), plus ``top``, the matches
    in decreasing value (ties: lower image, then y, then x), and ``warnings``, the daemon's warnings."""

    top: list
    warnings: list

    def __new__(cls, maps: np.ndarray, top=(), warnings=()):
        obj = np.asarray(maps).view(cls)
        obj.top = list(top)
        obj.warnings = list(warnings)
        return obj

    def __array_finalize__(self, obj) -> None:
        if obj is None:
            return
        self.top = list(getattr(obj, "top", []))
        self.warnings = list(getattr(obj, "warnings", []))

    def __array_wrap__(self, obj, *args, **kwargs):
        # Reductions (maps.max(), maps.sum()) give numpy scalars, as on a plain array, not 0-d SimilarityMaps.
        result = super().__array_wrap__(obj, *args, **kwargs)
        return result[()] if result.ndim == 0 else result


def matches(reply) -> list[Match]:
    """A SimilarityResponse's ``top`` as ``Match`` records."""
    return [Match(image=m.image, image_id=m.image_id, y=m.y, x=m.x, value=float(m.value)) for m in reply.top]
