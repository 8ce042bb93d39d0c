"""Bad input never crashes and never writes: on the command line one clear line on stderr and exit
status 2, in the TUI a message on screen; permission denied and missing commands are reported, not
fatal.

Covered elsewhere (cited, not repeated): config diff/apply/check on invalid, empty, blank, binary,
latin-1, table-less and missing files (tests/test_config_cli.py::test_bad_input_exits_2_and_leaves_
everything_as_it_was); snapshots without snapshot.json, invalid JSON, unknown format or version,
non-object manifests, tarballs with '..', absolute paths, symbolic and hard links, device members,
truncated (tests/test_checks_cli.py::test_bad_snapshots_exit_2_with_one_line_and_write_nothing_outside_
temp); 16 kinds of bad recipe through ``build --yes`` (tests/test_recipe_load.py::test_bad_recipes_exit_2_
before_anything_runs); a bad recipe in the TUI (tests/test_build_screen.py::test_a_bad_recipe_is_shown_
not_raised); report sizes and huge files (tests/test_report_decode.py); symlinks out of a snapshot's
fs/ (tests/test_host_access.py); unreadable kvm_amd parameters and dmesg not permitted in a snapshot
(tests/test_checks_scenarios.py).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from config_helpers import CONFIG_DATA, upstream
from hosts_helpers import HostBuilder
from reliability_helpers import cli_env, drop_privileges_and_run, one_line_error, run_cli, tree_state, write_script

from kata_snp_tui import cli
from kata_snp_tui.host import SNAPSHOT_FORMAT, LiveHost, SnapshotHost

KATA_CONFIG = upstream("configuration-qemu.toml.3.2.0")
CONTAINERD = (CONFIG_DATA / "containerd" / "containerd-2.0-default.toml").read_text()

#: Malformed TOML, one of each kind tomllib refuses, as a user's hand edit could leave it.
BROKEN_TOML: dict[str, Callable[[str], str]] = {
    "unterminated-string": lambda t: t + '\nfoo = "abc\n',
    "unterminated-multiline": lambda t: t + '\nfoo = """abc\n',
    "duplicate-key": lambda t: t.replace("[hypervisor.qemu]\n", '[hypervisor.qemu]\npath = "/a"\npath = "/b"\n', 1),
    "duplicate-table": lambda t: t + "\n[hypervisor.qemu]\nx = 1\n",
    "unclosed-header": lambda t: t + "\n[hypervisor.qemu\n",
    "key-without-value": lambda t: t + "\njustakey\n",
    "empty-value": lambda t: t + "\nfoo =\n",
    "bad-escape": lambda t: t + '\nfoo = "\\q"\n',
    "unclosed-array": lambda t: t + "\nfoo = [1, 2\n",
    "bad-date": lambda t: t + "\nfoo = 2024-13-45\n",
    "bad-number": lambda t: t + "\nfoo = 0x\n",
    "inline-table-newline": lambda t: t + "\nfoo = { a = 1,\n b = 2 }\n",
    "key-redefined-as-table": lambda t: t.replace(
        "[hypervisor.qemu]\n", "[hypervisor.qemu]\nmachine_accelerators = 1\n[hypervisor.qemu.machine_accelerators]\n", 1),
    "control-character": lambda t: t + '\nfoo = "a\x01b"\n',
    "bare-cr": lambda t: t + "\nfoo = 1\rbar = 2\n",
}

MANIFEST = {"format": SNAPSHOT_FORMAT, "version": 1, "commands": {}}


def _tar(path: Path, members: list[tuple[str, int, bytes | None]]) -> Path:
    """A .tar.gz with (name, size, data) members; data None means a run of zeros of that size."""

    class Zeros(io.RawIOBase):
        def __init__(self, n: int) -> None:
            self.n = n

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
            k = min(len(b), self.n)
            b[:k] = bytes(k)
            self.n -= k
            return k

    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, size, data in members:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(data) if data is not None else io.BufferedReader(Zeros(size), 1 << 20))
    return path


