"""Layers that are grids of cells without being NCHW: a transformer's tokens [1, T, D] (T = P + h*w) and
channels-last maps [1, H, W, C], on ``testmodels.tokens_like`` (64x80 input, 8x10 patches, 3 prefix
tokens). The listing says which layout each grid came from and shows activations only; the activations
match ONNX Runtime in their ONNX shape; and the daemon's similarity and layer-sync maps on token and
channels-last layers equal the numpy reference over the patch grid.
"""

from __future__ import annotations

import re

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import testmodels
from daemon_support import (assert_ok, map_tolerance, noise_png, pixel_to_cell, reference_map, run_cli,
                            running_daemon, tensor)

H, W, GH, GW, PREFIX, D = 64, 80, 8, 10, 3, 24
# name -> (layout, C, H, W) as `simlay layers` must list it.
GRIDS = {
    "input": ("nchw", 3, H, W),
    "patch_embed": ("nchw", D, GH, GW),
    "tokens.patches": ("tokens+0", D, GH, GW),
    "tokens.cat": ("tokens+3", D, GH, GW),
    "tokens.pos_added": ("tokens+3", D, GH, GW),
    "block0.fc": ("tokens+3", D, GH, GW),
    "block0.act": ("tokens+3", D, GH, GW),
    "block0": ("tokens+3", D, GH, GW),
    "tokens.grid": ("tokens+0", D, GH, GW),
    "stage.nhwc": ("nhwc", D, GH, GW),
    "stage.act": ("nhwc", D, GH, GW),
    "stage.nchw": ("nchw", D, GH, GW),
}
NOT_GRIDS = ["patch_embed.flat", "block0.keys", "attn.scores", "attn.scores4", "flatten", "fc"]
WEIGHTS = ["tokens.prefix", "tokens.pos", "block0.fc.weight", "shape.flat", "slice.start", "attn.scale", "fc.weight"]
LINE = re.compile(r"^(\S+)\s+C=(\d+) H=(\d+) W=(\d+)\s+stride \S+\s+layout (\S+)$")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return testmodels.save(testmodels.tokens_like(), tmp_path_factory.mktemp("grids") / "tokens_like.onnx")


def _cells(acts: np.ndarray, layout: str) -> np.ndarray:
    """One image's activations in its ONNX shape -> [C, h, w] over the grid (the reference's reading)."""
    a = acts[0]
    if layout.startswith("tokens+"):
        p = int(layout.split("+")[1])
        return a[p:].reshape(GH, GW, -1).transpose(2, 0, 1)
    if layout == "nhwc":
        return a.transpose(2, 0, 1)
    return a


def test_layers_lists_grids_with_layout_and_activations_only(model):
    proc = assert_ok(run_cli(["layers", "--model", model]))
    grids, others = {}, set()
    for line in proc.stdout.splitlines()[1:]:
        m = LINE.match(line)
        if m:
            grids[m[1]] = (m[5], int(m[2]), int(m[3]), int(m[4]))
        else:
            others.add(line.split()[0])
    for name, expected in GRIDS.items():
        assert grids.get(name) == expected, f"{name}: {grids.get(name)} != {expected}\n{proc.stdout}"
    for name in NOT_GRIDS:
        assert name not in grids and name in others, f"{name} should be listed as a tensor, not a grid\n{proc.stdout}"
    for name in WEIGHTS:
        assert name not in grids and name not in others, f"weight/constant {name} listed\n{proc.stdout}"


def test_token_and_channels_last_activations_match_ort(model, tmp_path):
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, size=(1, 3, H, W)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    names = list(GRIDS) + ["attn.scores"]
    cmd = ["activations", "--model", model, "--input-npy", tmp_path / "x.npy", "--out", tmp_path / "ours"]
    for n in names:
        cmd += ["--layer", n]
    assert_ok(run_cli(cmd))
    m = onnx.load(str(model))
    known = {o.name for o in m.graph.output}
    m.graph.output.extend(onnx.ValueInfoProto(name=n) for n in names if n not in known)
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    ref = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": x})))
    for n in names:
        ours = np.load(tmp_path / "ours" / f"{n}.npy")
        assert ours.shape == ref[n].shape, f"{n}: {ours.shape} != {ref[n].shape}"
        rel = np.abs(ours - ref[n]).max() / max(np.abs(ref[n]).max(), 1e-12)
        assert rel <= 1e-4, f"{n}: max|a-b|/max|b| = {rel:.2e}"


