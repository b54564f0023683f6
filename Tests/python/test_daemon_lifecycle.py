"""simlayd's life: the socket file (mode 0600; a stale one is replaced; a live one is not taken over),
the "listening" log line, and graceful stops (SIGTERM / SIGINT: in-flight calls complete, exit 0, socket
removed).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import time

import grpc
import pytest

from daemon_support import (STARTUP_TIMEOUT, Daemon, noise_png, rpc_error, running_daemon, short_tmpdir, simlayd_bin,
                            stubs, tensor)


def _health(target: str) -> int:
    s = stubs()
    with grpc.insecure_channel(target) as ch:
        return s.health_rpc.HealthStub(ch).Check(s.health_pb.HealthCheckRequest(), timeout=10).status


def test_socket_mode_0600_and_listening_line_on_stderr(daemon_stubs):
    with running_daemon() as d:
        mode = stat.S_IMODE(os.stat(d.socket).st_mode)
        assert stat.S_ISSOCK(os.stat(d.socket).st_mode)
        assert mode == 0o600, f"socket mode {oct(mode)}, expected 0o600"
        assert "listening" in d.log_text(), f"no 'listening' line on stderr\n{d.describe()}"
        assert d.log_text().count("\n") >= 1 and "listening" not in d.stdout_text()


def test_stale_socket_file_is_replaced(daemon_stubs):
    workdir = short_tmpdir()
    path = workdir / "stale.sock"
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(path))
        s.close()  # the file stays, nothing listens: what a crashed daemon leaves
        assert path.exists()
        with running_daemon(unix_path=path) as d:
            assert _health(d.unix_target()) == 1
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_second_daemon_on_live_socket_fails(daemon_stubs):
    with running_daemon() as first:
        cmd = [str(simlayd_bin()), "--unix", str(first.socket)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=STARTUP_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail("a second daemon on a live socket kept running")
        assert proc.returncode != 0, f"second daemon exited 0:\n{proc.stderr}"
        assert proc.stderr.strip(), "second daemon failed without a message"
        # The first one is untouched: its socket file still there, still serving.
        assert first.socket.exists(), "the second daemon removed the first one's socket"
        assert _health(first.unix_target()) == 1
        assert first.client().list_models().default_model


def test_sigterm_lets_in_flight_request_complete(daemon_stubs):
    workdir = short_tmpdir()
    d = Daemon(workdir)
    try:
        d.start()
        client = d.client()
        n = 48
        infos = client.add([(noise_png(320, 240, seed=4000 + i), f"n{i}.png") for i in range(n)])
        ids = [i.id for i in infos]
        # n uncached images: n forward passes (one at a time on 2 cores) before the answer.
        future = client.future("Similarity", client.similarity_request("head", ids[0], ids, cell=(3, 3)))
        watcher = d.client()
        deadline = time.monotonic() + 60
        while watcher.stats().cache.forward_passes == 0 and not future.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not future.done(), "the request finished before SIGTERM; make it longer"
        d.signal(signal.SIGTERM)
        try:
            response = future.result(timeout=120)
        except grpc.RpcError as error:
            pytest.fail(f"in-flight request failed after SIGTERM: {error.code().name} {error.details()!r}\n"
                        f"{d.describe()}")
        assert tensor(response.maps).shape == (n, 7, 7)
        code = d.wait()
        assert code == 0, f"exit {code} after SIGTERM\n{d.describe()}"
        assert not d.socket.exists(), "socket file left after SIGTERM"
    finally:
        d.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def test_sigint_stops_gracefully(daemon_stubs):
    workdir = short_tmpdir()
    d = Daemon(workdir)
    try:
        d.start()
        assert d.client().list_models().default_model
        d.signal(signal.SIGINT)
        code = d.wait()
        assert code == 0, f"exit {code} after SIGINT\n{d.describe()}"
        assert not d.socket.exists(), "socket file left after SIGINT"
    finally:
        d.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def test_named_models_first_is_default(daemon_stubs, default_model):
    with running_daemon(["--model", f"lite={default_model}", "--model", f"other={default_model}"]) as d:
        reply = d.client().list_models()
        assert reply.default_model == "lite", reply.default_model
        assert {m.name for m in reply.models} == {"lite", "other"}
        client = d.client()
        info = client.add([(noise_png(64, 64, seed=4100), "m.png")], model="other")[0]
        _, maps = client.similarity("head", info.id, [info.id], cell=(0, 0), model="other")
        assert maps.shape == (1, 7, 7)


def test_load_model_rpc(daemon_stubs, default_model):
    with running_daemon(["--model-dir", str(default_model.parent)]) as d:
        client = d.client()
        pb = client.pb
        info = client.call("LoadModel", pb.LoadModelRequest(name="again", path=str(default_model)))
        assert info.name == "again" and (info.input_height, info.input_width) == (224, 224)
        assert "blocks.10" in {layer.name for layer in info.layers}
        reply = client.list_models()
        assert {m.name for m in reply.models} >= {"efficientnet-lite0", "again"}
        assert reply.default_model == "efficientnet-lite0"
        # Loading it again returns it.
        assert client.call("LoadModel", pb.LoadModelRequest(name="again", path=str(default_model))).name == "again"
        image = client.add([(noise_png(80, 60, seed=4200), "lm.png")], model="again")[0]
        _, maps = client.similarity("blocks.10", image.id, [image.id], cell=(1, 2), model="again")
        assert maps.shape == (1, 14, 14)
        error = rpc_error(client.call, "LoadModel", pb.LoadModelRequest(name="", path=str(default_model)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code().name, error.details())
