"""`kata-snp-tui snapshot OUT [--tar]`: capture this host into a snapshot for --host, a bug report or a helper.

Refuses to overwrite an existing non-empty OUT (exit status 2). Prints what was written and its size.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "capture this host (everything the checks read) into a snapshot folder or .tar.gz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="folder to create (or, with --tar, the .tar.gz file)")
    parser.add_argument("--tar", action="store_true", help="write one .tar.gz file instead of a folder")


def run(args: argparse.Namespace) -> int:
    from kata_snp_tui.snapshot import capture, human_size

    written = capture(Path(args.out), tar=args.tar)
    kind = "tarball" if args.tar else "folder"
    print(f"Wrote a snapshot of this host to {written.path} ({kind}, {written.files} files, "
          f"{human_size(written.size)}).")
    print(f"It is private to you (mode 0600/0700) and holds the kernel log and command line. "
          f"Read it back with: kata-snp-tui check --host {written.path}")
    return 0
