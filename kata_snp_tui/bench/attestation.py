"""Section ``attestation``: checking one report's signature and chain (``verify_report``), target < 50 ms.

Rows, medians:

* ``attestation.verify``: ``verify_report`` on a real public Milan report with its VCEK (the repository's
  ``tests/data/attestation``; when that folder is not there, an installed copy, a self-made chain of the
  same shape: RSA-4096 ARK and ASK, an EC P-384 VCEK), beside decoding the report only;
* ``attestation.verify.cold``: the first check in a fresh process (imports cryptography, reads the
  bundled ARK/ASK), what the Verify screen's first ``s`` costs;
* ``attestation.measure``: the expected launch measurement (sev-snp-measure) from sev-snp-measure's
  AmdSev OVMF fixture with kernel hashes over a kernel and an initrd of the given sizes, beside
  sha256 of the same files (the floor: every byte is hashed once).
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kata_snp_tui.bench.model import Row, error_row, make_row, value_below

SECTION = "attestation"
DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "attestation"


def _ms(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _real_inputs(folder: Path) -> tuple[bytes, Path, str] | None:
    report, chain = DATA / "report-milan-v3.b64", DATA / "vcek-chain-milan.pem"
    if not (report.is_file() and chain.is_file()):
        return None
    vcek = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", chain.read_text(), re.S)[0]
    (folder / "vcek.pem").write_text(vcek + "\n")
    return base64.b64decode(report.read_text()), folder, "real Milan report + VCEK"


def _self_made_inputs(folder: Path):
    """A chain of AMD's shape signed by our own keys (its root is passed as the trusted one)."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    now = datetime.now(timezone.utc)
    ark_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    ask_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    vcek_key = ec.generate_private_key(ec.SECP384R1())

    def cert(cn: str, issuer: str, key, signer, exts=()):
        b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])).public_key(key)
             .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30)))
        for oid, value in exts:
            b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
        return b.sign(signer, hashes.SHA384(), rsa_padding=pss)

    chip = bytes(range(64))
    raw = bytearray(1184)
    raw[0:4] = (3).to_bytes(4, "little")
    raw[0x34] = 1
    raw[0x180:0x188] = bytes([3, 0, 0, 0, 0, 0, 8, 115])
    raw[0x188:0x18B] = bytes([0x19, 0x01, 0x01])
    raw[0x1A0:0x1E0] = chip
    exts = [("1.3.6.1.4.1.3704.1.3.1", b"\x02\x01\x03"), ("1.3.6.1.4.1.3704.1.3.2", b"\x02\x01\x00"),
            ("1.3.6.1.4.1.3704.1.3.3", b"\x02\x01\x08"), ("1.3.6.1.4.1.3704.1.3.8", b"\x02\x01\x73"),
            ("1.3.6.1.4.1.3704.1.4", chip)]
    ark = cert("ARK-Milan", "ARK-Milan", ark_key.public_key(), ark_key)
    ask = cert("SEV-Milan", "ARK-Milan", ask_key.public_key(), ark_key)
    vcek = cert("SEV-VCEK", "SEV-Milan", vcek_key.public_key(), ask_key, exts)
    r, s = decode_dss_signature(vcek_key.sign(bytes(raw[:0x2A0]), ec.ECDSA(hashes.SHA384())))
    raw[0x2A0:0x2A0 + 72] = r.to_bytes(72, "little")
    raw[0x2E8:0x2E8 + 72] = s.to_bytes(72, "little")
    for name, c in (("ark", ark), ("ask", ask), ("vcek", vcek)):
        (folder / f"{name}.pem").write_bytes(c.public_bytes(Encoding.PEM))
    return bytes(raw), folder, "self-made chain of AMD's shape", {"milan": ark}


_COLD = """
import base64, sys, time
t0 = time.perf_counter()
from kata_snp_tui.verify.attestation import load_cert_dir, verify_report
from kata_snp_tui.verify.report import decode_report
report = decode_report(base64.b64decode(open(sys.argv[1]).read()))
result = verify_report(report, load_cert_dir(sys.argv[2]))
print((time.perf_counter() - t0) * 1000, result.status)
"""


def run(quick: bool, repeat: int, progress: Callable[[str], None]) -> list[Row]:
    samples = max(5, repeat) if quick else max(30, repeat * 10)
    try:
        rows = _rows(samples, progress)
    except Exception as exc:  # noqa: BLE001
        rows = [error_row(SECTION, f"{SECTION}.verify", "one report", f"{type(exc).__name__}: {exc}")]
    sizes = (1, 4) if quick else (12, 64)
    try:
        rows.append(_measure_row(max(3, repeat), sizes, progress))
    except Exception as exc:  # noqa: BLE001
        rows.append(error_row(SECTION, f"{SECTION}.measure", "one launch", f"{type(exc).__name__}: {exc}"))
    return rows


