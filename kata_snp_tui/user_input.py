"""Read a file the user named on the command line ('-' for standard input), bounded in size, with
one clear UserError for each way it can fail (missing, a folder, permission denied, other)."""

from __future__ import annotations

import sys
from pathlib import Path

from kata_snp_tui.errors import UserError


def read_user_file(name: str, what: str, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``name``, so the caller can tell "too large" with its own words.

    ``what`` names the file in messages ("report file", "dmesg file")."""
    if name == "-":
        return sys.stdin.buffer.read(limit + 1)
    try:
        with Path(name).open("rb") as fh:
            return fh.read(limit + 1)
    except FileNotFoundError:
        raise UserError(f"{what} not found: {name}") from None
    except IsADirectoryError:
        raise UserError(f"{what} is a directory: {name}") from None
    except PermissionError:
        raise UserError(f"cannot read {what} (permission denied): {name}") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {name}: {exc.strerror or exc}") from None
