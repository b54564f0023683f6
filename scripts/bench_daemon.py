#!/usr/bin/env python3
"""Benchmarks of the daemon's main job (issue: similarity overlays over gRPC), all in one run so ratios
are between numbers measured under the same machine load.

1. Server-side compute per query (16 images, one query, layers blocks.4 / blocks.10 / head): Simlay's
   similarity maths (`simlay bench compute`: exactly what the daemon runs per Similarity call, on grids
   built from real activations) vs numpy doing one float32 matrix-vector product over pre-normalised
   activations, and vs the article's `many_cossim` (recomputing norms every query).
2. End to end through `simlay bench query` over the Unix socket (1 and 8 clients) and over TCP, with unary
   Similarity calls and with one SimilarityStream per client (the interactive hover path).
3. Images/s for adding 16 new images and answering the first query (forward passes dominate).
4. Daemon RSS with the default model and 16 images at 3 layers cached.

Usage: .venv/bin/python scripts/bench_daemon.py [--seconds 5] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
SIMLAY = Path(os.environ.get("SIMLAY_BIN", REPO / ".build/release/simlay"))
SIMLAYD = Path(os.environ.get("SIMLAYD_BIN", REPO / ".build/release/simlayd"))
MODEL = REPO / "models/efficientnet-lite0.onnx"
LAYERS = ["blocks.4", "blocks.10", "head"]


def sixteen_images(tmp: Path) -> list[Path]:
    """16 distinct photos: the shared and example images, plus mirrored copies to make up the count."""
    sources = []
    for d in [REPO.parent / "shared/images", REPO / "examples/images"]:
        if d.is_dir():
            sources += sorted(p for p in d.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not sources:
        sys.exit("no images: run scripts/example_images.sh")
    out = []
    i = 0
    while len(out) < 16:
        src = sources[i % len(sources)]
        img = Image.open(src).convert("RGB")
        if i >= len(sources):
            img = ImageOps.mirror(img)
        path = tmp / f"img{i:02d}.png"
        img.save(path)
        out.append(path)
        i += 1
    return out


def activations(images: list[Path], tmp: Path) -> dict[str, np.ndarray]:
    """[N, H*W, D] float32 per layer, from the in-process CLI."""
    per_layer = {l: [] for l in LAYERS}
    for i, img in enumerate(images):
        d = tmp / f"act{i}"
        cmd = [SIMLAY, "activations", "--model", MODEL, "--image", img, "--out", d]
        for l in LAYERS:
            cmd += ["--layer", l]
        subprocess.run([str(c) for c in cmd], check=True)
        for l in LAYERS:
            a = np.load(d / f"{l}.npy")[0]  # [D, H, W]
            per_layer[l].append(a.reshape(a.shape[0], -1).T.copy())  # [H*W, D]
    return {l: np.stack(v) for l, v in per_layer.items()}


def many_cossim(acts: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """The article's notebook helper: cosine of `vec` with every vector, norms recomputed each call."""
    vec_mag = np.sqrt((vec ** 2).sum())
    acts_mag = np.sqrt((acts ** 2).sum(-1))
    return (acts * vec).sum(-1) / (1e-4 + vec_mag) / (1e-4 + acts_mag)


def time_per_call(fn, min_seconds=0.5) -> float:
    fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds and n >= 20:
            return elapsed / n


NUMPY_TIMER = """
import sys, time, numpy as np
normed = np.load(sys.argv[1]); q = normed[int(sys.argv[2])].copy()
f = lambda: normed @ q
f(); n, t0 = 0, time.perf_counter()
while True:
    f(); n += 1
    if time.perf_counter() - t0 >= 0.5 and n >= 20: break
print((time.perf_counter() - t0) / n)
"""


def numpy_matvec_seconds(normed: np.ndarray, row: int, threads: int, tmp: Path) -> float:
    """numpy's matvec timed in a fresh process whose OpenBLAS has `threads` threads (numpy's pool size is
    fixed at import, so each thread count needs its own process)."""
    path = tmp / "normed.npy"
    np.save(path, normed)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", NUMPY_TIMER, str(path), str(row)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip())


