"""Element-wise activations against ONNX Runtime, fused into convolutions and on their own (issue 11, item 3).

The engine runs Sigmoid, SiLU (``Mul(x, Sigmoid(x))``, either operand order), HardSwish, HardSigmoid,
Gelu (erf and tanh forms), LeakyRelu and Relu with vectorised kernels (a fast exp with max relative error
1.2e-7, erf to 5e-7), folds each into the epilogue of the convolution that produces its input (standard,
1x1 and depthwise convolutions, and the expand/depthwise/project blocks), and splits large tensors over
its pool. Each small graph here (odd sizes: 13 and 24 channels, 9x11 and 124x41 planes) runs through
``simlay activations`` twice:

* keeping only the graph output, so every fusion applies, and
* keeping every intermediate (the pre-activation convolution outputs included), so nothing is fused,

both at two threads (the pool's chunked path), and each kept tensor must satisfy

    max|ours - ORT| <= 1e-5 * max(1, max|ORT|)

ten times tighter than the model-zoo tolerance (1e-4 of the scale), since these graphs are shallow: the
differences are the GEMM's summation order (~1e-6 relative) and the approximations above.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import describe, load_script, run

TOL = 1e-5
OPSET = 20  # Gelu is an opset-20 operator


class Graph:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []

    def node(self, op, inputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(self, x, name, cin, cout, k, group=1, stride=1):
        w = self.rng.normal(0, np.sqrt(2.0 / (cin // group * k * k)), (cout, cin // group, k, k))
        b = self.rng.normal(0, 0.3, cout)
        self.inits += [numpy_helper.from_array(w.astype(np.float32), name + ".w"),
                       numpy_helper.from_array(b.astype(np.float32), name + ".b")]
        return self.node("Conv", [x, name + ".w", name + ".b"], name, kernel_shape=[k, k], pads=[k // 2] * 4,
                         group=group, strides=[stride, stride])

    def act(self, x, kind, name):
        if kind == "silu":
            return self.node("Mul", [x, self.node("Sigmoid", [x], name + ".sig")], name)
        if kind == "silu_swapped":
            return self.node("Mul", [self.node("Sigmoid", [x], name + ".sig"), x], name)
        if kind == "gelu_tanh":
            return self.node("Gelu", [x], name, approximate="tanh")
        if kind == "hardsigmoid":
            return self.node("HardSigmoid", [x], name, alpha=1.0 / 6.0, beta=0.5)
        if kind == "leakyrelu":
            return self.node("LeakyRelu", [x], name, alpha=0.1)
        op = {"sigmoid": "Sigmoid", "hardswish": "HardSwish", "gelu": "Gelu", "relu": "Relu"}[kind]
        return self.node(op, [x], name)

    def save(self, path, out, size):
        g = helper.make_graph(self.nodes, "acts", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                                  [1, 3, *size])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 9
        onnx.save(m, str(path))


KINDS = ["sigmoid", "silu", "silu_swapped", "hardswish", "hardsigmoid", "gelu", "gelu_tanh", "leakyrelu", "relu"]


def conv_chain(path, kind):
    """3x3 conv -> f -> 1x1 conv -> f -> depthwise 3x3 -> f -> strided 3x3 conv -> f."""
    g = Graph(1)
    x = g.act(g.conv("input", "c1", 3, 13, 3), kind, "a1")
    x = g.act(g.conv(x, "c2", 13, 24, 1), kind, "a2")
    x = g.act(g.conv(x, "c3", 24, 24, 3, group=24), kind, "a3")
    x = g.act(g.conv(x, "c4", 24, 16, 3, stride=2), kind, "a4")
    g.save(path, x, (9, 11))


def block(path, kind):
    """The inverted bottleneck the engine runs as one channels-last step: expand -> f -> depthwise -> f -> project."""
    g = Graph(2)
    x = g.conv("input", "stem", 3, 13, 3)
    y = g.act(g.conv(x, "expand", 13, 48, 1), kind, "e")
    y = g.act(g.conv(y, "dw", 48, 48, 5, group=48), kind, "d")
    y = g.conv(y, "project", 48, 13, 1)
    g.save(path, g.node("Add", [x, y], "out"), (13, 17))


def standalone(path, kind):
    """The function on a tensor no convolution produces (an Add's output), large enough to split."""
    g = Graph(3)
    x = g.conv("input", "c", 3, 13, 3)
    s = g.node("Add", [x, x], "twice")
    g.save(path, g.act(s, kind, "f"), (124, 41))


def compare(simlay_bin, model, tmp_path, keep_all):
    ort_dump = load_script("ort_dump")
    x = np.random.default_rng(0).uniform(-2, 2, (1, 3) + tuple(
        d.dim_value for d in onnx.load(str(model)).graph.input[0].type.tensor_type.shape.dim[2:])).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    ref = dict(ort_dump.run(model, {"input": x}))
    out_name = onnx.load(str(model)).graph.output[0].name
    names = [n for n in ref if n != "input"] if keep_all else [out_name]
    out = tmp_path / ("all" if keep_all else "fused")
    cmd = [simlay_bin, "activations", "--model", model, "--input-npy", tmp_path / "x.npy", "--out", out,
           "--threads", 2]
    for n in names:
        cmd += ["--layer", n]
    proc = run(cmd)
    assert proc.returncode == 0, describe(proc)
    worst = []
    for n in names:
        ours = np.load(out / (ort_dump.file_name_for(n)))
        want = ref[n]
        assert ours.shape == want.shape, (n, ours.shape, want.shape)
        err = float(np.abs(ours.astype(np.float64) - want).max())
        scale = max(1.0, float(np.abs(want).max()))
        worst.append((err / scale, n))
    bad = [w for w in worst if w[0] > TOL]
    assert not bad, f"{model.name} ({'unfused' if keep_all else 'fused'}): {sorted(worst, reverse=True)[:5]}"


@pytest.mark.parametrize("keep_all", [False, True], ids=["fused", "unfused"])
@pytest.mark.parametrize("kind", KINDS)
def test_conv_chain_matches_ort(simlay_bin, tmp_path, kind, keep_all):
    model = tmp_path / f"chain_{kind}.onnx"
    conv_chain(model, kind)
    compare(simlay_bin, model, tmp_path, keep_all)


@pytest.mark.parametrize("keep_all", [False, True], ids=["fused", "unfused"])
@pytest.mark.parametrize("kind", ["hardswish", "silu", "sigmoid", "gelu", "relu"])
def test_block_matches_ort(simlay_bin, tmp_path, kind, keep_all):
    model = tmp_path / f"block_{kind}.onnx"
    block(model, kind)
    compare(simlay_bin, model, tmp_path, keep_all)


@pytest.mark.parametrize("kind", KINDS)
def test_standalone_matches_ort(simlay_bin, tmp_path, kind):
    model = tmp_path / f"alone_{kind}.onnx"
    standalone(model, kind)
    compare(simlay_bin, model, tmp_path, False)


def squeeze_excite(path, size):
    """Global average pooling and the per-plane Add and Mul that follow it in squeeze-and-excitation
    blocks: planes of `size` (odd, partly off the pooling kernel's 256-cell blocks), the per-plane operand
    on either side, one value per channel and one for all."""
    g = Graph(4)
    x = g.conv("input", "c", 3, 13, 3)
    pooled = g.node("GlobalAveragePool", [x], "pooled")
    scaled = g.node("Mul", [x, g.node("Sigmoid", [pooled], "gate")], "scaled")
    scaled = g.node("Mul", [pooled, scaled], "scaled_again")
    bias = g.rng.normal(0, 1, (1, 13, 1, 1)).astype(np.float32)
    g.inits += [numpy_helper.from_array(bias, "bias"), numpy_helper.from_array(np.float32([[[[0.5]]]]), "half")]
    shifted = g.node("Add", ["bias", scaled], "shifted")
    g.save(path, g.node("Add", [shifted, "half"], "out"), size)


@pytest.mark.parametrize("size", [(124, 41), (3, 5), (257, 1)], ids=["124x41", "3x5", "257x1"])
def test_squeeze_excite_matches_ort(simlay_bin, tmp_path, size):
    model = tmp_path / "se.onnx"
    squeeze_excite(model, size)
    compare(simlay_bin, model, tmp_path, True)
