#!/usr/bin/env bash
# Fails when committed generated code is not what the generators make from Protos/ today: the Swift code
# (scripts/gen-protos.sh) and the Python client's stubs (scripts/gen_python_package_stubs.py). The README's
# test command runs it, so a proto edited without regenerating does not land.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py="$root/.venv/bin/python"
[ -x "$py" ] || py=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/scripts/gen-protos.sh" "$tmp/swift" 2>/dev/null
"$py" scripts/gen_python_package_stubs.py "$tmp/python" >/dev/null
status=0
for dir in Sources/SimlayEngine/ONNX Sources/SimlayProto/Generated; do
  if ! diff -r "$tmp/swift/$dir" "$dir" >"$tmp/diff" 2>&1; then
    echo "stale generated code in $dir (run scripts/gen-protos.sh):" >&2; head -n 20 "$tmp/diff" >&2; status=1
  fi
done
if ! diff -r -x __pycache__ -x __init__.py "$tmp/python" python/simlay/_proto >"$tmp/diff" 2>&1; then
  echo "stale Python stubs in python/simlay/_proto (run scripts/gen_python_package_stubs.py):" >&2
  head -n 20 "$tmp/diff" >&2; status=1
fi
[ $status -eq 0 ] && echo "generated code is current"
exit $status
