#!/usr/bin/env python3
"""Checks full-size models (e.g. from scripts/export_torchvision.py) against ONNX Runtime, as the model-zoo
test does for the small committed fixtures: a seeded random input, then the graph outputs and every
4-D or token tensor [1, T, D] compared with ``max|ours - ref| <= 1e-4 * max|ref|``. Also reports how many
of them ``simlay layers`` lists as grids. Needs the built CLI; prints one line per model and exits 1 if
any model fails to load, run or match.

Usage::

    python3 scripts/check_zoo.py DIR_OR_FILES... [--simlay .build/release/simlay]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ort_dump  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
REL_TOL = 1e-4
# A tensor whose reference is this small is float32 rounding noise around zero (e.g. a ReduceMean over
# channels that an earlier LayerNorm made zero-mean: ~5e-8 from inputs of ~4.5, where ONNX Runtime's
# float32 sum is 0.6 off the float64 mean and Simlay's double sum is exact). Both must then be zero to
# within TINY, absolutely.
TINY = 1e-6


def check(model: Path, simlay: Path) -> tuple[bool, str]:
    m = onnx.load(str(model), load_external_data=False)
    dims = [d.dim_value or 1 for d in m.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(zlib.crc32(model.name.encode())).standard_normal(dims).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="simlay-zoo-") as tmp:
        tmp = Path(tmp)
        np.save(tmp / "x.npy", x)
        refs = dict(ort_dump.run(model, {m.graph.input[0].name: x}))
        outputs = {o.name for o in m.graph.output}
        names = [n for n, a in refs.items() if n in outputs or a.ndim == 4 or (a.ndim == 3 and a.shape[0] == dims[0])]
        cmd = [str(simlay), "activations", "--model", str(model), "--input-npy", str(tmp / "x.npy"), "--out", str(tmp / "ours")]
        for n in names:
            cmd += ["--layer", n]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            return False, f"activations failed: {proc.stderr.strip()[:300]}"
        worst, bad, tiny = (0.0, ""), [], []
        for n in names:
            ref = refs[n].astype(np.float64)
            ours = np.load(tmp / "ours" / ort_dump.file_name_for(n)).astype(np.float64)
            if ours.shape != ref.shape:
                bad.append(f"{n}: shape {ours.shape} != {ref.shape}")
                continue
            scale = float(np.abs(ref).max(initial=0))
            err = float(np.abs(ours - ref).max(initial=0))
            if scale <= TINY:
                tiny.append(n)
                if not err <= TINY:
                    bad.append(f"{n}: abs {err:.2e} on a tensor of scale {scale:.1e}")
                continue
            rel = err / scale
            worst = max(worst, (rel, n))
            if not rel <= REL_TOL:
                bad.append(f"{n}: rel {rel:.2e}")
        layers = subprocess.run([str(simlay), "layers", "--model", str(model)], capture_output=True, text=True)
        lines = layers.stdout.splitlines()[1:]
        grids = sum(" layout " in l for l in lines)
        layouts = sorted({l.rsplit(" layout ", 1)[1] for l in lines if " layout " in l})
        summary = (f"{len(names)} tensors compared, worst rel {worst[0]:.1e} ({worst[1][:50]})"
                   + (f", {len(tiny)} near-zero compared absolutely" if tiny else "") + "; "
                   f"{grids} grid layers of {len(lines)} listed, layouts {','.join(layouts)}")
        return not bad, summary + ("" if not bad else f"; {len(bad)} differ: " + "; ".join(bad[:3]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--simlay", type=Path, default=Path(os.environ.get("SIMLAY_BIN", REPO / ".build/release/simlay")))
    args = ap.parse_args(argv)
    files = [f for p in args.paths for f in (sorted(p.glob("*.onnx")) if p.is_dir() else [p])]
    failed = 0
    for f in files:
        try:
            ok, text = check(f, args.simlay)
        except Exception as e:  # ORT refusing the file, a dump that cannot be written...
            ok, text = False, f"{type(e).__name__}: {str(e)[:300]}"
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {f.name}: {text}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
