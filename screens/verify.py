"""Stage 4: run busybox in a Kata SNP VM, read the guest's dmesg, get and decode an attestation report.

Left: the run's live output (batched into a Log). Right: the verdict in block letters, the checklist
of SNP signals (each with its line), the attestation report decoded, and on failure the known errors
that match the output with their fix. The run itself is :class:`kata_snp_tui.verify.run.VerifyRun`
(real processes through the shared runner) in a thread worker; this screen only renders and asks.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Log, Static
from textual.worker import Worker, WorkerState

from kata_snp_tui.runner import OutputQueue
from kata_snp_tui.screens.status_style import asset_css
from kata_snp_tui.screens.verify_banner import VerdictBanner
from kata_snp_tui.screens.verify_hints import HintList
from kata_snp_tui.screens.verify_options import VerifyOptionsScreen
from kata_snp_tui.screens.password import PasswordScreen
from kata_snp_tui.screens.verify_report_panel import ReportPanel
from kata_snp_tui.screens.verify_signature_dialog import SignatureDialog
from kata_snp_tui.screens.verify_rows import RowData, RowList
from kata_snp_tui.screens.verify_signals import SignalChecklist
from kata_snp_tui.verify.guest_log import visible
from kata_snp_tui.verify.guest_script import SECTION_PREFIX
from kata_snp_tui.verify.result import CANCELLED, NO_TOOL, Verification
from kata_snp_tui.verify.run import PYTHON_IMAGE, RunEvent, VerifyOptions, VerifyRun, demo_images
from kata_snp_tui.verify.signature import SignatureCheck, SignatureRequest

LOG_MAX_LINES = 20_000
DRAIN_INTERVAL = 0.05
#: Below this width the output is hidden when a run ends, so the result has the whole width.
NARROW = 100

_PHASES = {
    "dmesg": "guest: reading dmesg",
    "sev-guest": "guest: creating /dev/sev-guest",
    "attestation": "guest: asking for an attestation report",
    "done": "guest: finished",
}


class VerifyScreen(Screen):
    """See the module docstring."""

    CSS_PATH = asset_css("verify.tcss")

    BINDINGS = [
        Binding("r", "run", "Run"),
        Binding("c", "cancel", "Cancel run"),
        Binding("o", "options", "Options"),
        Binding("s", "signature", "Check signature"),
        # Offered (footer, keys line, report panel) only when it applies: the image had no tool for the report.
        Binding("i", "python_image", "Run with python image"),
        Binding("e", "export", "Export report"),
        Binding("l", "toggle_output", "Output on/off"),
    ]

    class Event(Message):
        """A step started or ended (posted from the run's thread)."""

        def __init__(self, event: RunEvent) -> None:
            super().__init__()
            self.event = event

    def __init__(self) -> None:
        super().__init__()
        self._queue = OutputQueue()
        self._run: VerifyRun | None = None
        self._cancel_requested = threading.Event()
        #: Set when the run's thread has finished (so leaving the app can wait for its clean-up).
        self._run_done = threading.Event()
        self._run_done.set()
        #: The last run started, kept until its thread ends (``_run`` is cleared when the worker reports).
        self._last_run: VerifyRun | None = None
        self.options: VerifyOptions | None = None
        self.verification: Verification | None = None
        self._phase = ""
        #: What the last signature check asked for (the dialog starts from it).
        self._signature_request: SignatureRequest | None = None

    # ------------------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="verify-summary")
        with Horizontal(id="verify-body"):
            with Vertical(id="verify-output"):
                yield Static("[b]Output[/b]", id="verify-output-title")
                yield Log(id="verify-log", max_lines=LOG_MAX_LINES, auto_scroll=True)
            with VerticalScroll(id="verify-results"):
                yield VerdictBanner(id="verify-banner")
                yield Static("", id="verify-status")
                yield Static("[b]Known errors matching the output[/b]", classes="verify-section",
                             id="verify-hints-title")
                yield HintList(id="verify-hints")
                yield Static("[b]SNP signals in the guest's dmesg[/b]", classes="verify-section")
                yield SignalChecklist(id="verify-signals")
                yield Static("[b]Attestation report[/b]", classes="verify-section")
                yield ReportPanel(id="verify-report")
                yield Static("[b]Commands run[/b]", classes="verify-section", id="verify-steps-title")
                yield RowList(id="verify-steps")
                yield Static("", id="verify-logs")
        yield Footer()

    def on_mount(self) -> None:
        source = self.app.source  # type: ignore[attr-defined]
        self.options = VerifyOptions(demo=source.kind == "demo")
        self.set_interval(DRAIN_INTERVAL, self._drain)
        previous = getattr(self.app.session, "verification", None)  # type: ignore[attr-defined]
        if isinstance(previous, Verification):
            self.verification = previous
        self._render_all()

    # ----------------------------------------------------------------------------- rendering

    @property
    def running(self) -> bool:
        return self._run is not None

    def _summary_markup(self) -> str:
        o = self.options
        assert o is not None
        parts = [
            f"[$text-muted]image[/] {escape(o.image)}",
            f"[$text-muted]runtime[/] {escape(o.runtime)}",
            f"[$text-muted]name[/] {escape(o.name)}",
            f"[$text-muted]report[/] {'yes' if o.attest else 'no'}",
        ]
        head = "  ".join(parts)
        if o.demo:
            head = "[b $text-warning]DEMO[/] [$text-warning]replays the demo host's recorded run (real processes)[/]\n" + head
        keys = "[$text-muted]r run · c cancel · o options · l output on/off · e export the session report"
        if self._python_image_applies():
            keys += f" · i run again with {escape(PYTHON_IMAGE)}"
        keys += "[/]"
        return f"{head}\n{keys}"

    def _render_all(self) -> None:
        self.query_one("#verify-summary", Static).update(Content.from_markup(self._summary_markup()))
        v = self.verification
        banner = self.query_one(VerdictBanner)
        status = self.query_one("#verify-status", Static)
        if self.running:
            banner.show(None, "Running…")
            status.update(Content.from_markup(f"[$text-accent]{escape(self._phase or 'starting')}[/]"))
        elif v is None:
            banner.show(None, "Not run yet", "press r to run the guide's test")
            status.update("")
        else:
            detail = "DEMO: recorded run" if v.demo else ""
            outcome = v.outcome
            if outcome.state == CANCELLED:
                banner.show("cancelled", "Cancelled before the guest's dmesg was read: no verdict", detail)
            elif not outcome.completed:
                banner.show("failed", "The run failed before the guest's dmesg could be read: no verdict", detail)
            else:
                banner.show(outcome.verdict, detail=detail)
            status.update(Content.from_markup(self._status_markup(v)))
        status.display = bool(self.running or (v is not None and v.run_failed))
        steps = [] if self.running else self._step_rows(v)
        self.query_one("#verify-steps", RowList).set_rows(steps)
        self.query_one("#verify-steps-title").display = bool(steps)
        logs = self.query_one("#verify-logs", Static)
        log_dirs = sorted({str(Path(s.log_path).parent) for s in v.steps if s.log_path}) if v and steps else []
        logs.update(Content.from_markup(f"[$text-muted]full output of each command in {escape(', '.join(log_dirs))}[/]")
                    if log_dirs else "")
        logs.display = bool(log_dirs)
        if v is not None and not v.outcome.completed:
            self.query_one(SignalChecklist).show_unread("Nothing to read: the guest's dmesg was not read to its end.")
        else:
            self.query_one(SignalChecklist).show(v.guest if v else None)
        hint = None
        if self._python_image_applies():
            hint = f"Press i to run again with {PYTHON_IMAGE} (it has python3)."
        self.refresh_bindings()  # the footer offers i exactly when the hint does
        self.query_one(ReportPanel).show(v.attestation if v else None, hint, v.measurement if v else None,
                                         v.signature if v else None)
        hints = list(v.extra.get("hints", [])) if v else []
        self.query_one(HintList).show(hints)
        self.query_one("#verify-hints-title").display = bool(hints)

    def _status_markup(self, v: Verification) -> str:
        lines: list[str] = []
        if v.run_failed and v.failure:
            lines.append(f"[$text-error]✖ {escape(v.failure)}[/]")
        return "\n".join(lines)

    @staticmethod
    def _step_rows(v: Verification | None) -> list[RowData]:
        if v is None:
            return []
        rows: list[RowData] = []
        for step in v.steps:
            colour, mark = {"done": ("$text-success", "✔"), "failed": ("$text-error", "✖"), "timed out": ("$text-error", "✖"),
                            "cancelled": ("$text-warning", "■")}.get(step.status, ("$text-muted", "○"))
            log = f" [$text-muted]{escape(Path(step.log_path).name)}[/]" if step.log_path else ""
            rows.append(RowData(f"[{colour}]{mark}[/]",
                                f"{escape(step.title)} [{colour}]{escape(step.status)}[/]{log}"))
        return rows

    def _drain(self, final: bool = False) -> None:
        lines = self._queue.drain(final=final)
        if not lines:
            return
        lines = [visible(line) for line in lines]  # a guest's output must not drive the terminal
        for line in lines:
            if line.startswith(SECTION_PREFIX):
                name = line[len(SECTION_PREFIX):].strip().split(" ", 1)[0]
                if name in _PHASES:
                    self._phase = _PHASES[name]
                    if self.running:
                        self.query_one("#verify-status", Static).update(
                            Content.from_markup(f"[$text-accent]{escape(self._phase)}[/]"))
        self.query_one("#verify-log", Log).write_lines(lines)

    # ------------------------------------------------------------------------------- actions

    def action_run(self) -> None:
        if self.running:
            self.notify("A run is already going; c cancels it.", severity="warning", timeout=3)
            return
        assert self.options is not None
        choice = getattr(self.app.session, "profile_choice", None)  # type: ignore[attr-defined]
        # the session's profile decides how the expected launch measurement is computed, when it rests on a Kata
        self.options = replace(self.options, profile=choice.profile.id if choice is not None and choice.knows_kata
                               else None)
        problems = self.options.problems()
        if problems:
            self.notify(problems[0], severity="error")
            return
        try:
            run = VerifyRun(self.options, on_output=self._queue.put, on_event=self._on_run_event,
                            clock=self.app.session.clock)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a bad option or demo image: tell the user
            self.notify(str(exc), severity="error", timeout=8)
            return
        self._run = run
        self._last_run = run
        self._run_done.clear()
        self.query_one("#verify-output").display = True
        self._cancel_requested.clear()
        self._phase = "starting"
        log = self.query_one("#verify-log", Log)
        log.clear()
        log.write_lines([f"$ {line}" for line in run.plan.guide_commands])
        self.verification = None
        self._render_all()
        self._execute(run)

    def _on_run_event(self, event: RunEvent) -> None:
        self.post_message(self.Event(event))

    @on(Event)
    def _step_event(self, message: Event) -> None:
        ev = message.event
        if ev.kind == "start":
            self._phase = ev.title
        elif ev.kind == "end" and ev.outcome is not None:
            self._drain()
            self.query_one("#verify-log", Log).write_line(f"### {ev.title}: {ev.outcome.message}")
        if self.running:
            self.query_one("#verify-status", Static).update(Content.from_markup(f"[$text-accent]{escape(self._phase)}[/]"))

    @work(thread=True, exclusive=True, group="verify-run", exit_on_error=False, description="Verify run")
    def _execute(self, run: VerifyRun) -> Verification | None:
        try:
            password: str | None = None
            if not run.options.demo and run.needs_password():
                password = self._ask_password()
                if password is None:
                    return None
            return run.execute(password=password)
        finally:
            self._run_done.set()

    def _ask_password(self) -> str | None:
        box: dict[str, str | None] = {}
        done = threading.Event()

        def answered(value: str | None) -> None:
            box["value"] = value
            done.set()

        why = "ctr needs root: sudo asks for your password to pull the image and run the container."
        self.app.call_from_thread(self.app.push_screen, PasswordScreen(why), answered)
        while not done.wait(0.1):
            if self._cancel_requested.is_set():
                return None
        return box.get("value")

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "verify-run":
            return
        event.stop()  # handled here; the app's generic handler would notify a second time
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.state is WorkerState.CANCELLED:
            # Only the app cancels this worker, when it closes: end the run's processes, render nothing.
            if not self._run_done.is_set() and self._last_run is not None:
                self._last_run.cancel()
            self._run = None
            return
        self._drain(final=True)
        self._run = None
        if event.state is WorkerState.SUCCESS:
            result = event.worker.result
            if result is None:
                self.notify("Run not started (no password given).", severity="warning", timeout=4)
            else:
                self._finish(result)
        elif event.state is WorkerState.ERROR:
            self.notify(f"The run could not finish: {event.worker.error}", severity="error", timeout=10)
        self._render_all()

    def _finish(self, verification: Verification) -> None:
        self.verification = verification
        if self.size.width < NARROW:
            self.query_one("#verify-output").display = False  # room for the result; l shows the output
        self.app.session.verification = verification  # type: ignore[attr-defined]
        outcome = verification.outcome  # the same result the CLI, the welcome screen and the report show
        severity = "information" if outcome.ok else "warning"
        self.notify(outcome.sentence, severity=severity, timeout=5)

    def action_cancel(self) -> None:
        if self._run is None:
            self.notify("Nothing is running.", timeout=2)
            return
        self._cancel_requested.set()
        self._run.cancel()
        self.notify("Cancelling: ending the run's processes…", timeout=3)

    def action_options(self) -> None:
        if self.running:
            self.notify("Wait for the run to end (or cancel it) first.", severity="warning", timeout=3)
            return
        assert self.options is not None
        images = demo_images() if self.options.demo else None

        def apply(new: VerifyOptions | None) -> None:
            if new is not None:
                self.options = new
                self._render_all()

        self.app.push_screen(VerifyOptionsScreen(self.options, images), apply)

    def action_toggle_output(self) -> None:
        output = self.query_one("#verify-output")
        output.display = not output.display

    def _python_image_applies(self) -> bool:
        """i (run again with the python image) applies after a run whose image had no tool for the report."""
        v = self.verification
        return (not self.running and v is not None and v.attestation.status == NO_TOOL
                and self.options is not None and self.options.image != PYTHON_IMAGE)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "python_image":
            return self._python_image_applies()
        return True

    def action_python_image(self) -> None:
        if not self._python_image_applies() or self.options is None:
            return
        self.options = replace(self.options, image=PYTHON_IMAGE)
        self.action_run()

    def action_signature(self) -> None:
        """Check the report's signature: a dialog asks for a certificate folder or a fetch (URL shown first)."""
        v = self.verification
        if self.running or v is None or v.report is None:
            self.notify("No attestation report to check yet." if not self.running else "Wait for the run to end first.",
                        severity="warning", timeout=3)
            return

        def chosen(request: SignatureRequest | None) -> None:
            if request is not None:
                self._signature_request = request
                self.notify("Checking the signature…" if not request.fetch else "Checking the signature (may fetch the VCEK from AMD's KDS)…", timeout=3)
                self._check_signature(v, request)

        self.app.push_screen(SignatureDialog(v.report, self._signature_request), chosen)

    @work(thread=True, exclusive=True, group="verify-signature", exit_on_error=False, description="Signature check")
    def _check_signature(self, v: Verification, request: SignatureRequest) -> None:
        from kata_snp_tui.verify.attestation import CertError, check_request  # cryptography: only when asked

        try:
            result: SignatureCheck | str = check_request(v.report, request)  # type: ignore[arg-type]
        except CertError as exc:
            result = str(exc)
        self.app.call_from_thread(self._signature_done, v, result)

    def _signature_done(self, v: Verification, result: SignatureCheck | str) -> None:
        if isinstance(result, str):  # the folder or a file in it cannot be read: the user's mistake, no verdict
            self.notify(result, severity="error", timeout=8)
            return
        if self.verification is not v:
            return  # a new run started meanwhile: this check belongs to the old report
        self.verification = replace(v, signature=result)
        self.app.session.verification = self.verification  # type: ignore[attr-defined]
        from kata_snp_tui.verify.result import save_last

        try:
            save_last(self.verification)  # so `kata-snp-tui export` reports the verdict too
        except OSError:
            pass
        self.notify(f"{result.headline[0].upper()}{result.headline[1:]}: {result.reason}",
                    severity="information" if result.status == "valid" else "warning", timeout=6)
        self._render_all()

    def action_export(self) -> None:
        self.app.action_export_report()  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        """Leaving (the app quits): end a running run's processes and wait, bounded, for that to finish."""
        run = self._last_run
        if run is not None and not self._run_done.is_set():
            self._cancel_requested.set()
            run.cancel()
            self._run_done.wait(run.runner.grace + 5.0)
