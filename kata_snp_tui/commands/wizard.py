"""Start the Textual wizard (the only command that imports Textual)."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from kata_snp_tui.app import make_app
    from kata_snp_tui.cli import host_source
    from kata_snp_tui.host import open_host

    source = host_source(args)
    open_host(source)  # a bad snapshot is a UserError before the screen takes over the terminal
    app = make_app(source)
    app.run()
    return int(app.return_code or 0)
