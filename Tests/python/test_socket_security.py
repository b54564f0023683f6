"""The Unix socket against other local users (issue 15 item 4): a socket directory another user could
write into or owns is refused, the socket is 0600 from its first instant even under umask 000, the
default directory is made 0700, and of two daemons started together on one path exactly one runs while
the other leaves its socket alone.

The tests run as root in CI; "another user" is uid 65534 (nobody) via chown. As a non-root user the
chown-based case is the one that cannot be set up, so it falls back to a directory of another existing
owner (/ is root's, which the rule accepts, so that case is then checked with a world-writable one).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import time

import pytest

from daemon_support import STARTUP_TIMEOUT, Daemon, short_tmpdir, simlayd_bin


def _start_fails(args, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(simlayd_bin()), *args], capture_output=True, text=True, timeout=STARTUP_TIMEOUT,
                          stdin=subprocess.DEVNULL, **kwargs)
    assert proc.returncode != 0, f"daemon started:\n{proc.stderr}"
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got:\n{proc.stderr}"
    return proc


def test_world_writable_directory_without_sticky_bit_is_refused(daemon_stubs):
    work = short_tmpdir()
    try:
        shared = work / "shared"
        shared.mkdir()
        shared.chmod(0o777)
        proc = _start_fails(["--unix", str(shared / "d.sock")])
        assert str(shared) in proc.stderr and "777" in proc.stderr and "sticky" in proc.stderr, proc.stderr
        assert not (shared / "d.sock").exists()
        shared.chmod(0o770)  # group-writable is the same risk
        assert "770" in _start_fails(["--unix", str(shared / "d.sock")]).stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user (CI runs as root)")
def test_directory_owned_by_another_user_is_refused(daemon_stubs):
    work = short_tmpdir()
    try:
        foreign = work / "foreign"
        foreign.mkdir()
        foreign.chmod(0o755)
        os.chown(foreign, 65534, 65534)
        proc = _start_fails(["--unix", str(foreign / "d.sock")])
        assert "owned by uid 65534" in proc.stderr and str(foreign) in proc.stderr, proc.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_sticky_world_writable_directory_is_accepted(daemon_stubs):
    # /tmp's shape: world-writable with the sticky bit, owned by root or by us; others cannot rename files there.
    work = short_tmpdir()
    try:
        sticky = work / "sticky"
        sticky.mkdir()
        sticky.chmod(0o1777)
        d = Daemon(work, unix_path=sticky / "d.sock")
        try:
            d.start()
            assert stat.S_IMODE(os.stat(d.socket).st_mode) == 0o600
            assert d.stop() == 0
        finally:
            d.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_socket_is_0600_from_the_start_and_new_directory_0700_under_umask_000(daemon_stubs):
    work = short_tmpdir()
    try:
        sub = work / "made" / "here"
        path = sub / "d.sock"
        seen: set[int] = set()
        stop = threading.Event()

        def watch():  # samples the socket's mode from the moment it appears
            while not stop.is_set():
                try:
                    seen.add(stat.S_IMODE(os.lstat(path).st_mode))
                except FileNotFoundError:
                    pass

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        d = Daemon(work, unix_path=path)
        old = os.umask(0)
        try:
            d.start()
        finally:
            os.umask(old)
        try:
            time.sleep(0.2)
            stop.set()
            watcher.join()
            assert seen == {0o600}, f"socket modes seen: {sorted(map(oct, seen))}"
            assert stat.S_IMODE(os.stat(sub).st_mode) == 0o700
            assert stat.S_IMODE(os.stat(sub.parent).st_mode) == 0o700
            assert d.stop() == 0
            assert not path.exists()
        finally:
            stop.set()
            d.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_two_daemons_started_together_leave_exactly_one(daemon_stubs):
    work = short_tmpdir()
    try:
        for trial in range(5):
            path = work / f"race{trial}.sock"
            daemons = [Daemon(work, unix_path=path) for _ in range(2)]
            for d in daemons:
                d.start(wait=False)
            try:
                deadline = time.monotonic() + STARTUP_TIMEOUT
                while sum(d.proc.poll() is None for d in daemons) > 1 and time.monotonic() < deadline:
                    if all("listening" in d.log_text() for d in daemons):
                        break
                    time.sleep(0.05)
                time.sleep(0.5)
                alive = [d for d in daemons if d.proc.poll() is None]
                assert len(alive) == 1, f"trial {trial}: {len(alive)} daemons running\n" + \
                    "\n".join(d.describe() for d in daemons)
                loser = next(d for d in daemons if d is not alive[0])
                assert "another daemon" in loser.log_text(), loser.describe()
                alive[0].wait_ready()
                assert path.exists(), f"trial {trial}: the loser removed the winner's socket"
                assert alive[0].client().list_models().default_model
                assert alive[0].stop() == 0
            finally:
                for d in daemons:
                    d.kill()
    finally:
        shutil.rmtree(work, ignore_errors=True)
