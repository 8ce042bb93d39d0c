"""Small dialogs of the configuration editor: confirm, sudo password, path overrides, restore a backup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kata_snp_tui.atomic import Backup
from kata_snp_tui.config.diff import side_by_side
from kata_snp_tui.errors import UserError
from kata_snp_tui.screens.diff_view import DiffView
from kata_snp_tui.screens.ordered_keys import OrderedInput
from kata_snp_tui.screens.status_style import asset_css


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; y/enter says yes, n/escape says no."""

    CSS_PATH = asset_css("config_editor.tcss")
    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, title: str, message: str, yes: str = "Yes") -> None:
        super().__init__(classes="config-dialog")
        self._title = title
        self._message = message
        self._yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(f"[b]{escape(self._title)}[/b]", classes="dialog-title")
            yield Static(escape(self._message), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._yes, variant="primary", id="dialog-yes")
                yield Button("No", id="dialog-no")

    def on_mount(self) -> None:
        self.query_one("#dialog-yes", Button).focus()

    @on(Button.Pressed, "#dialog-yes")
    def _yes_pressed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#dialog-no")
    def _no_pressed(self) -> None:
        self.dismiss(False)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PathsDialog(ModalScreen[dict[str, str] | None]):
    """The paths the changes write (QEMU, OVMF, kernel, initrd), each editable."""

    CSS_PATH = asset_css("config_editor.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, fields: list[tuple[str, str, str]]) -> None:
        """``fields``: (option name, label, current value)."""
        super().__init__(classes="config-dialog")
        self._fields = fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-wide"):
            yield Label("[b]Paths the changes write[/b]", classes="dialog-title")
            yield Static("Defaults are where the build stage puts things. Enter applies, Escape cancels.", classes="dialog-body")
            for name, label, value in self._fields:
                yield Label(escape(label), classes="dialog-field-label")
                field = OrderedInput(value=value, id=f"path-{name}")
                field.cursor_blink = False
                yield field
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="dialog-yes")
                yield Button("Cancel", id="dialog-no")

    @on(Input.Submitted)
    @on(Button.Pressed, "#dialog-yes")
    def _apply(self) -> None:
        values = {name: self.query_one(f"#path-{name}", Input).value.strip() for name, _, _ in self._fields}
        self.dismiss(values)

    @on(Button.Pressed, "#dialog-no")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RestoreDialog(ModalScreen[Path | None]):
    """Pick a backup, see how it differs from the current file, restore it with Enter."""

    CSS_PATH = asset_css("config_editor.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+r", "restore", "Restore", priority=True)]

    def __init__(self, backups: list[Backup], current: str, reader: Callable[[Path], str]) -> None:
        super().__init__(classes="config-dialog")
        self._backups = backups
        self._current = current
        self._reader = reader

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box dialog-restore"):
            yield Label("[b]Restore a backup[/b]", classes="dialog-title")
            yield Static(
                "Enter restores the highlighted backup (the current file is backed up first). "
                "The diff shows current | backup.",
                classes="dialog-body",
            )
            yield OptionList(*(Option(escape(b.label), id=str(i)) for i, b in enumerate(self._backups)), id="restore-list")
            yield DiffView(id="restore-diff")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restore", variant="warning", id="dialog-yes")
                yield Button("Cancel", id="dialog-no")

    def on_mount(self) -> None:
        self.query_one("#restore-list", OptionList).focus()
        if self._backups:
            self._preview(0)

    @on(OptionList.OptionHighlighted, "#restore-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self._preview(int(event.option.id))

    @work(thread=True, exclusive=True, group="restore-preview", exit_on_error=False)
    def _preview(self, index: int) -> None:
        try:
            text = self._reader(self._backups[index].path)
        except UserError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        diff = side_by_side(self._current, text)
        self.app.call_from_thread(self._show_preview, diff)

    def _show_preview(self, diff) -> None:  # type: ignore[no-untyped-def]
        view = self.query_one("#restore-diff", DiffView)
        view.show(diff)
        view.scroll_to_first_change()

    @on(OptionList.OptionSelected, "#restore-list")
    @on(Button.Pressed, "#dialog-yes")
    def action_restore(self) -> None:
        option = self.query_one("#restore-list", OptionList).highlighted_option
        if option is not None and option.id is not None:
            self.dismiss(self._backups[int(option.id)].path)

    @on(Button.Pressed, "#dialog-no")
    def action_cancel(self) -> None:
        self.dismiss(None)