def _inputs(d: Path) -> dict[str, tuple[list[str], str]]:
    """Every bad input: id -> (command line, words the one-line message must hold)."""
    d.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[list[str], str]] = {}

    def file(name: str, data: bytes | str) -> str:
        path = d / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(path)

    for kind, breaker in BROKEN_TOML.items():
        bad = file(f"{kind}.toml", breaker(KATA_CONFIG))
        cases[f"config check, {kind}"] = (["config", "check", "--file", bad], "not valid TOML")
        cases[f"config apply, {kind}"] = (["config", "apply", "--yes", "--file", bad], "not valid TOML")
    for kind in ("duplicate-table", "unclosed-array"):
        bad = file(f"containerd-{kind}.toml", BROKEN_TOML[kind](CONTAINERD).replace("hypervisor.qemu", "plugins"))
        cases[f"config apply --containerd, {kind}"] = (["config", "apply", "--containerd", "--yes", "--file", bad],
                                                       "not valid TOML")
    big = d / "huge.toml"
    with open(big, "w") as fh:  # 50 MB of valid TOML: a configuration file cannot be that large
        fh.write(KATA_CONFIG)
        line = "# " + "x" * 77 + "\n"
        fh.write(line * (50 * 1024 * 1024 // len(line)))
    cases["config check, 50 MB"] = (["config", "check", "--file", str(big)], "too large")
    cases["config apply, 50 MB"] = (["config", "apply", "--yes", "--file", str(big)], "too large")
    cases["config check, random binary"] = (["config", "check", "--file", file("random.bin", os.urandom(4096) + b"\0")],
                                            "binary")
    cases["config check, a folder"] = (["config", "check", "--file", str(d)], "folder")

    dmesg_bin = file("dmesg.bin", b"\x7fELF\x02\x01\x01\x00" + os.urandom(2000) + b"\0" * 64)
    cases["verify --dmesg-file, binary"] = (["verify", "--dmesg-file", dmesg_bin], "binary")
    huge_log = d / "huge-dmesg.txt"
    with open(huge_log, "wb") as fh:
        fh.truncate(33 * 1024 * 1024)
    cases["verify --dmesg-file, 33 MiB"] = (["verify", "--dmesg-file", str(huge_log)], "larger than")
    cases["verify --dmesg-file, missing"] = (["verify", "--dmesg-file", str(d / "nope.txt")], "not found")
    cases["verify --dmesg-file, a folder"] = (["verify", "--dmesg-file", str(d)], "directory")

    cases["report, random bytes"] = (["report", file("r.bin", os.urandom(777))], "not an SNP attestation report")
    cases["report, empty"] = (["report", file("empty.bin", b"")], "empty")
    cases["report, undecodable text"] = (["report", file("r.txt", b"report: \xff\xfe\xc3(\n")], "report")
    cases["report, 1184 bytes plus one"] = (["report", file("r1185.bin", bytes(1185))], "1185")
    cases["report, 65 KiB"] = (["report", file("r-big.bin", b"a" * (65 * 1024))], "larger than")
    cases["report, a folder"] = (["report", str(d)], "directory")

    huge_member = _tar(d / "huge-member.tar.gz", [("snapshot.json", len(json.dumps(MANIFEST)), json.dumps(MANIFEST).encode()),
                                                  ("fs/proc/cpuinfo", 65 * 1024 * 1024, None)])
    many = d / "many.tar.gz"
    _tar(many, [("snapshot.json", len(json.dumps(MANIFEST)), json.dumps(MANIFEST).encode()),
                *((f"fs/x/{n}", 0, b"") for n in range(20_001))])
    wrong_version = d / "v2"
    wrong_version.mkdir()
    (wrong_version / "snapshot.json").write_text(json.dumps({**MANIFEST, "version": 2}))
    wrong_format = d / "other"
    wrong_format.mkdir()
    (wrong_format / "snapshot.json").write_text(json.dumps({**MANIFEST, "format": "sosreport"}))
    binary_manifest = d / "binmanifest"
    binary_manifest.mkdir()
    (binary_manifest / "snapshot.json").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    for what, path, words in (("a 65 MiB member", huge_member, "too large"), ("20001 members", many, "too many members"),
                              ("version 2", wrong_version, "version 2"), ("format sosreport", wrong_format, "sosreport"),
                              ("a binary snapshot.json", binary_manifest, "snapshot.json")):
        cases[f"check --host, {what}"] = (["check", "--host", str(path)], words)
        cases[f"export --host, {what}"] = (["export", "--host", str(path)], words)
        cases[f"the wizard --host, {what}"] = (["--host", str(path)], words)

    step = '[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\n'
    for what, text, words in (
        ("unknown key", step + 'sudoo = true\n', "unknown key 'sudoo'"),
        ("duplicate ids", step + step, "repeats the id"),
        ("a cycle", step + 'needs = ["b"]\n[[steps]]\nid = "b"\ntitle = "B"\nargv = ["true"]\nneeds = ["a"]\n', "cycle"),
        ("a missing need", step + 'needs = ["ghost"]\n', "'ghost', which is not a step"),
        ("binary", "\0\1\2", "not valid TOML"),
        ("undecodable", b"[[steps]]\nid = \"\xff\"\n", "cannot read it"),
    ):
        recipe = file(f"recipe-{what.replace(' ', '-')}.toml", text)
        cases[f"build --dry-run, recipe with {what}"] = (["build", "--dry-run", "--recipe", recipe, "--workspace",
                                                          str(d / "ws")], words)
    return cases


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[list[str], str]]]:
    folder = tmp_path_factory.mktemp("bad-inputs")
    cases = _inputs(folder)
    assert sorted(cases) == _case_ids()  # the parametrized ids and the table agree
    return folder, cases


