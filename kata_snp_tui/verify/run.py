"""The verify run: the guide's "Run Kata Containers in SNP-VMs", without a terminal, through the shared runner.

The guide runs, interactively::

    sudo ctr image pull docker.io/library/busybox:latest
    sudo ctr run --cni --runtime io.containerd.run.kata.v2 -t --rm docker.io/library/busybox:latest hello sh
    / # dmesg | grep -i sev
    / # SNP_MAJOR=...; SNP_MINOR=...; mknod -m 600 /dev/sev-guest c "${SNP_MAJOR}" "${SNP_MINOR}"

This module runs the non-interactive equivalent (no ``-t``, so the output can be read): the pull, then
``ctr run --cni --runtime RUNTIME --rm IMAGE NAME sh -c SCRIPT`` where SCRIPT (:mod:`guest_script`) prints
the whole ``dmesg``, creates ``/dev/sev-guest`` as the guide shows and asks for an attestation report
when the image has ``snpguest`` or ``python3``. Both commands are runner steps (:mod:`kata_snp_tui.runner`):
real processes in their own process group, through sudo when not root, output streamed in chunks and
kept whole in a log file per step under ``state_dir()/verify/logs``.

On the demo host the same steps run the replay module (``python -m kata_snp_tui.replay``) on the
recordings in ``assets/demo/guest/``: real processes, recorded output.

A timeout (per command) and :meth:`VerifyRun.cancel` end the running step's whole process group; after
either, the container ``ctr run --rm`` would have removed is removed (``ctr task rm -f``, ``ctr container rm``).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import sys
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

from kata_snp_tui.errors import UserError
from kata_snp_tui.verify.guest_log import parse as parse_guest_log
from kata_snp_tui.verify.guest_log import visible
from kata_snp_tui.verify.guest_script import GuestScriptOptions, build_script, split_output
from kata_snp_tui.verify.measurement import for_report
from kata_snp_tui.verify.result import (
    NOT_ATTEMPTED,
    Attestation,
    StepRecord,
    Verification,
    analyse_run_output,
)

DEFAULT_IMAGE = "docker.io/library/busybox:latest"
DEFAULT_RUNTIME = "io.containerd.run.kata.v2"
DEFAULT_NAME = "kata-snp-tui-verify"
#: An image that has python3 (for the attestation report) — offered when the chosen one has no tool.
PYTHON_IMAGE = "docker.io/library/python:3.12-alpine"
DEFAULT_TIMEOUT = 600.0
#: How long the clean-up after a cancel or a timeout may take.
CLEANUP_TIMEOUT = 60.0
#: Bytes of run output kept in memory for parsing (the whole output is in the step's log file).
MAX_CAPTURE = 16 * 1024 * 1024

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$")
_RUNTIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")

PULL_ID = "verify.pull"
RUN_ID = "verify.run"
CLEANUP_ID = "verify.cleanup"
#: How long the demo's replays take at speed 1.
DEMO_PULL_SECONDS = 1.5
DEMO_RUN_SECONDS = 3.0


@dataclass(frozen=True)
class VerifyOptions:
    image: str = DEFAULT_IMAGE
    runtime: str = DEFAULT_RUNTIME
    name: str = DEFAULT_NAME
    #: Ask for an attestation report after dmesg.
    attest: bool = True
    #: The 64 bytes the report must carry; None: random (on the demo host: the recording's).
    report_data: bytes | None = None
    vmpl: int | None = None
    #: Seconds each ctr command may take.
    timeout: float = DEFAULT_TIMEOUT
    #: Pass --cni to ctr run (the guide does).
    cni: bool = True
    #: Replay the demo host's recordings instead of running ctr.
    demo: bool = False
    #: Pull the image first (the guide does).
    pull: bool = True
    #: Demo replay speed factor (None: ``$KATA_SNP_TUI_DEMO_SPEED`` or 1).
    demo_speed: float | None = None
    #: The session's build profile id (kata_snp_tui.profiles): it decides how the expected launch
    #: measurement is computed (kernel hashes, command line rules). None: inferred from the firmware.
    profile: str | None = None

    def problems(self) -> list[str]:
        out: list[str] = []
        if not _IMAGE.match(self.image):
            out.append(f"not a valid image reference: {self.image!r}")
        if not _RUNTIME.match(self.runtime):
            out.append(f"not a valid runtime name: {self.runtime!r}")
        if not _NAME.match(self.name):
            out.append(f"not a valid container name (letters, digits, '_', '.', '-'): {self.name!r}")
        if self.report_data is not None and len(self.report_data) != 64:
            out.append("report data must be 64 bytes")
        if self.vmpl is not None and not 0 <= self.vmpl <= 3:
            out.append("vmpl must be 0..3")
        if not self.timeout > 0:
            out.append("timeout must be more than 0 seconds")
        if self.profile is not None:
            from kata_snp_tui.profiles import profile_ids

            if self.profile not in profile_ids():
                out.append(f"unknown profile {self.profile!r} (known: {', '.join(profile_ids())})")
        return out

    def validate(self) -> None:
        problems = self.problems()
        if problems:
            raise UserError(problems[0])


# ----------------------------------------------------------------------------------- demo data


@dataclass(frozen=True)
class DemoRecording:
    image: str
    pull: Path
    run: Path
    report_data: bytes | None


def demo_dir() -> Path:
    return Path(str(files("kata_snp_tui.assets") / "demo" / "guest"))


def demo_recordings() -> dict[str, DemoRecording]:
    """The demo host's recorded runs by image (``assets/demo/guest/runs.toml``)."""
    base = demo_dir()
    data = tomllib.loads((base / "runs.toml").read_text(encoding="utf-8"))
    out: dict[str, DemoRecording] = {}
    for entry in data.get("run", []):
        rd = entry.get("report_data")
        out[str(entry["image"])] = DemoRecording(
            image=str(entry["image"]),
            pull=base / str(entry["pull"]),
            run=base / str(entry["run"]),
            report_data=bytes.fromhex(rd) if rd else None,
        )
    return out


