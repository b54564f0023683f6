"""Model-level failures of the in-process CLI: each gives exit code 1 and ONE stderr line naming the
problem (the op and node, the tensor, the file, the unknown layer with close names)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import describe, run


def _save(model, path):
    onnx.save(model, str(path))
    return path


def _conv_model(weight_shape, name="w"):
    w = numpy_helper.from_array(np.ones(weight_shape, np.float32), name)
    node = helper.make_node("Conv", ["x", name], ["y"], name="conv1", kernel_shape=list(weight_shape[2:]))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _expect_one_line(proc, *needles):
    assert proc.returncode == 1, describe(proc)
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, describe(proc)
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"


def test_unsupported_op_names_op_and_node(simlay_bin, tmp_path):
    node = helper.make_node("Det", ["x"], ["y"], name="my_det")  # an op the engine does not implement
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    path = _save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "det.onnx")
    _expect_one_line(run([simlay_bin, "layers", "--model", path]), "Det", "my_det")


def test_shape_mismatch_names_tensor(simlay_bin, tmp_path):
    path = _save(_conv_model((4, 5, 3, 3), name="conv1.weight"), tmp_path / "bad.onnx")  # 5 input channels, x has 3
    _expect_one_line(run([simlay_bin, "layers", "--model", path]), "conv1.weight")


def test_missing_model_file(simlay_bin, tmp_path):
    missing = tmp_path / "nope.onnx"
    _expect_one_line(run([simlay_bin, "layers", "--model", missing]), str(missing))


def test_not_an_onnx_file(simlay_bin, tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x08\x07this is not a model" * 10)
    _expect_one_line(run([simlay_bin, "layers", "--model", path]), "junk.onnx")


def test_external_data_refused(simlay_bin, tmp_path):
    model = _conv_model((4, 3, 3, 3))
    onnx.save_model(model, str(tmp_path / "ext.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.data", size_threshold=0)
    _expect_one_line(run([simlay_bin, "layers", "--model", tmp_path / "ext.onnx"]), "external")


def test_unknown_layer_lists_close_names(simlay_bin, default_model, tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 3, 224, 224), np.float32))
    proc = run([simlay_bin, "activations", "--model", default_model, "--input-npy", x, "--layer", "blocks.1O",
                "--out", tmp_path / "out"])
    _expect_one_line(proc, "blocks.1O", "blocks.10")


@pytest.mark.parametrize("shape", [(1, 3, 224), (2, 4, 224, 224)])
def test_wrong_input_shape(simlay_bin, default_model, tmp_path, shape):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros(shape, np.float32))
    proc = run([simlay_bin, "activations", "--model", default_model, "--input-npy", x, "--layer", "head",
                "--out", tmp_path / "out"])
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, describe(proc)
