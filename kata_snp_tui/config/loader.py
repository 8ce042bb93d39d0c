"""Reading a configuration file the user asked to edit, refusing what cannot be a TOML config."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kata_snp_tui.atomic import Fingerprint, resolve_target
from kata_snp_tui.errors import UserError

#: Anything larger is not a configuration file.
MAX_CONFIG_BYTES = 4 * 1024 * 1024


class NeedsPrivilege(UserError):
    """The file exists but only root can read it."""


@dataclass(frozen=True)
class LoadedFile:
    #: The path as the user knows it.
    path: Path
    #: The file a save replaces (``path`` with symlinks followed).
    target: Path
    data: bytes
    text: str
    fingerprint: Fingerprint
    #: True when it had to be read through sudo.
    privileged_read: bool = False

    @property
    def is_symlink(self) -> bool:
        return self.target != self.path


def decode_config(data: bytes, path: Path) -> str:
    """The text of a config file; UserError for empty, binary or non-UTF-8 content."""
    if len(data) > MAX_CONFIG_BYTES:
        raise UserError(f"{path} is {len(data)} bytes: too large to be a configuration file")
    if b"\x00" in data:
        raise UserError(f"{path} is a binary file, not a TOML configuration")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text (byte {exc.start}): not a TOML configuration") from None
    if not text.strip():
        raise UserError(f"{path} is empty")
    return text


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; UserError when it is missing or not a file, NeedsPrivilege when unreadable."""
    try:
        if path.is_dir():
            raise UserError(f"{path} is a folder, not a file")
        with open(path, "rb") as fh:
            return fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise UserError(f"{path} does not exist") from None
    except PermissionError:
        raise NeedsPrivilege(f"{path} is readable only by root") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


def load_file(path: Path, privileged_reader: Callable[[Path], bytes] | None = None) -> LoadedFile:
    """Read and decode ``path``. When only root may read it and ``privileged_reader`` is given, use that."""
    path = Path(os.path.abspath(path))
    target = resolve_target(path)
    privileged = False
    try:
        data = read_bytes(path)
    except NeedsPrivilege:
        if privileged_reader is None:
            raise
        data = privileged_reader(target)
        privileged = True
    text = decode_config(data, path)
    return LoadedFile(path=path, target=target, data=data, text=text, fingerprint=Fingerprint.of_bytes(data), privileged_read=privileged)
