"""Decode an AMD SEV-SNP attestation report (AMD SNP ABI "ATTESTATION_REPORT", 1184 bytes, little-endian).

Layout: reference/sev-snp-host-and-guest.md section 4.2 (cross-checked there with virtee/sev). Accepted
inputs, as bytes or as text:

- the raw 1184-byte report (what ``snpguest report`` or configfs-tsm ``outblob`` write);
- the 4000-byte ``SNP_GET_REPORT`` response (``status`` u32, ``report_size`` u32, 24 reserved bytes,
  then the report; reference section 4.1);
- either of them as hex (whitespace, ``0x`` and ``:`` allowed, as ``od``/``xxd -p``/snpguest print) or base64;
- the block the guest script prints between ``-----BEGIN SNP ATTESTATION REPORT-----`` and ``-----END ...``.

Anything else is refused with :class:`ReportError` (a one-line message; the CLI exits 2).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from typing import Any

REPORT_SIZE = 0x4A0  # 1184
RESPONSE_SIZE = 4000
RESPONSE_HEADER_SIZE = 0x20
SIGNED_SIZE = 0x2A0
BEGIN_MARKER = "-----BEGIN SNP ATTESTATION REPORT-----"
END_MARKER = "-----END SNP ATTESTATION REPORT-----"
#: The demo report's report_data starts with this, so it is never mistaken for a real one.
DEMO_REPORT_DATA_PREFIX = b"KATA-SNP-TUI DEMO DATA"

#: ``snp_msg_report_resp_hdr.status`` values (reference 4.1).
RESPONSE_STATUS = {0x16: "invalid parameters (for example a VMPL below the guest's)", 0x27: "invalid key"}
SIGNATURE_ALGOS = {0: "invalid", 1: "ECDSA P-384 with SHA-384"}
SIGNING_KEYS = {0: "VCEK", 1: "VLEK", 7: "none"}

#: Guest policy bits above the ABI version (reference 4.2).
POLICY_BITS: tuple[tuple[int, str], ...] = (
    (16, "smt"),
    (17, "reserved_must_be_one"),
    (18, "migrate_ma"),
    (19, "debug"),
    (20, "single_socket"),
    (21, "cxl_allow"),
    (22, "mem_aes_256_xts"),
    (23, "rapl_dis"),
    (24, "ciphertext_hiding"),
    (25, "page_swap_disable"),
)
PLATFORM_INFO_BITS: tuple[tuple[int, str], ...] = (
    (0, "smt_en"),
    (1, "tsme_en"),
    (2, "ecc_en"),
    (3, "rapl_dis"),
    (4, "ciphertext_hiding_en"),
    (5, "alias_check_complete"),
    (7, "tio_en"),
)
#: CPUID family of Zen 5 (Turin): its TCB carries an FMC field and a different byte order.
TURIN_FAMILY = 0x1A


class ReportError(ValueError):
    """The input is not an attestation report; ``str()`` is one line for the user."""


@dataclass(frozen=True)
class TcbVersion:
    """A TCB_VERSION (u64). Milan/Genoa: b0 boot loader, b1 TEE, b6 SNP, b7 microcode;
    Turin: b0 FMC, b1 boot loader, b2 TEE, b3 SNP, b7 microcode."""

    raw: int
    boot_loader: int
    tee: int
    snp: int
    microcode: int
    fmc: int | None = None

    @classmethod
    def decode(cls, raw: int, turin: bool = False) -> TcbVersion:
        b = raw.to_bytes(8, "little")
        if turin:
            return cls(raw, boot_loader=b[1], tee=b[2], snp=b[3], microcode=b[7], fmc=b[0])
        return cls(raw, boot_loader=b[0], tee=b[1], snp=b[6], microcode=b[7])

    def __str__(self) -> str:
        fmc = f" FMC {self.fmc}" if self.fmc is not None else ""
        return f"boot loader {self.boot_loader}, TEE {self.tee}, SNP {self.snp}, microcode {self.microcode}{fmc}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "raw": f"{self.raw:016x}",
            "boot_loader": self.boot_loader,
            "tee": self.tee,
            "snp": self.snp,
            "microcode": self.microcode,
        }
        if self.fmc is not None:
            out["fmc"] = self.fmc
        return out


@dataclass(frozen=True)
class GuestPolicy:
    raw: int
    abi_major: int
    abi_minor: int
    #: Every named bit above the ABI version, True when set.
    flags: dict[str, bool]

    @classmethod
    def decode(cls, raw: int) -> GuestPolicy:
        flags = {name: bool(raw >> bit & 1) for bit, name in POLICY_BITS}
        return cls(raw, abi_major=raw >> 8 & 0xFF, abi_minor=raw & 0xFF, flags=flags)

    @property
    def set_flags(self) -> tuple[str, ...]:
        return tuple(name for name, on in self.flags.items() if on and name != "reserved_must_be_one")

    def __str__(self) -> str:
        flags = ", ".join(self.set_flags) or "no flags"
        return f"0x{self.raw:x} (ABI {self.abi_major}.{self.abi_minor}; {flags})"

    def to_json(self) -> dict[str, Any]:
        return {"raw": f"{self.raw:016x}", "abi_major": self.abi_major, "abi_minor": self.abi_minor, **self.flags}


@dataclass(frozen=True)
class PlatformInfo:
    raw: int
    flags: dict[str, bool]

    @classmethod
    def decode(cls, raw: int) -> PlatformInfo:
        return cls(raw, {name: bool(raw >> bit & 1) for bit, name in PLATFORM_INFO_BITS})

    def __str__(self) -> str:
        on = [name for name, v in self.flags.items() if v]
        return f"0x{self.raw:x} ({', '.join(on) or 'no flags'})"

    def to_json(self) -> dict[str, Any]:
        return {"raw": f"{self.raw:016x}", **self.flags}


@dataclass(frozen=True)
class FirmwareVersion:
    major: int
    minor: int
    build: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.build}"


@dataclass(frozen=True)
class AttestationReport:
    version: int
    guest_svn: int
    policy: GuestPolicy
    family_id: bytes
    image_id: bytes
    vmpl: int
    signature_algo: int
    current_tcb: TcbVersion
    platform_info: PlatformInfo
    key_info: int
    report_data: bytes
    measurement: bytes
    host_data: bytes
    id_key_digest: bytes
    author_key_digest: bytes
    report_id: bytes
    report_id_ma: bytes
    reported_tcb: TcbVersion
    #: CPUID family/model/stepping (report version 3 and later), else None.
    cpuid: tuple[int, int, int] | None
    chip_id: bytes
    committed_tcb: TcbVersion
    current_firmware: FirmwareVersion
    committed_firmware: FirmwareVersion
    launch_tcb: TcbVersion
    signature: bytes
    raw: bytes

    @property
    def signature_r(self) -> bytes:
        return self.signature[0:72]

    @property
    def signature_s(self) -> bytes:
        return self.signature[72:144]

    @property
    def signature_algo_name(self) -> str:
        return SIGNATURE_ALGOS.get(self.signature_algo, f"unknown ({self.signature_algo})")

    @property
    def signing_key(self) -> str:
        return SIGNING_KEYS.get(self.key_info >> 2 & 0x7, f"unknown ({self.key_info >> 2 & 0x7})")

    @property
    def author_key_en(self) -> bool:
        return bool(self.key_info & 1)

    @property
    def chip_id_masked(self) -> bool:
        return not any(self.chip_id)

    @property
    def is_demo(self) -> bool:
        """True for the bundled demo report (its report_data says so): never from SNP hardware."""
        return self.report_data.startswith(DEMO_REPORT_DATA_PREFIX)

    def report_data_matches(self, expected: bytes) -> bool:
        """Whether report_data holds what was asked (64 bytes; shorter input is zero-padded)."""
        return self.report_data == expected.ljust(64, b"\0")[:64]

    def to_json(self) -> dict[str, Any]:
        """Field names as keys; byte fields as lowercase hex; TCBs, policy and platform info decoded."""
        return {
            "version": self.version,
            "guest_svn": self.guest_svn,
            "policy": self.policy.to_json(),
            "family_id": self.family_id.hex(),
            "image_id": self.image_id.hex(),
            "vmpl": self.vmpl,
            "signature_algo": self.signature_algo,
            "signature_algo_name": self.signature_algo_name,
            "current_tcb": self.current_tcb.to_json(),
            "platform_info": self.platform_info.to_json(),
            "key_info": {"raw": self.key_info, "author_key_en": self.author_key_en, "signing_key": self.signing_key},
            "report_data": self.report_data.hex(),
            "measurement": self.measurement.hex(),
            "host_data": self.host_data.hex(),
            "id_key_digest": self.id_key_digest.hex(),
            "author_key_digest": self.author_key_digest.hex(),
            "report_id": self.report_id.hex(),
            "report_id_ma": self.report_id_ma.hex(),
            "reported_tcb": self.reported_tcb.to_json(),
            "cpuid": None
            if self.cpuid is None
            else {"family": self.cpuid[0], "model": self.cpuid[1], "stepping": self.cpuid[2]},
            "chip_id": self.chip_id.hex(),
            "committed_tcb": self.committed_tcb.to_json(),
            "current_firmware": str(self.current_firmware),
            "committed_firmware": str(self.committed_firmware),
            "launch_tcb": self.launch_tcb.to_json(),
            "signature": self.signature.hex(),
            "signature_r": self.signature_r.hex(),
            "signature_s": self.signature_s.hex(),
            "demo": self.is_demo,
        }


def decode_report(raw: bytes) -> AttestationReport:
    """Decode exactly 1184 bytes."""
    if len(raw) != REPORT_SIZE:
        raise ReportError(f"an SNP attestation report is {REPORT_SIZE} bytes, got {len(raw)}")
    if not any(raw):
        raise ReportError("all 1184 bytes are zero: not an attestation report (an empty buffer or file?)")
    version, guest_svn, policy = struct.unpack_from("<IIQ", raw, 0x000)
    if version == 0:
        raise ReportError("report version 0: not an attestation report (SNP firmware writes version 2 or later)")
    vmpl, sig_algo, current_tcb, platform_info, key_info = struct.unpack_from("<IIQQI", raw, 0x030)
    cpuid: tuple[int, int, int] | None = None
    if version >= 3:
        cpuid = (raw[0x188], raw[0x189], raw[0x18A])
    turin = cpuid is not None and cpuid[0] == TURIN_FAMILY
    reported_tcb, = struct.unpack_from("<Q", raw, 0x180)
    committed_tcb, = struct.unpack_from("<Q", raw, 0x1E0)
    launch_tcb, = struct.unpack_from("<Q", raw, 0x1F0)

    def tcb(value: int) -> TcbVersion:
        return TcbVersion.decode(value, turin)

    return AttestationReport(
        version=version,
        guest_svn=guest_svn,
        policy=GuestPolicy.decode(policy),
        family_id=raw[0x010:0x020],
        image_id=raw[0x020:0x030],
        vmpl=vmpl,
        signature_algo=sig_algo,
        current_tcb=tcb(current_tcb),
        platform_info=PlatformInfo.decode(platform_info),
        key_info=key_info,
        report_data=raw[0x050:0x090],
        measurement=raw[0x090:0x0C0],
        host_data=raw[0x0C0:0x0E0],
        id_key_digest=raw[0x0E0:0x110],
        author_key_digest=raw[0x110:0x140],
        report_id=raw[0x140:0x160],
        report_id_ma=raw[0x160:0x180],
        reported_tcb=tcb(reported_tcb),
        cpuid=cpuid,
        chip_id=raw[0x1A0:0x1E0],
        committed_tcb=tcb(committed_tcb),
        current_firmware=FirmwareVersion(major=raw[0x1EA], minor=raw[0x1E9], build=raw[0x1E8]),
        committed_firmware=FirmwareVersion(major=raw[0x1EE], minor=raw[0x1ED], build=raw[0x1EC]),
        launch_tcb=tcb(launch_tcb),
        signature=raw[0x2A0:REPORT_SIZE],
        raw=bytes(raw),
    )


def report_from_response(resp: bytes) -> bytes:
    """The report inside a 4000-byte SNP_GET_REPORT response (header: status u32, report_size u32)."""
    if len(resp) != RESPONSE_SIZE:
        raise ReportError(f"an SNP_GET_REPORT response is {RESPONSE_SIZE} bytes, got {len(resp)}")
    status, size = struct.unpack_from("<II", resp, 0)
    if status != 0:
        why = RESPONSE_STATUS.get(status, "firmware error")
        raise ReportError(f"the SNP_GET_REPORT response carries status 0x{status:x} ({why}), not a report")
    if size != REPORT_SIZE:
        raise ReportError(f"the SNP_GET_REPORT response says report_size {size}, want {REPORT_SIZE}")
    return resp[RESPONSE_HEADER_SIZE:RESPONSE_HEADER_SIZE + size]


_HEX_JUNK = re.compile(r"0x|[\s:,]", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-fA-F]*")
_B64 = re.compile(r"[A-Za-z0-9+/=_-]*")


def _looks_binary(data: bytes) -> bool:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return True
    return any(ord(c) < 32 and c not in "\t\r\n" for c in text)


def _text_to_bytes(text: str) -> tuple[bytes, str]:
    """Hex or base64 text (markers, whitespace allowed) to bytes and the encoding name."""
    if BEGIN_MARKER in text:
        start = text.index(BEGIN_MARKER) + len(BEGIN_MARKER)
        end = text.find(END_MARKER, start)
        if end < 0:
            raise ReportError("the report block has a BEGIN line but no END line (output cut short?)")
        text = text[start:end]
    compact = _HEX_JUNK.sub("", text)
    if not compact:
        raise ReportError("the input is empty")
    if _HEX.fullmatch(compact):
        if len(compact) % 2:
            raise ReportError(f"hex text with an odd number of digits ({len(compact)})")
        return bytes.fromhex(compact), "hex"
    b64 = "".join(text.split())
    if _B64.fullmatch(b64):
        try:
            if "-" in b64 or "_" in b64:
                return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)), "base64"
            return base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True), "base64"
        except (binascii.Error, ValueError):
            pass
    raise ReportError("not an attestation report: neither 1184/4000 raw bytes nor hex nor base64 text")


@dataclass(frozen=True)
class DecodedInput:
    report: AttestationReport
    #: "raw", "hex" or "base64".
    encoding: str
    #: "report" (1184 bytes) or "response" (the 4000-byte ioctl response).
    container: str


def decode_any(data: bytes) -> DecodedInput:
    """Decode a report given in any accepted form (see the module docstring)."""
    if len(data) in (REPORT_SIZE, RESPONSE_SIZE) and _looks_binary(data):
        raw, encoding = data, "raw"
    elif _looks_binary(data):
        raise ReportError(
            f"not an SNP attestation report: {len(data)} bytes "
            f"(want {REPORT_SIZE} for a report or {RESPONSE_SIZE} for an SNP_GET_REPORT response)"
        )
    else:
        raw, encoding = _text_to_bytes(data.decode("ascii"))
    if len(raw) == REPORT_SIZE:
        return DecodedInput(decode_report(raw), encoding, "report")
    if len(raw) == RESPONSE_SIZE:
        return DecodedInput(decode_report(report_from_response(raw)), encoding, "response")
    what = "raw bytes" if encoding == "raw" else f"bytes after decoding {encoding}"
    raise ReportError(
        f"not an SNP attestation report: {len(raw)} {what} "
        f"(want {REPORT_SIZE} for a report or {RESPONSE_SIZE} for an SNP_GET_REPORT response)"
    )


def extract_report_block(text: str) -> str | None:
    """The text between the BEGIN and END markers in a run's output, or None when there is no block."""
    start = text.find(BEGIN_MARKER)
    if start < 0:
        return None
    end = text.find(END_MARKER, start)
    if end < 0:
        return None
    return text[start:end + len(END_MARKER)]


