"""Sweeps in the Python client: queries in ``simlay sweep --query``'s forms, the result type whose rows and CSV
match ``simlay sweep --csv``, and a chart of several sweeps in one figure."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from ._proto import simlay_pb2 as pb
from ._results import float_tensor, png_image


def _compact(v: float) -> str:
    """A number as the CLI prints it: no trailing ".0" (Swift's and Python's shortest round-trip forms agree)."""
    v = float(v)
    return str(int(v)) if v == round(v) and abs(v) < 1e15 else repr(v)


def sweep_query(query, image_id: str = "") -> tuple[pb.Query, str]:
    """One sweep query as (wire query, spec): ``(y, x)`` or ``{"cell": (y, x)}`` a cell, ``{"region": (y0, x0,
    y1, x1)}`` a region (end exclusive; the mean of its cells), ``{"pixel": (px, py)}`` a pixel of the photo.
    The spec is the query as ``simlay sweep --query`` takes it for image 0 ("0:Y,X", "0:Y0,X0-Y1,X1", "0@PX,PY")."""
    if isinstance(query, Mapping):
        unknown = set(query) - {"image", "cell", "region", "pixel"}
        kinds = [k for k in ("cell", "region", "pixel") if k in query]
        if unknown or len(kinds) != 1:
            raise ValueError("a sweep query dict needs exactly one of cell=(y, x), region=(y0, x0, y1, x1), "
                             f"pixel=(px, py); got keys {sorted(query)}")
        if query.get("image", 0) not in (0, image_id):
            raise ValueError("a sweep query is of the swept image: leave out 'image' or give 0")
        kind = kinds[0]
    elif isinstance(query, (tuple, list)) and len(query) == 2:
        kind, query = "cell", {"cell": query}
    else:
        raise TypeError("a sweep query is (y, x) or a dict with cell=(y, x), region=(y0, x0, y1, x1) or pixel=(px, py)")
    if kind == "cell":
        y, x = (int(v) for v in query["cell"])
        return pb.Query(image_id=image_id, cell=pb.Cell(y=y, x=x)), f"0:{y},{x}"
    if kind == "region":
        y0, x0, y1, x1 = (int(v) for v in query["region"])
        return pb.Query(image_id=image_id, region=pb.Region(y0=y0, x0=x0, y1=y1, x1=x1)), f"0:{y0},{x0}-{y1},{x1}"
    px, py = (float(v) for v in query["pixel"])
    return pb.Query(image_id=image_id, pixel=pb.Pixel(px=px, py=py)), f"0@{_compact(px)},{_compact(py)}"


def _field(text: str) -> str:
    """A CSV field, quoted as RFC 4180 says (and ``simlay sweep --csv`` does) when it holds , " CR or LF."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@dataclass
