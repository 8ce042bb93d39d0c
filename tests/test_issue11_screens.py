"""Issue 11, screen items (Pilot): stage keys in order in footer and help."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.screens.help import key_rows, screen_keys
from kata_snp_tui.stages import STAGES
from screens_helpers import frozen_clock


def _app():  # type: ignore[no-untyped-def]
    return make_app(HostSource("demo"), host=open_host(HostSource("demo")), clock=frozen_clock,
                    run_checks_on_start=False)


def _footer_fkeys(app) -> list[int]:  # type: ignore[no-untyped-def]
    footer = app.screen.query_one(Footer)
    # The app's F1 (help) and the stage keys F2..F7; a screen's own F-keys (F8 edit, F9 install) aside.
    return [int(k.key[1:]) for k in footer.query(FooterKey) if re.fullmatch(r"f[1-7]", k.key)]


def _help_stage_text(app) -> str:  # type: ignore[no-untyped-def]
    rows = [r.keys for r in key_rows(screen_keys(app.screen)) if r.description.startswith("Go to a stage")]
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------- item 7: F2–F7 in order everywhere


@pytest.mark.parametrize("stage", [s.key for s in STAGES])
async def test_stage_keys_in_order_whatever_has_focus(stage: str) -> None:
    app = _app()
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press(stage)
        await pilot.pause()
        screen = app.screen
        focusables = [w for w in screen.query("*") if w.focusable]
        assert focusables
        seen = []
        for widget in focusables:
            widget.focus()
            await pilot.pause()
            if app.focused is not widget:
                continue
            seen.append(type(widget).__name__)
            fkeys = _footer_fkeys(app)
            assert fkeys == sorted(fkeys), (stage, widget, fkeys)
            assert _help_stage_text(app) == "F2–F7", (stage, widget)
        assert seen


async def test_text_fields_keep_the_order_in_the_footer_and_the_help() -> None:
    app = _app()
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("f7")
        app.screen.query_one("#ts-query").focus()  # the troubleshoot search box, a text field
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "ts-query"
        assert _footer_fkeys(app) == [1, 3, 4, 5, 6, 7]
        assert _help_stage_text(app) == "F2–F7"
        await pilot.press("f1")
        await pilot.pause()
        texts = [str(s.render()) for s in app.screen.query(".help-key")]
        assert "F2–F7" in texts and not any("F6–F5" in t for t in texts)
        await pilot.press("escape", "f5", "f8")  # the configuration editor's text field
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "config-editor"
        assert _footer_fkeys(app) == [1, 3, 4, 5, 6, 7]
        assert _help_stage_text(app) == "F2–F7"