def compute_bench(images, acts, tmp: Path) -> list[dict]:
    rows = []
    rng = np.random.default_rng(0)
    for layer in LAYERS:
        a = acts[layer]  # [N, HW, D]
        n, hw, d = a.shape
        normed = (a / (np.linalg.norm(a, axis=-1, keepdims=True) + 1e-4)).reshape(n * hw, d).astype(np.float32)
        row = int(rng.integers(n * hw))
        # One daemon query runs on one thread (concurrent clients use the other cores), so the like-for-like
        # reference is numpy on one thread; numpy's default (all cores) is reported beside it.
        numpy_s = numpy_matvec_seconds(normed, row, 1, tmp)
        numpy_all_s = numpy_matvec_seconds(normed, row, os.cpu_count() or 1, tmp)
        raw_q = a.reshape(n * hw, d)[rng.integers(n * hw)].copy()
        article_s = time_per_call(lambda: many_cossim(a, raw_q))
        cmd = [SIMLAY, "bench", "compute", "--model", MODEL, "--layer", layer] + [str(p) for p in images]
        ours = json.loads(subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout)
        ours_s = ours["seconds_per_query"]
        rows.append({"layer": layer, "shape": [n, hw, d], "simlay_ms": ours_s * 1e3, "numpy_matvec_ms": numpy_s * 1e3,
                     "numpy_matvec_all_cores_ms": numpy_all_s * 1e3,
                     "many_cossim_ms": article_s * 1e3, "ratio_vs_numpy": ours_s / numpy_s,
                     "speedup_vs_many_cossim": article_s / ours_s})
    return rows


class Daemon:
    def __init__(self, tmp: Path):
        self.sock = tmp / "bench.sock"
        self.port = _free_port()
        self.log = open(tmp / "simlayd.log", "w")
        self.proc = subprocess.Popen([str(SIMLAYD), "--unix", str(self.sock), "--tcp", f"127.0.0.1:{self.port}",
                                      "--allow-loopback-without-token"],
                                     stderr=self.log, stdout=self.log)
        deadline = time.time() + 60
        while not self.sock.exists():
            if time.time() > deadline or self.proc.poll() is not None:
                sys.exit(f"simlayd did not start: see {self.log.name}")
            time.sleep(0.1)
        time.sleep(0.3)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def simlay(server, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(SIMLAY), "--server", server, *map(str, args)], check=True, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="simlay-bench-"))
    try:
        images = sixteen_images(tmp)
        acts = activations(images, tmp)
        result = {"compute": compute_bench(images, acts, tmp)}

        daemon = Daemon(tmp)
        try:
            unix = f"unix:{daemon.sock}"
            start = time.perf_counter()
            simlay(unix, "similarity", "--layer", "blocks.10", "--query", "0:0,0", *images)
            first = time.perf_counter() - start
            start = time.perf_counter()
            simlay(unix, "similarity", "--layer", "blocks.10", "--query", "0:0,0", *images)
            warm = time.perf_counter() - start
            result["add_16_images"] = {"first_query_s": first, "warm_command_s": warm,
                                       "images_per_s": 16 / max(first - warm, 1e-9)}
            for layer in LAYERS:
                simlay(unix, "similarity", "--layer", layer, "--query", "0:0,0", *images)
            result["daemon_rss_mb"] = daemon.rss_mb()
            e2e = []
            for server, label in [(unix, "unix"), (f"127.0.0.1:{daemon.port}", "tcp")]:
                for mode in ("unary", "stream"):
                    for clients in (1, 8):
                        for layer in LAYERS:
                            flags = [f"--{mode}"]
                            out = simlay(server, "bench", "query", "--layer", layer, "--clients", clients,
                                         "--seconds", args.seconds, *flags, *images).stdout
                            row = json.loads(out.strip().splitlines()[-1])
                            row.update({"transport": label, "layer": layer, "mode": mode})
                            e2e.append(row)
            result["end_to_end"] = e2e
        finally:
            daemon.stop()

        print("server-side compute per query (16 images; simlay and numpy on 1 thread, numpy on all cores in brackets):")
        for r in result["compute"]:
            print(f"  {r['layer']:10s} {str(r['shape']):18s} simlay {r['simlay_ms']:.4f} ms  numpy matvec {r['numpy_matvec_ms']:.4f} ms"
                  f" ({r['numpy_matvec_all_cores_ms']:.4f})"
                  f"  many_cossim {r['many_cossim_ms']:.4f} ms  ratio/numpy {r['ratio_vs_numpy']:.2f}"
                  f"  speed-up/many_cossim {r['speedup_vs_many_cossim']:.1f}x")
        print("end to end (simlay bench query):")
        for r in result["end_to_end"]:
            print(f"  {r['transport']:4s} {r['mode']:6s} clients={r['clients']} {r['layer']:10s} p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  qps {r['qps']:.0f}  errors {r.get('errors', 0)}")
        a = result["add_16_images"]
        print(f"adding 16 new images + first query: {a['first_query_s']:.2f} s (warm command {a['warm_command_s']:.2f} s) -> {a['images_per_s']:.1f} images/s")
        print(f"daemon RSS, default model + 16 images x 3 layers cached: {result['daemon_rss_mb']:.0f} MB")
        print(json.dumps(result))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
