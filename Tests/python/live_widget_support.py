"""Helpers of the live widget's tests (test_live_widget*.py): the working tree's package, a daemon of the
module's own, the example photos, and the widget driven as its front end drives it (what it sends is
recorded on its way to the comm; custom messages go in through the comm).
"""

from __future__ import annotations

import numpy as np
import pytest

import photo_fixtures
from daemon_support import EXAMPLES, running_daemon, working_tree_package

simlay = working_tree_package()
try:
    import anywidget  # noqa: F401
except ImportError as missing:  # scripts/requirements.txt has it: a fresh setup skips nothing
    pytest.fail(f"anywidget missing ({missing}): pip install -r scripts/requirements.txt", pytrace=False)
WAIT = 300.0  # seconds for a hover's answer: a first query runs forward passes on the shared machine


@pytest.fixture(scope="module")
def own_daemon():
    """A daemon of this module's own: the method counts of Stats move only with these tests."""
    with running_daemon() as d:
        yield d


@pytest.fixture(scope="module")
def paths():
    photo_fixtures.example_photos()  # fetches them if missing (fails, never skips)
    return [EXAMPLES / n for n in ("chelsea.png", "coffee.png", "astronaut.png")]


@pytest.fixture
def client(own_daemon):
    with simlay.Client(own_daemon.unix_target()) as c:
        yield c


def recording(widget) -> list:
    """Records every (content, buffers) the widget sends, then sends it on (to the comm) as before."""
    sent, send = [], widget.send

    def record(content, buffers=None):
        sent.append((content, [bytes(b) for b in buffers or []]))
        send(content, buffers)

    widget.send = record
    return sent


def decode(frame: bytes) -> tuple[int, np.ndarray]:
    seq, n, h, w = np.frombuffer(frame, dtype="<u4", count=4)
    assert len(frame) == 16 + 4 * int(n * h * w), f"frame of {len(frame)} bytes for {n}x{h}x{w}"
    return int(seq), np.frombuffer(frame, dtype="<f4", offset=16).reshape(int(n), int(h), int(w))


def counts(c, name: str) -> int:
    return sum(m["requests"] for m in c.stats()["methods"] if m["method"].split("/")[-1] == name)


def hover(widget, **content):
    widget._on_hover(content)
    assert widget.wait(WAIT), f"no answer to {content} in {WAIT} s"


def from_front_end(widget, content: dict) -> None:
    """A custom message as the front end's model.send delivers it: through the comm to the widget."""
    widget.comm.handle_msg({"content": {"comm_id": widget.comm.comm_id,
                                        "data": {"method": "custom", "content": content}}, "buffers": []})
