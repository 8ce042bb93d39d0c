"""Stage 1: host checks, grouped, with a details pane (evidence and remedy) for the selected check."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from kata_snp_tui.checks.model import GROUPS, READINESS_GROUPS, CheckReport, CheckResult, Status
from kata_snp_tui.clipboard import keep_copy, sent_message
from kata_snp_tui.screens.status_style import COLOURS, ICONS, asset_css, badge, label


def verdict_markup(report: CheckReport | None, running: bool) -> str:
    """One line: where this host stands (shared by the welcome and checks screens)."""
    if report is None:
        return "[$text-muted]Reading the host…[/]" if running else "[$text-muted]Host checks have not run.[/]"
    counts = report.counts()
    tally = "  ".join(
        f"[{COLOURS[s]}]{ICONS[s]} {counts[s.value]} {s.value}[/]" for s in Status if counts[s.value]
    )
    if report.ready:
        head = "[b $text-success]✔ READY[/] [$text]for SNP guests[/]"
    else:
        head = "[b $text-error]✖ NOT READY[/] [$text]for SNP guests[/]"
    suffix = "  [$text-muted](re-checking…)[/]" if running else ""
    return f"{head}   {tally}{suffix}"


def details_parts(check: CheckResult) -> tuple[str, str, str]:
    """The details pane for one check, as (heading and summary, evidence, remedy) markup."""
    head = (
        f"{badge(check.status)} {label(check.status)}  [b]{escape(check.title)}[/b]  "
        f"[$text-muted]{escape(check.id)}[/]\n\n{escape(check.summary)}"
    )
    evidence = "\n".join(f"[$text-muted]{escape(e.source)}:[/] {escape(e.value)}" for e in check.evidence)
    if check.remedy:
        remedy = "\n".join(f"[$text-primary]{escape(line)}[/]" for line in check.remedy.splitlines())
    elif check.status is not Status.PASS:
        remedy = "[$text-muted]Nothing to change for this one.[/]"
    else:
        remedy = ""
    return head, evidence, remedy


class HostChecksScreen(Screen):
    """Every host check, grouped as in model.GROUPS; select one to see what it read and how to fix it."""

    CSS_PATH = asset_css("host_checks.tcss")

    BINDINGS = [
        Binding("r", "rerun", "Re-run checks"),
        Binding("c", "copy_remedy", "Copy remedy"),
        Binding("n", "next_problem", "Next problem"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="checks-verdict")
        with Horizontal(id="checks-body"):
            yield OptionList(id="checks-list")
            with VerticalScroll(id="checks-details"):
                yield Static(id="checks-details-head")
                yield Static("[b]Evidence[/b]", classes="details-label", id="checks-evidence-label")
                yield Static(id="checks-evidence", classes="details-indent")
                yield Static("[b]Remedy[/b]  [$text-muted](c copies it)[/]", classes="details-label", id="checks-remedy-label")
                yield Static(id="checks-remedy", classes="details-indent")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "checks_version", self._render_report)
        self.watch(self.app, "checks_running", self._render_verdict)

    @property
    def report(self) -> CheckReport | None:
        return self.app.session.checks  # type: ignore[attr-defined]

    def _render_verdict(self, _value: object = None) -> None:
        running = bool(getattr(self.app, "checks_running", False))
        source = escape(self.app.source.describe())  # type: ignore[attr-defined]
        text = f"{verdict_markup(self.report, running)}\n[$text-muted]Host:[/] {source}"
        self.query_one("#checks-verdict", Static).update(Content.from_markup(text))

    def _render_report(self, _value: object = None) -> None:
        self._render_verdict()
        option_list = self.query_one("#checks-list", OptionList)
        previous = option_list.highlighted_option.id if option_list.highlighted_option else None
        option_list.clear_options()
        report = self.report
        if report is None:
            self._show_details()
            return
        options: list[Option] = []
        for group in GROUPS:
            checks = [c for c in report.checks if c.group == group]
            if not checks:
                continue
            heading = escape(group) + (" [$text-muted](not needed for ready)[/]" if group not in READINESS_GROUPS else "")
            options.append(Option(Content.from_markup(f"[b $text-primary]{heading}[/]"), disabled=True))
            for c in checks:
                options.append(Option(Content.from_markup(f" {badge(c.status)} {escape(c.title)}"), id=c.id))
        option_list.add_options(options)
        target = previous if previous and any(c.id == previous for c in report.checks) else self._first_problem_id()
        if target:
            option_list.highlighted = option_list.get_option_index(target)
        self._show_details()

    def _first_problem_id(self) -> str | None:
        report = self.report
        if report is None or not report.checks:
            return None
        for status in (Status.FAIL, Status.WARN):
            for group in GROUPS:
                for c in report.checks:
                    if c.group == group and c.status is status:
                        return c.id
        return next((c.id for g in GROUPS for c in report.checks if c.group == g), None)

    def _selected(self) -> CheckResult | None:
        option = self.query_one("#checks-list", OptionList).highlighted_option
        if option is None or option.id is None or self.report is None:
            return None
        try:
            return self.report.by_id(option.id)
        except KeyError:
            return None

    def _show_details(self) -> None:
        check = self._selected()
        head, evidence, remedy = details_parts(check) if check else ("", "", "")
        self.query_one("#checks-details-head", Static).update(Content.from_markup(head))
        self.query_one("#checks-evidence", Static).update(Content.from_markup(evidence))
        self.query_one("#checks-remedy", Static).update(Content.from_markup(remedy))
        for part, text in (("evidence", evidence), ("remedy", remedy)):
            self.query_one(f"#checks-{part}-label").display = bool(text) and check is not None
            self.query_one(f"#checks-{part}").display = bool(text)
        self.query_one("#checks-details", VerticalScroll).scroll_home(animate=False)

    @on(OptionList.OptionHighlighted, "#checks-list")
    def _highlighted(self) -> None:
        self._show_details()

    def action_rerun(self) -> None:
        self.app.refresh_checks()  # type: ignore[attr-defined]
        self.notify("Re-reading the host…", timeout=2)

    def action_copy_remedy(self) -> None:
        check = self._selected()
        if check is None or not check.remedy:
            self.notify("This check has no remedy to copy.", severity="warning", timeout=3)
            return
        self.app.copy_to_clipboard(check.remedy)
        try:
            kept: Path | None = keep_copy(f"remedy-{check.id}", check.remedy)
        except OSError:
            kept = None
        self.notify(sent_message(f"The remedy for {check.id}", kept), timeout=12)

    def action_next_problem(self) -> None:
        report = self.report
        if report is None:
            return
        option_list = self.query_one("#checks-list", OptionList)
        problems = [
            option_list.get_option_index(c.id)
            for g in GROUPS
            for c in report.checks
            if c.group == g and c.status in (Status.FAIL, Status.WARN)
        ]
        if not problems:
            self.notify("No failing or warning checks.", timeout=3)
            return
        current = option_list.highlighted if option_list.highlighted is not None else -1
        later = sorted(i for i in problems if i > current)
        option_list.highlighted = later[0] if later else min(problems)
