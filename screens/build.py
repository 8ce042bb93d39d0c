"""Stage 2: the guide's build steps with live logs.

Left, the steps (status, duration, what each produces); right, the selected step's command, a
failure banner with the known error's cause and fix, and its log (the live output of the running
step, fed in batches). The runner runs in a thread worker; its output reaches the screen through
an :class:`~kata_snp_tui.runner.OutputQueue` drained every 50 ms into ``Log.write_lines``.

Tests and callers may put keyword arguments for :func:`kata_snp_tui.runner.open_build` (for
example ``recipe_path``, ``workspace``, ``privilege``, ``grace``) in
``app.session.extras[BUILD_OPTIONS_KEY]`` before the screen opens.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import replace
from datetime import datetime
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from rich.cells import cell_len
from textual.widgets import Footer, Header, Log, OptionList, ProgressBar, Static

from kata_snp_tui.build_state import StepRecord, StepStatus
from kata_snp_tui.clipboard import sent_message
from kata_snp_tui.errors import UserError
from kata_snp_tui.knowledge import default_knowledge
from kata_snp_tui.progress import BuildCounts
from kata_snp_tui.recipe import Step, display_command, root_mark
from kata_snp_tui.runner import Build, OutputQueue, RunEvent, RunResult, StepOutcome, open_build, read_log_tail
from kata_snp_tui.screens.failure_banner import Failure, FailureBanner
from kata_snp_tui.screens.password import PasswordScreen
from kata_snp_tui.screens.status_style import asset_css
from kata_snp_tui.screens.step_list import StepList, format_duration, status_badge
from kata_snp_tui.sudo import PrivilegeMode

BUILD_OPTIONS_KEY = "build.options"
#: Lines kept on screen (the whole output is in the step's log file).
LOG_MAX_LINES = 10_000
#: Command lines shown above the log (a shell step shows its first lines).
HEAD_COMMAND_LINES = 3
#: How often the live output is moved from the runner to the Log.
DRAIN_INTERVAL = 0.05


#: Characters Log would replace or measure specially (tabs, control characters).
_NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f]")


class BuildLog(Log):
    """The step log: a Log whose width bookkeeping costs one pass per batch for plain text.

    ``Log.write_lines`` hands every batch to a thread worker that measures each line's cell width
    (and first builds the worker's description from the repr of the whole batch): about 3 us a line,
    most of the cost of showing 10^6 lines, and batches that queue up behind it held ~100 MiB
    (``python -m kata_snp_tui.bench --only stream``). Without tabs or control characters a line
    is as wide as ``cell_len`` says (``len`` for ASCII), which needs no thread; other batches take
    Log's own way.
    """

    def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
        if not lines:
            return
        joined = "".join(lines)
        if _NOT_PLAIN.search(joined) is not None:
            super()._update_size(updates, lines)
            return
        if joined.isascii():
            width = max(map(len, lines))
        else:
            width = max(len(line) if line.isascii() else cell_len(line) for line in lines)
        self._update_maximum_width(updates, width)


def failure_for(build: Build, step_id: str, outcome_tail: tuple[str, ...] | None = None) -> Failure | None:
    """The banner for a failed or cancelled step, with knowledge-base hints (reads the log's end)."""
    record = build.state.get(step_id)
    if record.status not in (StepStatus.FAILED, StepStatus.CANCELLED):
        return None
    tail = outcome_tail
    if tail is None:
        tail = tuple(line for line in read_log_tail(record.log, 12) if not line.startswith("### ")) if record.log else ()
    hints: tuple = ()
    if record.status is StepStatus.FAILED:
        if record.log:
            hints = tuple(default_knowledge().match_log(record.log, stage="build", step=step_id))
        else:
            hints = tuple(default_knowledge().match("\n".join(tail), stage="build", step=step_id))
    message = record.message or record.status.value
    title = build.step(step_id).title if any(s.id == step_id for s in build.steps) else step_id
    return Failure(step_id, title, record.status, message, record.log, tail, hints,
                   None if build.demo else str(build.workspace))


class BuildScreen(Screen):
    """Every build step of the guide, in order, with live logs."""

    CSS_PATH = asset_css("build.tcss")

    BINDINGS = [
        Binding("r", "run_all", "Run all"),
        Binding("o", "run_selected", "Run step"),
        Binding("x", "cancel", "Cancel"),
        Binding("t", "retry", "Retry"),
        Binding("s", "skip", "Skip"),
        Binding("l", "log_path", "Log path"),
        Binding("R", "reset", "Reset all", show=False),
    ]

    # ------------------------------------------------------------------------ messages

    class Ready(Message):
        def __init__(self, build: Build) -> None:
            super().__init__()
            self.build = build

    class OpenFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class StepStarted(Message):
        def __init__(self, step_id: str) -> None:
            super().__init__()
            self.step_id = step_id

    class StepEnded(Message):
        def __init__(self, step_id: str, outcome: StepOutcome | None, failure: Failure | None, queue: OutputQueue | None) -> None:
            super().__init__()
            self.step_id = step_id
            self.outcome = outcome
            self.failure = failure
            self.queue = queue

    class RunFinished(Message):
        def __init__(self, result: RunResult | None, error: str = "") -> None:
            super().__init__()
            self.result = result
            self.error = error

    class PasswordNeeded(Message):
        def __init__(self, plan: list[Step], force: bool, error: str = "") -> None:
            super().__init__()
            self.plan = plan
            self.force = force
            self.error = error

    class LogLoaded(Message):
        def __init__(self, step_id: str, lines: list[str], failure: Failure | None) -> None:
            super().__init__()
            self.step_id = step_id
            self.lines = lines
            self.failure = failure

    # ------------------------------------------------------------------------- layout

    def __init__(self) -> None:
        super().__init__()
        self.build: Build | None = None
        self.running = False
        #: (step id, queue) of the step whose output is streaming now.
        self._live: tuple[str, OutputQueue] | None = None
        self._live_lines: deque[str] = deque(maxlen=LOG_MAX_LINES)
        self._follow = True
        self._password: str | None = None
        self._password_checked = False
        self._run_started: datetime | None = None
        self._step_started: datetime | None = None
        self._shown_log: str | None = None
        #: Actions keyed before the recipe was open (F4 then r in one burst), run once it is.
        self._queued: list[Callable[[], None]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="build-top"):
            with Horizontal(id="build-progress-row"):
                yield Static(id="build-summary")
                yield ProgressBar(total=1, show_eta=False, id="build-progress")
            yield Static(id="build-notice")
        with Horizontal(id="build-body"):
            yield StepList(id="build-steps")
            with Vertical(id="build-detail"):
                yield Static(id="build-step-head")
                yield FailureBanner(id="build-failure")
                yield BuildLog(max_lines=LOG_MAX_LINES, auto_scroll=True, id="build-log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#build-summary", Static).update("Loading the recipe…")
        self.set_interval(DRAIN_INTERVAL, self._drain)
        self.set_interval(1.0, self._tick)
        self._open()

    def on_unmount(self) -> None:
        if self.build is not None and self.running:
            self.build.runner.cancel(force=True)

    # -------------------------------------------------------------------- opening

    @property
    def demo(self) -> bool:
        return getattr(getattr(self.app, "source", None), "kind", "") == "demo"

    def _now(self) -> datetime:
        return self.app.session.clock()  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="build-open", exit_on_error=False, description="Open the build")
    def _open(self) -> None:
        options = dict(self.app.session.extras.get(BUILD_OPTIONS_KEY, {}))  # type: ignore[attr-defined]
        choose = getattr(self.app, "profile_choice", None)
        try:
            if callable(choose) and "profile" not in options:
                options["profile"] = choose()
            build = open_build(demo=self.demo, **options)
        except UserError as exc:
            self.post_message(self.OpenFailed(str(exc)))
            return
        self.post_message(self.Ready(build))

    @on(OpenFailed)
    def _open_failed(self, event: OpenFailed) -> None:
        self._queued.clear()  # nothing to run them on
        self.query_one("#build-summary", Static).update(Content.from_markup(f"[b $text-error]Cannot build:[/] {escape(event.error)}"))
        self.notify(event.error, severity="error", timeout=10)

    @on(Ready)
    def _ready(self, event: Ready) -> None:
        self.build = event.build
        self._publish_states()
        self._render_notice()
        self._render_list()
        target = self._initial_step()
        steps = self.query_one("#build-steps", StepList)
        if target:
            steps.select_step(target)
        steps.focus()
        self._render_summary()
        self._show_selected()
        if event.build.runner.interrupted:
            names = ", ".join(event.build.runner.interrupted)
            self.notify(f"Interrupted in an earlier session: {names}. Retry with t.", severity="warning", timeout=8)
        for problem in event.build.state.problems:  # e.g. a corrupt state file, set aside (as the CLI says)
            self.notify(problem, severity="warning", timeout=10)
        queued, self._queued = self._queued, []
        for action in queued:
            action()

    def _when_open(self, action: Callable[[], None]) -> bool:
        """True when the build is open; else ``action`` waits until it is (a key typed right after F4, while
        the recipe is still loading, is done then rather than dropped)."""
        if self.build is not None:
            return True
        self._queued.append(action)
        return False

    def _initial_step(self) -> str | None:
        assert self.build is not None
        records = self.build.state.snapshot()
        for status in (StepStatus.RUNNING, StepStatus.FAILED, StepStatus.CANCELLED):
            for s in self.build.steps:
                if records.get(s.id, StepRecord()).status is status:
                    return s.id
        for s in self.build.steps:
            if not records.get(s.id, StepRecord()).status.finished:
                return s.id
        return self.build.steps[-1].id if self.build.steps else None

    # -------------------------------------------------------------------- rendering

    def _publish_states(self) -> None:
        """The session's copy of every step's state (welcome screen, session report)."""
        if self.build is not None:
            self.app.session.build_states = self.build.state.step_states(self.step_ids())  # type: ignore[attr-defined]

    def _records(self) -> dict[str, StepRecord]:
        """The persisted records, with the step streaming now shown as running (the runner
        records it a moment after the screen hears it started)."""
        records = self.build.state.snapshot() if self.build else {}
        if self._live is not None:
            step_id = self._live[0]
            records[step_id] = replace(records.get(step_id, StepRecord()), status=StepStatus.RUNNING)
        return records

    def _record(self, step_id: str) -> StepRecord:
        return self._records().get(step_id, StepRecord())

    def _live_seconds(self) -> dict[str, float]:
        if self._live is None or self._step_started is None:
            return {}
        return {self._live[0]: max(0.0, (self._now() - self._step_started).total_seconds())}

    def _render_list(self) -> None:
        if self.build is None:
            return
        self.query_one("#build-steps", StepList).show_steps(
            self.build.steps, self._records(), self._live_seconds(), str(self.build.workspace)
        )

    def _render_summary(self) -> None:
        if self.build is None:
            return
        records = self._records()
        total = len(self.build.steps)
        # a skipped step is not done: "32/33 done · 1 skipped" adds up, in the welcome screen's words
        counts = BuildCounts.of([records.get(s.id, StepRecord()).status.value for s in self.build.steps])
        parts = [f"[b]{counts.done}/{total}[/b] done"]
        if counts.skipped:
            parts.append(f"{counts.skipped} skipped")
        if counts.failed:
            parts.append(f"[$text-error]{counts.failed} failed[/]")
        if counts.cancelled:
            parts.append(f"[$text-warning]{counts.cancelled} cancelled[/]")
        if self._live is not None:
            parts.append(f"running [b]{escape(self._live[0])}[/b]")
        if self._run_started is not None:
            elapsed = (self._now() - self._run_started).total_seconds()
            parts.append(f"elapsed {format_duration(max(0.0, elapsed)) or '0s'}")
        else:
            spent = sum(r.duration or 0.0 for r in records.values())
            if spent:
                parts.append(f"steps took {format_duration(spent)}")
        self.query_one("#build-summary", Static).update(Content.from_markup(" · ".join(parts)))
        bar = self.query_one("#build-progress", ProgressBar)
        bar.update(total=max(total, 1), progress=counts.finished)

    def _render_notice(self) -> None:
        if self.build is None:
            return
        if self.build.demo:
            text = "[b $text-warning]DEMO[/] [$text-muted]recorded logs replayed by the real runner; nothing is built here[/]"
        else:
            text = f"[$text-muted]Workspace[/] {escape(str(self.build.workspace))}"
            tree = self.build.tree_status()
            if tree.version:
                text += f"  [$text-muted]Kata[/] {escape(tree.version)}"
            if tree.warning:
                text += f"\n[b $text-warning]▲[/] [$text-warning]{escape(tree.warning)}[/]"
        choice = self.build.profile
        if choice is not None:
            text += (f"\n[$text-muted]Profile[/] {escape(choice.profile.id)} [$text-muted]· {escape(choice.short)} · "
                     f"Kata {escape(choice.profile.kata_version)}[/]")
        self.query_one("#build-notice", Static).update(Content.from_markup(text))

    def _selected_step(self) -> Step | None:
        if self.build is None:
            return None
        step_id = self.query_one("#build-steps", StepList).selected_id
        if step_id is None:
            return None
        try:
            return self.build.step(step_id)
        except KeyError:
            return None

    def _render_head(self, step: Step | None) -> None:
        head = self.query_one("#build-step-head", Static)
        if step is None or self.build is None:
            head.update("")
            return
        rec = self._record(step.id)
        state = f"{status_badge(rec.status)} {rec.status.value}"
        if rec.status is not StepStatus.PENDING and rec.message and rec.status is not StepStatus.RUNNING:
            state += f" [$text-muted]· {escape(rec.message)}[/]"
        if rec.duration is not None and rec.status is not StepStatus.RUNNING:
            state += f" [$text-muted]· {format_duration(rec.duration)}[/]"
        lines = [f"[b]{escape(step.title)}[/b]  [$text-muted]{escape(step.id)}[/]", state]
        shown = list(step.stands_for) or display_command(step, as_root=self.build.runner.privilege.is_root())
        shown = [line for line in shown if line.strip()]
        for line in shown[:HEAD_COMMAND_LINES]:
            lines.append(f"[$text-accent]$ {escape(line)}[/]" if not line.startswith("#") else f"[$text-muted]{escape(line)}[/]")
        if len(shown) > HEAD_COMMAND_LINES:
            lines.append(f"[$text-muted]  … {len(shown) - HEAD_COMMAND_LINES} more lines (the dry run shows them all)[/]")
        if step.stands_for:
            lines.append("[$text-muted](demo: replayed from a recording)[/]")
        else:
            mark = root_mark(step, as_root=self.build.runner.privilege.is_root())
            lines.append(f"[$text-muted]in {escape(str(step.cwd))}{f' · {mark}' if mark else ''}[/]")
        head.update(Content.from_markup("\n".join(lines)))

    def _show_selected(self) -> None:
        step = self._selected_step()
        self._render_head(step)
        if step is None or self.build is None:
            return
        log = self.query_one("#build-log", Log)
        banner = self.query_one("#build-failure", FailureBanner)
        if self._live is not None and self._live[0] == step.id:
            if self._shown_log != step.id:
                log.clear()
                log.write_lines(list(self._live_lines))
                self._shown_log = step.id
            banner.show_failure(None)
            return
        self._shown_log = None
        self._load_log(step.id)

    @work(thread=True, exclusive=True, group="build-log", exit_on_error=False, description="Read a step log")
    def _load_log(self, step_id: str) -> None:
        build = self.build
        if build is None:
            return
        record = build.state.get(step_id)
        lines = read_log_tail(record.log, LOG_MAX_LINES) if record.log else []
        # The head above the log already says what ran and how it ended.
        lines = [line for line in lines if not line.startswith("### ")]
        self.post_message(self.LogLoaded(step_id, lines, failure_for(build, step_id)))

    @on(LogLoaded)
    def _log_loaded(self, event: LogLoaded) -> None:
        step = self._selected_step()
        if step is None or step.id != event.step_id or (self._live is not None and self._live[0] == step.id):
            return
        log = self.query_one("#build-log", Log)
        log.clear()
        if event.lines:
            log.write_lines(event.lines)
        elif self.build is not None and self.build.state.status(step.id) is StepStatus.PENDING:
            log.write_line("(not run yet: o runs this step, r runs every step that is not done)")
        self._shown_log = step.id
        self.query_one("#build-failure", FailureBanner).show_failure(event.failure)
        self.call_after_refresh(log.scroll_end, animate=False)

    @on(OptionList.OptionHighlighted, "#build-steps")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self._live is not None:
            self._follow = event.option.id == self._live[0]
        self._show_selected()

    @on(OptionList.OptionSelected, "#build-steps")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_run_selected()

    # ---------------------------------------------------------------- live output

    def _drain(self) -> None:
        live = self._live
        if live is None:
            return
        lines = live[1].drain()
        if not lines:
            return
        self._live_lines.extend(lines)
        if self._shown_log == live[0]:
            self.query_one("#build-log", Log).write_lines(lines)

    def _tick(self) -> None:
        if self._live is not None:
            self._render_list()
            self._render_summary()

    # ---------------------------------------------------------------- running steps

    def _start(self, plan: list[Step], force: bool) -> None:
        if self.build is None:
            self.notify("The recipe is not loaded.", severity="error")
            return
        if self.running:
            self.notify("A step is running; x cancels it.", severity="warning", timeout=3)
            return
        if not plan:
            return
        self.running = True
        self._follow = True
        self._run_started = self._now()
        self._render_summary()
        self._run_worker(plan, force, self._password)

    @work(thread=True, exclusive=True, group="build", exit_on_error=False, description="Build steps")
    def _run_worker(self, plan: list[Step], force: bool, password: str | None) -> None:
        build = self.build
        assert build is not None
        runner = build.runner
        try:
            to_run = build.steps_to_run(plan, force)
            root_steps = [s for s in to_run if s.sudo]
            if root_steps and not runner.privilege.is_root():
                mode = runner.privilege.mode()
                if mode is PrivilegeMode.NO_SUDO:
                    names = ", ".join(s.id for s in root_steps)
                    self.post_message(self.RunFinished(None, f"steps {names} need root: run as root or install sudo"))
                    return
                if mode is PrivilegeMode.SUDO_PASSWORD:
                    if password is None:
                        self.post_message(self.PasswordNeeded(plan, force))
                        return
                    if not self._password_checked:
                        if not runner.privilege.check_password(password):
                            self.post_message(self.PasswordNeeded(plan, force, "sudo did not accept that password."))
                            return
                        self._password_checked = True
            build.ensure_workspace()

            def on_event(event: RunEvent) -> None:
                if event.kind == "start":
                    queue = OutputQueue(max_lines=LOG_MAX_LINES)  # holds no more than the Log keeps
                    self._live = (event.step.id, queue)
                    self.post_message(self.StepStarted(event.step.id))
                elif event.kind == "end":
                    live = self._live
                    queue = live[1] if live is not None and live[0] == event.step.id else None
                    failure = None
                    if event.outcome is not None and not event.outcome.ok:
                        failure = failure_for(build, event.step.id)
                    self.post_message(self.StepEnded(event.step.id, event.outcome, failure, queue))
                elif event.kind == "skip":
                    self.post_message(self.StepEnded(event.step.id, None, None, None))

            def on_output(chunk: str) -> None:
                live = self._live
                if live is not None:
                    live[1].put(chunk)

            result = runner.run_steps(plan, force=force, password=password, on_event=on_event, on_output=on_output)
            self.post_message(self.RunFinished(result))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.RunFinished(None, f"{type(exc).__name__}: {exc}"))

    @on(StepStarted)
    def _step_started(self, event: StepStarted) -> None:
        self._step_started = self._now()
        self._live_lines.clear()
        steps = self.query_one("#build-steps", StepList)
        if self._follow:
            steps.select_step(event.step_id)
        self._shown_log = None
        if steps.selected_id == event.step_id:
            self.query_one("#build-log", Log).clear()
            self.query_one("#build-failure", FailureBanner).show_failure(None)
            self._shown_log = event.step_id
            self._render_head(self._selected_step())
        self._render_list()
        self._render_summary()

    @on(StepEnded)
    def _step_ended(self, event: StepEnded) -> None:
        if event.queue is not None:
            lines = event.queue.drain(final=True)
            if lines:
                self._live_lines.extend(lines)
                if self._shown_log == event.step_id:
                    self.query_one("#build-log", Log).write_lines(lines)
        if self._live is not None and self._live[0] == event.step_id:
            self._live = None
            self._step_started = None
        self._publish_states()
        self._render_notice()  # a checkout step may have changed the tree (and its version warning)
        self._render_list()
        self._render_summary()
        selected = self.query_one("#build-steps", StepList).selected_id
        if selected == event.step_id:
            self._render_head(self._selected_step())
            self.query_one("#build-failure", FailureBanner).show_failure(event.failure)
            log = self.query_one("#build-log", Log)
            self.call_after_refresh(log.scroll_end, animate=False)

    @on(RunFinished)
    def _run_finished(self, event: RunFinished) -> None:
        self.running = False
        self._publish_states()
        self._live = None
        self._step_started = None
        self._run_started = None
        self._render_list()
        self._render_summary()
        self._render_head(self._selected_step())
        if event.error:
            self.notify(event.error, severity="error", timeout=10)
            return
        result = event.result
        if result is None:
            return
        if result.blocked is not None:
            self.notify(result.blocked.message, severity="warning", timeout=8)
        elif result.stopped is not None:
            o = result.stopped
            if o.needs_password:
                self._password = None
                self._password_checked = False
            word = "cancelled" if o.status is StepStatus.CANCELLED else "failed"
            self.notify(f"{o.step_id} {word}: {o.message}", severity="error" if word == "failed" else "warning", timeout=8)
        elif result.cancelled:
            self.notify("Cancelled.", severity="warning", timeout=4)
        elif self.build is not None and all(self.build.state.status(s.id).finished for s in self.build.steps):
            self.notify("Every build step is done. Next: F5 configures Kata for SNP.", timeout=8)

    @on(PasswordNeeded)
    def _password_needed(self, event: PasswordNeeded) -> None:
        self.running = False
        self._run_started = None
        self._password = None
        self._password_checked = False
        names = ", ".join(s.id for s in event.plan if s.sudo)
        reason = f"Steps that run as root ({names}) go through sudo, and sudo asks for your password."

        def done(password: str | None) -> None:
            if password is None:
                self.notify("Not run: no password given.", severity="warning", timeout=4)
                self._render_summary()
                return
            self._password = password
            self._start(event.plan, event.force)

        self.app.push_screen(PasswordScreen(reason, event.error), done)

    # ------------------------------------------------------------------------ actions

    def action_run_all(self) -> None:
        if not self._when_open(self.action_run_all) or self.build is None:
            return
        self._start(list(self.build.steps), force=False)

    def action_run_selected(self) -> None:
        if not self._when_open(self.action_run_selected):
            return
        step = self._selected_step()
        if step is None or self.build is None:
            return
        missing = self.build.runner.unmet_needs(step)
        if missing:
            self.notify(f"{step.id} needs {', '.join(missing)} first.", severity="warning", timeout=5)
            return
        self._start([step], force=True)

    def action_retry(self) -> None:
        if not self._when_open(self.action_retry):
            return
        if self.build is None or self.running:
            if self.running:
                self.notify("A step is running; x cancels it.", severity="warning", timeout=3)
            return
        step = self._selected_step()
        records = self._records()
        if step is None or records.get(step.id, StepRecord()).status not in (
            StepStatus.FAILED, StepStatus.CANCELLED, StepStatus.SKIPPED
        ):
            failed = [s for s in self.build.steps if records.get(s.id, StepRecord()).status in (StepStatus.FAILED, StepStatus.CANCELLED)]
            if not failed:
                self.notify("Nothing to retry: no step failed.", timeout=3)
                return
            step = failed[0]
        self.build.runner.reset(step.id)
        index = [s.id for s in self.build.steps].index(step.id)
        self._render_list()
        self._start(list(self.build.steps[index:]), force=False)

    def action_skip(self) -> None:
        if not self._when_open(self.action_skip):
            return
        step = self._selected_step()
        if step is None or self.build is None:
            return
        if self._live is not None and self._live[0] == step.id:
            self.notify("This step is running; x cancels it first.", severity="warning", timeout=3)
            return
        self.build.runner.skip(step.id)
        self._publish_states()
        self._render_list()
        self._render_summary()
        self._show_selected()
        self.notify(f"{step.id} skipped: later steps may run as if it were done.", timeout=4)

    def action_cancel(self) -> None:
        if self.build is None or not self.running:
            self.notify("Nothing is running.", timeout=2)
            return
        self.build.runner.cancel()
        self.notify("Cancelling: SIGTERM to the step's processes, SIGKILL after the grace period.", timeout=4)

    def action_log_path(self) -> None:
        step = self._selected_step()
        if step is None or self.build is None:
            return
        record = self.build.state.get(step.id)
        path = record.log or str(self.build.paths.log_file(step.id))
        self.app.copy_to_clipboard(path)
        exists = "" if record.log else " (not written yet)"
        self.notify(f"Full log{exists}: {path}\n{sent_message('The path', shown=True)}", timeout=12)

    def action_reset(self) -> None:
        if self.build is None or self.running:
            return
        for s in self.build.steps:
            self.build.runner.reset(s.id)
        self._publish_states()
        self._render_list()
        self._render_summary()
        self._show_selected()
        self.notify("Every step is pending again (files in the workspace are untouched).", timeout=4)

    # ------------------------------------------------------------------- for tests

    @property
    def live_step_id(self) -> str | None:
        return self._live[0] if self._live else None

    def shown_log_text(self) -> str:
        return "\n".join(self.query_one("#build-log", Log).lines)

    def step_ids(self) -> list[str]:
        return [s.id for s in self.build.steps] if self.build else []

    def records(self) -> dict[str, Any]:
        return {k: v.status.value for k, v in self._records().items()}
