#!/usr/bin/env bash
# Formats the Swift sources with swift-format (the toolchain's `swift format`) and the repository's
# .swift-format configuration. Generated code (Sources/SimlayProto/Generated, *.pb.swift) is left as the
# generators write it, so scripts/check-generated.sh can compare it byte for byte.
#
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  change nothing; fail and name the files that are not formatted
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
mapfile -t files < <(git ls-files -co --exclude-standard '*.swift' | grep -v -e '/Generated/' -e '\.pb\.swift$' \
  | while read -r f; do [ -f "$f" ] && echo "$f"; done)
if [ "${1:-}" = "--check" ]; then
  # Format a copy in one parallel run and compare: one swift-format process per file takes ~10x longer.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for f in "${files[@]}"; do mkdir -p "$tmp/$(dirname "$f")"; cp "$f" "$tmp/$f"; done
  (cd "$tmp" && swift format format --configuration "$root/.swift-format" --in-place --parallel "${files[@]}")
  bad=()
  for f in "${files[@]}"; do cmp -s "$tmp/$f" "$f" || bad+=("$f"); done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "not formatted (run scripts/format.sh): ${bad[*]}" >&2; exit 1
  fi
  echo "swift-format: ${#files[@]} files formatted"
else
  swift format format --configuration .swift-format --in-place --parallel "${files[@]}"
fi
