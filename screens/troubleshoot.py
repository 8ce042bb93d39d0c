"""Troubleshooting: the guide's two known issues with this host's state, and the error knowledge base.

Left: each known issue (cgroups v2; SEV and SNP both on) with its state on this host (from the host
checks when they have run, else read from the host by the engine), what the guide says, and the fix.
Right: paste an error message or a log excerpt; the matching known errors appear with cause and fix.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TextArea
from textual.worker import Worker, WorkerState

from kata_snp_tui.screens.status_style import asset_css, badge, label
from kata_snp_tui.screens.text_field import TextField
from kata_snp_tui.screens.verify_rows import RowData, RowList
from kata_snp_tui.troubleshoot import ErrorMatch, IssueState, all_errors, issue_states, search

SEARCH_DELAY = 0.25


def source_lines(source: str) -> list[str]:
    """Detail lines for the sources cited ("url; url" in the data): a label, then one line each,
    URLs as links a terminal can open (each on its own line, so a long URL wraps alone)."""
    parts = [p.strip() for p in source.split(";") if p.strip()]
    if not parts:
        return []
    lines = [f"[$text-muted]{'source' if len(parts) == 1 else 'sources'}:[/]"]
    for part in parts:
        url = part.startswith(("https://", "http://"))
        lines.append(f"[$text-muted][link={part!r}]{escape(part)}[/link][/]" if url else f"[$text-muted]{escape(part)}[/]")
    return lines


def issue_rows(states: list[IssueState]) -> list[RowData]:
    rows: list[RowData] = []
    for s in states:
        details: list[str] = [
            f"{label(s.status)} {escape(s.summary)} [$text-muted]({escape(s.origin)})[/]",
            *(f"[$text-muted]{escape(e.source)}:[/] {escape(e.value)}" for e in s.evidence),
            f"[$text-muted]The guide:[/] [i]{escape(s.issue.guide)}[/i]",
            escape(s.issue.context),
            "[b]Fix[/b] [$text-muted](only if this issue bites)[/]",
            *(f"[$text-accent]$ {escape(line)}[/]" for line in s.issue.fix.splitlines()),
        ]
        details += source_lines(s.issue.source)
        rows.append(RowData(badge(s.status), f"[b]{escape(s.issue.title)}[/b]", tuple(details)))
    return rows


def match_rows(matches: list[ErrorMatch]) -> list[RowData]:
    rows: list[RowData] = []
    for m in matches:
        details: list[str] = []
        if m.line:
            where = f"line {m.line_number}: " if m.line_number else ""
            details.append(f"[$text-muted]matched {where}[/]{escape(m.line)}")
        details.append(f"[b]cause[/b] {escape(m.cause)}")
        details.append(f"[b]fix[/b] {escape(m.fix)}")
        details += [f"[$text-accent]$ {escape(c)}[/]" for c in m.commands]
        details += source_lines(m.source)
        rows.append(RowData("[$text-error]●[/]", f"[b]{escape(m.title)}[/b]", tuple(details)))
    return rows


class TroubleshootScreen(Screen):
    """See the module docstring."""

    CSS_PATH = asset_css("troubleshoot.tcss")
    #: Arriving here is usually to paste an error: the search box has the focus from the first frame.
    AUTO_FOCUS = "#ts-query"

    BINDINGS = [
        Binding("ctrl+r", "reread", "Re-read host"),
        Binding("ctrl+l", "clear_search", "Clear search"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="ts-body"):
            with VerticalScroll(id="ts-issues"):
                yield Static("[b]The guide's known issues on this host[/b]", classes="ts-heading")
                yield RowList("Reading the host…", id="ts-issue-list")
            with Vertical(id="ts-search"):
                yield Static("[b]Search the known errors[/b]  [$text-muted]paste an error message or a log "
                             "excerpt[/]", classes="ts-heading")
                yield TextField(id="ts-query", soft_wrap=True, show_line_numbers=False)
                yield Static(id="ts-count")
                with VerticalScroll(id="ts-results"):
                    yield RowList(id="ts-result-list")
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one("#ts-query", TextArea)
        area.cursor_blink = False
        self.watch(self.app, "checks_version", self._refresh_issues)
        self._show_matches([], "")

    def on_screen_resume(self) -> None:
        """Every arrival (F7, the palette, ctrl+n) puts the cursor in the search box, ready for a paste."""
        self.query_one("#ts-query", TextArea).focus()

    # ------------------------------------------------------------------------------ known issues

    def _refresh_issues(self, _value: object = None) -> None:
        self._read_issues()

    @work(thread=True, exclusive=True, group="ts-issues", exit_on_error=False, description="Known issues")
    def _read_issues(self) -> list[IssueState]:
        session = self.app.session  # type: ignore[attr-defined]
        return issue_states(session.host, session.checks)

    # ---------------------------------------------------------------------------------- search

    @on(TextArea.Changed, "#ts-query")
    def _query_changed(self) -> None:
        self._search(self.query_one("#ts-query", TextArea).text)

    @work(thread=True, exclusive=True, group="ts-search", exit_on_error=False, description="Search")
    def _search(self, text: str) -> tuple[list[ErrorMatch], str]:
        return (search(text) if text.strip() else []), text

    def _show_matches(self, matches: list[ErrorMatch], text: str) -> None:
        count = self.query_one("#ts-count", Static)
        results = self.query_one("#ts-result-list", RowList)
        if not text.strip():
            entries = all_errors()
            count.update(Content.from_markup(
                f"[$text-muted]{len(entries)} known errors; paste text above to find the ones that match.[/]"))
            results.add_class("-browse")
            results.set_rows([RowData("[$text-muted]·[/]", escape(e.title)) for e in entries])
            return
        results.remove_class("-browse")
        how = matches[0].how if matches else ""
        if not matches:
            count.update(Content.from_markup("[$text-warning]No known error matches this text.[/] [$text-muted]"
                                             "Paste the lines around the first error (qemu-system-x86_64: ..., "
                                             "ctr: ...).[/]"))
        elif how == "keywords":
            count.update(Content.from_markup(f"{len(matches)} known error(s) mention these words "
                                             "[$text-muted](no error pattern matched)[/]"))
        else:
            count.update(Content.from_markup(f"[b]{len(matches)}[/b] known error(s) match, best first"))
        results.set_rows(match_rows(matches))

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if group not in ("ts-issues", "ts-search"):
            return
        event.stop()
        if event.state is WorkerState.ERROR:
            self.notify(f"{event.worker.description} failed: {event.worker.error}", severity="error", timeout=8)
            return
        if event.state is not WorkerState.SUCCESS:
            return
        if group == "ts-issues":
            self.query_one("#ts-issue-list", RowList).set_rows(issue_rows(event.worker.result or []))
        else:
            matches, text = event.worker.result
            self._show_matches(matches, text)

    # --------------------------------------------------------------------------------- actions

    def action_reread(self) -> None:
        self.app.refresh_checks()  # type: ignore[attr-defined]
        self.notify("Re-reading the host…", timeout=2)

    def action_clear_search(self) -> None:
        self.query_one("#ts-query", TextArea).clear()


__all__ = ["TroubleshootScreen"]
