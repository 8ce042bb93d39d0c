"""The welcome screen: the four stages, where this host stands, and which host is being read."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from kata_snp_tui.progress import stage_summaries
from kata_snp_tui.screens.host_checks import verdict_markup
from kata_snp_tui.screens.status_style import asset_css
from kata_snp_tui.stages import stage

STATE_ICON = {
    "done": "[$text-success]✔[/]",
    "attention": "[$text-error]✖[/]",
    "running": "[$text-warning]…[/]",
    "pending": "[$text-muted]○[/]",
}

INTRO = (
    "This wizard follows the upstream guide [b]Kata Containers with AMD SEV-SNP VMs[/b]: "
    "it checks this host, builds the guide's components with live logs, edits "
    "[i]configuration.toml[/i] side by side, then starts busybox in an SNP VM and proves it."
)


class WelcomeScreen(Screen):
    CSS_PATH = asset_css("welcome.tcss")

    BINDINGS = [Binding("enter", "open_stage", "Open stage", show=False)]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="welcome"):
            yield Static(Content.from_markup(INTRO), id="welcome-intro")
            yield Static(id="welcome-host")
            yield OptionList(id="welcome-stages")
            yield Static(id="welcome-stage-description")
            yield Static(
                Content.from_markup(
                    "[$text-muted]↑↓ and Enter open a stage · F1 help · "
                    "ctrl+p commands[/]"
                ),
                id="welcome-keys",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "checks_version", self._refresh)
        self.watch(self.app, "checks_running", self._refresh)
        self.watch(self.app, "progress_version", self._refresh)

    def on_screen_resume(self) -> None:
        self._refresh()

    def _refresh(self, _value: object = None) -> None:
        app = self.app
        running = bool(getattr(app, "checks_running", False))
        source = app.source  # type: ignore[attr-defined]
        host_line = f"[b]Host[/b]  {escape(source.describe())}"
        if source.kind == "demo":
            host_line += "\n[b $text-warning]Demo mode:[/] every fact and output shown is recorded data, not this machine."
        host_line += "\n" + verdict_markup(app.session.checks, running)  # type: ignore[attr-defined]
        choice = getattr(app.session, "profile_choice", None)  # type: ignore[attr-defined]
        if choice is not None:
            host_line += (f"\n[b]Profile[/b]  {escape(choice.profile.id)}: {escape(choice.profile.title)} "
                          f"[$text-muted]({escape(choice.short)})[/]")
        self.query_one("#welcome-host", Static).update(Content.from_markup(host_line))

        stages = self.query_one("#welcome-stages", OptionList)
        highlighted = stages.highlighted
        stages.clear_options()
        for summary in stage_summaries(app.session, running):  # type: ignore[attr-defined]
            s = summary.stage
            prompt = (
                f"{STATE_ICON[summary.state]} [b]{s.number}. {escape(s.title)}[/b]  "
                f"[$text-muted]{s.key.upper()}[/]  {escape(summary.text)}"
            )
            stages.add_option(Option(Content.from_markup(prompt), id=s.id))
        stages.highlighted = highlighted if highlighted is not None else 0
        self._describe()

    @on(OptionList.OptionHighlighted, "#welcome-stages")
    def _describe(self) -> None:
        option = self.query_one("#welcome-stages", OptionList).highlighted_option
        text = stage(option.id).description if option is not None and option.id else ""
        self.query_one("#welcome-stage-description", Static).update(text)

    @on(OptionList.OptionSelected, "#welcome-stages")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.action_goto(event.option.id)  # type: ignore[attr-defined]

    def action_open_stage(self) -> None:
        option = self.query_one("#welcome-stages", OptionList).highlighted_option
        if option is not None and option.id:
            self.app.action_goto(option.id)  # type: ignore[attr-defined]
