"""The script run inside the container and the stdlib report client, executed for real with /bin/sh and
python3 against stand-in tools (dmesg, snpguest) and a stand-in device path."""

from __future__ import annotations

import ctypes
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHARED
from kata_snp_tui.verify import guest_report_client as client
from kata_snp_tui.verify.guest_script import GuestScriptOptions, build_script, client_source, split_output
from kata_snp_tui.verify.result import FAILED, NO_DEVICE, NO_TOOL, OBTAINED, analyse_run_output
from verify_helpers import ReportFields, build_report, build_response, write_script

SNP_DMESG = (SHARED / "samples" / "guest-dmesg-snp-active-and-snpguest-report.txt").read_text().splitlines()[6:10]
REPORT_DATA = bytes(range(64))


def _guest(tmp_path: Path, tools: dict[str, str], sysfs: bool = True, with_python: bool = False) -> Path:
    """A fake guest: a bin dir holding only the tools named (and the basics), a sysfs file, a device path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("cat", "ls", "od", "mknod"):
        os.symlink(shutil.which(tool), bin_dir / tool)  # type: ignore[arg-type]
    if with_python:
        os.symlink(sys.executable, bin_dir / "python3")
    dmesg = tmp_path / "dmesg.txt"
    dmesg.write_text("\n".join(SNP_DMESG) + "\n")
    write_script(bin_dir / "dmesg", f"cat {dmesg}\n")
    for name, body in tools.items():
        write_script(bin_dir / name, body)
    if sysfs:
        (tmp_path / "sysfs-dev").write_text("243:0\n")
    (tmp_path / "sev-guest").write_bytes(b"")  # stands for the node: mknod is skipped when it exists
    return bin_dir


def _run(tmp_path: Path, bin_dir: Path, **opts: object) -> subprocess.CompletedProcess[str]:
    options = GuestScriptOptions(
        report_data=REPORT_DATA,
        sysfs_dev=str(tmp_path / "sysfs-dev"),
        device=str(tmp_path / "sev-guest"),
        **opts,  # type: ignore[arg-type]
    )
    return subprocess.run(
        ["/bin/sh", "-c", build_script(options)],
        env={"PATH": str(bin_dir), "LC_ALL": "C"},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )


def test_snpguest_path_returns_the_report(tmp_path: Path) -> None:
    # A stand-in snpguest: checks it was given the request file, writes a report carrying its 64 bytes.
    template = build_report(ReportFields(report_data=bytes(64)))
    (tmp_path / "template.bin").write_bytes(template)
    bin_dir = _guest(tmp_path, {
        "snpguest": f"""
            [ "$1" = report ] || exit 9
            {sys.executable} -c '
