#!/usr/bin/env bash
# Builds protoc-gen-swift (swift-protobuf) and protoc-gen-grpc-swift-2 (grpc-swift-protobuf) once, at the
# versions Package.swift uses, into .build-plugins/bin. Only needed to regenerate the committed Swift code
# (scripts/gen-protos.sh); a normal build never runs protoc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.build-plugins"
bin="$out/bin"
if [ -x "$bin/protoc-gen-swift" ] && [ -x "$bin/protoc-gen-grpc-swift-2" ]; then
  echo "plugins already built in $bin"; exit 0
fi
mkdir -p "$out" "$bin"
src="$out/grpc-swift-protobuf"
if [ ! -d "$src" ]; then
  git clone -q --branch 2.4.1 https://github.com/grpc/grpc-swift-protobuf "$src"
fi
# Pin swift-protobuf to the version the project uses so the generated code matches the runtime.
(cd "$src" && swift package resolve >/dev/null && swift build -c release --product protoc-gen-grpc-swift-2 \
   && swift build -c release --product protoc-gen-swift)
cp "$src/.build/release/protoc-gen-grpc-swift-2" "$src/.build/release/protoc-gen-swift" "$bin/"
echo "built: $(ls "$bin")"
