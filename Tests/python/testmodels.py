"""Small but architecturally real ONNX models for testing the Swift engine against onnxruntime.

The default model (EfficientNet-Lite0) only exercises Conv/Clip/Add/GlobalAveragePool/Gemm. The classic
architectures people load into a similarity tool use more: LRN, ceil-mode pooling, Concat of inception
branches, AveragePool with and without padding counted, Dropout, unfused BatchNormalization, projection
shortcuts. These builders produce such graphs with seeded random weights, so no download is needed and
the expected outputs come from onnxruntime.

Weights are He-initialized (std = sqrt(2 / fan_in)) so activations stay O(1) through the ReLU stacks; a
test that compares against a reference with a relative tolerance is only meaningful if values neither
vanish nor explode. Every node and value has a readable name (``inception3a.b2.conv3x3``...) that the
tests pass as ``--layer``.

Both graphs take ``input`` of shape [N, 3, H, W] with symbolic N, H, W (they end in GlobalAveragePool, so
any input of at least ~32x32 works), use opset 13 and end in a float output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8


class _Builder:
    """Accumulates nodes/initializers with a seeded RNG; each helper returns its output value name."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    # -- parameters ------------------------------------------------------------------------------

    def _param(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def _he(self, shape, fan_in: int) -> np.ndarray:
        return self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)

    # -- layers ----------------------------------------------------------------------------------

    def node(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(self, x: str, name: str, cin: int, cout: int, k: int, stride: int = 1, pad: int = 0,
             bias: bool = True) -> str:
        w = self._param(name + ".weight", self._he((cout, cin, k, k), cin * k * k))
        inputs = [x, w]
        if bias:
            inputs.append(self._param(name + ".bias", self.rng.normal(0.0, 0.1, size=cout)))
        return self.node("Conv", inputs, name, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad] * 4)

    def relu(self, x: str, name: str) -> str:
        return self.node("Relu", [x], name)

    def conv_relu(self, x: str, name: str, cin: int, cout: int, k: int, stride: int = 1,
                  pad: int = 0) -> str:
        return self.relu(self.conv(x, name, cin, cout, k, stride, pad), name + ".relu")

    def bn(self, x: str, name: str, c: int, epsilon: float = 1e-5, gamma_scale: float = 1.0) -> str:
        """Unfused BatchNormalization; the placeholder statistics are replaced by :func:`_calibrate_bn`."""
        gamma = self._param(name + ".scale", gamma_scale * self.rng.uniform(0.5, 1.5, size=c))
        beta = self._param(name + ".bias", self.rng.normal(0.0, 0.2, size=c))
        mean = self._param(name + ".mean", self.rng.normal(0.0, 0.2, size=c))
        var = self._param(name + ".var", self.rng.uniform(0.5, 2.0, size=c))
        return self.node("BatchNormalization", [x, gamma, beta, mean, var], name, epsilon=epsilon)

    def maxpool(self, x: str, name: str, k: int, stride: int, pad: int = 0, ceil: int = 0) -> str:
        return self.node("MaxPool", [x], name, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad] * 4, ceil_mode=ceil)

    def avgpool(self, x: str, name: str, k: int, stride: int, pad: int, count_include_pad: int) -> str:
        return self.node("AveragePool", [x], name, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad] * 4, count_include_pad=count_include_pad)

    def gemm(self, x: str, name: str, cin: int, cout: int) -> str:
        w = self._param(name + ".weight", self.rng.normal(0.0, np.sqrt(1.0 / cin), size=(cout, cin)))
        b = self._param(name + ".bias", self.rng.normal(0.0, 0.1, size=cout))
        return self.node("Gemm", [x, w, b], name, transB=1)

    def model(self, graph_name: str, output: str, out_shape: list) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, graph_name,
            inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
            outputs=[helper.make_tensor_value_info(output, TensorProto.FLOAT, out_shape)],
            initializer=self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, producer_name="simlay/Tests/python/testmodels.py")
        onnx.checker.check_model(m, full_check=True)
        return m


def _inception(b: _Builder, x: str, name: str, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int,
               cp: int) -> tuple[str, int]:
    """GoogLeNet inception module: 1x1 | 1x1->3x3 | 1x1->5x5 | maxpool 3x3/1 pad 1 -> 1x1, Concat axis 1."""
    b1 = b.conv_relu(x, f"{name}.b1.conv1x1", cin, c1, 1)
    b2 = b.conv_relu(b.conv_relu(x, f"{name}.b2.reduce", cin, c3r, 1), f"{name}.b2.conv3x3", c3r, c3, 3, pad=1)
    b3 = b.conv_relu(b.conv_relu(x, f"{name}.b3.reduce", cin, c5r, 1), f"{name}.b3.conv5x5", c5r, c5, 5, pad=2)
    b4 = b.conv_relu(b.maxpool(x, f"{name}.b4.pool", 3, 1, pad=1), f"{name}.b4.proj", cin, cp, 1)
    return b.node("Concat", [b1, b2, b3, b4], name, axis=1), c1 + c3 + c5 + cp


