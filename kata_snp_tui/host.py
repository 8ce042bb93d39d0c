"""One interface to a host's facts: the live machine, a captured snapshot or the demo host.

Checks read a host only through :class:`Host`; they never know which kind they have.
A snapshot is the format fixed in DESIGN.md ("Host snapshot"): ``snapshot.json`` plus ``fs/``
(files as read on the host) and ``commands/<key>.txt`` (probe command output).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kata_snp_tui.errors import UserError
from kata_snp_tui.probes import command_argv

SNAPSHOT_FORMAT = "kata-snp-tui.host-snapshot"
SNAPSHOT_VERSION = 1
#: Files larger than this are truncated when read (a probe never needs more).
MAX_READ_BYTES = 4 * 1024 * 1024
READ_CHUNK = 64 * 1024
#: Limits for unpacking a snapshot tarball.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 20_000
#: Seconds a probe command may take on the live host before it is abandoned.
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class FileRead:
    """The result of reading one file on a host."""

    path: str
    data: bytes | None
    #: None when read; "absent" when it does not exist; else a short reason (permission denied ...).
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None

    @property
    def absent(self) -> bool:
        return self.error == "absent"

    @property
    def text(self) -> str | None:
        """The content decoded as UTF-8, undecodable bytes replaced (see :attr:`undecodable`)."""
        if self.data is None:
            return None
        return self.data.decode("utf-8", errors="replace")

    @property
    def undecodable(self) -> bool:
        if self.data is None:
            return False
        try:
            self.data.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return b"\x00" in self.data


@dataclass(frozen=True)
class CommandResult:
    """The recorded or live result of one probe command."""

    key: str
    argv: tuple[str, ...]
    #: None when the command could not be started (not installed) or timed out.
    returncode: int | None
    output: bytes = b""
    #: Why it did not run or did not finish ("not found", "timed out after 10 s", ...).
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    @property
    def found(self) -> bool:
        return self.error != "not found"


@dataclass(frozen=True)
class Resources:
    """CPU, memory and disk of a host, as psutil sees them."""

    cpu_count: int | None = None
    mem_total: int | None = None
    mem_available: int | None = None
    #: Free bytes by path (the home folder, /tmp ...).
    disk_free: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "cpu_count": self.cpu_count,
            "mem_total": self.mem_total,
            "mem_available": self.mem_available,
            "disk_free": dict(self.disk_free),
        }

    @classmethod
    def from_json(cls, data: Any) -> Resources:
        if not isinstance(data, dict):
            return cls()

        def _int(value: Any) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        disk = data.get("disk_free") if isinstance(data.get("disk_free"), dict) else {}
        return cls(
            cpu_count=_int(data.get("cpu_count")),
            mem_total=_int(data.get("mem_total")),
            mem_available=_int(data.get("mem_available")),
            disk_free={str(k): v for k, v in disk.items() if _int(v) is not None},
        )


class Host(Protocol):
    """What checks may ask of a host. Implemented by LiveHost and SnapshotHost."""

    #: "live", "demo" or "snapshot".
    kind: str
    #: A human label: the hostname, "demo host" or the snapshot's label and path.
    label: str

    def read(self, path: str) -> FileRead: ...

    def exists(self, path: str) -> bool: ...

    def listdir(self, path: str) -> list[str] | None: ...

    def device(self, path: str) -> str | None:
        """"char" or "block" when the device node exists, None otherwise."""
        ...

    def command(self, key: str) -> CommandResult:
        """Run (or replay) the probe command registered under ``key`` in probes.PROBE_COMMANDS."""
        ...

    def sev_platform_status(self) -> dict[str, Any] | None:
        """The SEV_PLATFORM_STATUS (and SNP_PLATFORM_STATUS) fields, or None when unreadable."""
        ...

    def resources(self, paths: Sequence[str] = ()) -> Resources:
        """CPU, memory and free disk; ``paths`` asks for the free disk of those paths too."""
        ...


# --------------------------------------------------------------------------------------- live


class LiveHost:
    """The machine this process runs on."""

    kind = "live"

    def __init__(self, root: str = "/", probe_timeout: float = PROBE_TIMEOUT) -> None:
        self._root = root
        self._probe_timeout = probe_timeout
        self._command_cache: dict[str, CommandResult] = {}
        self._sev_status: dict[str, Any] | None | bool = False  # False: not read yet
        try:
            self.label = os.uname().nodename or "this machine"
        except OSError:  # pragma: no cover - uname never fails on Linux
            self.label = "this machine"

    def _p(self, path: str) -> str:
        return os.path.join(self._root, path.lstrip("/")) if self._root != "/" else path

    def read(self, path: str) -> FileRead:
        try:
            with open(self._p(path), "rb") as fh:
                return FileRead(path, _read_bounded(fh))
        except FileNotFoundError:
            return FileRead(path, None, "absent")
        except NotADirectoryError:
            return FileRead(path, None, "absent")
        except PermissionError:
            return FileRead(path, None, "permission denied")
        except IsADirectoryError:
            return FileRead(path, None, "is a directory")
        except OSError as exc:
            return FileRead(path, None, exc.strerror or str(exc))

    def exists(self, path: str) -> bool:
        return os.path.lexists(self._p(path))

    def listdir(self, path: str) -> list[str] | None:
        try:
            return sorted(os.listdir(self._p(path)))
        except OSError:
            return None

    def device(self, path: str) -> str | None:
        try:
            mode = os.stat(self._p(path)).st_mode
        except OSError:
            return None
        if stat.S_ISCHR(mode):
            return "char"
        if stat.S_ISBLK(mode):
            return "block"
        return None

    def prefetch_commands(self, keys: Iterable[str], workers: int = 4) -> None:
        """Run these probes side by side (each is a short process start: 15 of them one after another
        cost ~140 ms here, mostly waiting), so the checks' later ``command()`` calls find them done."""
        from concurrent.futures import ThreadPoolExecutor

        todo = [k for k in dict.fromkeys(keys) if k not in self._command_cache]
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
            results = list(pool.map(lambda k: run_probe(k, command_argv(k), self._probe_timeout), todo))
        for key, result in zip(todo, results):
            self._command_cache.setdefault(key, result)

    def command(self, key: str) -> CommandResult:
        if key not in self._command_cache:
            self._command_cache[key] = run_probe(key, command_argv(key), self._probe_timeout)
        return self._command_cache[key]

    def sev_platform_status(self) -> dict[str, Any] | None:
        if self._sev_status is False:
            from kata_snp_tui.sev_ioctl import read_platform_status

            self._sev_status = read_platform_status(self._p("/dev/sev"))
        return self._sev_status  # type: ignore[return-value]

    def refresh(self) -> None:
        """Forget cached command results and the SEV status, so the next check run reads the host again."""
        self._command_cache.clear()
        self._sev_status = False

    def resources(self, paths: Sequence[str] = ()) -> Resources:
        import psutil

        mem = psutil.virtual_memory()
        disk: dict[str, int] = {}
        for path in (str(Path.home()), "/tmp", "/", *paths):
            existing = _nearest_existing(self._p(path))
            try:
                disk[path] = psutil.disk_usage(existing).free
            except OSError:
                continue
        return Resources(psutil.cpu_count(logical=True), mem.total, mem.available, disk)


