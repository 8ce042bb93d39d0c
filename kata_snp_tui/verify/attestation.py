"""Verify an SNP attestation report's signature against AMD's certificate chain (ARK -> ASK -> VCEK).

What is checked (the same steps as ``snpguest verify certs`` / ``verify attestation``):

1. the ARK is self-signed and is AMD's root for the processor (the bundled ARK in
   ``assets/amd_certs/<product>/ark.pem``, see its SOURCES.md; any other ARK is "not AMD's root");
2. the ASK is signed by the ARK, the VCEK by the ASK (RSASSA-PSS/SHA-384), each in its validity dates;
3. the report's signature (ECDSA P-384 with SHA-384; R at 0x2A0 and S at 0x2E8, 72 bytes each,
   little-endian, zero padded) verifies under the VCEK's key over the report's bytes 0x000-0x29F;
4. the report's REPORTED_TCB equals the VCEK's TCB extensions (blSPL, teeSPL, snpSPL, ucodeSPL and, on
   Turin, fmcSPL: OIDs 1.3.6.1.4.1.3704.1.3.{1,2,3,8,9}) and its CHIP_ID the VCEK's hwID
   (1.3.6.1.4.1.3704.1.4; 64 bytes, or the first 8 bytes of the chip id on Turin).

The certificates come from a folder the user gives (snpguest's names: ``ark``, ``ask``, ``vcek`` with
``.pem`` or ``.der``); the ARK and ASK default to the bundled ones. The VCEK is fetched from AMD's Key
Distribution Service only when asked (``fetch=True``); the URL is in the result either way. The KDS base
URL can be pointed elsewhere with the ``KATA_SNP_TUI_KDS_URL`` environment variable (the tests serve a
chain from 127.0.0.1).

The result is :class:`SignatureCheck`: ``valid``, ``invalid`` (a check failed: which and why) or
``unverifiable`` (something needed is missing: no VCEK, unknown processor, a VLEK-signed or demo
report, the fetch failed). Folders and files that cannot be read raise :class:`CertError` (one line).
The result types, the products and the KDS URLs live in :mod:`kata_snp_tui.verify.signature` (no
cryptography import, for the screens and the CLI's parser) and are re-exported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning

from kata_snp_tui.verify.report import SIGNED_SIZE, AttestationReport
from kata_snp_tui.verify.signature import (  # noqa: F401 - re-exported: the engine's whole interface
    CERT_NAMES,
    EXIT_CODES,
    INVALID,
    KDS_BASE,
    KDS_BASE_ENV,
    KDS_PRODUCT,
    PRODUCTS,
    SPL_OIDS,
    STATUSES,
    UNVERIFIABLE,
    VALID,
    ChainStep,
    ChipIdComparison,
    FetchError,
    SignatureCheck,
    SignatureRequest,
    SplComparison,
    _spl_names,
    fetch_url,
    kds_base,
    kds_chain_url,
    kds_vcek_url,
    planned_fetch_url,
    product_from_cpuid,
    product_from_name,
    reported_tcb,
)

OID_PRODUCT_NAME = "1.3.6.1.4.1.3704.1.2"
OID_HWID = "1.3.6.1.4.1.3704.1.4"
CERT_SUFFIXES: tuple[str, ...] = (".pem", ".der")
#: Larger files are not certificates.
MAX_CERT_FILE = 64 * 1024

SIGNATURE_OFFSET = 0x2A0
COMPONENT_SIZE = 72
P384_SIZE = 48


class CertError(ValueError):
    """A certificate folder or file cannot be used; ``str()`` is one line for the user."""


# ---------------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class CertFiles:
    """Certificates the user gave (any of them may be missing) and where each came from."""

    ark: x509.Certificate | None = None
    ask: x509.Certificate | None = None
    vcek: x509.Certificate | None = None
    sources: dict[str, str] = field(default_factory=dict)
    folder: str | None = None


def parse_certificate(data: bytes, what: str) -> x509.Certificate:
    """A certificate in PEM or DER form; :class:`CertError` otherwise."""
    load = x509.load_pem_x509_certificate if b"-----BEGIN CERTIFICATE-----" in data else x509.load_der_x509_certificate
    try:
        # AMD's VCEKs carry serial number 0, which cryptography parses with a deprecation warning.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive",
                                    category=CryptographyDeprecationWarning)
            return load(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CertError(f"{what} is not an X.509 certificate (PEM or DER): {first}") from None


def find_cert(folder: Path, name: str) -> Path | None:
    """``<name>.pem`` or ``<name>.der`` in the folder (snpguest's names), the first that exists."""
    for suffix in CERT_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def load_cert_dir(folder: str | Path) -> CertFiles:
    """The ark/ask/vcek certificates of a folder as ``snpguest fetch`` writes them; each may be missing.

    :class:`CertError` when the folder does not exist or a certificate file in it cannot be read or parsed."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise CertError(f"certificate folder not found: {folder}" if not path.exists()
                        else f"not a folder: {folder}")
    found: dict[str, x509.Certificate] = {}
    sources: dict[str, str] = {}
    for name in CERT_NAMES:
        file = find_cert(path, name)
        if file is None:
            continue
        try:
            with open(file, "rb") as fh:
                data = fh.read(MAX_CERT_FILE + 1)
        except OSError as exc:
            raise CertError(f"cannot read {file}: {exc.strerror or exc}") from None
        if len(data) > MAX_CERT_FILE:
            raise CertError(f"{file} is larger than {MAX_CERT_FILE} bytes: not a certificate")
        found[name] = parse_certificate(data, str(file))
        sources[name] = str(file)
    return CertFiles(ark=found.get("ark"), ask=found.get("ask"), vcek=found.get("vcek"), sources=sources,
                     folder=str(path))


def bundled_ca(product: str) -> tuple[x509.Certificate, x509.Certificate]:
    """AMD's ARK and ASK for a product, as shipped in assets/amd_certs."""
    base = files("kata_snp_tui.assets") / "amd_certs" / product
    ark = x509.load_pem_x509_certificate((base / "ark.pem").read_bytes())
    ask = x509.load_pem_x509_certificate((base / "ask.pem").read_bytes())
    return ark, ask


def bundled_roots() -> dict[str, x509.Certificate]:
    """AMD's root (ARK) of each product: the only roots a chain may end in."""
    return {product: bundled_ca(product)[0] for product in PRODUCTS}


# -------------------------------------------------------------------------- VCEK extensions


def _extension_bytes(cert: x509.Certificate, oid: str) -> bytes | None:
    try:
        ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid))
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    return value.value if isinstance(value, x509.UnrecognizedExtension) else None


