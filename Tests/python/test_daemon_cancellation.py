"""Deadlines, client cancellation and shutdown reach long computations (issue 15, item 2), against the real daemon
with one compute thread: an NMF that would run for minutes (32 images, k = 64, max_iter 100000, a tolerance
it never meets) holds that thread; a second client's query needs the thread for a forward pass. Once the NMF's
caller is gone (its deadline passes, or it cancels the call), the NMF stops and the second client is answered:
after the NMF's end (ordering: it really waited for the thread), and soon after (a bound generous on a shared
machine, where the uncancelled NMF would take minutes). Stats counts the cancelled job. On SIGTERM the
daemon stops such an NMF and exits.
"""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from daemon_support import noise_png, rpc_error, running_daemon

LAYER = "blocks.10"
IMAGES = 32
GENEROUS = 20.0  # seconds: an uncancelled NMF here runs for minutes


def long_nmf(pb, ids):
    # 32 x 196 rows x k 64 x 100000 iterations = 4e10: over the default --max-nmf-work, raised below.
    return pb.NmfRequest(layer=LAYER, policy=pb.NMF_POLICY_CLAMP, image_ids=ids, k=64, max_iter=100000, tolerance=1e-30)


@pytest.fixture(scope="module")
def busy():
    with running_daemon(["--forward-threads", "1", "--max-nmf-work", str(10**12)]) as d:
        client = d.client()
        pb = client.pb
        ids = [i.id for i in client.add([(noise_png(96, 96, seed=1700 + i), f"c{i}.png") for i in range(IMAGES)])]
        # Activations cached first, so the long NMF takes the compute thread at once and keeps it.
        client.call("Nmf", pb.NmfRequest(layer=LAYER, policy=pb.NMF_POLICY_CLAMP, image_ids=ids, k=2, max_iter=1))
        yield d, ids


def second_client_query(d, seed, result):
    """From its own connection: a fresh image (its forward pass needs the compute thread), then a query."""
    other = d.client()
    try:
        new = other.add([(noise_png(96, 96, seed=seed), f"q{seed}.png")])[0].id
        other.similarity(LAYER, new, [new], cell=(2, 2))
        result["done"] = time.monotonic()
    except grpc.RpcError as error:  # recorded, asserted on below
        result["error"] = error


@pytest.mark.parametrize("how", ["deadline", "cancel"])
def test_abandoned_nmf_frees_the_compute_thread(busy, how):
    d, ids = busy
    client = d.client()
    cancelled_before = client.stats().cancelled_jobs
    started = time.monotonic()
    future = client.future("Nmf", long_nmf(client.pb, ids), timeout=3.0 if how == "deadline" else 600)
    time.sleep(1.0)
    result: dict = {}
    second = threading.Thread(target=second_client_query, args=(d, 1800 + len(how), result))
    second.start()
    if how == "cancel":
        time.sleep(1.0)
        assert future.cancel()
        ended = time.monotonic()
    else:
        error = rpc_error(future.result)
        ended = time.monotonic()
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, f"{error.code()}: {error.details()}"
    second.join(timeout=120)
    assert not second.is_alive(), "the second client's query was not answered within 120 s"
    assert "error" not in result, result.get("error")
    # It waited for the NMF's thread (answered only once the NMF's caller was gone) and not much longer.
    assert result["done"] >= ended - 0.5, (result["done"] - started, ended - started)
    assert result["done"] - ended < GENEROUS, (result["done"] - started, ended - started)
    # The daemon stopped the NMF itself (the slot freed by the job ending on its flag, not by finishing).
    deadline = time.monotonic() + GENEROUS
    while client.stats().cancelled_jobs <= cancelled_before:
        assert time.monotonic() < deadline, "Stats.cancelled_jobs never counted the abandoned NMF"
        time.sleep(0.1)
    assert any(m.method.endswith("Nmf") for m in client.stats().methods)


def test_sigterm_stops_a_long_nmf():
    with running_daemon(["--forward-threads", "1", "--max-nmf-work", str(10**12),
                         "--shutdown-grace-seconds", "1"]) as d:
        client = d.client()
        pb = client.pb
        ids = [i.id for i in client.add([(noise_png(96, 96, seed=1900 + i), f"s{i}.png") for i in range(IMAGES)])]
        client.call("Nmf", pb.NmfRequest(layer=LAYER, policy=pb.NMF_POLICY_CLAMP, image_ids=ids, k=2, max_iter=1))
        future = client.future("Nmf", long_nmf(pb, ids), timeout=600)
        time.sleep(1.0)
        signalled = time.monotonic()
        d.signal()
        code = d.wait(timeout=GENEROUS + 1)
        assert code == 0, d.describe()
        assert time.monotonic() - signalled < GENEROUS
        with pytest.raises(grpc.RpcError):  # the call ended with the daemon, not with an answer
            future.result(timeout=GENEROUS)
