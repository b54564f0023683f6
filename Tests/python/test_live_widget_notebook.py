"""The live widget (``Client.show(..., live=True)``) in a real kernel, and ``import simlay`` without anywidget.

nbclient runs a notebook against a real simlayd (the kernel imports the working tree's package, as in
test_notebook.py): the cell's output must be a widget view whose state holds the rows and tiles, and a
hover answered inside that kernel must give this process's maps (two processes, one daemon).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

import photo_fixtures
from daemon_support import EXAMPLES, PYTHON_DIR, working_tree_package

simlay = working_tree_package()
try:
    import anywidget  # noqa: F401
except ImportError as missing:  # scripts/requirements.txt has it: a fresh setup skips nothing
    pytest.fail(f"anywidget missing ({missing}): pip install -r scripts/requirements.txt", pytrace=False)


@pytest.fixture(scope="module")
def paths():
    photo_fixtures.example_photos()  # fetches them if missing (fails, never skips)
    return [EXAMPLES / n for n in ("chelsea.png", "coffee.png", "astronaut.png")]


def test_import_without_anywidget_and_the_error_naming_it():
    code = ("import sys; sys.modules['anywidget'] = None\n"
            "import simlay\n"
            "c = simlay.Client('unix:/nonexistent/simlayd.sock')\n"
            "try:\n    c.show(['0' * 32], layer='head', live=True)\n"
            "except ImportError as e:\n    print('ImportError:', e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(PYTHON_DIR), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "ImportError: show(..., live=True) needs the 'anywidget' package" in proc.stdout, proc.stdout
    assert "pip install 'simlay[widget]'" in proc.stdout


def test_live_widget_in_a_real_kernel(daemon, paths, monkeypatch, tmp_path):
    """nbclient runs a notebook whose cell makes a live widget: its output is a widget view, its state
    holds the rows and tiles, and a hover answered in that kernel gives this process's maps."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    from test_notebook import _set_kernel_env, execute, outputs_of, text_of

    _set_kernel_env(monkeypatch, daemon)
    cells = [
        "import hashlib, os, simlay\nc = simlay.Client(os.environ['SIMLAY_SERVER'])\n"
        f"w = c.show({[str(p) for p in paths]!r}, layers=['blocks.10', 'head'], live=True,\n"
        "           render=simlay.RenderOptions(tile_size=48))\nw",
        "w._on_hover({'image': 2, 'y': 4, 'x': 9, 'seq': 3})\nprint('answered', w.wait(300), repr(w.error))\n"
        "print({k: hashlib.sha256(v.tobytes()).hexdigest() for k, v in w.maps.items()})",
        "w.close()\nprint('closed', w.comm is None)",
    ]
    nb = new_notebook(cells=[new_code_cell(src) for src in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    execute(nb, tmp_path)
    errors = [o for c in nb.cells for o in outputs_of(c, "error")]
    assert not errors, errors
    (shown,) = [o for o in outputs_of(nb.cells[0]) if o["output_type"] in ("display_data", "execute_result")]
    view = shown["data"]["application/vnd.jupyter.widget-view+json"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"][view["model_id"]]["state"]
    assert [g["name"] for g in state["layers"]] == ["blocks.10", "head"] and len(state["images"]) == 3
    assert "export default" in state["_esm"]
    with simlay.Client(daemon.unix_target()) as c:
        ids = c.add_images(paths)
        expected = {layer: hashlib.sha256(c.similarity(layer=layer, query=q, images=ids).tobytes()).hexdigest()
                    for layer, q in [("blocks.10", (2, 4, 9)), ("head", (2, 2, 4))]}
    assert "answered True ''" in text_of(nb.cells[1]), text_of(nb.cells[1])
    assert repr(expected) in text_of(nb.cells[1]), text_of(nb.cells[1])
    assert "closed True" in text_of(nb.cells[2])
