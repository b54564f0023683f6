#!/usr/bin/env bash
# Regenerates the committed Swift code from Protos/. Needs Debian's protobuf-compiler (protoc) and the
# plugins that scripts/build-protoc-plugins.sh builds once from the pinned packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build-protoc-plugins.sh" >/dev/null
bin="$root/.build-plugins/bin"
command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler" >&2; exit 1; }

# ONNX file format: internal to the engine.
protoc --plugin=protoc-gen-swift="$bin/protoc-gen-swift" -I "$root/Protos/onnx" \
  --swift_opt=Visibility=Internal --swift_out="$root/Sources/SimlayEngine/ONNX" \
  "$root/Protos/onnx/onnx_subset.proto"

# The wire contract (simlay.v1), when present: messages and gRPC service stubs.
if [ -d "$root/Protos/simlay" ]; then
  out="$root/Sources/SimlayProto/Generated"
  mkdir -p "$out"
  protoc --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" -I "$root/Protos" \
    --swift_opt=Visibility=Public --swift_out="$out" \
    --grpc-swift-2_opt=Visibility=Public --grpc-swift-2_out="$out" \
    $(cd "$root/Protos" && find simlay grpc -name "*.proto" | sort)
fi
echo "generated Swift code from Protos/"
