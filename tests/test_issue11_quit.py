"""Issue 11 item 12: ctrl+q while a build step or a verify run is running asks first (Pilot, real processes)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from build_helpers import alive, kill_marked, processes_with_marker
from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.screens.build import BUILD_OPTIONS_KEY, BuildScreen
from kata_snp_tui.screens.confirm import ConfirmScreen
from kata_snp_tui.sudo import Privilege
from screens_helpers import frozen_clock
from verify_helpers import install_fake_ctr, pid_alive

NOT_ROOT = Privilege(euid=lambda: 1000, search_path="/nonexistent")


async def _wait(pilot, cond, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await pilot.pause(0.05)


def _wait_sync(cond, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())


def _build_app(tmp_path: Path, marker: str):  # type: ignore[no-untyped-def]
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(f'''
[[steps]]
id = "long"
title = "Long step"
shell = "echo working; bash -c 'sleep 300; :' {marker}"
''')
    app = make_app(HostSource("live"), host=open_host(HostSource("live")), clock=frozen_clock, run_checks_on_start=False)
    app.session.extras[BUILD_OPTIONS_KEY] = {"recipe_path": recipe, "workspace": tmp_path / "ws", "privilege": NOT_ROOT}
    return app


async def _start_build(pilot, marker: str) -> tuple[BuildScreen, list[int]]:  # type: ignore[no-untyped-def]
    await pilot.press("f4")
    await _wait(pilot, lambda: isinstance(pilot.app.screen, BuildScreen) and pilot.app.screen.build is not None)
    screen = pilot.app.screen
    await pilot.press("r")
    await _wait(pilot, lambda: bool(processes_with_marker(marker)) and "working" in screen.shown_log_text())
    return screen, processes_with_marker(marker)


def _dialog(app) -> ConfirmScreen:  # type: ignore[no-untyped-def]
    screen = app.screen
    assert isinstance(screen, ConfirmScreen), type(screen)
    return screen


async def test_ctrl_q_during_a_build_step_asks_and_keep_running_keeps_it(tmp_path: Path) -> None:
    marker = f"kst11q{uuid.uuid4().hex[:10]}"
    app = _build_app(tmp_path, marker)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen, tree = await _start_build(pilot, marker)
            await pilot.press("ctrl+q")
            await pilot.pause()
            dialog = _dialog(app)
            text = " ".join(str(s.render()) for s in dialog.query("Static"))
            assert "A step is running: quit and stop it?" in text and "A build step is running" in text
            assert [str(b.label) for b in dialog.query("Button")] == ["Quit and stop it", "Keep running"]
            await pilot.press("ctrl+q")  # a second ctrl+q does not stack a second question
            await pilot.pause()
            assert len([s for s in app.screen_stack if isinstance(s, ConfirmScreen)]) == 1
            await pilot.press("enter")  # "Keep running" has the focus: Enter is the safe answer
            await pilot.pause()
            assert app.screen is screen and screen.running
            assert alive(tree) == tree and app.return_code is None
            # Ask again from another stage, and quit this time (a burst: ctrl+q then y).
            await pilot.press("f7", "ctrl+q", "y")
            await _wait(pilot, lambda: app.return_code is not None)
        assert app.return_code == 0
        assert _wait_sync(lambda: alive(tree) == [])
    finally:
        kill_marked(marker)


async def test_escape_keeps_the_step_and_the_quit_button_quits(tmp_path: Path) -> None:
    marker = f"kst11e{uuid.uuid4().hex[:10]}"
    app = _build_app(tmp_path, marker)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen, tree = await _start_build(pilot, marker)
            await pilot.press("ctrl+q", "escape")
            await pilot.pause()
            assert app.screen is screen and screen.running and app.return_code is None
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.click("#confirm-yes")
            await _wait(pilot, lambda: app.return_code is not None)
        assert _wait_sync(lambda: alive(tree) == [])
    finally:
        kill_marked(marker)


async def test_ctrl_q_during_a_verify_run_asks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "hang")
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    app = make_app(HostSource("live"), host=open_host(HostSource("demo")), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("r")
        await _wait(pilot, lambda: bool(fake.recorded_pids()))
        verify = app.screen
        verify._run.runner.grace = 1.0  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")
        await pilot.pause()
        text = " ".join(str(s.render()) for s in _dialog(app).query("Static"))
        assert "The verify run is running" in text
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is verify and verify.running and app.return_code is None  # type: ignore[attr-defined]
        assert all(pid_alive(p) for p in fake.recorded_pids())
        await pilot.press("ctrl+q", "y")
        await _wait(pilot, lambda: app.return_code is not None)
    assert _wait_sync(lambda: not any(pid_alive(p) for p in fake.recorded_pids()))


async def test_ctrl_q_with_nothing_running_quits_at_once() -> None:
    app = make_app(HostSource("demo"), host=open_host(HostSource("demo")), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4", "f6", "ctrl+q")
        await _wait(pilot, lambda: app.return_code is not None)
        assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