def _read_bounded(fh: Any) -> bytes:
    """Read up to MAX_READ_BYTES in modest chunks: /proc sysctl files fail (ENOMEM) on a 4 MiB read()."""
    chunks: list[bytes] = []
    size = 0
    while size < MAX_READ_BYTES:
        chunk = fh.read(min(READ_CHUNK, MAX_READ_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _nearest_existing(path: str) -> str:
    """The path itself or its closest existing parent (a workspace may not exist yet)."""
    current = Path(path)
    while not current.exists() and current != current.parent:
        current = current.parent
    return str(current)


def run_probe(key: str, argv: tuple[str, ...], timeout: float) -> CommandResult:
    """Run one short probe command: output and errors merged, bounded in time and size, never raising.

    The command runs in its own session (process group) with stdin closed and ``LC_ALL=C`` (stable
    wording); on timeout the whole group is killed. Probes print a few lines, so a plain pipe read
    to the end is enough here (the build runner streams instead).
    """
    import signal
    import subprocess

    if shutil.which(argv[0]) is None:
        return CommandResult(key, argv, None, b"", "not found")
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
        )
    except OSError as exc:
        return CommandResult(key, argv, None, b"", exc.strerror or str(exc) or "could not run")
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            out, _ = proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:  # a child left the group and holds the pipe: give up on it
            proc.kill()
            out = b""
        return CommandResult(key, argv, None, (out or b"")[:MAX_READ_BYTES], f"timed out after {timeout:g} s")
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name if -proc.returncode in signal.valid_signals() else "?"
        return CommandResult(key, argv, None, out[:MAX_READ_BYTES], f"killed by signal {-proc.returncode} ({name})")
    return CommandResult(key, argv, proc.returncode, out[:MAX_READ_BYTES])


# ----------------------------------------------------------------------------------- snapshot


class SnapshotHost:
    """A host read from a snapshot directory or ``.tar.gz`` (see DESIGN.md)."""

    def __init__(self, path: str | os.PathLike[str], kind: str = "snapshot") -> None:
        self.source = Path(path)
        self.kind = kind
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if not self.source.exists():
            raise UserError(f"snapshot not found: {self.source}")
        if self.source.is_dir():
            self.root = self.source
        elif _is_tarfile(self.source):
            self._tmp = tempfile.TemporaryDirectory(prefix="kata-snp-tui-snapshot-")
            self.root = Path(self._tmp.name)
            try:
                safe_extract(self.source, self.root)
            except BaseException:
                self.close()
                raise
            inner = [p for p in self.root.iterdir()]
            if not (self.root / "snapshot.json").exists() and len(inner) == 1 and inner[0].is_dir():
                self.root = inner[0]
        else:
            raise UserError(f"not a snapshot directory or .tar.gz: {self.source}")
        try:
            self.manifest = load_manifest(self.root / "snapshot.json")
        except BaseException:
            self.close()
            raise
        self._fs_root = (self.root / "fs").resolve()
        default_label = "demo host" if kind == "demo" else str(self.source)
        self.label = str(self.manifest.get("label") or default_label)
        self.captured_at = str(self.manifest.get("captured_at") or "")

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _fs(self, path: str) -> Path | None:
        """Where ``path`` is kept in the snapshot; None for paths that would leave ``fs/`` (.., links out)."""
        rel = Path(path.lstrip("/"))
        if ".." in rel.parts:
            return None
        target = self.root / "fs" / rel
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):
            return None
        if resolved != self._fs_root and self._fs_root not in resolved.parents:
            return None
        return target

    def read(self, path: str) -> FileRead:
        unreadable = self.manifest.get("unreadable") or {}
        if isinstance(unreadable, dict) and path in unreadable:
            return FileRead(path, None, str(unreadable[path]))
        target = self._fs(path)
        if target is None or not target.exists() or target.is_symlink():
            return FileRead(path, None, "absent")
        if target.is_dir():
            return FileRead(path, None, "is a directory")
        with open(target, "rb") as fh:
            return FileRead(path, fh.read(MAX_READ_BYTES))

    def exists(self, path: str) -> bool:
        if self.device(path):
            return True
        target = self._fs(path)
        return target is not None and target.exists()

    def listdir(self, path: str) -> list[str] | None:
        target = self._fs(path)
        if target is None or not target.is_dir():
            return None
        return sorted(p.name for p in target.iterdir() if p.name != ".keep")

    def device(self, path: str) -> str | None:
        devices = self.manifest.get("devices") or {}
        kind = devices.get(path) if isinstance(devices, dict) else None
        return kind if kind in ("char", "block") else None

    def command(self, key: str) -> CommandResult:
        commands = self.manifest.get("commands") or {}
        entry = commands.get(key) if isinstance(commands, dict) else None
        try:
            default_argv = command_argv(key)
        except KeyError:
            default_argv = (key,)
        if not isinstance(entry, dict):
            return CommandResult(key, default_argv, None, b"", "not recorded in this snapshot")
        argv_raw = entry.get("argv")
        argv = tuple(str(a) for a in argv_raw) if isinstance(argv_raw, list) else default_argv
        rc = entry.get("returncode")
        rc = rc if isinstance(rc, int) and not isinstance(rc, bool) else None
        error = entry.get("error")
        output = self._command_output(self.root / "commands" / f"{_safe_key(key)}.txt")
        if rc is None and error is None:
            error = "no exit status recorded"
        return CommandResult(key, argv, rc, output, str(error) if error is not None else None)

    def _command_output(self, path: Path) -> bytes:
        """A recorded output: at most MAX_READ_BYTES of a regular file inside the snapshot. A link, or
        anything resolving outside it, is not read (a shared snapshot must not read the user's files)."""
        try:
            if path.is_symlink() or not path.is_file():
                return b""
            if self.root.resolve() not in path.resolve().parents:
                return b""
            with open(path, "rb") as fh:
                return fh.read(MAX_READ_BYTES)
        except OSError:
            return b""

    def sev_platform_status(self) -> dict[str, Any] | None:
        status = self.manifest.get("sev_platform_status")
        return status if isinstance(status, dict) else None

    def resources(self, paths: Sequence[str] = ()) -> Resources:
        return Resources.from_json(self.manifest.get("resources"))


