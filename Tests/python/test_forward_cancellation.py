"""A forward pass stops between its steps once every caller waiting for it is gone (issue 15, item 2): the
first query on a new image of a slow model, abandoned by its deadline, frees the one forward thread long
before the pass would have ended, so a second client's query (which needs that thread) is answered soon
after; Stats counts the stopped pass; nothing half-computed is cached (the same image then answers in full).

The slow model is made here with onnx.helper (random weights, nothing committed): 30 3x3 convolutions of 96
channels at 224x224, about 250 GFLOP, 1.7 s a pass on a 2-core AVX-512 machine (at 64 channels, 0.75 s once
the engine's 3x3 convolutions got faster, too quick to tell a stopped pass apart; 64 layers instead drifted
the activations' scale until the self-similarity was 0.9997). Its
full pass is timed first in the same run, and the bound is a fraction of it, so a busy machine slows both
sides alike.
"""

from __future__ import annotations

import threading
import time

import grpc
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from daemon_support import noise_png, rpc_error, running_daemon

CONVS = 30
CHANNELS = 96


def slow_model(path):
    rng = np.random.default_rng(7)
    nodes, inits = [], []
    prev, cin = "x", 3
    for i in range(CONVS):
        w = (rng.standard_normal((CHANNELS, cin, 3, 3)) * np.sqrt(2.0 / (cin * 9))).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("Conv", [prev, f"w{i}"], [f"c{i}"], pads=[1, 1, 1, 1], name=f"conv{i}"))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"))
        prev, cin = f"r{i}", CHANNELS
    graph = helper.make_graph(
        nodes, "slow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, CHANNELS, 224, 224])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return prev


def query(client, layer, image_id, model, timeout):
    return client.call("Similarity", client.similarity_request(layer, image_id, [image_id], cell=(2, 2), model=model),
                       timeout=timeout)


def test_abandoned_first_pass_frees_the_forward_thread(tmp_path):
    layer = slow_model(tmp_path / "slow.onnx")
    with running_daemon(["--forward-threads", "1", "--forward-batch", "1", "--model-dir", str(tmp_path)]) as d:
        client = d.client()
        client.call("LoadModel", client.pb.LoadModelRequest(name="slow", path=str(tmp_path / "slow.onnx")))
        a, b = (i.id for i in client.add([(noise_png(160, 120, seed=s), f"s{s}.png") for s in (1, 2)], model="slow"))
        started = time.monotonic()
        query(client, layer, a, "slow", timeout=600)
        full = time.monotonic() - started
        assert full > 1.0, f"the slow model's pass took only {full:.2f} s: too fast to tell a stopped pass apart"

        before = client.stats().cancelled_jobs
        error = rpc_error(query, client, layer, b, "slow", timeout=0.3 * full)
        ended = time.monotonic()
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, f"{error.code()}: {error.details()}"
        # From its own connection: a fresh image of the default model, whose pass needs the forward thread.
        other = d.client()
        fresh = other.add([(noise_png(96, 96, seed=3), "fresh.png")])[0].id
        other.similarity("blocks.10", fresh, [fresh], cell=(2, 2))
        waited = time.monotonic() - ended
        # Unstopped, the abandoned pass would hold the thread for the remaining 0.7 of a full pass.
        assert waited < 0.35 * full, f"answered {waited:.2f} s after the deadline; a full pass takes {full:.2f} s"
        deadline = time.monotonic() + 20
        while client.stats().cancelled_jobs <= before:
            assert time.monotonic() < deadline, "Stats.cancelled_jobs never counted the stopped pass"
            time.sleep(0.05)

        # Nothing partial was cached: the image answers in full, as a fresh daemon-side pass computes it.
        response, maps = client.similarity(layer, b, [b], cell=(2, 2), model="slow")
        assert maps.shape == (1, 224, 224) and np.isfinite(maps).all()
        # The query cell against itself: cosine 1 (to float32 rounding over 96 channels of large values).
        assert np.unravel_index(np.argmax(maps[0]), maps[0].shape) == (2, 2)
        assert maps[0, 2, 2] == pytest.approx(1.0, abs=1e-4)
