"""Issue 11: one truth for results across the CLI, the Verify screen, the welcome screen and the session report.

Real processes throughout: the demo's replay module through the shared runner, stand-in ``ctr`` scripts
on PATH, build state written to a temporary state folder (conftest sets XDG_STATE_HOME)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kata_snp_tui.app import make_app
from kata_snp_tui.export import from_session, to_markdown
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.paths import state_dir
from kata_snp_tui.screens.verify import VerifyScreen
from kata_snp_tui.screens.welcome import WelcomeScreen
from kata_snp_tui.verify.result import from_dmesg_text
from kata_snp_tui.verify.run import VerifyOptions, VerifyRun
from conftest import SHARED
from screens_helpers import frozen_clock
from verify_helpers import install_fake_ctr, write_script

# Outcome states (kata_snp_tui.verify.result), spelled out so the screen tests also run against older code.
NOT_RUN, CANCELLED, RUN_FAILED, COMPLETED = "not-run", "cancelled", "failed", "completed"
SNP_SAMPLE = SHARED / "samples" / "guest-dmesg-snp-active-and-snpguest-report.txt"


def _app(source: str = "demo"):
    return make_app(HostSource(source), host=open_host(HostSource("demo")), clock=frozen_clock,
                    run_checks_on_start=False)


def _toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _welcome_lines(app) -> dict[str, str]:
    from textual.widgets import OptionList

    stages = app.screen.query_one("#welcome-stages", OptionList)
    return {str(o.id): str(o.prompt) for o in stages.options}


async def _wait_for(pilot, predicate, tries: int = 400) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


# ------------------------------------------------------------------------- item 2: the engine


def test_cancelled_demo_run_is_cancelled_not_a_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "0.2")  # the pull replay takes 7.5 s: cancel comes first
    import threading

    run = VerifyRun(VerifyOptions(demo=True))
    started = threading.Event()
    run.on_event = lambda ev: started.set() if ev.kind == "start" else None
    timer = threading.Thread(target=lambda: (started.wait(30), run.cancel()))
    timer.start()
    v = run.execute()
    timer.join()
    outcome = v.outcome
    assert outcome.state == CANCELLED and outcome.verdict is None
    assert outcome.label == "cancelled" and "no verdict" in outcome.sentence
    data = v.to_json()
    assert data["verdict"] is None and data["outcome"]["state"] == CANCELLED
    assert not v.ok and v.exit_code == 1


def test_failed_live_run_and_a_file_and_a_legacy_result() -> None:
    from kata_snp_tui.verify.result import outcome_from_json, outcome_of

    assert outcome_of(None).state == NOT_RUN
    done = from_dmesg_text(SNP_SAMPLE.read_text())
    assert done.outcome.state == COMPLETED and done.outcome.verdict == "sev-snp"
    # A result saved before outcomes existed: run failed, nothing found in a guest log.
    legacy = {"verdict": "none", "verdict_title": "No SEV feature active", "run_failed": True,
              "failure": "the pull failed (exit status 1)", "signals": [{"found": False}], "source": "run",
              "steps": [{"status": "failed"}, {"status": "not run"}]}
    o = outcome_from_json(legacy)
    assert o.state == RUN_FAILED and o.verdict is None and o.reason == "the pull failed (exit status 1)"
    legacy_cancel = dict(legacy, failure="the pull was cancelled", steps=[{"status": "cancelled"}])
    assert outcome_from_json(legacy_cancel).state == CANCELLED


def test_guest_dmesg_cut_short_gives_no_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guest printed its dmesg section but not its end: what was read proves nothing."""
    canned = tmp_path / "cut.txt"
    canned.write_text("### kata-snp-tui: dmesg\n[    0.000000] Linux version 6.8.0\n")
    fake = install_fake_ctr(tmp_path, "canned", output=canned)
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    v = VerifyRun(VerifyOptions()).execute()
    assert v.outcome.state == RUN_FAILED and v.outcome.verdict is None


