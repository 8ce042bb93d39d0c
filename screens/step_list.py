"""The build steps as a list: status icon, title, duration, and what each step produces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.content import Content
from textual.markup import escape
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kata_snp_tui.build_state import StepRecord, StepStatus
from kata_snp_tui.recipe import Step

ICONS: dict[StepStatus, str] = {
    StepStatus.PENDING: "○",
    StepStatus.RUNNING: "▶",
    StepStatus.DONE: "✔",
    StepStatus.FAILED: "✖",
    StepStatus.SKIPPED: "↷",
    StepStatus.CANCELLED: "■",
}

COLOURS: dict[StepStatus, str] = {
    StepStatus.PENDING: "$text-muted",
    StepStatus.RUNNING: "$text-accent",
    StepStatus.DONE: "$text-success",
    StepStatus.FAILED: "$text-error",
    StepStatus.SKIPPED: "$text-warning",
    StepStatus.CANCELLED: "$text-warning",
}


def status_badge(status: StepStatus) -> str:
    return f"[{COLOURS[status]}]{ICONS[status]}[/]"


def format_duration(seconds: float | None) -> str:
    """``42s``, ``3:05``, ``1:02:03``; empty for None."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    if total < 60:
        return f"{total}s"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with an ellipsis."""
    if width <= 1:
        return text[:max(width, 0)]
    return text if len(text) <= width else text[: width - 1] + "…"


def relative_to(text: str, workspace: str | None) -> str:
    """Paths inside the workspace shown relative to it (shorter, and the same on every machine)."""
    if not workspace:
        return text
    return text.replace(workspace.rstrip("/") + "/", "").replace(workspace.rstrip("/"), "workspace")


def step_prompt(
    number: int,
    step: Step,
    record: StepRecord,
    live_seconds: float | None = None,
    width: int = 60,
    workspace: str | None = None,
) -> Content:
    """Two lines fitted to ``width``: ``✔  3 Build the Kata runtime  1:02`` and, dimmed, what the step produces."""
    status = record.status
    seconds = live_seconds if status is StepStatus.RUNNING else record.duration
    duration = format_duration(seconds)
    room = width - 5 - (len(duration) + 1 if duration else 0)
    head = f"{status_badge(status)} [$text-muted]{number:2d}[/] {escape(clip(step.title, room))}"
    if duration:
        pad = max(1, room - len(clip(step.title, room)) + 1)
        head += " " * pad + f"[$text-muted]{duration}[/]"
    lines = [head]
    if step.produces:
        produces = relative_to(step.produces, workspace)
        lines.append(f"     [$text-muted]→ {escape(clip(produces, width - 7))}[/]")
    return Content.from_markup("\n".join(lines))


class StepList(OptionList):
    """An OptionList of steps (option id = step id) that re-renders rows in place."""

    DEFAULT_CSS = """
    StepList { height: 1fr; }
    """

    _last: tuple | None = None

    def show_steps(
        self,
        steps: Sequence[Step],
        records: Mapping[str, StepRecord],
        live_seconds: Mapping[str, float] | None = None,
        workspace: str | None = None,
    ) -> None:
        """Fill or refresh the list, keeping the highlighted step."""
        self._last = (steps, records, live_seconds, workspace)
        live = live_seconds or {}
        width = max(20, self.scrollable_content_region.width - 3) if self.size.width else 60
        prompts = [
            step_prompt(n, s, records.get(s.id, StepRecord()), live.get(s.id), width, workspace)
            for n, s in enumerate(steps, start=1)
        ]
        same = self.option_count == len(steps) and all(
            self.get_option_at_index(i).id == s.id for i, s in enumerate(steps)
        )
        if same:
            for i, prompt in enumerate(prompts):
                self.replace_option_prompt_at_index(i, prompt)
            return
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        self.clear_options()
        self.add_options([Option(p, id=s.id) for p, s in zip(prompts, steps)])
        if highlighted is not None and any(s.id == highlighted for s in steps):
            self.highlighted = self.get_option_index(highlighted)
        elif steps:
            self.highlighted = 0

    def on_resize(self) -> None:
        if self._last is not None:
            self.show_steps(*self._last)

    @property
    def selected_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def select_step(self, step_id: str) -> None:
        try:
            self.highlighted = self.get_option_index(step_id)
        except Exception:  # noqa: BLE001 - unknown id: leave the highlight alone
            return
        self.scroll_to_highlight()