def _case_ids() -> list[str]:
    """The table's ids, known at collection time without writing its files."""
    names = []
    for kind in BROKEN_TOML:
        names += [f"config check, {kind}", f"config apply, {kind}"]
    names += [f"config apply --containerd, {k}" for k in ("duplicate-table", "unclosed-array")]
    names += ["config check, 50 MB", "config apply, 50 MB", "config check, random binary", "config check, a folder",
              "verify --dmesg-file, binary", "verify --dmesg-file, 33 MiB", "verify --dmesg-file, missing",
              "verify --dmesg-file, a folder", "report, random bytes", "report, empty", "report, undecodable text",
              "report, 1184 bytes plus one", "report, 65 KiB", "report, a folder"]
    for what in ("a 65 MiB member", "20001 members", "version 2", "format sosreport", "a binary snapshot.json"):
        names += [f"check --host, {what}", f"export --host, {what}", f"the wizard --host, {what}"]
    for what in ("unknown key", "duplicate ids", "a cycle", "a missing need", "binary", "undecodable"):
        names.append(f"build --dry-run, recipe with {what}")
    return sorted(names)


@pytest.mark.parametrize("case", _case_ids())
def test_each_bad_input_is_one_line_exit_2_and_writes_nothing(case: str, bad_inputs, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The command line, in process (the same ``cli.main`` the console script calls): exit status 2,
    one ``kata-snp-tui: ...`` line naming the problem, nothing on stdout, no exception, and no file
    created or changed in the input folder, the state folder or the working folder."""
    folder, cases = bad_inputs
    argv, words = cases[case]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    state_home = Path(os.environ["XDG_STATE_HOME"])
    before = (tree_state(folder), tree_state(state_home), tree_state(cwd))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out[-500:], err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kata-snp-tui: "), err
    assert words in lines[0], lines[0]
    assert out == ""
    assert (tree_state(folder), tree_state(state_home), tree_state(cwd)) == before


@pytest.mark.parametrize("case", [
    "config apply, duplicate-key", "config check, 50 MB", "verify --dmesg-file, binary", "report, random bytes",
    "export --host, a 65 MiB member", "the wizard --host, 20001 members", "build --dry-run, recipe with a cycle",
])
def test_as_a_real_process_too(case: str, bad_inputs) -> None:
    """The same refusals from the installed entry point in a real process: one line, exit 2, no traceback."""
    _, cases = bad_inputs
    argv, words = cases[case]
    proc = run_cli(*argv)
    assert words in one_line_error(proc)
    assert proc.stdout == b""


# ------------------------------------------------------------------- accepted, not refused


def test_undecodable_bytes_and_control_characters_in_a_guest_log_are_read_not_refused(tmp_path: Path) -> None:
    log = tmp_path / "dmesg.txt"
    log.write_bytes(b"[    0.000000] SEV: Status: SEV SEV-ES SEV-SNP\r\n\xff\xfe garbage \xc3(\r\n"
                    b"[    0.3] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP\n\x1b[2J")
    proc = run_cli("verify", "--dmesg-file", str(log))
    assert proc.returncode == 0, proc.stderr
    assert b"verdict: sev-snp" in proc.stdout and proc.stderr == b""


def test_missing_commands_on_the_live_host_are_reported_not_fatal(tmp_path: Path) -> None:
    """`check` on this machine with no probe command on PATH (no dmesg, journalctl, git, docker, ...)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = run_cli("check", "--json", env=cli_env({"PATH": str(empty)}))
    assert proc.returncode in (0, 1) and b"Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    by_id = {c["id"]: c for c in report["checks"]}
    assert "dmesg: not installed" in report["host"]["kernel_log"]
    assert by_id["tool.git"]["status"] == "fail" and "not installed" in by_id["tool.git"]["summary"]


# ---------------------------------------------------------------------- permission denied


def _unreadable_char_device() -> str | None:
    """A character device in /dev that an unprivileged user may not open (stands in for /dev/sev)."""
    for entry in sorted(os.scandir("/dev"), key=lambda e: e.name):
        try:
            st = os.stat(entry.path)
        except OSError:
            continue
        if stat.S_ISCHR(st.st_mode) and st.st_uid == 0 and not st.st_mode & 0o006 and not st.st_mode & 0o060:
            return entry.path
    return None


PRELOAD = ("ctypes", "pickle", "kata_snp_tui.sev_ioctl", "kata_snp_tui.checks", "kata_snp_tui.checks.render",
           "psutil", "subprocess", "signal", "shutil", "json", "encodings.idna")


def test_permission_denied_on_dev_sev_and_on_every_kernel_log_source(tmp_path: Path) -> None:
    """The live host, as an unprivileged user: /dev/sev exists but cannot be opened, dmesg says
    "Operation not permitted", the journal is not readable, /var/log/kern.log is root:adm 0640. Every
    check still answers, none crashes, and what could not be read says why."""
    device = _unreadable_char_device()
    if device is None:  # pragma: no cover - /dev always has a root-only char device
        pytest.skip("no root-only character device to stand in for /dev/sev")
    if os.geteuid() != 0 and os.access(device, os.R_OK):  # pragma: no cover
        pytest.skip("this user can open every device")
    root = Path(tempfile.mkdtemp(prefix="kst-perm-"))  # not below pytest's 0700 folder: nobody must reach it
    try:
        os.chmod(root, 0o755)
        snap = HostBuilder(root / "snap").build()
        fake = root / "host"
        shutil.copytree(snap / "fs", fake)
        (fake / "dev").mkdir(exist_ok=True)
        os.symlink(device, fake / "dev" / "sev")
        kern = fake / "var" / "log" / "kern.log"
        kern.parent.mkdir(parents=True, exist_ok=True)
        kern.write_text("[    0.000000] Linux version 6.11.0\n[    7.2] ccp 0000:01:00.5: SEV-SNP API:1.55 build:21\n")
        os.chmod(kern, 0o640)
        bin_dir = root / "bin"
        write_script(bin_dir / "dmesg", 'echo "dmesg: read kernel buffer failed: Operation not permitted" >&2; exit 1\n')
        write_script(bin_dir / "journalctl", 'echo "No journal files were opened due to insufficient permissions."\n')
        for path in [root, *root.rglob("*")]:
            if path.is_symlink():
                continue
            if path != kern:
                os.chmod(path, 0o755 if path.is_dir() or path.parent == bin_dir else 0o644)

        def as_user() -> dict:
            from kata_snp_tui.checks import run_checks

            os.environ["PATH"] = f"{bin_dir}{os.pathsep}/usr/bin:/bin"
            host = LiveHost(root=str(fake))
            return {
                "can_open_sev": os.access(device, os.R_OK),
                "sev_status": host.sev_platform_status(),
                "kern": host.read("/var/log/kern.log").error,
                "report": run_checks(host, workspace=root / "ws").to_json(),
            }

        seen = drop_privileges_and_run(as_user, preload=PRELOAD)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert seen["can_open_sev"] is False and seen["sev_status"] is None
    assert seen["kern"] == "permission denied"
    report = seen["report"]
    reason = report["host"]["kernel_log"]
    assert "Operation not permitted" in reason and "/var/log/kern.log: permission denied" in reason
    by_id = {c["id"]: c for c in report["checks"]}
    assert by_id["dev.sev"]["status"] == "pass"  # the node is there; opening it is another matter
    for check in report["checks"]:
        assert not check["summary"].startswith("check could not run"), check
    # what needed the log says it could not be read, and why
    for cid in ("bios.snp", "fw.snp-init"):
        text = by_id[cid]["summary"] + " ".join(by_id[cid]["evidence"])
        assert "cannot be read" in text or "unreadable" in text, by_id[cid]


# --------------------------------------------------------------------- snapshot folders


def test_a_snapshot_folder_cannot_read_files_outside_it_through_commands(tmp_path: Path) -> None:
    """A snapshot folder someone sent: commands/dmesg.txt is a link to the user's private key. It is not
    read (before the fix its first line reached the kernel-log reason and the session report)."""
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY----- s3cr3t\n")
    snap = HostBuilder(tmp_path / "s").dmesg("x", returncode=1).build()
    (snap / "commands" / "dmesg.txt").unlink()
    os.symlink(secret, snap / "commands" / "dmesg.txt")
    result = SnapshotHost(snap).command("dmesg")
    assert b"s3cr3t" not in result.output
    proc = run_cli("check", "--json", "--host", str(snap))
    assert proc.returncode in (0, 1) and b"s3cr3t" not in proc.stdout
    # the same with the whole commands/ folder a link to a folder outside
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "dmesg.txt").write_text(secret.read_text())
    shutil.rmtree(snap / "commands")
    os.symlink(outside, snap / "commands")
    assert b"s3cr3t" not in SnapshotHost(snap).command("dmesg").output
    # a real recorded output is still read (the demo host and the fixtures depend on it)
    assert b"SEV-SNP API" in SnapshotHost(HostBuilder(tmp_path / "ok").build()).command("dmesg").output


