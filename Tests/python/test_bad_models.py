"""Crafted bad model files (scripts/make_bad_models.py, written at test time) against the real daemon and
the CLI: each is refused with INVALID_ARGUMENT / exit 1 and one line naming the problem, and the daemon
keeps serving (the next valid call succeeds). Also LoadModel's path policy (--model-dir) and the
preprocessing a model without simlay.* metadata gets from LoadModel and from simlayd's --model options.
"""

from __future__ import annotations

import importlib.util

import grpc
import pytest

from daemon_support import (SCRIPTS, assert_ok, assert_one_line_error, noise_png, rpc_error, run_cli,
                            running_daemon, short_tmpdir, simlayd_bin)

_spec = importlib.util.spec_from_file_location("make_bad_models", SCRIPTS / "make_bad_models.py")
make_bad_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_bad_models)
BAD = make_bad_models.BAD


@pytest.fixture(scope="module")
def files():
    """name -> path of every crafted file, in a directory of their own (the daemon's --model-dir)."""
    directory = short_tmpdir("bad-")
    yield make_bad_models.write_all(directory / "models")


@pytest.fixture(scope="module")
def guarded(daemon_stubs, files):
    """A daemon that may load files from the crafted files' directory only."""
    with running_daemon(["--model-dir", str(files["valid"].parent)]) as d:
        yield d


def _load(client, name, path, **fields):
    return client.call("LoadModel", client.pb.LoadModelRequest(name=name, path=str(path), **fields))


def _expect(client, code, needles, name, path, **fields):
    error = rpc_error(_load, client, name, path, **fields)
    assert error.code() == code, f"{path}: expected {code.name}, got {error.code().name}: {error.details()!r}"
    message = error.details() or ""
    assert "\n" not in message, message
    for needle in needles:
        assert needle.lower() in message.lower(), f"{needle!r} not in {message!r}"
    return message


@pytest.mark.parametrize("name", sorted(BAD))
def test_load_model_refuses_bad_file(guarded, files, name):
    client = guarded.client()
    _expect(client, grpc.StatusCode.INVALID_ARGUMENT, BAD[name], f"bad-{name}", files[name])
    # The daemon keeps serving: a valid model loads and runs.
    info = _load(client, "valid", files["valid"])
    assert [(l.name, l.channels, l.height, l.width) for l in info.layers][-1] == ("y", 8, 16, 16)
    image = client.add([(noise_png(40, 30, seed=7), "n.png")], model="valid")[0]
    _, maps = client.similarity("y", image.id, [image.id], cell=(3, 4), model="valid")
    # Cosine with the article's 1e-4 in each norm: a cell's similarity to itself is just under 1, and the top.
    assert maps.shape == (1, 16, 16) and abs(maps[0, 3, 4] - 1) < 1e-3 and maps[0, 3, 4] == maps.max()
    assert f"bad-{name}" not in {m.name for m in client.list_models().models}


def test_identity_chain_loads(guarded, files):
    """20000 Identity nodes in reverse file order load (a quadratic sort took ~30 s here)."""
    info = _load(guarded.client(), "chain", files["identity_chain"], input_height=32, input_width=32)
    assert len(info.layers) == 20002 and info.layers[-1].name == "t20000"


def test_model_dir_policy(guarded, files, tmp_path):
    client = guarded.client()
    outside = tmp_path / "outside.onnx"
    outside.write_bytes(files["valid"].read_bytes())
    _expect(client, grpc.StatusCode.PERMISSION_DENIED, ["--model-dir"], "out", outside)
    # `..` and a symlink inside the directory that points out of it resolve outside.
    inside = files["valid"].parent
    escape = str(inside) + "/.." * (len(inside.parts) - 1) + str(outside)  # DIR/../../../tmp/.../outside.onnx
    _expect(client, grpc.StatusCode.PERMISSION_DENIED, ["--model-dir"], "dots", escape)
    link = files["valid"].parent / "link.onnx"
    link.symlink_to(outside)
    _expect(client, grpc.StatusCode.PERMISSION_DENIED, ["--model-dir"], "link", link)
    _expect(client, grpc.StatusCode.NOT_FOUND, ["missing.onnx"], "missing", files["valid"].parent / "missing.onnx")
    _expect(client, grpc.StatusCode.PERMISSION_DENIED, ["--model-dir"], "etc", "/etc/passwd")
    assert _load(client, "valid", files["valid"]).name == "valid"


def test_no_model_dir_refuses_client_paths(daemon_stubs, files):
    with running_daemon(["--model", f"v={files['valid']}"]) as d:
        client = d.client()
        _expect(client, grpc.StatusCode.PERMISSION_DENIED, ["--model-dir"], "again", files["valid"])
        assert [m.name for m in client.list_models().models] == ["v"]


