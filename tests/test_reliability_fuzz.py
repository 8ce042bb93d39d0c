"""Fuzzing the parsers that read outside data (hypothesis, 200 examples each, no deadline): whatever they
are given, they answer or raise exactly the documented error the command line turns into exit 2
(UserError, ReportError); nothing else escapes.

Targets: /proc/cpuinfo and sysfs values (through a snapshot host and directly), the kernel-log reader
and every check that matches its lines (a snapshot host built from fuzzed dmesg, journal and kern.log),
snapshot manifests (load_manifest on arbitrary bytes and JSON, SnapshotHost on arbitrary manifest
fields), the TOML patcher and validator (Kata and containerd), the report decoder, the guest log
parser and the guest output splitter.

Covered elsewhere with fewer examples (kept): tests/test_checks_fuzz.py (60), tests/test_config_property.py
(50 each, valid variations), tests/test_report_decode.py (60 each).
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from config_helpers import CONFIG_DATA, UPSTREAM_CONFIGS, upstream
from conftest import SHARED
from hosts_helpers import DMESG_611_HEALTHY, HostBuilder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kata_snp_tui.checks import DESIGN_IDS, run_checks
from kata_snp_tui.checks.facts import parse_bool_param, parse_cpuinfo, kernel_version, show
from kata_snp_tui.checks.kernel_log import read_kernel_log
from kata_snp_tui.checks.render import report_text
from kata_snp_tui.checks.runner import INTERNAL_ERROR
from kata_snp_tui.config.containerd import patch_containerd, validate_containerd
from kata_snp_tui.config.patcher import PatchError, patch
from kata_snp_tui.config.validate import validate
from kata_snp_tui.errors import UserError
from kata_snp_tui.host import FileRead, SnapshotHost, load_manifest
from kata_snp_tui.verify.guest_log import parse
from kata_snp_tui.verify.report import BEGIN_MARKER, END_MARKER, ReportError, decode_any, describe
from kata_snp_tui.verify.result import analyse_run_output, from_dmesg_text

#: Examples per fuzz test (the figure the README quotes).
EXAMPLES = 200
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])

SAMPLES = SHARED / "samples"
HOST_LINES = sorted({line for p in SAMPLES.glob("host-*.txt") for line in p.read_text(errors="replace").splitlines()}
                    | set(DMESG_611_HEALTHY.splitlines()))
GUEST_LINES = sorted({line for p in SAMPLES.glob("guest-*.txt") for line in p.read_text(errors="replace").splitlines()})


def _mutate(line: str, draw) -> str:  # type: ignore[no-untyped-def]
    """A real line with a random cut, insertion or a number swapped for a huge or odd one."""
    how = draw(st.sampled_from(["keep", "cut", "insert", "number", "bytes"]))
    if how == "keep" or not line:
        return line
    at = draw(st.integers(0, len(line)))
    if how == "cut":
        return line[:at]
    if how == "insert":
        return line[:at] + draw(st.text(max_size=12)) + line[at:]
    if how == "number":
        return line[:at] + draw(st.sampled_from(["99999999999999999999", "-1", "0x", "1.", ":", " - ", "0xzz"])) + line[at:]
    return line[:at] + draw(st.binary(max_size=8)).decode("latin-1") + line[at:]


@st.composite
def logs(draw, lines: list[str]) -> bytes:  # type: ignore[no-untyped-def]
    """A log: real lines (some mutated), random text, with a binary tail sometimes."""
    parts = draw(st.lists(st.one_of(
        st.sampled_from(lines),
        st.text(max_size=100),
    ), max_size=60))
    out = []
    for part in parts:
        out.append(_mutate(part, draw) if draw(st.booleans()) else part)
    tail = draw(st.one_of(st.just(b""), st.binary(max_size=200)))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r", "\x00"]))
    return sep.join(out).encode("utf-8", "surrogatepass") + tail


junk = st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
                 st.sampled_from([b"Y", b"N", b"1", b"0", b" Y\n", b"", b"\x00", b"yes", b"-1", b"Y\nN", b"\xff"]))


# --------------------------------------------------------------------- the host's facts


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return HostBuilder(tmp_path_factory.mktemp("pristine")).build()


class Scratch:
    """A working copy of the pristine snapshot; each example changes some files, which are put back after."""

    def __init__(self, pristine: Path, base: Path) -> None:
        self.pristine = pristine
        self.root = base / "snap"
        shutil.copytree(pristine, self.root)
        self.touched: list[Path] = []

    def write(self, rel: str, data: bytes) -> None:
        target = self.root / rel
        self.touched.append(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def restore(self) -> None:
        for target in self.touched:
            original = self.pristine / target.relative_to(self.root)
            if original.is_file():
                shutil.copyfile(original, target)
            else:
                target.unlink(missing_ok=True)
        self.touched.clear()


@pytest.fixture(scope="module")
def scratch(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    return Scratch(pristine, tmp_path_factory.mktemp("scratch"))


def _checks_answer(snap: Path, workspace: Path) -> None:
    host = SnapshotHost(snap)
    report = run_checks(host, workspace=workspace)
    for c in report.checks:
        assert not c.summary.startswith(INTERNAL_ERROR), (c.id, c.summary)
    assert {c.id for c in report.checks} >= set(DESIGN_IDS)
    json.dumps(report.to_json())
    report_text(report)


FUZZED_FILES = ["/proc/cpuinfo", "/proc/cmdline", "/proc/sys/kernel/osrelease", "/proc/mounts",
                "/sys/module/kvm_amd/parameters/sev", "/sys/module/kvm_amd/parameters/sev_es",
                "/sys/module/kvm_amd/parameters/sev_snp", "/sys/kernel/iommu_groups/0/type",
                "/proc/sys/kernel/dmesg_restrict", "/etc/os-release", "/etc/modprobe.d/kvm.conf",
                "/proc/config.gz", "/boot/config-6.11.0-snp-host-f2ab1d7c5e90", "/var/log/kern.log"]


@FUZZ
@given(files=st.dictionaries(st.sampled_from(FUZZED_FILES), junk, max_size=len(FUZZED_FILES)),
       dmesg=logs(HOST_LINES), dmesg_rc=st.sampled_from([0, 1, None]),
       journal=st.one_of(st.none(), logs(HOST_LINES)))
def test_host_files_and_kernel_logs_never_break_the_checks(scratch: Scratch, files: dict[str, bytes], dmesg: bytes,
                                                           dmesg_rc: int | None, journal: bytes | None) -> None:
    """cpuinfo, sysfs parameters, mounts, kernel config, os-release, modprobe.d and the three kernel log
    sources, fuzzed together in a snapshot: the log reader reads, every check answers."""
    try:
        for path, data in files.items():
            scratch.write("fs" + path, data)
        manifest = json.loads((scratch.pristine / "snapshot.json").read_text())
        manifest["commands"]["dmesg"] = {"argv": ["dmesg"], "returncode": dmesg_rc}
        scratch.write("commands/dmesg.txt", dmesg)
        if journal is not None:
            manifest["commands"]["journalctl-k"] = {"argv": ["journalctl"], "returncode": 0}
            scratch.write("commands/journalctl-k.txt", journal)
        scratch.write("snapshot.json", json.dumps(manifest).encode())
        log = read_kernel_log(SnapshotHost(scratch.root))
        assert log.readable or log.reason
        _checks_answer(scratch.root, scratch.root.parent / "ws")
    finally:
        scratch.restore()


@FUZZ
@given(data=st.one_of(st.binary(max_size=2000), logs(["processor\t: 0", "vendor_id\t: AuthenticAMD",
                                                      "cpu family\t: 25", "model\t\t: 17", "flags\t\t: sev sev_es sev_snp",
                                                      "model name\t: AMD EPYC 9354P"])))
def test_cpuinfo_and_sysfs_parsers_take_anything(data: bytes) -> None:
    info = parse_cpuinfo(FileRead("/proc/cpuinfo", data))
    info.evidence("vendor")
    info.evidence("flags")
    assert info.ok == (info.problem is None)
    text = data.decode("utf-8", errors="replace")
    assert parse_bool_param(text) in (True, False, None)
    version = kernel_version(text)
    assert version is None or (len(version) == 3 and all(isinstance(v, int) for v in version))
    shown = show(text)
    assert len(shown) <= 60 and all(c.isprintable() for c in shown)


# ------------------------------------------------------------------------ snapshot manifests

MANIFEST_KEYS = ["format", "version", "commands", "devices", "sev_platform_status", "resources", "unreadable",
                 "label", "captured_at"]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=12)


@FUZZ
@given(raw=st.one_of(st.binary(max_size=500),
                     json_values.map(lambda v: json.dumps(v).encode()),
                     st.dictionaries(st.sampled_from(MANIFEST_KEYS), json_values).map(lambda d: json.dumps(d).encode())))
def test_load_manifest_accepts_or_refuses_with_a_user_error(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "snapshot.json"
        path.write_bytes(raw)
        try:
            data = load_manifest(path)
        except UserError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        assert isinstance(data, dict) and data["version"] == 1


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(MANIFEST_KEYS[2:]), json_values),
       commands=st.dictionaries(st.sampled_from(["dmesg", "journalctl-k", "yq", "git", "docker-info", "kata-runtime"]),
                                json_values, max_size=4),
       devices=st.dictionaries(st.sampled_from(["/dev/sev", "/dev/kvm", "/x"]), json_values, max_size=3),
       status=st.one_of(st.none(), st.dictionaries(st.sampled_from(["api_major", "api_minor", "build", "state", "snp_state",
                                                                    "snp_initialized", "error", "source"]), json_values)))
def test_any_valid_manifest_opens_and_every_check_answers(scratch: Scratch, fields: dict, commands: dict,
                                                          devices: dict, status: dict | None) -> None:
    """A manifest of the right format and version, every other field arbitrary JSON (types included)."""
    try:
        manifest = json.loads((scratch.pristine / "snapshot.json").read_text())
        manifest.update(fields)
        if isinstance(manifest.get("commands"), dict):
            manifest["commands"].update(commands)
        manifest["devices"] = devices
        manifest["sev_platform_status"] = status
        scratch.write("snapshot.json", json.dumps(manifest).encode())
        try:
            SnapshotHost(scratch.root)
        except UserError as exc:
            assert str(exc)
            return
        _checks_answer(scratch.root, scratch.root.parent / "ws")
    finally:
        scratch.restore()


# ---------------------------------------------------------------------- the TOML patcher

KATA_TEXTS = [upstream(name) for name in UPSTREAM_CONFIGS]
CONTAINERD_TEXTS = [p.read_text() for p in sorted((CONFIG_DATA / "containerd").glob("*.toml"))]


@st.composite
def toml_like(draw, bases: list[str]) -> str:  # type: ignore[no-untyped-def]
    """A real file mangled at a few places (cut, duplicated, junk inserted), or arbitrary text."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(max_size=300))
    text = draw(st.sampled_from(bases))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["cut", "insert", "dup", "swap"]))
        if how == "cut":
            end = min(len(text), at + draw(st.integers(0, 400)))
            text = text[:at] + text[end:]
        elif how == "insert":
            text = text[:at] + draw(st.sampled_from(["[", "]", '"', "'''", "=", "\n[hypervisor.qemu]\n", "#", "\\",
                                                     "= =", "\r", "{", "\n", "path = 1\n", "\x00"])) + text[at:]
        elif how == "dup":
            end = min(len(text), at + draw(st.integers(0, 200)))
            text = text[:end] + text[at:end] + text[end:]
        else:
            text = text[:at] + draw(st.text(max_size=10)) + text[at:]
    return text


