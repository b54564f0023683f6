"""Large answers (issue 12 item 5): an answer over what the caller receives is refused by the daemon, naming
the client-side setting to raise, rather than sent to fail inside the client; a call that states its
receive limit (metadata `simlay-max-answer-bytes`) gets it; ExportViewerStream sends a page in pieces of at
most 1 MiB to a stock client; Stats reports the default limit.
"""

from __future__ import annotations

import grpc
import pytest
from grpc_status import rpc_status
from google.rpc import error_details_pb2

from daemon_support import noise_png, rpc_error

STOCK = 4 << 20  # the receive limit of stock gRPC clients


@pytest.fixture(scope="module")
def big_page(daemon):
    """Five noise images at blocks.4 (28 x 28 cells, as the issue measured: 9.7 MB for five photos): a page well over 4 MiB."""
    client = daemon.client()
    ids = [i.id for i in client.add([(noise_png(160, 160, seed=300 + k), f"n{k}.png") for k in range(5)])]
    pb = client.pb
    return pb.ExportViewerRequest(image_ids=ids, layers=["blocks.4"])


@pytest.fixture(scope="module")
def stock(daemon):
    """A channel with grpcio's default limits and a stub of it: what a client author starts with."""
    import daemon_support

    channel = grpc.insecure_channel(daemon.unix_target())
    yield daemon_support.stubs().rpc.SimlayStub(channel)
    channel.close()


def test_page_over_the_stock_limit_is_refused_by_name(daemon, big_page, stock):
    with pytest.raises(grpc.RpcError) as raised:
        stock.ExportViewer(big_page, timeout=120)
    error = raised.value
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    message = error.details()
    # The daemon's message, not the client's "received message larger than max".
    assert "simlay-max-answer-bytes" in message and "grpc.max_receive_message_length" in message, message
    assert "ExportViewerStream" in message, message
    status = rpc_status.from_call(error)
    info = error_details_pb2.ErrorInfo()
    assert any(d.Unpack(info) for d in status.details if d.Is(info.DESCRIPTOR))
    assert info.reason == "ANSWER_TOO_LARGE"
    assert int(info.metadata["limit"]) == STOCK and int(info.metadata["answer_bytes"]) > STOCK


def test_stated_limit_gets_the_answer_and_the_stream_matches_it(daemon, big_page, stock):
    client = daemon.client()  # raised receive limit, and says so in its metadata
    page = client.call("ExportViewer", big_page, timeout=120).html
    assert len(page.encode()) > STOCK
    chunks = list(stock.ExportViewerStream(big_page, timeout=120))
    total = len(page.encode())
    assert len(chunks) >= -(-total // (1 << 20))
    offset = 0
    for c in chunks:
        size = len(c.html.encode())
        assert 0 < size <= 1 << 20
        assert c.offset == offset and c.total_bytes == total
        offset += size
    assert "".join(c.html for c in chunks) == page


def test_a_stated_limit_below_the_answer_is_refused(daemon, big_page):
    client = daemon.client()
    error = rpc_error(client.call, "ExportViewer", big_page, metadata=(("simlay-max-answer-bytes", "1000"),))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "over the 1000 bytes this call accepts" in error.details()
    # Small answers pass under the same small limit.
    stats = client.call("Stats", client.pb.StatsRequest(), metadata=(("simlay-max-answer-bytes", "100000"),))
    assert stats.limits.default_max_answer_bytes == STOCK


@pytest.mark.parametrize("value", ["0", "-5", "lots", ""])
def test_a_malformed_limit_is_invalid_argument(daemon, value):
    client = daemon.client()
    error = rpc_error(client.call, "Stats", client.pb.StatsRequest(), metadata=(("simlay-max-answer-bytes", value),))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "simlay-max-answer-bytes" in error.details()


def test_cli_and_python_client_write_a_large_page(daemon, tmp_path):
    """Both clients raise their receive limit and say so: a page over 4 MiB is written in full."""
    files = []
    for k in range(5):
        f = tmp_path / f"n{k}.png"
        f.write_bytes(noise_png(160, 160, seed=300 + k))
        files.append(str(f))
    out = tmp_path / "page.html"
    proc = daemon.cli("export-html", "--layer", "blocks.4", "--out", str(out), *files)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > STOCK
    import daemon_support

    simlay = daemon_support.working_tree_package()
    with simlay.Client(daemon.unix_target()) as c:
        page = c.export_html(files, layers=["blocks.4"])
    assert len(page.encode()) > STOCK and page.startswith("<!DOCTYPE html>")
