"""The example notebook (examples/notebook.ipynb) run headlessly with nbclient against a real simlayd.

The kernel is this interpreter's ipykernel; it imports the client from the working tree (python/ is put
first on its PYTHONPATH) and finds the daemon through SIMLAY_SERVER, the notebook's parameter. The test
checks the outputs: shapes printed, the ids (shared with this process's client: one daemon, one cache),
the rendered overlay, and the viewer shown by ``c.show`` (an iframe whose srcdoc is the daemon's page).
"""

from __future__ import annotations

import html
import os
import time
import re
from pathlib import Path

import numpy as np
import pytest

import photo_fixtures
from daemon_support import EXAMPLES, REPO

NOTEBOOK = REPO / "examples" / "notebook.ipynb"
PYTHON_DIR = REPO / "python"
CELL_TIMEOUT = 600


def _client_module():
    from test_python_client import simlay  # the working tree's package, imported once for the session
    return simlay


def _set_kernel_env(mp: pytest.MonkeyPatch, daemon) -> None:
    """Environment the kernel starts with: the daemon's socket, the example images, python/ first."""
    photo_fixtures.example_photos()  # fetches them if missing (fails, never skips)
    mp.setenv("SIMLAY_SERVER", daemon.unix_target())
    mp.setenv("SIMLAY_EXAMPLE_IMAGES", str(EXAMPLES))
    mp.setenv("PYTHONPATH", os.pathsep.join([str(PYTHON_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]))
    mp.setenv("JUPYTER_PLATFORM_DIRS", "1")


@pytest.fixture
def kernel_env(daemon, monkeypatch):
    _set_kernel_env(monkeypatch, daemon)
    return daemon


@pytest.fixture(scope="module")
def executed_example(daemon):
    """examples/notebook.ipynb executed once (cwd examples/, like a person opening it there)."""
    import nbformat

    with pytest.MonkeyPatch.context() as mp:
        _set_kernel_env(mp, daemon)
        return execute(nbformat.read(NOTEBOOK, as_version=4), NOTEBOOK.parent)


def execute(nb, cwd: Path):
    import nbclient

    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def outputs_of(cell, output_type=None):
    return [o for o in cell.get("outputs", []) if output_type is None or o["output_type"] == output_type]


def html_outputs(cell):
    return [o["data"]["text/html"] for o in cell.get("outputs", [])
            if o["output_type"] in ("display_data", "execute_result") and "text/html" in o.get("data", {})]


def text_of(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            parts.append(o["text"])
        elif "text/plain" in o.get("data", {}):
            parts.append(o["data"]["text/plain"])
    return "".join(parts)


def srcdoc(frame: str) -> str:
    """The page an output's viewer iframe holds, without the small script the client adds to it (which reports
    the page's height to the host page so the frame can fit it)."""
    match = re.search(r'<iframe class="simlay-viewer" id="(simlay-viewer-[0-9a-f]{12})" srcdoc="([^"]*)" '
                      r'sandbox="allow-scripts"', frame)
    assert match, f"not a viewer iframe: {frame[:200]}"
    page = html.unescape(match.group(2))
    embeds = re.findall(r"<script data-simlay-embed>.*?</script>", page, flags=re.S)
    assert len(embeds) == 1 and match.group(1) in embeds[0], embeds
    assert page.index(embeds[0]) + len(embeds[0]) == page.lower().rindex("</body>"), "the script is not at the end"
    return page.replace(embeds[0], "")


def cell_with(nb, needle: str):
    found = [c for c in nb.cells if c.cell_type == "code" and needle in c.source]
    assert len(found) == 1, f"{len(found)} code cells contain {needle!r}"
    return found[0]


def test_example_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, f"outputs committed in: {cell.source[:80]}"
    assert any("c.show(" in c.source for c in code) and any("SIMLAY_SERVER" in c.source for c in code)


def test_example_notebook_runs_headless(daemon, executed_example):
    simlay = _client_module()
    nb = executed_example
    kernel_env = daemon

    errors = [(c.source[:60], o) for c in nb.cells if c.cell_type == "code" for o in outputs_of(c, "error")]
    assert not errors, f"error outputs: {errors}"
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "a cell did not run"

    # The ids the kernel got are this process's ids for the same files: one daemon, one cache.
    with simlay.Client(kernel_env.unix_target()) as c:
        infos = c.add_images([EXAMPLES / n for n in ("chelsea.png", "coffee.png", "astronaut.png")], info=True)
        ids = [i.id for i in infos]
        assert all(i.existed for i in infos), "the notebook's kernel added these images first"
        page = c.export_html(ids, layers=["blocks.10", "head"], render=simlay.RenderOptions(tile_size=200), nmf_k=4,
                             nmf_policy="clamp")
        nmf = c.nmf(ids, layer="blocks.10", k=4, policy="clamp")
        expected_maps = c.similarity(layer="blocks.10", query={"image": 0, "pixel": (170, 115)}, images=ids)
    ids_text = text_of(cell_with(nb, "ids = c.add_images(paths)"))
    assert all(i in ids_text for i in ids), ids_text

    maps_text = text_of(cell_with(nb, "maps = c.similarity("))
    assert "maps (3, 14, 14) float32" in maps_text, maps_text
    peaks = [tuple(int(v) for v in divmod(int(m.argmax()), m.shape[1])) for m in expected_maps]
    assert f"most similar cell per image: {peaks}".replace(" ", "") in \
        re.sub(r"np\.int64\((\d+)\)", r"\1", maps_text).replace(" ", ""), maps_text
    assert "mirror maps (2, 14, 14)" in text_of(cell_with(nb, "mirrored = "))

    nmf_cell = cell_with(nb, "groups = c.nmf(")
    assert f"groups (3, 14, 14) int32 relative error {round(nmf.relative_error, 3)}" in text_of(nmf_cell)
    assert any("image/png" in o.get("data", {}) for o in outputs_of(nmf_cell)), "the NMF groups are not shown"

    sync_cell = cell_with(nb, "sync = c.sync(")
    assert "'blocks.4': (3, 28, 28)" in text_of(sync_cell) and "'head': (3, 7, 7)" in text_of(sync_cell)
    assert any("image/png" in o.get("data", {}) for o in outputs_of(sync_cell)), "the overlay grid is not shown"

    frames = html_outputs(cell_with(nb, "nmf_k=4, nmf_policy"))
    assert len(frames) == 1, f"the viewer is displayed {len(frames)} times"
    # The live widget's cell shows a widget view (the kernel side is test_live_widget*.py's).
    live_cell = cell_with(nb, "live=True")
    views = [o for o in outputs_of(live_cell) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1, f"the live widget is displayed {len(views)} times: {outputs_of(live_cell)}"
    shown = srcdoc(frames[0])
    assert shown == page, "the iframe does not hold the daemon's viewer page"
    assert "window.simlay" in shown and shown.lstrip().lower().startswith("<!doctype html")


def test_show_displays_once_per_cell(kernel_env, tmp_path, monkeypatch):
    """show() displays the viewer itself; as a cell's last expression it is not shown twice; displaying the
    returned Viewer again in a later cell works; display=False leaves it to the last expression."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    image = EXAMPLES / "coffee.png"
    cells = [
        "import simlay\nc = simlay.Client()\nids = c.add_images([%r])" % str(image),
        "v = c.show(ids, layer='head', render=simlay.RenderOptions(tile_size=64))\nv",
        "c.show(ids, layer='head', render=simlay.RenderOptions(tile_size=64))\nprint('after')",
        "v",
        "c.show(ids, layer='head', render=simlay.RenderOptions(tile_size=64), display=False)",
        "w = c.show(ids, layer='head', render=simlay.RenderOptions(tile_size=64), display=False)",
        "w.height > 0, type(w).__name__",
    ]
    nb = new_notebook(cells=[new_code_cell(src) for src in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    # Client() with no target uses the default socket: point XDG_RUNTIME_DIR at a directory whose
    # simlay/simlayd.sock is the test daemon's socket.
    runtime = tmp_path / "run"
    (runtime / "simlay").mkdir(parents=True)
    (runtime / "simlay" / "simlayd.sock").symlink_to(kernel_env.socket)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    execute(nb, tmp_path)
    errors = [o for c in nb.cells for o in outputs_of(c, "error")]
    assert not errors, errors
    counts = [len(html_outputs(c)) for c in nb.cells]
    assert counts == [0, 1, 1, 1, 1, 0, 0], counts
    assert "after" in text_of(nb.cells[2])
    assert "(True, 'Viewer')" in text_of(nb.cells[6])
    pages = {srcdoc(html_outputs(c)[0]) for c in nb.cells[1:5]}
    assert len(pages) == 1 and "window.simlay" in pages.pop()


class _FrameSession:
    """CDP commands to one attached target (flattened session) over a cdp.Page's WebSocket."""

    def __init__(self, page, session_id: str):
        self.page, self.session_id = page, session_id

    def send(self, method: str, **params):
        import json

        page = self.page
        page.next_id += 1
        ident = page.next_id
        page.ws.send(json.dumps({"id": ident, "method": method, "params": params, "sessionId": self.session_id}))
        while True:
            message = json.loads(page.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                page.events.append(message)

    def evaluate(self, expression: str, await_promise: bool = False):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=await_promise, returnByValue=True)
        assert "exceptionDetails" not in result, f"{expression!r} threw: {result['exceptionDetails']}"
        return result["result"].get("value")


def test_shown_viewer_works_inside_its_iframe_in_chromium(daemon, executed_example, tmp_path):
    """The notebook's show() output, put in a page as Jupyter would: the viewer runs inside the sandboxed
    iframe (its window.simlay answers, hover values equal the daemon's maps), isolated from the host page,
    with no console error, and the iframe is tall enough for the whole page."""
    import cdp

    binary = cdp.require_chromium()
    simlay = _client_module()
    frame = html_outputs(cell_with(executed_example, "nmf_k=4, nmf_policy"))[0]
    host = tmp_path / "cell.html"
    host.write_text(f"<!DOCTYPE html><html><body><div class=\"output\">{frame}</div></body></html>", encoding="utf-8")
    with simlay.Client(daemon.unix_target()) as c:
        ids = c.add_images([EXAMPLES / n for n in ("chelsea.png", "coffee.png", "astronaut.png")])
        expected = c.similarity(layer="blocks.10", query=(1, 3, 4), images=ids)

    with cdp.Browser(binary, width=1200, height=1000) as browser:
        page = browser.page()
        # The sandboxed frame may run out of process: attach to it as its own target.
        page.send("Target.setAutoAttach", autoAttach=True, waitForDebuggerOnStart=True, flatten=True)
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            page.send(domain)
        page.send("Page.navigate", url=host.as_uri())
        attached = page.wait_event("Target.attachedToTarget", timeout=60)["params"]
        assert attached["targetInfo"]["type"] == "iframe", attached["targetInfo"]
        inner = _FrameSession(page, attached["sessionId"])
        for domain in ("Runtime.enable", "Log.enable", "Runtime.runIfWaitingForDebugger"):
            inner.send(domain)
        inner.evaluate("window.simlay.ready", await_promise=True)
        state = inner.evaluate("window.simlay.hover(1, 3, 4)")
        assert state["image"] == 1 and state["cells"][0] == [3, 4], state
        values = np.array(inner.evaluate(
            "Array.from({length: 3}, (_, i) => Array.from({length: 14}, (_, y) => "
            "Array.from({length: 14}, (_, x) => window.simlay.valueAt(i, y, x))))"), dtype=np.float64)
        assert values.shape == expected.shape
        worst = float(np.max(np.abs(values - expected)))
        assert worst <= 2 / 255 + 1e-5, f"hover values differ from the daemon's maps by {worst}"
        # The host script next to the frame fits it to the height the page reports (or it stays as estimated).
        content_height = frame_height = 0
        for _ in range(100):
            content_height = inner.evaluate("document.documentElement.getBoundingClientRect().height")
            frame_height = page.evaluate("document.querySelector('iframe.simlay-viewer').getBoundingClientRect().height")
            if frame_height >= content_height:
                break
            time.sleep(0.1)
        layout = inner.evaluate("JSON.stringify([innerWidth, innerHeight, [...document.body.children].map("
                                "e => [e.tagName, e.className, e.getBoundingClientRect().bottom])])")
        assert content_height <= frame_height, \
            f"the viewer ({content_height}px) is clipped by its iframe ({frame_height}px): {layout}"
        assert page.evaluate("typeof window.simlay") == "undefined", "the viewer's script leaked into the host page"
        assert page.evaluate("document.querySelector('iframe.simlay-viewer').sandbox.value") == "allow-scripts"
        problems = page.problems()
        assert not problems, problems