def demo_images() -> list[str]:
    return list(demo_recordings())


# ----------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class VerifyPlan:
    options: VerifyOptions
    report_data: bytes
    pull: Any | None  # recipe.Step
    run: Any  # recipe.Step
    #: The guide's commands this plan runs, for display.
    guide_commands: tuple[str, ...]


def ctr_pull_argv(options: VerifyOptions) -> tuple[str, ...]:
    return ("ctr", "image", "pull", options.image)


def ctr_run_argv(options: VerifyOptions, script: str) -> tuple[str, ...]:
    argv = ["ctr", "run"]
    if options.cni:
        argv.append("--cni")
    argv += ["--runtime", options.runtime, "--rm", options.image, options.name, "sh", "-c", script]
    return tuple(argv)


def display_run(options: VerifyOptions) -> str:
    """The run command as shown to people (the script abbreviated)."""
    cni = "--cni " if options.cni else ""
    return (f"ctr run {cni}--runtime {shlex.quote(options.runtime)} --rm {shlex.quote(options.image)} "
            f"{shlex.quote(options.name)} sh -c '<dmesg; mknod /dev/sev-guest; attestation report>'")


def _work_dir(demo: bool) -> Path:
    from kata_snp_tui.paths import ensure_private_dir, state_dir

    base = state_dir()
    if demo:
        base = ensure_private_dir(base / "demo")
    return ensure_private_dir(base / "verify")


def make_plan(options: VerifyOptions) -> VerifyPlan:
    from kata_snp_tui.recipe import Step

    options.validate()
    cwd = _work_dir(options.demo)
    pull_cmd = "sudo " + " ".join(shlex.quote(a) for a in ctr_pull_argv(options))
    run_cmd = "sudo " + display_run(options)
    if options.demo:
        return _demo_plan(options, cwd, pull_cmd, run_cmd)
    report_data = options.report_data if options.report_data is not None else secrets.token_bytes(64)
    script = build_script(GuestScriptOptions(report_data=report_data, attest=options.attest, vmpl=options.vmpl))
    pull = Step(id=PULL_ID, title=f"Pull {options.image}", cwd=cwd, argv=ctr_pull_argv(options), sudo=True)
    run = Step(id=RUN_ID, title="Run a container in a Kata SNP VM", cwd=cwd,
               argv=ctr_run_argv(options, script), sudo=True)
    return VerifyPlan(options, report_data, pull if options.pull else None, run, (pull_cmd, run_cmd))


