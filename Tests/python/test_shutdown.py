"""simlayd's graceful shutdown with calls open (issue 12): health ``Watch`` streams (cancelled, or open
through the shutdown: NOT_SERVING, then the end), an idle ``SimilarityStream`` (ended with UNAVAILABLE), a
call that runs past ``--shutdown-grace-seconds`` (cancelled; the daemon exits anyway), and a clean log
(no error lines, e.g. SwiftNIO's "Cannot schedule tasks on an EventLoop that has already shut down").

Exit times are checked against a generous bound (that the daemon exits at all, not how fast).
"""

from __future__ import annotations

import queue
import re
import shutil
import signal
import threading
import time

import grpc
import pytest

from daemon_support import Daemon, noise_png, rpc_error, short_tmpdir, simlayd_bin, stubs

EXIT_BOUND = 45.0  # seconds: far above the 5 s grace period; a daemon held open never gets there


def error_lines(log: str) -> list[str]:
    """Log lines at error level or above, and anything else that says ERROR (SwiftNIO prints to stderr)."""
    return [line for line in log.splitlines()
            if re.search(r"\b(error|critical)\b simlayd", line) or "ERROR" in line]


@pytest.fixture
def daemon(daemon_stubs, request):
    """A started daemon with the test's extra arguments (``@pytest.mark.parametrize('args', ...)``)."""
    workdir = short_tmpdir()
    d = Daemon(workdir, getattr(request, "param", ()))
    try:
        d.start()
        yield d
    finally:
        d.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def stop_and_check(d: Daemon) -> None:
    """SIGTERM; then exit code 0 within EXIT_BOUND, the socket file removed, no error lines."""
    if d.proc.poll() is None:
        d.signal(signal.SIGTERM)
    code = d.wait(timeout=EXIT_BOUND)
    assert code == 0, f"exit {code} after SIGTERM\n{d.describe()}"
    assert not d.socket.exists(), f"socket file left after exit\n{d.describe()}"
    assert not error_lines(d.log_text()), f"error lines in the log: {error_lines(d.log_text())}\n{d.describe()}"


def health_watch(d: Daemon, channel=None):
    s = stubs()
    channel = channel or d.channel()
    return s.health_rpc.HealthStub(channel).Watch(s.health_pb.HealthCheckRequest(), timeout=300)


def test_plain_stop_has_no_error_lines(daemon):
    assert daemon.client().list_models().default_model
    stop_and_check(daemon)


def test_cancelled_watch_does_not_hold_shutdown(daemon):
    s = stubs()
    watch = health_watch(daemon)
    assert next(watch).status == s.health_pb.HealthCheckResponse.SERVING
    watch.cancel()
    time.sleep(0.5)  # let the RST_STREAM reach the daemon: the watch is over before the signal
    stop_and_check(daemon)
    assert "grace period over" not in daemon.log_text(), "a cancelled Watch held the shutdown\n" + daemon.describe()


def test_open_watch_gets_not_serving_then_ends(daemon):
    s = stubs()
    watch = health_watch(daemon)
    assert next(watch).status == s.health_pb.HealthCheckResponse.SERVING
    daemon.signal(signal.SIGTERM)
    statuses = []
    try:
        for reply in watch:  # ends when the daemon ends the stream; raises if it fails instead
            statuses.append(reply.status)
    except grpc.RpcError as error:
        pytest.fail(f"Watch failed with {error.code().name} {error.details()!r} instead of ending; got {statuses}\n"
                    f"{daemon.describe()}")
    assert statuses == [s.health_pb.HealthCheckResponse.NOT_SERVING], statuses
    stop_and_check(daemon)
    assert "grace period over" not in daemon.log_text(), "the Watch held the shutdown\n" + daemon.describe()


def test_idle_similarity_stream_is_told_unavailable(daemon):
    client = daemon.client()
    info = client.add([(noise_png(96, 80, seed=8100), "idle.png")])[0]
    requests: queue.Queue = queue.Queue()
    end = object()

    def messages():
        while (item := requests.get()) is not end:
            yield item

    replies = client.stub.SimilarityStream(messages(), timeout=300)
    requests.put(client.similarity_request("blocks.10", info.id, [info.id], cell=(2, 3)))
    first = next(replies)
    assert tuple(first.maps.shape) == (1, 14, 14)
    # The stream is now idle: the client keeps it open and sends nothing.
    daemon.signal(signal.SIGTERM)
    error = rpc_error(next, replies)
    requests.put(end)
    assert error.code() == grpc.StatusCode.UNAVAILABLE, f"{error.code().name} {error.details()!r}\n{daemon.describe()}"
    assert "shutting down" in error.details(), error.details()
    stop_and_check(daemon)
    assert "grace period over" not in daemon.log_text(), "the idle stream held the shutdown\n" + daemon.describe()


# --max-nmf-work raised: the NMF below (4e10) is over the default budget of 1e9, which would refuse it.
@pytest.mark.parametrize("daemon", [("--shutdown-grace-seconds", "1", "--max-nmf-work", str(10**12))], indirect=True)
def test_call_past_the_grace_period_is_cancelled(daemon):
    client = daemon.client()
    ids = [i.id for i in client.add([(noise_png(224, 224, seed=8200 + i), f"h{i}.png") for i in range(2)])]
    # Minutes of work: 2 x 112 x 112 rows of 96 channels, k = 16, up to 100000 HALS iterations from a
    # random start, with a tolerance too small to stop it early.
    request = client.pb.NmfRequest(layer="blocks.1.expand", image_ids=ids, k=16, max_iter=100000, tolerance=1e-30,
                                   init=client.pb.NMF_INIT_RANDOM, seed=3)
    future = client.future("Nmf", request, timeout=600)
    time.sleep(3.0)
    assert not future.done(), f"the NMF ended before SIGTERM: {future.exception()}\n{daemon.describe()}"
    started = time.monotonic()
    stop_and_check(daemon)
    assert time.monotonic() - started < EXIT_BOUND
    error = future.exception(timeout=60)
    assert isinstance(error, grpc.RpcError), f"the NMF completed: {type(future.result())}"
    assert error.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE), error.code()
    assert "grace period over" in daemon.log_text(), daemon.describe()


def test_grace_seconds_validated(daemon_stubs):
    import subprocess
    proc = subprocess.run([str(simlayd_bin()), "--shutdown-grace-seconds", "-1"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "--shutdown-grace-seconds" in proc.stderr, proc.stderr
