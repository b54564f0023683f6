"""Every torchvision architecture, from both PyTorch exporters, against ONNX Runtime (issue 10).

The fixtures in ``Tests/Fixtures/models/`` are torchvision's classifiers at reduced width and depth with
random weights, exported by ``scripts/make_model_fixtures.py`` (``ARCH-dynamo.onnx`` from
``torch.onnx.export(dynamo=True)``, ``ARCH-legacyN.onnx`` from the TorchScript exporter at opset N);
``manifest.json`` gives each file's input shape. CI runs them without torch.

For each fixture a seeded random input runs through ``scripts/ort_dump.py`` (every float intermediate,
added as graph outputs of a copy of the model) and through ``simlay activations`` with the graph output
and every named 4-D tensor and token tensor ([1, T, D]) as ``--layer``, in one invocation. Each must have
ONNX Runtime's shape and satisfy

    max|ours - ref| <= 1e-4 * max|ref|

(the issue's relative tolerance on the tensor's scale; see test_against_ort.py for why it is not
elementwise). Also checked without the binary: the fixtures stay small and match the manifest.
"""

from __future__ import annotations

import json
import sys
import zlib

import numpy as np
import onnx
import pytest

from conftest import REPO, SCRIPTS, describe, load_script, run

FIXTURES = REPO / "Tests" / "Fixtures" / "models"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
REL_TOL = 1e-4
# An all-zero reference (a ReLU of an all-negative map) must compare exactly, up to float32 noise.
FLOOR = 1e-30


def compared_names(model_path, ref_dir, batch: int) -> list[str]:
    """Graph outputs, then every dumped tensor that is 4-D or a token tensor [batch, T, D], in graph order."""
    model = onnx.load(str(model_path), load_external_data=False)
    outputs = [o.name for o in model.graph.output]
    names = (ref_dir / "_names.txt").read_text(encoding="utf-8").splitlines()
    file_name_for = load_script("ort_dump").file_name_for
    picked = []
    for name in names:
        shape = np.load(ref_dir / file_name_for(name), mmap_mode="r").shape
        if name in outputs or len(shape) == 4 or (len(shape) == 3 and shape[0] == batch):
            picked.append(name)
    return picked


def compare(ours_dir, ref_dir, names: list[str]) -> list[dict]:
    file_name_for = load_script("ort_dump").file_name_for
    records = []
    for name in names:
        ref = np.load(ref_dir / file_name_for(name)).astype(np.float64)
        scale = float(np.abs(ref).max(initial=0.0))
        rec = {"name": name, "shape": ref.shape, "rel": np.inf, "problem": ""}
        path = ours_dir / file_name_for(name)
        if not path.exists():
            rec["problem"] = "missing"
        else:
            ours = np.load(path)
            if ours.shape != ref.shape:
                rec["problem"] = f"shape {ours.shape}"
            elif not np.all(np.isfinite(ours)):
                rec["problem"] = "non-finite"
            else:
                err = float(np.abs(ours.astype(np.float64) - ref).max(initial=0.0))
                rec["rel"] = err / max(scale, FLOOR)
                if err > REL_TOL * scale + (FLOOR if scale == 0 else 0):
                    rec["problem"] = "values"
        records.append(rec)
    return records


def worst(records: list[dict], n: int = 12) -> str:
    rows = sorted(records, key=lambda r: (not r["problem"], -r["rel"]))[:n]
    return "\n".join(f"{r['name']:60s} {r['problem'] or 'ok':12s} rel {r['rel']:.2e}  {r['shape']}" for r in rows)


def test_fixtures_are_small_and_listed():
    files = sorted(p.name for p in FIXTURES.glob("*.onnx"))
    assert files == sorted(MANIFEST["files"]), "manifest.json and the .onnx files disagree"
    for name in files:
        assert (FIXTURES / name).stat().st_size < 1 << 20, f"{name} is over 1 MiB"
    assert sum((FIXTURES / n).stat().st_size for n in files) < 16 << 20


@pytest.mark.parametrize("fixture", sorted(MANIFEST["files"]))
def test_fixture_matches_ort(fixture, simlay_bin, tmp_path):
    info = MANIFEST["files"][fixture]
    model = FIXTURES / fixture
    rng = np.random.default_rng(zlib.crc32(fixture.encode()))
    x = rng.standard_normal(size=info["input_shape"]).astype(np.float32)
    x_path = tmp_path / "input.npy"
    np.save(x_path, x)

    ref_dir = tmp_path / "ref"
    proc = run([sys.executable, SCRIPTS / "ort_dump.py", "--model", model, "--input", x_path, "--out", ref_dir])
    assert proc.returncode == 0, describe(proc)
    names = compared_names(model, ref_dir, info["input_shape"][0])
    assert names, "no tensors to compare"

    ours_dir = tmp_path / "ours"
    cmd = [simlay_bin, "activations", "--model", model, "--input-npy", x_path, "--out", ours_dir]
    for name in names:
        cmd += ["--layer", name]
    proc = run(cmd)
    assert proc.returncode == 0, describe(proc)

    records = compare(ours_dir, ref_dir, names)
    bad = [r for r in records if r["problem"]]
    print(f"{fixture}: {len(records) - len(bad)}/{len(records)} tensors match\n" + worst(records, 5))
    assert not bad, f"{len(bad)} of {len(records)} tensors of {fixture} differ from ONNX Runtime:\n" + worst(records)


def _sized_model(op: str, tmp_path):
    """x + OP(...) where OP's output size comes from constants in the file: 100000 x 100000 elements."""
    from onnx import TensorProto, helper, numpy_helper
    big = numpy_helper.from_array(np.array([100000, 100000], np.int64), "dims")
    if op == "ConstantOfShape":
        nodes = [helper.make_node("ConstantOfShape", ["dims"], ["c"], name="huge")]
        inits = [big]
    elif op == "Expand":
        nodes = [helper.make_node("Expand", ["one", "dims"], ["c"], name="huge")]
        inits = [big, numpy_helper.from_array(np.ones((1, 1), np.float32), "one")]
    else:  # Range
        nodes = [helper.make_node("Range", ["s", "l", "d"], ["c"], name="huge")]
        inits = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in [("s", 0), ("l", 1e10), ("d", 1)]]
    nodes.append(helper.make_node("Add", ["x", "c"], ["y"], name="add"))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    path = tmp_path / f"{op}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


@pytest.mark.parametrize("op", ["ConstantOfShape", "Expand", "Range"])
def test_sizes_computed_from_the_file_are_bounded(op, simlay_bin, tmp_path):
    """An op whose output size the file sets (10^10 elements here) is refused at load with one line naming
    the node, instead of allocating 40 GB."""
    proc = run([simlay_bin, "layers", "--model", _sized_model(op, tmp_path)])
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert proc.returncode == 1 and len(lines) == 1, describe(proc)
    assert "huge" in lines[0] and op in lines[0], describe(proc)