@FUZZ
@given(text=toml_like(KATA_TEXTS), accepted=st.one_of(st.none(), st.sets(st.sampled_from(
    ["confidential_guest", "sev_snp_guest", "kernel", "initrd", "image", "firmware", "path", "file_mem_backend"]))))
def test_the_kata_patcher_and_validator_take_anything(text: str, accepted) -> None:  # type: ignore[no-untyped-def]
    validate(text, exists=None)
    try:
        result = patch(text, accepted)
    except PatchError as exc:  # a UserError: exit 2 with this line
        assert str(exc) and "\n" not in str(exc)
        return
    import tomllib

    tomllib.loads(result.text)  # whatever it produced parses


@FUZZ
@given(text=toml_like(CONTAINERD_TEXTS))
def test_the_containerd_patcher_and_validator_take_anything(text: str) -> None:
    validate_containerd(text, exists=None)
    try:
        result = patch_containerd(text)
    except PatchError as exc:  # a UserError: exit 2 with this line
        assert str(exc) and "\n" not in str(exc)
        return
    import tomllib

    tomllib.loads(result.text)


@pytest.mark.xfail(strict=True, reason=(
    "defect found by the fuzz test above: patcher.parse_written() insists that tomlkit round-trips the "
    "patched text byte for byte, but tomlkit doubles the indentation of an empty sub-table that follows "
    "an indented empty table, so a valid containerd config (two indented empty tables in a row) is "
    "refused with 'internal error: the patched containerd config does not parse' although it parses. "
    "Fix in kata_snp_tui/config/patcher.py parse_written() (or containerd._verify): compare tomlkit's "
    "values with tomllib's and accept a text tomllib parses, or say that tomlkit cannot keep the file "
    "as it is instead of calling it an internal error"))
