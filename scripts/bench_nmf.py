#!/usr/bin/env python3
"""Benchmark of NMF grouping (issue 4): 10 images at `blocks.10.expand` (14x14x672), k = 6, the same
iteration budget (200) and tolerance (1e-4): Simlay's daemon (`simlay nmf`, accelerated HALS on one
OpenBLAS thread) vs scikit-learn's NMF(init="nndsvda", solver="cd") on the very same matrix, in one run so
the ratio is between numbers measured under the same load.

Simlay's time is the solver time the daemon reports (`solve_seconds`: the factorisation alone, activations
already cached) and the wall time of the whole `simlay nmf` call; scikit-learn's is `fit_transform`. Each
Simlay round uses a tolerance differing in the 7th digit so the daemon's recent-result cache cannot answer.

Usage: .venv/bin/python scripts/bench_nmf.py [--rounds 5] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SIMLAY = Path(os.environ.get("SIMLAY_BIN", REPO / ".build/release/simlay"))
SIMLAYD = Path(os.environ.get("SIMLAYD_BIN", REPO / ".build/release/simlayd"))
MODEL = REPO / "models/efficientnet-lite0.onnx"
LAYER, K, MAX_ITER, TOL = "blocks.10.expand", 6, 200, 1e-4


def ten_images() -> list[Path]:
    sources = []
    for d in [REPO.parent / "shared/images", REPO / "examples/images"]:
        if d.is_dir():
            sources += sorted(p for p in d.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if len(sources) < 10:
        sys.exit(f"need 10 images, found {len(sources)}: run scripts/example_images.sh")
    return sources[:10]


def matrix(images: list[Path], tmp: Path) -> np.ndarray:
    """[N*H*W, C] float32 rows image-major then y, x: exactly what the daemon factors."""
    rows = []
    for i, img in enumerate(images):
        out = tmp / f"act{i}"
        subprocess.run([str(SIMLAY), "activations", "--model", str(MODEL), "--image", str(img), "--layer", LAYER,
                        "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
        a = np.load(out / f"{LAYER}.npy")[0]
        rows.append(a.reshape(a.shape[0], -1).T)
    return np.concatenate(rows).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from sklearn.decomposition import NMF as SkNMF

    images = ten_images()
    with tempfile.TemporaryDirectory(prefix="snmf-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        a = matrix(images, tmp)
        sock = tmp / "d.sock"
        daemon = subprocess.Popen([str(SIMLAYD), "--unix", str(sock), "--model", f"efficientnet-lite0={MODEL}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                if sock.exists():
                    break
                time.sleep(0.1)
            ours = []
            for r in range(args.rounds + 1):  # round 0 warms the activation cache
                out = tmp / f"r{r}"
                t0 = time.perf_counter()
                subprocess.run([str(SIMLAY), "--server", f"unix:{sock}", "nmf", "--layer", LAYER, "--k", str(K),
                                "--max-iter", str(MAX_ITER), "--tolerance", repr(TOL * (1 + r * 1e-6)),
                                "--npy-dir", str(out), "--json", str(out / "r.json"), *map(str, images)], check=True)
                wall = time.perf_counter() - t0
                info = json.loads((out / "r.json").read_text())
                w, h = np.load(out / "W.npy"), np.load(out / "H.npy")
                err = float(np.linalg.norm(a - w @ h) / np.linalg.norm(a))
                if r:
                    ours.append((info["solve_seconds"], wall, err, info["iterations"]))
        finally:
            daemon.terminate()
            daemon.wait()
    theirs = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        model = SkNMF(n_components=K, init="nndsvda", solver="cd", max_iter=MAX_ITER, tol=TOL, random_state=0)
        w = model.fit_transform(a)
        seconds = time.perf_counter() - t0
        theirs.append((seconds, float(np.linalg.norm(a - w @ model.components_) / np.linalg.norm(a)), model.n_iter_))
    ours_solve = float(np.median([o[0] for o in ours]))
    ours_wall = float(np.median([o[1] for o in ours]))
    sk = float(np.median([t[0] for t in theirs]))
    result = {
        "matrix": list(a.shape), "k": K, "max_iter": MAX_ITER,
        "simlay_solve_s": ours_solve, "simlay_wall_s": ours_wall, "simlay_error": ours[0][2],
        "simlay_iterations": ours[0][3],
        "sklearn_s": sk, "sklearn_error": theirs[0][1], "sklearn_iterations": theirs[0][2],
        "speedup_solve": sk / ours_solve, "speedup_wall": sk / ours_wall,
    }
    print(f"matrix {a.shape[0]}x{a.shape[1]}, k={K}, max_iter={MAX_ITER}")
    print(f"simlay  solve {ours_solve * 1e3:8.1f} ms  (whole CLI call {ours_wall * 1e3:.1f} ms)  "
          f"error {ours[0][2]:.5f}  iterations {ours[0][3]}")
    print(f"sklearn cd    {sk * 1e3:8.1f} ms  error {theirs[0][1]:.5f}  iterations {theirs[0][2]}")
    print(f"speed-up: {sk / ours_solve:.1f}x (solver), {sk / ours_wall:.1f}x (whole call); "
          f"error ratio simlay/sklearn {ours[0][2] / theirs[0][1]:.4f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
