"""`kata-snp-tui config diff|apply|check`, run as a real process."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from config_helpers import CONFIG_DATA, FIXED_WORKSPACE, GOLDEN, cli_env, folder_listing, upstream

from kata_snp_tui.atomic import backup_pattern


def run_cli(*args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kata_snp_tui", "config", *args],
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=60,
    )


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "etc"
    folder.mkdir()
    path = folder / "configuration.toml"
    path.write_text(upstream("configuration-qemu.toml.3.2.0"))
    return path


def test_diff_prints_a_unified_diff_and_writes_nothing(config: Path, tmp_path: Path) -> None:
    before = config.read_bytes()
    proc = run_cli("diff", "--file", str(config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"--- {config} (current)\n+++ {config} (proposed)\n")
    assert '-# confidential_guest = true\n+confidential_guest = true\n' in proc.stdout
    assert f'+path = "{FIXED_WORKSPACE}/qemu/build/qemu-system-x86_64"' in proc.stdout
    assert config.read_bytes() == before
    assert folder_listing(config.parent) == ["configuration.toml"]


def test_check_apply_check(config: Path, tmp_path: Path) -> None:
    proc = run_cli("check", "--file", str(config), cwd=tmp_path)
    assert proc.returncode == 1
    assert "[not met] kernel" in proc.stdout and "0 of 11 settings met" in proc.stdout

    proc = run_cli("apply", "--file", str(config), "--yes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert config.read_text() == (GOLDEN / "configuration-qemu.toml.3.2.0.patched").read_text()
    (backup_line,) = [line for line in proc.stdout.splitlines() if line.startswith("backup: ")]
    backup = Path(backup_line.removeprefix("backup: "))
    assert backup.parent == config.parent and backup_pattern(config).fullmatch(backup.name)
    assert backup.read_text() == upstream("configuration-qemu.toml.3.2.0")

    proc = run_cli("check", "--file", str(config), cwd=tmp_path)
    assert proc.returncode == 0 and "11 of 11 settings met" in proc.stdout

    proc = run_cli("apply", "--file", str(config), "--yes", cwd=tmp_path)
    assert proc.returncode == 0 and "nothing to change" in proc.stdout
    assert len(folder_listing(config.parent)) == 2  # no second backup for a no-op


def test_apply_without_a_terminal_and_without_yes_refuses(config: Path, tmp_path: Path) -> None:
    before = config.read_bytes()
    proc = run_cli("apply", "--file", str(config), cwd=tmp_path)
    assert proc.returncode == 2
    assert "pass --yes" in proc.stderr and "Traceback" not in proc.stderr
    assert config.read_bytes() == before and folder_listing(config.parent) == ["configuration.toml"]


def test_overrides_and_skip(config: Path, tmp_path: Path) -> None:
    proc = run_cli(
        "apply", "--file", str(config), "--yes", "--qemu", "/opt/snp/qemu-system-x86_64", "--firmware", "/opt/snp/OVMF.fd",
        "--kernel", "/opt/snp/vmlinuz", "--initrd", "/opt/snp/initrd.img", "--skip", "file_mem_backend", cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    qemu = tomllib.loads(config.read_text())["hypervisor"]["qemu"]
    assert (qemu["path"], qemu["firmware"], qemu["kernel"], qemu["initrd"]) == (
        "/opt/snp/qemu-system-x86_64", "/opt/snp/OVMF.fd", "/opt/snp/vmlinuz", "/opt/snp/initrd.img",
    )
    assert "file_mem_backend" not in qemu
    proc = run_cli("check", "--file", str(config), "--skip", "nope", cwd=tmp_path)
    assert proc.returncode == 2 and "no such change" in proc.stderr
    proc = run_cli("diff", "--file", str(config), "--workspace", str(tmp_path / "ws"), cwd=tmp_path)
    assert f'+firmware = "{tmp_path}/ws/kata-containers/tools/packaging/static-build/ovmf/opt/kata/share/ovmf/OVMF.fd"' in proc.stdout


BAD_INPUTS = {
    "invalid": b"[hypervisor.qemu]\npath = \n",
    "empty": b"",
    "blank": b"\n  \n",
    "binary": bytes(range(256)),
    "latin1": "path = 'caf\u00e9'\n".encode("latin-1"),
    "no-qemu-table": b"[runtime]\nenable_debug = true\n",
}


@pytest.mark.parametrize("action", ["diff", "apply", "check"])
@pytest.mark.parametrize("kind", [*BAD_INPUTS, "missing"])
def test_bad_input_exits_2_and_leaves_everything_as_it_was(tmp_path: Path, action: str, kind: str) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    path = folder / "configuration.toml"
    if kind != "missing":
        path.write_bytes(BAD_INPUTS[kind])
    before = folder_listing(folder)
    content = path.read_bytes() if path.exists() else None
    proc = run_cli(action, "--file", str(path), "--yes", cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kata-snp-tui: ") and "Traceback" not in proc.stderr
    assert folder_listing(folder) == before
    assert (path.read_bytes() if path.exists() else None) == content


def test_containerd(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text((CONFIG_DATA / "containerd" / "containerd-2.0-default.toml").read_text())
    proc = run_cli("check", "--containerd", "--file", str(path), cwd=tmp_path)
    assert proc.returncode == 1 and "[not met] kata-runtime" in proc.stdout
    proc = run_cli("apply", "--containerd", "--file", str(path), "--yes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == (GOLDEN / "containerd-containerd-2.0-default.toml.patched").read_text()
    assert run_cli("check", "--containerd", "--file", str(path), cwd=tmp_path).returncode == 0
    proc = run_cli("diff", "--containerd", "--qemu", "/x", "--file", str(path), cwd=tmp_path)
    assert proc.returncode == 2


def test_demo_works_on_a_copy_in_the_state_folder(tmp_path: Path) -> None:
    proc = run_cli("apply", "--demo", "--yes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "demo-config" in proc.stdout
    proc = run_cli("check", "--demo", cwd=tmp_path)
    assert proc.returncode == 0 and "demo copy of /etc/kata-containers/configuration.toml" in proc.stdout
