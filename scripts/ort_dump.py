#!/usr/bin/env python3
"""Dump every intermediate float tensor of an ONNX model, as computed by onnxruntime, to .npy files.

This is the reference side of the engine tests: the Swift engine's ``simlay activations`` writes the
same tensors under the same names, and the tests compare them file by file.

onnxruntime only returns graph outputs, so every node output (and the graph inputs) is added as an
extra graph output. Types come from ONNX shape inference where it knows them; values whose type it
cannot infer are declared as float with unknown shape (``make_tensor_value_info(name, FLOAT, None)``),
which is what any activation of a vision model is. Non-float values (int64 shapes, bool masks) are not
dumped: they are not activations.

It runs on CPU with one thread, sequential execution and graph optimizations off, so the reference is
the plain kernels, reproducible run to run (fusions would also be legal but change rounding).

Outputs: ``DIR/<name>.npy`` (float32, the tensor's shape) for each tensor, and ``DIR/_names.txt`` with
one tensor name per line in graph order. Names are used verbatim as file names (they may contain '.'),
except that '/' (and '\\', NUL) become '_', the same rule as ``simlay activations``, so both sides' files
have the same names (e.g. PyTorch exports' ``/layer1/conv/Conv_output_0``). Two names that collide under
that rule are an error rather than a silently overwritten file. See :func:`file_name_for`.

Usage::

    python3 scripts/ort_dump.py --model M.onnx --input X.npy --out DIR [--input-name NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16}
_UNSAFE = {"/": "_", "\\": "_", "\0": "_"}


def file_name_for(name: str) -> str:
    """The .npy file name for tensor ``name``: the name itself, with '/' (and '\\', NUL) made '_'.

    Matches the Swift CLI's rule. ``.npy`` is appended, so even names like '..' stay plain file names.
    """
    return "".join(_UNSAFE.get(c, c) for c in name) + ".npy"


def _known_elem_types(model: onnx.ModelProto) -> dict[str, int]:
    """Element type per value name, from the graph's declarations plus shape inference (best effort)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception as e:  # an exotic model must not stop the dump; unknowns default to float
        print(f"warning: shape inference failed ({e}); assuming float for all values", file=sys.stderr)
        inferred = model
    types = {}
    g = inferred.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if vi.type.HasField("tensor_type") and vi.type.tensor_type.elem_type:
            types[vi.name] = vi.type.tensor_type.elem_type
    for t in g.initializer:
        types[t.name] = t.data_type
    return types


def float_value_names(model: onnx.ModelProto) -> list[str]:
    """Graph inputs (not initializers) then every node output, in graph order, that is (or may be) float."""
    g = model.graph
    init_names = {t.name for t in g.initializer}
    types = _known_elem_types(model)
    names: list[str] = []
    seen: set[str] = set()
    candidates = [i.name for i in g.input if i.name not in init_names]
    candidates += [o for n in g.node for o in n.output]
    for name in candidates:
        if not name or name in seen:
            continue  # '' marks an omitted optional output
        seen.add(name)
        if types.get(name, TensorProto.FLOAT) in FLOAT_TYPES:
            names.append(name)
    return names


def with_all_outputs(model: onnx.ModelProto, names: list[str]) -> onnx.ModelProto:
    """A copy of ``model`` whose graph outputs are exactly ``names`` (declared float, shape unknown)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    types = _known_elem_types(model)
    del m.graph.output[:]
    for name in names:
        m.graph.output.append(helper.make_tensor_value_info(name, types.get(name, TensorProto.FLOAT), None))
    return m


def run(model_path: Path, inputs: dict[str, np.ndarray], threads: int = 1):
    """Run the model with every float value as an output; returns [(name, array)] in graph order."""
    import onnxruntime as ort

    model = onnx.load(str(model_path))
    names = float_value_names(model)
    # Graph inputs are not computed by the session: report the fed arrays directly.
    graph_inputs = {i.name for i in model.graph.input}
    computed = [n for n in names if n not in graph_inputs]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(with_all_outputs(model, computed).SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    values = dict(zip(computed, sess.run(computed, inputs)))
    values.update({k: v for k, v in inputs.items() if k in names})
    return [(n, values[n]) for n in names]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--input", type=Path, required=True, help=".npy fed to the (first) graph input")
    ap.add_argument("--input-name", help="graph input to feed (default: the first non-initializer input)")
    ap.add_argument("--out", type=Path, required=True, help="output directory (created)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)

    model = onnx.load(str(args.model), load_external_data=False)
    init_names = {t.name for t in model.graph.initializer}
    input_name = args.input_name or next(i.name for i in model.graph.input if i.name not in init_names)
    x = np.load(args.input).astype(np.float32, copy=False)

    results = run(args.model, {input_name: x}, threads=args.threads)
    files = [file_name_for(n) for n, _ in results]
    clashes = sorted({f for f in files if files.count(f) > 1})
    if clashes:
        raise SystemExit(f"tensor names collide as file names: {clashes}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, value in results:
        np.save(args.out / file_name_for(name), np.ascontiguousarray(value, dtype=np.float32))
    (args.out / "_names.txt").write_text("".join(n + "\n" for n, _ in results), encoding="utf-8")
    print(f"wrote {len(results)} tensors to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
