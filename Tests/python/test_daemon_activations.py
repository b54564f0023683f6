"""Activations over the wire (the Activations call, ``simlay activations --from-daemon``) and the all-zero
query warning, on the real daemon and the default model.

- ``--from-daemon`` writes DIR/LAYER.npy with the dtype, shape and file name of the in-process command,
  and values equal to it within the tolerance test_against_ort.py holds the engine to (1e-4 of the
  tensor's largest magnitude + 1e-5); both against ONNX Runtime on the exact input (a 224x224 PNG needs
  no resize, so the input is (x - 127) / 128, exact in float32).
- An answer over the daemon's message limit is RESOURCE_EXHAUSTED naming the size, the limit and the
  settings to raise, before any forward pass; the daemon keeps serving.
- The layouts other than NCHW, on the token model of testmodels.py: channels-last [1, H, W, C], patch
  tokens [1, T, D] and tokens with a class and two register tokens [1, 3 + T, D] (the cache keeps only
  the patch tokens, so that one is a forward pass of its own), each as the in-process command writes it.
- A query whose vector is all zero carries a warning: in the Similarity and LayerSync answers, on the
  CLI's stderr (one line), and in Python as a ``simlay.ZeroVectorWarning``. The default model has no
  all-zero cell even on black or white images (checked with onnxruntime at every post-ReLU6 layer), so
  the test makes a model whose ReLU output is zero exactly where the image is dark: a 1x1 convolution
  summing the three normalised channels (ImageNet normalisation: black is about -2 in each), then Relu.
"""

from __future__ import annotations

import warnings

import grpc
import numpy as np
import pytest

from conftest import load_script
from daemon_support import (DEFAULT_MODEL, KNOWN_LAYERS, assert_ok, assert_one_line_error, rpc_error, run_cli,
                            running_daemon, tensor, working_tree_package)

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
    # A tensor that is not a grid (the classifier's logits, [1, 1000]): the same file as well.
    assert_ok(daemon.cli("activations", "--from-daemon", "--image", image, "--layer", "logits", "--out", ours))
    assert_ok(daemon.cli("activations", "--model", DEFAULT_MODEL, "--image", image, "--layer", "logits", "--out", local))
    a, b = np.load(ours / "logits.npy"), np.load(local / "logits.npy")
    assert a.dtype == b.dtype == np.float32 and a.shape == b.shape == (1, 1000), (a.shape, b.shape)
    ref = dict(ort_values(image, ["logits"]))["logits"]
    assert float(np.abs(a - b).max()) <= tolerance(ref) and float(np.abs(a - ref).max()) <= tolerance(ref)


def test_activations_call_and_python_client(daemon, photos):
    simlay = working_tree_package()
    with simlay.Client(daemon.unix_target()) as c:
        ids = c.add_images([photos["chelsea"], photos["coffee"]])
        acts = c.activations(ids[1], layer="blocks.10")
        assert acts.dtype == np.float32 and acts.shape == (1, *KNOWN_LAYERS["blocks.10"])
        # The maps the daemon answers are made from the same tensor: cosine of cell (2, 3) against it.
        maps = c.similarity(layer="blocks.10", query=(0, 2, 3), images=ids[1:])
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


def test_token_and_channels_last_layouts(tmp_path):
    import testmodels
    model = testmodels.save(testmodels.tokens_like(), tmp_path / "tokens_like.onnx")
    image = square_png(tmp_path, seed=1411)
    layers = {"patch_embed": "nchw", "tokens.patches": "tokens+0", "block0": "tokens+3", "stage.nhwc": "nhwc"}
    with running_daemon(["--model", f"tok={model}"]) as d:
        client = d.client()
        image_id = client.add([image])[0].id
        for layer, layout in layers.items():
            reply = client.call("Activations", client.pb.ActivationsRequest(image_id=image_id, layer=layer))
            assert reply.layout == layout, (layer, reply.layout)
        args = [a for layer in layers for a in ("--layer", layer)]
        assert_ok(d.cli("activations", "--from-daemon", "--model", "tok", "--image", image, *args, "--out", tmp_path / "d"))
    assert_ok(run_cli(["activations", "--model", model, "--image", image, *args, "--out", tmp_path / "l"]))
    for layer in layers:
        a, b = np.load(tmp_path / "d" / f"{layer}.npy"), np.load(tmp_path / "l" / f"{layer}.npy")
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape, (layer, a.shape, b.shape)
        assert float(np.abs(a - b).max()) <= tolerance(b), layer
    assert np.load(tmp_path / "d" / "block0.npy").shape == (1, 83, 24)