def test_cli_says_run_failed_with_no_ctr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from kata_snp_tui.cli import main

    empty = tmp_path / "bin"
    empty.mkdir()
    write_script(empty / "sudo", 'while [ $# -gt 0 ]; do case "$1" in -*) shift ;; *) break ;; esac; done\nexec "$@"\n')
    monkeypatch.setenv("PATH", f"{empty}{os.pathsep}/bin{os.pathsep}/usr/bin")
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Profile: ")  # which profile decides the expected measurement
    assert lines[1] == "result: run failed (the guest's dmesg was not read to its end, so there is no verdict)"
    assert "verdict:" not in out and "command not found: ctr" in out
    saved = json.loads((state_dir() / "verify" / "last.json").read_text())
    assert saved["verdict"] is None and saved["outcome"]["state"] == RUN_FAILED


# --------------------------------------------------------------- item 2: screens and the report


async def _export_from_palette(pilot) -> str:
    await pilot.press("ctrl+p", *"export the session", "enter")
    await _wait_for(pilot, lambda: (state_dir() / "reports").is_dir()
                    and any(p.suffix == ".md" for p in (state_dir() / "reports").iterdir()))
    md = next(p for p in (state_dir() / "reports").iterdir() if p.suffix == ".md")
    return md.read_text()


async def test_demo_cancel_toast_welcome_and_export_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "0.2")  # a 7.5 s pull: "c" comes while it runs
    app = _app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6", "r")
        await _wait_for(pilot, lambda: isinstance(app.screen, VerifyScreen) and app.screen.running
                        and app.screen._phase not in ("", "starting"))
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await _wait_for(pilot, lambda: app.screen.verification is not None)
        toasts = _toasts(app)
        assert not any("Verdict" in t for t in toasts), toasts
        assert any(t.startswith("Run cancelled: the pull was cancelled") and "no verdict" in t for t in toasts)
        assert app.screen.query_one("#verify-banner").verdict == "cancelled"
        await pilot.press("f2")
        await _wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        await pilot.pause()
        line = _welcome_lines(app)["verify"]
        assert "cancelled" in line and "no verdict" in line and "guest verdict" not in line
        md = await _export_from_palette(pilot)
    assert "**Result: cancelled** (the pull was cancelled; no guest log was read, so there is no verdict)" in md
    assert "Verdict" not in md
    assert "Guest kernel log: not read" in md and "- [ ] Memory encryption" not in md
    js = json.loads(next(p for p in (state_dir() / "reports").iterdir() if p.suffix == ".json").read_text())
    assert js["verification"]["verdict"] is None and js["verification"]["outcome"]["state"] == CANCELLED


async def test_live_failing_ctr_toast_welcome_and_export_agree(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "pull-fail")
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    app = _app("live")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6", "r")
        await _wait_for(pilot, lambda: isinstance(app.screen, VerifyScreen) and app.screen.verification is not None)
        toasts = _toasts(app)
        assert not any("Verdict" in t for t in toasts), toasts
        assert any(t.startswith("Run failed: the pull failed") for t in toasts), toasts
        await pilot.press("f2")
        await _wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        await pilot.pause()
        line = _welcome_lines(app)["verify"]
        assert "run failed" in line and "no verdict" in line and "guest verdict" not in line
        md = await _export_from_palette(pilot)
    assert "**Result: run failed** (the pull failed" in md and "Verdict:" not in md


def test_export_of_a_whole_demo_run_keeps_its_verdict() -> None:
    from kata_snp_tui.session import Session

    source = HostSource("demo")
    session = Session(source=source, host=open_host(source), clock=frozen_clock)
    session.verification = VerifyRun(VerifyOptions(demo=True, demo_speed=40.0)).execute(save=False)
    doc = from_session(session)
    assert doc["verification"]["outcome"]["state"] == COMPLETED  # a whole demo run: a verdict
    assert "**Verdict: sev-snp**" in to_markdown(doc)