def _der_int(data: bytes | None) -> int | None:
    """A small DER INTEGER (tag 0x02, short length), as the VCEK's SPL extensions hold."""
    if not data or len(data) < 3 or data[0] != 0x02 or data[1] != len(data) - 2 or data[1] > 8:
        return None
    return int.from_bytes(data[2:], "big", signed=False)


def _der_ia5(data: bytes | None) -> str | None:
    if not data or len(data) < 2 or data[0] != 0x16 or data[1] != len(data) - 2:
        return None
    return data[2:].decode("ascii", errors="replace")


@dataclass(frozen=True)
class VcekInfo:
    product_name: str | None
    spls: dict[str, int | None]
    hwid: bytes | None


def vcek_info(cert: x509.Certificate) -> VcekInfo:
    """The VCEK's AMD extensions: productName, the SPLs and hwID (raw bytes, as AMD encodes it)."""
    try:
        product = _der_ia5(_extension_bytes(cert, OID_PRODUCT_NAME))
        spls = {name: _der_int(_extension_bytes(cert, oid)) for name, oid, _ in SPL_OIDS}
        hwid = _extension_bytes(cert, OID_HWID)
    except ValueError as exc:  # a malformed standard extension
        raise CertError(f"the VCEK's extensions cannot be read: {exc}") from None
    return VcekInfo(product, spls, hwid)