def _is_tarfile(path: Path) -> bool:
    try:
        return path.is_file() and tarfile.is_tarfile(path)
    except (OSError, EOFError, tarfile.TarError, zlib.error):
        return False


def _safe_key(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key)


def load_manifest(path: Path) -> dict[str, Any]:
    """Read and validate snapshot.json; any problem is a UserError with one clear line."""
    if not path.is_file():
        raise UserError(f"not a host snapshot (no snapshot.json): {path.parent}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"snapshot.json is not UTF-8 text: {path}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"snapshot.json is not valid JSON (line {exc.lineno}): {path}") from None
    if not isinstance(data, dict):
        raise UserError(f"snapshot.json must hold a JSON object: {path}")
    if data.get("format") != SNAPSHOT_FORMAT:
        raise UserError(f"unknown snapshot format {data.get('format')!r} (want {SNAPSHOT_FORMAT!r}): {path}")
    if data.get("version") != SNAPSHOT_VERSION:
        raise UserError(
            f"unsupported snapshot version {data.get('version')!r} (this tool reads {SNAPSHOT_VERSION}): {path}"
        )
    for key in ("commands", "devices", "unreadable"):
        if key in data and not isinstance(data[key], dict):
            raise UserError(f"snapshot.json: {key!r} must be an object: {path}")
    return data