@pytest.fixture(scope="module")
def served(model, daemon_stubs, tmp_path_factory):
    """The daemon serving tokens_like, three noise images uploaded, and their activations (CLI, in-process)."""
    root = tmp_path_factory.mktemp("grids-served")
    paths = []
    for i, (w, h) in enumerate([(80, 64), (160, 128), (97, 61)]):
        p = root / f"noise{i}.png"
        p.write_bytes(noise_png(w, h, seed=900 + i))
        paths.append(p)
    acts = []
    for i, p in enumerate(paths):
        out = root / f"acts{i}"
        cmd = ["activations", "--model", model, "--image", p, "--out", out]
        for n in GRIDS:
            cmd += ["--layer", n]
        assert_ok(run_cli(cmd))
        acts.append({n: _cells(np.load(out / f"{n}.npy"), GRIDS[n][0]) for n in GRIDS})
    with running_daemon(["--model", f"tok={model}"]) as daemon:
        client = daemon.client()
        ids = [info.id for info in client.add(paths)]
        yield daemon, client, ids, paths, acts


@pytest.mark.parametrize("layer", ["block0", "tokens.patches", "stage.act", "patch_embed"])
@pytest.mark.parametrize("metric", ["cosine", "dot", "euclidean"])
def test_similarity_on_token_and_nhwc_layers_matches_numpy(served, layer, metric):
    _, client, ids, _, acts = served
    cell = (5, 7)
    reply, maps = client.similarity(layer, ids[1], ids, cell=cell, metric={"cosine": 0, "dot": 1, "euclidean": 2}[metric])
    assert maps.shape == (len(ids), GH, GW), maps.shape
    u = acts[1][layer][:, cell[0], cell[1]].astype(np.float64)
    for i, a in enumerate(acts):
        expected = reference_map(u, a[layer], metric)
        err = np.abs(maps[i] - expected).max()
        assert err <= map_tolerance(u, a[layer], metric), f"{layer} image {i} {metric}: max error {err:.3g}"


def test_cli_similarity_npy_is_over_the_patch_grid(served, tmp_path):
    daemon, _, _, paths, acts = served
    out = tmp_path / "maps.npy"
    assert_ok(daemon.cli("similarity", "--model", "tok", "--layer", "block0", "--query", "0:2,3", "--npy", out,
                         *map(str, paths)))
    maps = np.load(out)
    assert maps.shape == (len(paths), GH, GW), maps.shape
    u = acts[0]["block0"][:, 2, 3].astype(np.float64)
    for i, a in enumerate(acts):
        assert np.abs(maps[i] - reference_map(u, a["block0"], "cosine")).max() <= 1e-5


def test_layer_sync_across_layouts(served):
    _, client, ids, paths, acts = served
    layers = ["patch_embed", "block0", "stage.act"]
    width, height = 160, 128  # image 1
    point = (101.0, 77.0)
    reply = client.sync(layers, ids[1], point, ids)
    cell = pixel_to_cell(point[0], point[1], width, height, GH, GW)
    for lm in reply.layers:
        assert (lm.cell.y, lm.cell.x) == cell, (lm.layer, lm.cell)
        maps = tensor(lm.maps)
        u = acts[1][lm.layer][:, cell[0], cell[1]].astype(np.float64)
        for i, a in enumerate(acts):
            assert np.abs(maps[i] - reference_map(u, a[lm.layer], "cosine")).max() <= 1e-5, (lm.layer, i)


def test_list_models_and_daemon_listing_show_token_grids(served):
    daemon, client, _, _, _ = served
    model = next(m for m in client.list_models().models if m.name == "tok")
    layers = {l.name: (l.layout, l.channels, l.height, l.width) for l in model.layers}
    for name, expected in GRIDS.items():
        assert layers.get(name) == expected, (name, layers.get(name))
    for name in NOT_GRIDS + WEIGHTS:
        assert name not in layers
    proc = assert_ok(daemon.cli("layers", "--model", "tok"))
    listed = {m[1]: (m[5], int(m[2]), int(m[3]), int(m[4])) for m in map(LINE.match, proc.stdout.splitlines()[1:]) if m}
    assert listed == {k: v for k, v in layers.items()}, proc.stdout
