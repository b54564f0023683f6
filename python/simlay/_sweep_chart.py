"""Several sweeps in one figure: ``simlay.sweep_chart(results)``, the Python counterpart of ``simlay sweep --chart``
over several images (drawn with Pillow: the client needs no plotting library)."""

from __future__ import annotations

import io
import math
from typing import Optional, Sequence

from PIL import Image, ImageDraw

# The daemon's chart palette (LineChart.palette), so colours read alike.
PALETTE = [(230, 171, 2), (31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (23, 190, 207)]


def sweep_chart(results: Sequence, *, names: Optional[Sequence[str]] = None, title: Optional[str] = None,
                path=None, size=(720, 420)):
    """One line chart of every query of every ``SweepResult`` in ``results`` (e.g. one per image): the
    similarity at the tracked cell against the parameter, a gap where the cell left the grid, and a legend
    naming "label spec" (prefixed by ``names[i]`` when given, e.g. the images' names). Returns the PIL image
    (written as PNG to ``path`` too when given)."""
    if not results:
        raise ValueError("sweep_chart needs at least one SweepResult")
    curves = []
    for i, r in enumerate(results):
        for q in range(len(r.labels)):
            prefix = f"{names[i]}: " if names is not None else (f"#{i} " if len(results) > 1 else "")
            spec = r.specs[q] if q < len(r.specs) else ""
            values = [float(v) if ok else math.nan for v, ok in zip(r.similarity[:, q], r.in_bounds[:, q])]
            curves.append((f"{prefix}{r.labels[q]} {spec}", [float(p) for p in r.params], values))
    xs = [x for _, px, _ in curves for x in px]
    ys = [y for _, _, vy in curves for y in vy if math.isfinite(y)] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(min(ys), 0.0), max(max(ys), 1.0)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    width, height = size
    legend_h = 16 * len(curves) + 8
    image = Image.new("RGB", (width, height + legend_h), "white")
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 60, width - 20, 30, height - 40
    draw.text((left, 8), title or f"{results[0].layer}: tracked-patch similarity", fill="black")
    draw.rectangle([left, top, right, bottom], outline="black")

    def to_px(x, y):
        return (left + (x - x0) / (x1 - x0) * (right - left), bottom - (y - y0) / (y1 - y0) * (bottom - top))

    for k in range(5):
        y = y0 + (y1 - y0) * k / 4
        _, py = to_px(x0, y)
        draw.line([left - 4, py, left, py], fill="black")
        draw.text((8, py - 6), f"{y:.2f}", fill="black")
    if results[0].transform == "rotate":
        # Angles read best on multiples of 15 degrees: the smallest such step giving at most 12 ticks (as simlayd).
        step = next((d for d in (15, 30, 45, 90, 180, 360, 720) if (x1 - x0) / d <= 12), (x1 - x0) / 6)
        ticks = [k * step for k in range(math.ceil(x0 / step), math.floor(x1 / step) + 1)]
    else:
        ticks = [x0 + (x1 - x0) * k / 5 for k in range(6)]
    for x in ticks:
        px, _ = to_px(x, y0)
        draw.line([px, bottom, px, bottom + 4], fill="black")
        draw.text((px - 12, bottom + 8), f"{x:g}", fill="black")
    xlabel = "angle (degrees)" if results[0].transform == "rotate" else "scale"
    draw.text(((left + right) / 2 - 40, bottom + 22), xlabel, fill="black")
    for c, (name, px, vy) in enumerate(curves):
        color = PALETTE[c % len(PALETTE)]
        run = []
        for x, y in zip(px, vy):
            if math.isfinite(y):
                run.append(to_px(x, y))
                draw.ellipse([run[-1][0] - 2, run[-1][1] - 2, run[-1][0] + 2, run[-1][1] + 2], fill=color)
            else:
                run = []  # a gap: the tracked cell left the grid
            if len(run) >= 2:
                draw.line(run[-2:], fill=color, width=2)
        ly = height + 4 + 16 * c
        draw.rectangle([left, ly + 3, left + 20, ly + 9], fill=color)
        draw.text((left + 28, ly), name, fill="black")
    if path is not None:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        with open(path, "wb") as f:
            f.write(buffer.getvalue())
    return image
