"""`kata-snp-tui report FILE [--json]`: decode an SNP attestation report.

FILE holds the raw 1184-byte report, the 4000-byte SNP_GET_REPORT response, or either as hex or base64
text (``-`` reads standard input). A file of any other size is refused with exit status 2.

With ``--expected-measurement HEX`` or ``--measure`` it also compares the report's measurement with the
expected one (report_measure.py): exit status 0 match, 1 mismatch, 3 unknown (the reason is printed).
With ``--verify`` (or ``--certs``/``--fetch``/``--product``) it checks the signature and the certificate chain
(report_verify.py): 0 valid, 1 invalid, 3 unverifiable. Both together: 1 if either fails, else 3 if either
cannot decide, else 0.
"""

from __future__ import annotations

import argparse
import json

from kata_snp_tui.commands import report_measure, report_verify
from kata_snp_tui.errors import UserError
from kata_snp_tui.user_input import read_user_file
from kata_snp_tui.verify.report import ReportError, decode_any, describe

HELP = "decode an SNP attestation report (raw, ioctl response, hex or base64)"
#: Never read more than this: the largest accepted input is base64 or spaced hex of 4000 bytes.
MAX_INPUT = 64 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the report file ('-' for standard input)")
    parser.add_argument("--json", action="store_true", help="print the fields as JSON")
    report_measure.add_arguments(parser)
    from kata_snp_tui.cli import add_profile_argument

    add_profile_argument(parser, subcommand=True)
    report_verify.add_arguments(parser)


def read_input(name: str) -> bytes:
    data = read_user_file(name, "report file", MAX_INPUT)
    if len(data) > MAX_INPUT:
        raise UserError(f"not an SNP attestation report: {name} is larger than {MAX_INPUT} bytes")
    return data


def run(args: argparse.Namespace) -> int:
    data = read_input(args.file)
    try:
        decoded = decode_any(data)
    except ReportError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    report = decoded.report
    measurement = report_measure.compare(args, report)
    signature = report_verify.check(args, report)
    status = _combined_status(measurement.exit_code if measurement is not None else 0,
                              signature.exit_code if signature is not None else 0)
    if args.json:
        out = report.to_json()
        out["input"] = {"encoding": decoded.encoding, "container": decoded.container}
        if measurement is not None:
            out["measurement_comparison"] = measurement.to_json()
        if signature is not None:
            out["signature_check"] = signature.to_json()
        print(json.dumps(out, indent=2))
        return status
    what = "SNP_GET_REPORT response" if decoded.container == "response" else "attestation report"
    print(f"SNP {what} ({decoded.encoding}), {len(report.raw)}-byte report")
    rows = describe(report)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    if measurement is not None:
        print("\n".join(report_measure.text_lines(measurement)))
    if signature is not None:
        print("\n".join(report_verify.text_lines(signature)))
    return status


def _combined_status(*codes: int) -> int:
    """1 when a check failed, else 3 when one could not decide, else 0."""
    return 1 if 1 in codes else 3 if 3 in codes else 0
