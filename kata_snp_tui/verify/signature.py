"""What a signature check found, and the Key Distribution Service's URLs: the light half of the
signature verification (no cryptography import), shared by the engine (verify/attestation.py), the CLI,
the Verify screen, the saved result and the session report.

Statuses: ``valid``, ``invalid`` (a check failed), ``unverifiable`` (something needed is missing). The KDS
base URL is ``https://kdsintf.amd.com`` unless the ``KATA_SNP_TUI_KDS_URL`` environment variable says
otherwise (the tests point it at a server on 127.0.0.1).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from kata_snp_tui.verify.report import AttestationReport, TcbVersion

VALID = "valid"
INVALID = "invalid"
UNVERIFIABLE = "unverifiable"
STATUSES: tuple[str, ...] = (VALID, INVALID, UNVERIFIABLE)
#: ``kata-snp-tui report FILE --verify`` exit statuses (2 stays "bad input").
EXIT_CODES: dict[str, int] = {VALID: 0, INVALID: 1, UNVERIFIABLE: 3}

PRODUCTS: tuple[str, ...] = ("milan", "genoa", "turin")
#: The name KDS uses in its URLs (and the VCEK's productName starts with).
KDS_PRODUCT: dict[str, str] = {"milan": "Milan", "genoa": "Genoa", "turin": "Turin"}
#: productName prefixes of parts that share a product's chain (snpguest: Siena and Bergamo use Genoa's).
_PRODUCT_NAME_PREFIXES: tuple[tuple[str, str], ...] = (
    ("Milan", "milan"), ("Genoa", "genoa"), ("Siena", "genoa"), ("Bergamo", "genoa"), ("Turin", "turin"))

KDS_BASE = "https://kdsintf.amd.com"
KDS_BASE_ENV = "KATA_SNP_TUI_KDS_URL"
FETCH_TIMEOUT = 10.0
#: A VCEK is about 1.3 KB; never read more than this from the network.
MAX_FETCH = 64 * 1024

#: The VCEK's TCB extensions, as the KDS query names them, with the report's TCB field each one carries.
SPL_OIDS: tuple[tuple[str, str, str], ...] = (
    ("fmcSPL", "1.3.6.1.4.1.3704.1.3.9", "fmc"),
    ("blSPL", "1.3.6.1.4.1.3704.1.3.1", "boot_loader"),
    ("teeSPL", "1.3.6.1.4.1.3704.1.3.2", "tee"),
    ("snpSPL", "1.3.6.1.4.1.3704.1.3.3", "snp"),
    ("ucodeSPL", "1.3.6.1.4.1.3704.1.3.8", "microcode"),
)

CERT_NAMES: tuple[str, ...] = ("ark", "ask", "vcek")


class FetchError(OSError):
    """The KDS could not be asked or did not answer with a certificate; ``str()`` is one line."""


@dataclass(frozen=True)
class ChainStep:
    """One link of the chain: ``ok`` True (holds), False (fails, ``detail`` says why), None (not checked)."""

    name: str
    ok: bool | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class SplComparison:
    """One security patch level: the report's REPORTED_TCB against the VCEK's extension."""

    name: str
    report: int | None
    vcek: int | None

    @property
    def match(self) -> bool:
        return self.report is not None and self.report == self.vcek

    def __str__(self) -> str:
        vcek = "missing" if self.vcek is None else str(self.vcek)
        return f"{self.name} {self.report}" + ("" if self.match else f" (VCEK {vcek})")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "report": self.report, "vcek": self.vcek, "match": self.match}


@dataclass(frozen=True)
class ChipIdComparison:
    report: str
    vcek: str | None
    #: True / False; None when the report's chip id is masked (MASK_CHIP_ID) or the VCEK has no hwID.
    match: bool | None

    def to_json(self) -> dict[str, Any]:
        return {"report": self.report, "vcek": self.vcek, "match": self.match}


@dataclass(frozen=True)
class SignatureCheck:
    """See the module docstring. ``reason`` is one sentence: why valid, the first failure, or what is missing."""

    status: str
    reason: str
    #: "milan", "genoa", "turin" or None when it could not be told.
    product: str | None = None
    #: Where the product came from: "--product", "the report's CPUID", "the VCEK's productName".
    product_source: str | None = None
    chain: tuple[ChainStep, ...] = ()
    #: The report's signature under the VCEK: True, False, or None (not checked).
    signature_ok: bool | None = None
    tcb: tuple[SplComparison, ...] = ()
    chip_id: ChipIdComparison | None = None
    #: The KDS URL of this report's VCEK (None when the chip id is masked or the product unknown).
    kds_vcek_url: str | None = None
    kds_chain_url: str | None = None
    #: True when the VCEK was fetched from ``kds_vcek_url``.
    fetched: bool = False
    #: Where each certificate came from: a path, "bundled" or the URL it was fetched from.
    sources: dict[str, str] = field(default_factory=dict)
    #: Every check that failed (the first one is ``reason``).
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown signature status {self.status!r}")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def headline(self) -> str:
        """"signature valid", "signature INVALID", "signature unverifiable"."""
        return f"signature {self.status.upper() if self.status == INVALID else self.status}"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "product": self.product,
            "product_source": self.product_source,
            "chain": [s.to_json() for s in self.chain],
            "signature_ok": self.signature_ok,
            "tcb": [c.to_json() for c in self.tcb],
            "tcb_match": all(c.match for c in self.tcb) if self.tcb else None,
            "chip_id": self.chip_id.to_json() if self.chip_id is not None else None,
            "kds_vcek_url": self.kds_vcek_url,
            "kds_chain_url": self.kds_chain_url,
            "fetched": self.fetched,
            "sources": dict(self.sources),
            "problems": list(self.problems),
            "notes": list(self.notes),
        }

    def detail_lines(self) -> list[str]:
        """The checks, one line each, for the terminal and the Verify screen."""
        lines: list[str] = []
        if self.product:
            lines.append(f"processor  {KDS_PRODUCT[self.product]} (from {self.product_source})")
        if self.sources:
            lines.append("certificates  " + ", ".join(f"{role.upper()} {self.sources[role]}"
                                                     for role in CERT_NAMES if role in self.sources))
        for step in self.chain:
            mark = {True: "ok", False: "FAILED", None: "not checked"}[step.ok]
            lines.append(f"{step.name}: {mark}: {step.detail}")
        if self.signature_ok is not None:
            lines.append(f"report signed by the VCEK: {'ok' if self.signature_ok else 'FAILED'}")
        if self.tcb:
            same = all(c.match for c in self.tcb)
            lines.append(f"reported TCB {'matches' if same else 'does NOT match'} the VCEK: "
                         + ", ".join(str(c) for c in self.tcb))
        if self.chip_id is not None:
            said = {True: "matches the VCEK's hwID", False: "does NOT match the VCEK's hwID",
                    None: "not compared"}[self.chip_id.match]
            lines.append(f"chip id {said}")
        if self.kds_vcek_url:
            how = "fetched" if self.fetched else "not fetched"
            lines.append(f"KDS VCEK URL ({how}): {self.kds_vcek_url}")
        lines += [f"note: {n}" for n in self.notes]
        return lines


@dataclass(frozen=True)
class SignatureRequest:
    """What the user asked for (the Verify screen's dialog): a certificate folder, a fetch, a product."""

    certs_dir: str | None = None
    fetch: bool = False
    product: str | None = None


# ------------------------------------------------------------------------- products and KDS


def product_from_name(name: str | None) -> str | None:
    """The product of a VCEK's productName ("Milan-B0", "Genoa", "Turin"; Siena and Bergamo use Genoa's)."""
    for prefix, product in _PRODUCT_NAME_PREFIXES:
        if name and name.startswith(prefix):
            return product
    return None


def product_from_cpuid(cpuid: tuple[int, int, int] | None) -> str | None:
    """Milan: family 0x19 model 0x0X; Genoa (with Bergamo and Siena): 0x19 model 0x1X or 0xAX; Turin: 0x1A."""
    if cpuid is None:
        return None
    family, model, _ = cpuid
    if family == 0x19 and model < 0x10:
        return "milan"
    if family == 0x19 and (0x10 <= model < 0x20 or 0xA0 <= model < 0xB0):
        return "genoa"
    if family == 0x1A and model < 0x20:
        return "turin"
    return None


def reported_tcb(report: AttestationReport, product: str) -> TcbVersion:
    """The report's REPORTED_TCB in the product's byte layout (Turin's differs)."""
    return TcbVersion.decode(report.reported_tcb.raw, turin=product == "turin")


def _spl_names(product: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, attr) for name, _, attr in SPL_OIDS if product == "turin" or name != "fmcSPL")


