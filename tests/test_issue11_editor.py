"""Issue 11, the configuration editor: typed text is never reordered, however fast the keys come.

Textual's TextArea and Input insert printable characters at once but act on bound keys (backspace,
arrows, home/end) only after the Key event has bubbled to the app, so in a burst the characters overtake
them (Textualize/textual#6605). The keys here are posted the way the terminal driver posts them, all at
once with no pause between them (pilot.press waits for idle after every key, so it cannot show the bug),
and the installed command is driven in tmux with one send-keys per burst.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from config_helpers import FIXED_WORKSPACE, TEST_HOST, frozen_clock, wait_until_ready
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input, TextArea

from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, SnapshotHost
from kata_snp_tui.screens.config_editor import ConfigEditorScreen
from kata_snp_tui.screens.ordered_keys import OrderedInput
from kata_snp_tui.screens.text_field import TextField
from tmux_helpers import TmuxTerminal, installed_command

LINE = 'path = "/q/qemu-system-x86_64"'
_CHARS = {"backspace": "\x7f", "space": " ", "quotation_mark": '"'}


@pytest.fixture(autouse=True)
def _fixed_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", FIXED_WORKSPACE)


def keys_of(text: str) -> list[str]:
    return ["quotation_mark" if c == '"' else c for c in text]


def burst(app: App, keys: list[str]) -> None:
    """Post every key at once, as the driver does with the bytes of one read."""
    for key in keys:
        char = key if len(key) == 1 else _CHARS.get(key)
        app.post_message(events.Key(key, char))


class FieldApp(App):
    def __init__(self, widget_class: type) -> None:
        super().__init__()
        self.widget_class = widget_class

    def compose(self) -> ComposeResult:
        if issubclass(self.widget_class, TextArea):
            yield self.widget_class(f"{LINE}\nline2", id="field")
        else:
            yield self.widget_class(LINE, id="field")


def value_of(app: App) -> str:
    field = app.query_one("#field")
    return field.text if isinstance(field, TextArea) else field.value  # type: ignore[attr-defined]


async def open_demo_editor(pilot) -> ConfigEditorScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await wait_until_ready(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ConfigEditorScreen) and screen.model is not None
    return screen


async def test_text_field_applies_a_burst_in_typing_order() -> None:
    app = FieldApp(TextField)
    async with app.run_test() as pilot:
        burst(app, ["end", *["backspace"] * 8, *"12345678"])
        await pilot.pause(0.2)
        assert value_of(app).split("\n")[0] == 'path = "/q/qemu-system12345678'
        burst(app, ["end", *["backspace"] * 4, *keys_of('"yes"'), *["left"] * 5, "home", "X", "down", "end", "Y"])
        await pilot.pause(0.2)
        assert value_of(app) == 'Xpath = "/q/qemu-system1234"yes"\nline2Y'


async def test_key_repeat_and_a_paste_inside_a_burst() -> None:
    app = FieldApp(TextField)
    async with app.run_test() as pilot:
        burst(app, ["end", *["backspace"] * 40])  # key repeat: more than the line holds
        app.post_message(events.Paste('kernel = "/k"'))
        burst(app, ["left", "left", "left", "X", "home", "#", "space"])
        await pilot.pause(0.2)
        assert value_of(app).split("\n")[0] == '# kernel = "X/k"'


async def test_ordered_input_applies_a_burst_in_typing_order() -> None:
    """The dialogs' fields (paths, password, verify options, certificate folder) are OrderedInputs."""
    app = FieldApp(OrderedInput)
    async with app.run_test() as pilot:
        burst(app, ["end", *["backspace"] * 8, *"12345678", "home", "delete", "P"])
        await pilot.pause(0.2)
        assert value_of(app) == 'Path = "/q/qemu-system12345678'
        assert isinstance(app.query_one("#field"), Input)


async def test_the_editor_keeps_a_burst_in_order_and_rediffs_after_it() -> None:
    app = _demo()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo_editor(pilot)
        await pilot.press("f8")
        await pilot.pause()
        editor = screen.query_one("#config-editor", TextArea)
        row = next(i for i, line in enumerate(editor.text.split("\n")) if line.startswith("path = "))
        before = editor.text.split("\n")[row]
        editor.cursor_location = (row, 0)
        await pilot.pause()
        burst(app, ["end", *["backspace"] * 8, *"12345678", "end", *["backspace"] * 4, *keys_of('"yes"')])
        await pilot.pause(0.5)  # past the re-diff's debounce
        screen.flush_pending()
        line = editor.text.split("\n")[row]
        assert line == before[:-8] + '1234"yes"'
        assert screen.model.proposed.split("\n")[row] == line  # the model has what was typed, in order
        assert editor.cursor_location == (row, len(line))


pytestmark_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")


