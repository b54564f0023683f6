"""HTTP/2 limits a client can rely on (issue 15): the stream limit is announced, so calls beyond it queue
instead of costing the connection; connections that carry no call are closed after
``--idle-timeout-seconds``.
"""

from __future__ import annotations

import time

import grpc

from daemon_support import running_daemon, stubs

BOUND = 60.0  # seconds: far above the timeouts under test, so only "never" fails


def test_calls_beyond_the_stream_limit_wait(daemon_stubs):
    s = stubs()
    with running_daemon() as d:
        channel = d.channel()
        health = s.health_rpc.HealthStub(channel)
        watches = [health.Watch(s.health_pb.HealthCheckRequest(), timeout=300) for _ in range(100)]
        for w in watches:
            assert next(w).status == s.health_pb.HealthCheckResponse.SERVING
        extra = health.Check.future(s.health_pb.HealthCheckRequest(), timeout=BOUND)
        time.sleep(1.0)
        assert not extra.done() or extra.exception() is None, f"the 101st call failed: {extra.exception()}"
        watches[0].cancel()
        assert extra.result(timeout=BOUND).status == s.health_pb.HealthCheckResponse.SERVING
        # The other 99 streams lived through it.
        assert all(w.is_active() for w in watches[1:]), [w.code() for w in watches[1:] if not w.is_active()]
        for w in watches:
            w.cancel()


def test_idle_connection_is_closed(daemon_stubs):
    """A channel that made a call and then stays idle is closed by the daemon (GOAWAY: the channel turns
    IDLE, not READY forever)."""
    s = stubs()
    with running_daemon(["--idle-timeout-seconds", "1"]) as d:
        channel = grpc.insecure_channel(d.unix_target())
        states = []
        channel.subscribe(states.append, try_to_connect=False)
        try:
            s.health_rpc.HealthStub(channel).Check(s.health_pb.HealthCheckRequest(), timeout=BOUND)
            deadline = time.monotonic() + BOUND
            while time.monotonic() < deadline and grpc.ChannelConnectivity.READY not in states:
                time.sleep(0.05)
            ready_at = states.index(grpc.ChannelConnectivity.READY)
            while time.monotonic() < deadline and grpc.ChannelConnectivity.IDLE not in states[ready_at:]:
                time.sleep(0.05)
            assert grpc.ChannelConnectivity.IDLE in states[ready_at:], f"never closed: {states}"
        finally:
            channel.close()


def test_connection_flags_validated(daemon_stubs):
    import subprocess
    from daemon_support import simlayd_bin
    for args in (["--idle-timeout-seconds", "-1"], ["--max-concurrent-streams", "0"]):
        proc = subprocess.run([str(simlayd_bin()), *args], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode != 0 and args[0] in proc.stderr, proc.stderr
