"""The signature options of `kata-snp-tui report FILE`: ``--verify`` checks the report's signature and its
certificate chain (verify/attestation.py) against certificates in ``--certs DIR`` or, with ``--fetch``,
a VCEK from AMD's Key Distribution Service (offline otherwise). Exit status 0 valid, 1 invalid,
3 unverifiable (the reason is printed); 2 stays "bad input" (an unreadable folder or certificate)."""

from __future__ import annotations

import argparse
import sys

from kata_snp_tui.errors import UserError
from kata_snp_tui.verify.signature import KDS_BASE_ENV, PRODUCTS, SignatureCheck, planned_fetch_url
from kata_snp_tui.verify.report import AttestationReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "signature",
        "check the report's signature against AMD's chain ARK -> ASK -> VCEK (exit 0 valid, 1 invalid, "
        "3 unverifiable); --certs, --fetch and --product imply --verify")
    group.add_argument("--verify", action="store_true",
                       help="check the signature, the chain, the reported TCB and the chip id against the VCEK")
    group.add_argument("--certs", metavar="DIR",
                       help="folder with vcek.pem|der (and ark/ask, else AMD's bundled ones), as snpguest writes it")
    group.add_argument("--fetch", action="store_true",
                       help="fetch a missing VCEK from AMD's KDS (kdsintf.amd.com; the URL is printed first); "
                            f"without it nothing is fetched. {KDS_BASE_ENV} replaces the base URL (for tests)")
    group.add_argument("--product", choices=PRODUCTS,
                       help="the processor, for version 2 reports that do not say (default: from the report)")


def wanted(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "verify", False) or getattr(args, "certs", None) or getattr(args, "fetch", False)
                or getattr(args, "product", None))


def check(args: argparse.Namespace, report: AttestationReport, announce: bool = True) -> SignatureCheck | None:
    """The signature check the options ask for (None when none is asked). With ``--fetch`` the URL is
    printed on standard error before anything is fetched (when ``announce``)."""
    if not wanted(args):
        return None
    from kata_snp_tui.verify.attestation import CertError, load_cert_dir, verify_report  # cryptography: only now

    try:
        certs = load_cert_dir(args.certs) if args.certs else None
    except CertError as exc:
        raise UserError(f"--certs: {exc}") from None
    if args.fetch and (certs is None or certs.vcek is None) and announce and not report.is_demo:
        url = planned_fetch_url(report, args.product)
        if url:
            print(f"fetching the VCEK from {url}", file=sys.stderr, flush=True)
    try:
        return verify_report(report, certs, fetch=bool(args.fetch), product=args.product)
    except CertError as exc:
        raise UserError(str(exc)) from None


def text_lines(result: SignatureCheck) -> list[str]:
    """The check for the terminal: the verdict and why, then each step."""
    return [f"Signature: {result.status.upper()}: {result.reason}"] + [f"  {line}" for line in result.detail_lines()]
