"""Snapshots of the configuration editor on the demo host: all changes accepted, some rejected, and an
invalid edit flagged; at 80x24 and 120x40, with a frozen clock and a fixed workspace."""

from __future__ import annotations

import pytest
from config_helpers import FIXED_WORKSPACE, TEST_HOST, frozen_clock, wait_until_ready

from textual.widgets import TextArea

from kata_snp_tui.app import KataApp, make_app
from kata_snp_tui.host import HostSource, SnapshotHost

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _fixed_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", FIXED_WORKSPACE)


def _app() -> KataApp:
    return make_app(HostSource("demo"), host=SnapshotHost(TEST_HOST, kind="demo"), clock=frozen_clock, run_checks_on_start=False)


async def _open(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await wait_until_ready(pilot)


async def _all_accepted(pilot) -> None:  # type: ignore[no-untyped-def]
    await _open(pilot)


async def _some_rejected(pilot) -> None:  # type: ignore[no-untyped-def]
    await _open(pilot)
    # reject "SNP-capable QEMU" (4th) and "No virtiofsd" (6th); the cursor ends on the 6th
    await pilot.press("down", "down", "down", "space", "down", "down", "space")
    await pilot.pause()


async def _invalid_edit(pilot) -> None:  # type: ignore[no-untyped-def]
    await _open(pilot)
    await pilot.press("f8")
    await pilot.pause()
    editor = pilot.app.screen.query_one("#config-editor", TextArea)
    editor.move_cursor((15, len(editor.document.get_line(15))))
    await pilot.press(*" broken")
    await pilot.pause(0.4)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_all_accepted(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_all_accepted)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_some_rejected(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_some_rejected)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_invalid_edit_flagged(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_invalid_edit)
