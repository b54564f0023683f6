"""The Python client package (``python/``, ``import simlay``) against a real simlayd over real sockets.

Imports the package from the working tree (``python/`` is put first on ``sys.path``), so it tests this
checkout whether or not ``pip install ./python`` ran; ``test_pip_install_*`` installs the tracked files of
``python/`` into a temp dir and runs the scripts' contract with that installation.

Answers are compared with the raw grpcio stubs' (bytes-identical maps) and with the ``simlay`` CLI's
``--npy`` output. The NMF, sweep and viewer wrappers fail (they do not skip) while the daemon answers those
RPCs with "not implemented yet".
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import photo_fixtures
from daemon_support import (DEFAULT_MODEL_NAME, EXAMPLES, KNOWN_LAYERS, REPO, SCRIPTS, assert_ok, noise_png,
                            rpc_error, running_daemon, short_tmpdir, tensor, working_tree_package)

PYTHON_DIR = REPO / "python"


simlay = working_tree_package()
METRICS = ("cosine", "dot", "euclidean")


def example_images() -> list[Path]:
    paths = [EXAMPLES / name for name in ("chelsea.png", "coffee.png", "astronaut.png")]
    photo_fixtures.example_photos()  # fetches them if missing (fails, never skips)
    return paths


@pytest.fixture
def client(daemon):
    with simlay.Client(daemon.unix_target()) as c:
        yield c


@pytest.fixture
def raw(daemon):
    """The session's grpcio helper client (daemon_support.Client) over the Unix socket."""
    return daemon.client("unix")


# ---------------------------------------------------------------------------------------------------
# Packaging


