"""TLS on the TCP listener (issue 12 item 6): `simlayd --tls-cert C --tls-key K [--tls-client-ca CA]`, the
CLI's `--tls-ca`/`--tls-cert`/`--tls-key` and the Python client's `tls_ca=`; bad files refused at start with
one line; a non-loopback bind without TLS warns; `--health-without-token`. Certificates are made by
Debian's openssl at test time (a throwaway CA, a server certificate for 127.0.0.1 and a client one).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import grpc
import pytest

from daemon_support import (assert_ok, assert_one_line_error, free_port, noise_png, running_daemon, run_cli,
                            short_tmpdir, simlayd_bin, working_tree_package)

TOKEN = "tls-test-token"


def _openssl(*args, cwd):
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"openssl {' '.join(args)}: {proc.stderr}"


def _issue(directory, name, ca, subject, san=None):
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-subj", f"/CN={subject}",
             "-out", f"{name}.csr", cwd=directory)
    extra = []
    if san:
        (directory / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        extra = ["-extfile", f"{name}.ext"]
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
             "-days", "2", "-out", f"{name}.crt", *extra, cwd=directory)


@pytest.fixture(scope="module")
def certs():
    if shutil.which("openssl") is None:
        pytest.fail("openssl is missing (Debian package openssl; scripts/setup.sh installs it)")
    d = short_tmpdir("tls-")
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.crt",
                 "-days", "2", "-subj", f"/CN=simlay test {ca}", cwd=d)
    _issue(d, "server", "ca", "localhost", san="IP:127.0.0.1,DNS:localhost")
    _issue(d, "client", "ca", "simlay test client")
    _issue(d, "stranger", "other-ca", "stranger")
    return {name: d / name for name in
            ["ca.crt", "other-ca.crt", "server.crt", "server.key", "client.crt", "client.key", "stranger.crt",
             "stranger.key"]}


def _tls_daemon(certs, *extra, client_options=None):
    args = ["--tls-cert", certs["server.crt"], "--tls-key", certs["server.key"], *extra]
    options = client_options or {"tls_ca": str(certs["ca.crt"])}
    return running_daemon(args, tcp=True, token=TOKEN, tcp_client_options=options)


def _maps(client):
    ids = client.add_images([noise_png(40, 32, seed=5)])
    return client.similarity(layer="blocks.10", query=(0, 1, 1), images=ids)


def test_tls_serves_and_plaintext_is_refused(daemon_stubs, certs):
    simlay = working_tree_package()
    with _tls_daemon(certs) as d:
        with simlay.Client(d.tcp_target(), token=TOKEN, tls_ca=certs["ca.crt"]) as secure:
            assert secure.health() == "SERVING"
            over_tls = _maps(secure)
        with simlay.Client(d.unix_target(), token=TOKEN) as local:
            over_unix = _maps(local)
        assert over_tls.shape == over_unix.shape and (over_tls == over_unix).all()
        # A plaintext client gets no answer from a TLS listener; a client trusting another CA neither.
        with simlay.Client(d.tcp_target(), token=TOKEN, timeout=5) as plain:
            with pytest.raises(simlay.SimlayError) as info:
                plain.health()
            assert info.value.code == "UNAVAILABLE", info.value
        with simlay.Client(d.tcp_target(), token=TOKEN, timeout=5, tls_ca=certs["other-ca.crt"]) as wrong:
            with pytest.raises(simlay.SimlayError) as info:
                wrong.health()
            assert info.value.code == "UNAVAILABLE", info.value


def test_cli_over_tls(daemon_stubs, certs):
    with _tls_daemon(certs) as d:
        common = ["--server", d.tcp_target(), "--token-file", str(d.token_file)]
        proc = assert_ok(run_cli([*common, "--tls-ca", str(certs["ca.crt"]), "models"]))
        assert "efficientnet" in proc.stdout.lower(), proc.stdout
        # Without --tls-ca the system's roots do not know the test CA: one line, exit 1.
        proc = run_cli([*common, "--tls", "models"])
        assert_one_line_error(proc, "UNAVAILABLE")
        proc = run_cli([*common, "--tls-ca", "/no/such/ca.pem", "models"])
        assert_one_line_error(proc, "--tls-ca", "/no/such/ca.pem")


def test_mutual_tls(daemon_stubs, certs):
    simlay = working_tree_package()
    options = {"tls_ca": str(certs["ca.crt"]), "tls_cert": str(certs["client.crt"]), "tls_key": str(certs["client.key"])}
    with _tls_daemon(certs, "--tls-client-ca", certs["ca.crt"], client_options=options) as d:
        with simlay.Client(d.tcp_target(), token=TOKEN, **options) as ok:
            assert ok.health() == "SERVING"
        for name, extra in [("no certificate", {}),
                            ("a certificate of another CA", {"tls_cert": str(certs["stranger.crt"]),
                                                             "tls_key": str(certs["stranger.key"])})]:
            with simlay.Client(d.tcp_target(), token=TOKEN, timeout=5, tls_ca=str(certs["ca.crt"]), **extra) as c:
                with pytest.raises(simlay.SimlayError) as info:
                    c.health()
                assert info.value.code == "UNAVAILABLE", f"{name}: {info.value}"
        proc = assert_ok(run_cli(["--server", d.tcp_target(), "--token-file", str(d.token_file), "--tls-ca",
                                  str(certs["ca.crt"]), "--tls-cert", str(certs["client.crt"]), "--tls-key",
                                  str(certs["client.key"]), "models"]))
        assert proc.returncode == 0


@pytest.mark.parametrize("args,needles", [
    (["--tls-cert", "/no/cert.pem", "--tls-key", "/no/key.pem"], ["--tls-cert", "/no/cert.pem"]),
    (["--tls-cert", "@server.crt"], ["--tls-cert and --tls-key"]),
    (["--tls-cert", "@server.key", "--tls-key", "@server.key"], ["--tls-cert", "no PEM certificate"]),
    (["--tls-cert", "@server.crt", "--tls-key", "@server.crt"], ["--tls-key", "no PEM private key"]),
    (["--tls-cert", "@server.crt", "--tls-key", "@server.key", "--tls-client-ca", "@server.key"],
     ["--tls-client-ca", "no PEM certificate"]),
])
def test_bad_tls_files_refused_at_start(daemon_stubs, certs, args, needles):
    args = [str(certs[a[1:]]) if a.startswith("@") else a for a in args]
    workdir = short_tmpdir("tlsbad-")
    token = workdir / "token"
    token.write_text(TOKEN)
    token.chmod(0o600)
    proc = subprocess.run([str(simlayd_bin()), "--unix", str(workdir / "d.sock"), "--tcp", f"127.0.0.1:{free_port()}",
                           "--token-file", str(token), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0, proc
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    text = " ".join(lines)
    for needle in needles:
        assert needle in text, text
    assert not (workdir / "d.sock").exists()


def test_tls_needs_tcp(daemon_stubs, certs):
    workdir = short_tmpdir("tlsunix-")
    proc = subprocess.run([str(simlayd_bin()), "--unix", str(workdir / "d.sock"), "--tls-cert", str(certs["server.crt"]),
                           "--tls-key", str(certs["server.key"])], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "--tcp" in proc.stderr, proc.stderr


def test_non_loopback_without_tls_warns(daemon_stubs):
    port = free_port()
    with running_daemon(["--tcp", f"0.0.0.0:{port}"], token=TOKEN) as d:
        log = d.log_text()
    assert "without TLS" in log and "clear text" in log, log


def test_health_without_token(daemon_stubs, certs):
    simlay = working_tree_package()
    with _tls_daemon(certs, "--health-without-token") as d:
        with simlay.Client(d.tcp_target(), tls_ca=certs["ca.crt"]) as anonymous:
            assert anonymous.health() == "SERVING"
            with pytest.raises(simlay.SimlayError) as info:
                anonymous.models()
            assert info.value.code == "UNAUTHENTICATED", info.value
    with running_daemon([], tcp=True, token=TOKEN) as d:
        with simlay.Client(d.tcp_target()) as anonymous:
            with pytest.raises(simlay.SimlayError) as info:
                anonymous.health()
            assert info.value.code == "UNAUTHENTICATED", info.value


def test_live_page_is_https_with_the_daemons_certificate(daemon_stubs, certs):
    """--http with --tls-cert: the page, /api and the WebSocket over TLS with the same certificate and token;
    plain HTTP to it gets no page."""
    import ssl
    import urllib.request

    import websocket

    from live_support import decode_hover_frame

    port = free_port()
    with _tls_daemon(certs, "--http", f"127.0.0.1:{port}") as d:
        context = ssl.create_default_context(cafile=str(certs["ca.crt"]))
        base = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/", context=context, timeout=5) as r:
                    assert r.status == 200 and b"<!doctype html" in r.read().lower()
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTPS page never answered"
                time.sleep(0.1)
        request = urllib.request.Request(base + "/api/colormaps", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, context=context, timeout=10) as r:
            assert r.status == 200
        with pytest.raises(OSError):  # plain HTTP to the TLS port gets no page
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
        ids = [i.id for i in d.client().add([(noise_png(40, 32, seed=5), "n.png")])]
        ws = websocket.create_connection(f"wss://127.0.0.1:{port}/ws", timeout=30, suppress_origin=True,
                                         sslopt={"ca_certs": str(certs["ca.crt"])})
        try:
            ws.send(json.dumps({"op": "hello", "token": TOKEN}))
            assert json.loads(ws.recv())["op"] == "hello"
            ws.send(json.dumps({"op": "hover", "seq": 1, "requests": [
                {"layer": "blocks.10", "query": {"imageId": ids[0], "cell": {"y": 0, "x": 0}}, "targetIds": ids}]}))
            seq, meta, maps = decode_hover_frame(ws.recv())
            assert seq == 1 and maps[0].shape == (1, meta["rows"][0]["h"], meta["rows"][0]["w"])
        finally:
            ws.close()