MEASUREMENT_DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "measurement"


def _measure_row(samples: int, sizes: tuple[int, int], progress: Callable[[str], None]) -> Row:
    import hashlib
    import os

    from kata_snp_tui.verify.measurement import Overrides, compare_inputs, resolve_inputs

    fixture = MEASUREMENT_DATA / "ovmf_AmdSev_suffix.hex"
    if not fixture.is_file():
        raise FileNotFoundError(f"{fixture} (the benchmark runs from a checkout)")
    kernel_mib, initrd_mib = sizes
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-measure-") as tmp:
        folder = Path(tmp)
        ovmf = folder / "AMDSEV.fd"
        ovmf.write_bytes(bytes.fromhex("".join(fixture.read_text().split())))
        kernel, initrd = folder / "vmlinuz", folder / "initrd.img"
        kernel.write_bytes(os.urandom(kernel_mib << 20))
        initrd.write_bytes(os.urandom(initrd_mib << 20))
        overrides = Overrides(ovmf=str(ovmf), kernel=str(kernel), initrd=str(initrd), append="console=hvc0",
                              kernel_hashes=True, vcpus=1)

        def measure() -> None:
            result = compare_inputs(bytes(48), resolve_inputs(None, overrides))
            if result.expected is None:
                raise RuntimeError(f"no expected value: {result.reason}")

        def floor() -> None:
            for path in (ovmf, kernel, initrd):
                hashlib.sha256(path.read_bytes()).digest()

        measure()  # warm-up (imports)
        progress(f"attestation: measure x {samples} (kernel {kernel_mib} MiB, initrd {initrd_mib} MiB)")
        measured, baseline = [], []
        for _ in range(samples):
            baseline.append(_ms(floor))
            measured.append(_ms(measure))
    return make_row(SECTION, f"{SECTION}.measure", f"OVMF 4 KiB + kernel {kernel_mib} MiB + initrd {initrd_mib} MiB",
                    "ms", measured, baseline, "sha256 of the same files",
                    extra={"what": "resolve_inputs + compare_inputs (sev-snp-measure's snp_calc_launch_digest)"})


def _rows(samples: int, progress: Callable[[str], None]) -> list[Row]:
    from kata_snp_tui.verify.attestation import load_cert_dir, verify_report
    from kata_snp_tui.verify.report import decode_report

    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-attestation-") as tmp:
        folder = Path(tmp)
        inputs = _real_inputs(folder)
        roots = None
        if inputs is None:
            progress("attestation: no tests/data here, making a chain of AMD's shape")
            raw, folder, what, roots = _self_made_inputs(folder)
        else:
            raw, folder, what = inputs
        report = decode_report(raw)
        result = verify_report(report, load_cert_dir(folder), roots=roots)  # warm-up
        if result.status != "valid":
            raise RuntimeError(f"the benchmark's report does not verify: {result.reason}")
        progress(f"attestation: verify x {samples} ({what})")
        measured, baseline = [], []
        for _ in range(samples):
            baseline.append(_ms(lambda: decode_report(raw)))
            measured.append(_ms(lambda: verify_report(report, load_cert_dir(folder), roots=roots)))
        rows = [make_row(SECTION, f"{SECTION}.verify", what, "ms", measured, baseline, "decode the report only",
                         target=value_below(50, "ms"),
                         extra={"status": result.status, "what": "load_cert_dir + verify_report (chain, signature, "
                                "TCB, chip id)"})]
        cold: list[float] = []
        if roots is None:
            (folder / "report.b64").write_text(base64.b64encode(raw).decode())
            for _ in range(min(3, samples)):
                proc = subprocess.run([sys.executable, "-c", _COLD, str(folder / "report.b64"), str(folder)],
                                      capture_output=True, text=True, timeout=60)
                ms, status = proc.stdout.split()
                if status != "valid":
                    raise RuntimeError(f"cold check said {status}")
                cold.append(float(ms))
            rows.append(make_row(SECTION, f"{SECTION}.verify.cold", what, "ms", cold, [], "",
                                 target=value_below(200, "ms"),
                                 extra={"what": "first check in a fresh process: imports cryptography, reads "
                                        "the bundled ARK/ASK"}))
    return rows
