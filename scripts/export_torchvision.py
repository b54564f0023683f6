#!/usr/bin/env python3
"""Exports torchvision's classifiers at full size with random weights, with both PyTorch exporters, for
checking Simlay on the models users bring and for benchmarks (scripts/bench_zoo.sh). Needs torch,
torchvision, onnx and onnxscript (not in the test virtualenv: CI uses the small committed fixtures).

For each architecture it writes OUT/ARCH-dynamo.onnx (``torch.onnx.export(..., dynamo=True)``, its
default opset) and OUT/ARCH-legacy17.onnx (``dynamo=False, opset_version=17``); ``--opsets 11,13`` adds
legacy exports at those opsets. vit_b_16 is exported by the legacy exporter outside ``torch.no_grad()``
(inside it, PyTorch's fused attention has no ONNX form). Weights are seeded random (no download).

Usage::

    python scripts/export_torchvision.py OUT [--arch resnet50,vit_b_16] [--opsets 11,13]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

ARCHS = ["resnet18", "resnet50", "googlenet", "inception_v3", "vgg16", "alexnet", "squeezenet1_1",
         "densenet121", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0",
         "regnet_y_400mf", "mnasnet1_0", "convnext_tiny", "vit_b_16", "swin_t"]


def build(arch: str):
    import torch
    import torchvision

    torch.manual_seed(0)
    kwargs = {"weights": None}
    if arch in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=True)
    model = getattr(torchvision.models, arch)(**kwargs).eval()
    size = 299 if arch == "inception_v3" else 224
    return model, torch.randn(1, 3, size, size)


def export(arch: str, out: Path, exporter: str, opset: int | None) -> Path:
    import torch

    model, x = build(arch)
    path = out / (f"{arch}-dynamo.onnx" if exporter == "dynamo" else f"{arch}-legacy{opset}.onnx")
    # The legacy exporter traces; with no_grad the transformers' fused attention has no ONNX form.
    grad = contextlib.nullcontext() if arch.startswith("vit") or exporter == "dynamo" else torch.no_grad()
    with grad:
        if exporter == "dynamo":
            torch.onnx.export(model, (x,), str(path), dynamo=True, input_names=["input"], output_names=["logits"],
                              external_data=False)
        else:
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=opset, input_names=["input"],
                              output_names=["logits"])
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--arch", default=",".join(ARCHS))
    ap.add_argument("--opsets", default="", help="extra legacy-exporter opsets, comma-separated")
    ap.add_argument("--no-dynamo", action="store_true")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for arch in args.arch.split(","):
        if not args.no_dynamo:
            jobs.append((arch, "dynamo", None))
        jobs.append((arch, "legacy", 17))
        jobs += [(arch, "legacy", int(o)) for o in args.opsets.split(",") if o]
    failed = 0
    for arch, exporter, opset in jobs:
        try:
            print(export(arch, args.out, exporter, opset), flush=True)
        except Exception as e:  # an exporter that cannot produce this combination: say so, go on
            failed += 1
            print(f"{arch} {exporter} {opset or ''}: export failed: {type(e).__name__}: {str(e)[:300]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
