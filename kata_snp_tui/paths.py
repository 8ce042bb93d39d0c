"""Where the wizard keeps its own files: $XDG_STATE_HOME/kata-snp-tui (folders 0700, files 0600)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "kata-snp-tui"


def state_dir(create: bool = True) -> Path:
    """The state folder, honouring XDG_STATE_HOME (default ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(base) / APP_NAME
    if create:
        ensure_private_dir(path)
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def default_workspace() -> Path:
    """Where the build stage clones and builds, unless the user says otherwise."""
    env = os.environ.get("KATA_SNP_TUI_WORKSPACE")
    return Path(env) if env else Path.home() / "kata-snp-workspace"
