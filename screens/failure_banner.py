"""The banner beside a failed step's log: exit status, last lines, and the known error's cause and fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from kata_snp_tui.build_state import StepStatus
from kata_snp_tui.knowledge import KnownError

#: How many of the step's last lines the banner repeats.
TAIL_LINES = 4


@dataclass(frozen=True)
class Failure:
    step_id: str
    title: str
    status: StepStatus
    message: str
    log_path: str | None
    tail: tuple[str, ...]
    hints: tuple[KnownError, ...]
    workspace: str | None = None


def failure_markup(f: Failure) -> str:
    word = "cancelled" if f.status is StepStatus.CANCELLED else "failed"
    colour = "$warning" if f.status is StepStatus.CANCELLED else "$error"
    lines = [f"[b {colour}]✖ {escape(f.step_id)} {word}[/]: {escape(f.message)}"]
    tail = [line for line in f.tail if line.strip()][-TAIL_LINES:]
    for line in tail:
        lines.append(f"  [$text-muted]│[/] {escape(line[:300])}")
    for hint in f.hints[:2]:
        lines.append("")
        lines.append(f"[b $accent]Known error:[/] [b]{escape(hint.title)}[/]")
        lines.append(f"[b]Cause:[/] {escape(hint.cause)}")
        lines.append(f"[b]Fix:[/] {escape(hint.fix)}")
        for command in hint.commands_for(f.workspace):
            lines.append(f"  [$accent]$ {escape(command)}[/]")
    if not f.hints and f.status is StepStatus.FAILED:
        lines.append("[$text-muted]No known error matches this output; the full log is below (l shows its path).[/]")
    return "\n".join(lines)


class FailureBanner(VerticalScroll):
    """Hidden unless the selected step failed or was cancelled."""

    DEFAULT_CSS = """
    FailureBanner { height: auto; max-height: 12; display: none; }
    FailureBanner.-shown { display: block; }
    FailureBanner > Static { width: 1fr; height: auto; }
    """

    def compose(self):  # type: ignore[override]
        yield Static(id="failure-text")

    def show_failure(self, failure: Failure | None) -> None:
        text = self.query_one("#failure-text", Static)
        if failure is None:
            self.set_class(False, "-shown")
            text.update("")
            return
        text.update(Content.from_markup(failure_markup(failure)))
        self.set_class(True, "-shown")
        self.scroll_home(animate=False)


def hints_text(hints: Sequence[KnownError]) -> str:
    return ", ".join(h.title for h in hints)
