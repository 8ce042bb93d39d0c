"""Never lose a user's file: writes killed at random moments, change-on-disk refusal, mode and owner,
backups and restore, symlinks."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from config_helpers import folder_listing, upstream

from kata_snp_tui.atomic import ChangedOnDisk, Fingerprint, atomic_write, backup_pattern, list_backups
from kata_snp_tui.config.loader import load_file
from kata_snp_tui.config.patcher import patch
from kata_snp_tui.config.writer import restore_file, save_file
from kata_snp_tui.errors import UserError

OLD = upstream("configuration-qemu.toml.3.2.0").encode()
NEW = patch(OLD.decode()).text.encode()


def _check_folder_after_kill(folder: Path, target: Path) -> None:
    data = target.read_bytes()
    assert data in (OLD, NEW), "the target is neither the old nor the new file"
    tomllib.loads(data.decode())
    pattern = backup_pattern(target)
    for name in os.listdir(folder):
        path = folder / name
        if name == target.name:
            continue
        if pattern.fullmatch(name):
            assert path.read_bytes() in (OLD, NEW), f"half-written backup {name}"
        else:
            # only our own temporary files may be left behind by a kill
            assert name.startswith(".") and name.endswith(".tmp"), name


def test_write_killed_at_random_points_leaves_old_or_new(tmp_path: Path) -> None:
    """A forked writer replaces the file over and over (with backups) and is SIGKILLed at a random
    moment, 240 times; the file is always the old or the new content and parses."""
    rng = random.Random(20261126)
    kills_mid_run = 0
    for i in range(240):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        target = folder / "configuration.toml"
        target.write_bytes(OLD)
        pid = os.fork()
        if pid == 0:  # the child: write until killed
            try:
                n = 0
                while True:
                    atomic_write(target, NEW if n % 2 == 0 else OLD, backup=n % 3 != 0)
                    n += 1
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, 0.004))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        kills_mid_run += os.WIFSIGNALED(status)
        _check_folder_after_kill(folder, target)
    assert kills_mid_run > 200


def test_privileged_helper_killed_at_random_points(tmp_path: Path) -> None:
    """The same with the real helper process sudo runs (a fresh interpreter each time)."""
    rng = random.Random(7)
    content = tmp_path / "content.toml"
    content.write_bytes(NEW)
    for i in range(20):
        folder = tmp_path / f"helper{i}"
        folder.mkdir()
        target = folder / "configuration.toml"
        target.write_bytes(OLD)
        proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "kata_snp_tui.config.privileged_write", "write", str(target), "--content", str(content),
             "--expect-sha256", Fingerprint.of_bytes(OLD).sha256, "--require-toml"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, 0.12))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _check_folder_after_kill(folder, target)


def test_changed_on_disk_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "configuration.toml"
    target.write_bytes(OLD)
    loaded = load_file(target)
    target.write_bytes(OLD + b"\n# someone else's edit\n")
    before = folder_listing(tmp_path)
    with pytest.raises(ChangedOnDisk):
        save_file(target, NEW, expected=loaded.fingerprint)
    assert target.read_bytes() == OLD + b"\n# someone else's edit\n"
    assert folder_listing(tmp_path) == before


def test_invalid_toml_is_never_written(tmp_path: Path) -> None:
    target = tmp_path / "configuration.toml"
    target.write_bytes(OLD)
    loaded = load_file(target)
    with pytest.raises(UserError, match="not valid TOML"):
        save_file(target, b"[hypervisor.qemu\n", expected=loaded.fingerprint)
    assert target.read_bytes() == OLD
    assert folder_listing(tmp_path) == ["configuration.toml"]


def test_mode_and_owner_are_kept_and_a_backup_is_made(tmp_path: Path) -> None:
    target = tmp_path / "configuration.toml"
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    owner = (os.getuid(), os.getgid())
    if os.geteuid() == 0:
        owner = (12345, 12346)
        os.chown(target, *owner)
    loaded = load_file(target)
    result = save_file(target, NEW, expected=loaded.fingerprint, now=1_800_000_000)
    st = target.stat()
    assert target.read_bytes() == NEW
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert (st.st_uid, st.st_gid) == owner
    assert result.backup is not None and result.backup.read_bytes() == OLD
    bst = result.backup.stat()
    assert stat.S_IMODE(bst.st_mode) == 0o640 and (bst.st_uid, bst.st_gid) == owner
    assert result.backup.name == "configuration.toml.bak-" + time.strftime("%Y%m%d-%H%M%S", time.localtime(1_800_000_000))
    assert folder_listing(tmp_path) == sorted(["configuration.toml", result.backup.name])


def test_backups_are_listed_newest_first_and_restore_keeps_the_guarantees(tmp_path: Path) -> None:
    target = tmp_path / "configuration.toml"
    target.write_bytes(OLD)
    os.chmod(target, 0o600)
    first = save_file(target, NEW, expected=load_file(target).fingerprint, now=1_800_000_000)
    third = NEW + b"# third\n"
    second = save_file(target, third, expected=load_file(target).fingerprint, now=1_800_000_100)
    backups = list_backups(target)
    assert [b.path for b in backups] == [second.backup, first.backup]
    assert backups[0].size == len(NEW)
    # restore the oldest backup (the original file)
    loaded = load_file(target)
    restored = restore_file(target, first.backup, expected=loaded.fingerprint, now=1_800_000_200)
    assert target.read_bytes() == OLD
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert restored.backup is not None and restored.backup.read_bytes() == third
    # a restore is refused too when the file changed since it was loaded
    target.write_bytes(b"# changed\n")
    with pytest.raises(ChangedOnDisk):
        restore_file(target, second.backup, expected=loaded.fingerprint)


def test_a_symlink_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "configuration-qemu.toml"
    real.write_bytes(OLD)
    link = tmp_path / "configuration.toml"
    link.symlink_to(real.name)
    loaded = load_file(link)
    assert loaded.is_symlink and loaded.target == real
    result = save_file(loaded.target, NEW, expected=loaded.fingerprint)
    assert link.is_symlink() and link.read_bytes() == NEW and real.read_bytes() == NEW
    assert result.backup is not None and result.backup.parent == tmp_path


def test_a_new_file_needs_no_backup(tmp_path: Path) -> None:
    target = tmp_path / "new.toml"
    result = save_file(target, b"a = 1\n", expected=None)
    assert result.backup is None and target.read_bytes() == b"a = 1\n"
    with pytest.raises(ChangedOnDisk):
        save_file(target, b"a = 2\n", expected=None)
