"""Decoding on its own threads (issue 12 item 7): a slow image (7000 x 7000 progressive JPEGs, seconds of
decoding and resizing) never holds the forward thread that queries wait for. While it decodes, another
client's first query on a new image (a forward pass) is answered. Ordering is asserted (which call finished
first), not speed.
"""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest

from daemon_support import noise_png, running_daemon


@pytest.fixture(scope="module")
def heavy_jpegs() -> list[bytes]:
    """Four different 49-megapixel progressive JPEGs (the per-image limit is 50 M): 0.4-2 s each to decode
    and resize here, depending on the load, so well over a second for the four on one decode thread."""
    from PIL import Image

    side = 7000
    out = []
    for k in range(4):
        ramp = np.linspace(0, 255 - 40 * k, side, dtype=np.float32)
        rgb = np.stack([np.add.outer(ramp, ramp) / 2, np.add.outer(ramp[::-1], ramp) / 2,
                        np.tile(ramp, (side, 1))], axis=-1).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=90, progressive=True)
        out.append(buf.getvalue())
    return out


def test_a_slow_decode_holds_no_query(heavy_jpegs):
    # One forward thread, as on a 2-core machine: before this change decoding ran on it too.
    with running_daemon(["--forward-threads", "1", "--decode-threads", "1"]) as daemon:
        client = daemon.client()
        small = client.add([(noise_png(64, 64, seed=901), "small.png")])[0]  # decoded, not yet run
        done = threading.Event()
        heavy = {}

        def add_heavy():
            try:
                heavy["info"] = daemon.client().add([(j, f"heavy{k}.jpg") for k, j in enumerate(heavy_jpegs)])
            except Exception as e:  # reported below
                heavy["error"] = e
            done.set()

        t = threading.Thread(target=add_heavy)
        t.start()
        # Give the upload (a few MB over the socket) time to reach the decoder.
        assert not done.wait(0.2), f"the heavy images were done in under 0.2 s: it cannot show anything here ({heavy})"
        answer = client.call("Similarity", client.similarity_request("blocks.10", small.id, [small.id], cell=(1, 1)))
        assert not done.is_set(), "the query waited for the heavy image's decoding"
        assert len(answer.maps.data) == 14 * 14 * 4
        t.join(timeout=120)
        assert "error" not in heavy, heavy.get("error")
        assert [(i.width, i.height) for i in heavy["info"]] == [(7000, 7000)] * 4
