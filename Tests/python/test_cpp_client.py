"""Another language on the wire (issue 12 item 8): a C++ client (Tests/cpp/simlay_client.cc, Debian's
libgrpc++ and grpc_cpp_plugin, stubs generated from Protos/ at test time) calls ListModels, AddImages and
Similarity over the Unix socket and over TCP with a token, and its maps are byte-identical to the Python
client's.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from daemon_support import REPO, noise_png, running_daemon, short_tmpdir, working_tree_package

TOKEN = "cpp-client-token"


@pytest.fixture(scope="module")
def cpp_client():
    for tool, package in [("protoc", "protobuf-compiler"), ("grpc_cpp_plugin", "protobuf-compiler-grpc"),
                          ("g++", "g++"), ("pkg-config", "pkg-config")]:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing: install Debian's {package} (scripts/setup.sh does)")
    if subprocess.run(["pkg-config", "--exists", "grpc++"]).returncode != 0:
        pytest.skip("grpc++ is missing: install Debian's libgrpc++-dev (scripts/setup.sh does)")
    build = short_tmpdir("cpp-")
    subprocess.run(["protoc", f"-I{REPO / 'Protos'}", f"--cpp_out={build}", f"--grpc_out={build}",
                    f"--plugin=protoc-gen-grpc={shutil.which('grpc_cpp_plugin')}", "simlay/v1/simlay.proto"],
                   check=True, capture_output=True)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "grpc++", "protobuf"], check=True,
                           capture_output=True, text=True).stdout.split()
    binary = build / "simlay_client"
    proc = subprocess.run(["g++", "-std=c++17", "-O1", f"-I{build}", str(REPO / "Tests/cpp/simlay_client.cc"),
                           str(build / "simlay/v1/simlay.pb.cc"), str(build / "simlay/v1/simlay.grpc.pb.cc"),
                           *flags, "-o", str(binary)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    yield binary
    shutil.rmtree(build, ignore_errors=True)


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_cpp_client_maps_match_python(daemon_stubs, cpp_client, transport, tmp_path):
    images = []
    for seed, (w, h) in enumerate([(96, 64), (50, 77), (128, 128)]):
        path = tmp_path / f"img{seed}.png"
        path.write_bytes(noise_png(w, h, seed=900 + seed))
        images.append(path)
    token = TOKEN if transport == "tcp" else None
    with running_daemon([], tcp=transport == "tcp", token=token) as d:
        target = d.unix_target() if transport == "unix" else d.tcp_target()
        out = tmp_path / "maps.bin"
        proc = subprocess.run([str(cpp_client), target, token or "-", "blocks.10", "2", "3", str(out),
                               *map(str, images)], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        fields = dict(part.split("=", 1) for part in proc.stdout.split())
        assert fields["default_model"] == "efficientnet-lite0", proc.stdout
        ids = fields["ids"].split(",")
        shape = tuple(int(v) for v in fields["shape"].split("x"))
        simlay = working_tree_package()
        with simlay.Client(target, token=token) as client:
            assert client.add_images(images) == ids  # content-addressed: the same ids
            expected = client.similarity(layer="blocks.10", query=(0, 2, 3), images=ids)
        got = np.frombuffer(out.read_bytes(), "<f4").reshape(shape)
        assert got.shape == expected.shape and got.tobytes() == expected.astype("<f4").tobytes()
