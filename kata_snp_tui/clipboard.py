"""What "copy" can honestly promise in a terminal, and a file that always holds the copied text.

The TUI copies with Textual's ``App.copy_to_clipboard``, which sends an OSC 52 escape sequence to
the terminal. Whether that reaches the system clipboard depends on the terminal (many support it,
some ask first, some ignore it) and, inside tmux, on ``set -g set-clipboard on`` (tmux then keeps
it in a tmux buffer as well). Nothing tells the program whether it worked, so every copy also
writes the text to a file in the state folder (0600) and the message says both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from kata_snp_tui.atomic import atomic_write
from kata_snp_tui.paths import ensure_private_dir, state_dir

#: The folder (under the state folder) that holds the last text copied under each name.
FOLDER = "copied"


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "copied"


def keep_copy(name: str, text: str) -> Path:
    """Write ``text`` to ``<state>/copied/<name>.txt`` (0600, atomically) and return the path."""
    folder = ensure_private_dir(state_dir() / FOLDER)
    path = folder / f"{_safe_name(name)}.txt"
    atomic_write(path, text.encode("utf-8") if text.endswith("\n") else (text + "\n").encode("utf-8"),
                 backup=False, mode=0o600)
    return path


def sent_message(what: str, kept: Path | None = None, shown: bool = False,
                 env: Mapping[str, str] | None = None) -> str:
    """What to tell the user after copying ``what``: sent via OSC 52, where else the text is."""
    env = os.environ if env is None else env
    where = []
    if kept is not None:
        where.append(f"in {kept}")
    if shown:
        where.append("shown here")
    also = f": the text is also {' and '.join(where)}" if where else ""
    tmux = " (inside tmux this needs set -g set-clipboard on)" if env.get("TMUX") else ""
    return (f"{what} sent to the terminal's clipboard (OSC 52). If your terminal or tmux does not "
            f"support it{tmux}, nothing reached the clipboard{also}.")


__all__ = ["FOLDER", "keep_copy", "sent_message"]
