"""End to end, as a new user meets the tool: the installed `kata-snp-tui --demo` in a real terminal
(tmux send-keys and capture-pane), through all four stages to the SNP verdict."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tmux_helpers import TmuxTerminal, installed_command

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]


@pytest.fixture
def terminal(tmp_path: Path):
    env = {
        "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
        "KATA_SNP_TUI_WORKSPACE": os.environ["KATA_SNP_TUI_WORKSPACE"],
        # The demo's recorded pace, ten times faster, so the walk takes seconds, not a minute.
        "KATA_SNP_TUI_DEMO_SPEED": "10",
        "HOME": str(tmp_path),
    }
    term = TmuxTerminal([str(installed_command()), "--demo"], width=120, height=40, env=env)
    yield term
    term.close()


def test_demo_walks_all_four_stages_to_the_snp_verdict(terminal: TmuxTerminal) -> None:
    screen = terminal.wait_for("READY for SNP guests")
    assert "demo host" in screen and "Demo mode" in screen

    terminal.send("F3")
    screen = terminal.wait_for("SEV firmware")
    assert "✖" not in screen  # the demo host passes every capability check

    terminal.send("F4")
    terminal.wait_for("0/33 done")
    terminal.send("r")
    screen = terminal.wait_for("33/33 done", timeout=90)
    assert "✔" in screen and "failed" not in screen.lower()

    terminal.send("F5")
    terminal.wait_for("11/11 accepted")
    terminal.send("C-s")
    terminal.wait_for("Saved")
    terminal.send("C-t")  # containerd's config.toml: its Kata runtime entry
    terminal.wait_for("containerd ·")
    terminal.send("C-s")
    terminal.wait_for("matches the file")

    terminal.send("F6")
    terminal.wait_for("Not run yet")
    terminal.send("r")
    screen = terminal.wait_for("SEV-SNP is active in the guest", timeout=60)
    assert "DEMO" in screen

    terminal.send("F2")
    screen = terminal.wait_for("SEV-SNP active in the guest")
    assert "33/33 done" in screen
    assert "saved: Kata's configuration.toml and containerd's config.toml" in screen

    terminal.send("C-q")
    for _ in range(50):
        if terminal.dead():
            break
        import time

        time.sleep(0.1)
    assert terminal.dead(), terminal.screen()
