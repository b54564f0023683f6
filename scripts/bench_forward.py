#!/usr/bin/env python3
"""Forward-pass latency of the Swift engine vs onnxruntime on the same machine, plus peak memory.

For threads in (1, 2) and batch in (1, 8) it times

* onnxruntime (CPU provider, ``intra_op_num_threads=T``, ``inter_op_num_threads=1``, sequential
  execution, default graph optimizations -- i.e. ORT as people deploy it), on a seeded random
  224x224 input: warm-up runs, then N timed ``run`` calls; median and p90 in ms;
* ``simlay bench forward --model M --threads T --runs N --batch B``, which prints one JSON line with at
  least ``median_ms``, ``p90_ms``, ``threads``, ``batch``.

The two are interleaved config by config (each ORT session is destroyed before simlay runs, so idle
ORT worker threads cannot steal a core), and with ``--rounds R > 1`` the order alternates per round and
the per-config medians are aggregated by their median, so slow drift of the machine (thermal, noisy
neighbours) hits both sides alike. The environment (e.g. ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``)
is passed through unchanged to both.

Memory: the peak RSS of ``simlay activations --model M --image IMG --layer <every tensor> --out TMP``
(tensor names from ``simlay layers --model M``), measured as ``ru_maxrss`` of RUSAGE_CHILDREN inside a
fresh Python subprocess, so no earlier child (the benchmark runs) is included. For scale, the same is
measured for onnxruntime returning every tensor (Python + ORT, also in a fresh subprocess).

Contention (``--busy N``): N Python processes spin on the CPU for the whole measurement, both sides
alike, which is how the daemon's users run it (beside notebook kernels and builds).

Output: one JSON line per row (``{"row": {"threads", "batch", "busy", "ort_median_ms",
"simlay_median_ms", "ratio", ...}}``, ratio = simlay / ORT, < 1 = faster), a table, then one line of JSON
with every row and the memory numbers.

Usage::

    python3 scripts/bench_forward.py [--model M] [--runs 30] [--warmup 5] [--rounds 1] [--image IMG]
        [--threads 1,2] [--batches 1,8] [--busy N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "efficientnet-lite0.onnx"
DEFAULT_SIMLAY = Path(os.environ.get("SIMLAY_BIN", REPO / ".build" / "release" / "simlay"))
SHARED_IMAGES = Path(os.environ.get("SIMLAY_SHARED", REPO.parent / "shared" / "images"))
SIZE = 224


def maxrss_mb(usage: resource.struct_rusage) -> float:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    return usage.ru_maxrss / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def stats_ms(samples_s: list[float]) -> tuple[float, float]:
    a = np.asarray(samples_s) * 1e3
    return float(np.median(a)), float(np.percentile(a, 90))


# ---------------------------------------------------------------------------------------------------
# The two sides
# ---------------------------------------------------------------------------------------------------

def start_busy(n: int) -> list[subprocess.Popen]:
    """N processes that spin on the CPU until killed (the contention of ``--busy``)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def stop_busy(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()


def bench_ort(model: Path, threads: int, batch: int, runs: int, warmup: int) -> dict:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    dims = sess.get_inputs()[0].shape
    h, w = (d if isinstance(d, int) and d > 0 else SIZE for d in dims[2:4])
    x = np.random.default_rng(0).uniform(-1, 1, size=(batch, 3, h, w)).astype(np.float32)
    feed = {sess.get_inputs()[0].name: x}
    for _ in range(warmup):
        sess.run(None, feed)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feed)
        samples.append(time.perf_counter() - t0)
    del sess
    median, p90 = stats_ms(samples)
    return {"median_ms": median, "p90_ms": p90}


