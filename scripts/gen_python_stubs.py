#!/usr/bin/env python3
"""Generates Python gRPC stubs for simlayd's wire contract from ``Protos/`` into OUTDIR.

    python3 scripts/gen_python_stubs.py OUTDIR

Produces (importable once OUTDIR is on ``sys.path``):

* ``simlay/v1/simlay_pb2.py`` and ``simlay/v1/simlay_pb2_grpc.py`` (package ``simlay.v1``)
* ``grpc_health/v1/health_pb2.py`` and ``grpc_health/v1/health_pb2_grpc.py`` (the standard
  ``grpc.health.v1.Health`` service)

The health proto is compiled under the module path ``grpc_health/v1/`` rather than ``grpc/health/v1/``:
a ``grpc`` directory on ``sys.path`` cannot extend the installed ``grpc`` package, so
``import grpc.health.v1`` would fail. Only the Python module path changes; the proto package (and so
the service name on the wire, ``grpc.health.v1.Health``) is the same. This is also the layout of the
``grpcio-health-checking`` package.

Needs ``grpcio-tools`` (scripts/requirements.txt).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROTOS = REPO / "Protos"

# (source under Protos/, path it is compiled as: decides the generated module's package)
SOURCES = [
    ("simlay/v1/simlay.proto", "simlay/v1/simlay.proto"),
    ("grpc/health/v1/health.proto", "grpc_health/v1/health.proto"),
]


def generate(out_dir: Path) -> list[Path]:
    """Compiles the protos into ``out_dir``; returns the generated files. Raises on a protoc failure."""
    from grpc_tools import protoc  # imported here so --help works without grpcio-tools

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="simlay-protos-") as staging:
        staging = Path(staging)
        for source, target in SOURCES:
            dest = staging / target
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PROTOS / source, dest)
        well_known = Path(protoc.__file__).resolve().parent / "_proto"
        args = ["grpc_tools.protoc", f"-I{staging}", f"-I{well_known}",
                f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
                *[str(staging / target) for _, target in SOURCES]]
        code = protoc.main(args)
        if code != 0:
            raise RuntimeError(f"grpc_tools.protoc failed with exit code {code}: {' '.join(args)}")
    # Regular packages (not namespace ones), so nothing else on sys.path can claim these names.
    generated = []
    for _, target in SOURCES:
        package = out_dir / Path(target).parent
        for directory in (package.parent, package):
            (directory / "__init__.py").touch()
        stem = Path(target).stem
        generated += [package / f"{stem}_pb2.py", package / f"{stem}_pb2_grpc.py"]
    missing = [p for p in generated if not p.exists()]
    if missing:
        raise RuntimeError(f"protoc did not produce {', '.join(map(str, missing))}")
    return generated


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 1 else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        files = generate(Path(argv[0]))
    except Exception as error:  # one line, as the project's tools report errors
        print(f"gen_python_stubs: error: {error}", file=sys.stderr)
        return 1
    print(f"generated {len(files)} modules in {Path(argv[0]).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