def hexdump_rows(data: bytes, width: int = 16) -> list[str]:
    """Bytes as rows of lowercase hex pairs, as snpguest displays them."""
    return [" ".join(f"{b:02x}" for b in data[i:i + width]) for i in range(0, len(data), width)]


def describe(report: AttestationReport) -> list[tuple[str, str]]:
    """The report as (label, value) rows for a human: the CLI's text output and the screen share it."""
    rows: list[tuple[str, str]] = []
    if report.is_demo:
        rows.append(("NOTE", "DEMO DATA: this report was built for the demo host, not obtained from SNP hardware"))
    rows += [
        ("version", str(report.version)),
        ("guest_svn", str(report.guest_svn)),
        ("policy", str(report.policy)),
        ("vmpl", str(report.vmpl)),
        ("signature_algo", f"{report.signature_algo} ({report.signature_algo_name})"),
        ("current_tcb", str(report.current_tcb)),
        ("platform_info", str(report.platform_info)),
        ("key_info", f"signing key {report.signing_key}, author key {'on' if report.author_key_en else 'off'}"),
        ("report_data", report.report_data.hex()),
        ("measurement", report.measurement.hex()),
        ("host_data", report.host_data.hex()),
        ("id_key_digest", report.id_key_digest.hex()),
        ("author_key_digest", report.author_key_digest.hex()),
        ("report_id", report.report_id.hex()),
        ("reported_tcb", str(report.reported_tcb)),
    ]
    if report.cpuid is not None:
        rows.append(("cpuid", "family 0x{:x}, model 0x{:x}, stepping 0x{:x}".format(*report.cpuid)))
    rows += [
        ("chip_id", report.chip_id.hex() + (" (masked)" if report.chip_id_masked else "")),
        ("committed_tcb", str(report.committed_tcb)),
        ("current_firmware", str(report.current_firmware)),
        ("committed_firmware", str(report.committed_firmware)),
        ("launch_tcb", str(report.launch_tcb)),
        ("signature", f"R {report.signature_r.rstrip(bytes(1)).hex()}  S {report.signature_s.rstrip(bytes(1)).hex()}"),
    ]
    return rows
