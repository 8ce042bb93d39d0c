"""Capturing this machine into a snapshot and reading it back gives the same verdicts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from kata_snp_tui.checks import DESIGN_IDS, run_checks
from kata_snp_tui.errors import UserError
from kata_snp_tui.host import LiveHost, SnapshotHost
from kata_snp_tui.probes import PROBE_COMMANDS
from kata_snp_tui.snapshot import NOT_CAPTURED, capture, record_host


def _statuses(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.id: c.status.value for c in report.checks}


def test_snapshot_of_the_live_host_gives_the_live_verdicts(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    live = run_checks(LiveHost(), workspace=ws)
    written = capture(tmp_path / "snap", workspace=ws)
    replay = run_checks(SnapshotHost(written.path), workspace=ws)
    assert _statuses(replay) == _statuses(live)
    for check_id in DESIGN_IDS:
        assert replay.by_id(check_id).summary == live.by_id(check_id).summary, check_id
    assert replay.ready == live.ready is False
    assert replay.host["kind"] == "snapshot" and replay.host["label"] == os.uname().nodename


def test_snapshot_layout_and_privacy(tmp_path: Path) -> None:
    written = capture(tmp_path / "snap", workspace=tmp_path / "ws")
    root = written.path
    manifest = json.loads((root / "snapshot.json").read_text())
    assert manifest["format"] == "kata-snp-tui.host-snapshot" and manifest["version"] == 1
    assert manifest["label"] == os.uname().nodename
    assert set(PROBE_COMMANDS) <= set(manifest["commands"])
    for key, entry in manifest["commands"].items():
        assert entry["argv"] == list(PROBE_COMMANDS[key])
        assert (root / "commands" / f"{key}.txt").is_file()
    assert isinstance(manifest["resources"]["disk_free"], dict)
    assert str(tmp_path / "ws") in manifest["resources"]["disk_free"]
    assert isinstance(manifest["unreadable"], dict)
    assert (root / "fs" / "proc" / "cpuinfo").read_bytes() == Path("/proc/cpuinfo").read_bytes()
    assert (root / "fs" / "proc" / "cmdline").read_bytes() == Path("/proc/cmdline").read_bytes()
    for path in root.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert written.files == sum(1 for p in root.rglob("*") if p.is_file())
    assert written.size == sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def test_devices_and_existence_only_files_are_recorded(tmp_path: Path) -> None:
    recorder = record_host(LiveHost(), tmp_path / "ws")
    assert "/dev/kvm" in recorder.devices and "/dev/sev" in recorder.devices
    assert "/proc/cpuinfo" in recorder.reads
    assert any(path.startswith("/usr/share/kata-containers") for path in recorder.exists_seen)


def test_existence_only_files_are_placeholders_marked_not_captured(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    qemu = ws / "qemu" / "build" / "qemu-system-x86_64"
    qemu.parent.mkdir(parents=True)
    qemu.write_bytes(b"\x7fELF" + b"x" * 1000)
    written = capture(tmp_path / "snap", workspace=ws)
    manifest = json.loads((written.path / "snapshot.json").read_text())
    assert manifest["unreadable"][str(qemu)] == NOT_CAPTURED
    assert (written.path / "fs" / str(qemu).lstrip("/")).read_bytes() == b""
    report = run_checks(SnapshotHost(written.path), workspace=ws)
    assert report.by_id("kata.qemu").status.value == "pass"


def test_tarball_snapshot(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    written = capture(tmp_path / "host.tar.gz", tar=True, workspace=ws)
    assert stat.S_IMODE(written.path.stat().st_mode) == 0o600
    with tarfile.open(written.path) as tar:
        names = tar.getnames()
        assert "host/snapshot.json" in names
        for member in tar.getmembers():
            assert member.isfile() or member.isdir()
            assert member.mode & 0o077 == 0 and member.uname == ""
    live = run_checks(LiveHost(), workspace=ws)
    replay = run_checks(SnapshotHost(written.path), workspace=ws)
    assert _statuses(replay) == _statuses(live)
    assert not list(tmp_path.glob(".*partial"))


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep me")
    with pytest.raises(UserError, match="refusing to overwrite"):
        capture(full)
    assert (full / "x").read_text() == "keep me"
    existing = tmp_path / "old.tar.gz"
    existing.write_bytes(b"old data")
    with pytest.raises(UserError, match="refusing to overwrite"):
        capture(existing, tar=True)
    assert existing.read_bytes() == b"old data"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert capture(empty).path == empty  # an empty folder is fine
    with pytest.raises(UserError, match="does not exist"):
        capture(tmp_path / "no" / "such" / "dir")


def test_snapshot_command(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    cmd = [sys.executable, "-m", "kata_snp_tui", "snapshot", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout and "files" in proc.stdout and "KiB" in proc.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0 and "refusing to overwrite" in again.stderr
    tar = subprocess.run([sys.executable, "-m", "kata_snp_tui", "snapshot", str(tmp_path / "s.tar.gz"), "--tar"],
                         capture_output=True, text=True, timeout=120)
    assert tar.returncode == 0, tar.stderr
    check = subprocess.run([sys.executable, "-m", "kata_snp_tui", "check", "--json", "--host",
                            str(tmp_path / "s.tar.gz")], capture_output=True, text=True, timeout=120)
    assert check.returncode == 1 and json.loads(check.stdout)["host"]["kind"] == "snapshot"


def test_a_version_probe_of_a_configured_program_is_recorded_and_replayed(tmp_path: Path) -> None:
    """The drift checks ask the QEMU a Kata configuration names (`version:<path>`): a real process, recorded."""
    from kata_snp_tui.host import LiveHost, SnapshotHost
    from kata_snp_tui.probes import version_probe
    from kata_snp_tui.snapshot import RecordingHost, write_snapshot

    program = tmp_path / "qemu-system-x86_64"
    program.write_text("#!/bin/sh\necho 'QEMU emulator version 9.2.0 (test build)'\n")
    program.chmod(0o755)
    recorder = RecordingHost(LiveHost())
    live = recorder.command(version_probe(str(program)))
    assert live.ok and live.argv == (str(program), "--version")
    write_snapshot(recorder, tmp_path / "snap")
    replayed = SnapshotHost(tmp_path / "snap").command(version_probe(str(program)))
    assert replayed.argv == (str(program), "--version") and replayed.ok
    assert replayed.text.startswith("QEMU emulator version 9.2.0")