def test_committed_stubs_match_regeneration(tmp_path):
    """python/simlay/_proto/ is exactly what scripts/gen_python_package_stubs.py writes from Protos/ today."""
    proc = subprocess.run([sys.executable, str(SCRIPTS / "gen_python_package_stubs.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    committed_dir = PYTHON_DIR / "simlay" / "_proto"
    generated = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".py")
    committed = sorted(p.name for p in committed_dir.iterdir() if p.suffix == ".py")
    assert generated == committed, (generated, committed)
    assert {"simlay_pb2.py", "simlay_pb2_grpc.py", "health_pb2.py", "health_pb2_grpc.py"} <= set(committed)
    stale = [name for name in committed
             if (committed_dir / name).read_bytes() != (tmp_path / name).read_bytes()]
    assert not stale, f"stale committed stubs {stale}: run scripts/gen_python_package_stubs.py"
    for name in committed:
        text = (committed_dir / name).read_text()
        # Importable from the installed package, with no generator-version guard.
        assert not re.search(r"^from (simlay|grpc_health)\b", text, flags=re.M), name
        for guard in ("ValidateProtobufRuntimeVersion", "GRPC_GENERATED_VERSION", "_registered_method"):
            assert guard not in text, (name, guard)


def test_package_stubs_are_the_wire_contract(daemon_stubs):
    """simlay.v1 is the package's generated module, the one the daemon tests send their requests with."""
    import simlay.v1
    from simlay._proto import simlay_pb2 as pkg_pb

    assert simlay.v1.simlay_pb2 is pkg_pb is daemon_stubs.pb
    names = {m.name for m in pkg_pb.DESCRIPTOR.message_types_by_name.values()}
    assert {"SimilarityRequest", "NmfRequest", "SweepRequest", "ExportViewerRequest"} <= names
    assert [s.full_name for s in pkg_pb.DESCRIPTOR.services_by_name.values()] == ["simlay.v1.Simlay"]
    request = pkg_pb.SimilarityRequest(layer="blocks.10", target_ids=["a", "b"], metric=pkg_pb.METRIC_DOT,
                                       query=pkg_pb.Query(image_id="a", region=pkg_pb.Region(y0=1, x0=2, y1=3, x1=4)))
    reparsed = pkg_pb.SimilarityRequest.FromString(request.SerializeToString())
    assert reparsed.query.region.x1 == 4 and reparsed.metric == pkg_pb.METRIC_DOT


@pytest.mark.parametrize("first", ["grpc_health", "simlay"])
def test_import_next_to_grpcio_health_checking(first):
    """``import simlay`` and grpcio-health-checking's ``grpc_health.v1.health_pb2`` (same proto file name,
    other options) load in one process in either order, and their health messages agree on the wire."""
    try:
        import grpc_health.v1.health_pb2  # noqa: F401
    except ImportError as error:
        pytest.fail(f"grpcio-health-checking missing ({error}): pip install -r scripts/requirements.txt")
    imports = ["import grpc_health.v1.health_pb2 as theirs", "import simlay"]
    code = "\n".join(imports if first == "grpc_health" else imports[::-1]) + """
from simlay._proto import health_pb2 as ours
wire = ours.HealthCheckRequest(service="simlay.v1.Simlay").SerializeToString()
assert theirs.HealthCheckRequest.FromString(wire).service == "simlay.v1.Simlay"
reply = theirs.HealthCheckResponse(status=theirs.HealthCheckResponse.SERVING).SerializeToString()
assert ours.HealthCheckResponse.FromString(reply).status == ours.HealthCheckResponse.SERVING
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PYTHON_DIR), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr


def _tracked_python_files(dest: Path) -> Path:
    """A copy of python/ as a clean clone has it (git's tracked files; no build/ or egg-info)."""
    proc = subprocess.run(["git", "ls-files", "-z", "python"], cwd=REPO, capture_output=True, timeout=60)
    files = [f for f in proc.stdout.decode().split("\0") if f] if proc.returncode == 0 else []
    if not files:  # not a git checkout: copy without build artefacts
        shutil.copytree(PYTHON_DIR, dest / "python",
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "dist"))
        return dest / "python"
    for f in files:
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / f, target)
    return dest / "python"


def test_pip_install_from_clean_tree_runs_the_contract(daemon, tmp_path):
    """`pip install ./python` from the tracked files, then the scripts' contract, verbatim, in a fresh
    interpreter that only sees the installation."""
    source = _tracked_python_files(tmp_path / "clone")
    for needed in ("pyproject.toml", "simlay/__init__.py", "simlay/_proto/simlay_pb2.py", "simlay/v1/__init__.py"):
        assert (source / needed).is_file(), f"{needed} is not tracked in git (a clean clone would lack it)"
    target = tmp_path / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--target", str(target), str(source)]
    try:
        import setuptools  # noqa: F401 - present: build offline with it
        cmd.insert(4, "--no-build-isolation")
    except ImportError:
        pass
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, f"pip install failed\n{proc.stdout}\n{proc.stderr}"
    for installed in ("simlay/_proto/simlay_pb2_grpc.py", "simlay/_proto/health_pb2.py", "simlay/py.typed"):
        assert (target / installed).is_file(), f"{installed} missing from the installed package"

    image = EXAMPLES / "chelsea.png"
    if not image.exists():
        image = tmp_path / "a.png"
        image.write_bytes(noise_png(200, 150, seed=501))
    sock = "unix://" + str(daemon.socket)  # unix:///abs/path
    assert sock.startswith("unix:///")
    script = (f"import simlay; c = simlay.Client({sock!r}); ids = c.add_images([{str(image)!r}]); "
              f"maps = c.similarity(model={DEFAULT_MODEL_NAME!r}, layer='blocks.10', query=(0, 3, 5), images=ids); "
              "print(simlay.__file__); print(type(maps).__module__, maps.dtype, maps.shape, ids[0])")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["PYTHONPATH"] = str(target)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    where, summary = proc.stdout.strip().splitlines()[-2:]
    assert Path(where).resolve().is_relative_to(target.resolve()), where
    assert summary.startswith("numpy float32 (1, 14, 14) "), summary


# ---------------------------------------------------------------------------------------------------
# Targets


def test_target_forms_and_default_socket(daemon, monkeypatch):
    from simlay._client import _grpc_target

    assert _grpc_target("unix:///tmp/x/d.sock") == "unix:/tmp/x/d.sock"
    assert _grpc_target("unix:rel/d.sock") == "unix:rel/d.sock"
    assert _grpc_target("/tmp/d.sock") == "unix:/tmp/d.sock"
    assert _grpc_target("127.0.0.1:7433") == "127.0.0.1:7433"
    assert _grpc_target("dns:///localhost:7433") == "dns:///localhost:7433"
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1234")
    assert simlay.default_target() == "unix:/run/user/1234/simlay/simlayd.sock"
    assert simlay.Client().target == "unix:/run/user/1234/simlay/simlayd.sock"
    monkeypatch.setenv("XDG_RUNTIME_DIR", "")
    assert simlay.default_target() == f"unix:/tmp/simlay-{os.getuid()}/simlayd.sock"

    # Every form reaches the same daemon.
    sock = Path(daemon.socket)
    monkeypatch.chdir(sock.parent)
    targets = [f"unix://{sock}", f"unix:{sock}", str(sock), f"unix:{sock.name}", f"./{sock.name}",
               f"127.0.0.1:{daemon.tcp_port}", f"ipv4:127.0.0.1:{daemon.tcp_port}"]
    for target in targets:
        with simlay.Client(target, timeout=60) as c:
            assert c.health() == "SERVING", target
            assert any(m.default and m.name == DEFAULT_MODEL_NAME for m in c.models()), target


def test_unreachable_daemon_is_unavailable_error():
    missing = short_tmpdir() / "nobody.sock"
    with simlay.Client(f"unix:{missing}", timeout=20) as c:
        with pytest.raises(simlay.UnavailableError) as info:
            c.models()
    error = info.value
    assert error.code == "UNAVAILABLE" and isinstance(error, simlay.SimlayError)
    assert str(missing) in str(error) and "is it running" in str(error), str(error)
    assert error.__cause__ is None and error.__context__ is None, "a grpc traceback is chained to the error"


# ---------------------------------------------------------------------------------------------------
# Similarity, sync, render: the same answers as the raw stubs and the CLI


def test_similarity_equals_raw_stubs_for_every_query_form_and_metric(client, raw, tmp_path):
    paths = example_images()
    ids = client.add_images(paths)
    raw_ids = [i.id for i in raw.add(paths)]
    assert ids == raw_ids
    forms = [
        ((1, 2, 9), dict(cell=(2, 9)), 1),
        ({"image": 0, "cell": (3, 5)}, dict(cell=(3, 5)), 0),
        ({"image": ids[2], "y": 13, "x": 0}, dict(cell=(13, 0)), 2),
        ((ids[0], 7, 7), dict(cell=(7, 7)), 0),
        ({"image": 2, "region": (1, 2, 4, 6)}, dict(region=(1, 2, 4, 6)), 2),
        ({"image": 0, "pixel": (170.0, 115.0)}, dict(pixel=(170.0, 115.0)), 0),
    ]
    for metric in METRICS:
        for query, raw_query, source in forms:
            maps = client.similarity(model=DEFAULT_MODEL_NAME, layer="blocks.10", query=query, images=ids,
                                     metric=metric)
            reply, expected = raw.similarity("blocks.10", ids[source], ids, metric=raw.pb.Metric.Value(
                f"METRIC_{metric.upper()}"), model=DEFAULT_MODEL_NAME, **raw_query)
            assert isinstance(maps, np.ndarray) and maps.dtype == np.float32 and maps.flags.writeable
            assert maps.shape == (3, 14, 14) == expected.shape, (query, maps.shape)
            assert maps.tobytes() == expected.tobytes(), f"{metric} {query}: the client's maps differ from the stubs'"
    # Default model ("" = the daemon's default) and default metric.
    np.testing.assert_array_equal(client.similarity(layer="head", query=(0, 1, 1), images=ids),
                                  raw.similarity("head", ids[0], ids, cell=(1, 1))[1])


def test_similarity_equals_cli_npy(client, daemon, tmp_path):
    paths = example_images()
    ids = client.add_images(paths)
    for metric, query, cli_query in [("cosine", (0, 3, 5), "0:3,5"), ("dot", {"image": 1, "pixel": (300, 90)},
                                                                       "1@300,90"),
                                     ("euclidean", {"image": 2, "region": (0, 0, 2, 3)}, "2:0,0-2,3")]:
        out = tmp_path / f"{metric}.npy"
        assert_ok(daemon.cli("similarity", "--layer", "blocks.4", "--query", cli_query, "--metric", metric,
                             "--npy", out, *paths))
        expected = np.load(out)
        maps = client.similarity(layer="blocks.4", query=query, images=ids, metric=metric)
        assert maps.shape == expected.shape == (3, 28, 28)
        np.testing.assert_array_equal(maps, expected, err_msg=f"{metric} {query} vs CLI {cli_query}")


def test_numpy_and_pil_inputs(client, raw, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(7)
    small = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    array = np.asarray(Image.fromarray(small).resize((160, 120), Image.BILINEAR))
    assert array.shape == (120, 160, 3) and array.dtype == np.uint8
    png = tmp_path / "array.png"
    Image.fromarray(array).save(png)

    infos = client.add_images([array], info=True)
    assert (infos[0].width, infos[0].height) == (160, 120) and infos[0].id
    # The same pixels as a PIL image, as the PNG file Pillow writes, as a non-contiguous view: one id.
    assert client.add_images([Image.fromarray(array)]) == [infos[0].id]
    assert client.add_images([png]) == [infos[0].id]
    assert client.add_images(png.read_bytes()) == [infos[0].id]
    flipped = np.ascontiguousarray(array[:, ::-1])
    assert client.add_images([array[:, ::-1]]) == client.add_images([flipped])

    # Arrays straight into a query (uploaded first): maps as for the uploaded file.
    maps = client.similarity(layer="blocks.10", query=(0, 4, 4), images=[array, str(png)])
    _, expected = raw.similarity("blocks.10", infos[0].id, [infos[0].id, infos[0].id], cell=(4, 4))
    assert maps.tobytes() == expected.tobytes()
    batch = np.stack([array, flipped])
    assert client.add_images(batch) == [infos[0].id, client.add_images(flipped)[0]]
    assert client.add_images(array) == [infos[0].id]  # one array, not a list
    grey = client.add_images([array[:, :, 0]], info=True)[0]
    assert (grey.width, grey.height) == (160, 120)

    with pytest.raises(TypeError, match="uint8"):
        client.add_images([array.astype(np.float32) / 255])
    with pytest.raises(ValueError, match="shape"):
        client.add_images([np.zeros((4, 4, 2), np.uint8)])
    with pytest.raises(TypeError):
        client.add_images([object()])


def test_sync_equals_raw_stubs(client, raw):
    paths = example_images()
    ids = client.add_images(paths)
    layers = ["blocks.4", "blocks.10", "head"]
    for metric in METRICS:
        result = client.sync(layers=layers, point=(0, 170, 115), images=ids, metric=metric)
        reply = raw.sync(layers, ids[0], (170.0, 115.0), ids, metric=raw.pb.Metric.Value(f"METRIC_{metric.upper()}"))
        assert list(result) == layers
        for lm in reply.layers:
            assert result[lm.layer].shape == (3, *KNOWN_LAYERS[lm.layer][1:])
            assert result[lm.layer].tobytes() == tensor(lm.maps).tobytes(), (metric, lm.layer)
            assert result.cells[lm.layer] == (lm.cell.y, lm.cell.x)
    one = client.sync(layers="head", point={"image": ids[1], "pixel": (10, 20)}, images=ids)
    assert list(one) == ["head"] and one["head"].shape == (3, 7, 7)


def test_render_png_and_pil(client, raw):
    from PIL import Image

    paths = example_images()
    ids = client.add_images(paths)
    options = simlay.RenderOptions(tile_size=96, colormap="viridis")
    png = client.render(ids, layer="blocks.10", query=(1, 4, 5), options=options, as_png=True)
    request = raw.similarity_request("blocks.10", ids[1], ids, cell=(4, 5))
    request.render.CopyFrom(raw.pb.RenderOptions(tile_size=96, colormap=raw.pb.COLORMAP_VIRIDIS))
    expected = raw.call("Similarity", request).rendered
    assert png == expected.png
    image = client.render(ids, layers=["blocks.4", "head"], point=(0, 170, 115),
                          options=simlay.RenderOptions(tile_size=64, titles=False, upsample="bilinear"))
    assert isinstance(image, Image.Image)
    sync = raw.sync_request(["blocks.4", "head"], ids[0], (170.0, 115.0), ids)
    sync.render.CopyFrom(raw.pb.RenderOptions(tile_size=64, no_titles=True, upsample=raw.pb.UPSAMPLE_BILINEAR))
    expected = raw.call("LayerSync", sync).rendered
    assert image.size == (expected.width, expected.height)
    assert np.array_equal(np.asarray(image.convert("RGB")),
                          np.asarray(Image.open(io.BytesIO(expected.png)).convert("RGB")))
    with pytest.raises(ValueError):
        client.render(ids, layer="head")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.tile_size = 128  # one frozen value, shareable between calls
    with pytest.raises(TypeError, match="RenderOptions"):
        client.nmf(ids, layer="blocks.10", k=2, policy="clamp", render=True)  # the 0.x flag
    with pytest.raises(ValueError, match="colormap"):
        simlay.RenderOptions(colormap="jet").to_proto()


def test_render_options_out_of_range_name_the_field(client):
    """The daemon checks render options (the client repeats no range): its INVALID_ARGUMENT names the field."""
    ids = client.add_images(example_images()[:2])
    cases = [(simlay.RenderOptions(tile_size=2000), "render.tile_size 2000 outside 16...1024"),
             (simlay.RenderOptions(tile_size=8), "render.tile_size 8 outside 16...1024"),
             (simlay.RenderOptions(opacity=1.5), "render.opacity 1.5 outside (0, 1]"),
             (simlay.RenderOptions(value_range=(1, 0)), "render.value_min 1.0 must be below render.value_max 0.0")]
    for options, message in cases:
        with pytest.raises(simlay.InvalidArgumentError) as info:
            client.render(ids, layer="head", query=(0, 1, 1), options=options)
        assert message in str(info.value), (options, str(info.value))
        with pytest.raises(simlay.InvalidArgumentError, match=re.escape(message)):
            client.nmf(ids, layer="blocks.10", k=2, policy="clamp", render=options)


def test_models_layers_stats(client):
    models = client.models()
    default = [m for m in models if m.default]
    assert [m.name for m in default] == [DEFAULT_MODEL_NAME]
    layers = {layer.name: layer for layer in client.layers()}
    assert layers == {layer.name: layer for layer in client.layers(DEFAULT_MODEL_NAME)}
    for name, shape in KNOWN_LAYERS.items():
        assert layers[name].shape == shape, name
        assert layers[name].stride_y == pytest.approx(224 / shape[1])
    with pytest.raises(simlay.NotFoundError, match="no-such-model"):
        client.layers("no-such-model")
    stats = client.stats()
    assert stats["uptime_seconds"] > 0 and stats["cache"]["capacity_bytes"] > 0
    assert any(m["method"].endswith("ListModels") and m["requests"] >= 1 for m in stats["methods"])
    assert client.model().name == DEFAULT_MODEL_NAME


# ---------------------------------------------------------------------------------------------------
# Errors


def _raw_error(raw, request_kwargs):
    error = rpc_error(raw.call, "Similarity", raw.similarity_request(**request_kwargs))
    return error.code().name, error.details()


def test_errors_carry_the_daemons_code_and_message(client, raw):
    paths = example_images()
    ids = client.add_images(paths[:2])
    cases = [
        (dict(layer="no-such-layer", query=(0, 1, 1)), simlay.NotFoundError, "NOT_FOUND", "no-such-layer",
         dict(layer="no-such-layer", query_id=ids[0], targets=ids, cell=(1, 1))),
        (dict(layer="blocks.10", query=(1, 14, 3)), simlay.OutOfRangeError, "OUT_OF_RANGE", "14",
         dict(layer="blocks.10", query_id=ids[1], targets=ids, cell=(14, 3))),
        (dict(layer="blocks.10", query={"image": 0, "region": (0, 0, 20, 2)}), simlay.OutOfRangeError,
         "OUT_OF_RANGE", "", dict(layer="blocks.10", query_id=ids[0], targets=ids, region=(0, 0, 20, 2))),
        (dict(layer="blocks.10", query=("0" * 32, 1, 1)), simlay.NotFoundError, "NOT_FOUND", "0" * 32,
         dict(layer="blocks.10", query_id="0" * 32, targets=ids, cell=(1, 1))),
    ]
    for kwargs, cls, code, needle, raw_kwargs in cases:
        with pytest.raises(cls) as info:
            client.similarity(images=ids, **kwargs)
        error = info.value
        assert isinstance(error, simlay.SimlayError) and error.code == code, (kwargs, error.code)
        assert error.method == "Similarity"
        raw_code, raw_message = _raw_error(raw, raw_kwargs)
        assert (code, str(error)) == (raw_code, raw_message), "the error must be the daemon's code and message"
        assert needle in str(error), (needle, str(error))
        assert error.__cause__ is None and error.__context__ is None, "a grpc traceback is chained to the error"
        import grpc
        assert not isinstance(error, grpc.RpcError)
    with pytest.raises(simlay.NotFoundError) as info:
        client.sync(layers=["blocks.4", "nope.layer"], point=(0, 5, 5), images=ids)
    assert "nope.layer" in str(info.value)
    # Client-side mistakes are ordinary Python errors.
    with pytest.raises(ValueError, match="metric"):
        client.similarity(layer="head", query=(0, 0, 0), images=ids, metric="manhattan")
    with pytest.raises(IndexError, match="out of range for 2 images"):
        client.similarity(layer="head", query=(2, 0, 0), images=ids)
    with pytest.raises(TypeError, match="query"):
        client.similarity(layer="head", query=(0, 0), images=ids)


def test_token_file_and_unauthenticated(tmp_path):
    import secrets

    token = "tok-" + secrets.token_hex(12)
    with running_daemon(token=token) as d:
        with simlay.Client(d.unix_target(), timeout=60) as c:
            with pytest.raises(simlay.UnauthenticatedError) as info:
                c.models()
            assert info.value.code == "UNAUTHENTICATED" and str(info.value)
        with simlay.Client(d.unix_target(), token_file=d.token_file, timeout=60) as c:
            assert any(m.default for m in c.models())
        with simlay.Client(d.unix_target(), token=token, timeout=60) as c:
            assert c.health() == "SERVING"


# ---------------------------------------------------------------------------------------------------
# Two kernels, one daemon


def test_two_clients_share_images_and_cached_activations(daemon):
    """Two Client instances (as two notebook kernels; one over TCP) share ids, `existed` and the cache."""
    data = noise_png(232, 176, seed=777)
    with simlay.Client(daemon.unix_target()) as a, simlay.Client(f"127.0.0.1:{daemon.tcp_port}") as b:
        first = a.add_images([data], names=["kernel-a.png"], info=True)[0]
        second = b.add_images([data], names=["kernel-b.png"], info=True)[0]
        assert first.id == second.id and not first.existed and second.existed
        before = a.stats()["cache"]["forward_passes"]
        maps_a = a.similarity(layer="blocks.10", query=(0, 5, 6), images=[first.id])
        middle = b.stats()["cache"]["forward_passes"]
        maps_b = b.similarity(layer="blocks.10", query=(0, 5, 6), images=[second.id])
        after = a.stats()["cache"]["forward_passes"]
        assert middle - before == 1, f"first query on a new image: {middle - before} forward passes"
        assert after == middle, "the second kernel's query must be served from the shared cache"
        np.testing.assert_array_equal(maps_a, maps_b)
    with pytest.raises(simlay.SimlayError, match="closed"):
        a.models()


# ---------------------------------------------------------------------------------------------------
# NMF, sweeps and the viewer (fail, not skip, while the daemon says "not implemented yet")


def test_nmf_wrapper_equals_raw_stubs(client, raw):
    paths = example_images()
    ids = client.add_images(paths)
    result = client.nmf(ids, layer="blocks.10", k=3, policy="clamp", render=simlay.RenderOptions(tile_size=96))
    reply = raw.call("Nmf", raw.pb.NmfRequest(layer="blocks.10", image_ids=ids, k=3, policy=raw.pb.NMF_POLICY_CLAMP,
                                              render=raw.pb.RenderOptions(tile_size=96)))
    assert result.groups.dtype == np.int32 and result.groups.shape == (3, 14, 14)
    assert result.groups.tolist() == np.asarray(reply.groups.values).reshape(3, 14, 14).tolist()
    assert result.strength.dtype == np.float32 and result.strength.tobytes() == tensor(reply.strength).tobytes()
    assert result.w.shape == (3 * 14 * 14, 3) and result.h.shape == (3, KNOWN_LAYERS["blocks.10"][0])
    assert result.w.tobytes() == tensor(reply.w).tobytes() and result.h.tobytes() == tensor(reply.h).tobytes()
    assert result.k == 3 and set(np.unique(result.groups)) <= {0, 1, 2}
    assert result.relative_error == reply.relative_error and 0 < result.relative_error < 1
    assert result.iterations == reply.iterations >= 1
    assert result.png == reply.png and result.image().size[0] > 0
    plain = client.nmf(ids, layer="blocks.10", k=2, policy="clamp")
    assert plain.png is None
    with pytest.raises(simlay.SimlayError) as info:
        client.nmf(ids, layer="no-such-layer", k=2)
    assert info.value.code == "NOT_FOUND" and "no-such-layer" in str(info.value)


def test_sweep_wrapper_equals_raw_stubs_and_rows(client, raw):
    paths = example_images()
    image_id = client.add_images(paths[:1])[0]
    params = [0.0, 90.0, 180.0, 45.0]
    queries = [(3, 5), (10, 2)]
    result = client.sweep(image_id, layer="blocks.10", transform="rotate", params=params, queries=queries,
                          chart=True, render=simlay.RenderOptions(), labels=["eye", "ear"])
    reply = raw.call("Sweep", raw.pb.SweepRequest(
        layer="blocks.10", image_id=image_id, transform=raw.pb.TRANSFORM_ROTATE, params=params,
        queries=[raw.pb.Cell(y=y, x=x) for y, x in queries], chart=True, render=raw.pb.RenderOptions(),
        query_labels=["eye", "ear"]))
    assert result.maps.shape == (4, 2, 14, 14) and result.maps.dtype == np.float32
    for p, step in enumerate(reply.steps):
        assert result.maps[p].tobytes() == tensor(step.maps).tobytes()
        for q, t in enumerate(step.tracked):
            assert (result.tracked_y[p, q], result.tracked_x[p, q], result.in_bounds[p, q]) == (t.y, t.x, t.in_bounds)
            assert (math.isnan(result.similarity[p, q]) and math.isnan(t.similarity)) or \
                result.similarity[p, q] == np.float32(t.similarity)
    # Rotation by 0 keeps every query where it is, at similarity ~1 (cosine at the query cell).
    assert [(result.tracked_y[0, q], result.tracked_x[0, q]) for q in range(2)] == queries
    assert np.all(result.similarity[0] > 0.999)
    assert result.chart_png == reply.chart_png and result.chart().size[0] > 0
    assert result.strip_png == reply.strip_png and result.strip().size[0] > 0
    rows = result.to_rows()
    assert [tuple(r) for r in rows] == [result.COLUMNS] * 8
    assert [(r["param"], r["query"]) for r in rows] == [(p, q) for p in params for q in (0, 1)]
    assert result.labels == ["eye", "ear"]
    assert list(csv.reader(io.StringIO(result.to_csv())))[0] == list(result.COLUMNS)
    scaled = client.sweep(image_id, layer="blocks.10", transform="scale", params=[1.0, 2.0], queries=[(7, 7)])
    assert scaled.boxes.shape == (2, 4) and scaled.labels == ["q0"]


def test_sweep_rows_match_cli_csv(client, daemon, tmp_path):
    """Cells, a pixel and a region, a label needing RFC 4180 quotes, with and without --track-radius: the
    Python client's columns, rows and CSV text equal the CLI's."""
    paths = example_images()
    queries = [(3, 5), {"pixel": (100.5, 80)}, {"region": (13, 1, 14, 3)}]
    cli_queries = ["0:3,5", "0@100.5,80", "0:13,1-14,3"]
    for transform, flag, values, params, radius in [("rotate", "--angles", "0,30,90,200", [0, 30, 90, 200], None),
                                                    ("scale", "--scales", "0.5,1,2.5", [0.5, 1, 2.5], 2)]:
        out = tmp_path / f"{transform}.csv"
        extra = ["--track-radius", str(radius)] if radius is not None else []
        assert_ok(daemon.cli("sweep", transform, "--layer", "blocks.10", flag, values,
                             *sum((["--query", q] for q in cli_queries), []), "--label", 'eye, "left"',
                             *extra, "--csv", out, paths[0]))
        text = out.read_text()
        with open(out, newline="") as f:
            cli_rows = list(csv.DictReader(f))
        result = client.sweep(paths[0], layer="blocks.10", transform=transform, params=params, queries=queries,
                              labels=['eye, "left"'], track_radius=radius)
        rows = result.to_rows()
        assert list(cli_rows[0]) == list(result.columns), list(cli_rows[0])
        assert len(result.columns) == (12 if radius is not None else 9)
        assert len(rows) == len(cli_rows) == 3 * len(params)
        for mine, theirs in zip(rows, cli_rows):
            assert theirs["transform"] == mine["transform"] == transform
            assert float(theirs["param"]) == mine["param"]
            assert int(theirs["query"]) == mine["query"]
            assert theirs["label"] == mine["label"] and theirs["spec"] == mine["spec"] == cli_queries[mine["query"]]
            assert (int(theirs["tracked_y"]), int(theirs["tracked_x"])) == (mine["tracked_y"], mine["tracked_x"])
            assert theirs["in_bounds"] == ("true" if mine["in_bounds"] else "false")
            for key in ["similarity"] + (["best_similarity"] if radius is not None else []):
                a, b = float(theirs[key]), mine[key]
                assert (math.isnan(a) and math.isnan(b)) or np.float32(a) == np.float32(b), (key, theirs, mine)
        assert result.to_csv() == text
        assert [r["label"] for r in rows[:3]] == ['eye, "left"', "q1", "q2"]


def test_export_html_and_show_outside_jupyter(client, raw, tmp_path):
    paths = example_images()
    ids = client.add_images(paths)
    small = simlay.RenderOptions(tile_size=128)
    page = client.export_html(ids, layers=["blocks.10", "head"], render=small, path=tmp_path / "v.html")
    reply = raw.call("ExportViewer", raw.pb.ExportViewerRequest(layers=["blocks.10", "head"], image_ids=ids,
                                                                render=raw.pb.RenderOptions(tile_size=128)))
    assert page == reply.html and (tmp_path / "v.html").read_text(encoding="utf-8") == page
    assert "<html" in page.lower() and "simlay" in page
    viewer = client.show(ids, layer="blocks.10", render=small)  # no IPython here: nothing displayed
    assert isinstance(viewer, simlay.Viewer)
    frame = viewer._repr_html_()
    match = re.fullmatch(r'<iframe class="simlay-viewer" id="([\w-]+)" srcdoc="([^"]*)" sandbox="allow-scripts" '
                         r'style="[^"]*height: (\d+)px;[^"]*" title="[^"]*"></iframe><script>(.*)</script>', frame,
                         flags=re.S)
    assert match, frame[:300]
    ident, page, height, host_script = match.groups()
    assert int(height) == viewer.height > 300 and ident in host_script
    page = html.unescape(page)
    embed = re.search(r"<script data-simlay-embed>.*?</script>", page, flags=re.S).group(0)
    assert ident in embed and page.replace(embed, "") == viewer.html
    assert viewer.html == raw.call("ExportViewer", raw.pb.ExportViewerRequest(
        layers=["blocks.10"], image_ids=ids, render=raw.pb.RenderOptions(tile_size=128))).html
    with pytest.raises(ValueError):
        client.show(ids)
    with pytest.raises(simlay.NotFoundError, match="no-such-layer"):
        client.export_html(ids, layer="no-such-layer")


def test_nmf_group_query_equals_raw_stubs(client, raw):
    paths = example_images()
    ids = client.add_images(paths)
    maps = client.similarity(layer="blocks.10", query={"group": 1, "k": 3, "policy": "clamp", "images": [0, 2]},
                             images=ids)
    pb = raw.pb
    request = pb.SimilarityRequest(layer="blocks.10", target_ids=ids, query=pb.Query(group=pb.NmfGroup(
        group=1, nmf=pb.NmfRequest(image_ids=[ids[0], ids[2]], k=3, policy=pb.NMF_POLICY_CLAMP))))
    expected = tensor(raw.call("Similarity", request).maps)
    assert maps.shape == (3, 14, 14) and maps.tobytes() == expected.tobytes()
    with pytest.raises(ValueError, match="group"):
        client.similarity(layer="blocks.10", query={"group": 1}, images=ids)


def test_hover_session_equals_similarity_and_survives_a_bad_query(client, raw):
    paths = example_images()
    ids = client.add_images(paths)
    queries = [(0, 3, 5), {"image": 2, "region": (1, 2, 4, 6)}, (ids[1], 13, 0), {"image": 0, "pixel": (170.0, 115.0)}]
    for metric in METRICS:
        expected = [client.similarity(layer="blocks.10", query=q, images=ids, metric=metric) for q in queries]
        with client.hover(layer="blocks.10", images=ids, metric=metric) as h:
            assert h.image_ids == ids
            got = [h.query(q) for q in queries]
        for q, e, g in zip(queries, expected, got):
            assert g.dtype == np.float32 and g.shape == (3, 14, 14)
            assert g.tobytes() == e.tobytes(), f"{metric} {q}: the hover session's maps differ from similarity()'s"
    # Paths are uploaded (content-addressed: the same ids); a failed query raises the daemon's status and
    # message, and the session opens a new stream for the next query.
    h = client.hover(layer="head", images=paths[:2])
    assert h.image_ids == ids[:2]
    first = h.query((0, 1, 1))
    with pytest.raises(simlay.OutOfRangeError) as info:
        h.query((1, 7, 0))
    assert info.value.method == "SimilarityStream" and "7 x 7" in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None
    with pytest.raises(simlay.NotFoundError):
        h.query(("0" * 32, 1, 1))
    np.testing.assert_array_equal(h.query((0, 1, 1)), first)
    np.testing.assert_array_equal(first, raw.similarity("head", ids[0], ids[:2], cell=(1, 1))[1])
    h.close()
    h.close()
    with pytest.raises(simlay.SimlayError) as info:
        h.query((0, 1, 1))
    assert info.value.code == "CANCELLED"
    # Client-side mistakes are ordinary Python errors, before anything is sent.
    with client.hover(layer="head", images=ids) as h:
        with pytest.raises(IndexError):
            h.query((5, 0, 0))
        assert h.query((0, 0, 0)).shape == (3, 7, 7)
    with pytest.raises(ValueError, match="metric"):
        client.hover(layer="head", images=ids, metric="manhattan")
