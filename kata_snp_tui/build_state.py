"""What happened to each build step, persisted so a restarted wizard resumes where it stopped.

One JSON file per workspace in the build state folder (files 0600, written atomically)::

    {"format": "kata-snp-tui.build-state", "version": 1, "workspace": "/home/me/kata-snp-workspace",
     "steps": {"kernel-build": {"status": "failed", "exit_code": 2, "started_at": "2024-...Z",
                                "duration": 81.2, "log": ".../logs/kernel-build.log", "message": "...",
                                "pid": 1234, "pid_started": 1717000000.5,
                                "runner_pid": 1200, "runner_started": 1716999990.1}}}

A step recorded as ``running`` whose runner process is gone (the wizard was killed) becomes
``cancelled`` ("interrupted") when the state is loaded, and the step's process group, if it is still
there, is ended (see :meth:`BuildState.recover`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

import psutil

from kata_snp_tui import paths
from kata_snp_tui.atomic import atomic_write

STATE_FORMAT = "kata-snp-tui.build-state"
STATE_VERSION = 1


class StepStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Done or skipped: a later step that needs this one may run."""
        return self in (StepStatus.DONE, StepStatus.SKIPPED)


@dataclass(frozen=True)
class StepRecord:
    """The persisted state of one step."""

    status: StepStatus = StepStatus.PENDING
    exit_code: int | None = None
    #: ISO 8601, UTC.
    started_at: str | None = None
    #: Seconds.
    duration: float | None = None
    log: str | None = None
    message: str = ""
    pid: int | None = None
    pid_started: float | None = None
    runner_pid: int | None = None
    runner_started: float | None = None
    #: The value of KATA_SNP_TUI_STEP in the running step's environment (finds its daemons).
    token: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_json(cls, data: Any) -> StepRecord:
        if not isinstance(data, dict):
            return cls()
        try:
            status = StepStatus(data.get("status", "pending"))
        except ValueError:
            status = StepStatus.PENDING

        def num(key: str, kind: type) -> Any:
            v = data.get(key)
            return kind(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

        return cls(
            status=status,
            exit_code=num("exit_code", int),
            started_at=data.get("started_at") if isinstance(data.get("started_at"), str) else None,
            duration=num("duration", float),
            log=data.get("log") if isinstance(data.get("log"), str) else None,
            message=str(data.get("message", "")),
            pid=num("pid", int),
            pid_started=num("pid_started", float),
            runner_pid=num("runner_pid", int),
            runner_started=num("runner_started", float),
            token=data.get("token") if isinstance(data.get("token"), str) else None,
        )


@dataclass(frozen=True)
class BuildPaths:
    """Where one kind of build (real or demo) keeps its state, logs and lock."""

    root: Path
    logs: Path
    #: The demo keeps one state file whatever the workspace (its workspace is its own, see
    #: :func:`demo_workspace`).
    demo: bool = False

    @classmethod
    def default(cls, demo: bool = False, create: bool = True) -> BuildPaths:
        """``state_dir()/logs`` and ``state_dir()/build`` for real builds; ``state_dir()/demo/...`` for the demo.
        ``create=False`` only names them (for readers that must not create folders)."""
        base = paths.state_dir(create=create)
        if demo:
            base = paths.ensure_private_dir(base / "demo") if create else base / "demo"
        return cls(root=base / "build", logs=base / "logs", demo=demo)

    def ensure(self) -> BuildPaths:
        paths.ensure_private_dir(self.root)
        paths.ensure_private_dir(self.logs)
        return self

    def state_file(self, workspace: Path) -> Path:
        if self.demo:
            return self.root / "state-demo.json"
        resolved = str(Path(workspace).expanduser().absolute())
        digest = hashlib.sha256(resolved.encode()).hexdigest()[:10]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(resolved).name)[:40] or "root"
        return self.root / f"state-{slug}-{digest}.json"

    def log_file(self, step_id: str) -> Path:
        return self.logs / f"{step_id}.log"


def demo_workspace() -> Path:
    """Where the demo's build "happens": a folder of the state dir, never the user's workspace."""
    return paths.ensure_private_dir(paths.state_dir() / "demo" / "workspace")


