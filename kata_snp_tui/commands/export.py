"""`kata-snp-tui export [--demo | --host S] [--profile ID] [--format md|json] [-o FILE]`: the session report.

Runs the host checks, reads the persisted build state and the last verification from the state folder,
and writes the report as Markdown (default) or JSON to standard output or to FILE (mode 0600).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kata_snp_tui.errors import UserError

HELP = "export the session report (host checks, build, configuration, verification) as Markdown or JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kata_snp_tui.cli import add_host_arguments, add_profile_argument

    add_host_arguments(parser)
    add_profile_argument(parser, subcommand=True)
    parser.add_argument("--format", choices=("md", "json"), default=None,
                        help="md (default, or from FILE's suffix) or json")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def write_report(path: Path, text: str) -> None:
    """Write a report file 0600 atomically; a clear error when the folder does not exist or is not writable."""
    from kata_snp_tui.export import write_private

    if path.is_dir():
        raise UserError(f"output is a directory: {path}")
    if not path.parent.exists():
        raise UserError(f"output folder does not exist: {path.parent}")
    try:
        write_private(path, text)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    from kata_snp_tui.cli import host_source
    from kata_snp_tui.export import headless, to_json_text, to_markdown
    from kata_snp_tui.host import open_host

    fmt = args.format
    if fmt is None:
        fmt = "json" if args.output and args.output.endswith(".json") else "md"
    source = host_source(args)
    host = open_host(source)
    problems: list[str] = []
    doc = headless(source, host, problems=problems, profile=getattr(args, "profile", None))
    for problem in problems:
        print(f"kata-snp-tui: warning: {problem}", file=sys.stderr)
    text = to_json_text(doc) if fmt == "json" else to_markdown(doc)
    if args.output and args.output != "-":
        write_report(Path(args.output), text)
        print(f"session report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