def kds_base(base: str | None = None) -> str:
    return (base or os.environ.get(KDS_BASE_ENV) or KDS_BASE).rstrip("/")


def kds_chain_url(product: str, base: str | None = None) -> str:
    return f"{kds_base(base)}/vcek/v1/{KDS_PRODUCT[product]}/cert_chain"


def kds_vcek_url(report: AttestationReport, product: str, base: str | None = None) -> str | None:
    """``{base}/vcek/v1/{Product}/{hwid}?blSPL=..`` as snpguest builds it (Turin: 8-byte hwid, fmcSPL
    first); None when the chip id is masked (KDS cannot be asked for it)."""
    if report.chip_id_masked:
        return None
    tcb = reported_tcb(report, product)
    hwid = (report.chip_id[:8] if product == "turin" else report.chip_id).hex()
    query = "&".join(f"{name}={getattr(tcb, attr):02d}" for name, attr in _spl_names(product))
    return f"{kds_base(base)}/vcek/v1/{KDS_PRODUCT[product]}/{hwid}?{query}"


def fetch_url(url: str, timeout: float = FETCH_TIMEOUT) -> bytes:
    """GET ``url`` (urllib, with a timeout); :class:`FetchError` with one line on any failure."""
    request = urllib.request.Request(url, headers={"User-Agent": "kata-snp-tui"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https or the test's http
            data = response.read(MAX_FETCH + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"the server answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot reach the server: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise FetchError(f"no answer: {exc}") from None
    if len(data) > MAX_FETCH:
        raise FetchError(f"the answer is larger than {MAX_FETCH} bytes: not a certificate")
    return data


def planned_fetch_url(report: AttestationReport, product: str | None = None) -> str | None:
    """The KDS URL a fetch would ask (the product given, else the report's CPUID); None when unknown."""
    product = product or product_from_cpuid(report.cpuid)
    return kds_vcek_url(report, product) if product else None