def recorded_demo_workspace() -> Path:
    """The workspace of the recorded demo host (assets/demo/demo.toml): the paths the demo shows."""
    import tomllib
    from importlib.resources import files

    data = tomllib.loads((files("kata_snp_tui.assets") / "demo" / "demo.toml").read_text(encoding="utf-8"))
    return Path(str(data["workspace"]))


def shown_workspace(demo: bool, workspace: Path | str | None = None) -> Path:
    """The workspace whose paths host checks and the Configure stage name: the recorded host's for the
    demo, else the one given or ``paths.default_workspace()``."""
    if demo:
        return recorded_demo_workspace()
    return Path(workspace).expanduser() if workspace else paths.default_workspace()


def workspace_for(demo: bool, workspace: Path | str | None = None) -> Path:
    """The build workspace: the demo's own, the one given, or ``paths.default_workspace()``."""
    if demo:
        return demo_workspace()
    return Path(workspace).expanduser() if workspace else paths.default_workspace()


def process_started(pid: int) -> float | None:
    """The start time of a live process (to tell it from a later one with the same pid)."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None


def same_process_alive(pid: int | None, started: float | None) -> bool:
    if pid is None or started is None:
        return False
    now = process_started(pid)
    if now is None:
        return False
    try:
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return False
    except psutil.Error:
        return False
    return abs(now - started) < 0.5


class StepStates(dict):
    """Step id -> :class:`StepRecord` for every step of a build, in recipe order (pending when never
    run): what the Build screen puts in ``Session.build_states`` for the welcome screen and the
    session report. ``workspace`` says where the build happens."""

    def __init__(self, records: dict[str, StepRecord], workspace: Path) -> None:
        super().__init__(records)
        self.workspace = workspace

    def snapshot(self) -> dict[str, StepRecord]:
        return dict(self)


@dataclass
class BuildState:
    """Step records for one workspace, thread-safe, saved on every change."""

    path: Path
    workspace: Path
    _records: dict[str, StepRecord] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    #: What :meth:`load` could not read (a corrupt file is set aside, not fatal).
    problems: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, build_paths: BuildPaths, workspace: Path) -> BuildState:
        build_paths.ensure()
        state = cls(path=build_paths.state_file(workspace), workspace=Path(workspace))
        state.load()
        return state

    # -------------------------------------------------------------------- persistence

    def load(self) -> None:
        with self._lock:
            self._records = {}
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                return
            except (OSError, ValueError) as exc:
                aside = self.path.with_name(self.path.name + ".corrupt")
                try:
                    os.replace(self.path, aside)
                except OSError:
                    pass
                self.problems.append(f"could not read {self.path} ({exc}); set aside as {aside.name}")
                return
            if not isinstance(raw, dict) or raw.get("format") != STATE_FORMAT:
                self.problems.append(f"{self.path} is not a build state file; ignored")
                return
            steps = raw.get("steps", {})
            if isinstance(steps, dict):
                self._records = {str(k): StepRecord.from_json(v) for k, v in steps.items()}

    def save(self) -> None:
        with self._lock:
            data = {
                "format": STATE_FORMAT,
                "version": STATE_VERSION,
                "workspace": str(self.workspace),
                "steps": {k: v.to_json() for k, v in self._records.items()},
            }
            payload = (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, payload, backup=False, mode=0o600)
            os.chmod(self.path, 0o600)

    # ------------------------------------------------------------------------- access

    def get(self, step_id: str) -> StepRecord:
        with self._lock:
            return self._records.get(step_id, StepRecord())

    def status(self, step_id: str) -> StepStatus:
        return self.get(step_id).status

    def set(self, step_id: str, record: StepRecord) -> None:
        """Record one step. Another wizard (or ``kata-snp-tui build``) on the same workspace may have
        saved since this one loaded: under a lock on the state file, re-read it and change only this
        step, so neither undoes the other's records."""
        with self._lock, self._file_lock():
            on_disk = self._read_steps()
            if on_disk is not None:
                self._records = on_disk
            self._records[step_id] = record
            self.save()

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """An exclusive flock on the state folder (advisory: every writer here takes it; held only for
        the read-merge-write of one record, and no extra file is left beside the state)."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read_steps(self) -> dict[str, StepRecord] | None:
        """The records as saved on disk now; None when there is no readable state file (then the
        in-memory records stand: load() already reported a corrupt one)."""
        return read_step_records(self.path)

    def update(self, step_id: str, **changes: Any) -> StepRecord:
        with self._lock:
            record = replace(self.get(step_id), **changes)
            self.set(step_id, record)
            return record

    def reset(self, step_id: str) -> None:
        """Forget a step's outcome (back to pending), keeping the log path."""
        with self._lock:
            old = self.get(step_id)
            self.set(step_id, StepRecord(log=old.log))

    def forget_all(self) -> None:
        with self._lock:
            self._records = {}
            self.save()

    def snapshot(self) -> dict[str, StepRecord]:
        with self._lock:
            return dict(self._records)

    def step_states(self, step_ids: list[str]) -> StepStates:
        """Records for ``step_ids`` in that order (pending for a step never run)."""
        with self._lock:
            return StepStates({i: self._records.get(i, StepRecord()) for i in step_ids}, self.workspace)

    def as_json(self) -> dict[str, dict[str, Any]]:
        """Plain data for the session report."""
        with self._lock:
            return {k: v.to_json() for k, v in self._records.items()}

    # ------------------------------------------------------------------------ recovery

    def recover(self, end_orphans: bool = True) -> list[str]:
        """Steps left ``running`` by a runner that is gone become ``cancelled``; returns their ids.

        With ``end_orphans``, a step process (group) that outlived its runner is ended too: nobody
        records its output any more.
        """
        interrupted: list[str] = []
        me = os.getpid()
        with self._lock:
            for step_id, rec in list(self._records.items()):
                if rec.status is not StepStatus.RUNNING:
                    continue
                if rec.runner_pid == me or same_process_alive(rec.runner_pid, rec.runner_started):
                    continue  # still running, here or in another kata-snp-tui
                message = "interrupted: kata-snp-tui stopped while this step ran"
                from kata_snp_tui.runner import end_process_group, processes_with_token

                tagged = processes_with_token(rec.token) if rec.token else []
                leader = rec.pid if same_process_alive(rec.pid, rec.pid_started) else None
                if leader is not None or tagged:
                    if end_orphans:
                        end_process_group(leader, grace=2.0, extra=tagged)
                        message += "; its leftover processes were ended"
                    else:
                        message += "; its processes are still running"
                self._records[step_id] = replace(rec, status=StepStatus.CANCELLED, message=message, token=None)
                interrupted.append(step_id)
            if interrupted:
                self.save()
        return interrupted


def persisted_step_states(demo: bool, workspace: Path, step_ids: list[str],
                          build_paths: BuildPaths | None = None) -> StepStates | None:
    """What an earlier run left for this workspace, for the welcome screen and the report before the Build
    stage is opened (None: no step was ever run here). Nothing is created or written."""
    bp = build_paths or BuildPaths.default(demo=demo)
    path = bp.state_file(workspace)
    records = read_step_records(path)  # read only: a corrupt file is left for the Build stage to set aside
    if records is None:
        return None
    state = BuildState(path=path, workspace=Path(workspace))
    state._records = records
    states = state.step_states(step_ids)
    return states if any(r.status is not StepStatus.PENDING for r in states.values()) else None


def read_step_records(path: Path) -> dict[str, StepRecord] | None:
    """The step records a state file holds, read only; None when it is absent, unreadable or not a state file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    steps = raw.get("steps") if isinstance(raw, dict) and raw.get("format") == STATE_FORMAT else None
    if not isinstance(steps, dict):
        return None
    return {str(k): StepRecord.from_json(v) for k, v in steps.items()}


def demo_state_file() -> Path:
    """The demo build's state file, named without creating any folder."""
    return BuildPaths.default(demo=True, create=False).state_file(Path())