def googlenet_like(seed: int = 1) -> onnx.ModelProto:
    """A narrow GoogLeNet (Inception v1) stem + two inception modules + pooled classifier.

    Covers: Conv 7x7/2 + Relu, MaxPool 3x3/2 with ceil_mode=1 (twice; with symbolic H/W the ceil
    matters for sizes where (size - 3) is odd), LRN size 5, Conv 1x1 and 3x3, Concat on channels,
    AveragePool 3x3 with count_include_pad=1 *and* =0 (padded borders must differ), GlobalAveragePool,
    Dropout (identity at inference), Flatten, Gemm and Softmax. The first LRN has GoogLeNet's real
    parameters (alpha 1e-4, beta 0.75, bias 1), which barely change O(1) activations; the second uses
    exaggerated ones (alpha 0.2, beta 0.6, bias 2) so that a wrong LRN formula (e.g. alpha not divided
    by size, or a wrong window) exceeds the comparison tolerance.
    """
    b = _Builder(seed)
    x = b.conv_relu("input", "conv1", 3, 16, 7, stride=2, pad=3)
    x = b.maxpool(x, "pool1", 3, 2, ceil=1)
    x = b.node("LRN", [x], "norm1", size=5, alpha=1e-4, beta=0.75, bias=1.0)
    x = b.conv_relu(x, "conv2.reduce", 16, 16, 1)
    x = b.conv_relu(x, "conv2", 16, 48, 3, pad=1)
    x = b.node("LRN", [x], "norm2", size=5, alpha=0.2, beta=0.6, bias=2.0)
    x = b.maxpool(x, "pool2", 3, 2, ceil=1)
    x, c = _inception(b, x, "inception3a", 48, 16, 16, 24, 4, 8, 8)
    x, c = _inception(b, x, "inception3b", c, 24, 24, 32, 8, 12, 12)
    x = b.avgpool(x, "pool3.avg_incl", 3, 2, pad=1, count_include_pad=1)
    x = b.avgpool(x, "pool3.avg_excl", 3, 1, pad=1, count_include_pad=0)
    x = b.node("GlobalAveragePool", [x], "pool4")
    x = b.node("Dropout", [x], "drop")
    x = b.node("Flatten", [x], "flatten", axis=1)
    x = b.gemm(x, "fc", c, 10)
    b.node("Softmax", [x], "prob", axis=1)
    return b.model("googlenet_like", "prob", ["N", 10])


def _basic_block(b: _Builder, x: str, name: str, cin: int, cout: int, stride: int,
                 epsilon: float = 1e-5) -> str:
    """ResNet basic block: Conv3x3-BN-Relu-Conv3x3-BN, + identity or 1x1 strided projection + BN, Relu."""
    y = b.relu(b.bn(b.conv(x, f"{name}.conv1", cin, cout, 3, stride, 1, bias=False), f"{name}.bn1", cout,
                    epsilon), f"{name}.relu1")
    # gamma_scale < 1 on the last BN keeps the residual sum from growing block after block.
    y = b.bn(b.conv(y, f"{name}.conv2", cout, cout, 3, 1, 1, bias=False), f"{name}.bn2", cout, epsilon,
             gamma_scale=0.5)
    if stride != 1 or cin != cout:
        x = b.bn(b.conv(x, f"{name}.downsample.conv", cin, cout, 1, stride, 0, bias=False),
                 f"{name}.downsample.bn", cout, epsilon)
    return b.relu(b.node("Add", [y, x], f"{name}.add"), name)


def resnet_like(seed: int = 2) -> onnx.ModelProto:
    """A narrow ResNet-18-style network: stem, four basic blocks (two with projection shortcuts), FC.

    Covers: bias-free Conv 7x7/2, unfused BatchNormalization (random gamma/beta, running statistics
    near the measured ones, see :func:`_calibrate_bn`; one block uses epsilon 1e-3 so the attribute
    is not ignored), Relu, MaxPool 3x3/2 pad 1, residual Add with identity
    and with a 1x1 stride-2 projection + BN, GlobalAveragePool, Flatten, Gemm (logits output).
    """
    b = _Builder(seed)
    x = b.conv("input", "conv1", 3, 16, 7, stride=2, pad=3, bias=False)
    x = b.relu(b.bn(x, "bn1", 16), "relu1")
    x = b.maxpool(x, "maxpool", 3, 2, pad=1)
    x = _basic_block(b, x, "layer1.0", 16, 16, 1)
    x = _basic_block(b, x, "layer2.0", 16, 32, 2)
    x = _basic_block(b, x, "layer2.1", 32, 32, 1, epsilon=1e-3)
    x = _basic_block(b, x, "layer3.0", 32, 64, 2)
    x = b.node("GlobalAveragePool", [x], "avgpool")
    x = b.node("Flatten", [x], "flatten", axis=1)
    b.gemm(x, "fc", 64, 10)
    return _calibrate_bn(b.model("resnet_like", "fc", ["N", 10]), b.rng)


