"""Drive the installed command in a real terminal: tmux send-keys and capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path


class TmuxTerminal:
    """One detached tmux session running a command at a fixed size."""

    def __init__(self, argv: Sequence[str], width: int = 120, height: int = 40, env: dict[str, str] | None = None) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.name = f"kst-{uuid.uuid4().hex[:8]}"
        self.socket = f"kst-{uuid.uuid4().hex[:8]}"
        full_env = {**os.environ, **(env or {}), "TERM": "xterm-256color"}
        full_env.pop("TMUX", None)
        command = " ".join(_quote(a) for a in argv)
        subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d", "-s", self.name,
             "-x", str(width), "-y", str(height), command],
            check=True, env=full_env,
        )
        subprocess.run(["tmux", "-L", self.socket, "set-option", "-t", self.name, "remain-on-exit", "on"],
                       check=True, env=full_env)

    def send(self, *keys: str) -> None:
        subprocess.run(["tmux", "-L", self.socket, "send-keys", "-t", self.name, *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "capture-pane", "-p", "-t", self.name],
            check=True, capture_output=True, text=True,
        ).stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Wait until ``text`` is on screen; return the screen. Raise with the last screen on timeout."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} did not appear within {timeout} s; the screen was:\n{screen}")

    def dead(self) -> bool:
        out = subprocess.run(
            ["tmux", "-L", self.socket, "display-message", "-p", "-t", self.name, "#{pane_dead}"],
            capture_output=True, text=True,
        ).stdout.strip()
        return out == "1"

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def installed_command() -> Path:
    """The kata-snp-tui console script of the environment running the tests."""
    import sys

    candidate = Path(sys.executable).parent / "kata-snp-tui"
    if not candidate.exists():
        raise RuntimeError(f"kata-snp-tui is not installed beside {sys.executable}")
    return candidate
