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


# ------------------------------------------------------------- item 13: build --dry-run root marks

MIXED_RECIPE = '''
[[steps]]
id = "plain"
title = "Plain"
cwd = "{workspace}"
argv = ["make"]

[[steps]]
id = "argv-sudo-key"
title = "Runs as root by its sudo key"
cwd = "{workspace}"
argv = ["make", "install"]
sudo = true

[[steps]]
id = "shell-sudo-key"
title = "A shell step run as root"
cwd = "{workspace}"
shell = "mkdir -p /opt/x\\ncp a /opt/x"
sudo = true

[[steps]]
id = "shell-calls-sudo"
title = "A user step whose script calls sudo"
cwd = "{workspace}"
shell = "make\\nsudo make install  # the guide's way"

[[steps]]
id = "argv-calls-sudo"
title = "A user step whose argv runs sudo inside"
cwd = "{workspace}"
argv = ["script", "-fec", "sudo -E ./rootfs.sh"]

[[steps]]
id = "hidden-sudo"
title = "A script that calls sudo out of sight"
cwd = "{workspace}"
argv = ["./build.sh"]
calls_sudo = true

[[steps]]
id = "pseudo"
title = "Mentions pseudonym and sudoers.d but runs no sudo"
cwd = "{workspace}"
argv = ["cat", "pseudo.txt", "/etc/sudoers.d/x"]
'''


def _headers(out: str) -> dict[str, str]:
    heads = {}
    for line in out.splitlines():
        m = re.match(r"# \[\d+/\d+\] ([\w.-]+): (.*)$", line)
        if m:
            heads[m.group(1)] = m.group(2)
    return heads


def test_dry_run_marks_every_step_that_runs_as_root_or_calls_sudo(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(MIXED_RECIPE)
    result = _run(["build", "--recipe", str(recipe), "--workspace", str(tmp_path / "ws"), "--dry-run"], tmp_path)
    assert result.returncode == 0, result.stderr
    heads = _headers(result.stdout)
    import os

    root = "[as root]" if os.geteuid() == 0 else "[as root via sudo]"
    assert heads["argv-sudo-key"].endswith(root) and heads["shell-sudo-key"].endswith(root)
    for sid in ("shell-calls-sudo", "argv-calls-sudo", "hidden-sudo"):
        assert heads[sid].endswith("[runs sudo]"), (sid, heads[sid])
    for sid in ("plain", "pseudo"):
        assert "[" not in heads[sid], heads[sid]


def test_dry_run_of_the_built_in_recipe_marks_each_root_step(tmp_path: Path) -> None:
    from kata_snp_tui.recipe import calls_sudo, load_recipe

    result = _run(["build", "--profile", "guide-3.2", "--workspace", str(tmp_path / "ws"), "--dry-run"], tmp_path)
    assert result.returncode == 0, result.stderr
    heads = _headers(result.stdout)
    steps = load_recipe().resolve(tmp_path / "ws")  # the built-in recipe is the guide's (Kata 3.2)
    assert len(heads) == len(steps)
    root_steps = [s.id for s in steps if s.sudo]
    sudo_inside = [s.id for s in steps if not s.sudo and calls_sudo(s)]
    assert len(root_steps) >= 15 and sudo_inside == ["ovmf-build"]  # the 3.2 OVMF script runs sudo docker
    for s in steps:
        marked = heads[s.id].endswith(("[as root]", "[as root via sudo]", "[runs sudo]"))
        assert marked == (s.id in root_steps or s.id in sudo_inside), (s.id, heads[s.id])


def test_dry_run_as_a_user_says_via_sudo(tmp_path: Path) -> None:
    import io

    from kata_snp_tui.commands.build import print_dry_run
    from kata_snp_tui.runner import open_build
    from kata_snp_tui.sudo import Privilege

    build = open_build(workspace=tmp_path / "ws", privilege=Privilege(euid=lambda: 1000))
    out = io.StringIO()
    print_dry_run(build, build.steps, False, out)
    heads = _headers(out.getvalue())
    assert heads["runtime-install"].endswith("[as root via sudo]")
    assert heads["initrd-install"].endswith("[as root via sudo]")
    assert heads["ovmf-build"].endswith("[runs sudo]")


# ------------------------------------------------ item 13: host.kernel quotes the kernel config


@pytest.mark.parametrize("where", ["/proc/config.gz", "/boot/config-6.12.0-cloud"])
def test_host_kernel_evidence_quotes_the_config_lines(tmp_path: Path, where: str) -> None:
    import gzip
    import json

    from hosts_helpers import HostBuilder

    text = b"CONFIG_KVM=y\n# CONFIG_KVM_AMD is not set\nCONFIG_AMD_MEM_ENCRYPT=y\n"  # no CONFIG_KVM_AMD_SEV line
    data = gzip.compress(text) if where.endswith(".gz") else text
    snapshot = HostBuilder(tmp_path / "b").kernel("6.12.0-cloud").kvm_amd(loaded=False).file(where, data).build()
    result = _run(["check", "--json", "--host", str(snapshot)], tmp_path)
    assert result.returncode == 1, result.stderr
    check = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "host.kernel")
    assert check["status"] == "fail"
    evidence = [e for e in check["evidence"] if where in e]
    assert evidence == [f"{where}: # CONFIG_KVM_AMD is not set",
                        f"{where}: CONFIG_KVM_AMD_SEV absent from the config"], check["evidence"]
    assert "=n" not in check["summary"] and "=n" not in " ".join(check["evidence"])
    assert "# CONFIG_KVM_AMD is not set; CONFIG_KVM_AMD_SEV absent from the config" in check["summary"]
