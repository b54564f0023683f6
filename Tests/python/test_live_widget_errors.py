"""The live widget's failures and end, against a real simlayd: an unknown layer, a cell off the grid, a bad
image index or message land in the ``error`` trait (the comm handler never raises) while good rows are
still answered; ``close()``, or the front end closing the comm, ends every layer's stream (the daemon
answers its end with OK). Helpers: live_widget_support.py.
"""

from __future__ import annotations

import pytest

from live_widget_support import (WAIT, client, counts, decode, from_front_end, hover, own_daemon,  # noqa: F401
                                 paths, recording)


def test_errors_are_shown_in_the_widget_not_raised(client, paths):
    ids = client.add_images(paths[:2])
    w = client.show(ids, layers=["head", "nope"], live=True)
    try:
        assert w.error == ("unknown layer 'nope' of model 'efficientnet-lite0': Client.layers() lists its "
                           f"{len(client.layers())} layers")
        w.close()
        w = client.show(ids, layers=["head", "haed"], live=True)
        assert "unknown layer 'haed' of model 'efficientnet-lite0': did you mean head" in w.error, w.error
        sent = recording(w)
        hover(w, image=0, y=1, x=1)  # returns, whatever the daemon says
        prefix = "layer 'haed' cell (1, 1) of image 0: "
        assert prefix in w.error and "haed" in w.error.split(prefix, 1)[1], w.error  # and the daemon's words
        (content, buffers), = sent
        assert [r["layer"] for r in content["rows"]] == ["head"], "the good row is still answered"
        assert decode(buffers[0])[1].tobytes() == client.similarity(layer="head", query=(0, 1, 1), images=ids).tobytes()
    finally:
        w.close()
    w = client.show(ids, layer="head", live=True)
    try:
        hover(w, image=0, y=7, x=0)
        assert "layer 'head' cell (7, 0) of image 0: " in w.error and "7 x 7" in w.error, w.error
        hover(w, image=5, y=0, x=0)
        assert "image index 5 is out of range for 2 images" in w.error, w.error
        hover(w, image=0, y="a", x=0)
        assert "invalid literal" in w.error, w.error
        from_front_end(w, {"type": "hover", "image": 0, "x": 0})  # no y: the comm handler does not raise
        assert w.wait(WAIT)
        assert w.error == "hover {image=0, x=0}: a hover needs image, y and x (cell of the row's layer); y missing"
        hover(w, image=1, y=6, x=6)
        assert w.error == "" and w.maps["head"].shape == (2, 7, 7)
    finally:
        w.close()
    with pytest.raises(ValueError, match="nmf_k"):
        client.show(ids, layer="head", live=True, nmf_k=3)


def test_close_ends_the_streams(client, paths):
    ids = client.add_images(paths[:2])
    w = client.show(ids, layers=["blocks.10", "head"], live=True)
    hover(w, image=0, y=2, x=2)
    calls = [s._responses for s in w._sessions]
    assert all(call is not None and call.running() for call in calls)
    w.close()
    # The daemon answered each stream's end with OK: both streams are done, not cancelled.
    assert [call.code().name for call in calls] == ["OK", "OK"]
    assert not w._worker.is_alive() and w.comm is None
    w._on_hover({"image": 0, "y": 1, "x": 1})  # ignored after close
    assert w.wait(1) and w.query["rows"][0]["y"] == 2
    assert counts(client, "SimilarityStream") >= 2
    w.close()  # idempotent
    # The front end closing the comm (the notebook's view gone) ends the streams the same way.
    w = client.show(ids, layer="head", live=True)
    hover(w, image=1, y=0, x=6)
    call = w._sessions[0]._responses
    w.comm.handle_close({"content": {"comm_id": w.comm.comm_id, "data": {}}})
    assert call.code().name == "OK" and not w._worker.is_alive() and w.comm is None
