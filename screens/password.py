"""Ask for the sudo password once (it stays in memory, is passed on standard input, never stored)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kata_snp_tui.screens.ordered_keys import OrderedInput


class PasswordScreen(ModalScreen[str | None]):
    """Dismisses with the password, or None when the user cancels (Escape)."""

    DEFAULT_CSS = """
    PasswordScreen { align: center middle; }
    #password-dialog {
        width: 64; max-width: 90%; height: auto;
        padding: 1 2; border: thick $primary; background: $surface;
    }
    #password-dialog Static { width: 1fr; height: auto; }
    #password-input { margin-top: 1; }
    #password-hint { color: $text-muted; margin-top: 1; }
    #password-error { color: $error; height: auto; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, reason: str, error: str = "") -> None:
        super().__init__()
        self.reason = reason
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="password-dialog"):
            yield Static("[b]sudo password[/b]", id="password-title")
            yield Static(self.reason, id="password-reason", markup=False)
            if self.error:
                yield Static(self.error, id="password-error", markup=False)
            yield OrderedInput(password=True, placeholder="password", id="password-input")
            yield Static(
                "Enter: use it for this session's steps (kept in memory only, passed to sudo on standard input)."
                "  Esc: cancel.",
                id="password-hint",
            )

    def on_mount(self) -> None:
        field = self.query_one("#password-input", Input)
        field.cursor_blink = False
        field.focus()

    @on(Input.Submitted, "#password-input")
    def _submitted(self, event: Input.Submitted) -> None:
        value = event.value
        event.input.value = ""
        self.dismiss(value if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
