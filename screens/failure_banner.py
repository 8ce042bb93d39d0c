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


def failure_parts(f: Failure) -> tuple[str, str, str]:
    """(title line, last lines, known-error hints) as content markup."""
    word = "cancelled" if f.status is StepStatus.CANCELLED else "failed"
    colour = "$text-warning" if f.status is StepStatus.CANCELLED else "$text-error"
    title = f"[b {colour}]✖ {escape(f.step_id)} {word}[/]: {escape(f.message)}"
    tail = [line for line in f.tail if line.strip()][-TAIL_LINES:]
    tail_markup = "\n".join(f"[$text-muted]│[/] {escape(line[:500])}" for line in tail)
    hints: list[str] = []
    for hint in f.hints[:2]:
        if hints:
            hints.append("")
        hints.append(f"[b $text-accent]Known error:[/] [b]{escape(hint.title)}[/]")
        hints.append(f"[b]Cause:[/] {escape(hint.cause)}")
        hints.append(f"[b]Fix:[/] {escape(hint.fix)}")
        for command in hint.commands_for(f.workspace):
            hints.append(f"  [$text-accent]$ {escape(command)}[/]")
    if not f.hints and f.status is StepStatus.FAILED:
        hints.append("[$text-muted]No known error matches this output; l shows the full log's path.[/]")
    return title, tail_markup, "\n".join(hints)


def failure_markup(f: Failure) -> str:
    return "\n".join(part for part in failure_parts(f) if part)


class FailureBanner(VerticalScroll):
    """Hidden unless the selected step failed or was cancelled."""

    DEFAULT_CSS = """
    FailureBanner { height: auto; max-height: 50%; display: none; }
    FailureBanner.-shown { display: block; }
    FailureBanner > Static { width: 1fr; height: auto; }
    FailureBanner > #failure-tail { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def compose(self):  # type: ignore[override]
        yield Static(id="failure-title")
        yield Static(id="failure-tail")
        yield Static(id="failure-hints")

    def show_failure(self, failure: Failure | None) -> None:
        parts = ("", "", "") if failure is None else failure_parts(failure)
        for name, markup in zip(("title", "tail", "hints"), parts):
            widget = self.query_one(f"#failure-{name}", Static)
            widget.update(Content.from_markup(markup))
            widget.display = bool(markup)
        self.set_class(failure is not None, "-shown")
        self.scroll_home(animate=False)

    @property
    def text(self) -> str:
        return "\n".join(str(self.query_one(f"#failure-{n}", Static).render()) for n in ("title", "tail", "hints"))


def hints_text(hints: Sequence[KnownError]) -> str:
    return ", ".join(h.title for h in hints)