def safe_extract(tar_path: Path, dest: Path) -> None:
    """Unpack a snapshot tarball refusing absolute paths, '..', links, devices and huge members."""
    total = 0
    try:
        with tarfile.open(tar_path, "r:*") as tar:
            members = tar.getmembers()
            if len(members) > MAX_MEMBERS:
                raise UserError(f"snapshot has too many members ({len(members)} > {MAX_MEMBERS}): {tar_path}")
            for m in members:
                name = m.name
                parts = Path(name).parts
                if name.startswith("/") or os.path.isabs(name):
                    raise UserError(f"unsafe snapshot: absolute path {name!r} in {tar_path}")
                if ".." in parts:
                    raise UserError(f"unsafe snapshot: '..' in member {name!r} of {tar_path}")
                if m.issym() or m.islnk():
                    raise UserError(f"unsafe snapshot: link {name!r} -> {m.linkname!r} in {tar_path}")
                if not (m.isfile() or m.isdir()):
                    raise UserError(f"unsafe snapshot: special file {name!r} in {tar_path}")
                if m.size > MAX_MEMBER_BYTES:
                    raise UserError(f"snapshot member too large ({m.size} bytes): {name!r} in {tar_path}")
                total += m.size
                if total > MAX_TOTAL_BYTES:
                    raise UserError(f"snapshot too large when unpacked (> {MAX_TOTAL_BYTES} bytes): {tar_path}")
            for m in members:
                target = dest / m.name
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(m)
                if src is None:
                    continue
                with src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        if isinstance(exc, UserError):
            raise
        raise UserError(f"cannot read snapshot tarball {tar_path}: {exc}") from None


# ------------------------------------------------------------------------------------ sources


@dataclass(frozen=True)
class HostSource:
    """Which host the user asked for: live (default), the bundled demo, or a snapshot path."""

    kind: str = "live"  # "live" | "demo" | "snapshot"
    path: str | None = None

    def describe(self) -> str:
        if self.kind == "demo":
            return "demo host (recorded healthy SNP host, not this machine)"
        if self.kind == "snapshot":
            return f"snapshot {self.path}"
        return "live host (this machine)"


def demo_snapshot_path() -> Path:
    from importlib.resources import files

    return Path(str(files("kata_snp_tui.assets") / "demo" / "host"))


def open_host(source: HostSource) -> Host:
    """Open the host a source names; a bad snapshot raises UserError."""
    if source.kind == "demo":
        from kata_snp_tui.build_state import recorded_demo_workspace
        from kata_snp_tui.demo_host import open_demo_host

        return open_demo_host(demo_snapshot_path(), recorded_demo_workspace())
    if source.kind == "snapshot":
        if not source.path:
            raise UserError("--host needs a snapshot path")
        return SnapshotHost(source.path)
    return LiveHost()
