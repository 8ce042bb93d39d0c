"""The attestation report decoder on reports built byte by byte with known field values, in every encoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kata_snp_tui.cli import main
from kata_snp_tui.verify.report import (
    ReportError,
    decode_any,
    decode_report,
    describe,
    extract_report_block,
    report_from_response,
)
from verify_helpers import ReportFields, as_base64, as_hex, build_report, build_response


def test_every_field_at_its_offset() -> None:
    f = ReportFields()
    r = decode_report(build_report(f))
    assert r.version == 2
    assert r.guest_svn == 7
    assert r.policy.raw == 0x30000
    assert r.policy.abi_major == 0 and r.policy.abi_minor == 0
    assert r.policy.flags["smt"] is True
    assert r.policy.flags["reserved_must_be_one"] is True
    assert r.policy.flags["debug"] is False
    assert r.policy.set_flags == ("smt",)
    assert r.family_id == f.family_id and r.image_id == f.image_id
    assert r.vmpl == 1
    assert r.signature_algo == 1 and "P-384" in r.signature_algo_name
    assert (r.current_tcb.boot_loader, r.current_tcb.tee, r.current_tcb.snp, r.current_tcb.microcode) == (3, 0, 8, 206)
    assert r.platform_info.flags["tsme_en"] is True and r.platform_info.flags["smt_en"] is False
    assert r.signing_key == "VCEK" and not r.author_key_en
    assert r.report_data == f.report_data
    assert r.measurement == f.measurement
    assert r.host_data == f.host_data
    assert r.id_key_digest == f.id_key_digest
    assert r.author_key_digest == f.author_key_digest
    assert r.report_id == f.report_id
    assert r.report_id_ma == b"\xff" * 32
    assert (r.reported_tcb.microcode, r.reported_tcb.snp, r.reported_tcb.boot_loader) == (115, 8, 3)
    assert r.cpuid is None  # version 2 has no CPUID fields
    assert r.chip_id == f.chip_id and not r.chip_id_masked
    assert r.committed_tcb.microcode == 115
    assert str(r.current_firmware) == "1.52.4"
    assert str(r.committed_firmware) == "1.51.3"
    assert (r.launch_tcb.boot_loader, r.launch_tcb.snp, r.launch_tcb.microcode) == (2, 7, 110)
    assert r.signature_r[:48] == f.sig_r and r.signature_r[48:] == bytes(24)
    assert r.signature_s[:48] == f.sig_s
    assert len(r.signature) == 512
    assert not r.is_demo
    assert r.report_data_matches(f.report_data)
    assert not r.report_data_matches(b"other")


def test_policy_and_platform_flags_each_bit() -> None:
    policy = (1 << 19) | (1 << 20) | (1 << 22) | (1 << 25) | (3 << 8) | 2
    r = decode_report(build_report(ReportFields(policy=policy, platform_info=0b10100101, key_info=0b101)))
    assert r.policy.abi_major == 3 and r.policy.abi_minor == 2
    assert r.policy.set_flags == ("debug", "single_socket", "mem_aes_256_xts", "page_swap_disable")
    on = {k for k, v in r.platform_info.flags.items() if v}
    assert on == {"smt_en", "ecc_en", "alias_check_complete", "tio_en"}
    assert r.author_key_en and r.signing_key == "VLEK"


def test_version_3_cpuid_and_turin_tcb() -> None:
    milan = decode_report(build_report(ReportFields(version=3, cpuid=(0x19, 0x01, 0x01))))
    assert milan.cpuid == (0x19, 1, 1)
    assert milan.reported_tcb.fmc is None and milan.reported_tcb.snp == 8
    turin_tcb = bytes([9, 4, 1, 24, 0, 0, 0, 72])  # fmc 9, boot loader 4, tee 1, snp 24, microcode 72
    turin = decode_report(build_report(ReportFields(version=5, cpuid=(0x1A, 0x02, 0x01), reported_tcb=turin_tcb)))
    t = turin.reported_tcb
    assert (t.fmc, t.boot_loader, t.tee, t.snp, t.microcode) == (9, 4, 1, 24, 72)
    assert turin.to_json()["reported_tcb"]["fmc"] == 9


def test_masked_chip_id() -> None:
    r = decode_report(build_report(ReportFields(chip_id=bytes(64))))
    assert r.chip_id_masked
    assert dict(describe(r))["chip_id"].endswith("(masked)")


@pytest.mark.parametrize("encoding", ["raw", "hex", "hex-spaced", "base64"])
@pytest.mark.parametrize("container", ["report", "response"])
def test_all_four_encodings(encoding: str, container: str) -> None:
    f = ReportFields(guest_svn=42)
    raw = build_report(f)
    data = raw if container == "report" else build_response(raw)
    blob = {
        "raw": data,
        "hex": as_hex(data),
        "hex-spaced": as_hex(data, spaced=True),
        "base64": as_base64(data),
    }[encoding]
    decoded = decode_any(blob)
    assert decoded.container == container
    assert decoded.encoding == encoding.split("-")[0]
    assert decoded.report.guest_svn == 42
    assert decoded.report.raw == raw


def test_marked_block_with_od_output() -> None:
    raw = build_report()
    od_rows = "\n".join(" " + " ".join(f"{b:02x}" for b in raw[i:i + 16]) for i in range(0, len(raw), 16))
    text = f"noise\n-----BEGIN SNP ATTESTATION REPORT-----\n{od_rows}\n-----END SNP ATTESTATION REPORT-----\nmore\n"
    block = extract_report_block(text)
    assert block is not None
    assert decode_any(block.encode()).report.raw == raw
    assert decode_any(text.encode()).report.raw == raw  # markers are honoured on the whole text too
    with pytest.raises(ReportError, match="no END"):
        decode_any(b"-----BEGIN SNP ATTESTATION REPORT-----\n00 11\n")


@pytest.mark.parametrize("size", [0, 1, 1183, 1185, 2000, 3999, 4001, 8192])
def test_wrong_sizes_are_refused(size: int) -> None:
    data = (build_report() * 8)[:size]
    with pytest.raises(ReportError):
        decode_any(data)
    if size:
        with pytest.raises(ReportError, match=str(size)):
            decode_any(as_hex(data))


def test_response_errors() -> None:
    raw = build_report()
    with pytest.raises(ReportError, match="status 0x16"):
        report_from_response(build_response(raw, status=0x16))
    with pytest.raises(ReportError, match="report_size 1000"):
        decode_any(build_response(raw, size=1000))
    assert report_from_response(build_response(raw)) == raw


def test_garbage_text_is_refused() -> None:
    with pytest.raises(ReportError, match="neither"):
        decode_any(b"this is not a report at all!\n")
    with pytest.raises(ReportError, match="odd"):
        decode_any(b"abc")
    with pytest.raises(ReportError, match="empty"):
        decode_any(b"  \n")


def test_json_keys_and_hex() -> None:
    f = ReportFields()
    data = decode_report(build_report(f)).to_json()
    for key in (
        "version", "guest_svn", "policy", "vmpl", "signature_algo", "platform_info", "report_data", "measurement",
        "host_data", "id_key_digest", "author_key_digest", "report_id", "reported_tcb", "chip_id", "committed_tcb",
        "current_firmware", "committed_firmware", "launch_tcb", "signature",
    ):
        assert key in data, key
    assert data["measurement"] == f.measurement.hex()
    assert data["chip_id"] == f.chip_id.hex()
    assert data["report_data"] == f.report_data.hex()
    assert data["signature"] == (f.sig_r + bytes(24) + f.sig_s + bytes(24)).hex() + "00" * (512 - 144)
    assert data["policy"]["raw"] == "0000000000030000" and data["policy"]["smt"] is True
    assert data["current_firmware"] == "1.52.4"
    assert data["reported_tcb"] == {"raw": bytes([3, 0, 0, 0, 0, 0, 8, 115])[::-1].hex(), "boot_loader": 3,
                                    "tee": 0, "snp": 8, "microcode": 115}
    json.dumps(data)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1184, max_size=1184), st.integers(1, 2**32 - 1))
def test_any_1184_bytes_decode_and_round_trip(blob: bytes, version: int) -> None:
    blob = version.to_bytes(4, "little") + blob[4:]  # version 0 is refused (test_version_0_and_all_zero_are_refused)
    r = decode_report(blob)
    assert r.raw == blob
    assert bytes.fromhex(r.to_json()["measurement"]) == blob[0x90:0xC0]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=5000))
def test_decode_any_never_crashes(blob: bytes) -> None:
    try:
        decode_any(blob)
    except ReportError:
        pass


# ------------------------------------------------------------------------------------------ CLI


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


@pytest.mark.parametrize("form", ["raw", "hex", "base64", "response"])
def test_cli_report_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str) -> None:
    f = ReportFields()
    raw = build_report(f)
    data = {"raw": raw, "hex": as_hex(raw), "base64": as_base64(raw), "response": build_response(raw)}[form]
    assert main(["report", _write(tmp_path, "r.bin", data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["measurement"] == f.measurement.hex()
    assert out["committed_firmware"] == "1.51.3"
    assert out["input"]["container"] == ("response" if form == "response" else "report")


def test_cli_report_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = ReportFields()
    assert main(["report", _write(tmp_path, "r.bin", build_report(f))]) == 0
    out = capsys.readouterr().out
    assert "attestation report (raw), 1184-byte report" in out
    assert f.measurement.hex() in out
    assert "current_firmware" in out and "1.52.4" in out
    assert "policy" in out and "smt" in out


@pytest.mark.parametrize("size", [100, 1183, 1185, 4001])
def test_cli_wrong_size_exit_2_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], size: int) -> None:
    assert main(["report", _write(tmp_path, "bad.bin", (build_report() * 4)[:size])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(size) in err and "1184" in err
    assert "Traceback" not in err


def test_cli_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nope.bin")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "directory" in capsys.readouterr().err


def test_cli_huge_file_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", _write(tmp_path, "big.txt", b"a" * 200_000)]) == 2
    assert "larger than" in capsys.readouterr().err


def test_version_0_and_all_zero_are_refused() -> None:
    with pytest.raises(ReportError, match="all 1184 bytes are zero"):
        decode_report(bytes(1184))
    with pytest.raises(ReportError, match="version 0"):
        decode_report(build_report(ReportFields(version=0)))
    with pytest.raises(ReportError, match="all 1184 bytes are zero"):
        decode_any(as_hex(bytes(1184)))