def test_load_model_preprocessing_fields(guarded, files):
    client = guarded.client()
    _expect(client, grpc.StatusCode.INVALID_ARGUMENT, ["input size"], "sym", files["symbolic"])
    info = _load(client, "sym", files["symbolic"], input_height=48, input_width=64, mean=[1, 2, 3], std=[4, 5, 6],
                 channel_order="bgr")
    assert (info.input_height, info.input_width) == (48, 64)
    assert list(info.mean) == [1, 2, 3] and list(info.std) == [4, 5, 6]
    assert info.channel_order == "bgr" and info.preprocessing_source == "given"
    assert [(l.name, l.height, l.width) for l in info.layers][-1] == ("y", 24, 32)
    # The same request again returns the model; other preprocessing under that name is refused.
    assert _load(client, "sym", files["symbolic"], input_height=48, input_width=64, mean=[1, 2, 3], std=[4, 5, 6],
                 channel_order="bgr").name == "sym"
    _expect(client, grpc.StatusCode.ALREADY_EXISTS, ["other preprocessing"], "sym", files["symbolic"],
            input_height=32, input_width=32)
    plain = _load(client, "plain", files["valid"])
    assert plain.preprocessing_source == "default" and plain.channel_order == "rgb"
    assert list(plain.mean) == pytest.approx([123.675, 116.28, 103.53])
    for fields, needle in [({"mean": [1, 2]}, "mean"), ({"std": [1, 0, 1]}, "std"),
                           ({"input_height": 100000, "input_width": 100000}, "16384"),
                           ({"input_height": 32}, "input_width"), ({"channel_order": "gbr"}, "channel_order")]:
        _expect(client, grpc.StatusCode.INVALID_ARGUMENT, [needle], "p2", files["valid"], **fields)


def test_simlayd_model_options(daemon_stubs, files):
    spec = f"sym={files['symbolic']},size=40:56,mean=1:2:3,std=4:5:6,order=bgr"
    with running_daemon(["--model", spec]) as d:
        (info,) = d.client().list_models().models
        assert (info.name, info.input_height, info.input_width, info.channel_order) == ("sym", 40, 56, "bgr")
        assert list(info.mean) == [1, 2, 3] and list(info.std) == [4, 5, 6]


@pytest.mark.parametrize("name", sorted(BAD))
def test_simlayd_model_refuses_bad_file(daemon_stubs, files, name):
    import subprocess
    workdir = short_tmpdir()
    proc = subprocess.run([str(simlayd_bin()), "--unix", str(workdir / "d.sock"), "--model", f"m={files[name]}"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "error" in line]
    assert len(lines) == 1, proc.stderr
    for needle in BAD[name]:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])


@pytest.mark.parametrize("name", sorted(BAD))
def test_cli_refuses_bad_file(files, name):
    assert_one_line_error(run_cli(["layers", "--model", files[name]]), *BAD[name])


def test_cli_load_model(guarded, files):
    bad = guarded.cli("load-model", "--name", "x", "--path", files["conv_pads"])
    assert_one_line_error(bad, "INVALID_ARGUMENT", "pads")
    ok = assert_ok(guarded.cli("load-model", "--name", "cli-sym", "--path", files["symbolic"], "--mean", "10,20,30",
                               "--std", "2,3,4", "--input-size", "24,40", "--channel-order", "bgr"))
    assert "24x40" in ok.stdout and "bgr" in ok.stdout
    info = {m.name: m for m in guarded.client().list_models().models}["cli-sym"]
    assert (list(info.mean), list(info.std), info.channel_order) == ([10, 20, 30], [2, 3, 4], "bgr")
    assert_one_line_error(guarded.cli("load-model", "--name", "x", "--path", files["valid"], "--mean", "1,2"), "--mean")
    # The in-process commands take the same sizes for a symbolic input.
    layers = assert_ok(run_cli(["layers", "--model", files["symbolic"], "--input-size", "24,40"]))
    assert "C=8 H=12 W=20" in layers.stdout.replace("  ", " "), layers.stdout
    # Sizes that are not positive whole numbers (or would overflow) are one line, from both kinds of command.
    for size in ["24.5,40", "0,40", "1e20,40"]:
        assert_one_line_error(guarded.cli("load-model", "--name", "x", "--path", files["symbolic"], "--input-size", size),
                              "--input-size", "positive whole")
        assert_one_line_error(run_cli(["layers", "--model", files["symbolic"], "--input-size", size]),
                              "--input-size", "positive whole")


@pytest.mark.parametrize("spec, needle", [
    ("v={valid},mean=1:2", "mean needs 3 numbers"),
    ("v={valid},std=1:0:1", "std values must be positive"),
    ("v={valid},size=100000:100000", "16384"),
    ("v={valid},order=gbr", "order must be rgb or bgr"),
    ("v={valid},colour=rgb", "unknown option"),
    ("v={symbolic}", "input size"),
])
def test_simlayd_model_option_errors(files, spec, needle):
    import subprocess
    workdir = short_tmpdir()
    spec = spec.format(valid=files["valid"], symbolic=files["symbolic"])
    proc = subprocess.run([str(simlayd_bin()), "--unix", str(workdir / "d.sock"), "--model", spec],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "error" in line]
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_simlayd_model_dir_must_exist(files):
    import subprocess
    workdir = short_tmpdir()
    proc = subprocess.run([str(simlayd_bin()), "--unix", str(workdir / "d.sock"), "--model", f"v={files['valid']}",
                           "--model-dir", str(workdir / "nowhere")],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and "nowhere" in proc.stderr and "not a directory" in proc.stderr, proc.stderr
