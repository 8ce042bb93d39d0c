"""The Textual application shell: navigation between stages, the shared session, background checks.

This is the only engine module that imports Textual. Screens live in ``kata_snp_tui.screens``
(the top-level ``screens/`` folder); everything they show is computed by the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import import_module
from importlib.resources import files

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from kata_snp_tui import __version__
from kata_snp_tui.checks import run_checks
from kata_snp_tui.checks.model import CheckReport
from kata_snp_tui.host import Host, HostSource, open_host
from kata_snp_tui.screens.palette import StageActionsProvider
from kata_snp_tui.session import Session, utc_now
from kata_snp_tui.settings import THEME_ENV, initial_theme, remember_theme
from kata_snp_tui.stages import STAGES, next_stage


def _stylesheets() -> list[str]:
    assets = files("kata_snp_tui.assets")
    return [str(assets / "app.tcss")]


#: Each stage's screen as (module, class), imported the first time the stage opens, so start-up
#: imports only the welcome screen (every screen up front cost ~0.3 s before the first frame).
_MODE_SCREENS: dict[str, tuple[str, str]] = {
    "welcome": ("kata_snp_tui.screens.welcome", "WelcomeScreen"),
    "checks": ("kata_snp_tui.screens.host_checks", "HostChecksScreen"),
    "build": ("kata_snp_tui.screens.build", "BuildScreen"),
    "config": ("kata_snp_tui.screens.config_editor", "ConfigEditorScreen"),
    "verify": ("kata_snp_tui.screens.verify", "VerifyScreen"),
    "troubleshoot": ("kata_snp_tui.screens.troubleshoot", "TroubleshootScreen"),
}


def _lazy_screen(module: str, name: str) -> Callable[[], Screen]:
    def make() -> Screen:
        return getattr(import_module(module), name)()

    return make


def _mode_factories() -> dict[str, Callable[[], Screen]]:
    return {mode: _lazy_screen(module, name) for mode, (module, name) in _MODE_SCREENS.items()}


class KataApp(App[int]):
    """The wizard."""

    TITLE = "kata-snp-tui"
    #: The first screen, built directly (no empty default screen before it).
    DEFAULT_MODE = "welcome"
    SUB_TITLE = "Kata Containers with AMD SEV-SNP VMs"
    CSS_PATH = _stylesheets()

    BINDINGS = [
        # F1 works even in a text field; ? only where it would not be typed (not a priority binding).
        # F1 comes first so the footer shows it on a narrow terminal.
        Binding("f1", "help", "Help", priority=True),
        Binding("question_mark", "help", "Help", show=False, key_display="?"),
        *(
            Binding(s.key, f"goto('{s.id}')", s.title, priority=True, show=s.id != "welcome")
            for s in STAGES
        ),
        Binding("ctrl+n", "next_stage", "Next stage", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    #: The palette also offers every action of the current stage.
    COMMANDS = App.COMMANDS | {StageActionsProvider}

    #: Bumped every time the host checks finish, so screens can watch it and re-render.
    checks_version: reactive[int] = reactive(0)
    #: True while the host checks run.
    checks_running: reactive[bool] = reactive(False)
    #: Bumped when the session's build progress was read from the state folder (the welcome screen).
    progress_version: reactive[int] = reactive(0)

    def __init__(
        self,
        source: HostSource,
        host: Host | None = None,
        clock: Callable[[], datetime] = utc_now,
        run_checks_on_start: bool = True,
        profile: str | None = None,
    ) -> None:
        super().__init__()
        #: --profile (None: chosen from the host, see profile_choice).
        self.profile_override = profile
        self._profile_lock = threading.Lock()
        self.source = source
        self.host = host if host is not None else open_host(source)
        self.session = Session(source=source, host=self.host, clock=clock, started_at=clock())
        self._run_checks_on_start = run_checks_on_start
        for name, factory in _mode_factories().items():
            self.add_mode(name, factory)
        self.sub_title = f"{self.SUB_TITLE}  ·  {source.describe()}"

    def on_mount(self) -> None:
        self._load_theme()
        self._read_build_progress()
        if self._run_checks_on_start:
            self.refresh_checks()

    # ----------------------------------------------------------------------- host checks

    def refresh_checks(self) -> None:
        """Run every host check in a thread; screens re-render when ``checks_version`` changes."""
        self.checks_running = True
        self._run_checks_worker()

    @work(thread=True, exclusive=True, group="host-checks", exit_on_error=False, description="Host checks")
    def _run_checks_worker(self) -> CheckReport:
        from kata_snp_tui.build_state import shown_workspace

        options = self.session.extras.get("build.options", {})
        workspace = shown_workspace(self.source.kind == "demo", options.get("workspace"))
        return run_checks(self.host, workspace=workspace, profile=self.profile_choice())

    def profile_choice(self):  # -> ProfileChoice; called from workers (it may run probes on the live host)
        """The session's build profile: --profile, else chosen from the host's Kata, its checkout, its kernel."""
        with self._profile_lock:
            if self.session.profile_choice is None:
                from kata_snp_tui.build_state import workspace_for
                from kata_snp_tui.profiles import choose_for, choose_profile

                demo = self.source.kind == "demo"
                options = self.session.extras.get("build.options", {})
                workspace = workspace_for(demo, options.get("workspace"))
                if demo:  # the demo's recorded facts (and recordings) decide, whatever host the app was given
                    self.session.profile_choice = choose_for("demo", None, workspace, self.profile_override)
                else:
                    self.session.profile_choice = choose_profile(self.host, workspace, self.profile_override)
            return self.session.profile_choice

    @work(thread=True, exclusive=True, group="build-progress", exit_on_error=False, description="Reading the build progress")
    def _read_build_progress(self) -> None:
        """What an earlier run of the Build stage left (the welcome screen says it before F4 is opened)."""
        from kata_snp_tui.build_state import persisted_step_states, workspace_for
        from kata_snp_tui.recipe import load_recipe

        choice = self.profile_choice()
        self.call_from_thread(self._bump_progress)  # the welcome screen shows the profile now chosen
        demo = self.source.kind == "demo"
        workspace = workspace_for(demo, self.session.extras.get("build.options", {}).get("workspace"))
        steps = load_recipe(choice.profile.recipe_path).resolve(workspace, {})
        states = persisted_step_states(demo, workspace, [s.id for s in steps])
        if states is not None:
            self.call_from_thread(self._set_build_progress, states)

    def _bump_progress(self) -> None:
        self.progress_version += 1

    def _set_build_progress(self, states: object) -> None:
        if self.session.build_states is None:  # the Build screen's own copy, when it is open, wins
            self.session.build_states = states
            self.progress_version += 1

    def set_checks(self, report: CheckReport) -> None:
        self.session.checks = report
        self.checks_running = False
        self.checks_version += 1

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """The one place worker results and errors are handled (harlequin's pattern)."""
        worker = event.worker
        if worker.group == "host-checks":
            if event.state is WorkerState.SUCCESS and isinstance(worker.result, CheckReport):
                self.set_checks(worker.result)
            elif event.state is WorkerState.ERROR:
                self.checks_running = False
                self.notify(f"Host checks failed: {worker.error}", severity="error", timeout=10)
        elif event.state is WorkerState.ERROR:
            self.notify(f"{worker.description or worker.name} failed: {worker.error}", severity="error", timeout=10)

    # ----------------------------------------------------------------------------- theme

    def _load_theme(self) -> None:
        """Start with KATA_SNP_TUI_THEME or the saved theme; save every later theme change."""
        choice = initial_theme()
        if choice.problem:
            self.notify(choice.problem, severity="warning", timeout=8)
        if choice.name is not None:
            if choice.name in self.available_themes:
                self.theme = choice.name
            else:
                where = THEME_ENV if choice.source == "env" else "the saved settings"
                known = ", ".join(sorted(self.available_themes))
                self.notify(f"Unknown theme {choice.name!r} in {where}; known themes: {known}", severity="warning", timeout=10)
        # Subscribe after the change above is published, so only the user's later choices are saved.
        self.call_next(self.theme_changed_signal.subscribe, self, self._save_theme)

    def _save_theme(self, theme: object) -> None:
        name = getattr(theme, "name", None)
        if not isinstance(name, str):
            return
        try:
            remember_theme(name)
        except OSError as exc:
            self.notify(f"Could not save the theme: {exc}", severity="warning", timeout=8)

    # ------------------------------------------------------------------------ navigation

    def action_help(self) -> None:
        """Open the help for the current screen (or close it when it is open)."""
        from kata_snp_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    #: What a stage's screen is doing when its ``running`` is true, for the question before quitting.
    RUNNING_WORK: dict[str, str] = {"build": "A build step", "verify": "The verify run"}

    def running_work(self) -> list[str]:
        """What is running now in any stage (a build step, a verify run), whichever stage is shown."""
        found: list[str] = []
        for mode, stack in self._screen_stacks.items():  # every stage opened so far, shown or not
            if any(getattr(screen, "running", False) is True for screen in stack):
                found.append(self.RUNNING_WORK.get(mode, f"Work in {mode}"))
        return found

    def unsaved_edits(self) -> list[str]:
        """Hand edits not saved yet in any stage (a screen says so with ``unsaved_edits()``)."""
        found: list[str] = []
        for stack in self._screen_stacks.values():
            for screen in stack:
                unsaved = getattr(screen, "unsaved_edits", None)
                if callable(unsaved):
                    found.extend(unsaved())
        return found

    async def action_quit(self) -> None:
        """Quit; while a build step or a verify run is running, or with hand edits not saved, ask first."""
        running = self.running_work()
        unsaved = self.unsaved_edits()
        if not running and not unsaved:
            self.exit()
            return
        from kata_snp_tui.screens.confirm import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen) and self.screen.id == "quit-confirm":
            return  # already asking

        def answered(stop: bool | None) -> None:
            if stop:
                self.exit()

        if not running:
            self.push_screen(
                ConfirmScreen(
                    "Quit without saving?",
                    f"Not saved yet: {'; '.join(unsaved)}. Quitting drops them (ctrl+s on the Configure stage "
                    "saves).",
                    confirm_label="Quit, drop my edits",
                    cancel_label="Keep editing",
                    id="quit-confirm",
                ),
                answered,
            )
            return
        what = " and ".join(running)
        self.push_screen(
            ConfirmScreen(
                "A step is running: quit and stop it?",
                f"{what} {'is' if len(running) == 1 else 'are'} running. Quitting now stops it and ends its "
                "processes (a build step is recorded as cancelled and can be run again).",
                confirm_label="Quit and stop it",
                cancel_label="Keep running",
                id="quit-confirm",
            ),
            answered,
        )

    def action_goto(self, stage_id: str) -> None:
        if stage_id in self._modes and self.current_mode != stage_id:
            self.switch_mode(stage_id)

    def action_next_stage(self) -> None:
        self.action_goto(next_stage(self.current_mode).id)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for s in STAGES:
            label = f"Stage {s.number}: {s.title}" if s.number else s.title
            yield SystemCommand(f"Go to {label}", s.description, lambda sid=s.id: self.action_goto(sid))
        yield SystemCommand("Re-run host checks", "Read the host again and re-evaluate every check", self.refresh_checks)
        yield SystemCommand(
            "Export the session report",
            "Markdown and JSON into the state folder, for someone helping you",
            self.action_export_report,
        )

    def action_export_report(self) -> None:
        """Write the session report (Markdown and JSON) and say where it went."""
        from kata_snp_tui.export import from_session, write_session_files

        try:
            md, js = write_session_files(from_session(self.session), when=self.session.clock())
        except OSError as exc:
            self.notify(f"Could not write the session report: {exc}", severity="error")
            return
        self.notify(f"Session report written:\n{md}\n{js}", timeout=8)

    @property
    def version(self) -> str:
        return __version__


def make_app(
    source: HostSource,
    host: Host | None = None,
    clock: Callable[[], datetime] = utc_now,
    run_checks_on_start: bool = True,
    profile: str | None = None,
) -> KataApp:
    """The factory the CLI and the tests share."""
    return KataApp(source, host=host, clock=clock, run_checks_on_start=run_checks_on_start, profile=profile)
