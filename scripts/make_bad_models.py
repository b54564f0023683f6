#!/usr/bin/env python3
"""Writes crafted bad ONNX files (and a few valid ones) into OUTDIR, for the tests that check that no model
file can crash the daemon or the CLI (Tests/python/test_bad_models.py).

    python3 scripts/make_bad_models.py OUTDIR

Each bad file is refused with INVALID_ARGUMENT (daemon) / exit 1 (CLI) and a one-line message containing
the words in ``BAD[name]``. The files are made at test time with numpy and onnx only (no torch), and never
committed: several declare tensors of terabytes that a careless loader would try to allocate.

Valid files: ``valid.onnx`` (a small Conv + Relu network, 3x32x32 input), ``symbolic.onnx`` (the same with
a symbolic input height and width, which needs an input size from its user) and ``identity_chain.onnx``
(20000 Identity nodes in reverse file order: loading must be linear in the graph's size).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
BIG = 1 << 40

# name -> words the refusal's message must contain (case-insensitive)
BAD: dict[str, list[str]] = {
    "not_onnx": ["not a valid ONNX model"],
    "png_bytes": ["not a valid ONNX model"],
    "empty": ["no graph"],
    "truncated": ["not a valid ONNX model"],
    "cyclic": ["cycle", "loop_a"],
    "undefined_input": ["ghost"],
    "duplicate_output": ["written by two nodes", "y"],
    "overflow_initializer": ["w_overflow", "exceeds the limit"],
    "huge_initializer": ["w_huge", "exceeds the limit"],
    "negative_dim": ["w_negative", "negative dimension"],
    "raw_size_mismatch": ["w_short", "bytes of raw data"],
    "external_data": ["w_external", "external"],
    "conv_pads": ["conv_pads", "pads", "limit"],
    "conv_strides": ["conv_strides", "strides", "limit"],
    "conv_kernel_shape": ["conv_kernel", "kernel_shape", "limit"],
    "pad_pads": ["pad_big", "limit"],
    "huge_input": ["100000x100000", "16384"],
    "reshape_overflow": ["reshape_big", "cannot be reshaped"],
    "unsqueeze_duplicate_axes": ["unsq", "axes"],
    "no_input": ["no input"],
}


def _model(nodes, inputs, outputs, initializers=(), opset=OPSET) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_bad_models")
    model.ir_version = 8
    return model


def _x(h=32, w=32, name="x"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 3, h, w])


def _y(name="y"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, None)


def valid_model(symbolic: bool = False) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.2, "w")
    b = numpy_helper.from_array(rng.standard_normal(8).astype(np.float32) * 0.1, "b")
    x = (helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "height", "width"]) if symbolic else _x())
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["conv"], name="conv", pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["conv"], ["y"], name="relu")]
    return _model(nodes, [x], [_y()], [w, b])


def identity_chain(n: int = 20000) -> onnx.ModelProto:
    """n Identity nodes after a Relu, listed in reverse order (an order-preserving sort that rescans the
    pending nodes each pass would be quadratic on it)."""
    nodes = [helper.make_node("Relu", ["x"], ["t0"], name="relu")]
    nodes += [helper.make_node("Identity", [f"t{i}"], [f"t{i + 1}"], name=f"id{i}") for i in range(n)]
    nodes = [nodes[0]] + nodes[:0:-1]
    return _model(nodes, [_x()], [helper.make_tensor_value_info(f"t{n}", TensorProto.FLOAT, None)])


def _conv(name: str, **attrs) -> onnx.ModelProto:
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    return _model([helper.make_node("Conv", ["x", "w"], ["y"], name=name, **attrs)], [_x()], [_y()], [w])


def _declared(name: str, dims: list[int]) -> TensorProto:
    """A float TensorProto declaring ``dims`` with no data (onnx.helper refuses to make one)."""
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    return t


def _with_initializer(tensor: TensorProto) -> onnx.ModelProto:
    return _model([helper.make_node("Add", ["x", tensor.name], ["y"], name="add")], [_x()], [_y()], [tensor])


def bad_models() -> dict[str, bytes]:
    """name -> file bytes, for every name in BAD."""
    out: dict[str, bytes] = {}
    valid = valid_model().SerializeToString()
    out["not_onnx"] = b"This is a text file, not an ONNX model.\n" * 3
    out["png_bytes"] = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    out["empty"] = b""
    out["truncated"] = valid[: len(valid) // 2]

    out["cyclic"] = _model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                            helper.make_node("Add", ["r", "b2"], ["a"], name="loop_a"),
                            helper.make_node("Identity", ["a"], ["b2"], name="loop_b"),
                            helper.make_node("Identity", ["a"], ["y"], name="out")], [_x()], [_y()]).SerializeToString()
    out["undefined_input"] = _model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add")],
                                    [_x()], [_y()]).SerializeToString()
    out["duplicate_output"] = _model([helper.make_node("Relu", ["x"], ["y"], name="first"),
                                      helper.make_node("Sigmoid", ["x"], ["y"], name="second")],
                                     [_x()], [_y()]).SerializeToString()

    over = _declared("w_overflow", [BIG, BIG, 16])
    out["overflow_initializer"] = _with_initializer(over).SerializeToString()
    huge = _declared("w_huge", [100000, 100000])
    out["huge_initializer"] = _with_initializer(huge).SerializeToString()
    negative = _declared("w_negative", [-1, 4])
    out["negative_dim"] = _with_initializer(negative).SerializeToString()
    short = _declared("w_short", [4, 4])
    short.raw_data = np.zeros(3, np.float32).tobytes()
    out["raw_size_mismatch"] = _with_initializer(short).SerializeToString()
    external = _declared("w_external", [1, 3, 32, 32])
    external.data_location = TensorProto.EXTERNAL
    entry = external.external_data.add()
    entry.key, entry.value = "location", "/etc/passwd"
    out["external_data"] = _with_initializer(external).SerializeToString()

    out["conv_pads"] = _conv("conv_pads", pads=[BIG, BIG, BIG, BIG]).SerializeToString()
    out["conv_strides"] = _conv("conv_strides", strides=[BIG, 1]).SerializeToString()
    out["conv_kernel_shape"] = _conv("conv_kernel", kernel_shape=[BIG, BIG]).SerializeToString()
    pads = numpy_helper.from_array(np.array([0, 0, BIG, BIG, 0, 0, BIG, BIG], np.int64), "pads")
    out["pad_pads"] = _model([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad_big")],
                             [_x()], [_y()], [pads]).SerializeToString()
    out["huge_input"] = _model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                               [_x(100000, 100000)], [_y()]).SerializeToString()
    target = numpy_helper.from_array(np.array([BIG, BIG, -1], np.int64), "target")
    out["reshape_overflow"] = _model([helper.make_node("Reshape", ["x", "target"], ["y"], name="reshape_big")],
                                     [_x()], [_y()], [target]).SerializeToString()
    axes = numpy_helper.from_array(np.array([0, 0], np.int64), "axes")
    out["unsqueeze_duplicate_axes"] = _model([helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="unsq")],
                                             [_x()], [_y()], [axes]).SerializeToString()
    w = numpy_helper.from_array(np.ones((1, 3, 32, 32), np.float32), "w")
    out["no_input"] = _model([helper.make_node("Relu", ["w"], ["y"], name="relu")], [], [_y()], [w]).SerializeToString()
    assert set(out) == set(BAD)
    return out


def write_all(outdir: Path) -> dict[str, Path]:
    """Writes every bad file as NAME.onnx plus the valid ones; returns name -> path."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in bad_models().items():
        paths[name] = outdir / f"{name}.onnx"
        paths[name].write_bytes(data)
    for name, model in [("valid", valid_model()), ("symbolic", valid_model(symbolic=True)),
                        ("identity_chain", identity_chain())]:
        paths[name] = outdir / f"{name}.onnx"
        paths[name].write_bytes(model.SerializeToString())
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for name, path in write_all(Path(sys.argv[1])).items():
        print(f"{name}: {path}")