def _inverted_bottleneck(b: _Builder, x: str, name: str, cin: int, mid: int, cout: int, k: int, stride: int,
                         act: str = "clip") -> str:
    """MobileNetV2 block: 1x1 expand + activation, kxk depthwise (group = mid) + activation, 1x1 project,
    residual Add when shapes allow. The engine fuses the three convolutions (channels-last in between)."""
    def activation(v: str, n: str) -> str:
        if act == "relu":
            return b.relu(v, n)
        return b.node("Clip", [v, b._param(n + ".min", np.array(0.0)), b._param(n + ".max", np.array(6.0))], n)

    e = activation(b.conv(x, f"{name}.expand.conv", cin, mid, 1), f"{name}.expand")
    w = b._param(f"{name}.dw.conv.weight", b._he((mid, 1, k, k), k * k))
    bias = b._param(f"{name}.dw.conv.bias", b.rng.normal(0.0, 0.1, size=mid))
    d = b.node("Conv", [e, w, bias], f"{name}.dw.conv", kernel_shape=[k, k], strides=[stride, stride],
               pads=[k // 2] * 4, group=mid)
    d = activation(d, f"{name}.dw")
    p = b.conv(d, f"{name}.project", mid, cout, 1, bias=(act == "clip"))
    if stride == 1 and cin == cout:
        return b.node("Add", [p, x], name)
    return b.node("Identity", [p], name)


def mobilenet_like(seed: int = 3) -> onnx.ModelProto:
    """Inverted bottlenecks with odd channel counts (13, 124, 77, 21...), 3x3 and 5x5 depthwise, strides 1
    and 2, Relu and Clip activations, with and without a projection bias, residual Adds; then global pool
    and a classifier. Exercises the engine's fused expand / depthwise / project path at sizes no real
    network has.
    """
    b = _Builder(seed)
    x = b.relu(b.conv("input", "stem", 3, 13, 3, stride=2, pad=1), "stem.relu")
    x = _inverted_bottleneck(b, x, "blocks.0", 13, 124, 13, 3, 1)
    x = _inverted_bottleneck(b, x, "blocks.1", 13, 77, 21, 5, 2, act="relu")
    x = _inverted_bottleneck(b, x, "blocks.2", 21, 130, 21, 3, 1)
    x = _inverted_bottleneck(b, x, "blocks.3", 21, 96, 29, 5, 2)
    x = b.node("GlobalAveragePool", [x], "avgpool")
    x = b.node("Flatten", [x], "flatten", axis=1)
    b.gemm(x, "fc", 29, 10)
    return b.model("mobilenet_like", "fc", ["N", 10])


def _calibrate_bn(model: onnx.ModelProto, rng: np.random.Generator) -> onnx.ModelProto:
    """Give every BatchNormalization running statistics close to (not equal to) the real ones.

    Purely random mean/var do not normalize anything: with He-initialized convs, maxpool and residual
    sums the activations drift to O(10..50) by the last block. So, in graph order, each BN's input is
    measured with onnxruntime on a seeded random batch and its running mean/var are set to the measured
    per-channel values, perturbed (mean + N(0, 0.1) std, var x U(0.7, 1.4)) so the BN still does a
    non-trivial affine transform. Later BNs are measured after earlier ones are calibrated.
    """
    import onnxruntime as ort  # only needed here; the test environment has it anyway

    x = np.random.default_rng(1234).normal(size=(2, 3, 96, 96)).astype(np.float32)
    inits = {t.name: t for t in model.graph.initializer}
    for node in [n for n in model.graph.node if n.op_type == "BatchNormalization"]:
        probe = onnx.ModelProto()
        probe.CopyFrom(model)
        del probe.graph.output[:]
        probe.graph.output.append(helper.make_tensor_value_info(node.input[0], TensorProto.FLOAT, None))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(probe.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        y = sess.run(None, {"input": x})[0].astype(np.float64)
        mean, var = y.mean(axis=(0, 2, 3)), y.var(axis=(0, 2, 3)) + 1e-3
        mean = mean + rng.normal(0.0, 0.1, size=mean.shape) * np.sqrt(var)
        var = var * rng.uniform(0.7, 1.4, size=var.shape)
        for name, value in ((node.input[3], mean), (node.input[4], var)):
            inits[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))
    return model



def tokens_like(seed: int = 4) -> onnx.ModelProto:
    """A tiny vision transformer front end on a fixed 1x3x64x80 input, with every grid layout Simlay reads.

    Patch embedding Conv 8x8/8 (NCHW, 8x10 cells of 24 channels), flattened and transposed to patch
    tokens [1, 80, 24] (tokens+0), a class token and two register tokens concatenated in front
    [1, 83, 24] (tokens+3) plus a position embedding, a residual token MLP (MatMul over the last axis),
    the patch tokens sliced out again and reshaped channels-last [1, 8, 10, 24] (NHWC) with a per-cell
    linear map, and back to NCHW for the pooled classifier. Non-square on purpose, so that a swapped
    height and width cannot pass. Also an attention-like [1, 2, 83, 83] tensor that must not be a grid.
    """
    b = _Builder(seed)
    d, gh, gw, prefix = 24, 8, 10, 3
    t = gh * gw + prefix
    x = b.conv("input", "patch_embed", 3, d, 8, stride=8)
    shape = lambda name, v: b._param(name, np.array(v, dtype=np.float32))  # noqa: E731
    b.inits.append(numpy_helper.from_array(np.array([1, d, gh * gw], dtype=np.int64), "shape.flat"))
    x = b.node("Reshape", [x, "shape.flat"], "patch_embed.flat")
    x = b.node("Transpose", [x], "tokens.patches", perm=[0, 2, 1])
    prefix_tokens = shape("tokens.prefix", b.rng.normal(0.0, 1.0, size=(1, prefix, d)))
    x = b.node("Concat", [prefix_tokens, x], "tokens.cat", axis=1)
    x = b.node("Add", [x, shape("tokens.pos", b.rng.normal(0.0, 0.5, size=(1, t, d)))], "tokens.pos_added")
    w1 = shape("block0.fc.weight", b.rng.normal(0.0, np.sqrt(2.0 / d), size=(d, d)))
    h = b.node("MatMul", [x, w1], "block0.fc")
    h = b.node("Add", [h, shape("block0.fc.bias", b.rng.normal(0.0, 0.1, size=d))], "block0.fc_bias")
    h = b.relu(h, "block0.act")
    x = b.node("Add", [x, h], "block0")
    # Attention-like scores [1, 2, T, T]: tokens against themselves, two "heads" (a constant scale each).
    scores = b.node("MatMul", [x, b.node("Transpose", [x], "block0.keys", perm=[0, 2, 1])], "attn.scores3")
    b.inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axes.1"))
    scores = b.node("Unsqueeze", [scores, "axes.1"], "attn.scores4")
    scores = b.node("Mul", [scores, shape("attn.scale", np.array([0.1, 0.2]).reshape(1, 2, 1, 1))], "attn.scores")
    for name, v in [("slice.start", [prefix]), ("slice.end", [t]), ("slice.axes", [1])]:
        b.inits.append(numpy_helper.from_array(np.array(v, dtype=np.int64), name))
    x = b.node("Slice", [x, "slice.start", "slice.end", "slice.axes"], "tokens.grid")
    b.inits.append(numpy_helper.from_array(np.array([1, gh, gw, d], dtype=np.int64), "shape.nhwc"))
    x = b.node("Reshape", [x, "shape.nhwc"], "stage.nhwc")
    w2 = shape("stage.fc.weight", b.rng.normal(0.0, np.sqrt(2.0 / d), size=(d, d)))
    x = b.relu(b.node("MatMul", [x, w2], "stage.fc"), "stage.act")
    x = b.node("Transpose", [x], "stage.nchw", perm=[0, 3, 1, 2])
    x = b.node("GlobalAveragePool", [x], "pool")
    x = b.node("Flatten", [x], "flatten", axis=1)
    x = b.gemm(x, "fc", d, 10)
    graph = helper.make_graph(
        b.nodes, "tokens_like",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 64, 80])],
        outputs=[helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 10]),
                 helper.make_tensor_value_info(scores, TensorProto.FLOAT, [1, 2, t, t])],
        initializer=b.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
                          producer_name="simlay/Tests/python/testmodels.py")
    onnx.checker.check_model(m, full_check=True)
    return m

def save(model: onnx.ModelProto, path) -> Path:
    """Check and write ``model`` to ``path`` (parent directories are created); returns the path."""
    path = Path(path)
    onnx.checker.check_model(model, full_check=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


BUILDERS = {"googlenet_like": googlenet_like, "resnet_like": resnet_like, "mobilenet_like": mobilenet_like}
