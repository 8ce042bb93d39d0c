"""Pilot and snapshot tests of the welcome and Host Checks screens."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource
from screens_helpers import frozen_clock, sample_report


def _app():
    # The profile is pinned: the welcome screen shows it, and chosen from this machine's Kata and kernel it would differ by machine.
    return make_app(HostSource("live"), clock=frozen_clock, run_checks_on_start=False, profile="guide-3.2")


async def test_welcome_lists_stages_and_host_source() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_checks(sample_report())
        await pilot.pause()
        assert app.current_mode == "welcome"
        stages = app.screen.query_one("#welcome-stages", OptionList)
        assert [stages.get_option_at_index(i).id for i in range(stages.option_count)] == [
            "checks", "build", "config", "verify"]
        host = str(app.screen.query_one("#welcome-host", Static).render())
        assert "live host" in host and "NOT READY" in host


async def test_enter_on_a_stage_opens_it() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("down", "enter")
        assert app.current_mode == "build"


async def test_stage_keys_work_from_every_stage() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        for key, mode in [("f3", "checks"), ("f4", "build"), ("f5", "config"), ("f6", "verify"),
                          ("f7", "troubleshoot"), ("f2", "welcome"), ("ctrl+n", "checks")]:
            await pilot.press(key)
            for _ in range(100):  # a stage's first mount can take a while on a loaded machine
                if app.current_mode == mode:
                    break
                await pilot.pause(0.05)
            assert app.current_mode == mode, key


async def test_checks_screen_selects_first_failure_and_shows_remedy() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        app.set_checks(sample_report())
        await pilot.pause()
        screen = app.screen
        option_list = screen.query_one("#checks-list", OptionList)
        assert option_list.highlighted_option.id == "bios.snp"
        details = str(screen.query_one("#checks-evidence", Static).render()) + str(screen.query_one("#checks-remedy", Static).render())
        assert "RMP table has not been reserved" in details
        assert "SNP Memory (RMP Table) Coverage" in details
        await pilot.press("n")  # next problem: the warning
        assert option_list.highlighted_option.id == "fw.version"
        await pilot.press("n")  # wraps to the first problem
        assert option_list.highlighted_option.id == "bios.snp"


async def test_copy_remedy_copies_the_selected_checks_remedy() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        app.set_checks(sample_report())
        await pilot.pause()
        await pilot.press("c")
        assert app.clipboard.startswith("In the BIOS setup")


async def test_rerun_reads_the_host_again() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        before = app.checks_version
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.checks_version == before + 1
        assert app.session.checks is not None


def _shown_report(pilot_app):
    async def run_before(pilot) -> None:
        await pilot.press("f3")
        pilot.app.set_checks(sample_report())
        await pilot.pause()

    return run_before


def test_snapshot_checks_80x24(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_shown_report(None))


def test_snapshot_checks_120x40(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(120, 40), run_before=_shown_report(None))


def _welcome(pilot_app=None):
    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()  # the profile and the persisted build progress are read in a worker
        pilot.app.set_checks(sample_report())
        await pilot.pause()

    return run_before


def test_snapshot_welcome_80x24(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_welcome())


def test_snapshot_welcome_120x40(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(120, 40), run_before=_welcome())
