"""Activations over the wire (the Activations call, ``simlay activations --from-daemon``) and the all-zero
query warning, on the real daemon and the default model.

- ``--from-daemon`` writes DIR/LAYER.npy with the dtype, shape and file name of the in-process command,
  and values equal to it within the tolerance test_against_ort.py holds the engine to (1e-4 of the
  tensor's largest magnitude + 1e-5); both against ONNX Runtime on the exact input (a 224x224 PNG needs
  no resize, so the input is (x - 127) / 128, exact in float32).
- An answer over the daemon's message limit is RESOURCE_EXHAUSTED naming the size, the limit and the
  settings to raise, before any forward pass; the daemon keeps serving.
- A query whose vector is all zero (a cell that every ReLU6 of a post-activation layer cuts to 0 on a
  black image) carries a warning: in the Similarity and LayerSync answers, on the CLI's stderr (one
  line), and in Python as a ``simlay.ZeroVectorWarning``.
"""

from __future__ import annotations

import warnings

import grpc
import numpy as np
import pytest

from conftest import load_script
from daemon_support import (DEFAULT_MODEL, KNOWN_LAYERS, assert_ok, assert_one_line_error, rpc_error, running_daemon,
                            solid_png, tensor, working_tree_package)

REL_TOL, ABS_TOL = 1e-4, 1e-5  # test_against_ort.py's
LAYERS = ["stem", "blocks.1.expand", "blocks.4", "blocks.10", "head"]


def tolerance(ref: np.ndarray) -> float:
    return REL_TOL * float(np.abs(ref).max(initial=0.0)) + ABS_TOL


def square_png(tmp_path, seed: int = 1409):
    """A 224x224 PNG cut from noise (the model's input size: the squash is the identity)."""
    from daemon_support import noise_png
    path = tmp_path / "square224.png"
    path.write_bytes(noise_png(224, 224, seed=seed))
    return path


def ort_values(png_path, layers) -> dict[str, np.ndarray]:
    from PIL import Image
    x = np.asarray(Image.open(png_path).convert("RGB"), dtype=np.float32)
    x = ((x - 127.0) / 128.0).transpose(2, 0, 1)[None].copy()
    ort_dump = load_script("ort_dump")
    import onnx
    model = onnx.load(str(DEFAULT_MODEL))
    inits = {t.name for t in model.graph.initializer}
    name = next(i.name for i in model.graph.input if i.name not in inits)
    values = dict(ort_dump.run(DEFAULT_MODEL, {name: x}))
    return {layer: values[layer] for layer in layers}


def test_from_daemon_writes_the_in_process_files(daemon, tmp_path):
    image = square_png(tmp_path)
    ours, local = tmp_path / "daemon", tmp_path / "local"
    layer_args = [a for layer in LAYERS for a in ("--layer", layer)]
    assert_ok(daemon.cli("activations", "--from-daemon", "--image", image, *layer_args, "--out", ours))
    assert_ok(daemon.cli("activations", "--model", DEFAULT_MODEL, "--image", image, *layer_args, "--out", local))
    ref = ort_values(image, LAYERS)
    for layer in LAYERS:
        a, b = np.load(ours / f"{layer}.npy"), np.load(local / f"{layer}.npy")
        assert a.dtype == b.dtype == np.float32
        assert a.shape == b.shape == (1, *KNOWN_LAYERS[layer]), (layer, a.shape, b.shape)
        tol = tolerance(ref[layer])
        assert float(np.abs(a - b).max()) <= tol, f"{layer}: daemon vs in-process {np.abs(a - b).max():.3e} > {tol:.3e}"
        err = float(np.abs(a.astype(np.float64) - ref[layer]).max())
        assert err <= tol, f"{layer}: daemon vs onnxruntime {err:.3e} > {tol:.3e}"
    assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in local.iterdir())


def test_activations_call_and_python_client(daemon, photos):
    simlay = working_tree_package()
    with simlay.Client(daemon.unix_target()) as c:
        ids = c.add_images([photos["chelsea"], photos["coffee"]])
        acts = c.activations(ids[1], layer="blocks.10")
        assert acts.dtype == np.float32 and acts.shape == (1, *KNOWN_LAYERS["blocks.10"])
        # The maps the daemon answers are made from the same tensor: cosine of cell (2, 3) against it.
        maps = c.similarity(layer="blocks.10", query=(1, 2, 3), images=ids[1:])
        v = acts[0].reshape(acts.shape[1], -1).astype(np.float64)
        u = v[:, 2 * 14 + 3]
        ref = (u @ v) / ((np.linalg.norm(u) + 1e-4) * (np.linalg.norm(v, axis=0) + 1e-4))
        np.testing.assert_allclose(maps[0].reshape(-1), ref, rtol=0, atol=1e-5)
    client = daemon.client()
    reply = client.call("Activations", client.pb.ActivationsRequest(image_id=ids[0], layer="head"))
    assert reply.layer == "head" and reply.layout == "nchw"
    assert tensor(reply.activations).shape == (1, 1280, 7, 7)
    for request, code, needle in [
        (client.pb.ActivationsRequest(image_id=ids[0], layer="nope"), grpc.StatusCode.NOT_FOUND, "no layer 'nope'"),
        (client.pb.ActivationsRequest(image_id="f" * 32, layer="head"), grpc.StatusCode.NOT_FOUND, "no image"),
        (client.pb.ActivationsRequest(image_id=ids[0]), grpc.StatusCode.INVALID_ARGUMENT, "layer is empty"),
    ]:
        error = rpc_error(client.call, "Activations", request)
        assert error.code() == code and needle in error.details(), (error.code(), error.details())


