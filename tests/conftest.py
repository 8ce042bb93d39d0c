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
    # Textual turns every colour off under NO_COLOR; snapshots must show the real colours.
    monkeypatch.delenv("NO_COLOR", raising=False)


def pytest_configure(config: pytest.Config) -> None:
    # Test helper modules (tests/*_helpers.py) are imported by name.
    import sys

    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
