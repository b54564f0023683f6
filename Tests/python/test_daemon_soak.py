"""Concurrency: identical first requests share one forward pass; and a 30 s soak of 8 clients with mixed
queries against a daemon with a small activation cache (--cache-mb 8), so that entries are evicted all
along: no unexpected failure, answers stay right, and the cache never exceeds its capacity.

Bounded: fixed duration, one call at a time per thread, Unix socket only.
"""

from __future__ import annotations

import random
import threading
import time

import grpc
import numpy as np
import pytest

from daemon_support import KNOWN_LAYERS, noise_png, running_daemon, tensor

SOAK_SECONDS = 30.0
CLIENTS = 8


def test_concurrent_identical_first_requests_compute_once(daemon):
    client = daemon.client()
    info = client.add([(noise_png(320, 240, seed=5000), "once.png")])[0]
    assert not info.existed
    clients = [daemon.client() for _ in range(4)]
    for c in clients:  # connect first, so the four calls start together
        c.list_models()
    before = client.stats().cache.forward_passes
    barrier = threading.Barrier(4)
    results, errors = [None] * 4, []

    def run(i):
        barrier.wait()
        try:
            results[i] = clients[i].similarity("blocks.10", info.id, [info.id], cell=(7, 7))[1]
        except grpc.RpcError as error:
            errors.append(f"{error.code().name}: {error.details()}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors
    after = client.stats().cache.forward_passes
    assert after - before == 1, f"4 concurrent first queries ran {after - before} forward passes (expected 1)"
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


@pytest.mark.slow
def test_soak_mixed_clients_small_cache(daemon_stubs, photos):
    with running_daemon(["--cache-mb", "8"]) as d:
        setup = d.client()
        base = setup.add([photos[k] for k in ("landscape", "portrait", "tall", "square", "chelsea", "coffee")])
        pool = [(i.id, i.width, i.height) for i in base]
        pool_lock = threading.Lock()
        sim_layers = ["blocks.2", "blocks.4", "blocks.10"]
        sync_layers = ["stem", "blocks.4", "head"]
        deadline = time.monotonic() + SOAK_SECONDS
        failures, counts, cache_samples = [], {}, []
        count_lock = threading.Lock()

        def note(kind):
            with count_lock:
                counts[kind] = counts.get(kind, 0) + 1

        def worker(seed: int):
            rng = random.Random(seed)
            client = d.client()
            n_new = 0
            while time.monotonic() < deadline:
                with pool_lock:
                    images = rng.sample(pool, min(3, len(pool)))
                ids = [i[0] for i in images]
                roll = rng.random()
                try:
                    if roll < 0.55:
                        layer = rng.choice(sim_layers)
                        _, h, w = KNOWN_LAYERS[layer]
                        cell = (rng.randrange(h), rng.randrange(w))
                        _, maps = client.similarity(layer, ids[0], ids, cell=cell)
                        assert maps.shape == (len(ids), h, w)
                        assert abs(maps[0][cell] - 1) < 1e-3, f"cosine at the query cell {maps[0][cell]}"
                        note("similarity")
                    elif roll < 0.8:
                        _, width, height = images[0]
                        point = (rng.uniform(0, width - 1), rng.uniform(0, height - 1))
                        reply = client.sync(sync_layers, ids[0], point, ids)
                        for lm in reply.layers:
                            assert abs(tensor(lm.maps)[0][lm.cell.y, lm.cell.x] - 1) < 1e-3
                        note("sync")
                    elif roll < 0.88:
                        n_new += 1
                        data = noise_png(rng.randrange(64, 200), rng.randrange(64, 200), seed=seed * 1000 + n_new)
                        info = client.add([(data, f"w{seed}-{n_new}.png")])[0]
                        with pool_lock:
                            pool.append((info.id, info.width, info.height))
                        note("add")
                    elif roll < 0.94:
                        try:
                            client.similarity("blocks.10", ids[0], ids, cell=(14, 3))
                            failures.append("cell (14, 3) of 14 x 14 accepted")
                        except grpc.RpcError as error:
                            if error.code() != grpc.StatusCode.OUT_OF_RANGE:
                                failures.append(f"expected OUT_OF_RANGE: {error.code().name} {error.details()}")
                        note("error")
                    else:
                        try:
                            client.similarity("blocks.4", "0" * 64, ids, cell=(1, 1))
                            failures.append("unknown image id accepted")
                        except grpc.RpcError as error:
                            if error.code() != grpc.StatusCode.NOT_FOUND:
                                failures.append(f"expected NOT_FOUND: {error.code().name} {error.details()}")
                        note("error")
                except grpc.RpcError as error:
                    failures.append(f"{error.code().name}: {error.details()}")
                except AssertionError as error:
                    failures.append(f"wrong answer: {error}")
                if len(failures) > 20:
                    return

        def sampler():
            client = d.client()
            while time.monotonic() < deadline:
                cache_samples.append(client.stats().cache)
                time.sleep(0.5)

        threads = [threading.Thread(target=worker, args=(i + 1,)) for i in range(CLIENTS)]
        threads.append(threading.Thread(target=sampler))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SOAK_SECONDS + 180)
        assert not any(t.is_alive() for t in threads), "a soak thread is stuck (a call never returned?)"

        final = setup.stats().cache
        cache_samples.append(final)
        print(f"soak: {counts}, {len(failures)} failures, final cache {final.bytes}/{final.capacity_bytes} bytes, "
              f"{final.entries} entries, {final.evictions} evictions, {final.forward_passes} forward passes, "
              f"{len(cache_samples)} samples")
        assert not failures, f"{len(failures)} unexpected failures, first ones: {failures[:5]}\ncounts {counts}"
        over = [(c.bytes, c.capacity_bytes) for c in cache_samples if c.bytes > c.capacity_bytes]
        assert not over, f"cache over capacity in {len(over)} of {len(cache_samples)} samples: {over[:5]}"
        assert final.capacity_bytes == 8 << 20, final.capacity_bytes
        assert final.evictions > 0, f"no eviction with an 8 MiB cache: {final}"
        assert counts.get("similarity", 0) >= 20 and counts.get("sync", 0) >= 5, counts
        assert len(cache_samples) >= 10, "Stats not sampled during the soak"
        # Still healthy afterwards.
        _, maps = setup.similarity("head", pool[0][0], [pool[0][0]], cell=(3, 3))
        assert maps[0, 3, 3] == pytest.approx(1.0, abs=1e-3)
