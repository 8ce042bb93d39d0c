"""Issue 11, command-line items: each test runs the installed command as a real process."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tmux_helpers import installed_command

README = Path(__file__).resolve().parent.parent / "README.md"


def _run(args: list[str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(installed_command()), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def _readme_handoff_commands() -> list[list[str]]:
    """The commands of README's "Troubleshooting someone else's host" section, as a user types them."""
    text = README.read_text()
    start = text.index("### Troubleshooting someone else's host")
    end = text.index("\n## ", start)
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text[start:end], flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("kata-snp-tui "):
                commands.append(shlex.split(line)[1:])
    return commands


# ------------------------------------------------------------------------- item 1: snapshot --tar


def test_readme_snapshot_handoff_works_verbatim(tmp_path: Path) -> None:
    commands = _readme_handoff_commands()
    snap = [c for c in commands if c[0] == "snapshot"]
    checks = [c for c in commands if c[0] == "check"]
    assert snap == [["snapshot", "myhost", "--tar"]], commands
    assert checks == [["check", "--host", "myhost.tar.gz"]], commands

    made = _run(snap[0], tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["myhost.tar.gz"]
    assert (tmp_path / "myhost.tar.gz").read_bytes()[:2] == b"\x1f\x8b"  # gzip, as its name says
    with tarfile.open(tmp_path / "myhost.tar.gz") as tar:
        assert "myhost/snapshot.json" in tar.getnames()

    # The README's next step, verbatim: exit 0 (ready) or 1 (this machine is not an SNP host), never 2.
    checked = _run(checks[0], tmp_path)
    assert checked.returncode in (0, 1), checked.stderr
    assert checked.stderr == ""

    # And what the snapshot command itself says to run.
    printed = re.search(r"Read it back with: (kata-snp-tui check --host .+)$", made.stdout, flags=re.M)
    assert printed, made.stdout
    argv = shlex.split(printed.group(1))[1:]
    assert argv == ["check", "--host", "myhost.tar.gz"]
    again = _run(argv, tmp_path)
    assert again.returncode == checked.returncode and again.stdout == checked.stdout


@pytest.mark.parametrize(
    ("out", "written", "gzip"),
    [
        ("x.tar", "x.tar", False),
        ("x.tar.gz", "x.tar.gz", True),
        ("x.tgz", "x.tgz", True),
        ("dir with space/h", "dir with space/h.tar.gz", True),
    ],
)
def test_snapshot_tar_names_say_what_the_file_is(tmp_path: Path, out: str, written: str, gzip: bool) -> None:
    (tmp_path / "dir with space").mkdir()
    made = _run(["snapshot", out, "--tar"], tmp_path)
    assert made.returncode == 0, made.stderr
    path = tmp_path / written
    assert path.is_file()
    assert (path.read_bytes()[:2] == b"\x1f\x8b") is gzip
    assert tarfile.is_tarfile(path)
    argv = shlex.split(re.search(r"Read it back with: (.+)$", made.stdout, flags=re.M).group(1))[1:]
    assert argv == ["check", "--host", written]
    back = _run(argv, tmp_path)
    assert back.returncode in (0, 1), back.stderr


def test_snapshot_tar_refuses_the_name_it_would_write(tmp_path: Path) -> None:
    (tmp_path / "myhost.tar.gz").write_bytes(b"someone's file")
    made = _run(["snapshot", "myhost", "--tar"], tmp_path)
    assert made.returncode == 2
    assert made.stderr.count("\n") == 1 and "myhost.tar.gz" in made.stderr
    assert (tmp_path / "myhost.tar.gz").read_bytes() == b"someone's file"
    assert not (tmp_path / "myhost").exists()


# ----------------------------------------------------------------------- item 11: serve, busy port


def test_serve_on_a_busy_port_says_so_before_serving(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = subprocess.Popen([str(installed_command()), "serve", "--port", str(port)], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 2
    assert out == ""  # nothing said it was serving
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kata-snp-tui: cannot listen on 127.0.0.1:") and str(port) in lines[0]
    assert "in use" in lines[0]


# ------------------------------------------------------------ item 13: build --workspace FILE


@pytest.mark.parametrize("mode", [["--dry-run"], ["--list"], ["--yes"]])
@pytest.mark.parametrize("under", [False, True], ids=["file", "under-a-file"])
def test_build_workspace_that_is_a_file_is_one_line_and_exit_2(tmp_path: Path, mode: list[str], under: bool) -> None:
    existing = tmp_path / "notes.txt"
    existing.write_text("not a folder\n")
    workspace = existing / "ws" if under else existing
    result = _run(["build", "--workspace", str(workspace), *mode], tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kata-snp-tui: the workspace ")
    assert "not a folder" in result.stderr
    assert existing.read_text() == "not a folder\n"


def test_build_workspace_that_does_not_exist_yet_is_fine_for_a_dry_run(tmp_path: Path) -> None:
    result = _run(["build", "--workspace", str(tmp_path / "new" / "ws"), "--dry-run"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"# workspace: {tmp_path / 'new' / 'ws'}" in result.stdout
    assert not (tmp_path / "new").exists()  # a dry run creates nothing