def _demo_plan(options: VerifyOptions, cwd: Path, pull_cmd: str, run_cmd: str) -> VerifyPlan:
    """Replay the demo host's recordings through the replay module (real processes, no root).

    ``$KATA_SNP_TUI_DEMO_FAIL=verify.run`` replays the recorded failure instead (fault injection, to
    show the known-error hints), as the build's demo does for its steps.
    """
    from kata_snp_tui.recipe import Step
    from kata_snp_tui.replay import FAIL_ENV, demo_speed

    recordings = demo_recordings()
    rec = recordings.get(options.image)
    if rec is None:
        raise UserError(f"the demo host has recorded runs only for {', '.join(recordings)}; not for {options.image}")
    speed = options.demo_speed or demo_speed()
    fail = os.environ.get(FAIL_ENV) or ""
    replay = (sys.executable, "-m", "kata_snp_tui.replay")

    def argv(path: Path, seconds: float, label: str, exit_code: int = 0) -> tuple[str, ...]:
        out = (*replay, str(path), "--duration", f"{seconds / speed:.3f}", "--label", label)
        return (*out, "--exit", str(exit_code)) if exit_code else out

    pull_fail = fail == PULL_ID
    run_fail = fail == RUN_ID
    pull = Step(id=PULL_ID, title=f"Pull {options.image} (demo replay)", cwd=cwd,
                argv=argv(demo_dir() / "ctr-pull-fail.txt" if pull_fail else rec.pull, DEMO_PULL_SECONDS,
                          f"recorded ctr image pull of {options.image}", 1 if pull_fail else 0),
                stands_for=(pull_cmd,))
    run = Step(id=RUN_ID, title="Run a container in a Kata SNP VM (demo replay)", cwd=cwd,
               argv=argv(demo_dir() / "ctr-run-fail.txt" if run_fail else rec.run, DEMO_RUN_SECONDS,
                         f"recorded guest run in {options.image}", 1 if run_fail else 0),
               stands_for=(run_cmd,))
    report_data = rec.report_data or options.report_data or bytes(64)
    return VerifyPlan(options, report_data, pull if options.pull else None, run, (pull_cmd, run_cmd))


def cleanup_step(options: VerifyOptions) -> Any:
    """Remove what ``ctr run --rm`` would have removed, after a cancel or a timeout."""
    from kata_snp_tui.recipe import Step

    name = shlex.quote(options.name)
    script = (
        f"ctr task kill -s SIGKILL {name} >/dev/null 2>&1 || true\n"
        f"ctr task rm -f {name} 2>&1 || true\n"
        f"ctr container rm {name} 2>&1 || true\n"
    )
    return Step(id=CLEANUP_ID, title=f"Remove container {options.name}", cwd=_work_dir(options.demo),
                argv=("sh", "-c", script), sudo=True)


# ------------------------------------------------------------------------------------ running


@dataclass
class RunEvent:
    """Progress for a screen: ``start``/``end`` of a step (with its outcome), or ``phase`` changes."""

    kind: str
    step_id: str
    title: str = ""
    outcome: Any | None = None
    phase: str | None = None


def _make_runner(demo: bool, privilege: Any | None = None) -> Any:
    from kata_snp_tui.build_state import BuildPaths, BuildState
    from kata_snp_tui.runner import Runner

    work = _work_dir(demo)
    paths = BuildPaths(root=work / "state", logs=work / "logs")
    state = BuildState.open(paths, work)
    return Runner(state, paths, privilege=privilege)


