#!/usr/bin/env python3
"""Benchmark of top-K matches (issue 14 item 1), all in one run so ratios are between numbers measured
under the same machine load: unary Similarity calls over the Unix socket on 16 images, at blocks.4
(28x28: 12544 cells) and stem (112x112: 200704 cells), without top_k, with top_k=10 and with top_k=10
and an exclusion radius; and, as the outside reference, numpy selecting the same 10 from the same maps
(np.argpartition + a sort of the 10; the maps already in memory). The four are timed in turn, call by
call, so that the other load of a shared machine weighs on each alike.

Reported: mean milliseconds per call, the ratio of each top-K call to the plain call, and the daemon's
extra time per call against numpy's selection time.

Usage: .venv/bin/python scripts/bench_top.py [--calls 40]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SIMLAYD = Path(os.environ.get("SIMLAYD_BIN", REPO / ".build/release/simlayd"))
sys.path.insert(0, str(REPO / "python"))


def images(tmp: Path) -> list[Path]:
    from PIL import Image
    rng = np.random.default_rng(14)
    out = []
    for i in range(16):
        small = rng.integers(0, 256, size=(20, 20, 3), dtype=np.uint8)
        path = tmp / f"n{i}.png"
        Image.fromarray(small).resize((320, 320), Image.BILINEAR).save(path)
        out.append(path)
    return out


def interleaved(fns: list, calls: int) -> list[float]:
    """Mean milliseconds of each of `fns`, called in turn (round robin) so that a change of machine load
    during the run weighs on all of them alike."""
    for fn in fns:
        fn()  # warm: forward passes and caches
    total = [0.0] * len(fns)
    for _ in range(calls):
        for j, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            total[j] += time.perf_counter() - start
    return [t / calls * 1000 for t in total]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=40)
    args = ap.parse_args()
    import simlay
    with tempfile.TemporaryDirectory(prefix="sbt-", dir="/tmp") as tmp:
        sock = Path(tmp) / "d.sock"
        daemon = subprocess.Popen([str(SIMLAYD), "--unix", str(sock)], stderr=subprocess.DEVNULL)
        try:
            while not sock.exists():
                time.sleep(0.1)
            with simlay.Client(f"unix:{sock}") as c:
                while True:
                    try:
                        if c.health() == "SERVING":
                            break
                    except simlay.SimlayError:
                        time.sleep(0.1)
                ids = c.add_images(images(Path(tmp)))
                print(f"{'layer':10s} {'plain ms':>9s} {'top10 ms':>9s} {'ratio':>6s} {'+excl ms':>9s} {'ratio':>6s} "
                      f"{'extra ms':>9s} {'numpy ms':>9s}")
                for layer in ["blocks.4", "stem"]:
                    q = {"image": 0, "cell": (5, 5)}
                    maps = np.asarray(c.similarity(layer=layer, query=q, images=ids)).reshape(-1)

                    def select():
                        part = np.argpartition(-maps, 10)[:10]
                        return part[np.lexsort((part, -maps[part]))]
                    plain, top, excl, ref = interleaved([
                        lambda: c.similarity(layer=layer, query=q, images=ids),
                        lambda: c.similarity(layer=layer, query=q, images=ids, top_k=10),
                        lambda: c.similarity(layer=layer, query=q, images=ids, top_k=10, exclude_radius=2),
                        select], args.calls)
                    print(f"{layer:10s} {plain:9.2f} {top:9.2f} {top / plain:6.2f} {excl:9.2f} {excl / plain:6.2f} "
                          f"{top - plain:9.2f} {ref:9.3f}")
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
