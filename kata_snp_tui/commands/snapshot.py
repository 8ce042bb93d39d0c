"""`kata-snp-tui snapshot`: being built."""

from __future__ import annotations

import argparse

from kata_snp_tui.errors import UserError

HELP = "snapshot (being built)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise UserError("'snapshot' is not built yet")
