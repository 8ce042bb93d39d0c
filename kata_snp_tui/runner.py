"""Run build steps (and any ad-hoc command) as real processes, streaming their output.

API (stable; stage 4 and the CLI use it)::

    from kata_snp_tui.build_state import BuildPaths, BuildState
    from kata_snp_tui.recipe import Step
    from kata_snp_tui.runner import Runner, OutputQueue

    paths = BuildPaths.default()                     # state_dir()/build and state_dir()/logs
    runner = Runner(BuildState.open(paths, workspace), paths)
    step = Step(id="verify.pull", title="Pull busybox", cwd=Path.home(),
                argv=("ctr", "image", "pull", "docker.io/library/busybox:latest"), sudo=True)
    outcome = runner.run_step(step, on_output=print_chunk, password=None)
    outcome.status, outcome.exit_code, outcome.log_path, outcome.tail

``Runner.run_step(step, on_output=None, password=None) -> StepOutcome`` runs one step to its end
in the calling thread (run it in a Textual *thread* worker, never on the event loop):

- The step runs in its own session and process group (``sh`` with ``_new_session=True``), cwd
  ``step.cwd``, environment = this process's plus ``step.env``, standard input ``/dev/null`` (or the
  sudo password, see below).
- Standard output and error are one stream (merged, through a pipe, never a pty). Every byte goes
  to ``BuildPaths.log_file(step.id)`` (0600; ``### `` lines before and after the output say what ran
  and how it ended). ``on_output(chunk: str)`` receives the same output decoded as UTF-8 (invalid
  bytes replaced) in chunks: at most one call every ``flush_interval`` (50 ms) or per 64 KiB,
  never one call per line; chunks may end inside a line; their concatenation is the whole output.
  It is called from a runner thread; its return value is ignored; exceptions in it are swallowed.
  :class:`OutputQueue` turns chunks into complete lines for a screen that drains it on a timer.
- A step with ``sudo=True`` runs as is when root, else through ``sudo -n``, else through
  ``sudo -S -p ''`` with ``password`` written to its standard input (never to the log, the state,
  argv or the environment). Without a password when one is needed, the outcome is ``failed`` with
  ``needs_password=True`` and nothing is started. See :class:`kata_snp_tui.sudo.Privilege`.
- ``Runner.cancel(force=False)`` (thread-safe, e.g. from a key binding or a SIGINT handler) ends
  the running step: SIGTERM to its process group and to every descendant seen, SIGKILL after
  ``grace`` seconds (at once with ``force``); processes of a sudo step that this user may not signal
  are killed through sudo. The outcome is ``cancelled``.
- The state (:class:`~kata_snp_tui.build_state.BuildState`) is updated atomically when the step
  starts (``running``) and ends (``done``, ``failed`` or ``cancelled``, with exit code, start and
  duration).

Other methods: ``decide(step, force, record=True)`` says why a step would be skipped (already
done, skipped, or its ``creates`` all exist), ``unmet_needs(step)``, ``run_steps(steps, force=,
password=, on_event=, on_output=) -> RunResult`` runs a list in order, skipping finished steps
(``RunEvent("skip")``), stopping at the first failure, cancel or unmet need (``RunEvent("blocked")``),
``skip(step_id)``, ``reset(step_id)`` (for retry), ``running_step_id``, ``interrupted`` (steps
found left running by a wizard that died, now ``cancelled``).

``open_build(demo=, recipe_path=, workspace=, overrides=, privilege=, grace=) -> Build`` loads
the recipe (RecipeError before anything runs), resolves it and opens state and runner: what the
CLI and the Build screen share. On the demo host the steps replay recordings
(:mod:`kata_snp_tui.replay`) in the demo's own workspace, state and logs.

How ``sh`` is used: ``_new_session=True`` (one process group per step), ``_err_to_out=True``,
``_tty_out=False`` (a pipe), ``_bg=True``. The output does not go through an ``sh`` callback:
with ``_out_bufsize=65536`` sh holds a callback's data until 64 KiB have accumulated (a slow step's
lines would appear only at its end), and smaller buffers mean one call per line or per byte. So
``_out`` is the write end of our own pipe (sh hands it to the child as is) and a reader thread
reads it in chunks of up to 64 KiB, writes every byte to the log and hands ``on_output`` at most one
chunk per 50 ms: as fast as sh's 64 KiB callback (0.85 s for 1M lines of 70 bytes on this
2-core box, about 1,100 deliveries) and live. sh's own exit notification polls once a second, so
the runner asks ``is_alive()`` itself.
"""

