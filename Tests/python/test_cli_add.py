"""``simlay add``: the ids the daemon gives, one per line, joined for the live page's ``?images=``, or long."""

from __future__ import annotations

from daemon_support import assert_ok, assert_one_line_error


def test_add_prints_the_daemons_ids(daemon, photos):
    paths = [photos["chelsea"], photos["coffee"]]
    want = [i.id for i in daemon.client().add(paths)]
    assert assert_ok(daemon.cli("add", *paths)).stdout.split() == want
    assert assert_ok(daemon.cli("add", "--join", *paths)).stdout.strip() == ",".join(want)
    rows = [line.split("\t") for line in assert_ok(daemon.cli("add", "--long", *paths)).stdout.splitlines()]
    assert [r[0] for r in rows] == want and rows[0][1:] == ["451", "300", "chelsea.png"], rows


def test_add_refuses_what_it_cannot_read(daemon, tmp_path):
    assert_one_line_error(daemon.cli("add", tmp_path / "missing.png"), "missing.png")
    (tmp_path / "not.png").write_bytes(b"not an image")
    assert_one_line_error(daemon.cli("add", tmp_path / "not.png"), "not.png")
    assert_one_line_error(daemon.cli("add"), "IMAGE")
