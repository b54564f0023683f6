"""The protos under ``Protos/`` generate code for every common language (issue 12): the file options each
language needs are set (Go's import path, Java's package and class layout, C#, Objective-C, PHP and Ruby
namespaces), Debian's ``protoc`` generates Java, Objective-C, C#, PHP and Ruby without a name collision,
Go through Debian's ``protoc-gen-go``, and C++ stubs that compile against Debian's libprotobuf-dev and build a
request the Python stubs read back field for field.

Needs ``protoc`` (protobuf-compiler), ``protoc-gen-go``, ``g++`` and ``libprotobuf-dev``, all installed by
scripts/setup.sh; a missing one skips its test naming the Debian package.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

PROTOS = REPO / "Protos"
# What simlayd serves (the ONNX subset is the engine's file format, internal, never generated elsewhere).
SERVED = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto") if p.parts[len(PROTOS.parts)] != "onnx")
OURS = "simlay/v1/simlay.proto"
LANGUAGE_OPTIONS = ["go_package", "java_package", "java_multiple_files", "java_outer_classname", "csharp_namespace",
                    "objc_class_prefix", "php_namespace", "ruby_package"]


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not found: apt-get install {package}")
    return path


def protoc(*args, cwd=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([need("protoc", "protobuf-compiler"), "-I", str(PROTOS), *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)
    assert proc.returncode == 0, f"protoc {' '.join(map(str, args))}\n{proc.stderr}"
    return proc


def descriptors(tmp_path: Path):
    from google.protobuf import descriptor_pb2
    out = tmp_path / "set.pb"
    protoc("--descriptor_set_out", out, *SERVED)
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    return {f.name: f for f in files}


def test_served_protos_found():
    assert OURS in SERVED and "grpc/health/v1/health.proto" in SERVED, SERVED


def test_every_language_option_is_set(tmp_path):
    ours = descriptors(tmp_path)[OURS]
    options = ours.options
    missing = [name for name in LANGUAGE_OPTIONS if not options.HasField(name)]
    assert not missing, f"{OURS} lacks {missing}"
    assert options.java_multiple_files
    assert ";" in options.go_package and options.go_package.split(";")[1].isidentifier(), options.go_package
    # Java: the outer class sits next to one class per message, enum and service (SimlayGrpc): no clash.
    names = {m.name for m in ours.message_type} | {e.name for e in ours.enum_type} | {s.name for s in ours.service}
    assert options.java_outer_classname not in names
    assert not {n + "OrBuilder" for n in names} & names
    # Objective-C: at least three capitals (two-letter prefixes are Apple's) and not protobuf's own GPB.
    assert len(options.objc_class_prefix) >= 3 and options.objc_class_prefix.isupper()
    assert options.objc_class_prefix != "GPB"


def test_standard_protos_keep_upstream_names(tmp_path):
    files = descriptors(tmp_path)
    health = files["grpc/health/v1/health.proto"].options
    assert health.go_package == "google.golang.org/grpc/health/grpc_health_v1"
    assert health.java_package == "io.grpc.health.v1" and health.java_outer_classname == "HealthProto"
    for version in ("v1", "v1alpha"):
        options = files[f"grpc/reflection/{version}/reflection.proto"].options
        assert options.go_package == f"google.golang.org/grpc/reflection/grpc_reflection_{version}"
        assert options.java_package == f"io.grpc.reflection.{version}"


@pytest.mark.parametrize("language", ["java", "objc", "csharp", "php", "ruby"])
def test_builtin_generators(tmp_path, language):
    # C#: two files are named reflection.proto; base_namespace puts each in its namespace's directory.
    extra = ["--csharp_opt=base_namespace="] if language == "csharp" else []
    protoc(f"--{language}_out={tmp_path}", *extra, *SERVED)
    generated = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(generated) >= len(SERVED), generated
    if language == "java":
        assert (tmp_path / "io/github/simlay/v1/SimilarityRequest.java").is_file()
        assert (tmp_path / "io/github/simlay/v1/SimlayProto.java").is_file()


def test_go(tmp_path):
    need("protoc-gen-go", "protoc-gen-go")
    protoc(f"--go_out={tmp_path}", "--go_opt=paths=source_relative", *SERVED)
    text = (tmp_path / "simlay/v1/simlay.pb.go").read_text()
    assert "package simlayv1" in text
    assert "type SimilarityRequest struct" in text
    assert (tmp_path / "grpc/health/v1/health.pb.go").read_text().count("package grpc_health_v1") == 1


CPP_MAIN = r"""
#include <iostream>
#include "simlay/v1/simlay.pb.h"

int main() {
  simlay::v1::SimilarityRequest request;
  request.set_model("lite");
  request.set_layer("blocks.10");
  request.mutable_query()->set_image_id("abc");
  request.mutable_query()->mutable_cell()->set_y(2);
  request.mutable_query()->mutable_cell()->set_x(3);
  request.add_target_ids("abc");
  request.add_target_ids("def");
  request.set_metric(simlay::v1::METRIC_DOT);
  std::string bytes;
  if (!request.SerializeToString(&bytes)) return 1;
  std::cout << bytes;
  return 0;
}
"""


def test_cpp_compiles_and_round_trips(tmp_path, daemon_stubs):
    cxx = need("g++", "g++")
    pkg = subprocess.run(["pkg-config", "--cflags", "--libs", "protobuf"], capture_output=True, text=True)
    if pkg.returncode != 0:
        pytest.skip("protobuf's pkg-config file not found: apt-get install libprotobuf-dev pkg-config")
    protoc(f"--cpp_out={tmp_path}", OURS)
    (tmp_path / "main.cc").write_text(CPP_MAIN)
    exe = tmp_path / "request"
    build = subprocess.run([cxx, "-std=c++17", "-O0", "-I", str(tmp_path), str(tmp_path / "main.cc"),
                            str(tmp_path / "simlay/v1/simlay.pb.cc"), "-o", str(exe), *pkg.stdout.split()],
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run([str(exe)], capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr
    pb = daemon_stubs.pb
    expected = pb.SimilarityRequest(model="lite", layer="blocks.10", target_ids=["abc", "def"], metric=pb.METRIC_DOT,
                                    query=pb.Query(image_id="abc", cell=pb.Cell(y=2, x=3)))
    assert pb.SimilarityRequest.FromString(run.stdout) == expected
