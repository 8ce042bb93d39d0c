"""The theme follows Textual's theme switcher, is saved in the state folder and restored at start."""

from __future__ import annotations

import stat
from datetime import datetime, timezone
from pathlib import Path

import tomlkit
from textual.command import CommandPalette

from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource
from kata_snp_tui.paths import state_dir
from kata_snp_tui.settings import (
    THEME_ENV,
    Settings,
    initial_theme,
    load_settings,
    remember_theme,
    save_settings,
    settings_path,
)

FROZEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _app():
    return make_app(HostSource("live"), clock=lambda: FROZEN, run_checks_on_start=False)


# ------------------------------------------------------------------------------ engine


def test_settings_live_in_the_state_folder_as_private_toml() -> None:
    path = remember_theme("nord")
    assert path == state_dir() / "settings.toml"
    assert tomlkit.parse(path.read_text())["theme"] == "nord"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings().settings == Settings(theme="nord")
    assert not list(path.parent.glob("settings.toml.bak-*"))  # a routine save keeps no backup


def test_missing_file_gives_defaults_without_a_problem() -> None:
    loaded = load_settings()
    assert loaded.settings == Settings() and loaded.problem is None
    assert initial_theme(environ={}).source == "default"


def test_environment_overrides_the_saved_theme() -> None:
    remember_theme("nord")
    assert initial_theme(environ={THEME_ENV: "dracula"}).name == "dracula"
    assert initial_theme(environ={THEME_ENV: "dracula"}).source == "env"
    assert initial_theme(environ={THEME_ENV: "  "}).name == "nord"
    assert initial_theme(environ={}).source == "settings"


def test_broken_file_is_reported_and_kept_as_a_backup_when_replaced() -> None:
    path = settings_path()
    path.write_text("theme = [unclosed\n")
    loaded = load_settings()
    assert loaded.settings == Settings()
    assert loaded.problem and "not valid TOML" in loaded.problem
    choice = initial_theme(environ={})
    assert choice.name is None and choice.problem
    remember_theme("textual-light")
    assert load_settings().settings.theme == "textual-light"
    backups = list(path.parent.glob("settings.toml.bak-*"))
    assert len(backups) == 1 and backups[0].read_text() == "theme = [unclosed\n"


def test_wrong_type_is_reported() -> None:
    settings_path().write_text("theme = 3\n")
    loaded = load_settings()
    assert loaded.settings == Settings() and "must be a theme name" in (loaded.problem or "")


def test_saving_keeps_a_users_other_keys_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("# my note\ntheme = \"nord\"\nfuture_key = 1\n")
    save_settings(Settings(theme="gruvbox"), path)
    text = path.read_text()
    assert "# my note" in text and "future_key = 1" in text and 'theme = "gruvbox"' in text


# --------------------------------------------------------------------------------- app


async def _choose_theme_in_palette(pilot, name: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.press(*"theme")
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    await palette.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("enter")  # "Theme  Change the current theme"
    await pilot.pause()
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    await pilot.press(*name)
    await palette.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_theme_chosen_in_the_palette_persists_across_app_instances() -> None:
    first = _app()
    async with first.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert first.theme == "textual-dark"
        await _choose_theme_in_palette(pilot, "textual-light")
        assert first.theme == "textual-light"
        await pilot.pause()
    assert load_settings().settings.theme == "textual-light"

    second = _app()
    async with second.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert second.theme == "textual-light"
        second.theme = "nord"  # any other way of changing the theme is saved too
        await pilot.pause()
    assert load_settings().settings.theme == "nord"

    third = _app()
    async with third.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert third.theme == "nord"


async def test_environment_theme_is_used_but_not_saved(monkeypatch) -> None:
    remember_theme("nord")
    monkeypatch.setenv(THEME_ENV, "textual-light")
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.theme == "textual-light"
    assert load_settings().settings.theme == "nord"


async def test_unknown_theme_is_reported_and_the_default_kept(monkeypatch) -> None:
    monkeypatch.setenv(THEME_ENV, "no-such-theme")
    app = _app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        messages = [n.message for n in app._notifications]
        assert any("no-such-theme" in m and THEME_ENV in m for m in messages)


async def test_broken_settings_file_is_reported_not_fatal() -> None:
    settings_path().write_text("theme = \n")
    app = _app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert any("not valid TOML" in n.message for n in app._notifications)


async def test_a_theme_that_cannot_be_saved_is_reported_not_fatal() -> None:
    settings_path().mkdir()  # settings.toml is a folder: neither readable nor replaceable
    app = _app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert any("cannot read" in n.message for n in app._notifications)
        app.theme = "nord"
        await pilot.pause()
        assert app.theme == "nord"
        assert any("Could not save the theme" in n.message for n in app._notifications)
