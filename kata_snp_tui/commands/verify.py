"""`kata-snp-tui verify`: is the Kata guest an SEV-SNP guest? With --dmesg-file, read a guest kernel log;
without it, run the guide's test (``ctr image pull``, ``ctr run`` with the Kata runtime) and read the
guest's dmesg, then create /dev/sev-guest and ask for an attestation report when the image can.

Exit status: 0 when SEV-SNP is active in the guest, 1 otherwise (SEV-ES only, SEV only, none, or the run
failed or was cancelled before the guest's dmesg was read: then it prints "result: run failed" or
"result: cancelled" and no verdict), 2 for bad input.
"""

from __future__ import annotations

import argparse
import json

from kata_snp_tui.errors import UserError
from kata_snp_tui.user_input import read_user_file

HELP = "run busybox in a Kata VM and check SEV-SNP in the guest (or read a guest dmesg with --dmesg-file)"
MAX_LOG_BYTES = 32 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kata_snp_tui.verify.run import DEFAULT_IMAGE, DEFAULT_NAME, DEFAULT_RUNTIME

    parser.add_argument("--dmesg-file", metavar="F", help="parse this guest kernel log instead of running a container"
                        " ('-' reads standard input)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--demo", action="store_true", dest="verify_demo",
                        help="replay the demo host's recorded guest run (real processes, recorded output)")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help=f"container image (default {DEFAULT_IMAGE})")
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME, help=f"containerd runtime (default {DEFAULT_RUNTIME})")
    parser.add_argument("--name", default=DEFAULT_NAME, help=f"container name (default {DEFAULT_NAME})")
    parser.add_argument("--no-attest", action="store_true", help="only read dmesg; do not ask for a report")
    parser.add_argument("--report-data", metavar="HEX",
                        help="64 bytes (128 hex digits) the report must carry (default: random)")
    parser.add_argument("--vmpl", type=int, choices=range(4), metavar="N", help="VMPL to request (0..3)")
    parser.add_argument("--timeout", type=float, default=600.0, metavar="S",
                        help="seconds each ctr command may take (default 600)")
    parser.add_argument("--no-cni", action="store_true", help="run without --cni")
    from kata_snp_tui.cli import add_profile_argument

    add_profile_argument(parser, subcommand=True)


def _read_log(name: str) -> str:
    data = read_user_file(name, "dmesg file", MAX_LOG_BYTES)
    if len(data) > MAX_LOG_BYTES:
        raise UserError(f"dmesg file larger than {MAX_LOG_BYTES // (1024 * 1024)} MiB: {name}")
    if b"\x00" in data[:65536]:
        raise UserError(f"not a text log (binary data): {name}")
    return data.decode("utf-8", errors="replace")


def _parse_report_data(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        data = bytes.fromhex(value)
    except ValueError:
        raise UserError("--report-data must be hex digits") from None
    if len(data) > 64:
        raise UserError(f"--report-data is {len(data)} bytes; at most 64")
    return data.ljust(64, b"\0")


def _profile_choice(args: argparse.Namespace, demo: bool):  # -> ProfileChoice
    """The session's profile, chosen as build and config choose it (it decides the expected measurement)."""
    from kata_snp_tui.build_state import workspace_for
    from kata_snp_tui.profiles import choose_for

    return choose_for("demo" if demo else "live", None, workspace_for(demo), getattr(args, "profile", None))


def print_text(verification: object) -> None:
    from kata_snp_tui.verify.report import describe
    from kata_snp_tui.verify.result import Verification

    assert isinstance(verification, Verification)
    v = verification
    if v.demo:
        print("DEMO: replayed recording of the demo host (not this machine)")
    outcome = v.outcome  # the same result the Verify screen, the welcome screen and the report show
    unread = not outcome.completed
    if unread:
        print(f"result: {outcome.label} (the guest's dmesg was not read to its end, so there is no verdict)")
    else:
        print(f"verdict: {outcome.verdict} ({outcome.label})")
    if v.run_failed and v.failure:
        print(f"run: {v.failure}")
    if v.guest.features:
        print(f"features: {' '.join(v.guest.features)}")
    if not unread:
        for s in v.guest.signals:
            mark = "found  " if s.found else "missing"
            where = f"dmesg line {s.line_number}: {s.line}" if s.found else (f"(printed by {s.since})" if s.since else "")
            print(f"  [{mark}] {s.title}  {where}".rstrip())
        for note in v.guest.notes:
            print(f"note: {note}")
    att = v.attestation
    if att.status != "not-attempted" or v.source != "file":
        print(f"attestation: {att.status}: {att.message}")
    for line in att.error_lines:
        print(f"  guest: {line}")
    if att.report is not None:
        if att.report_data_matches is not None:
            print(f"report_data matches the request: {'yes' if att.report_data_matches else 'NO'}")
        for label, value in describe(att.report):
            print(f"  {label:<18}  {value}")
    if v.measurement is not None:
        from kata_snp_tui.commands.report_measure import text_lines

        for line in text_lines(v.measurement):
            print(line)
    for hint in v.extra.get("hints", []):
        print(f"known error: {hint['title']}")
        if hint.get("fix"):
            print(f"  fix: {hint['fix']}")


def run(args: argparse.Namespace) -> int:
    from kata_snp_tui.verify.result import from_dmesg_text, save_last

    if args.dmesg_file is not None:
        verification = from_dmesg_text(_read_log(args.dmesg_file))
    else:
        from kata_snp_tui.verify.run import VerifyOptions, run_headless

        demo = bool(args.verify_demo or getattr(args, "demo", False))
        choice = _profile_choice(args, demo)
        if not args.json:
            print(choice.line)
        options = VerifyOptions(
            image=args.image,
            runtime=args.runtime,
            name=args.name,
            attest=not args.no_attest,
            report_data=_parse_report_data(args.report_data),
            vmpl=args.vmpl,
            timeout=args.timeout,
            cni=not args.no_cni,
            demo=demo,
            profile=choice.profile.id if choice.knows_kata else None,
        )
        options.validate()
        verification = run_headless(options, echo=not args.json)
        save_last(verification)
    if args.json:
        print(json.dumps(verification.to_json(), indent=2))
    else:
        print_text(verification)
    return verification.exit_code
