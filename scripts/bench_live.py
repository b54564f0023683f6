#!/usr/bin/env python3
"""Latency of the live page (simlayd --http): pointer move -> painted tiles, in headless Chromium.

Starts simlayd with --http and a token, adds 16 photos (bench_daemon.py's set: the shared and example
images, mirrored copies making up the count), warms their activations at the layer, opens the page
(?images=...&layer=blocks.10) in headless Chromium (Tests/python/cdp.py) and drives it with real mouse
moves (CDP Input.dispatchMouseEvent) to the centres of random cells of random tiles. The page marks the
pointer event and the moment its tiles are drawn (inside requestAnimationFrame); window.simlay.latencies()
gives the ms between them for each painted query. Two phases:

* paced: one move every --interval ms (default 50): every move is answered, so this is the latency;
* fast: moves back to back (no pause): stale queries must be dropped, so painted < moves, and the
  latency of what is painted must stay near the paced one (nothing queues).

The reference is the daemon's own hover path measured in the same run: `simlay bench query --stream`
(one SimilarityStream client, the same 16 images and layer), p50. ``--busy N`` runs N processes spinning
on the CPU during both measurements (as scripts/bench_forward.py).

Output: one JSON line: {"images", "layer", "busy", "moves", "painted", "p50_ms", "p90_ms",
"daemon_stream_p50_ms", "ratio_p50" (page / daemon), "fast": {"moves", "painted", "p50_ms", "p90_ms"},
"phases_p50_ms": {"answer", "frame", "draw"}, "chromium_flags"}. Most of the gap to the daemon's own p50 is
the wait for the next animation frame (uniform over one 16.7 ms frame: about 8 ms at the median).

Usage: .venv/bin/python scripts/bench_live.py [--moves 300] [--interval 50] [--layer blocks.10]
       [--busy N] [--size 160]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "Tests" / "python"), str(REPO / "python")]
import bench_daemon  # noqa: E402  (sixteen_images)
import bench_forward  # noqa: E402  (start_busy, stop_busy)
import cdp  # noqa: E402

SIMLAY = Path(os.environ.get("SIMLAY_BIN", REPO / ".build/release/simlay"))
SIMLAYD = Path(os.environ.get("SIMLAYD_BIN", REPO / ".build/release/simlayd"))


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            sys.exit(f"simlayd exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"simlayd serves no HTTP on {port} after 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)


def stats(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p90_ms": None}
    a = np.asarray(values)
    return {"p50_ms": round(float(np.median(a)), 3), "p90_ms": round(float(np.percentile(a, 90)), 3)}


def drive(page: cdp.Page, tiles: list, moves: int, interval_s: float, rng: random.Random) -> tuple[int, list[float]]:
    """`moves` real mouse moves to the centres of random cells (never the same cell twice in a row);
    returns (moves, the latencies the page measured for them)."""
    before = len(page.evaluate("window.simlay.latencies()"))
    last = None
    for _ in range(moves):
        while True:
            left, top, w, h = rng.choice(tiles)
            y, x = rng.randrange(14), rng.randrange(14)
            if (left, top, y, x) != last:
                break
        last = (left, top, y, x)
        page.mouse("mouseMoved", left + (x + 0.5) * w / 14, top + (y + 0.5) * h / 14)
        if interval_s:
            time.sleep(interval_s)
    time.sleep(0.5)  # the last answers
    return moves, page.evaluate("window.simlay.latencies()")[before:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=300)
    ap.add_argument("--interval", type=float, default=50.0, help="ms between paced moves")
    ap.add_argument("--layer", default="blocks.10")
    ap.add_argument("--size", type=int, default=160, help="tile size (longest side, pixels)")
    ap.add_argument("--busy", type=int, default=0, help="processes spinning on the CPU during the run")
    ap.add_argument("--seconds", type=float, default=3.0, help="duration of the daemon's own stream benchmark")
    args = ap.parse_args()
    if args.moves < 10 or args.busy < 0:
        ap.error("--moves must be at least 10 and --busy at least 0")
    binary = cdp.chromium_path()
    if binary is None:
        sys.exit("chromium not found (apt-get install chromium, or set SIMLAY_CHROMIUM)")

    tmp = Path(tempfile.mkdtemp(prefix="simlay-live-bench-", dir="/tmp"))
    token = secrets.token_hex(16)
    (tmp / "token").write_text(token + "\n")
    (tmp / "token").chmod(0o600)
    port, sock, log = free_port(), tmp / "d.sock", tmp / "simlayd.log"
    daemon = subprocess.Popen([str(SIMLAYD), "--unix", str(sock), "--http", f"127.0.0.1:{port}", "--token-file", str(tmp / "token")],
                              stdout=subprocess.DEVNULL, stderr=open(log, "wb"), stdin=subprocess.DEVNULL)
    busy = []
    try:
        wait_http(port, daemon, log)
        import simlay
        images = bench_daemon.sixteen_images(tmp)
        with simlay.Client(f"unix:{sock}", token=token, timeout=600) as client:
            ids = client.add_images(images)
            client.similarity(layer=args.layer, query=(0, 0, 0), images=ids)  # forward passes, cached
        busy = bench_forward.start_busy(args.busy)
        reference = subprocess.run([str(SIMLAY), "--server", f"unix:{sock}", "--token-file", str(tmp / "token"), "bench", "query",
                                    "--layer", args.layer, "--clients", "1", "--seconds", str(args.seconds), "--stream",
                                    *map(str, images)], capture_output=True, text=True, timeout=600)
        if reference.returncode != 0:
            sys.exit(f"simlay bench query failed:\n{reference.stderr[-2000:]}")
        daemon_p50 = json.loads(reference.stdout.strip().splitlines()[-1])["p50_ms"]

        with cdp.Browser(binary, width=1600, height=1200) as browser:
            page = cdp.open_page(browser, f"http://127.0.0.1:{port}/?images={','.join(ids)}&layer={args.layer}&token={token}")
            assert page.evaluate("window.simlay.ready", await_promise=True) is True
            if args.size != 160:
                page.evaluate(f"(() => {{ const s = document.getElementById('size'); s.value = '{args.size}'; s.dispatchEvent(new Event('change')); }})()")
                time.sleep(2)
            tiles = [tuple(t) for t in page.evaluate("""[...document.querySelectorAll('.tile[data-row="0"]')].map(t => {
                const b = t.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; }).filter(b => b[1] + b[3] <= innerHeight)""")]
            if len(tiles) < 16:
                print(f"warning: only {len(tiles)} of 16 tiles are inside the viewport; moves go to those", file=sys.stderr)
            rng = random.Random(7)
            drive(page, tiles, 20, args.interval / 1e3, rng)  # warm-up: JIT, first paints
            moves, paced = drive(page, tiles, args.moves, args.interval / 1e3, rng)
            fast_moves, fast = drive(page, tiles, args.moves, 0, rng)
            phases = [x for x in page.evaluate("window.simlay.phases()") if x["source"] == "pointer"]
            problems = page.problems()
            if problems:
                print("page problems:\n" + "\n".join(problems), file=sys.stderr)
    finally:
        bench_forward.stop_busy(busy)
        daemon.terminate()
        daemon.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    p = stats(paced)
    out = {"images": len(ids), "layer": args.layer, "busy": args.busy, "size": args.size, "moves": moves, "painted": len(paced), **p,
           "daemon_stream_p50_ms": daemon_p50,
           "ratio_p50": round(p["p50_ms"] / daemon_p50, 2) if p["p50_ms"] and daemon_p50 else None,
           "fast": {"moves": fast_moves, "painted": len(fast), **stats(fast)},
           # Medians over every painted pointer query: event -> answer (socket, daemon, decode), answer ->
           # animation frame (the 60 Hz frame clock), drawing the tiles.
           "phases_p50_ms": {k: round(float(np.median([x[k] for x in phases])), 3) for k in ("answer", "frame", "draw")},
           "chromium_flags": "cdp.Browser defaults (headless=new, disable-gpu, 60 Hz frames)"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