class VerifyRun:
    """One verification: pull, run, read; cancellable from another thread. Blocking: call it from a
    thread (a Textual thread worker or the CLI's main thread)."""

    def __init__(
        self,
        options: VerifyOptions,
        *,
        runner: Any | None = None,
        privilege: Any | None = None,
        on_output: Callable[[str], None] | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        cleanup_timeout: float = CLEANUP_TIMEOUT,
    ) -> None:
        self.plan = make_plan(options)
        self.options = options
        self.runner = runner if runner is not None else _make_runner(options.demo, privilege)
        self.on_output = on_output
        self.on_event = on_event
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.cleanup_timeout = cleanup_timeout
        self._cancelled = threading.Event()
        self._timed_out = threading.Event()
        self._chunks: list[str] = []
        self._size = 0
        self._lock = threading.Lock()

    @property
    def steps(self) -> list[Any]:
        return [s for s in (self.plan.pull, self.plan.run) if s is not None]

    def needs_password(self) -> bool:
        return bool(self.runner.privilege.needs_password(self.steps))

    def cancel(self) -> None:
        self._cancelled.set()
        self.runner.cancel()

    # ------------------------------------------------------------------------------- internals

    def _emit(self, event: RunEvent) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # noqa: BLE001 - a screen's bug must not stop the run
                pass

    def _tee(self, collect: bool) -> Callable[[str], None]:
        def out(chunk: str) -> None:
            if collect:
                with self._lock:
                    if self._size < MAX_CAPTURE:
                        self._chunks.append(chunk)
                        self._size += len(chunk)
            if self.on_output is not None:
                self.on_output(chunk)

        return out

    def _run_step(self, step: Any, password: str | None, timeout: float | None, collect: bool) -> Any:
        timer: threading.Timer | None = None
        if timeout is not None:
            def expire() -> None:
                self._timed_out.set()
                self.runner.cancel()

            timer = threading.Timer(timeout, expire)
            timer.daemon = True
        self._emit(RunEvent("start", step.id, step.title))
        if timer is not None:
            timer.start()
        try:
            outcome = self.runner.run_step(step, on_output=self._tee(collect), password=password)
        finally:
            if timer is not None:
                timer.cancel()
        self._emit(RunEvent("end", step.id, step.title, outcome))
        return outcome

    def _record(self, step: Any, outcome: Any | None, command: str) -> StepRecord:
        if outcome is None:
            return StepRecord(step.id, step.title, command, "not run")
        status = str(getattr(outcome.status, "value", outcome.status))
        if status == "cancelled" and self._timed_out.is_set() and not self._cancelled.is_set():
            status = "timed out"
        return StepRecord(step.id, step.title, command, status, outcome.exit_code,
                          str(outcome.log_path) if outcome.log_path else None)

    def captured(self) -> str:
        with self._lock:
            return "".join(self._chunks)

    # ---------------------------------------------------------------------------------- execute

    def execute(self, password: str | None = None, save: bool = True) -> Verification:
        """Run the plan to its end and return the verification (saved in the state folder)."""
        plan, options = self.plan, self.options
        records: list[StepRecord] = []
        failure: str | None = None
        outputs: list[str] = []
        pull_outcome = run_outcome = None

        if plan.pull is not None and not self._cancelled.is_set():
            pull_outcome = self._run_step(plan.pull, password, options.timeout, collect=False)
            records.append(self._record(plan.pull, pull_outcome, plan.guide_commands[0]))
            outputs.extend(pull_outcome.tail)
            if not pull_outcome.ok:
                failure = self._failure_text("the pull", pull_outcome)
        if failure is None and not self._cancelled.is_set():
            self._timed_out.clear()
            run_outcome = self._run_step(plan.run, password, options.timeout, collect=True)
            records.append(self._record(plan.run, run_outcome, plan.guide_commands[1]))
            if not run_outcome.ok:
                failure = self._failure_text("the container run", run_outcome)
        elif plan.run is not None:
            records.append(StepRecord(plan.run.id, plan.run.title, plan.guide_commands[1], "not run"))
        if self._cancelled.is_set() and failure is None:
            failure = "cancelled before the run started"

        text = self.captured()
        guest, attestation = analyse_run_output(text, plan.report_data, attempted=options.attest)
        guest_out = split_output(text)
        # The guest's dmesg counts as read only when its end marker came with exit status 0.
        guest_read = guest_out.structured and guest_out.dmesg_exit == 0
        if not guest_out.structured:
            # The guest script never started (ctr failed first): there is no guest log to judge.
            guest = parse_guest_log("")
        if run_outcome is None:
            attestation = Attestation(NOT_ATTEMPTED, None, "The container did not run, so no report was asked for.",
                                      plan.report_data)

        ended_early = run_outcome is not None and str(getattr(run_outcome.status, "value", "")) == "cancelled"
        if ended_early and not options.demo:
            cleanup = cleanup_step(options)
            cleanup_outcome = self._run_step(cleanup, password, self.cleanup_timeout, collect=False)
            records.append(self._record(cleanup, cleanup_outcome, f"sudo ctr task rm -f {options.name}; "
                                                                  f"sudo ctr container rm {options.name}"))

        if run_outcome is not None:
            outputs.extend(text.splitlines()[-200:] if text else list(run_outcome.tail))
        hints = [] if (failure is None and guest.snp_active) else self._hints("\n".join(outputs))
        verification = Verification(
            source="demo" if options.demo else "run",
            guest=guest,
            attestation=attestation,
            image=options.image,
            runtime=options.runtime,
            name=options.name,
            steps=tuple(records),
            finished_at=self.clock().isoformat(),
            run_failed=failure is not None,
            failure=failure,
            demo=options.demo,
            extra={"hints": hints, "guide_commands": list(plan.guide_commands)},
            guest_read=guest_read,
            measurement=for_report(attestation.report, options.demo, _profile(options.profile)),
        )
        if save:
            from kata_snp_tui.verify.result import save_last

            try:
                save_last(verification)
            except OSError:
                pass
        return verification

    def _failure_text(self, what: str, outcome: Any) -> str:
        status = str(getattr(outcome.status, "value", outcome.status))
        if getattr(outcome, "needs_password", False):
            return f"{what} needs root: sudo asks for a password"
        if status == "cancelled":
            if self._timed_out.is_set() and not self._cancelled.is_set():
                return f"{what} timed out after {self.options.timeout:g} s and was ended"
            return f"{what} was cancelled"
        return f"{what} failed ({outcome.message})"

    @staticmethod
    def _hints(text: str) -> list[dict[str, Any]]:
        if not text.strip():
            return []
        try:
            from kata_snp_tui.troubleshoot import search_errors

            return [m.to_json() for m in search_errors(text, limit=5, stage="verify")]
        except ImportError:
            return []