from __future__ import annotations

import codecs
import errno
import fcntl
import os
import select
import shutil
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil
import sh

from kata_snp_tui.build_state import (
    BuildPaths,
    BuildState,
    StepStatus,
    process_started,
)
from kata_snp_tui.errors import UserError
from kata_snp_tui.recipe import Recipe, Step, TreeStatus, display_command, load_recipe
from kata_snp_tui.sudo import PasswordRequired, Privilege, PrivilegeError

OutputCallback = Callable[[str], None]

#: Seconds between SIGTERM and SIGKILL when a step is cancelled.
DEFAULT_GRACE = 5.0
#: How often output is handed to ``on_output`` at most, and the largest chunk.
FLUSH_INTERVAL = 0.05
CHUNK_BYTES = 65536
#: After the step's process exits, how long to wait for processes it left behind to close the output.
DRAIN_AFTER_EXIT = 2.0
#: How often the process tree is scanned (to find descendants that left the group).
SCAN_INTERVAL = 0.5


#: Every step's processes carry this variable (a token unique to the run) in their environment, so
#: a cancel also finds the ones that left the process group and the tree (a daemon: fork, setsid,
#: parent exits) - the way Jenkins' ProcessTreeKiller does it.
STEP_TOKEN_ENV = "KATA_SNP_TUI_STEP"


def processes_with_token(token: str) -> list[int]:
    """Live processes (that this user may read) whose environment carries ``token``."""
    me = os.getpid()
    found: list[int] = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(STEP_TOKEN_ENV) == token and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


class RunnerBusy(UserError):
    """Another kata-snp-tui is running a step for the same workspace."""


@dataclass(frozen=True)
class StepOutcome:
    """How one run of a step ended."""

    step_id: str
    status: StepStatus
    #: The process's exit status; negative = killed by that signal; None = it never started.
    exit_code: int | None
    started_at: datetime | None
    #: Seconds.
    duration: float
    log_path: Path | None
    #: One line for people ("exit status 2", "cancelled: killed by SIGTERM", "already done").
    message: str
    #: The last lines of output (for a failure banner and the knowledge base).
    tail: tuple[str, ...] = ()
    #: True when nothing ran because sudo needs a password that was not given.
    needs_password: bool = False

    @property
    def ok(self) -> bool:
        return self.status in (StepStatus.DONE, StepStatus.SKIPPED)


@dataclass(frozen=True)
class RunEvent:
    """What :meth:`Runner.run_steps` reports: ``start``, ``end``, ``skip`` (already finished) or ``blocked``."""

    kind: str
    step: Step
    outcome: StepOutcome | None = None
    message: str = ""


@dataclass
class RunResult:
    outcomes: list[StepOutcome] = field(default_factory=list)
    #: The step that stopped the run (failed, cancelled, blocked or needing a password), if any.
    stopped: StepOutcome | None = None
    blocked: RunEvent | None = None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.stopped is None and self.blocked is None and not self.cancelled


class OutputQueue:
    """Thread-safe: a runner thread ``put``s chunks, the UI ``drain``s complete lines on a timer.

    Carriage-return progress (``45%\\r46%\\r``) keeps the last state of the line. The trailing
    partial line is held back until its newline arrives or :meth:`drain` is called with ``final``.

    With ``max_lines`` (a screen that keeps only that many lines), the queue holds at most the last
    ``max_lines`` complete lines plus one chunk, however long the UI takes to drain it: older
    chunks are dropped as newer ones arrive, and :meth:`drain` returns at most ``max_lines`` lines
    (the same lines such a screen would have kept). :attr:`dropped_chunks` counts what was dropped.
    """

    def __init__(self, max_lines: int | None = None) -> None:
        self._lock = threading.Lock()
        self._chunks: deque[str] = deque()
        self._newlines: deque[int] = deque()
        self._held_newlines = 0
        self._partial = ""
        #: The oldest chunk held starts inside a line whose beginning was dropped.
        self._cut = False
        self.max_lines = max_lines
        self.dropped_chunks = 0

    def put(self, chunk: str) -> None:
        with self._lock:
            self._chunks.append(chunk)
            if self.max_lines is None:
                return
            count = chunk.count("\n")
            self._newlines.append(count)
            self._held_newlines += count
            # Drop the oldest chunk while the others still end more than max_lines lines (the first
            # newline after a cut only ends the rest of a line whose beginning is gone).
            while len(self._chunks) > 1 and self._held_newlines - self._newlines[0] > self.max_lines:
                self._held_newlines -= self._newlines.popleft()
                self._chunks.popleft()
                self._partial = ""
                self._cut = True
                self.dropped_chunks += 1

    __call__ = put

    def drain(self, final: bool = False) -> list[str]:
        with self._lock:
            text = self._partial + "".join(self._chunks)
            self._chunks.clear()
            self._newlines.clear()
            self._held_newlines = 0
            if self._cut:
                start = text.find("\n")
                if start < 0:  # still inside the line whose beginning was dropped
                    self._partial = ""
                    return []
                text = text[start + 1 :]
                self._cut = False
            if final:
                self._partial = ""
            else:
                cut = text.rfind("\n")
                self._partial = text[cut + 1 :]
                text = text[: cut + 1]
        if not text:
            return []
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if self.max_lines is not None and len(lines) > self.max_lines:
            lines = lines[-self.max_lines :]
        if "\r" not in text:
            return lines
        return [clean_line(line) for line in lines]


