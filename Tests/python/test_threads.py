"""The engine's own threading (GEMM split by columns or rows, depthwise and pooling split by planes)
must not change results: every layer at --threads 2 equals --threads 1, at batch 1 and batch 3."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import describe, run


@pytest.mark.parametrize("batch", [1, 3])
def test_two_threads_match_one(simlay_bin, default_model, tmp_path, batch):
    x = tmp_path / "x.npy"
    np.save(x, np.random.default_rng(batch).uniform(-1, 1, (batch, 3, 224, 224)).astype(np.float32))
    outs = {}
    for threads in (1, 2):
        out = tmp_path / f"t{threads}"
        proc = run([simlay_bin, "activations", "--model", default_model, "--input-npy", x, "--all-layers",
                    "--threads", threads, "--out", out])
        assert proc.returncode == 0, describe(proc)
        outs[threads] = out
    files = sorted(p.name for p in outs[1].iterdir())
    assert len(files) > 90
    for name in files:
        a, b = np.load(outs[1] / name), np.load(outs[2] / name)
        assert a.shape == b.shape, name
        assert np.abs(a - b).max() <= 1e-5 * max(1.0, np.abs(a).max()), name


@pytest.mark.parametrize("batch", [1, 3])
def test_two_threads_match_one_fused(simlay_bin, default_model, tmp_path, batch):
    """Block outputs only: every expand / depthwise / project chain runs fused (channels-last), with its
    GEMMs, padding and depthwise rows split over the threads."""
    x = tmp_path / "x.npy"
    np.save(x, np.random.default_rng(10 + batch).uniform(-1, 1, (batch, 3, 224, 224)).astype(np.float32))
    layers = [f"blocks.{i}" for i in range(16)] + ["head", "logits"]
    outs = {}
    for threads in (1, 2):
        out = tmp_path / f"t{threads}"
        cmd = [simlay_bin, "activations", "--model", default_model, "--input-npy", x, "--threads", threads, "--out", out]
        for layer in layers:
            cmd += ["--layer", layer]
        proc = run(cmd)
        assert proc.returncode == 0, describe(proc)
        outs[threads] = out
    for layer in layers:
        a, b = np.load(outs[1] / f"{layer}.npy"), np.load(outs[2] / f"{layer}.npy")
        assert a.shape == b.shape, layer
        assert np.abs(a - b).max() <= 1e-5 * max(1.0, np.abs(a).max()), layer
