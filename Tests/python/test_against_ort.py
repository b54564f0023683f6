"""The Swift engine must compute the same tensors as onnxruntime, layer by layer.

For each model (the converted EfficientNet-Lite0 and the synthetic GoogLeNet-/ResNet-like graphs of
``testmodels.py``) and each input (batch 1 at 224x224, and batch 2 at 160x192 since all three are fully
convolutional up to their global pool), a seeded random input is run through ``scripts/ort_dump.py``
(reference: every float intermediate) and through ``simlay activations --input-npy`` with every one of
those names as ``--layer`` in a single invocation. Each tensor must have the same shape and satisfy

    max|ours - ref| <= 1e-4 * max|ref| + 1e-5

i.e. a relative tolerance on the tensor's scale: float32 accumulation order differs between engines
(im2col/GEMM blocking, Winograd, ...), so elementwise relative error is meaningless near zero, while a
real bug (wrong padding, BN epsilon, LRN window) moves values by a sizeable fraction of the scale.

Also here: classification of the example photographs and their crops by the CLI, and the pure-Python
checks of the reference itself (the converted model classifies correctly under onnxruntime; model
metadata; the test models run), which need no Swift binary.
"""

from __future__ import annotations

import re
import sys
import zlib

import numpy as np
import onnx
import pytest

from conftest import SCRIPTS, describe, load_script, run
from photo_fixtures import EXPECTED_TOP1

INPUTS = {"b1_224x224": (1, 3, 224, 224), "b2_160x192": (2, 3, 160, 192)}
MODELS = ["efficientnet-lite0", "googlenet_like", "resnet_like", "mobilenet_like"]
REL_TOL, ABS_TOL = 1e-4, 1e-5


def _seeded_input(model_key: str, input_key: str) -> np.ndarray:
    """Uniform in [-1, 1] (the range of normalized pixels), seeded by the case so reruns are identical."""
    rng = np.random.default_rng(zlib.crc32(f"{model_key}/{input_key}".encode()))
    return rng.uniform(-1.0, 1.0, size=INPUTS[input_key]).astype(np.float32)


def compare_dirs(ours_dir, ref_dir, names: list[str]) -> list[dict]:
    """Compare DIR/<name>.npy pairwise; returns one record per tensor (``ok`` False on any problem)."""
    file_name_for = load_script("ort_dump").file_name_for
    records = []
    for name in names:
        ref = np.load(ref_dir / file_name_for(name))
        rec = {"name": name, "ref_shape": ref.shape, "shape": None, "err": np.inf, "ratio": np.inf,
               "tol": REL_TOL * float(np.abs(ref).max(initial=0.0)) + ABS_TOL, "problem": ""}
        path = ours_dir / file_name_for(name)
        if not path.exists():
            rec["problem"] = "missing"
        else:
            ours = np.load(path)
            rec["shape"] = ours.shape
            if ours.dtype != np.float32:
                rec["problem"] = f"dtype {ours.dtype}"
            elif ours.shape != ref.shape:
                rec["problem"] = "shape"
            elif not np.all(np.isfinite(ours)):
                rec["problem"] = "non-finite"
            else:
                rec["err"] = float(np.abs(ours.astype(np.float64) - ref).max(initial=0.0))
                rec["ratio"] = rec["err"] / rec["tol"]
                if rec["err"] > rec["tol"]:
                    rec["problem"] = "values"
        rec["ok"] = not rec["problem"]
        records.append(rec)
    return records


def format_worst(records: list[dict], n: int = 15) -> str:
    worst = sorted(records, key=lambda r: (r["ok"], -r["ratio"]))[:n]
    lines = [f"{'tensor':32s} {'problem':10s} {'max err':>11s} {'tol':>11s} {'err/tol':>9s}  shapes"]
    for r in worst:
        lines.append(f"{r['name']:32s} {r['problem'] or 'ok':10s} {r['err']:11.3e} {r['tol']:11.3e} "
                     f"{r['ratio']:9.2f}  ref {r['ref_shape']} ours {r['shape']}")
    return "\n".join(lines)


@pytest.mark.parametrize("input_key", list(INPUTS))
@pytest.mark.parametrize("model_key", MODELS)
def test_activations_match_ort(model_key, input_key, all_models, simlay_bin, tmp_path):
    model = all_models[model_key]
    x_path = tmp_path / "input.npy"
    np.save(x_path, _seeded_input(model_key, input_key))

    ref_dir = tmp_path / "ref"
    proc = run([sys.executable, SCRIPTS / "ort_dump.py", "--model", model, "--input", x_path, "--out", ref_dir])
    assert proc.returncode == 0, describe(proc)
    names = (ref_dir / "_names.txt").read_text(encoding="utf-8").splitlines()
    assert len(names) > 10

    ours_dir = tmp_path / "ours"
    cmd = [simlay_bin, "activations", "--model", model, "--input-npy", x_path, "--out", ours_dir]
    for name in names:
        cmd += ["--layer", name]
    proc = run(cmd)
    assert proc.returncode == 0, describe(proc)

    records = compare_dirs(ours_dir, ref_dir, names)
    bad = [r for r in records if not r["ok"]]
    print(f"{model_key} {input_key}: {len(records) - len(bad)}/{len(records)} tensors match\n"
          + format_worst(records, 5))
    assert not bad, (f"{len(bad)} of {len(records)} tensors differ from onnxruntime "
                     f"({model_key}, input {INPUTS[input_key]}); worst:\n" + format_worst(records))


