"""Ask for the sudo password the verify run needs (kept in memory for this run only, never shown or saved)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from kata_snp_tui.screens.status_style import asset_css


class SudoPasswordScreen(ModalScreen[str | None]):
    CSS_PATH = asset_css("verify.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why

    def compose(self) -> ComposeResult:
        with Vertical(id="verify-password-dialog"):
            yield Static("[b]sudo password[/b]")
            yield Static(self.why, id="verify-password-why")
            yield Input(password=True, id="verify-password-input", placeholder="password")
            yield Static("[$text-muted]Passed to sudo on its standard input; never logged or stored.[/]")
            with Horizontal(id="verify-password-buttons"):
                yield Button("Run", variant="primary", id="verify-password-ok")
                yield Button("Cancel", id="verify-password-cancel")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = False
        field.focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#verify-password-ok")
    def _ok(self) -> None:
        value = self.query_one(Input).value
        self.dismiss(value if value else None)

    @on(Button.Pressed, "#verify-password-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
