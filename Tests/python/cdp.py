"""A minimal Chrome DevTools Protocol driver for headless Chromium (the viewer's browser test).

``Browser`` starts ``chromium --headless=new --remote-debugging-port=0`` with a private profile directory,
reads the port Chromium chose from ``<profile>/DevToolsActivePort``, and connects to its first page target
over a WebSocket (``websocket-client``). ``Page`` sends commands synchronously and keeps every event it
receives, so a test can inspect console messages and exceptions afterwards. Nothing here connects
anywhere but 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT = 60.0
COMMAND_TIMEOUT = 120.0


def chromium_path() -> str | None:
    """``$SIMLAY_CHROMIUM``, else chromium / chromium-browser / google-chrome on the PATH."""
    explicit = os.environ.get("SIMLAY_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The browser binary; without one the calling test fails under SIMLAY_REQUIRE_BIN=1 (CI), else skips."""
    import pytest

    binary = chromium_path()
    if binary is None:
        message = "chromium not found (apt-get install chromium, or set SIMLAY_CHROMIUM)"
        if os.environ.get("SIMLAY_REQUIRE_BIN") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class CDPError(RuntimeError):
    """A command answered with an error, or the browser went away."""


class Page:
    """One page target's WebSocket: ``send`` waits for the command's answer; events are kept in ``events``."""

    def __init__(self, ws_url: str):
        import websocket  # websocket-client (scripts/requirements.txt)

        self.ws = websocket.create_connection(ws_url, timeout=COMMAND_TIMEOUT, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method: str, timeout: float = COMMAND_TIMEOUT) -> dict:
        """The first kept or incoming event named ``method`` (removed from ``events``)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise CDPError(f"no {method} event within {timeout} s")
            message = json.loads(self.ws.recv())
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str, await_promise: bool = False):
        """The expression's value (returned by value); a thrown exception raises CDPError with its text."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=await_promise,
                           returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"{expression!r} threw: {text}")
        return result["result"].get("value")

    def mouse(self, kind: str, x: float, y: float, **extra) -> None:
        """A real input event at viewport CSS pixel (x, y): mouseMoved, mousePressed or mouseReleased."""
        self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def click(self, x: float, y: float) -> None:
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y, button="left", clickCount=1)
        self.mouse("mouseReleased", x, y, button="left", clickCount=1)

    def screenshot(self) -> bytes:
        """The viewport as PNG bytes."""
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far, as text."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                d = params.get("exceptionDetails", {})
                found.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append("log: " + params["entry"].get("text", ""))
        return found

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


class Browser:
    """Headless Chromium with a private profile; ``page()`` is its first tab. Use as a context manager."""

    def __init__(self, binary: str, width: int = 1600, height: int = 1200):
        self.profile = Path(tempfile.mkdtemp(prefix="simlay-chromium-"))
        self.log = open(self.profile / "chromium.log", "wb")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--force-device-scale-factor=1", "--force-color-profile=srgb", "--hide-scrollbars",
             f"--window-size={width},{height}", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.port = self._port()

    def _port(self) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CDPError(f"chromium exited with {self.process.returncode}: {self.log_text()[-2000:]}")
            if marker.exists():
                lines = marker.read_text().split()
                if lines:
                    return int(lines[0])
            time.sleep(0.1)
        raise CDPError(f"chromium wrote no DevToolsActivePort within {STARTUP_TIMEOUT} s: {self.log_text()[-2000:]}")

    def log_text(self) -> str:
        self.log.flush()
        return (self.profile / "chromium.log").read_text(errors="replace")

    def page(self) -> Page:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=30) as r:
            targets = json.load(r)
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            raise CDPError(f"no page target among {targets}")
        return Page(pages[0]["webSocketDebuggerUrl"])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_page(browser: Browser, url: str) -> Page:
    """The browser's tab with Runtime/Log/Page events on, navigated to ``url`` and loaded."""
    page = browser.page()
    for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
        page.send(domain)
    page.send("Emulation.setDeviceMetricsOverride", width=1600, height=1200, deviceScaleFactor=1, mobile=False)
    page.send("Page.navigate", url=url)
    page.wait_event("Page.loadEventFired")
    return page
