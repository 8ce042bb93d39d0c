"""Shared test setup: every test gets its own state folder and workspace; nothing touches $HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", str(base / "workspace"))
    monkeypatch.delenv("KATA_CONF_FILE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
