"""Never lose a user's file: atomic replace with fsync, backup, mode and owner kept, change detection."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
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


def atomic_write(
    path: Path,
    data: bytes,
    *,
    expected: Fingerprint | None = None,
    backup: bool = True,
    mode: int | None = None,
) -> WriteResult:
    """Write ``data`` to ``path`` atomically.

    A temporary file in the same folder is written, fsynced and renamed over the target, then the
    folder is fsynced. An existing file keeps its mode and owner and, with ``backup``, is copied to a
    timestamped backup first. With ``expected``, a file that changed since it was loaded is refused.
    """
    path = Path(path)
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
        backup_path = backup_name(path)
        shutil.copy2(path, backup_path)
        _copy_owner(old_stat, backup_path)
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
