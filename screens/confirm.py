"""A generic confirm dialog: ask before something is lost, answer True (go ahead) or False (keep).

Use it from any screen or from the app::

    from kata_snp_tui.screens.confirm import ConfirmScreen

    def after(stop: bool | None) -> None:
        if stop:
            ...  # the user confirmed

    app.push_screen(
        ConfirmScreen(
            "A step is running",
            "Quit and stop it?",
            confirm_label="Quit and stop it",
            cancel_label="Keep running",
        ),
        after,
    )

or, inside a worker (``@work``), ``stop = await app.push_screen_wait(ConfirmScreen(...))``.

Keys: Enter presses the focused button (the cancel button is focused first unless
``default_confirm=True``), Tab/arrows move between the buttons, ``y`` confirms, ``n`` and Escape
cancel. The answer is always a bool: Escape counts as cancel.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from kata_snp_tui.screens.status_style import asset_css


class ConfirmScreen(ModalScreen[bool]):
    """A modal yes/no question with caller-chosen labels; dismisses with True (confirm) or False."""

    CSS_PATH = asset_css("confirm.tcss")
    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", show=False),
        Binding("y", "answer(True)", "Confirm", show=False),
        Binding("left,up", "app.focus_previous", show=False),
        Binding("right,down", "app.focus_next", show=False),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        confirm_label: str = "Yes",
        cancel_label: str = "Cancel",
        *,
        default_confirm: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="confirm-dialog")
        self.title_text = title
        self.message = message
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.default_confirm = default_confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(self.message, id="confirm-message", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.confirm_label, variant="error", id="confirm-yes")
                yield Button(self.cancel_label, variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes" if self.default_confirm else "#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def _confirm(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
