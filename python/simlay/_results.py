"""Plain result types returned by ``simlay.Client`` (numpy arrays and Python values, no protobuf)."""

from __future__ import annotations

import html as _html
import io
import uuid
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np


def float_tensor(tensor) -> np.ndarray:
    """A ``simlay.v1.FloatTensor`` as a writable float32 array of its shape."""
    shape = tuple(int(d) for d in tensor.shape)
    count = int(np.prod(shape)) if shape else 0
    if len(tensor.data) != 4 * count:
        raise ValueError(f"FloatTensor of shape {shape} carries {len(tensor.data)} bytes, not {4 * count}")
    return np.frombuffer(tensor.data, dtype="<f4").reshape(shape).astype(np.float32)


def int32_tensor(tensor) -> np.ndarray:
    """A ``simlay.v1.Int32Tensor`` as an int32 array of its shape."""
    shape = tuple(int(d) for d in tensor.shape)
    values = np.asarray(tensor.values, dtype=np.int32)
    if values.size != (int(np.prod(shape)) if shape else 0):
        raise ValueError(f"Int32Tensor of shape {shape} carries {values.size} values")
    return values.reshape(shape)


def png_image(data: bytes):
    """PNG bytes as a loaded PIL image."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@dataclass(frozen=True)
class ImageInfo:
    """An image the daemon holds: its content-addressed ``id``, original size and display name;
    ``existed`` is True when the daemon already had it (e.g. another client or kernel added it)."""
    id: str
    width: int
    height: int
    name: str = ""
    existed: bool = False


@dataclass(frozen=True)
class Layer:
    """A named activation tensor [1, channels, height, width]; ``stride_*`` = input pixels per cell."""
    name: str
    channels: int
    height: int
    width: int
    stride_y: float
    stride_x: float

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, height, width)."""
        return (self.channels, self.height, self.width)


