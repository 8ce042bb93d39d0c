"""The help screen: F1 everywhere (even in a text field), ? where it would not be typed, its content."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from textual.widgets import Input, Static

from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource
from kata_snp_tui.screens.help import HelpScreen, key_rows, screen_keys
from kata_snp_tui.stages import STAGES

FROZEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _app():
    return make_app(HostSource("live"), clock=lambda: FROZEN, run_checks_on_start=False)


def _help_text(screen: HelpScreen) -> str:
    return "\n".join(str(w.render()) for w in screen.query(Static))


async def _focus_new_input(app) -> Input:
    """A text field on the current stage, focused (stages with their own fields get one more)."""
    field = Input(placeholder="type here", id="test-field")
    field.cursor_blink = False
    await app.screen.mount(field)
    field.focus()
    return field


@pytest.mark.parametrize("stage", [s for s in STAGES], ids=[s.id for s in STAGES])
async def test_f1_opens_help_on_every_stage_even_with_a_text_field_focused(stage) -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(stage.key)
        await pilot.pause()
        assert app.current_mode == stage.id
        field = await _focus_new_input(app)
        await pilot.pause()
        assert app.focused is field
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = _help_text(app.screen)
        assert stage.description in text
        # F1 again closes it, and the field still has what was typed before (nothing).
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert field.value == ""


async def test_question_mark_types_into_a_text_field_and_opens_help_elsewhere() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        field = await _focus_new_input(app)
        await pilot.press("a", "?", "b")
        await pilot.pause()
        assert field.value == "a?b"
        assert not isinstance(app.screen, HelpScreen)
        # Without a text field focused, ? opens the help; ? (or Esc) closes it.
        app.screen.set_focus(None)
        await pilot.pause()
        await pilot.press("?")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("?")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("?")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert app.current_mode == "checks"


async def test_help_lists_the_screens_own_keys_and_the_apps() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        keys = screen_keys(app.screen)
        by_action = {k.action: k for k in keys}
        # The host checks screen's own bindings, read from the screen (not a copy in the help).
        for binding in app.screen.BINDINGS:
            assert by_action[binding.action].scope == "screen"
            assert by_action[binding.action].keys == (binding.key,)
        assert by_action["help"].keys == ("F1", "?") and by_action["help"].scope == "app"
        assert by_action["quit"].scope == "app"
        await pilot.press("f1")
        await pilot.pause()
        text = _help_text(app.screen)
        assert "Re-run checks" in text and "Copy remedy" in text and "Next problem" in text
        assert "F2–F7" in text  # the stage keys in one row ...
        for s in STAGES:  # ... and every stage explained below, from the shared table
            assert s.description in text
        assert "(you are here)" in text


async def test_help_names_enter_on_the_welcome_list_by_the_screens_words() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        rows = key_rows(screen_keys(app.screen))
        assert any(r.keys == "⏎" and r.description == "Open stage" and r.scope == "screen" for r in rows)
        # The focused list's hidden cursor keys are not listed.
        assert not any(r.scope == "widget" for r in rows)


def test_snapshot_help_80x24(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=(80, 24), run_before=run_before)