def test_answer_over_the_message_limit_is_refused(tmp_path):
    image = square_png(tmp_path, seed=1410)
    with running_daemon(["--max-message-mb", "1"]) as d:
        client = d.client()
        image_id = client.add([image])[0].id
        # stem: 32 x 112 x 112 float32 = 1605632 bytes > 1 MiB.
        error = rpc_error(client.call, "Activations", client.pb.ActivationsRequest(image_id=image_id, layer="stem"))
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
        for needle in ("1605632 bytes", "1048576 bytes", "--max-message-mb", "grpc.max_receive_message_length"):
            assert needle in error.details(), error.details()
        assert client.stats().cache.forward_passes == 0, "the size is known before any forward pass"
        ok = client.call("Activations", client.pb.ActivationsRequest(image_id=image_id, layer="blocks.10"))
        assert tensor(ok.activations).shape == (1, 112, 14, 14)
        proc = d.cli("activations", "--from-daemon", "--image", image, "--layer", "stem", "--out", tmp_path / "o")
        assert_one_line_error(proc, "--max-message-mb")


def zero_cell(daemon, image_id) -> tuple[str, tuple[int, int]]:
    """A post-ReLU6 layer and a cell of it whose vector is all zero on image_id, searched in the daemon's
    own activations (so the test cannot drift from what the daemon computes)."""
    client = daemon.client()
    for layer in ["blocks.1.expand", "blocks.1.dw", "blocks.4.expand", "blocks.10.expand", "head"]:
        acts = tensor(client.call("Activations", client.pb.ActivationsRequest(image_id=image_id, layer=layer)
                                  ).activations)[0]
        zero = np.argwhere(np.all(acts == 0, axis=0))
        if len(zero):
            return layer, tuple(int(v) for v in zero[0])
    raise AssertionError("no all-zero cell on the black image at any post-ReLU layer")


def test_zero_query_vector_warns(daemon, photos, tmp_path):
    black = tmp_path / "black.png"
    black.write_bytes(solid_png(224, 224, (0, 0, 0)))
    client = daemon.client()
    black_id, cat_id = (i.id for i in client.add([black, photos["chelsea"]]))
    layer, (y, x) = zero_cell(daemon, black_id)
    reply, maps = client.similarity(layer, black_id, [black_id, cat_id], cell=(y, x))
    assert len(reply.warnings) == 1 and "all zero" in reply.warnings[0] and layer in reply.warnings[0], reply.warnings
    assert np.all(maps == 0), "cosine against a zero vector is 0 everywhere"
    cat = tensor(client.call("Activations", client.pb.ActivationsRequest(image_id=cat_id, layer=layer)).activations)[0]
    nonzero = tuple(int(v) for v in np.unravel_index(np.argmax(np.abs(cat).sum(axis=0)), cat.shape[1:]))
    other, _ = client.similarity(layer, cat_id, [cat_id], cell=nonzero)
    assert list(other.warnings) == []
    # LayerSync: the warning names the layer where the point's vector is zero.
    h, w = maps.shape[1:]
    point = ((x + 0.5) * 224 / w, (y + 0.5) * 224 / h)
    sync = client.sync([layer, "blocks.10"], black_id, point, [black_id])
    assert any(layer in m for m in sync.warnings), list(sync.warnings)
    # The CLI: the maps as usual, one warning line on stderr.
    proc = assert_ok(daemon.cli("similarity", "--layer", layer, "--query", f"0:{y},{x}", "--npy", tmp_path / "m.npy",
                                black, photos["chelsea"]))
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("simlay: warning: ") and "all zero" in lines[0], proc.stderr
    # Python: a ZeroVectorWarning, and with top_k the warnings on the result.
    simlay = working_tree_package()
    with simlay.Client(daemon.unix_target()) as c, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = c.similarity(layer=layer, query=(0, y, x), images=[black_id, cat_id], top_k=3)
        assert [w.category for w in caught] == [simlay.ZeroVectorWarning]
        assert result.warnings == [str(caught[0].message)]
        assert [(m.image, m.y, m.x) for m in result.top] == [(0, 0, 0), (0, 0, 1), (0, 0, 2)]  # all ties at 0
        synced = c.sync(layers=[layer], point=(0, *point), images=[black_id])
        assert len(synced.warnings) == 1
