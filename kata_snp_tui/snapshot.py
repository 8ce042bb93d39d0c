"""Capture the live host into a snapshot (DESIGN.md, "Host snapshot"), including everything the checks read.

How: wrap the :class:`~kata_snp_tui.host.LiveHost` in a :class:`RecordingHost`, run every check
through it (and read every shared fact, whatever the check tree skipped), run every probe of
``probes.PROBE_COMMANDS``, then write what was seen:

- ``fs/<path>`` for each file read (as read, at most ``MAX_READ_BYTES``), a directory that exists
  as a folder holding ``.keep``; a file whose existence alone was asked is an empty placeholder
  listed in ``unreadable`` ("not captured: only its existence was checked"), so nobody mistakes it
  for its content;
- ``unreadable`` {path: reason} for files that exist but could not be read (permission denied);
- ``commands/<key>.txt`` plus ``snapshot.json`` ``commands`` {key: {argv, returncode, error}};
- ``devices``, ``sev_platform_status``, ``resources`` (CPU, memory, free disk incl. the workspace).

Everything written is private to the user (folders 0700, files 0600): a kernel log and a
command line say a lot about a machine. ``--tar`` packs the folder as ``.tar.gz``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from kata_snp_tui import __version__
from kata_snp_tui.errors import UserError
from kata_snp_tui.host import (
    SNAPSHOT_FORMAT,
    SNAPSHOT_VERSION,
    CommandResult,
    FileRead,
    LiveHost,
    Resources,
    _safe_key,
)
from kata_snp_tui.probes import PROBE_COMMANDS

NOT_CAPTURED = "not captured: only its existence was checked"
_UNSET: Any = object()


class RecordingHost:
    """A Host that forwards to a live host and remembers every answer."""

    def __init__(self, inner: LiveHost) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.label = inner.label
        self.reads: dict[str, FileRead] = {}
        self.exists_seen: dict[str, bool] = {}
        self.listdirs: dict[str, list[str] | None] = {}
        self.devices: dict[str, str | None] = {}
        self.commands: dict[str, CommandResult] = {}
        self.sev_status: Any = _UNSET
        self.resources_seen: Resources | None = None

    def refresh(self) -> None:
        self.inner.refresh()

    def read(self, path: str) -> FileRead:
        result = self.inner.read(path)
        self.reads[path] = result
        return result

    def exists(self, path: str) -> bool:
        result = self.inner.exists(path)
        self.exists_seen[path] = result
        return result

    def listdir(self, path: str) -> list[str] | None:
        result = self.inner.listdir(path)
        self.listdirs[path] = result
        return result

    def device(self, path: str) -> str | None:
        result = self.inner.device(path)
        self.devices[path] = result
        return result

    def command(self, key: str) -> CommandResult:
        result = self.inner.command(key)
        self.commands[key] = result
        return result

    def sev_platform_status(self) -> dict[str, Any] | None:
        result = self.inner.sev_platform_status()
        self.sev_status = result
        return result

    def resources(self, paths: Sequence[str] = ()) -> Resources:
        result = self.inner.resources(paths=paths)
        self.resources_seen = result
        return result


@dataclass(frozen=True)
class SnapshotWritten:
    path: Path
    files: int
    size: int


def _clean_path(path: str) -> PurePosixPath | None:
    """The path below fs/ for an absolute, normalised host path; None for anything else."""
    p = PurePosixPath(path)
    if not p.is_absolute() or ".." in p.parts or str(p) != os.path.normpath(path):
        return None
    rel = p.relative_to("/")
    return rel if rel.parts else None


class _Writer:
    """Writes the snapshot folder with private permissions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fs = root / "fs"

    def mkdir(self, path: Path) -> None:
        if path.is_dir():
            return
        if not path.parent.is_dir():
            self.mkdir(path.parent)
        path.mkdir(mode=0o700)
        os.chmod(path, 0o700)

    def write(self, path: Path, data: bytes) -> None:
        self.mkdir(path.parent)
        if path.is_dir():  # already recorded as a folder; a file cannot replace it
            return
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(path, 0o600)

    def keep_dir(self, rel: PurePosixPath) -> None:
        d = self.fs / rel
        if d.exists() and not d.is_dir():  # a placeholder file stood here: the folder wins
            d.unlink()
        self.mkdir(d)
        if not (d / ".keep").exists():
            self.write(d / ".keep", b"")


def record_host(host: LiveHost, workspace: Path | None = None) -> RecordingHost:
    """Run every check and probe against ``host`` through a recorder and return it."""
    from kata_snp_tui.checks import CHECK_SPECS, collect_facts
    from kata_snp_tui.checks.runner import run_tree

    recorder = RecordingHost(host)
    facts = collect_facts(recorder, workspace)
    run_tree(CHECK_SPECS, facts)
    facts.prefetch()
    for key in PROBE_COMMANDS:
        recorder.command(key)
    if recorder.sev_status is _UNSET:
        recorder.sev_platform_status()
    for dev in ("/dev/sev", "/dev/kvm"):
        if dev not in recorder.devices:
            recorder.device(dev)
    return recorder