# ------------------------------------------------------------------------------- the TUI


@pytest.mark.parametrize("kind", ["duplicate-table", "unterminated-string", "50 MB", "binary"])
async def test_the_config_editor_shows_a_bad_file_without_crashing_or_writing(kind: str, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from config_helpers import wait_until_ready

    from kata_snp_tui.app import make_app
    from kata_snp_tui.host import HostSource

    path = tmp_path / "configuration.toml"
    if kind == "50 MB":
        path.write_text(KATA_CONFIG + ("# " + "x" * 77 + "\n") * (50 * 1024 * 1024 // 80))
        words = "too large"
    elif kind == "binary":
        path.write_bytes(os.urandom(2048) + b"\0")
        words = "binary"
    else:
        path.write_text(BROKEN_TOML[kind](KATA_CONFIG))
        words = "not valid TOML"
    monkeypatch.setenv("KATA_CONF_FILE", str(path))
    before = tree_state(tmp_path)
    app = make_app(HostSource("live"), run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until_ready(pilot)
        screen = app.screen
        bar = str(screen.query_one("#config-file-bar").render())
        assert words in bar, bar
        await pilot.press("ctrl+s")  # saving is refused, not attempted
        await pilot.pause(0.2)
        assert app._exception is None
    assert tree_state(tmp_path) == before


# ------------------------------------------------------------------- decompression bomb


def test_a_kernel_config_gz_bomb_in_a_snapshot_is_not_unpacked_whole(tmp_path: Path) -> None:
    """/proc/config.gz in a (shared) snapshot that inflates to 64 MiB: the kernel check reads it without
    holding it all in memory (a real one is ~250 KiB; 4 MiB of such gzip would inflate to ~4 GiB)."""
    import tracemalloc
    import zlib

    from kata_snp_tui.checks.facts import Facts

    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [comp.compress(b"CONFIG_AMD_MEM_ENCRYPT=y\n")]
    for _ in range(64):
        parts.append(comp.compress(chunk))
    parts.append(comp.flush())
    snap = HostBuilder(tmp_path).kernel("no-such-release").file("/proc/config.gz", b"".join(parts)).build()
    facts = Facts(SnapshotHost(snap), tmp_path / "ws")
    tracemalloc.start()
    try:
        facts.kernel_config  # noqa: B018 - the read under test
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024, f"{peak / 2**20:.0f} MiB held at once"
    from kata_snp_tui.checks import run_checks

    report = run_checks(SnapshotHost(snap), workspace=tmp_path / "ws")
    assert not any(c.summary.startswith("check could not run") for c in report.checks)
