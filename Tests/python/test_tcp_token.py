"""TCP against other local users (issue 15 item 5): loopback TCP needs a token unless the operator opts
out (and the opt-out is logged), a token file others can read is refused, and wrong tokens are throttled
(at most ~10 refusals a second over all clients) and logged once per interval, not once per call."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import threading
import time

import grpc

from daemon_support import STARTUP_TIMEOUT, Client, free_port, rpc_error, running_daemon, short_tmpdir, simlayd_bin


def _fails(args) -> str:
    proc = subprocess.run([str(simlayd_bin()), *args], capture_output=True, text=True, timeout=STARTUP_TIMEOUT,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0, f"daemon started:\n{proc.stderr}"
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_loopback_tcp_without_token_refused_unless_opted_out(daemon_stubs):
    port = free_port()
    line = _fails(["--tcp", f"127.0.0.1:{port}"])
    assert "--token-file" in line and "--allow-loopback-without-token" in line, line
    with running_daemon(tcp=True) as d:  # daemon_support passes the opt-out when there is no token
        assert "--allow-loopback-without-token" in " ".join(d.command())
        assert "without a token" in d.log_text(), d.describe()
        assert Client(d.connection("tcp")).list_models().default_model


def test_token_file_readable_by_others_is_refused(daemon_stubs):
    work = short_tmpdir()
    try:
        token = work / "token"
        token.write_text("t-" + secrets.token_hex(8))
        for mode in (0o644, 0o640, 0o604):
            token.chmod(mode)
            line = _fails(["--unix", str(work / "d.sock"), "--token-file", str(token)])
            assert str(token) in line and oct(mode)[2:] in line and "chmod 600" in line, line
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_wrong_tokens_are_throttled_and_logged_once(daemon_stubs):
    token = "tok-" + secrets.token_hex(16)
    with running_daemon(tcp=True, token=token) as d:
        good = Client(d.connection("tcp"), (("authorization", f"Bearer {token}"),))
        assert good.list_models().default_model
        errors = []

        def guess(n):
            bad = Client(d.connection("tcp"), (("authorization", f"Bearer guess-{n}"),))
            for _ in range(5):
                errors.append(rpc_error(bad.call, "ListModels", bad.pb.ListModelsRequest(), timeout=30).code())

        start = time.monotonic()
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        # The right token is not slowed down by the flood of wrong ones.
        for _ in range(5):
            assert good.list_models().default_model
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        assert errors == [grpc.StatusCode.UNAUTHENTICATED] * 30
        # 30 refusals at 10 a second cannot finish sooner than ~2.9 s, however many clients send them.
        assert elapsed >= 2.5, f"30 wrong tokens answered in {elapsed:.2f} s: not throttled"
        refusals = [line for line in d.log_text().splitlines() if "without a valid bearer token" in line]
        assert 1 <= len(refusals) <= 2, "\n".join(refusals)
