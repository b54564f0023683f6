"""scripts/bench_forward.py in its quick mode, on a committed fixture model (issue 11's contract).

The script times ONNX Runtime and ``simlay bench forward`` side by side; this checks the shape of what it
prints (one JSON line per row with both medians and their ratio, then a summary line), with and without
``--busy`` (processes spinning during the run, which must be gone afterwards), and the contract outside
checks rely on: ``simlay bench forward --model F.onnx --threads T --batch B --runs R`` prints one JSON line
with ``median_ms``. Speeds are not asserted (see the script for the measurement).
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import REPO, SCRIPTS, describe, run

FIXTURES = REPO / "Tests" / "Fixtures" / "models"
MODEL = FIXTURES / "mobilenet_v2-legacy17.onnx"            # depthwise blocks (fusion), fixed batch 1
DYNAMIC = FIXTURES / "resnet18-legacy17-dynamic.onnx"      # symbolic batch


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_bench_forward_contract(simlay_bin):
    proc = run([simlay_bin, "bench", "forward", "--model", DYNAMIC, "--input-size", "64,48", "--threads", 2,
                "--batch", 3, "--runs", 2])
    assert proc.returncode == 0, describe(proc)
    lines = json_lines(proc.stdout)
    assert len(lines) == 1, describe(proc)
    result = lines[0]
    assert result["threads"] == 2 and result["batch"] == 3 and result["runs"] == 2, result
    assert result["input"] == [3, 3, 64, 48], result
    assert 0 < result["min_ms"] <= result["median_ms"] <= result["p90_ms"], result


def test_bench_forward_profile_flags(simlay_bin):
    proc = run([simlay_bin, "bench", "forward", "--model", MODEL, "--runs", 1, "--warmup", 1,
                "--profile-shapes", "--no-block-fusion"])
    assert proc.returncode == 0, describe(proc)
    assert "median_ms" in json_lines(proc.stdout)[0]
    profiles = [line for line in proc.stderr.splitlines() if line.startswith("profile: ")]
    assert len(profiles) == 2, describe(proc)  # one per pass: the warm-up and the timed run
    # Shapes in the keys (--profile-shapes), and no fused depthwise block (--no-block-fusion).
    assert "Conv.pointwise[" in profiles[0] and "DepthwiseBlock" not in profiles[0], profiles[0]
    fused = run([simlay_bin, "bench", "forward", "--model", MODEL, "--runs", 1, "--warmup", 1, "--profile"])
    assert fused.returncode == 0, describe(fused)
    assert "DepthwiseBlock" in fused.stderr, describe(fused)


@pytest.mark.parametrize("busy", [0, 1])
def test_bench_forward_script_rows(simlay_bin, busy):
    before = set(os.listdir("/proc")) if os.path.isdir("/proc") else set()
    proc = run([sys.executable, SCRIPTS / "bench_forward.py", "--model", DYNAMIC, "--simlay", simlay_bin, "--quick",
                "--threads", "1,2", "--batches", "1,2", "--busy", busy])
    assert proc.returncode == 0, describe(proc)
    lines = json_lines(proc.stdout)
    rows = [line["row"] for line in lines if "row" in line]
    assert [(r["threads"], r["batch"]) for r in rows] == [(1, 1), (1, 2), (2, 1), (2, 2)], describe(proc)
    for r in rows:
        assert r["busy"] == busy
        assert r["ort_median_ms"] > 0 and r["simlay_median_ms"] > 0, r
        assert r["ratio"] == pytest.approx(r["simlay_median_ms"] / r["ort_median_ms"], rel=1e-2), r
    summary = lines[-1]
    assert summary["busy"] == busy and summary["configs"] == rows, summary
    if before:
        # The spinning processes are children of the script and must not outlive it.
        spinners = [p for p in set(os.listdir("/proc")) - before if p.isdigit()
                    and b"while True: pass" in _cmdline(p)]
        assert not spinners, spinners


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_bench_forward_script_refuses_missing_model(tmp_path):
    proc = run([sys.executable, SCRIPTS / "bench_forward.py", "--model", tmp_path / "nope.onnx", "--quick"])
    assert proc.returncode == 2, describe(proc)
    assert "nope.onnx does not exist" in proc.stderr, describe(proc)
