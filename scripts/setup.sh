#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for Simlay: system libraries, a Python virtualenv (.venv) with the
# converter's and tests' packages, a release build, the default model and the example images.
# Idempotent: rerunning skips what is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
packages=(libopenblas-dev libpng-dev libjpeg62-turbo-dev libonnx-testdata python3-pip python3-venv pkg-config chromium
  protobuf-compiler openssl g++
  libprotobuf-dev protoc-gen-go            # Tests/python/test_proto_options.py (C++ and Go stubs)
  libgrpc++-dev protobuf-compiler-grpc)    # Tests/python/test_cpp_client.py (a C++ client on the wire)
# Node.js runs the viewer's JavaScript unit tests (Tests/js); any node 18+ on the PATH will do.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
echo "== pip install -r scripts/requirements.txt"
.venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
echo "== pip install ./python (the Python client, import simlay)"
.venv/bin/python -m pip install -q --disable-pip-version-check ./python

echo "== swift build -c release"
# Quiet on success (one line); on failure the compiler's last 40 lines, which name the error.
log=$(mktemp)
if swift build -c release >"$log" 2>&1; then tail -n 1 "$log"; rm -f "$log"; else tail -n 40 "$log"; rm -f "$log"; exit 1; fi

[ -f models/efficientnet-lite0.onnx ] || .venv/bin/python scripts/convert_efficientnet_lite0.py
"$root/scripts/example_images.sh"
