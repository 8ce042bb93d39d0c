"""Helpers for the verify, report, troubleshoot and export tests: reports built byte by byte from the
reference table (reference/sev-snp-host-and-guest.md 4.2), independently of the decoder, and stand-in
commands (`ctr`, `sudo`) written as small scripts on PATH."""

from __future__ import annotations

import base64
import os
import stat
import struct
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

REPORT_SIZE = 1184
RESPONSE_SIZE = 4000


@dataclass
class ReportFields:
    version: int = 2
    guest_svn: int = 7
    policy: int = 0x30000
    family_id: bytes = bytes(range(16))
    image_id: bytes = bytes(range(16, 32))
    vmpl: int = 1
    signature_algo: int = 1
    current_tcb: bytes = bytes([3, 0, 0, 0, 0, 0, 8, 206])
    platform_info: int = 0b10
    key_info: int = 0
    report_data: bytes = bytes.fromhex(
        "018e35b6c40128f59145fe8a3b34d363ac57c677e5efedae5e3407c005ce3f19"
        "b8e43fbbe7a2e6034ad1ec7b66fdbd0d3ce5456d8b24974e706e092f7ab33059"
    )
    measurement: bytes = bytes.fromhex(
        "b5d1007b5906cad05d4163372394a3cc06a3d1094326e4304153dc2dd9b6b2e688bfb700089f44885503fbf4dc19b80c"
    )
    host_data: bytes = bytes([0xAB]) * 32
    id_key_digest: bytes = bytes([0x11]) * 48
    author_key_digest: bytes = bytes([0x22]) * 48
    report_id: bytes = bytes.fromhex("581d06304ecc48e5d86fb9cab6aa293d9aa65a59a70ec34bed5481f7f68a02d0")
    report_id_ma: bytes = b"\xff" * 32
    reported_tcb: bytes = bytes([3, 0, 0, 0, 0, 0, 8, 115])
    cpuid: tuple[int, int, int] = (0x19, 0x01, 0x01)
    chip_id: bytes = bytes.fromhex(
        "ed9760ac8e4f51822fe644e06b26880d56adb86f4613604e69c4db9db8b2a974"
        "ed2aa66b60a7aa4d64841bfcdf4c520d8129f2cdef6667ca79a41819942b03ce"
    )
    committed_tcb: bytes = bytes([3, 0, 0, 0, 0, 0, 8, 115])
    current_fw: tuple[int, int, int] = (1, 52, 4)  # major, minor, build
    committed_fw: tuple[int, int, int] = (1, 51, 3)
    launch_tcb: bytes = bytes([2, 0, 0, 0, 0, 0, 7, 110])
    sig_r: bytes = bytes(range(1, 49))
    sig_s: bytes = bytes(range(101, 149))
    extra: dict[int, bytes] = field(default_factory=dict)


def build_report(f: ReportFields | None = None) -> bytes:
    """1184 bytes with every field at its documented offset."""
    f = f or ReportFields()
    b = bytearray(REPORT_SIZE)
    struct.pack_into("<I", b, 0x000, f.version)
    struct.pack_into("<I", b, 0x004, f.guest_svn)
    struct.pack_into("<Q", b, 0x008, f.policy)
    b[0x010:0x020] = f.family_id
    b[0x020:0x030] = f.image_id
    struct.pack_into("<I", b, 0x030, f.vmpl)
    struct.pack_into("<I", b, 0x034, f.signature_algo)
    b[0x038:0x040] = f.current_tcb
    struct.pack_into("<Q", b, 0x040, f.platform_info)
    struct.pack_into("<I", b, 0x048, f.key_info)
    b[0x050:0x090] = f.report_data
    b[0x090:0x0C0] = f.measurement
    b[0x0C0:0x0E0] = f.host_data
    b[0x0E0:0x110] = f.id_key_digest
    b[0x110:0x140] = f.author_key_digest
    b[0x140:0x160] = f.report_id
    b[0x160:0x180] = f.report_id_ma
    b[0x180:0x188] = f.reported_tcb
    if f.version >= 3:
        b[0x188], b[0x189], b[0x18A] = f.cpuid
    b[0x1A0:0x1E0] = f.chip_id
    b[0x1E0:0x1E8] = f.committed_tcb
    b[0x1E8], b[0x1E9], b[0x1EA] = f.current_fw[2], f.current_fw[1], f.current_fw[0]
    b[0x1EC], b[0x1ED], b[0x1EE] = f.committed_fw[2], f.committed_fw[1], f.committed_fw[0]
    b[0x1F0:0x1F8] = f.launch_tcb
    b[0x2A0:0x2A0 + len(f.sig_r)] = f.sig_r
    b[0x2E8:0x2E8 + len(f.sig_s)] = f.sig_s
    for off, data in f.extra.items():
        b[off:off + len(data)] = data
    assert len(b) == REPORT_SIZE
    return bytes(b)


