#!/usr/bin/env bash
# Regenerates the committed Swift code from Protos/. Needs Debian's protobuf-compiler (protoc) and the
# plugins that scripts/build-protoc-plugins.sh builds from the package's own dependencies.
#
#   scripts/gen-protos.sh          rewrite Sources/SimlayEngine/ONNX and Sources/SimlayProto/Generated
#   scripts/gen-protos.sh OUTROOT  write the same tree under OUTROOT instead (scripts/check-generated.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
outroot=${1:-$root}
command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler" >&2; exit 1; }
bin=$("$root/scripts/build-protoc-plugins.sh")

# ONNX file format: internal to the engine.
mkdir -p "$outroot/Sources/SimlayEngine/ONNX"
protoc --plugin=protoc-gen-swift="$bin/protoc-gen-swift" -I "$root/Protos/onnx" \
  --swift_opt=Visibility=Internal --swift_out="$outroot/Sources/SimlayEngine/ONNX" \
  "$root/Protos/onnx/onnx_subset.proto"

# The wire contract (simlay.v1 and the standard services it serves): messages and gRPC service stubs.
out="$outroot/Sources/SimlayProto/Generated"
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" -I "$root/Protos" \
  --swift_opt=Visibility=Public --swift_out="$out" \
  --grpc-swift-2_opt=Visibility=Public --grpc-swift-2_out="$out" \
  $(cd "$root/Protos" && find . -path ./onnx -prune -o -name "*.proto" -print | sed 's|^\./||' | sort)
echo "generated Swift code from Protos/ into $outroot" >&2
