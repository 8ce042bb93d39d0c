"""The Host layer: probes as real processes, bounded reads, snapshot containment and clean-up."""

from __future__ import annotations

import json
import os
import tarfile
import time
from pathlib import Path

import pytest
from hosts_helpers import HostBuilder

from kata_snp_tui.errors import UserError
from kata_snp_tui.host import MAX_READ_BYTES, LiveHost, SnapshotHost, run_probe


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_probe_output_merged_and_exit_status(tmp_path: Path) -> None:
    script = _script(tmp_path, "p", 'echo "out $LC_ALL"; echo err >&2; exit 3\n')
    result = run_probe("p", (script,), timeout=10)
    assert result.returncode == 3 and not result.ok
    assert b"out C" in result.output and b"err" in result.output
    assert result.error is None and result.found


def test_probe_not_found() -> None:
    result = run_probe("x", ("kata-snp-tui-no-such-command-xyz",), timeout=5)
    assert result.returncode is None and result.error == "not found" and not result.found


def test_probe_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = _script(tmp_path, "hang", f'sleep 300 & echo $! > {pidfile}; echo started; wait\n')
    start = time.monotonic()
    result = run_probe("hang", (script,), timeout=1)
    assert time.monotonic() - start < 20
    assert result.returncode is None and result.error == "timed out after 1 s"
    assert b"started" in result.output
    child = int(pidfile.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the grandchild survived the timeout")


def test_probe_stdin_is_closed(tmp_path: Path) -> None:
    script = _script(tmp_path, "reader", "cat; echo done\n")
    result = run_probe("reader", (script,), timeout=10)
    assert result.ok and result.output.strip() == b"done"


def test_live_read_of_proc_sysctl_files() -> None:
    # A single 4 MiB read() of a sysctl file fails with ENOMEM; reads go in chunks.
    result = LiveHost().read("/proc/sys/kernel/osrelease")
    assert result.ok and result.text.strip() == os.uname().release


def test_live_read_is_bounded_and_reports_errors(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * (MAX_READ_BYTES + 100))
    host = LiveHost(root=str(tmp_path))
    assert len(host.read("/big").data or b"") == MAX_READ_BYTES
    assert host.read("/missing").absent
    (tmp_path / "d").mkdir()
    assert host.read("/d").error == "is a directory"
    assert host.listdir("/d") == [] and host.listdir("/missing") is None


def test_live_resources_for_a_workspace_that_does_not_exist_yet(tmp_path: Path) -> None:
    ws = str(tmp_path / "not" / "yet" / "ws")
    res = LiveHost().resources(paths=(ws,))
    assert res.disk_free[ws] > 0 and res.cpu_count and res.mem_total


def test_live_refresh_forgets_command_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    counter = tmp_path / "n"
    _script(bin_dir, "yq", f'echo x >> {counter}; echo "yq version 3.4.1"\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    host = LiveHost()
    host.command("yq")
    host.command("yq")
    assert counter.read_text().count("x") == 1
    host.refresh()
    host.command("yq")
    assert counter.read_text().count("x") == 2


def test_snapshot_directory_links_out_are_not_followed(tmp_path: Path) -> None:
    snap = HostBuilder(tmp_path).build()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (snap / "fs" / "etc").mkdir(exist_ok=True)
    os.symlink(secret, snap / "fs" / "etc" / "shadow")
    os.symlink(tmp_path, snap / "fs" / "outside")
    host = SnapshotHost(snap)
    assert host.read("/etc/shadow").absent
    assert host.read("/outside/secret.txt").absent
    assert not host.exists("/outside/secret.txt")
    assert host.listdir("/outside") is None
    assert host.read("/../secret.txt").absent


def test_snapshot_tarball_is_unpacked_in_a_temp_folder_removed_on_close(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    snap = HostBuilder(tmp_path).build("inner")
    tar_path = tmp_path / "s.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(snap, arcname="inner")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    host = SnapshotHost(tar_path)
    assert host.read("/proc/cpuinfo").ok and host.label == "test host"
    assert list(temp.iterdir())
    host.close()
    assert list(temp.iterdir()) == []


def test_snapshot_unreadable_and_command_fields(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).unreadable_file("/proc/cmdline", "permission denied")
    b.command("go", "", returncode=None, error="timed out after 10 s")
    host = SnapshotHost(b.build())
    assert host.read("/proc/cmdline").error == "permission denied"
    go = host.command("go")
    assert go.returncode is None and go.error == "timed out after 10 s"
    assert host.command("never-recorded").error == "not recorded in this snapshot"


def test_snapshot_manifest_type_errors_are_user_errors(tmp_path: Path) -> None:
    snap = HostBuilder(tmp_path).build()
    manifest = json.loads((snap / "snapshot.json").read_text())
    manifest["devices"] = ["/dev/sev"]
    (snap / "snapshot.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="'devices' must be an object"):
        SnapshotHost(snap)
