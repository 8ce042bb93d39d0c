"""Pilot tests of the configuration editor: toggles, editing, saving, restoring, containerd, sudo, install."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from config_helpers import FIXED_WORKSPACE, TEST_HOST, frozen_clock, install_standin_sudo, upstream, wait_until_ready
from textual.message import Message
from textual.notifications import Notify
from textual.widgets import Input, TextArea

from kata_snp_tui.app import KataApp, make_app
from kata_snp_tui.config.discovery import DEFAULT_CONFIG, ETC_CONFIG
from kata_snp_tui.config.record import AppliedConfig
from kata_snp_tui.host import HostSource, SnapshotHost
from kata_snp_tui.screens.change_list import ChangeList
from kata_snp_tui.screens.config_dialogs import ConfirmDialog, PathsDialog, RestoreDialog
from kata_snp_tui.screens.password import PasswordScreen
from kata_snp_tui.screens.config_editor import ConfigEditorScreen
from kata_snp_tui.screens.diff_view import DiffView

PASSWORD = "hunter2 but longer"


@pytest.fixture(autouse=True)
def _fixed_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", FIXED_WORKSPACE)


def demo_app() -> KataApp:
    return make_app(HostSource("demo"), host=SnapshotHost(TEST_HOST, kind="demo"), clock=frozen_clock, run_checks_on_start=False)


class Recorder:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.notes.append(message.notification.message)


async def open_editor(pilot) -> ConfigEditorScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await wait_until_ready(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ConfigEditorScreen)
    assert screen.model is not None, screen.problems
    return screen


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for_screen(pilot, cls: type, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    """Pause until ``cls`` is on top (a worker waiting on a dialog never completes, so do not wait for workers)."""
    waited = 0.0
    while not isinstance(pilot.app.screen, cls):
        assert waited < timeout, f"{cls.__name__} did not appear; on top: {pilot.app.screen!r}"
        await pilot.pause(0.05)
        waited += 0.05
    await pilot.pause()
    return pilot.app.screen


async def highlight(pilot, screen: ConfigEditorScreen, change_id: str) -> None:  # type: ignore[no-untyped-def]
    changes = screen.query_one("#config-changes", ChangeList)
    changes.focus()
    changes.highlighted = [v.change.id for v in screen.analysis.changes].index(change_id)
    await pilot.pause()


async def test_toggling_a_change_updates_the_proposed_side() -> None:
    async with demo_app().run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot)
        editor = screen.query_one("#config-editor", TextArea)
        assert "\nconfidential_guest = true\n" in editor.text
        await highlight(pilot, screen, "confidential_guest")
        await pilot.press("space")
        await pilot.pause()
        assert "\n# confidential_guest = true\n" in editor.text
        assert "\nconfidential_guest = true\n" not in screen.model.proposed
        view = next(v for v in screen.analysis.changes if v.change.id == "confidential_guest")
        assert not view.accepted and view.state == "rejected"
        prompt = str(screen.query_one("#config-changes", ChangeList).get_option("confidential_guest").prompt)
        assert prompt.startswith("[ ]")
        # the aligned diff no longer shows line 41 as changed
        diff = screen.query_one("#config-diff", DiffView).diff
        assert diff is not None and diff.rows[diff.row_of_left(40)].tag == "equal"
        await pilot.press("space")
        await pilot.pause()
        assert "\nconfidential_guest = true\n" in editor.text
        # reject all, accept all
        await pilot.press("x")
        await pilot.pause()
        assert editor.text == screen.model.original
        assert not screen.analysis.dirty
        await pilot.press("a")
        await pilot.pause()
        assert screen.analysis.dirty and all(v.accepted for v in screen.analysis.changes)


async def test_rejecting_image_flags_the_contradiction() -> None:
    async with demo_app().run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot)
        # the demo file already boots from the initrd; put the rootfs image back by hand and keep it
        await pilot.press("f8")
        editor = screen.query_one("#config-editor", TextArea)
        editor.text = editor.text.replace('# image = "/usr', 'image = "/usr')
        await pilot.pause(0.3)
        screen.flush_pending()
        assert "image-and-initrd" in {f.code for f in screen.analysis.validation.errors}
        # accepting "No rootfs image" again comments it out on top of the hand-edited text
        await pilot.press("f8")
        await highlight(pilot, screen, "image")
        await pilot.press("space", "space")
        await pilot.pause()
        assert "image-and-initrd" not in {f.code for f in screen.analysis.validation.findings}


async def test_editing_flags_invalid_toml_and_save_refuses() -> None:
    notes = Recorder()
    async with demo_app().run_test(size=(120, 40), notifications=True, message_hook=notes) as pilot:
        screen = await open_editor(pilot)
        path = screen.model.loaded.path
        before = path.read_bytes()
        await pilot.press("f8")
        editor = screen.query_one("#config-editor", TextArea)
        assert pilot.app.focused is editor
        editor.move_cursor((0, 0))  # F8 opens at the selected change (tests/test_issue11_editor.py)
        await pilot.press("down", "down", "end")  # real cursor keys reach the editor
        assert editor.cursor_location == (2, len(editor.document.get_line(2)))
        editor.move_cursor((14, len(editor.document.get_line(14))))
        await pilot.press(*" = = broken")
        await pilot.pause(0.4)
        assert not screen.analysis.validation.parses
        first = screen.analysis.validation.findings[0]
        assert first.code == "parse" and first.line == 14
        assert "not valid TOML" in screen.query_one("#config-findings").border_title
        assert screen.model.hand_edited
        await pilot.press("ctrl+s")  # works while the editor has focus
        await settle(pilot)
        assert path.read_bytes() == before
        assert any("Not saved" in n and "not valid TOML" in n for n in notes.notes)
        # fix it again: valid, edited by hand
        for _ in range(len(" = = broken")):
            await pilot.press("backspace")
        await pilot.pause(0.4)
        assert screen.analysis.validation.parses
        assert screen.analysis.text == screen.model.result.text
        assert screen.last_analysis_ms > 0


async def test_save_writes_the_demo_copy_with_a_backup_and_records_it() -> None:
    notes = Recorder()
    async with demo_app().run_test(size=(120, 40), notifications=True, message_hook=notes) as pilot:
        screen = await open_editor(pilot)
        target = screen.target
        assert target is not None and target.demo_copy
        path = screen.model.loaded.path
        assert "/etc/" not in str(path)
        original = path.read_text()
        proposed = screen.model.proposed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert path.read_text() == proposed
        backups = sorted(p for p in path.parent.iterdir() if p.name.startswith("configuration.toml.bak-"))
        assert len(backups) == 1 and backups[0].read_text() == original
        (record,) = pilot.app.session.config_applied
        assert isinstance(record, AppliedConfig)
        assert record.path == str(path) and record.backup == str(backups[0]) and record.demo_copy
        assert "+confidential_guest = true" in record.diff and record.at == frozen_clock()
        assert not screen.analysis.dirty
        assert any(n.startswith(f"Saved {path}") for n in notes.notes)


async def test_save_refuses_when_the_file_changed_on_disk() -> None:
    notes = Recorder()
    async with demo_app().run_test(size=(120, 40), notifications=True, message_hook=notes) as pilot:
        screen = await open_editor(pilot)
        path = screen.model.loaded.path
        path.write_text(path.read_text() + "# changed behind the editor's back\n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert path.read_text().endswith("# changed behind the editor's back\n")
        assert any("changed on disk" in n for n in notes.notes)
        assert not pilot.app.session.config_applied


async def test_hand_edits_survive_toggling_a_change() -> None:
    async with demo_app().run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot)
        await pilot.press("f8")
        editor = screen.query_one("#config-editor", TextArea)
        editor.text = editor.text.replace('machine_type = "q35"', 'machine_type = "q35"  # mine')
        await pilot.pause(0.3)
        await pilot.press("f8")
        await highlight(pilot, screen, "shared_fs")
        await pilot.press("space")
        await pilot.pause()
        assert 'machine_type = "q35"  # mine' in editor.text
        assert '\nshared_fs = "virtio-fs"\n' in editor.text


async def test_paths_dialog_overrides_a_path() -> None:
    async with demo_app().run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, PathsDialog)
        field = dialog.query_one("#path-qemu", Input)
        assert field.value == f"{FIXED_WORKSPACE}/qemu/build/qemu-system-x86_64"
        field.value = "/opt/snp/qemu-system-x86_64"
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert '\npath = "/opt/snp/qemu-system-x86_64"\n' in screen.model.proposed
        # not a build output on the demo host: flagged as missing
        assert any(f.code == "path-missing" and f.key == "path" for f in screen.analysis.validation.findings)


async def test_containerd_file_and_restore() -> None:
    async with demo_app().run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.kind == "containerd"
        assert [v.change.id for v in screen.analysis.changes] == ["kata-runtime", "kata-config-path", "cri-enabled"]
        path = screen.model.loaded.path
        original = path.read_text()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert 'runtime_type = "io.containerd.kata.v2"' in path.read_text()
        # restore the backup: pick it, confirm
        await pilot.press("ctrl+r")
        await wait_for_screen(pilot, RestoreDialog)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert path.read_text() == original
        saved, restored = pilot.app.session.config_applied
        assert saved.kind == restored.kind == "containerd"
        assert restored.restored_from == saved.backup
        # back to the Kata file, whose state was kept
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.kind == "kata" and screen.analysis.dirty


async def test_root_owned_file_is_saved_through_sudo_with_the_password_asked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_standin_sudo(tmp_path / "bin")
    log = tmp_path / "sudo.log"
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_SUDO_PASSWORD", PASSWORD)
    monkeypatch.setenv("STANDIN_SUDO_LOG", str(log))
    root = tmp_path / "root"
    etc = root / ETC_CONFIG
    etc.parent.mkdir(parents=True)
    etc.write_text(upstream("configuration-qemu.toml.3.2.0"))
    os.chmod(etc, 0o640)
    monkeypatch.setattr(ConfigEditorScreen, "SEARCH_ROOT", root)
    # this test runs as whatever user; make the screen see a file it cannot write itself
    monkeypatch.setattr("kata_snp_tui.screens.config_editor.can_write_directly", lambda path: False)
    app = make_app(HostSource("live"), host=SnapshotHost(TEST_HOST), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot)
        assert screen.model.loaded.path == etc
        proposed = screen.model.proposed
        await pilot.press("ctrl+s")
        dialog = await wait_for_screen(pilot, PasswordScreen)
        field = dialog.query_one("#password-input", Input)
        assert field.password
        await pilot.press(*PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert etc.read_text() == proposed
        (record,) = pilot.app.session.config_applied
        assert record.via_sudo and record.backup and Path(record.backup).read_text() == upstream("configuration-qemu.toml.3.2.0")
    assert PASSWORD not in log.read_text()
    for folder in (etc.parent, Path(os.environ["XDG_STATE_HOME"])):
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                assert PASSWORD.encode() not in (Path(dirpath) / name).read_bytes()


async def test_only_the_default_offers_install_into_etc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() != 0:
        pytest.skip("the install runs `install -o root -g root` directly only as root (the sudo path is tested in test_config_sudo)")
    root = tmp_path / "root"
    default = root / DEFAULT_CONFIG
    default.parent.mkdir(parents=True)
    default.write_text(upstream("configuration-qemu.toml.3.2.0"))
    monkeypatch.setattr(ConfigEditorScreen, "SEARCH_ROOT", root)
    app = make_app(HostSource("live"), host=SnapshotHost(TEST_HOST), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_editor(pilot)
        assert screen.model.loaded.path == default
        assert screen.check_action("install", ())
        await pilot.press("ctrl+s")  # saving the packaged default is refused
        await settle(pilot)
        assert default.read_text() == upstream("configuration-qemu.toml.3.2.0")
        await pilot.press("f9")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        etc = root / ETC_CONFIG
        assert etc.read_text() == default.read_text()
        assert oct(etc.stat().st_mode & 0o777) == "0o640"
        await settle(pilot)
        assert screen.model.loaded.path == etc
        assert not screen.check_action("install", ())


async def test_root_only_file_is_read_through_sudo_and_the_password_is_asked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_standin_sudo(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_SUDO_PASSWORD", PASSWORD)
    monkeypatch.setenv("STANDIN_SUDO_CACHE", str(tmp_path / "sudo-ticket"))
    monkeypatch.setenv("STANDIN_SUDO_LOG", str(tmp_path / "sudo.log"))
    root = tmp_path / "root"
    etc = root / ETC_CONFIG
    etc.parent.mkdir(parents=True)
    etc.write_text(upstream("configuration-qemu.toml.3.2.0"))
    monkeypatch.setattr(ConfigEditorScreen, "SEARCH_ROOT", root)
    # what a user sees for the Developer Guide's root:root 0640 file (the tests may run as root)
    import kata_snp_tui.config.loader as loader

    plain_read = loader.read_bytes

    def refused_for_etc(path: Path) -> bytes:
        if Path(path) == etc:
            raise loader.NeedsPrivilege(f"{path} is readable only by root")
        return plain_read(path)

    monkeypatch.setattr(loader, "read_bytes", refused_for_etc)
    monkeypatch.setattr("kata_snp_tui.screens.config_editor.can_write_directly", lambda path: False)
    app = make_app(HostSource("live"), host=SnapshotHost(TEST_HOST), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until_ready(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ConfigEditorScreen) and screen.model is None
        assert "ctrl+l" in screen.problems["kata"]
        await pilot.press("ctrl+l")
        await wait_for_screen(pilot, PasswordScreen)
        await pilot.press(*PASSWORD, "enter")
        waited = 0.0
        while screen.model is None and waited < 10:
            await pilot.pause(0.05)
            waited += 0.05
        assert screen.model is not None and screen.model.loaded.privileged_read
        proposed = screen.model.proposed
        await pilot.press("ctrl+s")
        waited = 0.0
        while etc.read_text() != proposed and waited < 10:
            assert not isinstance(pilot.app.screen, PasswordScreen), "sudo remembered the password: no second prompt"
            await pilot.pause(0.05)
            waited += 0.05
        assert etc.read_text() == proposed
        await settle(pilot)
        assert pilot.app.session.config_applied[0].via_sudo