def run_headless(options: VerifyOptions, echo: bool = True, password: str | None = None) -> Verification:
    """The CLI's run: output echoed to standard error as it comes (when ``echo``), Ctrl-C cancels."""
    import getpass
    import signal

    def out(chunk: str) -> None:
        if echo:  # the guest's output, with control characters made visible (it must not drive the terminal)
            sys.stderr.write("\n".join(visible(part) for part in chunk.split("\n")))
            sys.stderr.flush()

    run = VerifyRun(options, on_output=out)
    if not options.demo and password is None and run.needs_password():
        if not sys.stdin.isatty():
            raise UserError("sudo needs a password for ctr: run from a terminal, as root, or with passwordless sudo")
        password = getpass.getpass("[sudo] password for ctr: ")
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: Any) -> None:
        run.cancel()

    signal.signal(signal.SIGINT, on_sigint)
    try:
        if echo:
            for line in run.plan.guide_commands:
                sys.stderr.write(f"$ {line}\n")
        return run.execute(password=password)
    finally:
        signal.signal(signal.SIGINT, previous)


def with_image(options: VerifyOptions, image: str) -> VerifyOptions:
    return replace(options, image=image)


__all__ = [
    "DEFAULT_IMAGE",
    "DEFAULT_NAME",
    "DEFAULT_RUNTIME",
    "PYTHON_IMAGE",
    "RunEvent",
    "VerifyOptions",
    "VerifyPlan",
    "VerifyRun",
    "cleanup_step",
    "ctr_pull_argv",
    "ctr_run_argv",
    "demo_images",
    "demo_recordings",
    "make_plan",
    "run_headless",
    "with_image",
]


def _profile(profile_id: str | None):  # -> Profile | None
    if profile_id is None:
        return None
    from kata_snp_tui.profiles import get_profile

    return get_profile(profile_id)
