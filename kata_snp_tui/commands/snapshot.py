"""`kata-snp-tui snapshot OUT [--tar]`: capture this host into a snapshot for --host, a bug report or a helper.

Refuses to overwrite an existing non-empty OUT (exit status 2). Prints what was written (with --tar, OUT
plus .tar.gz unless it already ends in .tar.gz, .tgz or .tar), its size, and the command that reads it back.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "capture this host (everything the checks read) into a snapshot folder or .tar.gz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT",
                        help="folder to create (or, with --tar, the file: .tar.gz is added unless OUT ends "
                             "in .tar.gz, .tgz or .tar; .tar is written uncompressed)")
    parser.add_argument("--tar", action="store_true", help="write one .tar.gz file instead of a folder")


def run(args: argparse.Namespace) -> int:
    import shlex

    from kata_snp_tui.snapshot import capture, human_size

    written = capture(Path(args.out), tar=args.tar)
    if not args.tar:
        kind = "folder"
    elif written.path.name.endswith(".tar"):
        kind = "uncompressed tarball"
    else:
        kind = "gzip tarball"
    print(f"Wrote a snapshot of this host to {written.path} ({kind}, {written.files} files, "
          f"{human_size(written.size)}).")
    print(f"It is private to you (mode 0600/0700) and holds the kernel log and command line. "
          f"Read it back with: kata-snp-tui check --host {shlex.quote(str(written.path))}")
    return 0
