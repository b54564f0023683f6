"""Shared fixtures for the Python test-suite (engine-vs-onnxruntime, preprocessing, converter).

Environment:

* ``SIMLAY_BIN``: the CLI under test (default ``<repo>/.build/release/simlay``). Tests that need it
  are skipped when it does not exist, unless ``SIMLAY_REQUIRE_BIN=1`` (for CI), which makes them fail.

Every input comes from the repository or from ``scripts/setup.sh``: the example photos of
``scripts/example_images.sh`` and variants cut from them (``photo_fixtures.py``), images and models the
tests make themselves, and small committed fixtures.

Run from the repository root::

    python3 -m pytest Tests/python -v
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
DEFAULT_MODEL = REPO / "models" / "efficientnet-lite0.onnx"
# Generous: a debug build of the engine on a 2-core machine can take a while on batch 2.
SUBPROCESS_TIMEOUT = 900


def load_script(name: str):
    """Import ``scripts/<name>.py`` as a module once (scripts/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    """Run a command capturing text output; never raises on a non-zero exit (tests inspect it)."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          timeout=SUBPROCESS_TIMEOUT, **kwargs)


def describe(proc: subprocess.CompletedProcess) -> str:
    """A readable account of a finished process for assertion messages."""
    return (f"$ {' '.join(proc.args)}\nexit {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def simlay_bin() -> Path:
    """Path of the Swift CLI; skips (or fails with SIMLAY_REQUIRE_BIN=1) when it has not been built."""
    from daemon_support import _binary  # one lookup rule for both binaries
    return _binary("SIMLAY_BIN", "simlay")


@pytest.fixture(scope="session")
def default_model() -> Path:
    """The converted EfficientNet-Lite0; runs the converter once if ``models/`` does not have it yet."""
    if not DEFAULT_MODEL.exists():
        proc = run([sys.executable, SCRIPTS / "convert_efficientnet_lite0.py", "--out", DEFAULT_MODEL])
        assert proc.returncode == 0, describe(proc)
    return DEFAULT_MODEL


@pytest.fixture(scope="session")
def test_models(tmp_path_factory) -> dict[str, Path]:
    """The synthetic architectures of ``testmodels.py``, saved once per session into a temp dir."""
    import testmodels

    out = tmp_path_factory.mktemp("testmodels")
    return {name: testmodels.save(build(), out / f"{name}.onnx") for name, build in testmodels.BUILDERS.items()}


@pytest.fixture(scope="session")
def all_models(default_model, test_models) -> dict[str, Path]:
    """Every model the engine is compared on, keyed by a short id used in test ids."""
    return {"efficientnet-lite0": default_model, **test_models}


@pytest.fixture(scope="session")
def example_images() -> list[Path]:
    """The example photos of ``scripts/example_images.sh`` (fetched once if missing)."""
    import photo_fixtures

    return photo_fixtures.example_photos()


@pytest.fixture(scope="session")
def photo_variants(tmp_path_factory) -> dict[str, Path]:
    """Crops of the example photos at 512x341, 512x600, 512x929 (JPEG) and 224x224 (JPEG), by file name."""
    import photo_fixtures

    return photo_fixtures.make_variants(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="session")
def photo_set(example_images, photo_variants) -> list[Path]:
    """Every photograph the classification and preprocessing tests run on: PNG and JPEG, 224x224 to 741x500."""
    return [*example_images, *photo_variants.values()]


# --- Daemon tests (test_daemon*.py); helpers in daemon_support.py ---------------------------------------


@pytest.fixture(scope="session")
def daemon_stubs():
    """The client package's generated gRPC modules (python/simlay/_proto, imported from the working tree)."""
    import daemon_support

    return daemon_support.stubs()


@pytest.fixture(scope="session")
def daemon(daemon_stubs):
    """The shared simlayd: default model, a Unix socket and TCP on 127.0.0.1. Stopped with SIGTERM at the end
    of the session, which must exit 0 and remove the socket."""
    import daemon_support

    with daemon_support.running_daemon(tcp=True) as d:
        yield d


@pytest.fixture
def client(daemon):
    """A wire-level client (daemon_support.Client over a simlay.Client) of the shared daemon's Unix socket."""
    return daemon.client("unix")


@pytest.fixture(scope="session")
def photos(example_images, photo_variants) -> dict[str, Path]:
    """Photographs of different aspect ratios for the daemon tests, by short name."""
    import daemon_support

    return {
        "landscape": photo_variants["landscape.png"],  # 512 x 341
        "portrait": photo_variants["portrait.png"],  # 512 x 600
        "tall": photo_variants["tall.jpg"],  # 512 x 929, JPEG
        "square": photo_variants["square.jpg"],  # 224 x 224, JPEG
        "chelsea": daemon_support.EXAMPLES / "chelsea.png",  # 451 x 300
        "coffee": daemon_support.EXAMPLES / "coffee.png",  # 600 x 400
    }


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long-running (the 30 s daemon soak); still run by default, deselect with -m 'not slow'")
