"""`kata-snp-tui check`: exit codes, JSON, plain and coloured output, bad input, no Textual. Real processes."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from hosts_helpers import HostBuilder

from kata_snp_tui.checks import CHECK_IDS, DESIGN_IDS

ESC = "\x1b["


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "kata_snp_tui", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


def test_check_json_on_a_healthy_snapshot_exits_0(tmp_path: Path) -> None:
    snap = HostBuilder(tmp_path).build()
    proc = run_cli("check", "--json", "--host", str(snap))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"ready", "host", "checks"}
    assert data["ready"] is True
    assert data["host"]["kind"] == "snapshot" and data["host"]["label"] == "test host"
    ids = [c["id"] for c in data["checks"]]
    assert sorted(ids) == sorted(CHECK_IDS) and set(DESIGN_IDS) <= set(ids)
    for c in data["checks"]:
        assert set(c) == {"id", "group", "title", "status", "summary", "evidence", "remedy"}
        assert c["status"] in ("pass", "warn", "fail", "skip", "info")
        assert all(isinstance(e, str) for e in c["evidence"])


def test_check_exits_1_when_not_ready(tmp_path: Path) -> None:
    snap = HostBuilder(tmp_path).intel().build()
    proc = run_cli("check", "--host", str(snap))
    assert proc.returncode == 1, proc.stderr
    assert "NOT READY" in proc.stdout and "cpu.amd" in proc.stdout
    proc = run_cli("check", "--json", "--host", str(snap))
    assert proc.returncode == 1 and json.loads(proc.stdout)["ready"] is False


def test_piped_and_no_color_output_is_plain(tmp_path: Path) -> None:
    snap = HostBuilder(tmp_path).efi(False).build()
    for env in ({"NO_COLOR": "1"}, {}):
        proc = run_cli("check", "--host", str(snap), env={**env, "TERM": "xterm-256color"})
        assert proc.returncode == 1
        assert "\x1b" not in proc.stdout
        assert "FAIL   host.uefi" in proc.stdout
        assert "remedy    Boot the host in UEFI mode" in proc.stdout
        assert "evidence  /sys/firmware/efi: absent" in proc.stdout
        # every group is a section, in order
        positions = [proc.stdout.index(f"\n{g}") for g in ("CPU", "BIOS", "Kernel and KVM", "Firmware", "Devices",
                                                           "System", "Toolchain", "Kata")]
        assert positions == sorted(positions)


def _run_on_pty(args: list[str], env: dict[str, str]) -> str:
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kata_snp_tui", *args], stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env={**os.environ, **env}, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(master)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_terminal_output_is_coloured_unless_no_color(tmp_path: Path) -> None:
    snap = HostBuilder(tmp_path).efi(False).build()
    env = {"TERM": "xterm-256color", "COLUMNS": "100"}
    env_without = {k: v for k, v in env.items()}
    os_env_no_color = os.environ.pop("NO_COLOR", None)
    try:
        coloured = _run_on_pty(["check", "--host", str(snap)], env_without)
        plain = _run_on_pty(["check", "--host", str(snap)], {**env, "NO_COLOR": "1"})
    finally:
        if os_env_no_color is not None:
            os.environ["NO_COLOR"] = os_env_no_color
    assert "host.uefi" in coloured and ESC in coloured
    assert "host.uefi" in plain and ESC not in plain


def test_check_imports_no_textual(tmp_path: Path) -> None:
    snap = HostBuilder(tmp_path).build()
    code = (
        "import sys\n"
        "from kata_snp_tui.cli import main\n"
        f"rc = main(['check', '--json', '--host', {str(snap)!r}])\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print('TEXTUAL', bad, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "TEXTUAL []" in proc.stderr
    json.loads(proc.stdout)


# ----------------------------------------------------------------------------------- bad input


def _make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _valid_manifest() -> bytes:
    return json.dumps({"format": "kata-snp-tui.host-snapshot", "version": 1, "commands": {}}).encode()


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    (tmp / "empty").mkdir()
    out["no snapshot.json"] = tmp / "empty"
    (tmp / "badjson").mkdir()
    (tmp / "badjson" / "snapshot.json").write_text("{not json")
    out["invalid JSON"] = tmp / "badjson"
    (tmp / "fmt").mkdir()
    (tmp / "fmt" / "snapshot.json").write_text(json.dumps({"format": "something-else", "version": 1}))
    out["unknown format"] = tmp / "fmt"
    (tmp / "ver").mkdir()
    (tmp / "ver" / "snapshot.json").write_text(json.dumps({"format": "kata-snp-tui.host-snapshot", "version": 99}))
    out["unknown version"] = tmp / "ver"
    (tmp / "notobj").mkdir()
    (tmp / "notobj" / "snapshot.json").write_text("[1, 2]")
    out["not an object"] = tmp / "notobj"
    (tmp / "cmds").mkdir()
    (tmp / "cmds" / "snapshot.json").write_text(
        json.dumps({"format": "kata-snp-tui.host-snapshot", "version": 1, "commands": []}))
    out["commands not an object"] = tmp / "cmds"
    out["missing path"] = tmp / "does-not-exist"
    (tmp / "plain.txt").write_text("hello")
    out["not a snapshot file"] = tmp / "plain.txt"
    out["tar with .."] = _make_tar(tmp / "dotdot.tar.gz", [_file("snapshot.json", _valid_manifest()),
                                                         _file("../escaped.txt", b"escaped")])
    out["tar with absolute path"] = _make_tar(tmp / "abs.tar.gz", [
        _file("snapshot.json", _valid_manifest()), _file(str(tmp / "absolute-escape.txt"), b"x")])
    link = tarfile.TarInfo("fs/etc")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc"
    out["tar with a link pointing outside"] = _make_tar(tmp / "link.tar.gz", [
        _file("snapshot.json", _valid_manifest()), (link, None)])
    hard = tarfile.TarInfo("fs/proc/cpuinfo")
    hard.type, hard.linkname = tarfile.LNKTYPE, "../../../../etc/passwd"
    out["tar with a hard link"] = _make_tar(tmp / "hard.tar.gz", [_file("snapshot.json", _valid_manifest()),
                                                                 (hard, None)])
    dev = tarfile.TarInfo("fs/dev/sev")
    dev.type, dev.devmajor, dev.devminor = tarfile.CHRTYPE, 10, 124
    out["tar with a device member"] = _make_tar(tmp / "dev.tar.gz", [_file("snapshot.json", _valid_manifest()),
                                                                    (dev, None)])
    (tmp / "trunc.tar.gz").write_bytes((tmp / "dev.tar.gz").read_bytes()[:40])
    out["truncated tarball"] = tmp / "trunc.tar.gz"
    return out


def test_bad_snapshots_exit_2_with_one_line_and_write_nothing_outside_temp(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    bad = _bad_inputs(inputs)
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    work = tmp_path / "cwd"
    work.mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if not str(p).startswith(str(temp)))
    for what, path in bad.items():
        for args in (["check", "--host", str(path)], ["check", "--json", "--host", str(path)]):
            proc = run_cli(*args, env={"TMPDIR": str(temp)}, cwd=work)
            assert proc.returncode == 2, (what, proc.returncode, proc.stdout, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1, (what, proc.stderr)
            assert lines[0].startswith("kata-snp-tui: "), (what, lines)
            assert "Traceback" not in proc.stderr
            assert proc.stdout == "", what
        assert list(temp.iterdir()) == [], f"{what}: left files in TMPDIR"
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if not str(p).startswith(str(temp)))
    assert after == before
    assert not (tmp_path / "escaped.txt").exists() and not (inputs / "escaped.txt").exists()
    assert not (inputs / "absolute-escape.txt").exists()


@pytest.mark.parametrize("what", ["tar with ..", "tar with a device member", "unknown version", "missing path"])
def test_bad_snapshot_messages_say_what_is_wrong(tmp_path: Path, what: str) -> None:
    path = _bad_inputs(tmp_path)[what]
    proc = run_cli("check", "--host", str(path))
    words = {"tar with ..": "'..'", "tar with a device member": "special file", "unknown version": "version 99",
             "missing path": "not found"}[what]
    assert words in proc.stderr


def test_demo_and_host_are_mutually_exclusive(tmp_path: Path) -> None:
    proc = run_cli("check", "--demo", "--host", str(tmp_path))
    assert proc.returncode == 2 and "not allowed with" in proc.stderr


def test_check_demo_is_ready() -> None:
    proc = run_cli("check", "--demo", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ready"] is True and data["host"]["kind"] == "demo"
    assert "demo" in data["host"]["label"] and "not this machine" in data["host"]["label"]


def test_top_level_demo_flag_reaches_check() -> None:
    proc = run_cli("--demo", "check", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["host"]["kind"] == "demo"
