"""The kernel side of the live widget: hovers answered latest-only on one ``HoverSession`` per layer.

Kept apart from anywidget (``_widget.py`` mixes this into its ``AnyWidget``) so the logic reads on its
own. A comm handler must return at once and never raise: ``_on_hover`` only records the newest hover
and wakes a worker thread; the worker answers the newest one when the previous answer is sent, so a
fast pointer never queues queries (the ones it overtook are dropped unanswered).
"""

from __future__ import annotations

import threading
from typing import Any, Optional

import numpy as np

from ._errors import SimlayError

__all__ = ["LiveMixin", "cell_in"]

_JOIN_SECONDS = 60.0  # close() waits this long for a query in flight (hover answers take milliseconds)


def cell_in(src: dict, y: int, x: int, dst: dict) -> tuple[int, int]:
    """Cell (y, x) of grid ``src`` as a cell of grid ``dst``: the one holding its centre, as the static viewer
    synchronises layers (centreOf, then cellOf). Grids of unknown size (0) keep (y, x)."""
    if not (src["height"] and src["width"] and dst["height"] and dst["width"]):
        return y, x
    fy, fx = (y + 0.5) / src["height"], (x + 0.5) / src["width"]
    return min(int(fy * dst["height"]), dst["height"] - 1), min(int(fx * dst["width"]), dst["width"] - 1)


class LiveMixin:
    """Hover handling for ``LiveViewer``; ``sessions``: one ``HoverSession`` per layer, owned from here on."""

    def __init__(self, sessions, **traits):
        self._sessions = list(sessions)
        self._lock = threading.Condition()
        self._pending: Optional[dict] = None
        self._busy = False
        self._closed = False
        self._received = self._answered = 0
        self._answer: Optional[tuple[dict, list]] = None
        super().__init__(**traits)
        self.on_msg(self._on_msg)
        if self.comm is not None:  # the front end closing the comm (the notebook's widget gone) ends the streams
            self.comm.on_close(lambda _message: self.close())
        self._worker = threading.Thread(target=self._run, name="simlay-live-widget", daemon=True)
        self._worker.start()

    # -- what the front end calls

    def _on_msg(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "hover":
            self._on_hover(content)

    def _on_hover(self, content: dict) -> None:
        """A hover from the front end, ``{"image": i, "y": y, "x": x}`` plus optional ``"layer"`` (the row's
        index, default 0) and ``"seq"`` (echoed in the answer). Replaces any hover not yet started."""
        with self._lock:
            if self._closed:
                return
            self._received += 1
            self._pending = dict(content)
            self._lock.notify_all()

    # -- the answers

    @property
    def maps(self) -> dict[str, np.ndarray]:
        """The latest answer's maps, layer name -> float32 [N, H, W] (empty before the first answer)."""
        if self._answer is None:
            return {}
        content, buffers = self._answer
        return {r["layer"]: _maps_of(b) for r, b in zip(content["rows"], buffers)}

    @property
    def query(self) -> Optional[dict]:
        """The latest answered hover: ``seq``, ``image``, and per answered row its layer and cell."""
        return None if self._answer is None else dict(self._answer[0])

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until every hover received so far is answered (or dropped for a newer one); False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._closed or (self._pending is None and not self._busy), timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._closed or self._pending is not None)
                if self._closed:
                    return
                job, self._pending, self._busy = self._pending, None, True
            try:
                self._reply(job)
            except Exception as error:  # a bad message or a lost daemon: shown, never raised in the comm
                self.error = f"hover {_short(job)}: {error}"
            finally:
                with self._lock:
                    self._busy = False
                    self._lock.notify_all()

    def _reply(self, job: dict) -> None:
        missing = [k for k in ("image", "y", "x") if k not in job]
        if missing:
            raise ValueError(f"a hover needs image, y and x (cell of the row's layer); {', '.join(missing)} missing")
        image, y, x = (int(job[k]) for k in ("image", "y", "x"))
        row = int(job.get("layer", 0))
        seq = int(job.get("seq", self._received))
        grids = self.layers
        if not 0 <= row < len(grids):
            raise IndexError(f"layer index {row} is out of range for {len(grids)} layers")
        if not 0 <= image < len(self.images):
            raise IndexError(f"image index {image} is out of range for {len(self.images)} images")
        from ._widget import frame

        rows, buffers, failures = [], [], []
        for index, (session, grid) in enumerate(zip(self._sessions, grids)):
            # The hovered row's cell goes as sent (the daemon checks it); other rows get the cell there.
            cy, cx = (y, x) if index == row else cell_in(grids[row], y, x, grid)
            try:
                maps = session.query((image, cy, cx))
            except SimlayError as error:
                failures.append(f"layer {grid['name']!r} cell ({cy}, {cx}) of image {image}: {error}")
                continue
            rows.append({"row": index, "layer": grid["name"], "y": cy, "x": cx})
            buffers.append(frame(seq, maps))
        content = {"type": "maps", "seq": seq, "image": image, "rows": rows}
        self.send(content, buffers)
        self._answer = (content, buffers)
        self._answered += 1
        self.error = "; ".join(failures)

    def close(self) -> None:
        """Ends the widget: the worker stops after any query in flight, every layer's stream is closed."""
        lock = getattr(self, "_lock", None)
        if lock is not None and not self._closed:
            with lock:
                self._closed = True
                lock.notify_all()
            if self._worker is not threading.current_thread():
                self._worker.join(_JOIN_SECONDS)
            for session in self._sessions:
                session.close()
        super().close()


def _maps_of(buffer: Any) -> np.ndarray:
    head = np.frombuffer(buffer, dtype="<u4", count=4)
    n, h, w = (int(v) for v in head[1:])
    return np.frombuffer(buffer, dtype="<f4", offset=16, count=n * h * w).reshape(n, h, w).astype(np.float32)


def _short(job: dict) -> str:
    return "{" + ", ".join(f"{k}={job[k]!r}" for k in ("image", "layer", "y", "x") if k in job) + "}"
