"""Read the SEV platform status from /dev/sev with the SEV_ISSUE_CMD ioctl, parsed with struct.

Layouts from include/uapi/linux/psp-sev.h (see reference/sev-snp-host-and-guest.md section 3):
``struct sev_issue_cmd`` is 16 packed bytes (cmd u32, data u64 pointer, error u32);
``sev_user_data_status`` is 12 bytes; ``sev_user_data_snp_status`` is 32 bytes.
"""

from __future__ import annotations

import ctypes
import os
import struct
from typing import Any

SEV_PLATFORM_STATUS = 1
SNP_PLATFORM_STATUS = 9
SEV_STATE_NAMES = {0: "UNINIT", 1: "INIT", 2: "WORKING"}


def _iowr(kind: str, nr: int, size: int) -> int:
    return (3 << 30) | (size << 16) | (ord(kind) << 8) | nr


SEV_ISSUE_CMD = _iowr("S", 0, 16)  # 0xC0105300


def parse_sev_status(raw: bytes) -> dict[str, Any]:
    """Decode the 12-byte ``sev_user_data_status``."""
    if len(raw) < 12:
        raise ValueError(f"SEV platform status needs 12 bytes, got {len(raw)}")
    major, minor, state, flags, build, guests = struct.unpack_from("<BBBIBI", raw, 0)
    return {
        "api_major": major,
        "api_minor": minor,
        "build": build,
        "state": SEV_STATE_NAMES.get(state, str(state)),
        "flags": flags,
        "owner": bool(flags & 0x1),
        "es_initialized": bool(flags & 0x100),
        "guest_count": guests,
    }


def parse_snp_status(raw: bytes) -> dict[str, Any]:
    """Decode the 32-byte ``sev_user_data_snp_status``."""
    if len(raw) < 32:
        raise ValueError(f"SNP platform status needs 32 bytes, got {len(raw)}")
    major, minor, state, rmp, build_id, feat, guests, cur_tcb, rep_tcb = struct.unpack_from("<BBBBIIIQQ", raw, 0)
    return {
        "snp_api_major": major,
        "snp_api_minor": minor,
        "snp_build": build_id,
        "snp_state": "INIT" if state == 1 else "UNINIT",
        "snp_initialized": state == 1,
        "rmp_initialized": bool(rmp & 0x1),
        "alias_check_complete": bool(rmp & 0x2),
        "snp_feature_flags": feat,
        "snp_guest_count": guests,
        "current_tcb": f"{cur_tcb:016x}",
        "reported_tcb": f"{rep_tcb:016x}",
    }


def _issue(fd: int, cmd: int, out_len: int) -> bytes:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
    out = ctypes.create_string_buffer(out_len)
    arg = ctypes.create_string_buffer(struct.pack("<IQI", cmd, ctypes.addressof(out), 0), 16)
    if libc.ioctl(fd, SEV_ISSUE_CMD, ctypes.addressof(arg)) != 0:
        err = ctypes.get_errno()
        psp = struct.unpack_from("<I", arg.raw, 12)[0]
        raise OSError(err, f"{os.strerror(err)} (psp error 0x{psp:x})")
    return out.raw


def read_platform_status(device: str = "/dev/sev") -> dict[str, Any] | None:
    """Ask the PSP for its status; None when /dev/sev is absent or cannot be opened (not root)."""
    try:
        fd = os.open(device, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            status = parse_sev_status(_issue(fd, SEV_PLATFORM_STATUS, 12))
        except OSError as exc:
            return {"error": f"SEV_PLATFORM_STATUS failed: {exc}"}
        try:
            status.update(parse_snp_status(_issue(fd, SNP_PLATFORM_STATUS, 32)))
        except OSError as exc:
            # EINVAL on 6.11-era kernels means "SNP not initialised", not a bad request.
            status["snp_status_error"] = str(exc)
        status["source"] = "ioctl"
        return status
    finally:
        os.close(fd)
