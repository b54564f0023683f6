"""The live page's wire (``simlayd --http``) from Python: a daemon serving it, a WebSocket session speaking
its JSON/binary protocol (DEVELOPERS.md, "The live view"), and the binary hover frame's decoder, which is
written from the protocol's description, not from the server's code."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
import time
import urllib.error
import urllib.request

import numpy as np
import websocket  # websocket-client

from daemon_support import free_port, running_daemon


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Until ``url`` answers (any HTTP status): the live server starts beside the gRPC sockets."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def live_daemon(args=(), **kwargs):
    """A daemon with ``--http 127.0.0.1:PORT``; yields (daemon, base URL)."""
    port = free_port()
    with running_daemon(["--http", f"127.0.0.1:{port}", *map(str, args)], **kwargs) as d:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/")
        yield d, base


def get(url: str, token: str | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a GET, HTTP errors included."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def decode_hover_frame(data: bytes) -> tuple[int, dict, list[np.ndarray]]:
    """(seq, meta, maps per row as float32 [n, h, w]) of a binary hover answer: uint32 seq, uint32 metaBytes,
    JSON padded to a multiple of 4, then every row's float32 maps."""
    seq, meta_bytes = struct.unpack_from("<II", data, 0)
    assert meta_bytes % 4 == 0, f"meta of {meta_bytes} bytes is not padded to 4"
    meta = json.loads(data[8:8 + meta_bytes].decode("utf-8"))
    offset = 8 + meta_bytes
    maps = []
    for row in meta["rows"]:
        count = row["n"] * row["h"] * row["w"]
        maps.append(np.frombuffer(data, dtype="<f4", count=count, offset=offset).reshape(row["n"], row["h"], row["w"]))
        offset += 4 * count
    assert offset == len(data), f"frame of {len(data)} bytes, rows need {offset}"
    return seq, meta, maps


class LiveSocket:
    """One WebSocket to ``/ws``."""

    def __init__(self, base: str, origin: str | None = None, timeout: float = 60):
        url = base.replace("http://", "ws://") + "/ws"
        # websocket-client sends an Origin of its own unless told not to; browsers always send theirs.
        extra = {"origin": origin} if origin else {"suppress_origin": True}
        self.ws = websocket.create_connection(url, timeout=timeout, **extra)
        self.next_id = 0

    def close(self):
        self.ws.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def receive(self):
        """The next message: a dict for text, (seq, meta, maps) for a binary hover frame."""
        opcode, data = self.ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_BINARY:
            return decode_hover_frame(data)
        return json.loads(data.decode("utf-8"))

    def hello(self, token: str) -> dict:
        self.send({"op": "hello", "token": token})
        return self.receive()

    def call(self, method: str, request: dict) -> dict:
        """A unary call; returns the answer message (op result or error)."""
        self.next_id += 1
        self.send({"op": "call", "id": self.next_id, "method": method, "request": request})
        answer = self.receive()
        assert answer.get("id") == self.next_id, answer
        return answer

    def hover(self, seq: int, requests: list[dict]):
        self.send({"op": "hover", "seq": seq, "requests": requests})
        return self.receive()


def similarity_json(layer: str, query_id: str, targets, y: int, x: int, **extra) -> dict:
    """A SimilarityRequest in proto3 JSON with a cell query."""
    return {"layer": layer, "query": {"imageId": query_id, "cell": {"y": y, "x": x}}, "targetIds": list(targets),
            **extra}


def upload_json(data: bytes, name: str) -> dict:
    return {"data": base64.b64encode(data).decode("ascii"), "name": name}