FUSED_OUTPUTS = {  # block outputs and the final output only: the engine fuses every expand/depthwise/project chain
    "efficientnet-lite0": [f"blocks.{i}" for i in range(16)] + ["head", "logits"],
    "mobilenet_like": [f"blocks.{i}" for i in range(4)] + ["fc"],
}


@pytest.mark.parametrize("input_key", list(INPUTS))
@pytest.mark.parametrize("model_key", list(FUSED_OUTPUTS))
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_fused_blocks_match_ort(model_key, input_key, threads, all_models, simlay_bin, tmp_path):
    """With the expansions and depthwise outputs not kept, the engine runs each inverted bottleneck as one
    channels-last step (DepthwiseBlock); its outputs must still match onnxruntime at the same tolerance,
    whichever way the threads split it: one thread, bands of rows of one image (batch 1 at 2 threads,
    batch 2 at 3), whole images per thread (batch 2 at 2 threads)."""
    model = all_models[model_key]
    x_path = tmp_path / "input.npy"
    np.save(x_path, _seeded_input(model_key, input_key))
    ref_dir = tmp_path / "ref"
    proc = run([sys.executable, SCRIPTS / "ort_dump.py", "--model", model, "--input", x_path, "--out", ref_dir])
    assert proc.returncode == 0, describe(proc)
    names = FUSED_OUTPUTS[model_key]
    ours_dir = tmp_path / "ours"
    cmd = [simlay_bin, "activations", "--model", model, "--input-npy", x_path, "--out", ours_dir,
           "--threads", str(threads)]
    for name in names:
        cmd += ["--layer", name]
    proc = run(cmd)
    assert proc.returncode == 0, describe(proc)
    records = compare_dirs(ours_dir, ref_dir, names)
    bad = [r for r in records if not r["ok"]]
    assert not bad, f"fused blocks differ from onnxruntime ({model_key}, {INPUTS[input_key]}):\n" + format_worst(records)


# ---------------------------------------------------------------------------------------------------
# Classification through the CLI
# ---------------------------------------------------------------------------------------------------

_ENTRY = re.compile(r"^\s*([-+0-9.eE]+%?)\s+(\d+)\s+(.*\S)\s*$")


def parse_classify(stdout: str) -> dict[str, list[tuple[float | None, int | None, str]]]:
    """Parse ``FILE`` header lines followed by indented ``<prob> <index> <label>`` lines.

    Lenient on purpose: a header is any non-indented non-empty line; an entry line that does not match
    ``prob index label`` is kept whole as the label, so only the label text is relied upon.
    """
    blocks: dict[str, list] = {}
    current = None
    for line in stdout.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            current = line.strip()
            blocks[current] = []
        elif current is not None:
            m = _ENTRY.match(line)
            if m:
                prob = float(m.group(1).rstrip("%")) / (100.0 if m.group(1).endswith("%") else 1.0)
                blocks[current].append((prob, int(m.group(2)), m.group(3)))
            else:
                blocks[current].append((None, None, line.strip()))
    return blocks


def block_for(blocks: dict, image) -> list:
    matches = [entries for header, entries in blocks.items() if image.name in header]
    assert len(matches) == 1, f"expected one output block for {image.name}, headers: {list(blocks)}"
    return matches[0]


def test_classify_photos(simlay_bin, default_model, photo_set):
    cmd = [simlay_bin, "classify", "--model", default_model, "--top", "5"]
    for img in photo_set:
        cmd += ["--image", img]
    proc = run(cmd)
    assert proc.returncode == 0, describe(proc)
    blocks = parse_classify(proc.stdout)

    tops = {img.name: block_for(blocks, img) for img in photo_set}
    for name, entries in tops.items():
        assert len(entries) >= 3, f"{name}: fewer than 3 predictions\n{describe(proc)}"
        probs = [p for p, _, _ in entries if p is not None]
        if probs:
            assert all(0.0 <= p <= 1.0 + 1e-6 for p in probs), f"{name}: probabilities {probs}"
            assert probs == sorted(probs, reverse=True), f"{name}: not sorted {probs}"

    def labels(name, k):
        return [label.lower() for _, _, label in tops[name][:k]]

    checks = [("chelsea.png", 1, "cat"), ("square.jpg", 1, "cat"), ("coffee.png", 3, "espresso"),
              ("tall.jpg", 3, "moped")]
    for name, k, text in checks:
        assert any(text in lab for lab in labels(name, k)), f"{name}: top-{k} {labels(name, k)}"

    # Index and label must agree with the model's label list wherever the index was printed.
    model_labels = {p.key: p.value for p in onnx.load(str(default_model), load_external_data=False)
                    .metadata_props}["simlay.labels"].split("\n")
    for name, entries in tops.items():
        for _, idx, label in entries:
            if idx is not None:
                assert model_labels[idx].lower().startswith(label.lower()[:20]) or \
                       label.lower() in model_labels[idx].lower(), f"{name}: index {idx} printed as {label!r}"


