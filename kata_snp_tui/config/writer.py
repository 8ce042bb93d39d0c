"""Saving and restoring a configuration file without ever losing it.

``save_file`` writes atomically (``atomic.atomic_write``) when the user may replace the file and keep its
owner; otherwise it goes through sudo to ``privileged_write``, which performs the very same write as root.
Either way: the new content must parse as TOML, a timestamped backup is kept beside the file, mode and
owner stay, and a file that changed on disk since it was loaded is left alone.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kata_snp_tui import paths
from kata_snp_tui.atomic import Backup, ChangedOnDisk, Fingerprint, atomic_write, list_backups, resolve_target
from kata_snp_tui.config.sudo import Sudo, SudoError
from kata_snp_tui.errors import UserError

HELPER_MODULE = "kata_snp_tui.config.privileged_write"


class NeedsRoot(UserError):
    """The file can only be written as root and no way to reach root was given."""


@dataclass(frozen=True)
class SaveResult:
    path: Path
    backup: Path | None
    via_sudo: bool


def can_write_directly(target: Path) -> bool:
    """True when this process can replace ``target`` and keep its owner (root, or the owner with a
    writable folder)."""
    target = resolve_target(Path(target))
    folder = target.parent
    if os.geteuid() == 0:
        return True
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        st = target.stat()
    except FileNotFoundError:
        return True
    return st.st_uid == os.geteuid() and os.access(target, os.W_OK)


def check_toml(data: bytes, path: Path) -> None:
    try:
        tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"refusing to write {path}: the new content is not valid TOML ({exc})") from None


def _helper_argv(*args: str) -> list[str]:
    # -I: isolated mode, so root's Python ignores PYTHON* variables and the current folder
    return [sys.executable, "-I", "-m", HELPER_MODULE, *args]


def _helper_reply(proc_stdout: bytes, stderr: bytes, returncode: int) -> dict[str, object]:
    for line in reversed(proc_stdout.decode("utf-8", "replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                break
    message = stderr.decode("utf-8", "replace").strip().splitlines()
    raise SudoError(f"the privileged write failed (exit {returncode}): {message[-1] if message else 'no output'}")


def save_file(
    target: Path,
    data: bytes,
    *,
    expected: Fingerprint | None,
    sudo: Sudo | None = None,
    privileged: bool | None = None,
    require_toml: bool = True,
    backup: bool = True,
    now: float | None = None,
) -> SaveResult:
    """Write ``data`` to ``target``; through ``sudo`` when ``privileged`` (default: when needed).

    ``expected`` is the fingerprint of the content the edit started from; None means the file must
    not exist yet. Either way a file that differs on disk is refused (ChangedOnDisk).
    """
    target = resolve_target(Path(target))
    if require_toml:
        check_toml(data, target)
    use_sudo = (not can_write_directly(target)) if privileged is None else privileged
    if not use_sudo:
        if expected is None and target.exists():
            raise ChangedOnDisk(f"{target} appeared on disk since it was checked; reload it before saving")
        result = atomic_write(target, data, expected=expected, backup=backup, now=now)
        if Fingerprint.of(result.path) is None or Fingerprint.of(result.path).sha256 != Fingerprint.of_bytes(data).sha256:  # type: ignore[union-attr]
            raise UserError(f"{target} does not read back as written")
        return SaveResult(result.path, result.backup, via_sudo=False)
    if sudo is None:
        raise NeedsRoot(f"{target} belongs to root: saving it needs sudo")
    return _save_via_sudo(target, data, expected=expected, sudo=sudo, require_toml=require_toml, backup=backup)


def _save_via_sudo(target: Path, data: bytes, *, expected: Fingerprint | None, sudo: Sudo, require_toml: bool, backup: bool) -> SaveResult:
    fd, name = tempfile.mkstemp(prefix="content-", suffix=".toml", dir=str(paths.state_dir()))
    content = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(content, 0o600)
        return _run_helper_write(target, content, expected=expected, sudo=sudo, require_toml=require_toml, backup=backup)
    finally:
        content.unlink(missing_ok=True)


def _run_helper_write(
    target: Path, content: Path, *, expected: Fingerprint | None, sudo: Sudo, require_toml: bool, backup: bool
) -> SaveResult:
    args = ["write", str(target), "--content", str(content)]
    args += ["--expect-sha256", expected.sha256] if expected is not None else ["--expect-absent"]
    if not backup:
        args.append("--no-backup")
    if require_toml:
        args.append("--require-toml")
    proc = sudo.run(_helper_argv(*args))
    reply = _helper_reply(proc.stdout, proc.stderr, proc.returncode)
    if not reply.get("ok"):
        message = str(reply.get("error", "the privileged write failed"))
        if reply.get("changed"):
            raise ChangedOnDisk(message)
        raise UserError(message)
    backup_path = reply.get("backup")
    return SaveResult(Path(str(reply["path"])), Path(str(backup_path)) if backup_path else None, via_sudo=True)


def read_privileged(path: Path, sudo: Sudo) -> bytes:
    """The bytes of a file only root can read."""
    proc = sudo.run(_helper_argv("read", str(path)))
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UserError(message[-1] if message else f"cannot read {path} as root")
    return proc.stdout


def backups_of(target: Path, sudo: Sudo | None = None) -> list[Backup]:
    """The backups beside ``target``, newest first (listed through sudo when the folder is closed)."""
    target = resolve_target(Path(target))
    if os.access(target.parent, os.R_OK | os.X_OK) or sudo is None:
        return list_backups(target)
    proc = sudo.run(_helper_argv("list", str(target)))
    reply = _helper_reply(proc.stdout, proc.stderr, proc.returncode)
    return [
        Backup(Path(str(b["path"])), datetime.fromisoformat(str(b["taken_at"])), int(b["size"]))  # type: ignore[index,call-overload]
        for b in reply.get("backups", [])  # type: ignore[union-attr]
    ]


def read_backup(backup: Path, sudo: Sudo | None = None) -> bytes:
    try:
        return Path(backup).read_bytes()
    except PermissionError:
        if sudo is None:
            raise NeedsRoot(f"{backup} is readable only by root") from None
        return read_privileged(Path(backup), sudo)


def restore_file(
    target: Path,
    backup: Path,
    *,
    expected: Fingerprint | None,
    sudo: Sudo | None = None,
    privileged: bool | None = None,
    now: float | None = None,
) -> SaveResult:
    """Put ``backup`` back as ``target`` with the guarantees of :func:`save_file` (the current content is
    backed up first, so a restore can itself be undone)."""
    target = resolve_target(Path(target))
    data = read_backup(backup, sudo)
    return save_file(target, data, expected=expected, sudo=sudo, privileged=privileged, now=now)