class SweepResult:
    """One image rotated or rescaled through ``params``, with queries tracked through the sweep.

    Per parameter p and query q: ``maps[p, q]`` float32 [H, W] (the query's similarity over the transformed
    image), ``tracked_y``/``tracked_x`` int32 [P, Q] (the cell the query's exact point moved to),
    ``point_y``/``point_x`` float64 [P, Q] (that point in grid coordinates, cell (y, x) centred on (y, x)),
    ``in_bounds`` bool [P, Q] and ``similarity`` float32 [P, Q] (the map at the tracked cell; NaN when out of
    bounds); with ``track_radius``: ``best_y``/``best_x`` int32 [P, Q] (-1 when no cell was in reach) and
    ``best_similarity`` float32 [P, Q] (NaN then), the most similar cell within the radius. ``boxes`` [P, 4]
    the scale crop boxes (y0, x0, y1, x1) in normalised coordinates (empty for rotate). ``query_cells`` [Q, 4]
    each query's cells (y0, x0, y1, x1) on the untransformed grid; ``specs`` the queries as ``simlay sweep
    --query`` writes them. ``chart_png`` / ``strip_png``: the rendered chart and strip when asked for.
    """
    layer: str
    transform: str
    height: int
    width: int
    params: np.ndarray
    queries: list
    labels: list
    maps: np.ndarray
    tracked_y: np.ndarray
    tracked_x: np.ndarray
    in_bounds: np.ndarray
    similarity: np.ndarray
    boxes: np.ndarray
    chart_png: Optional[bytes] = None
    strip_png: Optional[bytes] = None
    specs: list = field(default_factory=list)
    query_cells: Optional[np.ndarray] = None
    point_y: Optional[np.ndarray] = None
    point_x: Optional[np.ndarray] = None
    transform_space: str = "input"
    track_radius: Optional[int] = None
    best_y: Optional[np.ndarray] = None
    best_x: Optional[np.ndarray] = None
    best_similarity: Optional[np.ndarray] = None

    COLUMNS = ("transform", "param", "query", "label", "spec", "tracked_y", "tracked_x", "in_bounds", "similarity")
    BEST_COLUMNS = ("best_y", "best_x", "best_similarity")

    @property
    def columns(self) -> tuple:
        """The CSV's columns: ``COLUMNS``, plus ``BEST_COLUMNS`` with a track radius."""
        return self.COLUMNS + (self.BEST_COLUMNS if self.track_radius is not None else ())

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per (parameter, query), parameter-major, with the CSV columns of ``simlay sweep --csv``
        (``columns``): transform ("rotate"/"scale"), param, query (the query's index), label, spec,
        tracked_y, tracked_x, in_bounds (bool), similarity (float, NaN when the tracked location left the
        grid); with a track radius best_y, best_x (None when no cell was in reach) and best_similarity."""
        rows = []
        for p, param in enumerate(self.params):
            for q in range(len(self.queries)):
                inside = bool(self.in_bounds[p, q])
                row = {
                    "transform": self.transform, "param": float(param), "query": q, "label": self.labels[q],
                    "spec": self.specs[q] if q < len(self.specs) else "",
                    "tracked_y": int(self.tracked_y[p, q]), "tracked_x": int(self.tracked_x[p, q]),
                    "in_bounds": inside, "similarity": float(self.similarity[p, q]) if inside else math.nan,
                }
                if self.track_radius is not None:
                    found = int(self.best_y[p, q]) >= 0
                    row |= {"best_y": int(self.best_y[p, q]) if found else None,
                            "best_x": int(self.best_x[p, q]) if found else None,
                            "best_similarity": float(self.best_similarity[p, q]) if found else math.nan}
                rows.append(row)
        return rows

    def to_csv(self, path=None) -> str:
        """The rows as CSV text with a header line, formatted as ``simlay sweep --csv`` writes them (written
        to ``path`` too when given)."""
        def number(v):
            return "nan" if math.isnan(v) else str(np.float32(v))

        lines = [",".join(self.columns)]
        for row in self.to_rows():
            cells = [row["transform"], _compact(row["param"]), str(row["query"]), _field(row["label"]),
                     _field(row["spec"]), str(row["tracked_y"]), str(row["tracked_x"]),
                     "true" if row["in_bounds"] else "false", number(row["similarity"])]
            if self.track_radius is not None:
                found = row["best_y"] is not None
                cells += [str(row["best_y"]) if found else "", str(row["best_x"]) if found else "",
                          number(row["best_similarity"])]
            lines.append(",".join(cells))
        text = "\n".join(lines) + "\n"
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return text

    def chart(self):
        """The chart PNG as a PIL image (ValueError when ``chart`` was not asked for)."""
        if not self.chart_png:
            raise ValueError("no chart: call sweep(..., chart=True)")
        return png_image(self.chart_png)

    def strip(self):
        """The strip PNG as a PIL image (ValueError when ``render`` was not given)."""
        if not self.strip_png:
            raise ValueError("no strip: call sweep(..., render=simlay.RenderOptions())")
        return png_image(self.strip_png)


def sweep_result(r, *, transform: str, space: str, queries: Sequence, specs: Sequence[str], labels: Sequence[str],
                 track_radius: Optional[int]) -> SweepResult:
    """A ``SweepResponse`` as a ``SweepResult``."""
    q, steps = len(specs), list(r.steps)
    maps = np.stack([float_tensor(s.maps) for s in steps]) if steps else np.zeros((0, q, r.height, r.width),
                                                                                     np.float32)

    def grid(get, dtype):
        return np.array([[get(t) for t in s.tracked] for s in steps], dtype=dtype).reshape(len(steps), q)

    boxes = np.array([list(s.box) for s in steps], dtype=np.float64) if steps and all(len(s.box) == 4
                                                                                      for s in steps) \
        else np.zeros((len(steps), 0))
    best = {}
    if track_radius is not None:
        best = dict(best_y=grid(lambda t: t.best_y if t.best_found else -1, np.int32),
                    best_x=grid(lambda t: t.best_x if t.best_found else -1, np.int32),
                    best_similarity=grid(lambda t: t.best_similarity if t.best_found else math.nan, np.float32))
    return SweepResult(
        layer=r.layer, transform=transform, height=r.height, width=r.width,
        params=np.array([s.param for s in steps], dtype=np.float64), queries=list(queries),
        labels=[labels[i] if i < len(labels) and labels[i] else f"q{i}" for i in range(q)], maps=maps,
        tracked_y=grid(lambda t: t.y, np.int32), tracked_x=grid(lambda t: t.x, np.int32),
        in_bounds=grid(lambda t: t.in_bounds, bool), similarity=grid(lambda t: t.similarity, np.float32),
        boxes=boxes, chart_png=bytes(r.chart_png) or None, strip_png=bytes(r.strip_png) or None, specs=list(specs),
        query_cells=np.array([[c.y0, c.x0, c.y1, c.x1] for c in r.query_cells], dtype=np.int32).reshape(-1, 4),
        point_y=grid(lambda t: t.point_y, np.float64), point_x=grid(lambda t: t.point_x, np.float64),
        transform_space=space, track_radius=track_radius, **best)