def clean_line(line: str) -> str:
    """A line as a terminal would leave it: the text after the last carriage return."""
    if "\r" in line:
        line = line.rstrip("\r")
        line = line.rsplit("\r", 1)[-1]
    return line


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def describe_exit(code: int | None) -> str:
    if code is None:
        return "did not start"
    if code < 0:
        return f"killed by {_signal_name(-code)}"
    return f"exit status {code}"


def end_process_group(pgid: int | None, grace: float = DEFAULT_GRACE, extra: Sequence[int] = ()) -> bool:
    """SIGTERM the group ``pgid`` (None: no group) and the ``extra`` pids, SIGKILL what is left after
    ``grace`` seconds. Returns True when nothing is left that this user can see."""
    _signal_all(pgid, extra, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _group_alive(pgid) and not _any_alive(extra):
            return True
        time.sleep(0.05)
    _signal_all(pgid, extra, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        if not _group_alive(pgid) and not _any_alive(extra):
            return True
        time.sleep(0.05)
    return False


def _signal_all(pgid: int | None, extra: Sequence[int], sig: int) -> None:
    if pgid is not None and pgid > 1:  # never group 0 (our own) or 1
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass
    for pid in extra:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _group_alive(pgid: int | None) -> bool:
    """Is any non-zombie process left in the group?"""
    if pgid is None or pgid <= 1:
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error, OSError):
            continue
    return False


def _any_alive(pids: Sequence[int]) -> bool:
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            continue
    return False


class _Pump(threading.Thread):
    """Reads the step's output pipe: everything to the log file, chunks to ``on_output``."""

    def __init__(
        self,
        fd: int,
        log_fh,  # binary file object
        on_output: OutputCallback | None,
        tail_lines: int,
        flush_interval: float,
    ) -> None:
        super().__init__(name="kata-snp-tui-output", daemon=True)
        self.fd = fd
        self.log_fh = log_fh
        self.on_output = on_output
        self.flush_interval = flush_interval
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self._partial = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.abandon = threading.Event()
        self.eof = threading.Event()
        self.bytes = 0

    def run(self) -> None:
        pending: list[str] = []
        pending_bytes = 0
        last = time.monotonic()
        try:
            while not self.abandon.is_set():
                now = time.monotonic()
                timeout = max(0.0, last + self.flush_interval - now) if pending else 0.25
                try:
                    ready, _, _ = select.select([self.fd], [], [], timeout)
                except InterruptedError:
                    continue
                if ready:
                    try:
                        data = os.read(self.fd, CHUNK_BYTES)
                    except OSError as exc:
                        if exc.errno == errno.EINTR:
                            continue
                        data = b""
                    if not data:
                        break
                    self.bytes += len(data)
                    self.log_fh.write(data)
                    text = self._decoder.decode(data)
                    if text:
                        pending.append(text)
                        pending_bytes += len(data)
                now = time.monotonic()
                if pending and (pending_bytes >= CHUNK_BYTES or now - last >= self.flush_interval):
                    self._deliver("".join(pending))
                    pending, pending_bytes, last = [], 0, now
            rest = self._decoder.decode(b"", final=True)
            if rest:
                pending.append(rest)
            if pending:
                self._deliver("".join(pending))
        finally:
            try:
                self.log_fh.flush()
            except (OSError, ValueError):
                pass
            self.eof.set()

    def _deliver(self, text: str) -> None:
        try:
            self.log_fh.flush()
        except (OSError, ValueError):
            pass
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines[-(self.tail.maxlen or 0) :]:  # only the last lines can stay in the tail
            self.tail.append(clean_line(line))
        if self.on_output is not None:
            try:
                self.on_output(text)
            except Exception:  # noqa: BLE001 - a consumer's bug must not stop the log
                pass

    def final_tail(self) -> tuple[str, ...]:
        lines = list(self.tail)
        if self._partial:
            lines.append(clean_line(self._partial))
        return tuple(lines[-(self.tail.maxlen or 0) :])


class Runner:
    """Runs steps one at a time for one workspace; see the module docstring."""

    def __init__(
        self,
        state: BuildState,
        build_paths: BuildPaths,
        *,
        privilege: Privilege | None = None,
        grace: float = DEFAULT_GRACE,
        base_env: Mapping[str, str] | None = None,
        tail_lines: int = 40,
        flush_interval: float = FLUSH_INTERVAL,
        recover: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = state
        self.paths = build_paths.ensure()
        self.privilege = privilege or Privilege()
        self.grace = grace
        self.base_env = dict(base_env) if base_env is not None else None
        self.tail_lines = tail_lines
        self.flush_interval = flush_interval
        #: Monotonic seconds, used to measure how long a step took (frozen in snapshot tests).
        self.clock = clock
        self._cancel = threading.Event()
        self._force = threading.Event()
        self._running: Step | None = None
        self._lock = threading.Lock()
        #: Steps found interrupted (left running by a wizard that died) when the runner was made.
        self.interrupted: list[str] = state.recover() if recover else []

    # ------------------------------------------------------------------ simple state changes

    @property
    def running_step_id(self) -> str | None:
        with self._lock:
            return self._running.id if self._running else None

    def cancel(self, force: bool = False) -> None:
        """End the running step (thread-safe). Also stops :meth:`run_steps` after it."""
        if force:
            self._force.set()
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def skip(self, step_id: str, message: str = "skipped by the user") -> None:
        if self.running_step_id == step_id:
            raise UserError(f"step {step_id!r} is running; cancel it first")
        self.state.update(step_id, status=StepStatus.SKIPPED, message=message, exit_code=None)

    def reset(self, step_id: str) -> None:
        """Back to pending (retry)."""
        if self.running_step_id == step_id:
            raise UserError(f"step {step_id!r} is running")
        self.state.reset(step_id)

    def decide(self, step: Step, force: bool = False, record: bool = True) -> str | None:
        """Why ``step`` need not run, or None. A step whose ``creates`` all exist is recorded as
        done (unless ``record`` is False, as in a dry run)."""
        if force:
            return None
        rec = self.state.get(step.id)
        if rec.status is StepStatus.DONE:
            return "already done"
        if rec.status is StepStatus.SKIPPED:
            return "skipped earlier"
        if step.is_created():
            found = ", ".join(step.created_paths()[:3])
            message = f"already there: {found}"
            if record:
                self.state.update(step.id, status=StepStatus.DONE, message=message, exit_code=None)
            return message
        return None

    def unmet_needs(self, step: Step) -> list[str]:
        return [n for n in step.needs if not self.state.status(n).finished]

    # ------------------------------------------------------------------------- running

    def run_steps(
        self,
        steps: Sequence[Step],
        *,
        force: bool = False,
        password: str | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        on_output: OutputCallback | None = None,
    ) -> RunResult:
        """Run ``steps`` in order: finished ones are skipped (unless ``force``), the first failure,
        cancel, unmet need or missing password stops the run."""
        self._cancel.clear()
        self._force.clear()
        result = RunResult()

        def emit(event: RunEvent) -> None:
            if on_event is not None:
                on_event(event)

        for step in steps:
            if self._cancel.is_set():
                result.cancelled = True
                break
            reason = self.decide(step, force)
            if reason:
                emit(RunEvent("skip", step, message=reason))
                continue
            missing = self.unmet_needs(step)
            if missing:
                states = ", ".join(f"{n} ({self.state.status(n).value})" for n in missing)
                event = RunEvent("blocked", step, message=f"step {step.id!r} needs {states} first")
                result.blocked = event
                emit(event)
                break
            emit(RunEvent("start", step))
            outcome = self.run_step(step, on_output=on_output, password=password, _keep_cancel=True)
            result.outcomes.append(outcome)
            emit(RunEvent("end", step, outcome))
            if not outcome.ok:
                result.stopped = outcome
                result.cancelled = outcome.status is StepStatus.CANCELLED
                break
        return result

    def run_step(
        self,
        step: Step,
        *,
        on_output: OutputCallback | None = None,
        password: str | None = None,
        _keep_cancel: bool = False,
    ) -> StepOutcome:
        """Run one step to its end (see the module docstring)."""
        if not _keep_cancel:
            self._cancel.clear()
            self._force.clear()
        log_path = self.paths.log_file(step.id)
        lock_fd = self._acquire_lock()
        try:
            with self._lock:
                self._running = step
            try:
                return self._run(step, log_path, on_output, password)
            finally:
                with self._lock:
                    self._running = None
        finally:
            os.close(lock_fd)

    def _acquire_lock(self) -> int:
        lock_path = self.state.path.with_name(self.state.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunnerBusy(
                f"another kata-snp-tui is running a step for this workspace (lock {lock_path})"
            ) from None
        return fd

    def _environment(self) -> dict[str, str]:
        return dict(self.base_env if self.base_env is not None else os.environ)

    def _resolve_program(self, argv: list[str], cwd: Path, env: Mapping[str, str]) -> str | None:
        program = argv[0]
        if "/" in program:
            candidate = program if os.path.isabs(program) else str(cwd / program)
            return candidate if os.path.isfile(candidate) and os.access(candidate, os.X_OK) else None
        return shutil.which(program, path=env.get("PATH", os.defpath))

    def _run(
        self, step: Step, log_path: Path, on_output: OutputCallback | None, password: str | None
    ) -> StepOutcome:
        started = _now()
        t0 = self.clock()
        env = self._environment()
        env.update(step.env)
        token = uuid.uuid4().hex
        env[STEP_TOKEN_ENV] = token
        log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(log_fd, 0o600)
        log_fh = os.fdopen(log_fd, "wb", buffering=CHUNK_BYTES)
        as_root = self.privilege.is_root()

        def header() -> None:
            lines = [f"kata-snp-tui step {step.id}: {step.title}",
                     f"started {started.isoformat(timespec='seconds')} in {step.cwd}"]
            lines += [f"stands for: $ {line}" for line in step.stands_for]
            lines += [f"$ {line}" for line in display_command(step, as_root=as_root)]
            for line in lines:
                for part in line.split("\n"):  # an argv word may hold newlines: every log line stays marked
                    log_fh.write(f"### {part}\n".encode())
            log_fh.flush()

        def finish(status: StepStatus, code: int | None, message: str, tail: tuple[str, ...] = (), **extra) -> StepOutcome:
            duration = self.clock() - t0
            try:
                log_fh.write(f"### {message} after {duration:.1f} s\n".encode())
                log_fh.close()
            except (OSError, ValueError):
                pass
            self.state.update(
                step.id,
                status=status,
                exit_code=code,
                started_at=started.isoformat(timespec="seconds"),
                duration=round(duration, 3),
                log=str(log_path),
                message=message,
                pid=None,
                pid_started=None,
                runner_pid=None,
                runner_started=None,
                token=None,
            )
            return StepOutcome(step.id, status, code, started, duration, log_path, message, tail, **extra)

        def fail_early(message: str, code: int | None = None, **extra) -> StepOutcome:
            header()
            log_fh.write(f"kata-snp-tui: {message}\n".encode())
            return finish(StepStatus.FAILED, code, message, (f"kata-snp-tui: {message}",), **extra)

        if not step.cwd.is_dir():
            return fail_early(f"working folder {step.cwd} does not exist (did an earlier step fail?)")
        argv = list(step.command())
        program = self._resolve_program(argv, step.cwd, env)
        if program is None:
            return fail_early(f"command not found: {argv[0]}", 127)
        argv[0] = program
        try:
            argv, wrapped = self.privilege.wrap(step, argv, env, with_password=password is not None)
        except PasswordRequired as exc:
            return fail_early(f"{exc}; no password given", needs_password=True)
        except PrivilegeError as exc:
            return fail_early(str(exc))
        header()

        read_fd, write_fd = os.pipe()
        done = threading.Event()
        pump = _Pump(read_fd, log_fh, on_output, self.tail_lines, self.flush_interval)
        stdin_data: object = (password + "\n") if (wrapped and password is not None) else open(os.devnull, "rb")
        try:
            proc = sh.Command(argv[0])(
                *argv[1:],
                _cwd=str(step.cwd),
                _env=env,
                _in=stdin_data,
                _out=write_fd,
                _err_to_out=True,
                _tty_out=False,
                _new_session=True,
                _bg=True,
                _bg_exc=False,
                _ok_code=list(range(-128, 256)),
                _done=lambda *_: done.set(),
            )
        except (sh.CommandNotFound, OSError) as exc:
            os.close(write_fd)
            os.close(read_fd)
            log_fh.write(f"kata-snp-tui: could not start {argv[0]}: {exc}\n".encode())
            return finish(StepStatus.FAILED, None, f"could not start {argv[0]}: {exc}")
        finally:
            if not isinstance(stdin_data, str):
                try:
                    stdin_data.close()  # type: ignore[attr-defined]
                except OSError:
                    pass
        os.close(write_fd)
        pid = proc.pid
        pump.start()
        self.state.update(
            step.id,
            status=StepStatus.RUNNING,
            exit_code=None,
            started_at=started.isoformat(timespec="seconds"),
            duration=None,
            log=str(log_path),
            message="running",
            pid=pid,
            pid_started=process_started(pid),
            runner_pid=os.getpid(),
            runner_started=process_started(os.getpid()),
            token=token,
        )

        seen: dict[int, float] = {}
        cancelled = False
        next_scan = 0.0
        # sh's own exit notification (_done) polls once a second; ask the process directly instead.
        while not done.wait(0.05) and proc.is_alive():
            now = time.monotonic()
            if now >= next_scan:
                self._scan(pid, seen)
                next_scan = now + SCAN_INTERVAL
            if self._cancel.is_set():
                cancelled = True
                self._terminate(step, pid, seen, password if wrapped else None, token)
                break
        try:
            proc.wait()
        except Exception:  # noqa: BLE001 - sh raises for odd exits; the code is what matters
            pass
        code = proc.exit_code
        # Processes the step left behind may hold the output open: give them a moment, then stop.
        if not pump.eof.wait(DRAIN_AFTER_EXIT):
            if cancelled:
                self._terminate(step, pid, seen, password if wrapped else None, token)
                pump.eof.wait(DRAIN_AFTER_EXIT)
            pump.abandon.set()
            pump.eof.wait(1.0)
        pump.join(1.0)
        try:
            os.close(read_fd)
        except OSError:
            pass
        tail = pump.final_tail()
        if cancelled:
            return finish(StepStatus.CANCELLED, code, f"{describe_exit(code)} on cancel", tail)
        if code == 0:
            missing = step.missing_creates()
            message = "exit status 0"
            if missing:
                message += f"; expected but missing: {', '.join(missing[:3])}"
            return finish(StepStatus.DONE, 0, message, tail)
        message = describe_exit(code)
        if wrapped and password is None and any("a password is required" in line for line in tail):
            return finish(StepStatus.FAILED, code, message + " (sudo wants a password)", tail, needs_password=True)
        return finish(StepStatus.FAILED, code, message, tail)

    def _scan(self, pid: int, seen: dict[int, float]) -> None:
        try:
            for child in psutil.Process(pid).children(recursive=True):
                try:
                    seen.setdefault(child.pid, child.create_time())
                except psutil.Error:
                    continue
        except psutil.Error:
            pass

    def _terminate(
        self, step: Step, pgid: int, seen: dict[int, float], password: str | None, token: str | None = None
    ) -> None:
        """SIGTERM, then SIGKILL after the grace period, to the step's group, every descendant seen,
        and every process carrying the step's token (daemons that left both group and tree)."""
        self._scan(pgid, seen)
        tagged = processes_with_token(token) if token else []
        extra = sorted({p for p, ct in seen.items() if _same(p, ct) and _pgid(p) != pgid} | {p for p in tagged if _pgid(p) != pgid})
        grace = 0.0 if self._force.is_set() else self.grace
        done = end_process_group(pgid, grace, extra)
        late = [p for p in processes_with_token(token) if p not in extra] if token else []  # forked during the grace
        if late:
            done = end_process_group(pgid, 0.0, late) and done
        if done:
            return
        if step.sudo and not self.privilege.is_root():
            leftover = [p for p in [pgid, *seen, *extra, *late] if _same(p, seen.get(p))]
            self.privilege.kill_as_root(leftover, password)
            end_process_group(pgid, 0.0, [*extra, *late])


def _same(pid: int, created: float | None) -> bool:
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return created is None or abs(proc.create_time() - created) < 0.5
    except psutil.Error:
        return False


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def read_log_tail(path: Path | str, max_lines: int = 5000, max_bytes: int = 8 * 1024 * 1024) -> list[str]:
    """The last lines of a log file (for showing a finished step's log), ``### `` lines included."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if size > max_bytes:
        lines = lines[1:]
    if lines and lines[-1] == "":
        lines.pop()
    return [clean_line(line) for line in lines[-max_lines:]]



# ------------------------------------------------------------------- one build, ready to run


@dataclass
class Build:
    """Everything one build needs, shared by ``kata-snp-tui build`` and the Build screen."""

    recipe: Recipe
    #: The runnable steps, in order (the demo's replay steps on the demo host).
    steps: list[Step]
    workspace: Path
    paths: BuildPaths
    state: BuildState
    runner: Runner
    demo: bool
    overrides: dict[str, str]
    #: The profile in use and why (kata_snp_tui.profiles.ProfileChoice); None when not chosen.
    profile: Any = None

    def tree_status(self) -> TreeStatus:
        """The checked-out tree's version and a warning when it is newer than the guide's."""
        if self.demo:
            return TreeStatus(self.recipe.variables.get("kata_version"), None)
        return self.recipe.check_tree(self.workspace, self.overrides)

    def ensure_workspace(self) -> Path:
        """Create the workspace folder (before running; a dry run creates nothing)."""
        self.workspace.mkdir(parents=True, exist_ok=True)
        return self.workspace

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def steps_to_run(self, steps: Sequence[Step] | None = None, force: bool = False) -> list[Step]:
        """Of ``steps`` (default: all), those that would run now (not done, skipped or already there)."""
        chosen = self.steps if steps is None else steps
        return [s for s in chosen if self.runner.decide(s, force, record=False) is None]


def _refuse_non_folder_workspace(ws: Path) -> None:
    """A workspace that is a file (or lies under one) cannot hold the build: one line, before anything."""
    for candidate in (ws, *ws.parents):
        if not candidate.exists():
            continue
        if candidate.is_dir():
            return
        if candidate == ws:
            raise UserError(f"the workspace {ws} exists and is not a folder")
        raise UserError(f"the workspace {ws} cannot be created: {candidate} is not a folder")


def open_build(
    *,
    demo: bool = False,
    recipe_path: Path | str | None = None,
    workspace: Path | str | None = None,
    overrides: Mapping[str, str] | None = None,
    privilege: Privilege | None = None,
    grace: float = DEFAULT_GRACE,
    build_paths: BuildPaths | None = None,
    clock: Callable[[], float] | None = None,
    profile: Any = None,
) -> Build:
    """Load the recipe (a RecipeError before anything runs), resolve it for the workspace and open
    the persisted state. On the demo host the steps replay recordings in a workspace of the state
    folder (:func:`kata_snp_tui.build_state.demo_workspace`), with their own state and logs."""
    from kata_snp_tui.build_state import workspace_for
    from kata_snp_tui.replay import demo_steps

    if demo and recipe_path is not None:
        raise UserError("the demo replays the built-in recipe; --recipe cannot be combined with --demo")
    if profile is not None:
        from kata_snp_tui.profiles import refuse_demo_profile

        if demo:
            refuse_demo_profile(profile.profile)
        if recipe_path is None:
            recipe_path = profile.profile.recipe_path
    recipe = load_recipe(recipe_path)
    ws = workspace_for(demo, workspace)
    _refuse_non_folder_workspace(ws)
    values = dict(overrides or {})
    steps = recipe.resolve(ws, values)
    if demo:
        steps = demo_steps(steps, ws)
    paths = (build_paths or BuildPaths.default(demo=demo)).ensure()
    state = BuildState.open(paths, ws)
    runner = Runner(state, paths, privilege=privilege, grace=grace, clock=clock or time.monotonic)
    return Build(recipe, steps, ws, paths, state, runner, demo, values, profile)
