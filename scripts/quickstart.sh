#!/usr/bin/env bash
# The main job on a fresh machine: set up (scripts/setup.sh), then run the default model on the example
# photos: classify them and save a few layers' activations to out/activations/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
simlay=.build/release/simlay
images=(examples/images/chelsea.png examples/images/coffee.png examples/images/astronaut.png)
echo "== simlay classify"
"$simlay" classify --top 3 --image "${images[@]}"
echo "== simlay activations (out/activations/*.npy)"
"$simlay" activations --image examples/images/chelsea.png --layer stem --layer blocks.4 --layer blocks.10 \
  --layer head --layer logits --out out/activations
ls -l out/activations
