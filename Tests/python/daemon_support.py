"""Helpers for the daemon tests (``test_daemon*.py``): run the real ``simlayd``, talk to it through the
Python client package (``python/simlay``: its connections and its generated stubs, for raw wire-level
calls), compute reference maps with numpy, run the ``simlay`` CLI, read rendered overlays.

Environment:

* ``SIMLAYD_BIN`` / ``SIMLAY_BIN``: the daemon and the CLI (default ``<repo>/.build/release/...``).
  Missing binaries skip the tests, or fail them with ``SIMLAY_REQUIRE_BIN=1`` (CI).

Every daemon listens on a Unix socket in a short private directory under /tmp (socket paths are limited
to 107 bytes, and pytest's tmp paths can be longer) and, when asked, on a free TCP port of 127.0.0.1.
Nothing here ever connects anywhere else.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
DEFAULT_MODEL = REPO / "models" / "efficientnet-lite0.onnx"
DEFAULT_MODEL_NAME = "efficientnet-lite0"
EXAMPLES = REPO / "examples" / "images"

STARTUP_TIMEOUT = 60.0  # model loading takes ~1 s; a cold page cache on the shared machine, longer
STOP_TIMEOUT = 60.0
RPC_TIMEOUT = 120.0  # a first query runs forward passes; the 2-core machine is shared
CLI_TIMEOUT = 300.0

# Default model: layer name -> (C, H, W), from `simlay layers --model models/efficientnet-lite0.onnx`.
KNOWN_LAYERS = {
    "stem": (32, 112, 112),
    "blocks.1.expand": (96, 112, 112),
    "blocks.1.dw": (96, 56, 56),
    "blocks.2": (24, 56, 56),
    "blocks.4": (40, 28, 28),
    "blocks.10": (112, 14, 14),
    "head": (1280, 7, 7),
}
INPUT_SIZE = 224


# ---------------------------------------------------------------------------------------------------
# Binaries and stubs


def _binary(env: str, name: str) -> Path:
    path = Path(os.environ.get(env, REPO / ".build" / "release" / name))
    if not (path.is_file() and os.access(path, os.X_OK)):
        message = f"{name} binary not found at {path} (swift build -c release --product {name}, or set {env})"
        if os.environ.get("SIMLAY_REQUIRE_BIN") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def simlayd_bin() -> Path:
    return _binary("SIMLAYD_BIN", "simlayd")


def simlay_bin() -> Path:
    return _binary("SIMLAY_BIN", "simlay")


PYTHON_DIR = REPO / "python"


def working_tree_package():
    """``simlay`` from python/ (not an installed copy): the tests test this checkout whether or not
    ``pip install ./python`` ran."""
    if str(PYTHON_DIR) not in sys.path:
        sys.path.insert(0, str(PYTHON_DIR))
    loaded = sys.modules.get("simlay")
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != \
            (PYTHON_DIR / "simlay" / "__init__.py").resolve():
        for name in [n for n in sys.modules if n == "simlay" or n.startswith("simlay.")]:
            del sys.modules[name]
    try:
        import grpc  # noqa: F401
    except ImportError as error:  # scripts/requirements.txt has it
        pytest.fail(f"grpcio missing ({error}): pip install -r scripts/requirements.txt")
    import simlay
    return simlay


def stubs() -> SimpleNamespace:
    """The package's generated modules (``python/simlay/_proto``, made by scripts/gen_python_package_stubs.py):
    ``pb`` / ``rpc`` (simlay.v1 messages and service stub), ``health_pb`` / ``health_rpc`` and ``grpc``."""
    working_tree_package()
    import grpc
    from simlay._proto import health_pb2, health_pb2_grpc
    from simlay.v1 import simlay_pb2, simlay_pb2_grpc
    return SimpleNamespace(pb=simlay_pb2, rpc=simlay_pb2_grpc, health_pb=health_pb2, health_rpc=health_pb2_grpc,
                           grpc=grpc)


# ---------------------------------------------------------------------------------------------------
# Running simlayd


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def short_tmpdir(prefix: str = "sld-") -> Path:
    """A fresh private directory under /tmp with a short path (Unix socket paths are <= 107 bytes)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


