"""Start ``kata-snp-tui serve`` on a free loopback port for a test, and stop it (its whole process group)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Served:
    base_url: str  # "http://127.0.0.1:PORT"
    port: int
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kata_snp_tui", "serve", *args]


def _wait_until_up(url: str, process: subprocess.Popen, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen) -> None:
    """End the server and every wizard process it started (they share its process group)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    # Children textual-serve started may outlive the server for a moment: end the group for good.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def running_server(tmp_path: Path, timeout: float = 20.0) -> Iterator[Served]:
    """``kata-snp-tui serve --port P`` on 127.0.0.1, in its own process group; yields once the page answers."""
    last_output = ""
    for attempt in range(3):  # a free port can be taken between the probe and the bind
        port = free_port()
        log = tmp_path / f"serve-{attempt}.log"
        with log.open("wb") as fh:
            process = subprocess.Popen(
                serve_command("--port", str(port)),
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            if _wait_until_up(base + "/", process, time.monotonic() + timeout):
                yield Served(base, port, process, log)
                return
            last_output = log.read_text(errors="replace")
        finally:
            stop(process)
        if "cannot listen" not in last_output:
            break
    raise AssertionError(f"kata-snp-tui serve did not start:\n{last_output}")
