"""Pilot and snapshot tests of the Verify screen: real runs (a stand-in ctr, or the demo's replay) through the
real runner; snapshots of SNP active, SEV-ES only and a failure with a known-error hint, at 80x24 and 120x40."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input, Log

from conftest import REPO, SHARED
from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.screens.verify import VerifyScreen
from kata_snp_tui.screens.verify_banner import VerdictBanner
from kata_snp_tui.screens.verify_options import VerifyOptionsScreen
from kata_snp_tui.screens.password import PasswordScreen
from kata_snp_tui.screens.verify_rows import Row
from kata_snp_tui.sudo import Privilege
from screens_helpers import frozen_clock
from verify_helpers import install_fake_ctr

GUEST = REPO / "assets" / "demo" / "guest"
SNP_DMESG = (SHARED / "samples" / "guest-dmesg-snp-active-and-snpguest-report.txt").read_text()
SEV_ES_DMESG = (SHARED / "samples" / "guest-dmesg-sev-and-sev-es-only-variants.txt").read_text()
#: Snapshots show log paths: a fixed state folder keeps them the same from run to run.
SNAP_STATE = Path("/tmp/kata-snp-tui-test-verify-snapshots")


def _app(source: str = "live"):
    # The host object is the bundled demo snapshot either way: the screen never reads this machine.
    return make_app(HostSource(source), host=open_host(HostSource("demo")), clock=frozen_clock,
                    run_checks_on_start=False)


def _rows_text(screen: VerifyScreen, selector: str) -> str:
    return "\n".join(f"{r.data.title} {' '.join(r.data.details)}" for r in screen.query(f"{selector} Row").results(Row))


async def _run_and_wait(pilot, key: str = "r") -> VerifyScreen:
    await pilot.press(key)
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, VerifyScreen)
    return screen


async def test_snp_run_fills_every_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "exec", dmesg_text=SNP_DMESG)
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        screen = await _run_and_wait(pilot)
        v = screen.verification
        assert v is not None and v.verdict == "sev-snp"
        assert app.session.verification is v
        assert screen.query_one(VerdictBanner).verdict == "sev-snp"
        log = screen.query_one("#verify-log", Log)
        text = "\n".join(log.lines)
        assert text.startswith("$ sudo ctr image pull docker.io/library/busybox:latest")
        assert "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP" in text
        signals = _rows_text(screen, "#verify-signals")
        assert "dmesg line" in signals and "SEV: Using SNP CPUID table, 31 entries present." in signals
        report = _rows_text(screen, "#verify-report")
        assert "could not be created" in report  # this machine has no /dev/sev-guest: said plainly
        assert not screen.query_one("#verify-hints").display
        assert [c[0] for c in fake.call_list()] == ["image", "run"]


async def test_busybox_offers_the_python_image_and_demo_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    app = _app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        screen = await _run_and_wait(pilot)
        assert screen.verification is not None and screen.verification.attestation.status == "no-tool"
        assert "neither snpguest nor python3" in _rows_text(screen, "#verify-report")
        assert "Press i to run again with docker.io/library/python:3.12-alpine" in _rows_text(screen, "#verify-report")
        screen = await _run_and_wait(pilot, "i")
        v = screen.verification
        assert v is not None and v.report is not None and v.report.is_demo
        report = _rows_text(screen, "#verify-report")
        assert "DEMO DATA" in report and "report_data matches" in report
        assert v.report.measurement.hex()[:48] in report
        assert "1.55.21" in report


async def test_options_dialog_validates_and_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, VerifyOptionsScreen)
        name = app.screen.query_one("#opt-name", Input)
        name.value = "bad name"
        await pilot.click("#opt-save")
        await pilot.pause()
        assert isinstance(app.screen, VerifyOptionsScreen)  # refused, with a message
        assert "container name" in str(app.screen.query_one("#verify-options-error").render())
        name.value = "my-test"
        app.screen.query_one("#opt-image", Input).value = "docker.io/library/python:3.12-alpine"
        name.focus()
        await pilot.press("enter")  # submitting any field saves
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        assert screen.options is not None and screen.options.name == "my-test"
        assert "python:3.12-alpine" in str(screen.query_one("#verify-summary").render())


async def test_sudo_password_is_asked_and_cancel_starts_nothing(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "exec", dmesg_text=SNP_DMESG, sudo_password=True)
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    # A non-root user whose sudo wants a password (the stand-in sudo on PATH).
    monkeypatch.setattr(Privilege, "is_root", lambda self: False)
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, PasswordScreen):
                break
        assert isinstance(app.screen, PasswordScreen)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert fake.call_list() == []
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, PasswordScreen):
                break
        await pilot.press(*"secret", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, VerifyScreen) and screen.verification is not None
        assert screen.verification.verdict == "sev-snp"
        assert "secret" not in "\n".join(screen.query_one("#verify-log", Log).lines)


async def test_cancel_ends_a_hanging_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "hang")
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("r")
        for _ in range(200):
            await pilot.pause(0.05)
            if fake.recorded_pids():
                break
        screen = app.screen
        assert isinstance(screen, VerifyScreen) and screen.running
        screen._run.runner.grace = 1.0  # type: ignore[union-attr]
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        v = screen.verification
        assert v is not None and v.run_failed and v.failure == "the container run was cancelled"
    from verify_helpers import pid_alive

    assert not any(pid_alive(p) for p in fake.recorded_pids())


async def test_quitting_during_a_run_leaves_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "hang")
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("r")
        for _ in range(200):
            await pilot.pause(0.05)
            if fake.recorded_pids():
                break
        assert fake.recorded_pids()
        app.screen._run.runner.grace = 1.0  # type: ignore[attr-defined]
        await pilot.press("ctrl+q", "y")  # y: "quit and stop it?" (the run is running)
    from verify_helpers import pid_alive

    assert not any(pid_alive(p) for p in fake.recorded_pids())


async def test_export_key_writes_both_formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    app = _app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await _run_and_wait(pilot)
        await pilot.press("e")
        await pilot.pause()
    from kata_snp_tui.paths import state_dir

    files = sorted((state_dir() / "reports").iterdir())
    assert [f.suffix for f in files] == [".json", ".md"]
    md = next(f for f in files if f.suffix == ".md").read_text()
    assert "DEMO DATA" in md and "**Verdict: sev-snp**" in md
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"


# ------------------------------------------------------------------------------------ snapshots


@pytest.fixture
def snap_state(monkeypatch: pytest.MonkeyPatch):
    shutil.rmtree(SNAP_STATE, ignore_errors=True)
    monkeypatch.setenv("XDG_STATE_HOME", str(SNAP_STATE))
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    yield SNAP_STATE
    shutil.rmtree(SNAP_STATE, ignore_errors=True)


async def _snap_run(pilot, image: str | None = None) -> None:
    await pilot.press("f6")
    await pilot.pause()
    screen = pilot.app.screen
    if image:
        screen.options = replace(screen.options, image=image)
    await pilot.press("r")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_snp_active(snap_compare, snap_state, size) -> None:
    app = _app("demo")

    async def run_before(pilot) -> None:
        await _snap_run(pilot, "docker.io/library/python:3.12-alpine")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_sev_es_only(snap_compare, snap_state, tmp_path, monkeypatch, size) -> None:
    fake = install_fake_ctr(tmp_path, "exec", dmesg_text=SEV_ES_DMESG)
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    app = _app()

    async def run_before(pilot) -> None:
        await _snap_run(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_failure_with_hint(snap_compare, snap_state, tmp_path, monkeypatch, size) -> None:
    fake = install_fake_ctr(tmp_path, "fail")
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    app = _app()

    async def run_before(pilot) -> None:
        await _snap_run(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