import sys
t = bytearray(open("{tmp_path}/template.bin", "rb").read())
req = open(sys.argv[2], "rb").read()
assert len(req) == 64, len(req)
t[0x50:0x90] = req
open(sys.argv[1], "wb").write(t)
' "$2" "$3"
        """,
    })
    proc = _run(tmp_path, bin_dir)
    assert proc.returncode == 0, proc.stderr
    out = split_output(proc.stdout)
    assert out.structured and out.completed and out.dmesg_exit == 0
    assert out.method == "snpguest"
    assert "sev-guest device number: 243:0" in out.device
    guest, att = analyse_run_output(proc.stdout, REPORT_DATA)
    assert guest.verdict == "sev-snp"
    assert att.status == OBTAINED and att.method == "snpguest"
    assert att.report is not None and att.report.report_data == REPORT_DATA
    assert att.report_data_matches is True


def test_python_path_with_a_device_that_refuses_the_ioctl(tmp_path: Path) -> None:
    """The real client runs (piped into python3 -); a regular file refuses SNP_GET_REPORT with ENOTTY."""
    bin_dir = _guest(tmp_path, {}, with_python=True)
    proc = _run(tmp_path, bin_dir)
    out = split_output(proc.stdout)
    assert out.method == "python3"
    assert f"report_data: {REPORT_DATA.hex()}" in out.attestation
    assert "SNP_GET_REPORT failed" in out.attestation and "fw_error=0x" in out.attestation
    _, att = analyse_run_output(proc.stdout, REPORT_DATA)
    assert att.status == FAILED and att.method == "python3"
    assert any("SNP_GET_REPORT failed" in line for line in att.error_lines)


def test_busybox_like_image_has_neither_tool(tmp_path: Path) -> None:
    bin_dir = _guest(tmp_path, {})
    proc = _run(tmp_path, bin_dir)
    assert proc.returncode == 0
    guest, att = analyse_run_output(proc.stdout, REPORT_DATA)
    assert guest.verdict == "sev-snp"
    assert att.status == NO_TOOL and att.method == "none"
    assert "neither snpguest nor python3" in att.message
    assert att.report is None


def test_no_sev_guest_driver(tmp_path: Path) -> None:
    bin_dir = _guest(tmp_path, {}, sysfs=False, with_python=True)
    (tmp_path / "sev-guest").unlink()
    proc = _run(tmp_path, bin_dir)
    _, att = analyse_run_output(proc.stdout, REPORT_DATA)
    assert att.status == NO_DEVICE
    assert "driver is not loaded" in att.message


def test_dmesg_only(tmp_path: Path) -> None:
    bin_dir = _guest(tmp_path, {})
    proc = _run(tmp_path, bin_dir, attest=False)
    out = split_output(proc.stdout)
    assert out.completed and out.method is None and "SEV-SNP" in out.dmesg
    assert "python3" not in build_script(GuestScriptOptions(REPORT_DATA, attest=False))


def test_script_refuses_bad_options() -> None:
    with pytest.raises(ValueError):
        build_script(GuestScriptOptions(b"short"))
    with pytest.raises(ValueError):
        build_script(GuestScriptOptions(REPORT_DATA, vmpl=4))
    with pytest.raises(ValueError):
        build_script(GuestScriptOptions(REPORT_DATA, device="/dev/x; rm -rf /"))


def test_unstructured_text_is_all_dmesg() -> None:
    out = split_output("\n".join(SNP_DMESG))
    assert not out.structured and out.dmesg.count("SEV") >= 3


# ------------------------------------------------------------------------------ the stdlib client


def test_client_layouts() -> None:
    assert client.SNP_GET_REPORT == 0xC0205300
    req = client.request_bytes(REPORT_DATA, 2)
    assert len(req) == 96 and req[:64] == REPORT_DATA and struct.unpack_from("<I", req, 64)[0] == 2
    arg = client.ioctl_arg(0x1111, 0x2222)
    assert len(arg) == 32 and arg[0] == 1 and struct.unpack_from("<QQQ", arg, 8) == (0x1111, 0x2222, 0)
    with pytest.raises(ValueError):
        client.request_bytes(b"x", 0)
    with pytest.raises(ValueError):
        client.request_bytes(REPORT_DATA, 4)


def test_client_get_report_follows_the_pointers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in for the kernel's ioctl: read the request through req_data, write a response at resp_data."""
    report = build_report(ReportFields(report_data=REPORT_DATA, vmpl=0))
    seen: dict[str, object] = {}

    def fake_ioctl(fd: int, request: int, arg: bytearray, mutate: bool) -> int:
        seen["request"] = request
        msg_version, req_addr, resp_addr = arg[0], *struct.unpack_from("<QQ", arg, 8)
        seen["msg_version"] = msg_version
        seen["req"] = ctypes.string_at(req_addr, 96)
        resp = build_response(report)
        ctypes.memmove(resp_addr, resp, len(resp))
        return 0

    monkeypatch.setattr(client.fcntl, "ioctl", fake_ioctl)
    dev = tmp_path / "dev"
    dev.write_bytes(b"")
    got = client.get_report(REPORT_DATA, 0, str(dev))
    assert got == report
    assert seen["request"] == 0xC0205300 and seen["msg_version"] == 1
    assert seen["req"] == REPORT_DATA + bytes(32)
    assert client.get_report(REPORT_DATA, 0, str(dev), whole=True) == build_response(report)


def test_client_firmware_status_and_errno(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def bad_status(fd: int, request: int, arg: bytearray, mutate: bool) -> int:
        ctypes.memmove(struct.unpack_from("<Q", arg, 16)[0], build_response(bytes(1184), status=0x16), 4000)
        return 0

    dev = tmp_path / "dev"
    dev.write_bytes(b"")
    monkeypatch.setattr(client.fcntl, "ioctl", bad_status)
    with pytest.raises(client.ReportRequestError, match="0x16"):
        client.get_report(REPORT_DATA, 0, str(dev))

    def eio(fd: int, request: int, arg: bytearray, mutate: bool) -> int:
        struct.pack_into("<II", arg, 24, 0x7, 0x2)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(client.fcntl, "ioctl", eio)
    with pytest.raises(client.ReportRequestError, match=r"fw_error=0x7, vmm_error=0x2, busy"):
        client.get_report(REPORT_DATA, 0, str(dev))


def test_client_cli_piped_into_python(tmp_path: Path) -> None:
    src = client_source()
    bad = subprocess.run([sys.executable, "-", "--report-data", "zz"], input=src, capture_output=True, text=True)
    assert bad.returncode == 2 and "not hex" in bad.stderr
    short = subprocess.run([sys.executable, "-", "--report-data", "00" * 10], input=src, capture_output=True, text=True)
    assert short.returncode == 2 and "64 bytes" in short.stderr
    missing = subprocess.run([sys.executable, "-", "--device", str(tmp_path / "none")], input=src,
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "No such file" in missing.stderr
    assert missing.stdout.startswith("report_data: ")
