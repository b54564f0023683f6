"""Bearer-token authentication (--token-file) and the refusal to serve a non-loopback address without one.

Traffic goes to 127.0.0.1 and the Unix socket only; the 0.0.0.0 case must fail at startup, before
listening, and no connection is attempted to it.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess

import grpc
import pytest

from daemon_support import (STARTUP_TIMEOUT, Client, assert_ok, assert_one_line_error, free_port, noise_png,
                            rpc_error, run_cli, running_daemon, short_tmpdir, simlayd_bin)


@pytest.fixture(scope="module")
def secured(daemon_stubs):
    token = "tok-" + secrets.token_hex(16)
    with running_daemon(tcp=True, token=token) as d:
        yield d


def _client(daemon, transport, metadata):
    return Client(daemon.connection(transport), metadata)


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_missing_or_wrong_token_is_unauthenticated(secured, transport):
    for metadata in [None, (("authorization", "Bearer wrong-" + secrets.token_hex(4)),),
                     (("authorization", secured.token),),  # no "Bearer " prefix
                     (("authorization", f"Basic {secured.token}"),)]:
        client = _client(secured, transport, metadata)
        for method, request in [("ListModels", client.pb.ListModelsRequest()), ("Stats", client.pb.StatsRequest()),
                                ("AddImages", client.pb.AddImagesRequest(images=[client.pb.ImageUpload(
                                    data=noise_png(32, 32, seed=900), name="x.png")]))]:
            error = rpc_error(client.call, method, request)
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED, (
                f"{transport} {method} with metadata {metadata}: {error.code().name} {error.details()!r}")


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_right_token_works(secured, daemon_stubs, transport):
    client = _client(secured, transport, secured.metadata())
    assert client.list_models().default_model
    info = client.add([(noise_png(96, 64, seed=901), "auth.png")])[0]
    _, maps = client.similarity("head", info.id, [info.id], cell=(1, 1))
    assert maps.shape == (1, 7, 7)
    health = client.health.Check(daemon_stubs.health_pb.HealthCheckRequest(), timeout=10,
                                 metadata=secured.metadata())
    assert health.status == daemon_stubs.health_pb.HealthCheckResponse.SERVING


def test_cli_with_and_without_token_file(secured, photos):
    assert_ok(secured.cli("models"))  # Daemon.cli passes --token-file
    proc = run_cli(["--server", secured.unix_target(), "models"])
    line = assert_one_line_error(proc)
    assert "unauthenticated" in line.lower() or "token" in line.lower(), line


def test_log_does_not_contain_token(secured):
    # After the refused and accepted calls of the tests above (module order), and one more of each now.
    client = _client(secured, "tcp", secured.metadata())
    client.list_models()
    rpc_error(_client(secured, "tcp", None).list_models)
    log = secured.log_text() + secured.stdout_text()
    assert "listening" in log
    assert secured.token not in log, "the daemon's log contains the token"
    assert secured.token[4:] not in log, "the daemon's log contains the token's secret part"


def test_non_loopback_without_token_refuses_to_start(daemon_stubs):
    workdir = short_tmpdir()
    sock = workdir / "d.sock"
    cmd = [str(simlayd_bin()), "--unix", str(sock), "--tcp", f"0.0.0.0:{free_port()}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=STARTUP_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(cmd)} kept running (it must refuse to start)")
    finally:
        socket_left = sock.exists()
        shutil.rmtree(workdir, ignore_errors=True)
    assert proc.returncode != 0, f"started on 0.0.0.0 without --token-file:\n{proc.stderr}"
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected a one-line message, got:\n{proc.stderr}"
    assert "token" in lines[0].lower(), lines[0]
    assert not socket_left, "the refused daemon left a socket file"
