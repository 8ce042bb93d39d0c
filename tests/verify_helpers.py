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
