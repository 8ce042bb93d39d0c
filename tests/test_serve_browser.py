"""End to end in a real browser: headless Chromium opens ``kata-snp-tui serve``, sees the welcome
screen, presses F3 and sees the host checks; every request the page makes stays on the local server.

Driven through the DevTools protocol with aiohttp's websocket client (installed with textual-serve).
The terminal in the page draws on a canvas, so the test reads what the browser received on the
page's own websocket (``Network.webSocketFrameReceived``): the bytes the terminal drew.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import aiohttp
import pytest

from serve_helpers import running_server

CHROMIUM = "/usr/bin/chromium"
BUDGET = 50.0  # seconds for the whole browser part; the test fails (not hangs) beyond it

pytestmark = pytest.mark.slow

ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_=>78]")


def screen_text(chunks: list[bytes]) -> str:
    """What the terminal was told to draw, escape sequences removed."""
    return ANSI.sub(b"", b"".join(chunks)).decode("utf-8", "replace")


class DevTools:
    """A minimal DevTools protocol client: commands with replies, events kept in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._pending:
                future = self._pending.pop(data["id"])
                if "error" in data:
                    future.set_exception(RuntimeError(f"DevTools error: {data['error']}"))
                else:
                    future.set_result(data.get("result", {}))
            elif "method" in data:
                self.events.append(data)
                self._changed.set()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        await self.ws.send_json({"id": self._next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, 15)

    async def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
            except asyncio.TimeoutError:
                pass

    def received(self) -> list[bytes]:
        """Binary frames the page's websocket received (the terminal output)."""
        out: list[bytes] = []
        for e in self.events:
            if e["method"] == "Network.webSocketFrameReceived":
                response = e["params"]["response"]
                if response.get("opcode") == 2:
                    out.append(base64.b64decode(response["payloadData"]))
        return out

    def sent_text(self) -> list[str]:
        return [
            e["params"]["response"]["payloadData"]
            for e in self.events
            if e["method"] == "Network.webSocketFrameSent" and e["params"]["response"].get("opcode") == 1
        ]

    def requested_urls(self) -> list[str]:
        urls = [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]
        urls += [e["params"]["url"] for e in self.events if e["method"] == "Network.webSocketCreated"]
        return urls

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


def _start_chromium(profile: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _devtools_port(profile: Path, browser: subprocess.Popen, timeout: float) -> int:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.poll() is not None:
            raise AssertionError(f"chromium exited with status {browser.returncode}")
        if port_file.exists():
            first = port_file.read_text().splitlines()[:1]
            if first and first[0].isdigit():
                return int(first[0])
        await asyncio.sleep(0.1)
    raise AssertionError("chromium did not open its DevTools port")


async def _drive(base_url: str, profile: Path, artefacts: Path) -> None:
    browser = _start_chromium(profile)
    try:
        port = await _devtools_port(profile, browser, timeout=20)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            page = next(t for t in targets if t.get("type") == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                cdp = DevTools(ws)
                try:
                    await _check_page(cdp, base_url, artefacts)
                finally:
                    await cdp.close()
    finally:
        try:
            os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(browser.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            browser.wait(timeout=5)


async def _check_page(cdp: DevTools, base_url: str, artefacts: Path) -> None:
    await cdp.send("Network.enable")
    await cdp.send("Page.enable")
    await cdp.send("Page.navigate", url=base_url + "/")

    # The first screen: the welcome screen of the demo wizard, drawn by the page's terminal.
    def welcome_shown() -> bool:
        text = screen_text(cdp.received())
        return "This wizard follows the upstream guide" in text and "demo host" in text

    try:
        await cdp.wait_until(welcome_shown, 30, "the welcome screen in the browser")
    finally:
        (artefacts / "before-f3.txt").write_text(screen_text(cdp.received()))
    before = screen_text(cdp.received())
    assert "Re-run checks" not in before

    # The page's script ran: it connected and wrote the output into the terminal.
    state = await cdp.send(
        "Runtime.evaluate",
        expression="[document.body.className, document.querySelector('#terminal').className]",
        returnByValue=True,
    )
    body_class, terminal_class = state["result"]["value"]
    assert "-first-byte" in body_class and "-connected" in terminal_class

    # Press F3 in the browser: the terminal sends it to the wizard, which switches to the host checks.
    await cdp.send("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
    frames_before = len(cdp.received())
    for kind in ("rawKeyDown", "keyUp"):
        await cdp.send(
            "Input.dispatchKeyEvent", type=kind, key="F3", code="F3", windowsVirtualKeyCode=114, nativeVirtualKeyCode=114
        )

    def checks_shown() -> bool:
        return "Re-run checks" in screen_text(cdp.received()[frames_before:])

    try:
        await cdp.wait_until(checks_shown, 20, "the host checks screen after F3")
    finally:
        (artefacts / "after-f3.txt").write_text(screen_text(cdp.received()[frames_before:]))
    assert any('"stdin"' in frame and "\\u001bOR" in frame for frame in cdp.sent_text()), cdp.sent_text()
    after = screen_text(cdp.received()[frames_before:])
    assert "Host checks" in after

    # Offline: everything the page asked for came from the local server.
    ws_base = "ws://" + base_url.split("://", 1)[1]
    urls = [u for u in cdp.requested_urls() if not u.startswith(("data:", "about:"))]
    assert urls and all(u.startswith((base_url + "/", ws_base + "/")) for u in urls), urls
    assert any(u.endswith(".ttf") for u in urls)  # the local font is really used


def test_served_wizard_works_in_headless_chromium(tmp_path: Path) -> None:
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser test")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with running_server(tmp_path) as served:
        asyncio.run(asyncio.wait_for(_drive(served.base_url, profile, tmp_path), BUDGET))