class Daemon:
    """One ``simlayd`` process, its socket, optional TCP port, and files holding its stderr (the log) and stdout."""

    def __init__(self, workdir: Path, args=(), *, tcp: bool = False, tcp_port: int | None = None,
                 token: str | None = None, unix_path: Path | None = None, cwd: Path = REPO,
                 tcp_client_options: dict | None = None):
        self.workdir = Path(workdir)
        self.socket = Path(unix_path) if unix_path else self.workdir / "d.sock"
        self.tcp_port = tcp_port if tcp_port is not None else (free_port() if tcp else None)
        self.token = token
        self.token_file: Path | None = None
        self.log_path = self.workdir / f"simlayd-{id(self):x}.log"  # its stderr
        self.stdout_path = self.workdir / f"simlayd-{id(self):x}.out"
        self.args = list(map(str, args))
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self._connections = []
        # simlay.Client keyword arguments for the TCP readiness probe (tls_ca=..., for a TLS listener).
        self.tcp_client_options = dict(tcp_client_options or {})

    # -- process

    def command(self) -> list[str]:
        cmd = [str(simlayd_bin()), "--unix", str(self.socket)]
        if self.tcp_port is not None:
            cmd += ["--tcp", f"127.0.0.1:{self.tcp_port}"]
        if self.token is not None:
            self.token_file = self.workdir / "token"
            self.token_file.write_text(self.token + "\n")
            self.token_file.chmod(0o600)
            cmd += ["--token-file", str(self.token_file)]
        elif self.tcp_port is not None:
            cmd += ["--allow-loopback-without-token"]  # TCP needs a token by default, loopback included
        return cmd + self.args

    def start(self, wait: bool = True) -> "Daemon":
        self._log = open(self.log_path, "ab")
        self._out = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen(self.command(), cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._log)
        if wait:
            self.wait_ready()
        return self

    def log_text(self) -> str:
        """What the daemon wrote to stderr (its log)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stdout_text(self) -> str:
        try:
            return self.stdout_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        code = self.proc.poll() if self.proc else None
        return f"simlayd ({' '.join(self.command() if self.proc is None else self.proc.args)}) exit={code}\n" \
               f"--- stderr (log) ---\n{self.log_text()[-6000:]}\n--- stdout ---\n{self.stdout_text()[-2000:]}"

    def metadata(self):
        """What the package's client sends: its receive limit (``simlay-max-answer-bytes``) and the token."""
        answer = (("simlay-max-answer-bytes", str(1 << 30)),)
        return answer + ((("authorization", f"Bearer {self.token}"),) if self.token else ())

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Until the socket accepts and Health.Check says SERVING (on TCP as well, when enabled)."""
        simlay = working_tree_package()
        deadline = time.monotonic() + timeout
        targets = [self.unix_target()] + ([self.tcp_target()] if self.tcp_port is not None else [])
        pending = list(targets)
        last = None
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError(f"simlayd exited during startup\n{self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"simlayd not SERVING after {timeout:.0f} s (last: {last})\n{self.describe()}")
            target = pending[0]
            if target.startswith("unix:") and not self.socket.exists():
                time.sleep(0.05)
                continue
            extra = self.tcp_client_options if not target.startswith("unix:") else {}
            with simlay.Client(target, token=self.token, timeout=2, **extra) as probe:
                try:
                    status = probe.health()
                    if status == "SERVING":
                        pending.pop(0)
                        continue
                    last = f"status {status}"
                except simlay.SimlayError as error:
                    last = f"{error.code}: {error}"
            time.sleep(0.1)

    def signal(self, sig=signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"simlayd did not exit within {timeout:.0f} s of SIGTERM (killed)\n{self.describe()}")
        finally:
            self._close()
        return self.returncode

    def stop(self, check: bool = True) -> int:
        """SIGTERM, wait; with ``check``, asserts exit code 0 and the socket file removed."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.wait()
        if check:
            assert code == 0, f"simlayd exited with {code} after SIGTERM\n{self.describe()}"
            assert not self.socket.exists(), f"socket {self.socket} left behind after exit\n{self.describe()}"
        return code

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self) -> None:
        for connection in self._connections:
            connection.close()
        self._connections.clear()
        for f in (getattr(self, "_log", None), getattr(self, "_out", None)):
            if f:
                f.close()

    # -- clients

    def unix_target(self) -> str:
        return f"unix:{self.socket}"

    def tcp_target(self) -> str:
        assert self.tcp_port is not None, "this daemon has no TCP listener"
        return f"127.0.0.1:{self.tcp_port}"

    def connection(self, transport: str = "unix"):
        """A new ``simlay.Client`` of this daemon (closed when the daemon is stopped). Without a token: raw
        calls through it say their metadata (``Client.metadata``), so tests can send wrong ones."""
        simlay = working_tree_package()
        target = self.unix_target() if transport == "unix" else self.tcp_target()
        connection = simlay.Client(target, timeout=RPC_TIMEOUT)
        self._connections.append(connection)
        return connection

    def channel(self, transport: str = "unix"):
        """The gRPC channel of a new connection (closed when the daemon is stopped)."""
        return self.connection(transport).channel

    def client(self, transport: str = "unix") -> "Client":
        return Client(self.connection(transport), self.metadata())

    def cli(self, *args, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
        """``simlay --server unix:SOCK ARGS...``."""
        extra = ["--token-file", str(self.token_file)] if self.token_file else []
        return run_cli(["--server", self.unix_target(), *extra, *args], timeout=timeout)


@contextlib.contextmanager
def running_daemon(args=(), **kwargs):
    """A started, SERVING daemon in a fresh short temp dir; on exit SIGTERM, exit code 0, socket removed."""
    workdir = short_tmpdir()
    daemon = Daemon(workdir, args, **kwargs)
    try:
        daemon.start()
        yield daemon
        daemon.stop(check=True)
    finally:
        daemon.kill()
        keep = os.environ.get("SIMLAY_KEEP_LOGS")  # a directory to copy daemon logs to, for debugging
        if keep and daemon.log_path.exists():
            shutil.copy(daemon.log_path, Path(keep) / daemon.log_path.name)
        shutil.rmtree(workdir, ignore_errors=True)


class Client:
    """Wire-level calls over one connection of the package's ``simlay.Client``: requests built from the
    package's ``simlay.v1`` messages, sent through its stub with this helper's timeout and metadata (tests of
    the contract need the raw messages and ``grpc.RpcError`` codes the package's own methods map away)."""

    def __init__(self, connection, metadata=None):
        s = stubs()
        self.pb = s.pb
        self.connection = connection
        self.channel = connection.channel
        self.stub = connection.stub
        self.health = s.health_rpc.HealthStub(self.channel)
        # By default what the package's client sends (its receive limit in simlay-max-answer-bytes, its token).
        self.metadata = metadata if metadata is not None else connection._metadata

    def call(self, method: str, request, timeout: float = RPC_TIMEOUT, metadata=None):
        return getattr(self.stub, method)(request, timeout=timeout,
                                          metadata=metadata if metadata is not None else self.metadata)

    def future(self, method: str, request, timeout: float = RPC_TIMEOUT):
        return getattr(self.stub, method).future(request, timeout=timeout, metadata=self.metadata)

    def list_models(self):
        return self.call("ListModels", self.pb.ListModelsRequest())

    def stats(self):
        return self.call("Stats", self.pb.StatsRequest())

    def add(self, images, model: str = ""):
        """Uploads paths or (bytes, name) pairs; returns the ImageInfos."""
        uploads = []
        for item in images:
            if isinstance(item, (str, Path)):
                uploads.append(self.pb.ImageUpload(data=Path(item).read_bytes(), name=Path(item).name))
            else:
                data, name = item
                uploads.append(self.pb.ImageUpload(data=data, name=name))
        return list(self.call("AddImages", self.pb.AddImagesRequest(model=model, images=uploads)).images)

    def similarity_request(self, layer: str, query_id: str, targets, *, cell=None, region=None, pixel=None,
                           metric=0, model: str = ""):
        pb = self.pb
        query = pb.Query(image_id=query_id)
        if cell is not None:
            query.cell.CopyFrom(pb.Cell(y=cell[0], x=cell[1]))
        if region is not None:
            y0, x0, y1, x1 = region
            query.region.CopyFrom(pb.Region(y0=y0, x0=x0, y1=y1, x1=x1))
        if pixel is not None:
            query.pixel.CopyFrom(pb.Pixel(px=pixel[0], py=pixel[1]))
        return pb.SimilarityRequest(model=model, layer=layer, query=query, target_ids=list(targets), metric=metric)

    def similarity(self, *args, **kwargs):
        """(response, maps as float32 [N,H,W])."""
        response = self.call("Similarity", self.similarity_request(*args, **kwargs))
        return response, tensor(response.maps)

    def sync_request(self, layers, image_id: str, point, targets, metric=0, model: str = ""):
        pb = self.pb
        return pb.LayerSyncRequest(model=model, layers=list(layers), image_id=image_id,
                                   point=pb.Pixel(px=point[0], py=point[1]), target_ids=list(targets), metric=metric)

    def sync(self, *args, **kwargs):
        return self.call("LayerSync", self.sync_request(*args, **kwargs))


def tensor(ft) -> np.ndarray:
    """A FloatTensor as a float32 array of its shape (checks the byte count)."""
    shape = tuple(int(d) for d in ft.shape)
    assert len(ft.data) == 4 * int(np.prod(shape)), f"FloatTensor shape {shape} but {len(ft.data)} bytes"
    return np.frombuffer(ft.data, dtype="<f4").reshape(shape).astype(np.float32)


def rpc_error(fn, *args, **kwargs):
    """Calls ``fn``, which must fail with a grpc.RpcError; returns it."""
    import grpc
    try:
        result = fn(*args, **kwargs)
    except grpc.RpcError as error:
        return error
    raise AssertionError(f"expected an RPC error, got a reply: {str(result)[:500]}")


# ---------------------------------------------------------------------------------------------------
# The CLI


def run_cli(args, timeout: float = CLI_TIMEOUT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(simlay_bin()), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, stdin=subprocess.DEVNULL, **kwargs)


def describe(proc: subprocess.CompletedProcess) -> str:
    return (f"$ {' '.join(map(str, proc.args))}\nexit {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}")


def assert_ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, describe(proc)
    return proc


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit code != 0 and exactly one non-empty stderr line (containing each needle, case-insensitive)."""
    assert proc.returncode != 0, describe(proc)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}\n{describe(proc)}"
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in the error line\n{describe(proc)}"
    return lines[0]


def activations(images, layers, out_root: Path, model: Path = DEFAULT_MODEL) -> list[dict[str, np.ndarray]]:
    """``simlay activations`` (in-process, no daemon) per image: for each image {layer: [C,H,W] float32}."""
    result = []
    for i, image in enumerate(images):
        out = Path(out_root) / f"img{i}"
        cmd = ["activations", "--model", model, "--image", image, "--out", out]
        for layer in layers:
            cmd += ["--layer", layer]
        assert_ok(run_cli(cmd))
        acts = {}
        for layer in layers:
            a = np.load(out / f"{layer.replace('/', '_')}.npy")
            assert a.dtype == np.float32 and a.ndim == 4 and a.shape[0] == 1, f"{layer}: {a.dtype} {a.shape}"
            acts[layer] = a[0]
        result.append(acts)
    return result


# ---------------------------------------------------------------------------------------------------
# Reference maps


def pixel_to_cell(px: float, py: float, width: int, height: int, grid_h: int, grid_w: int) -> tuple[int, int]:
    """The contract's rule: y = floor(py * Hl / H), x = floor(px * Wl / W), clamped to the grid."""
    y = min(max(int(np.floor(py * grid_h / height)), 0), grid_h - 1)
    x = min(max(int(np.floor(px * grid_w / width)), 0), grid_w - 1)
    return y, x


def query_vector(acts: np.ndarray, cell=None, region=None) -> np.ndarray:
    """acts [C,H,W]: the cell's vector, or the mean over a region (y0, x0, y1, x1), end exclusive."""
    a = acts.astype(np.float64)
    if region is not None:
        y0, x0, y1, x1 = region
        return a[:, y0:y1, x0:x1].reshape(a.shape[0], -1).mean(axis=1)
    y, x = cell
    return a[:, y, x]


def reference_map(u: np.ndarray, target: np.ndarray, metric: str) -> np.ndarray:
    """Similarity of vector u [C] to every cell of target [C,H,W] (float64 [H,W])."""
    v = target.astype(np.float64)
    c, h, w = v.shape
    flat = v.reshape(c, -1)
    if metric == "cosine":
        out = (u @ flat) / ((np.linalg.norm(u) + 1e-4) * (np.linalg.norm(flat, axis=0) + 1e-4))
    elif metric == "dot":
        out = u @ flat
    elif metric == "euclidean":
        out = -np.linalg.norm(flat - u[:, None], axis=0)
    else:
        raise ValueError(metric)
    return out.reshape(h, w)


def map_tolerance(u: np.ndarray, target: np.ndarray, metric: str) -> float:
    """1e-5 absolute, plus (for dot and euclidean, whose values are not bounded by 1) what float32 output
    and accumulation can reach: a few ulps of the largest |term| sums involved."""
    if metric == "cosine":
        return 1e-5
    v = target.astype(np.float64).reshape(target.shape[0], -1)
    if metric == "dot":
        scale = float((np.abs(u)[:, None] * np.abs(v)).sum(axis=0).max())
    else:
        scale = float(np.sqrt(((np.abs(u)[:, None] + np.abs(v)) ** 2).sum(axis=0)).max())
    return 1e-5 + 1e-6 * scale


METRICS = {"cosine": 0, "dot": 1, "euclidean": 2}


# ---------------------------------------------------------------------------------------------------
# Images


def image_size(path) -> tuple[int, int]:
    from PIL import Image
    with Image.open(path) as im:
        return im.size


def noise_png(width: int, height: int, seed: int, smooth: bool = True) -> bytes:
    """A PNG no other test uses (fresh content = fresh id and uncached activations)."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    if smooth:  # blobs, so the network sees some structure
        small = rng.integers(0, 256, size=(max(height // 16, 2), max(width // 16, 2), 3), dtype=np.uint8)
        im = Image.fromarray(small).resize((width, height), Image.BILINEAR)
    else:
        im = Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def solid_png(width: int, height: int, rgb=(128, 128, 128)) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(buf, format="PNG")
    return buf.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes -> uint8 [H,W,3] (asserts it is a PNG)."""
    from PIL import Image
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"not a PNG (starts with {data[:8]!r})"
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


# ---------------------------------------------------------------------------------------------------
# Reading rendered overlay grids


@dataclass
class Tile:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def contains(self, x: int, y: int) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1


def _runs(flags: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """Half-open runs of True of at least min_length."""
    runs, start = [], None
    for i, f in enumerate(list(flags) + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i - start >= min_length:
                runs.append((start, i))
            start = None
    return runs


def find_tiles(png: np.ndarray, min_side: int = 24) -> list[list[Tile]]:
    """Tiles of an overlay grid on a white background, as rows of Tiles (top to bottom, left to right).

    A tile is a dense block of non-white pixels; titles are 7-pixel-high text on the background, far
    sparser, and separated from tiles by at least one white line, so they do not form blocks.
    """
    nonwhite = np.any(png != 255, axis=2)
    col_count = nonwhite.sum(axis=0)
    tile_cols = _runs(col_count >= min_side, min_side)
    cells = []
    for x0, x1 in tile_cols:
        rows_dense = nonwhite[:, x0:x1].mean(axis=1) > 0.5
        for y0, y1 in _runs(rows_dense, min_side):
            cells.append(Tile(x0, y0, x1, y1))
    rows: dict[int, list[Tile]] = {}
    for t in sorted(cells, key=lambda t: (t.y0, t.x0)):
        key = next((k for k in rows if abs(k - t.y0) <= t.height // 2), t.y0)
        rows.setdefault(key, []).append(t)
    return [sorted(r, key=lambda t: t.x0) for _, r in sorted(rows.items())]


def yellow_mask(png: np.ndarray) -> np.ndarray:
    return (png[:, :, 0] == 255) & (png[:, :, 1] == 255) & (png[:, :, 2] == 0)


def cell_pixel_rect(y: int, x: int, grid_h: int, grid_w: int, width: int, height: int):
    """Pixels (x0, y0, x1, y1) of cell (y, x) in a width x height tile: exactly those whose pixel -> cell
    mapping (the contract's floor rule) gives the cell."""
    def edge(c, cells, pixels):
        return -(-c * pixels // cells)
    return (edge(x, grid_w, width), edge(y, grid_h, height), edge(x + 1, grid_w, width), edge(y + 1, grid_h, height))


def luminance(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def spearman(a, b) -> float:
    def ranks(v):
        v = np.asarray(v, dtype=np.float64)
        order = np.argsort(v, kind="mergesort")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for value in np.unique(v):  # average ranks of ties
            idx = v == value
            r[idx] = r[idx].mean()
        return r
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])
