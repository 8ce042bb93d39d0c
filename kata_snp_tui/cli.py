"""The command line (DESIGN.md, "Command line"). Only the wizard itself imports Textual.

Each subcommand lives in ``kata_snp_tui/commands/<name>.py`` with ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``. Errors a user can cause raise UserError: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kata_snp_tui import __version__
from kata_snp_tui.errors import UserError

SUBCOMMANDS: tuple[str, ...] = ("check", "snapshot", "build", "config", "verify", "report", "export", "serve")


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (not the whole usage) on a bad argument."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_host_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--demo", action="store_true", help="use the bundled demo host (a recorded healthy SNP host)")
    group.add_argument("--host", metavar="SNAPSHOT", help="read a host snapshot (directory or .tar.gz) instead of this machine")


def add_profile_argument(parser: argparse.ArgumentParser, subcommand: bool = False) -> None:
    """``--profile ID``; on a subcommand it keeps a top-level ``kata-snp-tui --profile ID build`` (SUPPRESS)."""
    parser.add_argument(
        "--profile", metavar="ID", default=argparse.SUPPRESS if subcommand else None,
        help="the build profile: guide-3.2 (Kata 3.2.0 as the 2023 guide) or upstream (the current Kata "
             "release); default: chosen from the installed or checked-out Kata, else the host kernel",
    )


def host_source(args: argparse.Namespace):  # -> HostSource
    from kata_snp_tui.host import HostSource

    if getattr(args, "demo", False):
        return HostSource("demo")
    if getattr(args, "host", None):
        return HostSource("snapshot", args.host)
    return HostSource("live")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, just that subcommand's module is imported (the others
    get bare parsers), so a headless command does not pay for every other command's imports."""
    parser = _Parser(
        prog="kata-snp-tui",
        description="Set up Kata Containers with AMD SEV-SNP VMs: host checks, build, configuration, verification.",
    )
    parser.add_argument("--version", action="version", version=f"kata-snp-tui {__version__}")
    add_host_arguments(parser)
    add_profile_argument(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        if only is not None and name != only:
            sub.add_parser(name)
            continue
        module = importlib.import_module(f"kata_snp_tui.commands.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


class _NotSure(Exception):
    pass


class _ProbeParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _NotSure(message)


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (None: none, or unclear), found without importing any command module."""
    probe = _ProbeParser(add_help=False)
    probe.add_argument("--version", action="store_true")
    add_host_arguments(probe)
    add_profile_argument(probe)
    sub = probe.add_subparsers(dest="command", parser_class=_ProbeParser)
    for name in SUBCOMMANDS:
        sub.add_parser(name, add_help=False)
    try:
        return probe.parse_known_args(list(argv))[0].command
    except _NotSure:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_named_command(argv))
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from kata_snp_tui.commands.wizard import run as run_wizard

            return run_wizard(args)
        return int(args._run(args))
    except UserError as exc:
        print(f"kata-snp-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kata-snp-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
