"""Helpers for the signature tests: the real reports and VCEK chains of tests/data/attestation (see its
SOURCES.md), a folder of certificates as snpguest writes it, and a self-made chain (our own ARK, ASK and a
VCEK with AMD's extensions) that signs reports built byte by byte, for the cases no real report shows
(a TCB or chip id that differs while the signature holds)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

DATA = Path(__file__).resolve().parent / "data" / "attestation"
#: name -> (report file, chain file); the chain holds VCEK, ASK, ARK in that order.
REAL = {
    "milan": ("report-milan-v3.b64", "vcek-chain-milan.pem"),
    "genoa": ("report-genoa-v5.b64", "vcek-chain-genoa-v5.pem"),
    "turin": ("report-turin-v5.b64", "vcek-chain-turin.pem"),
}
#: A moment inside every real certificate's validity (the VCEKs are valid 2025..2032).
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)


def real_report(name: str) -> bytes:
    raw = base64.b64decode(DATA.joinpath(REAL[name][0]).read_text())
    assert len(raw) == 1184
    return raw


def real_chain_pems(name: str) -> dict[str, str]:
    """{"vcek", "ask", "ark"}: PEM text of each certificate of a real chain."""
    text = DATA.joinpath(REAL[name][1]).read_text()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
    assert len(blocks) == 3
    return {"vcek": blocks[0] + "\n", "ask": blocks[1] + "\n", "ark": blocks[2] + "\n"}


def cert_dir(path: Path, **pems: str | bytes) -> Path:
    """A folder as snpguest writes it: ``vcek="..."`` -> vcek.pem; bytes go to ``<name>.der``."""
    path.mkdir(parents=True, exist_ok=True)
    for name, value in pems.items():
        if isinstance(value, bytes):
            (path / f"{name}.der").write_bytes(value)
        else:
            (path / f"{name}.pem").write_text(value)
    return path


def flip_bit(raw: bytes, offset: int, bit: int = 0) -> bytes:
    b = bytearray(raw)
    b[offset] ^= 1 << bit
    return bytes(b)


# ------------------------------------------------------------------------------ a self-made chain


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Engineering"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Not Advanced Micro Devices"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _der_int(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")
    return bytes([0x02, len(body)]) + body


def _amd_ext(oid: str, value: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value)


@dataclass
class SelfMadeChain:
    ark: x509.Certificate
    ask: x509.Certificate
    vcek: x509.Certificate
    vcek_key: ec.EllipticCurvePrivateKey

    def pems(self) -> dict[str, str]:
        return {name: getattr(self, name).public_bytes(Encoding.PEM).decode() for name in ("ark", "ask", "vcek")}

    def sign(self, raw: bytes) -> bytes:
        """The report with its signature replaced by this VCEK's over bytes 0x000-0x29F."""
        r, s = decode_dss_signature(self.vcek_key.sign(raw[:0x2A0], ec.ECDSA(hashes.SHA384())))
        b = bytearray(raw)
        b[0x2A0:0x2A0 + 512] = bytes(512)
        b[0x2A0:0x2A0 + 72] = r.to_bytes(72, "little")
        b[0x2E8:0x2E8 + 72] = s.to_bytes(72, "little")
        return bytes(b)


def make_chain(*, product_name: str = "Milan-B0", spls: dict[str, int] | None = None,
               hwid: bytes | None = None, vcek_days: tuple[int, int] = (-30, 3650),
               ca_days: tuple[int, int] = (-365, 9000)) -> SelfMadeChain:
    """ARK (RSA, self-signed, RSASSA-PSS/SHA-384) -> ASK -> VCEK (EC P-384) with AMD's extensions.

    ``spls``: {"blSPL": 3, ...} (default: the values of verify_helpers.ReportFields' reported TCB)."""
    spls = spls if spls is not None else {"blSPL": 3, "teeSPL": 0, "snpSPL": 8, "ucodeSPL": 115}
    oids = {"blSPL": "1", "teeSPL": "2", "snpSPL": "3", "ucodeSPL": "8", "fmcSPL": "9"}
    now = NOW  # the tests verify at NOW
    ark_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ask_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    vcek_key = ec.generate_private_key(ec.SECP384R1())

    def build(subject: str, issuer: str, public_key, signer, serial: int, days: tuple[int, int],
              extensions: list[x509.ExtensionType] = (), ca: bool = False) -> x509.Certificate:
        b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
             .public_key(public_key).serial_number(serial)
             .not_valid_before(now + timedelta(days=days[0])).not_valid_after(now + timedelta(days=days[1]))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        for ext in extensions:
            b = b.add_extension(ext, critical=False)
        return b.sign(signer, hashes.SHA384(), rsa_padding=PSS)

    ark = build("ARK-Milan", "ARK-Milan", ark_key.public_key(), ark_key, 1, ca_days, ca=True)
    ask = build("SEV-Milan", "ARK-Milan", ask_key.public_key(), ark_key, 2, ca_days, ca=True)
    name = product_name.encode()
    exts: list[x509.ExtensionType] = [_amd_ext("1.3.6.1.4.1.3704.1.2", bytes([0x16, len(name)]) + name)]
    exts += [_amd_ext(f"1.3.6.1.4.1.3704.1.3.{oids[k]}", _der_int(v)) for k, v in spls.items()]
    if hwid is not None:
        exts.append(_amd_ext("1.3.6.1.4.1.3704.1.4", hwid))
    vcek = build("SEV-VCEK", "SEV-Milan", vcek_key.public_key(), ask_key, 3, vcek_days, exts)
    return SelfMadeChain(ark, ask, vcek, vcek_key)
