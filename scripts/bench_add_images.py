#!/usr/bin/env python3
"""New images in batches (issue 11 item 4): AddImages of N new photos plus the first query over them, on a
real simlayd, in images per second, against ONNX Runtime's batch-8 forward pass at the same thread count
(images per second of ``InferenceSession.run`` alone, no decoding) measured in the same run.

Each round uploads N fresh images (crops of the example photos at random offsets, re-encoded as JPEG, so
every id and activation is new), then one Similarity call over all of them at ``--layer``; the time from
the upload's start to the answer is what a user waits for. Rounds alternate between simlay and ORT, and
``--busy K`` runs K spinning processes for the whole measurement (both sides alike).

Output: one JSON line per configuration (``simlay_images_per_s``, ``ort_batch8_images_per_s``, ``ratio`` =
simlay / ORT, > 1 = faster), then a summary line.

Usage::

    python3 scripts/bench_add_images.py [--images 16] [--rounds 5] [--busy 0] [--layer blocks.10] [--threads 2]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_forward import bench_ort, start_busy, stop_busy  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SIMLAYD = Path(os.environ.get("SIMLAYD_BIN", REPO / ".build" / "release" / "simlayd"))
MODEL = REPO / "models" / "efficientnet-lite0.onnx"
EXAMPLES = REPO / "examples" / "images"


def fresh_images(n: int, rng: np.random.Generator) -> list[bytes]:
    """N JPEGs no earlier round sent: random crops (at least 60% of each side) of the example photos."""
    from PIL import Image

    photos = sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".png", ".jpg"))
    out = []
    for i in range(n):
        im = Image.open(photos[i % len(photos)]).convert("RGB")
        w, h = im.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        buf = io.BytesIO()
        im.crop((x, y, x + cw, y + ch)).save(buf, format="JPEG", quality=92)
        out.append(buf.getvalue())
    return out


def start_daemon(workdir: Path, threads: int) -> tuple[subprocess.Popen, str]:
    sock = workdir / "bench.sock"
    log = open(workdir / "daemon.log", "w")
    args = [str(SIMLAYD), "--unix", str(sock), "--model", f"efficientnet-lite0={MODEL}"]
    if threads == 1:
        args += ["--forward-threads", "1", "--decode-threads", "1"]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"simlayd did not start: see {workdir / 'daemon.log'}")
        time.sleep(0.05)
    return proc, f"unix:{sock}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--busy", type=int, default=0)
    ap.add_argument("--layer", default="blocks.10")
    ap.add_argument("--threads", type=int, default=2, help="ORT's intra-op threads (the daemon uses every core)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO / "python"))
    import simlay

    rng = np.random.default_rng(7)
    busy = start_busy(args.busy)
    simlay_s, ort_ms = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proc, target = start_daemon(Path(tmp), args.threads)
            try:
                with simlay.Client(target) as client:
                    # Warm-up: plans for batch sizes 1 and 8 are made once per daemon.
                    ids = client.add_images(fresh_images(args.images, rng))
                    client.similarity(layer=args.layer, query=(ids[0], 0, 0), images=ids)
                    for _ in range(args.rounds):
                        images = fresh_images(args.images, rng)
                        t0 = time.perf_counter()
                        ids = client.add_images(images)
                        client.similarity(layer=args.layer, query=(ids[0], 0, 0), images=ids)
                        simlay_s.append(time.perf_counter() - t0)
                        ort_ms.append(bench_ort(MODEL, args.threads, 8, runs=5, warmup=2)["median_ms"])
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        stop_busy(busy)
    simlay_ips = args.images / statistics.median(simlay_s)
    ort_ips = 8 / (statistics.median(ort_ms) / 1000)
    row = {
        "images": args.images, "threads": args.threads, "busy": args.busy, "layer": args.layer,
        "simlay_median_s": round(statistics.median(simlay_s), 4), "simlay_images_per_s": round(simlay_ips, 1),
        "ort_batch8_median_ms": round(statistics.median(ort_ms), 2), "ort_batch8_images_per_s": round(ort_ips, 1),
        "ratio": round(simlay_ips / ort_ips, 3),
    }
    print(json.dumps({"row": row}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
