"""Never lose a file: every write of a user's file or of the wizard's own state survives SIGKILL at a
random moment (the file is the old or the new content, and parses), keeps mode and owner, and keeps a
backup where it replaces a user's file.

Already covered elsewhere (not repeated here): the Kata configuration.toml written by ``save_file``
and by the privileged helper, killed 240 + 20 times, change-on-disk refusal, invalid TOML refused,
backups and restore, symlinks (tests/test_config_atomic.py); the settings file kept as a backup when
it was broken (tests/test_theme_settings.py).
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from config_helpers import CONFIG_DATA, GOLDEN
from reliability_helpers import kill_loop

from kata_snp_tui.atomic import ChangedOnDisk, Fingerprint, backup_pattern
from kata_snp_tui.build_state import BuildPaths, BuildState, StepRecord, StepStatus
from kata_snp_tui.config.loader import load_file
from kata_snp_tui.config.writer import save_file
from kata_snp_tui.settings import Settings, load_settings, save_settings
from kata_snp_tui.verify.result import LAST_RESULT_NAME, RESULT_FORMAT, from_dmesg_text, load_last, save_last

#: Kills per kind of file (the configuration.toml has its own 240 in test_config_atomic.py).
KILLS = 200

CONTAINERD_OLD = (CONFIG_DATA / "containerd" / "containerd-2.0-default.toml").read_bytes()
CONTAINERD_NEW = (GOLDEN / "containerd-containerd-2.0-default.toml.patched").read_bytes()
OWNER = (12345, 12346)  # an owner that is not us, when we are root and may set it


def _leftovers_ok(folder: Path, target: Path, allowed: tuple[bytes, ...]) -> None:
    """Besides the target: backups (complete, old or new) and our own hidden temporary files only."""
    pattern = backup_pattern(target)
    for name in os.listdir(folder):
        if name == target.name:
            continue
        path = folder / name
        if pattern.fullmatch(name):
            assert path.read_bytes() in allowed, f"half-written backup {name}"
        else:
            assert name.startswith(".") and name.endswith(".tmp"), f"unexpected file {name}"


# ------------------------------------------------------------------------ containerd config.toml


def test_containerd_config_killed_200_times_is_old_or_new_with_mode_and_owner(tmp_path: Path) -> None:
    """containerd's config.toml, saved like the config editor saves it (expected fingerprint, backup), by a
    writer SIGKILLed at a random moment: always the old or the new file, parsing, mode 0640 and its
    owner kept; every backup complete."""
    as_root = os.geteuid() == 0
    owner = OWNER if as_root else (os.getuid(), os.getgid())

    def prepare(folder: Path) -> Path:
        target = folder / "config.toml"
        target.write_bytes(CONTAINERD_OLD)
        os.chmod(target, 0o640)
        if as_root:
            os.chown(target, *owner)
        return target

    def write(folder: Path, n: int) -> None:
        target = folder / "config.toml"
        new, old = (CONTAINERD_NEW, CONTAINERD_OLD) if n % 2 == 0 else (CONTAINERD_OLD, CONTAINERD_NEW)
        save_file(target, new, expected=Fingerprint.of_bytes(old), privileged=False, backup=n % 3 != 2)

    def check(folder: Path, target: Path) -> str:
        data = target.read_bytes()
        assert data in (CONTAINERD_OLD, CONTAINERD_NEW)
        tomllib.loads(data.decode())
        st = target.stat()
        assert stat.S_IMODE(st.st_mode) == 0o640 and (st.st_uid, st.st_gid) == owner
        _leftovers_ok(folder, target, (CONTAINERD_OLD, CONTAINERD_NEW))
        return "old" if data == CONTAINERD_OLD else "new"

    stats = kill_loop(tmp_path, KILLS, seed=7001, prepare=prepare, write=write, check=check)
    print(f"containerd config.toml: {stats}")
    assert stats.killed == KILLS
    assert set(stats.outcomes) == {"old", "new"}  # the kills landed before and after renames


def test_containerd_save_keeps_a_backup_mode_owner_and_refuses_a_file_changed_on_disk(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.write_bytes(CONTAINERD_OLD)
    os.chmod(target, 0o640)
    owner = OWNER if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(target, *owner)
    loaded = load_file(target)
    result = save_file(target, CONTAINERD_NEW, expected=loaded.fingerprint, privileged=False)
    assert target.read_bytes() == CONTAINERD_NEW
    assert result.backup is not None and result.backup.read_bytes() == CONTAINERD_OLD
    for path in (target, result.backup):
        st = path.stat()
        assert stat.S_IMODE(st.st_mode) == 0o640 and (st.st_uid, st.st_gid) == owner
    # someone edits the file after it was loaded: the stale save is refused and nothing changes
    stale = load_file(target)
    target.write_bytes(CONTAINERD_NEW + b"\n# an edit made meanwhile\n")
    listing = sorted(os.listdir(tmp_path))
    with pytest.raises(ChangedOnDisk):
        save_file(target, CONTAINERD_OLD, expected=stale.fingerprint, privileged=False)
    assert target.read_bytes().endswith(b"# an edit made meanwhile\n")
    assert sorted(os.listdir(tmp_path)) == listing


# ------------------------------------------------------------------------------ build state

RECORD_A = StepRecord(status=StepStatus.DONE, exit_code=0, started_at="2026-11-26T09:30:00+00:00", duration=1.5,
                      log="/logs/a.log", message="exit status 0")
RECORD_B = StepRecord(status=StepStatus.FAILED, exit_code=2, started_at="2026-11-26T09:31:00+00:00", duration=81.2,
                      log="/logs/a.log", message="exit status 2")
_open_states: dict[Path, BuildState] = {}


def _paths(folder: Path) -> BuildPaths:
    return BuildPaths(root=folder / "build", logs=folder / "logs")


def test_build_state_killed_200_times_is_old_or_new_and_loads(tmp_path: Path) -> None:
    """The build state (rewritten on every step start and end) under SIGKILL: it always loads, with no
    problem reported, holding one of the two records, and stays 0600."""

    def prepare(folder: Path) -> Path:
        state = BuildState.open(_paths(folder), folder / "ws")
        state.set("kernel-build", RECORD_A)
        state.set("other", RECORD_B)
        return state.path

    def write(folder: Path, n: int) -> None:
        state = _open_states.get(folder)
        if state is None:  # the forked writer opens the state once
            state = _open_states[folder] = BuildState.open(_paths(folder), folder / "ws")
        state.set("kernel-build", RECORD_B if n % 2 == 0 else RECORD_A)

    def check(folder: Path, target: Path) -> str:
        data = json.loads(target.read_text())
        assert data["format"] == "kata-snp-tui.build-state"
        reloaded = BuildState.open(_paths(folder), folder / "ws")
        assert reloaded.problems == []
        assert reloaded.get("other") == RECORD_B
        record = reloaded.get("kernel-build")
        assert record in (RECORD_A, RECORD_B)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        _leftovers_ok(target.parent, target, ())
        return "old" if record == RECORD_A else "new"

    stats = kill_loop(tmp_path, KILLS, seed=7002, prepare=prepare, write=write, check=check)
    print(f"build state: {stats}")
    assert stats.killed == KILLS and set(stats.outcomes) == {"old", "new"}


# --------------------------------------------------------------------------------- settings

USER_SETTINGS = '# my settings, edited by hand\ntheme = "nord"\n\n[mine]\nkeep = true  # do not lose me\n'


def test_settings_killed_200_times_keep_the_users_other_keys(tmp_path: Path) -> None:
    """settings.toml (a file the user may edit) rewritten with a new theme under SIGKILL: always the old
    or the new text, parsing, the user's comments and other keys kept, mode unchanged."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "settings.toml").write_text(USER_SETTINGS)
    save_settings(Settings(theme="gruvbox"), scratch / "settings.toml")
    old, new = USER_SETTINGS.encode(), (scratch / "settings.toml").read_bytes()
    assert old != new and b"keep = true  # do not lose me" in new

    def prepare(folder: Path) -> Path:
        target = folder / "settings.toml"
        target.write_bytes(old)
        os.chmod(target, 0o640)
        return target

    def write(folder: Path, n: int) -> None:
        save_settings(Settings(theme="gruvbox" if n % 2 == 0 else "nord"), folder / "settings.toml")

    def check(folder: Path, target: Path) -> str:
        data = target.read_bytes()
        assert data in (old, new)
        assert tomllib.loads(data.decode())["mine"] == {"keep": True}
        loaded = load_settings(target)
        assert loaded.problem is None and loaded.settings.theme in ("nord", "gruvbox")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        _leftovers_ok(folder, target, (old, new))
        return "old" if data == old else "new"

    stats = kill_loop(tmp_path / "kills", KILLS, seed=7003, prepare=prepare, write=write, check=check)
    print(f"settings.toml: {stats}")
    assert stats.killed == KILLS and set(stats.outcomes) == {"old", "new"}