@pytest.mark.slow
@pytestmark_tmux
def test_installed_command_in_tmux_keeps_bursts_in_order(tmp_path: Path) -> None:
    """The reported case, by the installed command: one send-keys per burst, then save and read the file."""
    state = tmp_path / "state"
    env = {"XDG_STATE_HOME": str(state), "KATA_SNP_TUI_WORKSPACE": os.environ["KATA_SNP_TUI_WORKSPACE"],
           "HOME": str(tmp_path)}
    term = TmuxTerminal([str(installed_command()), "--demo"], width=120, height=40, env=env)
    try:
        term.wait_for("Host checks")
        term.send("F5")
        term.wait_for("accepted")
        term.send("F8")
        term.wait_for("Editing the proposed file")
        term.send(*["PPage"] * 30)  # line 1: '# Copyright (c) 2017-2019 Intel Corporation', a comment
        term.send("End", *["BSpace"] * 8, "12345678")
        term.send("End", *["BSpace"] * 4, '"yes"')
        term.send("C-s")
        term.wait_for("Backup")
        saved = (state / "kata-snp-tui" / "demo-config" / "configuration.toml").read_text(encoding="utf-8")
        assert saved.split("\n")[0] == '# Copyright (c) 2017-2019 Intel Cor1234"yes"'
    finally:
        term.close()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_f8_opens_at_the_selected_change_and_keeps_the_diff_in_view(size: tuple[int, int]) -> None:
    app = make_app(HostSource("demo"), host=SnapshotHost(TEST_HOST, kind="demo"), clock=frozen_clock,
                   run_checks_on_start=False)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f5")
        await wait_until_ready(pilot)
        screen = app.screen
        assert isinstance(screen, ConfigEditorScreen)
        await pilot.press("down", "down", "down")  # the fourth change
        view = screen._selected_view()
        assert view is not None and view.proposed_span is not None
        await pilot.press("f8")
        await pilot.pause()
        editor = screen.query_one("#config-editor", TextArea)
        assert app.focused is editor
        assert editor.cursor_location == (view.proposed_span[0], 0)
        assert editor.text.split("\n")[view.proposed_span[0]].startswith(view.change.key)
        diff = screen.query_one("#config-diff")
        assert diff.display and diff.region.height >= 5, diff.region  # the diff stays in view while editing
        assert editor.region.height >= 5 and not diff.region.overlaps(editor.region)
        assert "Editing the proposed file" in str(editor.border_title)


async def test_ctrl_s_at_the_end_of_a_burst_saves_every_key_before_it() -> None:
    """ctrl+s is a priority key: it must still save the text typed just ahead of it in the same burst."""
    app = _demo()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_demo_editor(pilot)
        path = screen.model.loaded.path
        await pilot.press("f8")
        await pilot.pause()
        editor = screen.query_one("#config-editor", TextArea)
        editor.cursor_location = (0, 0)
        await pilot.pause()
        burst(app, ["end", *["backspace"] * 8, *"12345678", "ctrl+s"])
        for _ in range(50):
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            if path.read_text(encoding="utf-8").split("\n")[0].endswith("12345678"):
                break
        assert path.read_text(encoding="utf-8").split("\n")[0] == "# Copyright (c) 2017-2019 Intel Cor12345678"


async def _hand_edited(pilot) -> tuple[ConfigEditorScreen, TextArea]:  # type: ignore[no-untyped-def]
    await pilot.press("f5")
    await wait_until_ready(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ConfigEditorScreen) and screen.model is not None
    await pilot.press("f8")
    editor = screen.query_one("#config-editor", TextArea)
    editor.cursor_location = (0, 0)
    await pilot.press("end", *" edited by hand")
    await pilot.pause(0.3)
    screen.flush_pending()
    assert screen.model.hand_edited and screen.analysis is not None and screen.analysis.dirty
    return screen, editor


def _demo() -> App:
    return make_app(HostSource("demo"), host=SnapshotHost(TEST_HOST, kind="demo"), clock=frozen_clock,
                    run_checks_on_start=False)


async def test_ctrl_l_over_hand_edits_asks_first() -> None:
    from kata_snp_tui.screens.confirm import ConfirmScreen

    app = _demo()
    async with app.run_test(size=(120, 40)) as pilot:
        screen, editor = await _hand_edited(pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Reload" in app.screen.title_text
        await pilot.press("n")  # keep them
        await pilot.pause()
        assert app.screen is screen and editor.text.split("\n")[0].endswith(" edited by hand")
        assert screen.model is not None and screen.model.hand_edited
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("y")  # drop them
        await wait_until_ready(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.model is not None and not screen.model.hand_edited
        assert not editor.text.split("\n")[0].endswith(" edited by hand")
        # with nothing edited by hand, ctrl+l reloads without a question
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.screen is screen


async def test_accept_all_over_hand_edits_asks_and_no_keeps_them() -> None:
    from kata_snp_tui.screens.confirm import ConfirmScreen

    app = _demo()
    async with app.run_test(size=(120, 40)) as pilot:
        screen, editor = await _hand_edited(pilot)
        await pilot.press("f8")  # back to the list of changes
        await pilot.pause()
        await pilot.press("x")  # reject all
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert screen.model is not None and screen.model.hand_edited
        assert all(v.accepted for v in screen.analysis.changes)  # type: ignore[union-attr]


async def test_quitting_with_unsaved_hand_edits_asks_first() -> None:
    from kata_snp_tui.screens.confirm import ConfirmScreen

    app = _demo()
    async with app.run_test(size=(120, 40)) as pilot:
        await _hand_edited(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "without saving" in app.screen.title_text
        assert "the Kata configuration.toml" in app.screen.message
        await pilot.press("n")
        await pilot.pause()
        assert app.return_code is None and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.return_code == 0
