"""The command palette offers the current stage's actions and runs them."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.command import CommandList, CommandPalette

from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource
from kata_snp_tui.screens.palette import StageActionsProvider

FROZEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _app():
    return make_app(HostSource("live"), clock=lambda: FROZEN, run_checks_on_start=False)


def _prompts(palette: CommandPalette) -> list[str]:
    commands = palette.query_one(CommandList)
    return [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]


async def test_palette_lists_the_current_stages_actions() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await palette.workers.wait_for_complete()
        await pilot.pause()
        prompts = "\n".join(_prompts(palette))
        calling = app.screen_stack[-2]
        for binding in calling.BINDINGS:
            assert f"Host checks: {binding.description}" in prompts
            assert f"Key: {binding.key}" in prompts
        # The stage's own actions come first, before the app-wide commands.
        first = _prompts(palette)[: len(calling.BINDINGS)]
        assert all(p.startswith("Host checks: ") for p in first), first


async def test_palette_runs_the_chosen_action() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        before = app.checks_version
        await pilot.press("ctrl+p")
        await pilot.press(*"re-run checks")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await palette.workers.wait_for_complete()
        await pilot.pause()
        assert _prompts(palette)[0].startswith("Host checks: Re-run checks")
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.current_mode == "checks"
        assert app.checks_version == before + 1  # the screen's action ran: the host was read again


async def test_palette_follows_the_stage_it_was_opened_on() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()  # welcome
        provider = StageActionsProvider(app.screen)
        names = [name for name, _help, _key in provider._commands()]
        assert names == ["Welcome: Open stage"]
        await pilot.press("f3")
        await pilot.pause()
        provider = StageActionsProvider(app.screen)
        names = [name for name, _help, _key in provider._commands()]
        assert names == [f"Host checks: {b.description}" for b in app.screen.BINDINGS if b.description]
        assert not any(n.startswith("Welcome:") for n in names)
