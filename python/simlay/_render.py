"""``simlay.RenderOptions``: how the daemon draws a PNG, one frozen value for every call that renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from ._choices import choice
from ._proto import simlay_pb2 as pb

__all__ = ["RenderOptions", "COLORMAPS", "UPSAMPLES"]

COLORMAPS = {"mask": pb.COLORMAP_MASK, "viridis": pb.COLORMAP_VIRIDIS, "diverging": pb.COLORMAP_DIVERGING}
UPSAMPLES = {"nearest": pb.UPSAMPLE_NEAREST, "bilinear": pb.UPSAMPLE_BILINEAR}


@dataclass(frozen=True)
class RenderOptions:
    """The style of a rendered PNG, sent as the request's ``render`` field (its presence means "render").

    ``colormap``: "mask" (the article's darkening), "viridis" or "diverging"; ``upsample``: "nearest"
    (blocky cells) or "bilinear"; ``opacity`` in (0, 1], 0 = 0.6; ``tile_size``: longest side of each tile
    (the viewer: of each displayed image), 16 up to the daemon's limit (1024),
    0 = 256; ``value_range`` (min, max) mapped onto the colormap (default: the metric's natural range);
    ``titles=False`` omits the titles above tiles. The daemon checks every value and raises
    ``InvalidArgumentError`` naming the field, e.g. "render.tile_size 2000 outside 16...1024": the ranges
    live in one place, so this class does not repeat them.
    """
    colormap: Union[str, int] = "mask"
    upsample: Union[str, int] = "nearest"
    opacity: float = 0.0
    tile_size: int = 0
    value_range: Optional[tuple[float, float]] = None
    titles: bool = True

    def to_proto(self) -> pb.RenderOptions:
        """The wire message (ValueError for an unknown colormap or upsample name)."""
        options = pb.RenderOptions(colormap=choice(self.colormap, COLORMAPS, "colormap"),
                                   upsample=choice(self.upsample, UPSAMPLES, "upsample"),
                                   opacity=float(self.opacity), tile_size=int(self.tile_size),
                                   no_titles=not self.titles)
        if self.value_range is not None:
            options.value_min, options.value_max = (float(v) for v in self.value_range)
        return options


def render_proto(render: Optional[RenderOptions], what: str = "render") -> Optional[pb.RenderOptions]:
    """``render``'s wire message, None for None; TypeError for anything else (e.g. the 0.x ``render=True``)."""
    if render is None:
        return None
    if not isinstance(render, RenderOptions):
        raise TypeError(f"{what} must be a simlay.RenderOptions or None, got {render!r}")
    return render.to_proto()