def symbolic_size(model: Path) -> bool:
    """Whether the model's input height or width is symbolic (then both sides run at SIZE x SIZE)."""
    import onnx

    dims = onnx.load(str(model), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    return len(dims) == 4 and any(d.dim_value <= 0 for d in dims[2:4])


def bench_simlay(simlay: Path, model: Path, threads: int, batch: int, runs: int) -> dict:
    cmd = [str(simlay), "bench", "forward", "--model", str(model), "--threads", str(threads),
           "--runs", str(runs), "--batch", str(batch)]
    if symbolic_size(model):
        cmd += ["--input-size", f"{SIZE},{SIZE}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    for line in reversed(proc.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "median_ms" in result:
                if result.get("threads", threads) != threads or result.get("batch", batch) != batch:
                    raise RuntimeError(f"simlay reported another config than requested: {line}")
                return result
    raise RuntimeError(f"no JSON line with median_ms in the output of {' '.join(cmd)}:\n{proc.stdout[-2000:]}")


# ---------------------------------------------------------------------------------------------------
# Peak memory (each measured in a fresh Python process: RUSAGE_CHILDREN is a max over all children)
# ---------------------------------------------------------------------------------------------------

def _child_measure_command(cmd: list[str]) -> int:
    """Entry point of the measuring subprocess: run ``cmd``, print its peak RSS as JSON."""
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    print(json.dumps({"rc": proc.returncode, "maxrss_mb": maxrss_mb(resource.getrusage(resource.RUSAGE_CHILDREN)),
                      "stderr": proc.stderr.strip()[-500:]}))
    return 0


def _child_measure_ort(model: str, image: str) -> int:
    """Entry point of the measuring subprocess for onnxruntime: every tensor of one image, own peak RSS."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import convert_efficientnet_lite0 as conv
    import ort_dump

    results = ort_dump.run(Path(model), {"input": conv.preprocess(Path(image))})
    print(json.dumps({"rc": 0, "tensors": len(results),
                      "maxrss_mb": maxrss_mb(resource.getrusage(resource.RUSAGE_SELF))}))
    return 0


def _run_child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve())] + args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def simlay_layer_names(simlay: Path, model: Path) -> list[str]:
    """Tensor names from ``simlay layers`` (first token per line), keeping only real graph values."""
    import onnx

    proc = subprocess.run([str(simlay), "layers", "--model", str(model)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"simlay layers failed: {proc.stderr.strip()}")
    tokens = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    g = onnx.load(str(model), load_external_data=False).graph
    values = {i.name for i in g.input} | {o for n in g.node for o in n.output}
    names = [t for t in tokens if t in values]
    return names or tokens


def measure_rss(simlay: Path | None, model: Path, image: Path) -> dict:
    out = {}
    if simlay is not None:
        names = simlay_layer_names(simlay, model)
        with tempfile.TemporaryDirectory(prefix="simlay-rss-") as tmp:
            cmd = [str(simlay), "activations", "--model", str(model), "--image", str(image), "--out", tmp]
            for n in names:
                cmd += ["--layer", n]
            r = _run_child(["--_measure-command", "--"] + cmd)
        if r["rc"] != 0:
            raise RuntimeError(f"simlay activations failed ({r['rc']}): {r['stderr']}")
        out["simlay_activations_peak_rss_mb"] = round(r["maxrss_mb"], 1)
        out["simlay_activations_layers"] = len(names)
    r = _run_child(["--_measure-ort", str(model), str(image)])
    out["ort_python_all_outputs_peak_rss_mb"] = round(r["maxrss_mb"], 1)
    return out


def default_image(tmpdir: Path) -> Path:
    """A shared photograph if available, else a synthetic 512x384 PNG (what is measured is the net)."""
    for name in ("cat.png", "grace_hopper.png"):
        if (SHARED_IMAGES / name).exists():
            return SHARED_IMAGES / name
    from PIL import Image

    p = tmpdir / "bench.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, size=(384, 512, 3), dtype=np.uint8)).save(p)
    return p


# ---------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["--_measure-command", "--"]:
        return _child_measure_command(argv[2:])
    if argv[:1] == ["--_measure-ort"]:
        return _child_measure_ort(*argv[1:3])

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--simlay", type=Path, default=DEFAULT_SIMLAY, help="CLI binary (env SIMLAY_BIN)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5, help="ORT warm-up runs (simlay warms up itself)")
    ap.add_argument("--rounds", type=int, default=1, help="repeat all configs, alternating the order")
    ap.add_argument("--image", type=Path, help="image for the memory measurement")
    ap.add_argument("--ort-only", action="store_true", help="do not run simlay (also implied if missing)")
    ap.add_argument("--no-rss", action="store_true", help="skip the peak-memory measurement")
    ap.add_argument("--threads", default="1,2", help="thread counts to measure, comma-separated")
    ap.add_argument("--batches", default="1,8", help="batch sizes to measure, comma-separated (a model "
                    "exported with a fixed batch of 1 takes only 1)")
    ap.add_argument("--busy", type=int, default=0, help="processes spinning on the CPU during the run")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 3 runs, 1 warm-up, no memory measurement")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.warmup, args.rounds, args.no_rss = 3, 1, 1, True
    if args.runs < 1 or args.busy < 0:
        ap.error("--runs must be at least 1 and --busy at least 0")
    if not args.model.is_file():
        ap.error(f"model file {args.model} does not exist")

    simlay = None if args.ort_only or not args.simlay.is_file() else args.simlay
    if simlay is None and not args.ort_only:
        print(f"note: {args.simlay} not found; measuring onnxruntime only", file=sys.stderr)
    env_note = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}
    import onnxruntime as ort

    load1 = os.getloadavg()[0]
    print(f"model {args.model}  runs {args.runs}  rounds {args.rounds}  busy {args.busy}  cpus {os.cpu_count()}  "
          f"load {load1:.2f}  onnxruntime {ort.__version__}  env {env_note or '{}'}")
    if load1 > 0.5 and args.busy == 0:
        # Another process holding a core ruins multi-thread numbers on a small machine (ORT's spinning
        # workers in particular degrade badly), so say so rather than report garbage silently.
        print(f"warning: load average {load1:.2f}: other processes are running; timings are unreliable",
              file=sys.stderr)

    threads = [int(v) for v in args.threads.split(",")]
    batches = [int(v) for v in args.batches.split(",")]
    configs = [(t, b) for t in threads for b in batches]
    samples: dict[tuple, dict[str, list]] = {c: {"ort": [], "simlay": []} for c in configs}
    busy = start_busy(args.busy)
    try:
        for rnd in range(args.rounds):
            for t, b in configs:
                sides = ["ort", "simlay"] if rnd % 2 == 0 else ["simlay", "ort"]
                for side in sides:
                    if side == "ort":
                        samples[(t, b)]["ort"].append(bench_ort(args.model, t, b, args.runs, args.warmup))
                    elif simlay is not None:
                        samples[(t, b)]["simlay"].append(bench_simlay(simlay, args.model, t, b, args.runs))
    finally:
        stop_busy(busy)

    rows = []
    for t, b in configs:
        row = {"threads": t, "batch": b, "busy": args.busy}
        for side in ("ort", "simlay"):
            runs = samples[(t, b)][side]
            if runs:
                row[f"{side}_median_ms"] = round(float(np.median([r["median_ms"] for r in runs])), 3)
                row[f"{side}_p90_ms"] = round(float(np.median([r["p90_ms"] for r in runs])), 3)
        if samples[(t, b)]["simlay"]:
            # How often the engine's pool ran loops on the caller alone (its workers descheduled), summed.
            row["simlay_pool_fallbacks"] = sum(r.get("pool_fallbacks", 0) for r in samples[(t, b)]["simlay"])
            # And the share of offered chunks its workers ran, per round: ~0.5 at 2 threads when they keep up.
            row["simlay_pool_worker_share"] = [r.get("pool_worker_share") for r in samples[(t, b)]["simlay"]]
            # The rounds' medians: a 2-thread row whose rounds differ by 1.7x is the machine, not the median.
            row["simlay_round_medians_ms"] = [round(r["median_ms"], 3) for r in samples[(t, b)]["simlay"]]
        if "simlay_median_ms" in row:
            row["ratio"] = round(row["simlay_median_ms"] / row["ort_median_ms"], 3)
            row["ratio_p90"] = round(row["simlay_p90_ms"] / row["ort_p90_ms"], 3)
        rows.append(row)
        print(json.dumps({"row": row}))

    print(f"\n{'threads':>7} {'batch':>5} | {'ORT median':>10} {'ORT p90':>8} | {'simlay med':>10} "
          f"{'simlay p90':>10} | {'ratio med':>9} {'ratio p90':>9}   (ms; ratio = simlay / ORT)")
    for r in rows:
        f = lambda k, w: f"{r[k]:{w}.2f}" if k in r else f"{'-':>{w}}"
        print(f"{r['threads']:7d} {r['batch']:5d} | {f('ort_median_ms', 10)} {f('ort_p90_ms', 8)} | "
              f"{f('simlay_median_ms', 10)} {f('simlay_p90_ms', 10)} | {f('ratio', 9)} {f('ratio_p90', 9)}")

    summary = {"model": str(args.model), "runs": args.runs, "rounds": args.rounds, "busy": args.busy,
               "load_avg_1min": round(load1, 2),
               "configs": rows}
    if not args.no_rss:
        with tempfile.TemporaryDirectory(prefix="simlay-bench-") as tmp:
            image = args.image or default_image(Path(tmp))
            rss = measure_rss(simlay, args.model, image)
        summary.update(rss, rss_image=str(image))
        if "simlay_activations_peak_rss_mb" in rss:
            print(f"\npeak RSS, simlay activations (all {rss['simlay_activations_layers']} layers, one image): "
                  f"{rss['simlay_activations_peak_rss_mb']:.1f} MB")
        print(f"peak RSS, python + onnxruntime returning every tensor (reference): "
              f"{rss['ort_python_all_outputs_peak_rss_mb']:.1f} MB")
    load_end = os.getloadavg()[0]
    summary["load_avg_1min_end"] = round(load_end, 2)
    if load_end > 1.0 + args.busy:
        print(f"warning: load average rose to {load_end:.2f} during the run; timings are unreliable",
              file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
