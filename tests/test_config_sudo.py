"""Root-owned files are written through sudo (a stand-in `sudo` script on PATH) with the same guarantees,
and the password only ever travels on sudo's standard input."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from config_helpers import folder_listing, install_standin_sudo, upstream

from kata_snp_tui import paths
from kata_snp_tui.atomic import ChangedOnDisk
from kata_snp_tui.config.discovery import DEFAULT_CONFIG, discover, install_default
from kata_snp_tui.config.loader import NeedsPrivilege, load_file
from kata_snp_tui.config.patcher import patch
from kata_snp_tui.config.sudo import Sudo, SudoAuthFailed
from kata_snp_tui.config.writer import backups_of, read_privileged, restore_file, save_file

PASSWORD = "correct horse battery staple"
OLD = upstream("configuration-qemu.toml.3.2.0").encode()
NEW = patch(OLD.decode()).text.encode()


@pytest.fixture()
def sudo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    install_standin_sudo(bin_dir)
    log = tmp_path / "sudo.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_SUDO_PASSWORD", PASSWORD)
    monkeypatch.setenv("STANDIN_SUDO_LOG", str(log))
    return log


def _target(tmp_path: Path) -> Path:
    folder = tmp_path / "etc" / "kata-containers"
    folder.mkdir(parents=True)
    target = folder / "configuration.toml"
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    return target


def _nowhere_is_the_password(tmp_path: Path, log: Path) -> None:
    secret = PASSWORD.encode()
    for root, _dirs, files in os.walk(tmp_path):
        for name in files:
            assert secret not in (Path(root) / name).read_bytes(), f"password found in {name}"
    for root, _dirs, files in os.walk(paths.state_dir()):
        for name in files:
            assert secret not in (Path(root) / name).read_bytes()
    assert PASSWORD not in log.read_text()
    assert PASSWORD not in repr(Sudo(password=PASSWORD))


def test_needs_password(sudo_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Sudo().needs_password()
    monkeypatch.delenv("STANDIN_SUDO_PASSWORD")
    assert not Sudo().needs_password()


def test_save_through_sudo(tmp_path: Path, sudo_env: Path) -> None:
    target = _target(tmp_path)
    loaded = load_file(target)
    result = save_file(target, NEW, expected=loaded.fingerprint, sudo=Sudo(password=PASSWORD), privileged=True)
    assert result.via_sudo
    assert target.read_bytes() == NEW
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert result.backup is not None and result.backup.read_bytes() == OLD
    assert folder_listing(target.parent) == sorted([target.name, result.backup.name])
    # the content went through a 0600 file in the state folder, removed afterwards
    assert not [p for p in paths.state_dir().iterdir() if p.name.startswith("content-")]
    argv_lines = sudo_env.read_text().splitlines()
    assert any("kata_snp_tui.config.privileged_write write" in line for line in argv_lines)
    _nowhere_is_the_password(tmp_path, sudo_env)


def test_wrong_password_writes_nothing(tmp_path: Path, sudo_env: Path) -> None:
    target = _target(tmp_path)
    loaded = load_file(target)
    with pytest.raises(SudoAuthFailed):
        save_file(target, NEW, expected=loaded.fingerprint, sudo=Sudo(password="wrong"), privileged=True)
    assert target.read_bytes() == OLD
    assert folder_listing(target.parent) == [target.name]


def test_no_password_and_no_cached_credentials_is_refused(tmp_path: Path, sudo_env: Path) -> None:
    target = _target(tmp_path)
    with pytest.raises(SudoAuthFailed):
        save_file(target, NEW, expected=load_file(target).fingerprint, sudo=Sudo(), privileged=True)
    assert target.read_bytes() == OLD


def test_changed_on_disk_is_refused_through_sudo(tmp_path: Path, sudo_env: Path) -> None:
    target = _target(tmp_path)
    loaded = load_file(target)
    target.write_bytes(OLD + b"# edited meanwhile\n")
    with pytest.raises(ChangedOnDisk):
        save_file(target, NEW, expected=loaded.fingerprint, sudo=Sudo(password=PASSWORD), privileged=True)
    assert target.read_bytes() == OLD + b"# edited meanwhile\n"
    assert folder_listing(target.parent) == [target.name]


def test_invalid_toml_is_refused_by_the_helper_too(tmp_path: Path, sudo_env: Path) -> None:
    """The root side checks again: content that does not parse is never written."""
    target = _target(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[hypervisor.qemu\n")
    argv = [sys.executable, "-I", "-m", "kata_snp_tui.config.privileged_write", "write", str(target), "--content", str(bad),
            "--expect-sha256", load_file(target).fingerprint.sha256, "--require-toml"]
    proc = Sudo(password=PASSWORD).run(argv)
    assert proc.returncode == 2
    reply = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert not reply["ok"] and "not valid TOML" in reply["error"]
    assert target.read_bytes() == OLD
    assert folder_listing(target.parent) == [target.name]


def test_read_list_and_restore_through_sudo(tmp_path: Path, sudo_env: Path) -> None:
    target = _target(tmp_path)
    sudo = Sudo(password=PASSWORD)
    assert read_privileged(target, sudo) == OLD
    saved = save_file(target, NEW, expected=load_file(target).fingerprint, sudo=sudo, privileged=True)
    (backup,) = backups_of(target, sudo)
    assert backup.path == saved.backup
    restored = restore_file(target, backup.path, expected=load_file(target).fingerprint, sudo=sudo, privileged=True)
    assert restored.via_sudo and target.read_bytes() == OLD
    assert restored.backup is not None and restored.backup.read_bytes() == NEW
    _nowhere_is_the_password(tmp_path, sudo_env)


def test_unreadable_file_is_read_through_sudo(tmp_path: Path, sudo_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(tmp_path)

    def refused(path: Path) -> bytes:  # what a plain read of a root-only 0640 file gives a user
        raise NeedsPrivilege(f"{path} is readable only by root")

    monkeypatch.setattr("kata_snp_tui.config.loader.read_bytes", refused)
    with pytest.raises(NeedsPrivilege):
        load_file(target)
    loaded = load_file(target, privileged_reader=lambda p: read_privileged(p, Sudo(password=PASSWORD)))
    assert loaded.data == OLD and loaded.privileged_read
    assert "privileged_write read" in sudo_env.read_text()


def test_install_default_through_sudo(tmp_path: Path, sudo_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / DEFAULT_CONFIG
    default.parent.mkdir(parents=True)
    default.write_bytes(OLD)
    found = discover({}, tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # take the non-root path: through sudo
    import getpass
    import grp

    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    installed = install_default(found, Sudo(password=PASSWORD), owner=user, group=group)
    assert installed.read_bytes() == OLD and stat.S_IMODE(installed.stat().st_mode) == 0o640
    logged = sudo_env.read_text()
    assert "install -o" in logged and "-m 0640" in logged and PASSWORD not in logged
