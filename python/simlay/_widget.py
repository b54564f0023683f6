"""``Client.show(..., live=True)``: a notebook widget whose hover goes kernel -> daemon (issue 16 item 4).

The front end (``widget.mjs``, an anywidget ES module) sends the hovered cell as a custom message; this
side answers it on one ``HoverSession`` per layer and sends the float32 maps back as binary buffers. Each
kernel has its own widget and streams, the daemon its one cache: several kernels hover live, with no
all-pairs precomputation. ``anywidget`` is imported only here, when a live widget is made.
"""

from __future__ import annotations

import difflib
import json
import re
import struct
import threading
from pathlib import Path
from typing import Optional

import numpy as np

from ._proto import simlay_pb2 as pb

__all__ = ["live_viewer"]

_ESM = Path(__file__).with_name("widget.mjs")
_DATA = re.compile(r'<script type="application/json" id="simlay-data">(.*?)</script>', re.S)
_CLASS = None


def frame(seq: int, maps: np.ndarray) -> bytes:
    """One row's answer: uint32 LE seq, n, h, w, then the n*h*w float32 LE maps (live-core.js's frame)."""
    n, h, w = maps.shape
    return struct.pack("<4I", seq & 0xFFFFFFFF, n, h, w) + np.ascontiguousarray(maps, dtype="<f4").tobytes()


def _tiles(client, ids, model: str, metric: int, render: Optional[pb.RenderOptions]):
    """The daemon's display tiles (EXIF-oriented, fit to render.tile_size) and style (colormap table, opacity),
    read from one-image viewer pages at the model's smallest layer: the cheapest page there is, and the very
    pixels and colours the static viewer shows."""
    smallest = min(client.layers(model), key=lambda g: g.height * g.width).name
    if render is not None:  # the page refuses a value range (it uses the metric's); the widget applies it
        render = pb.RenderOptions(colormap=render.colormap, upsample=render.upsample, opacity=render.opacity,
                                  tile_size=render.tile_size)
    images, style = [], {}
    for image_id in ids:
        request = pb.ExportViewerRequest(model=model, layers=[smallest], image_ids=[image_id], metric=metric,
                                         render=render)
        match = _DATA.search(client._call("ExportViewer", request).html)
        if match is None:
            raise ValueError("the daemon's viewer page has no data block (a simlayd newer than this client?)")
        payload = json.loads(match.group(1))
        tile = payload["images"][0]
        images.append({"id": image_id, "name": tile["name"], "src": tile["src"], "width": tile["displayWidth"],
                       "height": tile["displayHeight"]})
        style = {"colormap": payload["colormap"], "table": payload.get("colormapTable") or [],
                 "opacity": payload["opacity"], "upsample": payload["upsample"]}
    return images, style


def _anywidget():
    try:
        import anywidget
    except ImportError:
        raise ImportError("show(..., live=True) needs the 'anywidget' package: pip install 'simlay[widget]' "
                          "(or pip install anywidget); live=False shows the static viewer without it") from None
    return anywidget


def live_viewer(client, *, ids, layers, model: str, metric: int, metric_name: str,
                render: Optional[pb.RenderOptions], value_range, title: str):
    """A ``LiveViewer`` widget (see ``Client.show``) of ``ids`` at ``layers``."""
    cls = widget_class()
    described = client.model(model)
    known = {g.name: g for g in described.layers}
    grids = [{"name": name, "height": known[name].height if name in known else 0,
              "width": known[name].width if name in known else 0} for name in layers]
    unknown = [name for name in layers if name not in known]
    error = ""
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(known), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"Client.layers() lists its {len(known)} layers"
        error = f"unknown layer {unknown[0]!r} of model {described.name!r}: {hint}"
    images, style = _tiles(client, ids, model, metric, render)
    sessions = [client.hover(layer=name, images=ids, model=model, metric=metric) for name in layers]
    return cls(sessions, images=images, layers=grids, metric=metric_name, title=title, error=error,
               value_range=[float(v) for v in value_range] if value_range else [], **style)


def widget_class():
    global _CLASS
    if _CLASS is None:
        anywidget = _anywidget()
        import traitlets as t

        from ._live import LiveMixin

        class LiveViewer(LiveMixin, anywidget.AnyWidget):
            """The live viewer widget: one row of tiles per layer, hover (or arrow keys) queries the daemon,
            click pins. Traits: ``images`` (display tiles), ``layers`` (name, grid height and width),
            ``metric``, ``colormap``/``table``/``opacity``/``upsample`` (the daemon's style),
            ``value_range``, ``title`` and ``error`` (the last failure's message, "" after an answer).
            ``maps``/``query``: the latest answer; ``wait()``: until pending hovers are answered;
            ``close()`` ends the widget and its streams."""
            _esm = t.Unicode(_ESM.read_text(encoding="utf-8")).tag(sync=True)
            images = t.List(t.Dict()).tag(sync=True)
            layers = t.List(t.Dict()).tag(sync=True)
            metric = t.Unicode("cosine").tag(sync=True)
            colormap = t.Unicode("mask").tag(sync=True)
            table = t.List(t.Int()).tag(sync=True)
            opacity = t.Float(0.6).tag(sync=True)
            upsample = t.Unicode("nearest").tag(sync=True)
            value_range = t.List(t.Float()).tag(sync=True)
            title = t.Unicode("").tag(sync=True)
            error = t.Unicode("").tag(sync=True)

        _CLASS = LiveViewer
    return _CLASS
