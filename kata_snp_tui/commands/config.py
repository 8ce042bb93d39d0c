"""`kata-snp-tui config`: not built yet."""

from __future__ import annotations

import argparse

from kata_snp_tui.errors import UserError

HELP = "config (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise UserError("'config' is not built yet")
