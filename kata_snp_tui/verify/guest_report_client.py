#!/usr/bin/env python3
"""Ask the SEV-SNP firmware for an attestation report from inside a guest, with the standard library only.

Standalone on purpose: the verify run pipes this file into ``python3 -`` inside the container, so it
imports nothing from kata_snp_tui and runs on any Python 3 (3.6 and later) with ``ctypes`` and ``fcntl``.

    python3 - [--report-data HEX] [--vmpl N] [--device /dev/sev-guest] [--response] < guest_report_client.py

It opens ``/dev/sev-guest`` read-only, issues ``SNP_GET_REPORT`` (``_IOWR('S', 0, 32)`` = 0xC0205300) with
``struct snp_guest_request_ioctl`` {msg_version u8 = 1, req_data u64, resp_data u64, exitinfo2 u64}
pointing at ``struct snp_report_req`` {user_data[64], vmpl u32, rsvd[28]} (96 bytes) and a 4000-byte
response buffer (``status`` u32, ``report_size`` u32, 24 reserved bytes, then the report); layouts from
include/uapi/linux/sev-guest.h (reference/sev-snp-host-and-guest.md section 4.1).

The report (1184 bytes; with ``--response`` the whole 4000-byte response) is printed as hex between
``-----BEGIN SNP ATTESTATION REPORT-----`` and ``-----END SNP ATTESTATION REPORT-----`` so the host can
read it from the container's output. Exit status: 0 report printed, 1 the request failed, 2 bad arguments.
"""

import argparse
import ctypes
import fcntl
import os
import struct
import sys

BEGIN_MARKER = "-----BEGIN SNP ATTESTATION REPORT-----"
END_MARKER = "-----END SNP ATTESTATION REPORT-----"
USER_DATA_SIZE = 64
REQUEST_SIZE = 96
RESPONSE_SIZE = 4000
RESPONSE_HEADER_SIZE = 0x20
IOCTL_ARG_SIZE = 32


def _iowr(kind, nr, size):
    return (3 << 30) | (size << 16) | (ord(kind) << 8) | nr


SNP_GET_REPORT = _iowr("S", 0, IOCTL_ARG_SIZE)  # 0xC0205300
VMM_ERRORS = {1: "invalid length", 2: "busy"}
STATUS_NAMES = {0x16: "invalid parameters (requested VMPL below the guest's?)", 0x27: "invalid key"}


class ReportRequestError(Exception):
    pass


def request_bytes(user_data, vmpl):
    """``struct snp_report_req``: 64 bytes of user data, the VMPL (u32) and 28 reserved bytes."""
    if len(user_data) != USER_DATA_SIZE:
        raise ValueError("report data must be exactly 64 bytes, got %d" % len(user_data))
    if not 0 <= vmpl <= 3:
        raise ValueError("vmpl must be 0..3, got %d" % vmpl)
    return user_data + struct.pack("<I", vmpl) + bytes(28)


def ioctl_arg(req_addr, resp_addr):
    """``struct snp_guest_request_ioctl``: msg_version 1, pointers, exitinfo2 (0xff preset by the driver)."""
    return struct.pack("<B7xQQQ", 1, req_addr, resp_addr, 0)


def report_from_response(resp, whole=False):
    status, size = struct.unpack_from("<II", resp, 0)
    if status:
        raise ReportRequestError(
            "report status 0x%x (%s)" % (status, STATUS_NAMES.get(status, "firmware error"))
        )
    if whole:
        return bytes(resp)
    if not 0 < size <= RESPONSE_SIZE - RESPONSE_HEADER_SIZE:
        raise ReportRequestError("implausible report_size %d in the response" % size)
    return bytes(resp[RESPONSE_HEADER_SIZE:RESPONSE_HEADER_SIZE + size])


def get_report(user_data, vmpl=0, device="/dev/sev-guest", whole=False):
    req = ctypes.create_string_buffer(request_bytes(user_data, vmpl), REQUEST_SIZE)
    resp = ctypes.create_string_buffer(RESPONSE_SIZE)
    arg = bytearray(ioctl_arg(ctypes.addressof(req), ctypes.addressof(resp)))
    fd = os.open(device, os.O_RDONLY)
    try:
        try:
            fcntl.ioctl(fd, SNP_GET_REPORT, arg, True)
        except OSError as exc:
            fw_error, vmm_error = struct.unpack_from("<II", bytes(arg), 24)
            raise ReportRequestError(
                "SNP_GET_REPORT failed: %s (fw_error=0x%x, vmm_error=0x%x%s)"
                % (
                    os.strerror(exc.errno or 0),
                    fw_error,
                    vmm_error,
                    ", " + VMM_ERRORS[vmm_error] if vmm_error in VMM_ERRORS else "",
                )
            )
    finally:
        os.close(fd)
    return report_from_response(resp.raw, whole)


def print_block(data, out):
    text = data.hex()
    out.write(BEGIN_MARKER + "\n")
    for i in range(0, len(text), 64):
        out.write(text[i:i + 64] + "\n")
    out.write(END_MARKER + "\n")
    out.flush()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="guest_report_client", description="Get an SNP attestation report.")
    p.add_argument("--report-data", default=None, help="64 bytes as 128 hex digits (default: random)")
    p.add_argument("--vmpl", type=int, default=0, help="requested VMPL, 0..3 (default 0)")
    p.add_argument("--device", default="/dev/sev-guest")
    p.add_argument("--response", action="store_true", help="print the whole 4000-byte ioctl response")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.report_data is None:
        user_data = os.urandom(USER_DATA_SIZE)
    else:
        try:
            user_data = bytes.fromhex(args.report_data)
        except ValueError:
            sys.stderr.write("guest_report_client: --report-data is not hex\n")
            return 2
        if len(user_data) != USER_DATA_SIZE:
            sys.stderr.write("guest_report_client: --report-data must be 64 bytes (128 hex digits)\n")
            return 2
    print("report_data: " + user_data.hex())
    try:
        data = get_report(user_data, args.vmpl, args.device, args.response)
    except (OSError, ReportRequestError, ValueError) as exc:
        sys.stdout.flush()
        sys.stderr.write("guest_report_client: %s\n" % exc)
        sys.stderr.flush()
        return 1
    print_block(data, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
