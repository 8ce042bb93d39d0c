"""`kata-snp-tui check [--json] [--profile ID] [--demo | --host S]`: run the host checks headless.

Exit status: 0 ready, 1 not ready, 2 bad input (one line on standard error). No Textual here.
"""

from __future__ import annotations

import argparse
import json
import sys

from kata_snp_tui.cli import add_host_arguments, host_source
from kata_snp_tui.errors import UserError

HELP = "check whether this host (or a snapshot, or the demo host) can run SNP guests"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON (DESIGN.md format)")
    parser.add_argument("--profile", metavar="ID",
                        help="compare the host with this profile (guide-3.2, upstream); default: chosen from the "
                             "installed Kata, the checkout, else the guide's")
    add_host_arguments(parser)
    # `kata-snp-tui --demo check` must keep the top-level --demo/--host: when not given here, set nothing
    # (a subcommand's defaults would otherwise overwrite the top-level values).
    for action in parser._actions:
        if action.dest in ("demo", "host"):
            action.default = argparse.SUPPRESS


def run(args: argparse.Namespace) -> int:
    from kata_snp_tui.checks import run_checks
    from kata_snp_tui.checks.render import make_console, render_report
    from kata_snp_tui.host import open_host

    if getattr(args, "demo", False) and getattr(args, "host", None):
        raise UserError("--demo and --host cannot be used together")
    profile = getattr(args, "profile", None)
    if profile is not None:
        _known_profile(profile)
    host = open_host(host_source(args))
    try:
        from kata_snp_tui.build_state import shown_workspace

        # the demo's paths are the recorded host's workspace, never this machine's home
        report = run_checks(host, workspace=shown_workspace(host_source(args).kind == "demo"), profile=profile)
    finally:
        close = getattr(host, "close", None)
        if callable(close):
            close()
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render_report(report, make_console())
    sys.stdout.flush()
    return 0 if report.ready else 1


def _known_profile(profile_id: str) -> None:
    """A user's --profile must name a known profile (one line on standard error, exit 2, otherwise)."""
    try:
        from kata_snp_tui import profiles
    except ImportError:  # pragma: no cover - the profiles module ships with the package
        raise UserError("--profile: no profiles are available in this installation") from None
    known = [p.id for p in profiles.load_profiles()]
    if profile_id not in known:
        raise UserError(f"--profile: unknown profile {profile_id!r} (known: {', '.join(known)})")
