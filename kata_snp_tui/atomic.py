"""Never lose a user's file: atomic replace with fsync, backup, mode and owner kept, change detection."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kata_snp_tui.errors import UserError


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like when it was loaded, to refuse overwriting a newer version."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint | None:
        try:
            st = path.stat()
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return cls(st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())

    @classmethod
    def of_bytes(cls, data: bytes, mtime_ns: int = 0) -> Fingerprint:
        return cls(len(data), mtime_ns, hashlib.sha256(data).hexdigest())


class ChangedOnDisk(UserError):
    """The file changed since it was loaded; writing would lose someone else's edit."""


@dataclass(frozen=True)
class WriteResult:
    path: Path
    backup: Path | None


def backup_name(path: Path, now: float | None = None) -> Path:
    """``name.bak-YYYYmmdd-HHMMSS`` beside the file, never reusing an existing name."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{n}")
        n += 1
    return candidate


def resolve_target(path: Path) -> Path:
    """The file a write to ``path`` must replace: a symlink is followed, so the link itself stays."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def atomic_write(
    path: Path,
    data: bytes,
    *,
    expected: Fingerprint | None = None,
    backup: bool = True,
    mode: int | None = None,
    now: float | None = None,
) -> WriteResult:
    """Write ``data`` to ``path`` atomically.

    A temporary file in the same folder is written, fsynced and renamed over the target, then the
    folder is fsynced. An existing file keeps its mode and owner and, with ``backup``, is copied to a
    timestamped backup first (itself written to a temporary file and renamed, so a backup is never
    half written). With ``expected``, a file that changed since it was loaded is refused. A symlink
    is followed: the file it points to is replaced and the link stays. ``now`` names the backup.
    """
    path = resolve_target(Path(path))
    old_stat = None
    try:
        old_stat = path.stat()
    except FileNotFoundError:
        pass
    if expected is not None:
        current = Fingerprint.of(path)
        if current is None or current.sha256 != expected.sha256:
            raise ChangedOnDisk(f"{path} changed on disk since it was loaded; reload it before saving")
    backup_path: Path | None = None
    if backup and old_stat is not None:
        backup_path = _write_backup(path, old_stat, now)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if old_stat is not None:
            os.chmod(tmp, old_stat.st_mode & 0o7777)
            _copy_owner(old_stat, tmp)
        elif mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return WriteResult(path, backup_path)


def _write_backup(path: Path, old_stat: os.stat_result, now: float | None) -> Path:
    backup_path = backup_name(path, now)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{backup_path.name}.", suffix=".tmp", dir=str(path.parent))
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(path, tmp)
        _copy_owner(old_stat, tmp)
        os.replace(tmp, backup_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return backup_path


@dataclass(frozen=True)
class Backup:
    """A timestamped backup beside a file (``name.bak-YYYYmmdd-HHMMSS[-n]``)."""

    path: Path
    taken_at: datetime
    size: int

    @property
    def label(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M:%S}  {self.path.name}  ({self.size} bytes)"


def backup_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(path.name) + r"\.bak-(\d{8}-\d{6})(?:-(\d+))?")


def parse_backups(path: Path, names: list[str], sizes: dict[str, int] | None = None) -> list[Backup]:
    """The backups of ``path`` among ``names`` (files in its folder), newest first."""
    pattern = backup_pattern(path)
    found: list[tuple[datetime, int, Backup]] = []
    for name in names:
        m = pattern.fullmatch(name)
        if not m:
            continue
        try:
            taken = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
        except ValueError:
            continue
        size = (sizes or {}).get(name, -1)
        found.append((taken, int(m.group(2) or 0), Backup(path.with_name(name), taken, size)))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [b for _, _, b in found]


def list_backups(path: Path) -> list[Backup]:
    """The backups beside ``path`` (a symlink is followed), newest first."""
    path = resolve_target(Path(path))
    try:
        entries = list(os.scandir(path.parent))
    except FileNotFoundError:
        return []
    sizes = {}
    for entry in entries:
        try:
            sizes[entry.name] = entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return parse_backups(path, [e.name for e in entries if e.is_file(follow_symlinks=False)], sizes)


def restore_backup(path: Path, backup: Path, *, expected: Fingerprint | None = None, now: float | None = None) -> WriteResult:
    """Put ``backup``'s content back into ``path`` with the same guarantees as a save (the current file
    is itself backed up first, so a restore can be undone)."""
    data = Path(backup).read_bytes()
    return atomic_write(path, data, expected=expected, backup=True, now=now)


def _copy_owner(st: os.stat_result, target: Path) -> None:
    try:
        os.chown(target, st.st_uid, st.st_gid)
    except PermissionError:
        pass  # not root: the file is ours anyway


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