def write_snapshot(recorder: RecordingHost, root: Path, workspace: Path | None = None) -> None:
    """Write what ``recorder`` saw into the empty folder ``root``."""
    w = _Writer(root)
    w.mkdir(root)
    os.chmod(root, 0o700)
    w.mkdir(w.fs)
    w.mkdir(root / "commands")
    unreadable: dict[str, str] = {}

    # Folders first, then placeholders, then real content (content wins over a placeholder).
    for path, entries in recorder.listdirs.items():
        rel = _clean_path(path)
        if rel is None or entries is None:
            continue
        w.keep_dir(rel)
        for name in entries:
            child = f"{path.rstrip('/')}/{name}"
            crel = _clean_path(child)
            if crel is None or child in recorder.reads:
                continue
            if os.path.isdir(child):
                w.keep_dir(crel)
            else:
                w.write(w.fs / crel, b"")
                unreadable[child] = NOT_CAPTURED
    for path, present in recorder.exists_seen.items():
        rel = _clean_path(path)
        if rel is None or not present or path in recorder.reads or recorder.devices.get(path):
            continue
        if os.path.isdir(path):
            w.keep_dir(rel)
        elif not (w.fs / rel).exists():
            w.write(w.fs / rel, b"")
            unreadable[path] = NOT_CAPTURED
    for path, result in recorder.reads.items():
        rel = _clean_path(path)
        if rel is None:
            continue
        if result.ok and result.data is not None:
            w.write(w.fs / rel, result.data)
            unreadable.pop(path, None)
        elif result.error == "is a directory":
            w.keep_dir(rel)
        elif not result.absent:
            unreadable[path] = str(result.error)

    commands: dict[str, Any] = {}
    for key, result in sorted(recorder.commands.items()):
        entry: dict[str, Any] = {"argv": list(result.argv), "returncode": result.returncode}
        if result.error is not None:
            entry["error"] = result.error
        commands[key] = entry
        w.write(root / "commands" / f"{_safe_key(key)}.txt", result.output)

    resources = recorder.resources_seen or recorder.inner.resources(
        paths=(str(workspace),) if workspace else ())
    status = None if recorder.sev_status is _UNSET else recorder.sev_status
    manifest = {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "captured_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "label": recorder.label,
        "hostname": recorder.label,
        "captured_by": f"kata-snp-tui {__version__}",
        "uid": os.getuid(),
        "commands": commands,
        "devices": {p: k for p, k in sorted(recorder.devices.items()) if k},
        "sev_platform_status": status,
        "resources": resources.to_json(),
        "unreadable": dict(sorted(unreadable.items())),
    }
    w.write(root / "snapshot.json", (json.dumps(manifest, indent=2) + "\n").encode())


def _tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            size += os.lstat(os.path.join(dirpath, name)).st_size
    return files, size


def _refuse_existing(out: Path) -> None:
    if out.is_symlink():
        raise UserError(f"refusing to write through a symbolic link: {out}")
    if out.is_dir():
        if any(out.iterdir()):
            raise UserError(f"refusing to overwrite {out}: it exists and is not empty")
    elif out.exists():
        if out.stat().st_size > 0:
            raise UserError(f"refusing to overwrite {out}: it exists and is not empty")
        if not stat.S_ISREG(out.stat().st_mode):
            raise UserError(f"{out} exists and is not a regular file")


def _tar_name(out: Path) -> str:
    name = out.name
    for suffix in (".tar.gz", ".tgz", ".gz", ".tar"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name or "host-snapshot"


def tarball_path(out: Path) -> tuple[Path, str]:
    """Where ``snapshot OUT --tar`` writes and how: (path, tarfile write mode).

    ``x.tar.gz`` and ``x.tgz`` are gzip-compressed, ``x.tar`` is a plain (uncompressed) tar, so the
    name always says what the file is; any other name gets ``.tar.gz`` added (``myhost`` ->
    ``myhost.tar.gz``, the name the README's hand-off then reads back).
    """
    name = out.name
    if name.endswith((".tar.gz", ".tgz")):
        return out, "w:gz"
    if name.endswith(".tar"):
        return out, "w"
    return out.with_name(f"{name}.tar.gz"), "w:gz"


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o700 if info.isdir() else 0o600
    return info


def capture(out: Path, tar: bool = False, host: LiveHost | None = None,
            workspace: Path | None = None) -> SnapshotWritten:
    """Capture ``host`` (default: this machine) into ``out`` (a folder, or a .tar.gz with ``tar``)."""
    from kata_snp_tui.paths import default_workspace

    out = Path(out)
    mode = "w:gz"
    if tar:
        out, mode = tarball_path(out)
    _refuse_existing(out)
    if not out.parent.is_dir():
        raise UserError(f"the folder {out.parent} does not exist")
    workspace = workspace if workspace is not None else default_workspace()
    recorder = record_host(host or LiveHost(), workspace)
    if not tar:
        existed = out.is_dir()
        try:
            write_snapshot(recorder, out, workspace)
        except OSError as exc:
            if not existed:
                shutil.rmtree(out, ignore_errors=True)
            raise UserError(f"cannot write the snapshot to {out}: {exc.strerror or exc}") from None
        files, size = _tree_size(out)
        return SnapshotWritten(out, files, size)
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-capture-") as tmp:
        folder = Path(tmp) / _tar_name(out)
        write_snapshot(recorder, folder, workspace)
        files, _ = _tree_size(folder)
        partial = out.with_name(f".{out.name}.partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode=mode) as archive:
                archive.add(folder, arcname=folder.name, filter=_private)
            os.replace(partial, out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise UserError(f"cannot write the snapshot to {out}: {exc.strerror or exc}") from None
    return SnapshotWritten(out, files, out.stat().st_size)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover


__all__ = ["RecordingHost", "SnapshotWritten", "capture", "tarball_path", "record_host", "write_snapshot", "human_size"]