# ---------------------------------------------------------------------------------- verification


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> str | None:
    """None when ``parent`` signed ``child`` (and the names chain); else why not."""
    try:
        child.verify_directly_issued_by(parent)
    except InvalidSignature:
        return "the signature does not verify"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def _subject(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _dates(cert: x509.Certificate, now: datetime) -> str | None:
    if now < cert.not_valid_before_utc:
        return f"not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
    if now > cert.not_valid_after_utc:
        return f"expired on {cert.not_valid_after_utc:%Y-%m-%d}"
    return None


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _root_step(ark: x509.Certificate, product: str, roots: dict[str, x509.Certificate]) -> ChainStep:
    name = f"ARK is AMD's {KDS_PRODUCT[product]} root"
    der = _der(ark)
    root = roots.get(product)
    if root is not None and der == _der(root):
        return ChainStep(name, True, f"{_subject(ark)}, the bundled AMD root")
    other = next((p for p, r in roots.items() if p != product and _der(r) == der), None)
    if other is not None:
        return ChainStep(name, False, f"this is AMD's {KDS_PRODUCT[other]} root, not the {KDS_PRODUCT[product]} one")
    return ChainStep(name, False, f"not AMD's root: {_subject(ark)} differs from the bundled ARK-{KDS_PRODUCT[product]}")


def _signature_failure(report: AttestationReport, key: ec.EllipticCurvePublicKey) -> str | None:
    raw = report.raw
    r_bytes = raw[SIGNATURE_OFFSET:SIGNATURE_OFFSET + COMPONENT_SIZE]
    s_bytes = raw[SIGNATURE_OFFSET + COMPONENT_SIZE:SIGNATURE_OFFSET + 2 * COMPONENT_SIZE]
    if any(r_bytes[P384_SIZE:]) or any(s_bytes[P384_SIZE:]):
        return "the signature's R or S is longer than a P-384 value (bytes past 48 are not zero)"
    r, s = int.from_bytes(r_bytes, "little"), int.from_bytes(s_bytes, "little")
    if r == 0 or s == 0:
        return "the signature is empty (R or S is zero)"
    try:
        key.verify(encode_dss_signature(r, s), raw[:SIGNED_SIZE], ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        return "the report's signature does not verify under the VCEK's key (the report was changed, or this is another chip's VCEK)"
    return None


def _unverifiable(reason: str, **kwargs: Any) -> SignatureCheck:
    return SignatureCheck(UNVERIFIABLE, reason, **kwargs)


def verify_report(
    report: AttestationReport,
    certs: CertFiles | None = None,
    *,
    fetch: bool = False,
    product: str | None = None,
    roots: dict[str, x509.Certificate] | None = None,
    fetcher: Callable[[str], bytes] = fetch_url,
    base_url: str | None = None,
    now: datetime | None = None,
) -> SignatureCheck:
    """Check the report's signature and its chain (see the module docstring).

    ``certs``: what the user gave (:func:`load_cert_dir`); ``fetch``: ask the KDS for a missing VCEK;
    ``product``: the processor when the report cannot tell (version 2); ``roots``: the trusted ARK of each
    product (default: AMD's, bundled); ``fetcher``/``base_url``/``now`` exist for tests."""
    certs = certs or CertFiles()
    now = now or datetime.now(timezone.utc)
    notes: list[str] = []
    if product is not None and product not in PRODUCTS:
        raise ValueError(f"unknown product {product!r}")
    if report.is_demo:
        return _unverifiable("this is the demo host's report: built for the demo, never signed by an AMD chip")
    if report.signature_algo != 1:
        return _unverifiable(f"the report names signature algorithm {report.signature_algo} "
                             f"({report.signature_algo_name}); only ECDSA P-384 with SHA-384 (1) is defined")
    if report.signing_key == "none":
        return _unverifiable("the firmware did not sign this report (its key info says no signing key)")
    if report.signing_key == "VLEK":
        return _unverifiable("the report is signed with a VLEK (a cloud provider's key); only VCEK chains are "
                             "checked here")
    if report.signing_key != "VCEK":
        return _unverifiable(f"the report's signing key is {report.signing_key}")

    # Which processor: the user's word, then the report's CPUID (version 3+), then the VCEK's productName.
    from_cpuid = product_from_cpuid(report.cpuid)
    given_vcek = certs.vcek
    from_vcek = product_from_name(vcek_info(given_vcek).product_name) if given_vcek is not None else None
    source: str | None = None
    if product is not None:
        source = "--product"
        if from_cpuid is not None and from_cpuid != product:
            notes.append(f"the report's CPUID says {KDS_PRODUCT[from_cpuid]}, but {KDS_PRODUCT[product]} was asked for")
    elif from_cpuid is not None:
        product, source = from_cpuid, "the report's CPUID"
    elif from_vcek is not None:
        product, source = from_vcek, "the VCEK's productName"
    if product is None:
        why = ("the report (version 2) has no CPUID fields" if report.cpuid is None
               else f"the report's CPUID family 0x{report.cpuid[0]:x} model 0x{report.cpuid[1]:x} is not a known one")
        return _unverifiable(f"unknown processor: {why} and no VCEK names it; say which (--product milan|genoa|turin)")
    chain_url = kds_chain_url(product, base_url)
    vcek_url = kds_vcek_url(report, product, base_url)
    common: dict[str, Any] = {"product": product, "product_source": source, "kds_vcek_url": vcek_url,
                              "kds_chain_url": chain_url}
    sources = dict(certs.sources)

    vcek = given_vcek
    fetched = False
    if vcek is None:
        where = f" in {certs.folder}" if certs.folder else ""
        if not fetch:
            ask_kds = ("or fetch it from AMD's KDS (--fetch; the URL is below)" if vcek_url
                       else "(the chip id is masked, so AMD's KDS cannot be asked for it)")
            return _unverifiable(f"no VCEK{where}: give a folder with vcek.pem or vcek.der (snpguest fetch vcek "
                                 f"pem DIR REPORT writes one), {ask_kds}", notes=tuple(notes), **common)
        if vcek_url is None:
            return _unverifiable("the report's chip id is masked (MASK_CHIP_ID), so AMD's KDS cannot be asked for "
                                 "its VCEK: give the VCEK in a folder", notes=tuple(notes), **common)
        try:
            vcek = parse_certificate(fetcher(vcek_url), "the KDS answer")
        except FetchError as exc:
            return _unverifiable(f"could not fetch the VCEK from {vcek_url}: {exc}", notes=tuple(notes), **common)
        except CertError as exc:
            return _unverifiable(f"could not fetch the VCEK from {vcek_url}: {exc}", notes=tuple(notes), **common)
        fetched = True
        sources["vcek"] = vcek_url
    common["fetched"] = fetched

    roots = roots if roots is not None else bundled_roots()
    bundled_ark, bundled_ask = bundled_ca(product)
    ark = certs.ark or bundled_ark
    ask = certs.ask or bundled_ask
    sources.setdefault("ark", "bundled")
    sources.setdefault("ask", "bundled")
    info = vcek_info(vcek)
    if info.product_name is not None and product_from_name(info.product_name) not in (None, product):
        notes.append(f"the VCEK's productName is {info.product_name}")

    problems: list[str] = []
    chain: list[ChainStep] = []

    def step(name: str, failure: str | None, ok_detail: str) -> None:
        chain.append(ChainStep(name, failure is None, failure or ok_detail))
        if failure is not None:
            problems.append(f"{name}: {failure}")

    step("ARK self-signed", _issued_by(ark, ark), f"{_subject(ark)} signed itself")
    root = _root_step(ark, product, roots)
    chain.append(root)
    if not root.ok:
        problems.append(root.detail)
    step("ASK signed by the ARK", _issued_by(ask, ark), f"{_subject(ask)} signed by {_subject(ark)}")
    step("VCEK signed by the ASK", _issued_by(vcek, ask), f"{_subject(vcek)} signed by {_subject(ask)}")
    for role, cert in (("ARK", ark), ("ASK", ask), ("VCEK", vcek)):
        bad_dates = _dates(cert, now)
        if bad_dates is not None:
            step(f"{role} in its validity dates", bad_dates, "")

    key = vcek.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
        signature_failure: str | None = "the VCEK's key is not an EC P-384 key"
    else:
        signature_failure = _signature_failure(report, key)
    signature_ok = signature_failure is None
    if signature_failure is not None:
        problems.append(signature_failure)

    tcb = reported_tcb(report, product)
    spls = tuple(SplComparison(name, getattr(tcb, attr), info.spls.get(name)) for name, attr in _spl_names(product))
    wrong = [c for c in spls if not c.match]
    if wrong:
        problems.append("the report's reported TCB does not match the VCEK's: "
                        + ", ".join(f"{c.name} report {c.report}, VCEK {'missing' if c.vcek is None else c.vcek}"
                                    for c in wrong))

    chip = _chip_comparison(report, info.hwid, product)
    if chip.match is False:
        problems.append("the report's chip id is not the VCEK's hwID (a VCEK of another chip)")
    elif chip.match is None:
        notes.append("the chip id is masked in the report (MASK_CHIP_ID): not compared with the VCEK"
                     if report.chip_id_masked else "the VCEK has no hwID extension: chip id not compared")

    result = SignatureCheck(
        VALID if not problems else INVALID,
        problems[0] if problems else (f"signed by a VCEK that AMD's {KDS_PRODUCT[product]} root certifies; "
                                      "its TCB and chip id match the report"
                                      if chip.match else
                                      f"signed by a VCEK that AMD's {KDS_PRODUCT[product]} root certifies; "
                                      "its TCB matches the report"),
        chain=tuple(chain), signature_ok=signature_ok, tcb=spls, chip_id=chip, sources=sources,
        problems=tuple(problems), notes=tuple(notes), **common)
    return result


def _chip_comparison(report: AttestationReport, hwid: bytes | None, product: str) -> ChipIdComparison:
    chip = report.chip_id
    if report.chip_id_masked or hwid is None:
        return ChipIdComparison(chip.hex(), hwid.hex() if hwid else None, None)
    if len(hwid) < len(chip):  # Turin: the VCEK's hwID is the chip id's first 8 bytes, the rest is zero
        match = chip[:len(hwid)] == hwid and not any(chip[len(hwid):])
    else:
        match = chip == hwid
    return ChipIdComparison(chip.hex(), hwid.hex(), match)


def check_request(report: AttestationReport, request: SignatureRequest) -> SignatureCheck:
    """:func:`verify_report` with the request's folder read first (:class:`CertError` when it cannot be)."""
    certs = load_cert_dir(request.certs_dir) if request.certs_dir else None
    return verify_report(report, certs, fetch=request.fetch, product=request.product)
