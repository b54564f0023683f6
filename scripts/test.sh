#!/usr/bin/env bash
# The test command (README and CI run exactly this): the viewer's JavaScript tests under node, one release
# build, then the Swift tests against it (--disable-testable-imports keeps `swift test` from rebuilding
# everything with other flags), then the Python tests, which drive the built binaries and compare with ONNX
# Runtime, Pillow and numpy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
py="$root/.venv/bin/python"
[ -x "$py" ] || py=python3   # scripts/setup.sh makes .venv; without it, the system's python3 and packages

# The viewer's JavaScript (Sources/SimlayService/Viewer/Resources) first: seconds, no build needed.
if ! command -v node >/dev/null 2>&1; then
  echo "test.sh: node not found: the viewer's JavaScript tests (Tests/js) need Node.js 18 or later" \
    "(Debian: apt-get install nodejs; scripts/setup.sh installs it)" >&2
  exit 1
fi
node --test Tests/js/*.test.js
# Swift sources as swift-format and .swift-format write them (seconds; scripts/format.sh fixes them).
"$root/scripts/format.sh" --check

swift build -c release
# Committed generated code must be what the generators make from Protos/ today.
"$root/scripts/check-generated.sh"
[ -f models/efficientnet-lite0.onnx ] || "$py" scripts/convert_efficientnet_lite0.py
swift test -c release --disable-testable-imports
export SIMLAY_BIN="$root/.build/release/simlay" SIMLAYD_BIN="$root/.build/release/simlayd" SIMLAY_REQUIRE_BIN=1
"$py" -m pytest -q -rs Tests/python
