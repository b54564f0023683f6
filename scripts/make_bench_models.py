#!/usr/bin/env python3
"""Full-size benchmark models beyond the default one, built with onnx.helper (random weights, no torch).

Issue 11 asks for parity with ONNX Runtime on every architecture, not only EfficientNet-Lite0. The committed
fixtures (``Tests/Fixtures/models/``) are torchvision's models at reduced width, for correctness; speed needs
the real shapes. This script writes three ONNX files with torchvision's layer configurations (channel
counts, kernels, strides, squeeze-excite placement) and the operator patterns its legacy exporter emits,
batch-norm folded into the convolutions' biases (what the exporter does in eval mode):

* ``efficientnet_b0.onnx``: SiLU as ``Mul(x, Sigmoid(x))``, squeeze-excite (GlobalAveragePool, two 1x1
  convolutions, Sigmoid, Mul), MBConv blocks with 3x3 and 5x5 depthwise convolutions, residual Adds;
* ``mobilenet_v3_large.onnx``: HardSwish and Relu, squeeze-excite gated by HardSigmoid (alpha 1/6),
  two fully connected layers;
* ``resnet18.onnx``: 3x3 convolutions, Relu, MaxPool, residual Adds, a fully connected layer;
* ``efficientnet_lite0.onnx``: the default model's architecture (B0's blocks, ReLU6 as Clip, no
  squeeze-excite), for machines where the converted default model is not at hand.

The batch dimension is symbolic (``N``), the image 224x224. Weights are seeded He-normal (residual branches
scaled down) so activations stay O(1) through the depth: no overflow, no denormals, which would distort a
timing. The files go to a gitignored directory (default ``models/bench/``); they are 5-45 MB and never
committed.

Usage::

    python3 scripts/make_bench_models.py [--out models/bench] [--seed 0]
    python3 scripts/bench_forward.py --model models/bench/efficientnet_b0.onnx
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
OPSET = 17


class Builder:
    """Appends nodes and initializers; every helper returns the name of the tensor it produced."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, prefix: str, array: np.ndarray) -> str:
        n = self.name(prefix)
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), n))
        return n

    def node(self, op: str, inputs: list[str], prefix: str, **attrs) -> str:
        out = self.name(prefix)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int = 1, group: int = 1, gain: float = 1.0) -> str:
        fan_in = cin // group * k * k
        w = self.rng.standard_normal((cout, cin // group, k, k)) * gain * math.sqrt(2.0 / fan_in)
        b = self.rng.uniform(-0.1, 0.1, cout)
        return self.node("Conv", [x, self.const("w", w), self.const("b", b)], "conv", kernel_shape=[k, k],
                         strides=[stride, stride], pads=[k // 2] * 4, group=group)

    def fc(self, x: str, cin: int, cout: int) -> str:
        w = self.rng.standard_normal((cout, cin)) * math.sqrt(1.0 / cin)
        b = self.rng.uniform(-0.1, 0.1, cout)
        return self.node("Gemm", [x, self.const("fc_w", w), self.const("fc_b", b)], "fc", transB=1)

    def silu(self, x: str) -> str:
        return self.node("Mul", [x, self.node("Sigmoid", [x], "sigmoid")], "silu")

    def act(self, x: str, kind: str) -> str:
        if kind == "silu":
            return self.silu(x)
        if kind == "relu6":
            return self.node("Clip", [x, self.const("lo", np.array(0.0)), self.const("hi", np.array(6.0))], "relu6")
        return self.node({"relu": "Relu", "hardswish": "HardSwish"}[kind], [x], kind)

    def squeeze_excite(self, x: str, channels: int, squeezed: int, inner: str, gate: str) -> str:
        s = self.node("GlobalAveragePool", [x], "gap")
        s = self.act(self.conv(s, channels, squeezed, 1), inner)
        s = self.conv(s, squeezed, channels, 1)
        if gate == "sigmoid":
            s = self.node("Sigmoid", [s], "gate")
        else:
            s = self.node("HardSigmoid", [s], "gate", alpha=1.0 / 6.0, beta=0.5)
        return self.node("Mul", [x, s], "se")

    def head(self, x: str, channels: int, hidden: list[int]) -> str:
        x = self.node("Flatten", [self.node("GlobalAveragePool", [x], "gap")], "flatten", axis=1)
        for i, width in enumerate(hidden):
            x = self.fc(x, channels, width)
            if i + 1 < len(hidden):
                x = self.node("HardSwish", [x], "hardswish")
            channels = width
        return x


def divisible(v: float, d: int = 8) -> int:
    """torchvision's _make_divisible: round to a multiple of d, never more than 10% down."""
    n = max(d, int(v + d / 2) // d * d)
    return n + d if n < 0.9 * v else n


def efficientnet_b0(b: Builder, lite: bool = False) -> tuple[str, str]:
    act = "relu6" if lite else "silu"
    x = b.act(b.conv("input", 3, 32, 3, 2), act)
    cin = 32
    # (expand ratio, kernel, stride, out channels, repeats): torchvision's efficientnet_b0.
    for expand, k, stride, cout, repeats in [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
                                             (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]:
        for r in range(repeats):
            s = stride if r == 0 else 1
            mid = cin * expand
            y = b.act(b.conv(x, cin, mid, 1), act) if expand != 1 else x
            y = b.act(b.conv(y, mid, mid, k, s, group=mid), act)
            if not lite:
                y = b.squeeze_excite(y, mid, max(1, cin // 4), "silu", "sigmoid")
            y = b.conv(y, mid, cout, 1, gain=0.5 if s == 1 and cin == cout else 1.0)
            x = b.node("Add", [x, y], "add") if s == 1 and cin == cout else y
            cin = cout
    x = b.act(b.conv(x, cin, 1280, 1), act)
    return "input", b.head(x, 1280, [1000])


def efficientnet_lite0(b: Builder) -> tuple[str, str]:
    """The default model's architecture (EfficientNet-B0's blocks with ReLU6 and no squeeze-excite)."""
    return efficientnet_b0(b, lite=True)


def mobilenet_v3_large(b: Builder) -> tuple[str, str]:
    x = b.act(b.conv("input", 3, 16, 3, 2), "hardswish")
    cin = 16
    # (kernel, expanded, out, squeeze-excite, activation, stride): torchvision's mobilenet_v3_large.
    for k, mid, cout, se, act, stride in [
        (3, 16, 16, False, "relu", 1), (3, 64, 24, False, "relu", 2), (3, 72, 24, False, "relu", 1),
        (5, 72, 40, True, "relu", 2), (5, 120, 40, True, "relu", 1), (5, 120, 40, True, "relu", 1),
        (3, 240, 80, False, "hardswish", 2), (3, 200, 80, False, "hardswish", 1),
        (3, 184, 80, False, "hardswish", 1), (3, 184, 80, False, "hardswish", 1),
        (3, 480, 112, True, "hardswish", 1), (3, 672, 112, True, "hardswish", 1),
        (5, 672, 160, True, "hardswish", 2), (5, 960, 160, True, "hardswish", 1),
        (5, 960, 160, True, "hardswish", 1),
    ]:
        y = b.act(b.conv(x, cin, mid, 1), act) if mid != cin else x
        y = b.act(b.conv(y, mid, mid, k, stride, group=mid), act)
        if se:
            y = b.squeeze_excite(y, mid, divisible(mid / 4), "relu", "hardsigmoid")
        residual = stride == 1 and cin == cout
        y = b.conv(y, mid, cout, 1, gain=0.5 if residual else 1.0)
        x = b.node("Add", [x, y], "add") if residual else y
        cin = cout
    x = b.act(b.conv(x, cin, 960, 1), "hardswish")
    return "input", b.head(x, 960, [1280, 1000])


def resnet18(b: Builder) -> tuple[str, str]:
    x = b.node("Relu", [b.conv("input", 3, 64, 7, 2)], "relu")
    x = b.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        for r in range(2):
            s = stride if r == 0 else 1
            y = b.node("Relu", [b.conv(x, cin, cout, 3, s)], "relu")
            y = b.conv(y, cout, cout, 3, 1, gain=0.5)
            shortcut = x if s == 1 and cin == cout else b.conv(x, cin, cout, 1, s)
            x = b.node("Relu", [b.node("Add", [shortcut, y], "add")], "relu")
            cin = cout
    return "input", b.head(x, 512, [1000])


MODELS = {"efficientnet_lite0": efficientnet_lite0, "efficientnet_b0": efficientnet_b0, "mobilenet_v3_large": mobilenet_v3_large, "resnet18": resnet18}


def build(arch: str, seed: int) -> onnx.ModelProto:
    b = Builder(seed)
    inp, out = MODELS[arch](b)
    graph = helper.make_graph(
        b.nodes, arch, [helper.make_tensor_value_info(inp, TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", 1000])], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="simlay-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "models" / "bench")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for arch in args.only.split(","):
        model = build(arch, args.seed)
        path = args.out / f"{arch}.onnx"
        onnx.save(model, str(path))
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB  {len(model.graph.node)} nodes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