def test_classify_agrees_with_ort(simlay_bin, default_model, photo_set):
    """Swift's top-1 must be within onnxruntime+Pillow's top-3 for every image.

    Not top-1 equality: the CLI decodes and resizes with its own code, so probabilities move a little
    and close calls (the square crop of chelsea: tiger cat vs Egyptian cat) may flip; anything beyond
    top-3 would be a real bug.
    """
    convert = load_script("convert_efficientnet_lite0")
    ref = {img.name: top for img, top in convert.classify_images(default_model, photo_set, top=3)}
    cmd = [simlay_bin, "classify", "--model", default_model, "--top", "5"]
    for img in photo_set:
        cmd += ["--image", img]
    proc = run(cmd)
    assert proc.returncode == 0, describe(proc)
    blocks = parse_classify(proc.stdout)
    for img in photo_set:
        ours_label = block_for(blocks, img)[0][2].lower()
        ref_labels = [label.lower() for _, _, label in ref[img.name]]
        assert any(ours_label in r or r in ours_label for r in ref_labels), \
            f"{img.name}: simlay top-1 {ours_label!r}, onnxruntime top-3 {ref_labels}"


# ---------------------------------------------------------------------------------------------------
# Pure Python: the reference itself
# ---------------------------------------------------------------------------------------------------

def test_ort_classifies_photos(default_model, photo_set):
    """The converted model, run by onnxruntime on Pillow-preprocessed images, gives the known top-1s.

    This is the end-to-end check of the converter (legacy pickle strides, BN folding, SAME padding,
    channel order): any of those wrong and these photographs are misclassified.
    """
    convert = load_script("convert_efficientnet_lite0")
    results = {img.name: top for img, top in convert.classify_images(default_model, photo_set, top=3)}
    assert set(EXPECTED_TOP1) <= set(results), sorted(set(EXPECTED_TOP1) - set(results))
    wrong = {}
    for name, top in results.items():
        top1 = top[0][2].split(",")[0]
        if name in EXPECTED_TOP1 and top1 not in EXPECTED_TOP1[name]:
            wrong[name] = [(label, round(p, 3)) for p, _, label in top]
    assert not wrong, f"unexpected top-1: {wrong}"


def test_converted_model_layout(default_model):
    """Metadata keys and layer names that the Swift side and users rely on."""
    model = onnx.load(str(default_model))
    onnx.checker.check_model(model)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["simlay.input_size"] == "224,224"
    assert props["simlay.mean"] == "127,127,127" and props["simlay.std"] == "128,128,128"
    assert props["simlay.resize"] == "bilinear-squash"
    labels = props["simlay.labels"].split("\n")
    assert len(labels) == 1000 and labels[0].startswith("tench") and labels[285] == "Egyptian cat"

    (inp,) = model.graph.input
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert inp.name == "input" and dims == ["N", 3, "H", "W"]
    assert [o.name for o in model.graph.output] == ["logits"]

    values = {o for n in model.graph.node for o in n.output}
    expected = {"stem", "head", "pool", "logits"} | {f"blocks.{i}" for i in range(16)} \
        | {f"blocks.{i}.dw" for i in range(16)} | {f"blocks.{i}.expand" for i in range(1, 16)}
    assert expected <= values, sorted(expected - values)
    assert "blocks.0.expand" not in values
    adds = sorted(n.name for n in model.graph.node if n.op_type == "Add")
    assert adds == sorted(f"blocks.{i}" for i in (2, 4, 6, 7, 9, 10, 12, 13, 14))
    assert {n.op_type for n in model.graph.node} == {"Conv", "Clip", "Add", "GlobalAveragePool", "Flatten", "Gemm"}


@pytest.mark.parametrize("input_key", list(INPUTS))
def test_reference_tools(input_key, all_models, tmp_path):
    """ort_dump.py covers every node output of every model, and its final output equals a plain run."""
    import onnxruntime as ort

    for key, model_path in all_models.items():
        x = _seeded_input(key, input_key)
        np.save(tmp_path / "x.npy", x)
        out = tmp_path / key
        proc = run([sys.executable, SCRIPTS / "ort_dump.py", "--model", model_path, "--input",
                    tmp_path / "x.npy", "--out", out])
        assert proc.returncode == 0, describe(proc)
        model = onnx.load(str(model_path))
        names = (out / "_names.txt").read_text(encoding="utf-8").splitlines()
        assert names == ["input"] + [o for n in model.graph.node for o in n.output]
        final = model.graph.output[0].name
        plain = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"]).run(
            [final], {"input": x})[0]
        dumped = np.load(out / f"{final}.npy")
        assert dumped.dtype == np.float32 and dumped.shape == plain.shape == (x.shape[0], plain.shape[1])
        np.testing.assert_allclose(dumped, plain, rtol=1e-4, atol=1e-5)
        for name in names:  # O(1) activations: the relative tolerance above is meaningful
            assert np.isfinite(np.load(out / f"{name}.npy")).all(), name
