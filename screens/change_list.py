"""The list of the guide's changes, each accepted ``[x]`` or rejected ``[ ]``; space toggles one.

It shows engine :class:`~kata_snp_tui.config.editor.ChangeView` values and posts intent upward
(:class:`ChangeList.Toggled`, :class:`ChangeList.SetAll`); the screen owns the state.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kata_snp_tui.config.editor import ALREADY, NOT_APPLIED, REJECTED, UNKNOWN, WILL_CHANGE, ChangeView

#: Symbol and theme colour for each state of a change.
STATE_MARKS: dict[str, tuple[str, str]] = {
    WILL_CHANGE: ("●", "$warning"),
    ALREADY: ("✔", "$success"),
    REJECTED: ("○", "$text-muted"),
    NOT_APPLIED: ("!", "$error"),
    UNKNOWN: ("?", "$text-muted"),
}


def change_prompt(view: ChangeView) -> Content:
    box = r"\[x]" if view.accepted else r"\[ ]"
    symbol, colour = STATE_MARKS.get(view.state, ("?", "$text-muted"))
    return Content.from_markup(f"{box} [{colour}]{symbol}[/] $title", title=view.change.title)


class ChangeList(OptionList):
    """One option per change (its id is the change id)."""

    BINDINGS = [
        Binding("space", "toggle", "Accept/reject"),
        Binding("a", "set_all(True)", "Accept all", show=False),
        Binding("x", "set_all(False)", "Reject all", show=False),
    ]

    class Toggled(Message):
        def __init__(self, change_id: str) -> None:
            super().__init__()
            self.change_id = change_id

    class SetAll(Message):
        def __init__(self, accepted: bool) -> None:
            super().__init__()
            self.accepted = accepted

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._ids: list[str] = []

    def show(self, views: tuple[ChangeView, ...]) -> None:
        ids = [v.change.id for v in views]
        if ids != self._ids:
            highlighted = self.highlighted
            self.set_options([Option(change_prompt(v), id=v.change.id) for v in views])
            self._ids = ids
            self.highlighted = highlighted if highlighted is not None and highlighted < len(ids) else (0 if ids else None)
            return
        for v in views:
            self.replace_option_prompt(v.change.id, change_prompt(v))

    @property
    def highlighted_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None

    def action_toggle(self) -> None:
        change_id = self.highlighted_id
        if change_id is not None:
            self.post_message(self.Toggled(change_id))

    def action_set_all(self, accepted: bool) -> None:
        self.post_message(self.SetAll(accepted))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        # Enter (or a click) toggles too
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Toggled(event.option.id))
