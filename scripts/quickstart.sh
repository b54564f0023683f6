#!/usr/bin/env bash
# The main job on a fresh machine: set up (scripts/setup.sh), start the daemon on the default model,
# upload example photos and save an overlay grid for a query on the cat's eye at three layers
# (out/overlay-sync.png), plus a one-layer similarity overlay and its raw maps (out/overlay.png, out/maps.npy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
mkdir -p out
sock="$root/out/simlayd.sock"
.build/release/simlayd --unix "$sock" 2> out/simlayd.log &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done

simlay() { .build/release/simlay --server "unix:$sock" "$@"; }
images=(examples/images/chelsea.png examples/images/astronaut.png examples/images/coffee.png examples/images/motorcycle_left.png)
echo "== layer sync: the cat's eye (pixel 170,115 of chelsea.png) at blocks.4, blocks.10 and head"
simlay sync --layers blocks.4,blocks.10,head --point 0@170,115 --out out/overlay-sync.png --npy-dir out/sync "${images[@]}"
echo "== similarity at blocks.10, query cell (3,5) of chelsea.png"
simlay similarity --layer blocks.10 --query 0:3,5 --out out/overlay.png --npy out/maps.npy "${images[@]}"
simlay stats | head -n 12
ls -l out/overlay-sync.png out/overlay.png out/maps.npy
