"""HTTP/2 limits a client can rely on (issue 15): the stream limit is announced, so calls beyond it queue
instead of costing the connection; connections that carry no call are closed after
``--idle-timeout-seconds``; connections beyond ``--max-connections`` are closed as they arrive, and ones
that send nothing within ``--handshake-timeout-seconds`` are closed; when descriptors are scarce the
daemon caps connections below its descriptor limit instead of spinning on a failing accept.
"""

from __future__ import annotations

import os
import socket
import time

import grpc

from daemon_support import Daemon, running_daemon, short_tmpdir, stubs

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
    for args in (["--idle-timeout-seconds", "-1"], ["--max-concurrent-streams", "0"], ["--max-connections", "0"],
                 ["--handshake-timeout-seconds", "-1"]):
        proc = subprocess.run([str(simlayd_bin()), *args], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode != 0 and args[0] in proc.stderr, proc.stderr


def _raw(path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(path))
    return s


def _closed_by_peer(s: socket.socket, within: float) -> bool:
    """Whether the daemon closes ``s`` (EOF) within ``within`` seconds; data it sends (its SETTINGS) is read past."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


def _health(d):
    s = stubs()
    return s.health_rpc.HealthStub(d.channel()).Check(s.health_pb.HealthCheckRequest(), timeout=BOUND).status


def test_connections_beyond_the_cap_are_closed(daemon_stubs):
    # No handshake deadline here: these raw sockets send nothing, and only the cap may close them.
    with running_daemon(["--max-connections", "3", "--handshake-timeout-seconds", "0"]) as d:
        time.sleep(1.0)  # the start-up probe's connection, closed by the client, leaves the count
        held = [_raw(d.socket) for _ in range(3)]
        time.sleep(0.5)  # counted once the daemon accepted them
        extra = _raw(d.socket)
        assert _closed_by_peer(extra, BOUND), "the 4th connection was not closed"
        for s in held:
            assert not _closed_by_peer(s, 0.5), "a connection under the cap was closed"
        for s in held + [extra]:
            s.close()
        assert _health(d) == 1  # SERVING once they are gone
        assert "refused a connection: 3 are open (--max-connections)" in d.log_text()


def test_a_connection_that_sends_nothing_is_closed(daemon_stubs):
    with running_daemon(["--handshake-timeout-seconds", "1"]) as d:
        silent = _raw(d.socket)
        talking = _raw(d.socket)
        talking.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
        assert _closed_by_peer(silent, BOUND), "a connection that sent nothing stayed open"
        assert not _closed_by_peer(talking, 2.0), "a connection that sent its preface was closed"
        silent.close()
        talking.close()


class _FewDescriptors(Daemon):
    """simlayd under ``prlimit --nofile=64:64``: 64 descriptors, soft and hard."""

    def command(self):
        return ["prlimit", "--nofile=64:64", *super().command()]


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_scarce_descriptors_cap_connections_instead_of_spinning(daemon_stubs):
    """100 clients against 64 descriptors: before the cap, accept failed with EMFILE in a loop (70% of a
    core); with it the daemon closes what it cannot hold and stays idle, then serves again."""
    d = _FewDescriptors(short_tmpdir())
    try:
        d.start()
        assert "--max-connections lowered to what the descriptor limit allows" in d.log_text()
        clients = [_raw(d.socket) for _ in range(100)]
        time.sleep(1.0)
        before = _cpu_seconds(d.proc.pid)
        time.sleep(3.0)
        used = _cpu_seconds(d.proc.pid) - before
        # A spinning accept loop burns about 2 s of CPU in these 3 s; an idle daemon a few hundredths.
        assert used < 0.5, f"the daemon used {used:.2f} s of CPU in 3 s with 100 clients at 64 descriptors"
        for s in clients:
            s.close()
        assert _health(d) == 1
        d.stop(check=True)
    finally:
        d.kill()
