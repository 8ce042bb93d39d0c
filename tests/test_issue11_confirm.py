"""The generic confirm dialog (screens/confirm.py): keys and buttons answer a bool."""

from __future__ import annotations

import pytest
from textual.app import App

from kata_snp_tui.screens.confirm import ConfirmScreen


class _Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []

    def ask(self, **kw: object) -> None:
        self.push_screen(ConfirmScreen("Title", "Message?", "Do it", "Keep", **kw), self.answers.append)


@pytest.mark.parametrize(
    ("keys", "kw", "answer"),
    [
        (("enter",), {}, False),  # the cancel button is focused first
        (("enter",), {"default_confirm": True}, True),
        (("y",), {}, True),
        (("n",), {}, False),
        (("escape",), {"default_confirm": True}, False),
        (("tab", "enter"), {}, True),  # tab wraps from the cancel button to the confirm button
        (("left", "enter"), {}, True),
    ],
)
async def test_confirm_keys(keys: tuple[str, ...], kw: dict, answer: bool) -> None:
    app = _Host()
    async with app.run_test() as pilot:
        app.ask(**kw)
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        assert app.answers == [answer]
        assert not isinstance(app.screen, ConfirmScreen)


async def test_confirm_labels_and_click() -> None:
    app = _Host()
    async with app.run_test() as pilot:
        app.ask()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        labels = [str(b.label) for b in screen.query("Button")]
        assert labels == ["Do it", "Keep"]
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert app.answers == [True]
