"""Decoding on its own threads (issue 12 item 7): a slow image (a 7000 x 7000 progressive JPEG, seconds of
decoding and resizing) never holds the forward thread that queries wait for. While it decodes, another
client's first query on a new image (a forward pass) is answered, and images of one request decode side
by side. Ordering is asserted (which call finished first), not speed.
"""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest

from daemon_support import noise_png, running_daemon


@pytest.fixture(scope="module")
def heavy_jpeg() -> bytes:
    """49 megapixels, progressive: about 2 s to decode and resize here (the per-image limit is 50 M)."""
    from PIL import Image

    side = 7000
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    rgb = np.stack([np.add.outer(ramp, ramp) / 2, np.add.outer(ramp[::-1], ramp) / 2,
                    np.tile(ramp, (side, 1))], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=90, progressive=True)
    return buf.getvalue()


def test_a_slow_decode_holds_no_query(heavy_jpeg):
    # One forward thread, as on a 2-core machine: before this change decoding ran on it too.
    with running_daemon(["--forward-threads", "1", "--decode-threads", "1"]) as daemon:
        client = daemon.client()
        small = client.add([(noise_png(64, 64, seed=901), "small.png")])[0]  # decoded, not yet run
        done = threading.Event()
        heavy = {}

        def add_heavy():
            try:
                heavy["info"] = daemon.client().add([(heavy_jpeg, "heavy.jpg")])[0]
            except Exception as e:  # reported below
                heavy["error"] = e
            done.set()

        t = threading.Thread(target=add_heavy)
        t.start()
        # Give the upload (a few MB over the socket) time to reach the decoder.
        assert not done.wait(0.5), "the heavy image decoded in under 0.5 s: it cannot show anything here"
        answer = client.call("Similarity", client.similarity_request("blocks.10", small.id, [small.id], cell=(1, 1)))
        assert not done.is_set(), "the query waited for the heavy image's decoding"
        assert len(answer.maps.data) == 14 * 14 * 4
        t.join(timeout=120)
        assert "error" not in heavy, heavy.get("error")
        assert (heavy["info"].width, heavy["info"].height) == (7000, 7000)