def build_response(report: bytes, status: int = 0, size: int | None = None) -> bytes:
    """The 4000-byte SNP_GET_REPORT response: status, report_size, 24 reserved bytes, the report, zeros."""
    head = struct.pack("<II", status, len(report) if size is None else size) + bytes(24)
    return (head + report).ljust(RESPONSE_SIZE, b"\0")


def as_hex(data: bytes, spaced: bool = False) -> bytes:
    if spaced:
        rows = [" ".join(f"{x:02x}" for x in data[i:i + 16]) for i in range(0, len(data), 16)]
        return ("\n".join(rows) + "\n").encode()
    return (data.hex() + "\n").encode()


def as_base64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def write_script(path: Path, body: str) -> Path:
    """Write an executable /bin/sh script."""
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body).lstrip("\n"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def path_with(bin_dir: Path) -> str:
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


# ------------------------------------------------------------------------------- the demo report


def _digest(label: str, size: int) -> bytes:
    import hashlib

    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha512(f"kata-snp-tui demo {label} {counter}".encode()).digest()
        counter += 1
    return out[:size]


DEMO_REPORT_DATA = b"KATA-SNP-TUI DEMO DATA - recorded for the demo, not SNP hardware".ljust(64, b"\0")[:64]


def demo_report_fields() -> ReportFields:
    """The bundled demo report: realistic values matching the demo host (Genoa, SEV firmware 1.55 build 21,
    TCB 0x4815000000000007 as its SNP_PLATFORM_STATUS says), Kata's default policy 0x30000, VMPL 0 as the
    stdlib client asks; digests derived from labels; report_data that says it is demo data."""
    tcb = (0x4815000000000007).to_bytes(8, "little")  # boot loader 7, TEE 0, SNP 21, microcode 72
    return ReportFields(
        version=2,
        guest_svn=0,
        policy=0x30000,
        family_id=bytes(16),
        image_id=bytes(16),
        vmpl=0,
        signature_algo=1,
        current_tcb=tcb,
        platform_info=0x3,
        key_info=0,
        report_data=DEMO_REPORT_DATA,
        measurement=_digest("measurement", 48),
        host_data=bytes(32),
        id_key_digest=bytes(48),
        author_key_digest=bytes(48),
        report_id=_digest("report id", 32),
        report_id_ma=b"\xff" * 32,
        reported_tcb=tcb,
        chip_id=_digest("chip id", 64),
        committed_tcb=tcb,
        current_fw=(1, 55, 21),
        committed_fw=(1, 55, 21),
        launch_tcb=tcb,
        sig_r=_digest("signature r", 48),
        sig_s=_digest("signature s", 48),
    )


def demo_report() -> bytes:
    return build_report(demo_report_fields())


# ------------------------------------------------------------------------------ stand-in ctr


FAKE_CTR = r'''#!/usr/bin/env python3
"""A stand-in for ctr: prints like the real one, runs the guest script, fails or hangs (FAKE_CTR_MODE)."""
import os, subprocess, sys, time
mode = os.environ.get("FAKE_CTR_MODE", "exec")
args = sys.argv[1:]
with open(os.environ["FAKE_CTR_CALLS"], "a") as calls:
    calls.write(repr(args) + "\n")
if args[:2] == ["image", "pull"]:
    if mode == "pull-fail":
        print("ctr: failed to resolve reference \"%s\": failed to do request: dial tcp: lookup registry-1.docker.io: no such host" % args[2], file=sys.stderr)
        sys.exit(1)
    print("%s: resolved       |++++++++++++++++++++++++++++++++++++++|" % args[2])
    print("elapsed: 0.1 s                                   total:  2.1 MiB (2.1 MiB/s)")
    print("unpacking linux/amd64 sha256:0000...")
    print("done: 12.3ms")
    sys.exit(0)
if args[:1] == ["run"]:
    rest = args[1:]
    image, name, cmd = None, None, []
    i = 0
    while i < len(rest):
        if rest[i] == "--runtime":
            i += 2
            continue
        if rest[i].startswith("--"):
            i += 1
            continue
        image, name, cmd = rest[i], rest[i + 1], rest[i + 2:]
        break
    if mode == "exec":
        # Like a container: run the command it was given, with the guest's dmesg stand-in first on PATH.
        env = dict(os.environ, PATH=os.environ["FAKE_GUEST_BIN"] + ":" + os.environ.get("PATH", ""))
        sys.exit(subprocess.call(cmd, env=env))
    if mode == "canned":
        sys.stdout.write(open(os.environ["FAKE_CTR_OUTPUT"]).read())
        sys.exit(0)
    if mode == "fail":
        print("ctr: failed to create shim task: failed to launch qemu: exit status 1, error messages from qemu log: "
              "qemu-system-x86_64: sev_kvm_init: failed to initialize ret=-22 fw_error=0 ''", file=sys.stderr)
        sys.exit(1)
    if mode == "hang":
        print("starting the VM...", flush=True)
        child = subprocess.Popen(["sleep", "300"])
        with open(os.environ["FAKE_CTR_PIDS"], "a") as f:
            f.write("%d\n%d\n" % (os.getpid(), child.pid))
        time.sleep(300)
        sys.exit(0)
if args[:1] in (["task"], ["container"]):
    sys.exit(0)
print("ctr: unknown command %r" % args, file=sys.stderr)
sys.exit(2)
'''

FAKE_SUDO = r'''#!/bin/sh
# A stand-in for sudo: -n works when FAKE_SUDO_NOPASSWD=1; -S reads the password from stdin.
log="${FAKE_SUDO_LOG:-/dev/null}"
nopass=0; readpw=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) nopass=1; shift ;;
    -S) readpw=1; shift ;;
    -p) shift 2 ;;
    -k|-E) shift ;;
    *) break ;;
  esac
done
if [ "$readpw" = 1 ]; then
  IFS= read -r pw
  if [ "$pw" != "${FAKE_SUDO_PASSWORD:-secret}" ]; then echo "sudo: incorrect password" >&2; exit 1; fi
  echo "sudo-with-password $*" >> "$log"
elif [ "$nopass" = 1 ] && [ "${FAKE_SUDO_NOPASSWD:-0}" != 1 ]; then
  echo "sudo: a password is required" >&2; exit 1
else
  echo "sudo $*" >> "$log"
fi
exec "$@"
'''


@dataclass
class FakeCtr:
    bin_dir: Path
    calls: Path
    pids: Path
    guest_bin: Path
    env: dict[str, str]

    def call_list(self) -> list[list[str]]:
        import ast

        if not self.calls.exists():
            return []
        return [ast.literal_eval(line) for line in self.calls.read_text().splitlines() if line]

    def recorded_pids(self) -> list[int]:
        if not self.pids.exists():
            return []
        return [int(p) for p in self.pids.read_text().split()]


def install_fake_ctr(tmp_path: Path, mode: str = "exec", dmesg_text: str | None = None,
                     output: Path | None = None, sudo_password: bool = False) -> FakeCtr:
    """Put a stand-in ``ctr`` and ``sudo`` first on a PATH; returns the env to use.

    The stand-in sudo runs the command without a password (as on a host with passwordless sudo), so
    the tests behave the same as root and as a user; ``sudo_password`` makes it ask for one instead."""
    import sys

    bin_dir = tmp_path / "fakebin"
    guest_bin = tmp_path / "guestbin"
    bin_dir.mkdir(exist_ok=True)
    guest_bin.mkdir(exist_ok=True)
    ctr = bin_dir / "ctr"
    ctr.write_text(FAKE_CTR.replace("#!/usr/bin/env python3", f"#!{sys.executable}", 1))
    ctr.chmod(0o755)
    write_script(bin_dir / "sudo", FAKE_SUDO.split("\n", 1)[1])
    dmesg_file = tmp_path / "guest-dmesg.txt"
    dmesg_file.write_text(dmesg_text or "")
    write_script(guest_bin / "dmesg", f"cat '{dmesg_file}'\n")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_CTR_MODE": mode,
        "FAKE_CTR_CALLS": str(tmp_path / "ctr-calls.txt"),
        "FAKE_CTR_PIDS": str(tmp_path / "ctr-pids.txt"),
        "FAKE_GUEST_BIN": str(guest_bin),
        "FAKE_SUDO_NOPASSWD": "0" if sudo_password else "1",
    }
    if output is not None:
        env["FAKE_CTR_OUTPUT"] = str(output)
    return FakeCtr(bin_dir, tmp_path / "ctr-calls.txt", tmp_path / "ctr-pids.txt", guest_bin, env)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