@dataclass(frozen=True)
class Model:
    """A model the daemon holds: the input size images are squashed to, its preprocessing (RGB, 0..255
    units) and its layers in execution order."""
    name: str
    path: str
    input_height: int
    input_width: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    layers: tuple[Layer, ...]
    default: bool = False
    #: "rgb", or "bgr" for Caffe models.
    channel_order: str = "rgb"
    #: Where the preprocessing came from: "metadata", "given" (LoadModel / --model options) or "default".
    preprocessing_source: str = ""

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` (KeyError if there is none)."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"model {self.name} has no layer {name!r}")


class SyncMaps(dict):
    """``sync()``'s answer: a dict layer name -> float32 maps [N, H, W] (in the requested layer order), plus
    ``cells``: layer name -> the (y, x) cell under the point on that layer's grid; ``warnings``: the daemon's
    warnings (e.g. the point's vector is all zero on a layer; also issued as ``simlay.ZeroVectorWarning``)."""

    def __init__(self, maps, cells, warnings=()):
        super().__init__(maps)
        self.cells: dict[str, tuple[int, int]] = dict(cells)
        self.warnings: list[str] = list(warnings)


@dataclass
class NmfResult:
    """Non-negative factorisation of one layer's activations over N images, A ~= W H.

    ``groups`` int32 [N, H, W]: each position's group (argmax of its row of ``w``); ``strength`` float32
    [N, H, W] in [0, 1]; ``w`` [N*H*W, K], ``h`` [K, D]; ``relative_error`` = ||A - WH||_F / ||A||_F;
    ``png`` the rendered groups when asked for (``render=RenderOptions(...)``), else None.
    """
    layer: str
    height: int
    width: int
    columns: int
    groups: np.ndarray
    strength: np.ndarray
    w: np.ndarray
    h: np.ndarray
    relative_error: float
    iterations: int
    solve_seconds: float
    png: Optional[bytes] = None

    @property
    def k(self) -> int:
        """Number of groups."""
        return int(self.h.shape[0])

    def image(self):
        """The rendered PNG as a PIL image (ValueError when ``render`` was not asked for)."""
        if not self.png:
            raise ValueError("no PNG: call nmf(..., render=simlay.RenderOptions())")
        return png_image(self.png)

    def _repr_png_(self):
        return self.png or None


@dataclass
class PcaResult:
    """Principal components of one layer's cell vectors, fitted jointly over N images.

    ``components`` float32 [N, H, W, K]: each cell's scores; ``explained_variance`` float64 [K]: the fraction
    of the total variance each component explains; ``axes`` [K, C] (each one's largest entry positive);
    ``foreground`` [N, H, W] (1 = foreground; all 1 without ``foreground_threshold``); ``colors`` uint8
    [N, H, W, 3], the first three components as RGB scaled jointly over all images; ``png`` when rendered.
    """
    layer: str
    height: int
    width: int
    channels: int
    components: np.ndarray
    explained_variance: np.ndarray
    axes: np.ndarray
    foreground: np.ndarray
    colors: np.ndarray
    png: Optional[bytes] = None

    def image(self):
        """The rendered PNG as a PIL image (ValueError when ``render`` was not asked for)."""
        if not self.png:
            raise ValueError("no PNG: call pca(..., render=simlay.RenderOptions())")
        return png_image(self.png)

    def _repr_png_(self):
        return self.png or None


class Viewer:
    """The interactive viewer page (``ExportViewer``), displayable in Jupyter.

    Rendered as an ``<iframe srcdoc=...>`` holding the page, so its script runs isolated from the notebook
    (sandboxed: scripts allowed, no same-origin access). ``html`` is the page itself; ``save(path)`` writes it.
    """

    def __init__(self, html: str, *, height: int, title: str = "", sizes: str = ""):
        self.html = html
        self.height = int(height)
        self.title = title
        self._sizes = sizes
        self._shown_in_execution: Optional[int] = None
        self._id = "simlay-viewer-" + uuid.uuid4().hex[:12]

    def iframe(self) -> str:
        """The ``<iframe>`` element embedding the page (what Jupyter displays), ``height`` pixels tall; where
        the front end runs output scripts, the frame then fits itself to the page (the page posts its height)."""
        ident = self._id
        page = _embed(self.html, _FRAME_SCRIPT % {"id": ident})
        fit = _HOST_SCRIPT % {"id": ident}
        return (f'<iframe class="simlay-viewer" id="{ident}" srcdoc="{_html.escape(page, quote=True)}" '
                f'sandbox="allow-scripts" style="width: 100%; height: {self.height}px; border: 0;" '
                f'title="{_html.escape(self.title or "simlay viewer", quote=True)}"></iframe>{fit}')

    def _repr_html_(self) -> str:
        return self.iframe()

    def _ipython_display_(self) -> None:
        # show() displays the viewer itself; when its return value is also the cell's last expression,
        # IPython would display it a second time: skip that one (same execution), not later ones.
        ip = _ipython()
        count = getattr(ip, "execution_count", None) if ip is not None else None
        if self._shown_in_execution is not None and self._shown_in_execution == count:
            self._shown_in_execution = None
            return
        self._display()

    def _display(self) -> None:
        from IPython.display import display

        display({"text/html": self.iframe(), "text/plain": repr(self)}, raw=True)

    def save(self, path) -> None:
        """Writes the page (UTF-8 HTML) to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)

    def __repr__(self) -> str:
        return f"<simlay.Viewer {self._sizes}({len(self.html)} bytes of HTML)>"


# Inside the frame: report the page's height to the host whenever it changes.
_FRAME_SCRIPT = (
    '<script data-simlay-embed>(function () { var last = 0; function post() { '
    'var h = Math.ceil(document.documentElement.getBoundingClientRect().height); '
    'if (h !== last) { last = h; parent.postMessage({simlayViewer: "%(id)s", height: h}, "*"); } } '
    'addEventListener("load", post); if (window.ResizeObserver) new ResizeObserver(post).observe(document.body); '
    '})();</script>')
# Next to the frame (run by front ends that run output scripts): fit the frame to the reported height.
_HOST_SCRIPT = (
    '<script>(function () { var f = document.getElementById("%(id)s"); '
    'window.addEventListener("message", function (e) { '
    'if (f && e.source === f.contentWindow && e.data && e.data.simlayViewer === "%(id)s" && e.data.height > 0) '
    '{ f.style.height = (e.data.height + 4) + "px"; } }); })();</script>')


def _embed(page: str, script: str) -> str:
    """The page with ``script`` inserted before its last ``</body>`` (appended when there is none)."""
    at = page.lower().rfind("</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


def _ipython():
    """The running IPython shell, or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()