def dark_is_zero_model(path):
    """input [1, 3, 32, 32] -> "sum" = 1x1 conv with weights 1, bias 0 (the sum of the normalised channels)
    -> "relu": zero on dark pixels, positive on bright ones."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    weight = numpy_helper.from_array(np.ones((4, 3, 1, 1), dtype=np.float32), "sum.weight")
    nodes = [helper.make_node("Conv", ["input", "sum.weight"], ["sum"], kernel_shape=[1, 1]),
             helper.make_node("Relu", ["sum"], ["relu"])]
    graph = helper.make_graph(nodes, "dark_is_zero",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("relu", TensorProto.FLOAT, [1, 4, 32, 32])],
                              initializer=[weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path


def test_zero_query_vector_warns(tmp_path):
    from PIL import Image
    model = dark_is_zero_model(tmp_path / "dark.onnx")
    pixels = np.zeros((32, 32, 3), dtype=np.uint8)
    pixels[:, 16:] = 255  # left half black, right half white
    half = tmp_path / "half.png"
    Image.fromarray(pixels).save(half)
    with running_daemon(["--model", f"dark={model}"]) as d:
        client = d.client()
        image_id = client.add([half])[0].id
        acts = tensor(client.call("Activations", client.pb.ActivationsRequest(image_id=image_id, layer="relu"))
                      .activations)[0]
        assert np.all(acts[:, :, :16] == 0) and np.all(acts[:, :, 16:] > 0), "the fixture's premise"
        reply, maps = client.similarity("relu", image_id, [image_id], cell=(5, 3))
        assert len(reply.warnings) == 1, list(reply.warnings)
        assert "all zero" in reply.warnings[0] and "'relu'" in reply.warnings[0] and "(5, 3)" in reply.warnings[0]
        assert np.all(maps == 0), "cosine against a zero vector is 0 everywhere"
        bright, _ = client.similarity("relu", image_id, [image_id], cell=(5, 20))
        assert list(bright.warnings) == []
        # LayerSync: the point (pixel 3.5, 5.5) is cell (5, 3) on the 32x32 grid.
        sync = client.sync(["relu", "sum"], image_id, (3.5, 5.5), [image_id])
        assert len(sync.warnings) == 1 and "'relu'" in sync.warnings[0], list(sync.warnings)
        # The CLI: the maps as usual, one warning line on stderr.
        proc = assert_ok(d.cli("similarity", "--layer", "relu", "--query", "0:5,3", "--npy", tmp_path / "m.npy", half))
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("simlay: warning: ") and "all zero" in lines[0], proc.stderr
        assert np.load(tmp_path / "m.npy").shape == (1, 32, 32)
        proc = assert_ok(d.cli("sync", "--layers", "relu", "--point", "0@3.5,5.5", "--npy-dir", tmp_path / "s", half))
        assert sum("simlay: warning: " in line for line in proc.stderr.splitlines()) == 1, proc.stderr
        # Python: a ZeroVectorWarning, and with top_k the warnings on the result too.
        simlay = working_tree_package()
        with simlay.Client(d.unix_target()) as c, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = c.similarity(layer="relu", query=(0, 5, 3), images=[image_id], top_k=3)
            assert [w.category for w in caught] == [simlay.ZeroVectorWarning]
            assert result.warnings == [str(caught[0].message)]
            assert [(m.image, m.y, m.x) for m in result.top] == [(0, 0, 0), (0, 0, 1), (0, 0, 2)]  # ties at 0
            synced = c.sync(layers=["relu"], point=(0, 3.5, 5.5), images=[image_id])
            assert len(synced.warnings) == 1 and len(caught) == 2