# ----------------------------------------------------------------------- verification result

DMESG_SNP = "[    0.000000] SEV: Status: SEV SEV-ES SEV-SNP\n[    0.3] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP\n"
DMESG_ES = "[    0.3] Memory Encryption Features active: AMD SEV SEV-ES\n"


def test_verification_result_killed_200_times_is_old_or_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify/last.json (read by the session report) under SIGKILL: always one complete result that
    load_last() reads back; 0600 in a 0700 folder."""
    results = {}
    for name, text in (("snp", DMESG_SNP), ("es", DMESG_ES)):
        results[name] = from_dmesg_text(text)

    def state_home(folder: Path) -> None:
        os.environ["XDG_STATE_HOME"] = str(folder / "state")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "unused"))  # restored after the test

    def prepare(folder: Path) -> Path:
        state_home(folder)
        return save_last(results["snp"])

    def write(folder: Path, n: int) -> None:
        state_home(folder)
        save_last(results["es" if n % 2 == 0 else "snp"])

    def check(folder: Path, target: Path) -> str:
        state_home(folder)
        data = load_last()
        assert data is not None and data["format"] == RESULT_FORMAT, target.read_bytes()[:200]
        assert data["verdict"] in ("sev-snp", "sev-es")
        assert target.name == LAST_RESULT_NAME and stat.S_IMODE(target.stat().st_mode) == 0o600
        assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
        for name in os.listdir(target.parent):
            assert name == LAST_RESULT_NAME or name.endswith(".tmp"), name
        return "old" if data["verdict"] == "sev-snp" else "new"

    stats = kill_loop(tmp_path, KILLS, seed=7004, prepare=prepare, write=write, check=check)
    print(f"verify/last.json: {stats}")
    assert stats.killed == KILLS and set(stats.outcomes) == {"old", "new"}


def test_a_torn_write_is_caught_by_these_checks(tmp_path: Path) -> None:
    """The kill loop is sharp enough to catch a non-atomic writer: the same schedule against a plain
    truncate-and-write leaves torn files (so a regression to such a write would fail the tests above)."""
    big_old, big_new = CONTAINERD_OLD * 40, CONTAINERD_NEW * 40
    torn = 0

    def prepare(folder: Path) -> Path:
        target = folder / "config.toml"
        target.write_bytes(big_old)
        return target

    def write(folder: Path, n: int) -> None:
        with open(folder / "config.toml", "wb") as fh:  # the unsafe way
            fh.write(big_new if n % 2 == 0 else big_old)
            fh.flush()

    def check(folder: Path, target: Path) -> str:
        nonlocal torn
        if target.read_bytes() not in (big_old, big_new):
            torn += 1
            return "torn"
        return "whole"

    kill_loop(tmp_path, 60, seed=7005, prepare=prepare, write=write, check=check)
    assert torn > 0


def test_two_wizards_on_one_workspace_do_not_undo_each_others_records(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    first = BuildState.open(paths, tmp_path / "ws")
    second = BuildState.open(paths, tmp_path / "ws")  # another wizard, opened at the same time
    first.set("a", RECORD_A)
    second.set("b", StepRecord(status=StepStatus.SKIPPED, message="skipped by the user"))
    reloaded = BuildState.open(paths, tmp_path / "ws")
    assert reloaded.get("b").status is StepStatus.SKIPPED
    assert reloaded.get("a") == RECORD_A