def test_two_indented_empty_tables_in_a_row_are_patched() -> None:
    text = '    [plugins."io.containerd.grpc.v1.cri".image_decryption]\n    [plugins."io.containerd.grpc.v1.cri".registry]\n'
    result = patch_containerd(text)
    assert "runtimes.kata" in result.text


# ------------------------------------------------------------------ report and guest logs

REPORT = (Path(__file__).resolve().parent.parent / "assets" / "demo" / "guest" / "report.bin").read_bytes()


@st.composite
def report_inputs(draw) -> bytes:  # type: ignore[no-untyped-def]
    raw = bytearray(REPORT)
    for _ in range(draw(st.integers(0, 6))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    raw = bytes(raw[: draw(st.sampled_from([len(raw), len(raw), 1183, 600, 0]))])
    form = draw(st.sampled_from(["raw", "hex", "spaced-hex", "base64", "marked", "junk"]))
    if form == "raw":
        return raw
    if form == "hex":
        return raw.hex().encode()
    if form == "spaced-hex":
        return " ".join(f"{b:02x}" for b in raw).encode()
    if form == "base64":
        return base64.b64encode(raw)
    if form == "marked":
        end = draw(st.sampled_from([f"\n{END_MARKER}\n".encode(), b""]))
        return f"noise\n{BEGIN_MARKER}\n".encode() + raw.hex().encode() + end
    return draw(st.binary(max_size=5000))


@FUZZ
@given(data=report_inputs())
def test_the_report_decoder_decodes_or_raises_report_error(data: bytes) -> None:
    try:
        decoded = decode_any(data)
    except ReportError as exc:
        assert str(exc)
        return
    describe(decoded.report)
    json.dumps(decoded.report.to_json())


@FUZZ
@given(log=logs(GUEST_LINES + HOST_LINES[:50]))
def test_the_guest_log_parser_and_output_splitter_take_anything(log: bytes) -> None:
    text = log.decode("utf-8", errors="replace")
    guest = parse(text)
    assert guest.verdict in ("sev-snp", "sev-es", "sev", "none")
    json.dumps([s.to_json() for s in guest.signals])
    guest_log, attestation = analyse_run_output(text, None)
    assert attestation.status
    verification = from_dmesg_text(text)
    json.dumps(verification.to_json())
