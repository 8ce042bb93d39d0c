"""Issue 11, items 4, 5, 8, 9 and parts of 13: the welcome screen, the session report and the demo's paths
say what is true (resolved titles, persisted progress, named blockers, counts that add up, which file is
unsaved, diff labels that say what they compare, the demo's own workspace)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from config_helpers import wait_until_ready
from textual.widgets import OptionList

from kata_snp_tui.app import make_app
from kata_snp_tui.build_state import BuildPaths, BuildState, StepRecord, StepStatus, workspace_for
from kata_snp_tui.checks import run_checks
from kata_snp_tui.checks.model import CheckReport, CheckResult, Status
from kata_snp_tui.cli import main
from kata_snp_tui.config.diff import unified_diff, written_labels
from kata_snp_tui.export import from_session, to_markdown
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.profiles import get_profile
from kata_snp_tui.progress import BuildCounts, stage_summaries
from kata_snp_tui.recipe import load_recipe
from kata_snp_tui.screens.config_editor import ConfigEditorScreen
from kata_snp_tui.session import Session
from screens_helpers import FROZEN, frozen_clock


def _demo_steps() -> list[str]:
    steps = load_recipe(get_profile("guide-3.2").recipe_path).resolve(workspace_for(True), {})
    return [s.id for s in steps]


def _write_demo_state(skip: str | None = None) -> list[str]:
    """A demo build that ran to its end earlier (one step skipped when ``skip``)."""
    ids = _demo_steps()
    bp = BuildPaths.default(demo=True)
    state = BuildState.open(bp, workspace_for(True))
    for step_id in ids:
        status = StepStatus.SKIPPED if step_id == skip else StepStatus.DONE
        state.set(step_id, StepRecord(status, 0 if status is StepStatus.DONE else None, "2026-12-01T10:00:00+00:00", 1.0))
    return ids


def _welcome_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    stages = app.screen.query_one("#welcome-stages", OptionList)
    return [str(stages.get_option_at_index(i).prompt) for i in range(stages.option_count)]


# ------------------------------------------------------------------ item 4: resolved titles, the profile


def test_the_report_shows_resolved_titles_and_the_profile() -> None:
    ids = _write_demo_state()
    doc = json.loads(_export_json(["export", "--demo", "--format", "json"]))
    titles = [s["title"] for s in doc["build"]["steps"]]
    assert len(titles) == len(ids)
    assert not [t for t in titles if "{" in t], [t for t in titles if "{" in t]
    assert "Check out Kata 3.2.0, the release the guide matches" in titles
    assert doc["profile"]["id"] == "guide-3.2" and doc["profile"]["reason"]
    md = to_markdown(doc)
    assert "- Profile: guide-3.2 (The 2023 guide (Kata 3.2.x)): " in md
    assert "{kata_version}" not in md and "{distro}" not in md


@pytest.mark.parametrize(("kind", "profile_id"), [("demo", None), ("live", "upstream"), ("live", "guide-3.2")])
async def test_report_titles_are_the_build_screens(kind: str, profile_id: str | None) -> None:
    """The TUI's report (e, the palette's export) lists every step with the title the Build screen shows."""
    from kata_snp_tui.screens.build import BuildScreen

    app = make_app(HostSource(kind), clock=frozen_clock, run_checks_on_start=False, profile=profile_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        for _ in range(200):
            if isinstance(app.screen, BuildScreen) and app.screen.build is not None:
                break
            await pilot.pause(0.05)
        shown = [(s.id, s.title) for s in app.screen.build.steps]
        doc = from_session(app.session)
        assert [(s["id"], s["title"]) for s in doc["build"]["steps"]] == shown
        assert doc["profile"]["id"] == app.session.profile_choice.profile.id
        assert f"- Profile: {doc['profile']['id']} (" in to_markdown(doc)


@pytest.mark.parametrize("profile_id", ["guide-3.2", "upstream"])
def test_export_reports_the_profile_it_was_given(profile_id: str) -> None:
    """`kata-snp-tui --profile ID export` (and `export --profile ID`) reports that profile, as the wizard and
    build use it, whatever this machine's kernel would choose (it ignored --profile)."""
    for argv in (["--profile", profile_id, "export", "--format", "json"],
                 ["export", "--profile", profile_id, "--format", "json"]):
        doc = json.loads(_export_json(argv))
        assert (doc["profile"]["id"], doc["profile"]["source"]) == (profile_id, "option"), argv


def test_export_refuses_the_demo_with_another_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--demo", "--profile", "upstream"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["kata-snp-tui: the demo host replays the guide-3.2 build; --profile upstream cannot be combined "
                   "with --demo"]


def _export_json(argv: list[str]) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


def test_a_tui_session_report_uses_its_profiles_recipe() -> None:
    source = HostSource("demo")
    session = Session(source=source, host=open_host(source), clock=frozen_clock, started_at=FROZEN)
    from kata_snp_tui.profiles import choose_for

    session.profile_choice = choose_for("demo", None, workspace_for(True))
    bp = BuildPaths.default(demo=True)
    state = BuildState.open(bp, workspace_for(True))
    state.set("kata-checkout", StepRecord(StepStatus.DONE, 0))
    session.build_states = state.step_states(_demo_steps())
    doc = from_session(session)
    titles = {s["id"]: s["title"] for s in doc["build"]["steps"]}
    assert titles["kata-checkout"] == "Check out Kata 3.2.0, the release the guide matches"
    assert doc["profile"]["id"] == "guide-3.2"


# ------------------------------------------------------------------ item 5: persisted progress at start


async def test_welcome_reads_the_persisted_build_state_at_start() -> None:
    ids = _write_demo_state(skip="critools-install")
    app = make_app(HostSource("demo"), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        build_line = next(line for line in _welcome_lines(app) if "2. Build" in line)
        assert f"{len(ids) - 1}/{len(ids)} done · 1 skipped" in build_line, build_line
        assert "no step run yet" not in build_line


@pytest.mark.parametrize("profile_id", ["guide-3.2", "upstream"])
async def test_welcome_reads_a_live_workspaces_state_at_start(profile_id: str) -> None:
    """This machine's workspace (KATA_SNP_TUI_WORKSPACE, a tmp folder here): its own state file, the profile's
    recipe decides which steps count."""
    workspace = workspace_for(False)
    ids = [s.id for s in load_recipe(get_profile(profile_id).recipe_path).resolve(workspace, {})]
    state = BuildState.open(BuildPaths.default(), workspace)
    for step_id in ids[:3]:
        state.set(step_id, StepRecord(StepStatus.DONE, 0))
    state.set(ids[3], StepRecord(StepStatus.FAILED, 2, message="exit status 2"))
    app = make_app(HostSource("live"), clock=frozen_clock, run_checks_on_start=False, profile=profile_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        build_line = next(line for line in _welcome_lines(app) if "2. Build" in line)
        assert f"3/{len(ids)} done, a step failed" in build_line, build_line


async def test_welcome_says_no_step_run_when_nothing_was_run() -> None:
    app = make_app(HostSource("demo"), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("2. Build" in line and "no step run yet" in line for line in _welcome_lines(app))


# ------------------------------------------------------------------ item 13: counts that add up


def test_build_counts_add_up() -> None:
    counts = BuildCounts.of(["done"] * 32 + ["skipped"])
    assert (counts.done, counts.skipped, counts.total, counts.finished) == (32, 1, 33, 33)
    assert counts.headline == "32/33 done · 1 skipped"
    assert BuildCounts.of(["done", "failed", "pending"]).headline == "1/3 done"


async def test_build_and_welcome_say_the_same_counts() -> None:
    """After a restart with one step skipped: the welcome line and the Build screen's summary use the same
    words, and the numbers add up (32 done + 1 skipped = 33), in a burst of keys between the stages."""
    from textual.widgets import Static

    from kata_snp_tui.screens.build import BuildScreen

    ids = _write_demo_state(skip="critools-install")
    want = f"{len(ids) - 1}/{len(ids)} done · 1 skipped"
    app = make_app(HostSource("demo"), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        welcome = next(line for line in _welcome_lines(app) if "2. Build" in line)
        assert want in welcome and "steps done" not in welcome, welcome
        await pilot.press("f4", "f2", "f4")
        for _ in range(200):
            if isinstance(app.screen, BuildScreen) and app.screen.build is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        summary = str(app.screen.query_one("#build-summary", Static).render())
        assert summary.startswith(want + " · "), summary
        await pilot.press("f2")
        await pilot.pause()
        assert want in next(line for line in _welcome_lines(app) if "2. Build" in line)


# ------------------------------------------------------------------ item 9: blockers by name


def _report(*checks: tuple[str, str, Status]) -> CheckReport:
    return CheckReport({}, tuple(CheckResult(cid, group, cid, status, "s") for cid, group, status in checks))


def test_welcome_names_the_blockers_and_counts_the_toolchain_apart() -> None:
    report = _report(("bios.sev", "BIOS", Status.FAIL), ("kvm.sev_snp", "Kernel and KVM", Status.FAIL),
                     ("fw.version", "Firmware", Status.FAIL), ("tool.yq", "Toolchain", Status.FAIL),
                     ("tool.gcc", "Toolchain", Status.FAIL), ("profile.kata", "Profile", Status.FAIL),
                     ("cpu.amd", "CPU", Status.PASS))
    assert all(c.affects_readiness for c in report.checks[:3])
    source = HostSource("demo")
    session = Session(source=source, host=open_host(source), clock=frozen_clock)
    session.checks = report
    line = next(s.text for s in stage_summaries(session) if s.stage.id == "checks")
    assert line == "not ready: 3 blockers (bios.sev, kvm.sev_snp, fw.version) · 3 other problems (Toolchain, Profile)"
    assert "6 failed" not in line


def test_the_live_host_names_the_same_blockers_as_check() -> None:
    report = run_checks(open_host(HostSource("live")))
    assert not report.ready  # this machine is not an SNP host
    source = HostSource("live")
    session = Session(source=source, host=open_host(source), clock=frozen_clock)
    session.checks = report
    line = next(s.text for s in stage_summaries(session) if s.stage.id == "checks")
    assert line.startswith(f"not ready: {len(report.blockers)} blocker")
    assert all(b in line for b in report.blockers)


# ------------------------------------------------------------------ item 13: which file is unsaved


async def test_welcome_says_which_file_has_unsaved_changes() -> None:
    app = make_app(HostSource("demo"), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until_ready(pilot)
        screen = app.screen
        assert isinstance(screen, ConfigEditorScreen)
        await pilot.press("ctrl+s")  # save the Kata file; containerd's proposed changes stay unsaved
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
            if app.session.config_applied and "kata" not in app.session.config_unsaved:
                break
        assert app.session.config_unsaved == ("containerd",)
        await pilot.press("f2")
        await pilot.pause()
        line = next(x for x in _welcome_lines(app) if "3. Configure" in x)
        assert "Kata's configuration.toml saved; unsaved changes in containerd's config.toml" in line, line


def test_a_saved_diff_says_what_it_compares() -> None:
    diff = unified_diff("a = 1\n", "a = 2\n", "/etc/x.toml", labels=written_labels("/etc/x.toml.bak-1"))
    assert diff.startswith("--- /etc/x.toml (before, kept as /etc/x.toml.bak-1)\n+++ /etc/x.toml (saved)\n")
    assert "(current)" not in diff and "(proposed)" not in diff
    assert "(no backup: the file was new)" in unified_diff("", "a = 1\n", "/x", labels=written_labels(None))


# ------------------------------------------------------------------ item 8: the demo's own workspace


def test_demo_checks_and_config_never_show_this_machines_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "somebody"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KATA_SNP_TUI_WORKSPACE")
    main(["check", "--demo", "--json"])
    out = capsys.readouterr().out
    assert str(home) not in out and "/home/dev/kata-snp-workspace/qemu/build/qemu-system-x86_64" in out
    main(["config", "diff", "--demo"])
    captured = capsys.readouterr()
    assert str(home) not in captured.out + captured.err
    assert '+path = "/home/dev/kata-snp-workspace/qemu/build/qemu-system-x86_64"' in captured.out
    # one validator: the CLI and the editor give the same answer for the proposed QEMU (absent on the recording)
    assert "path: /home/dev/kata-snp-workspace/qemu/build/qemu-system-x86_64 does not exist" in captured.err


async def test_demo_editor_proposes_the_recorded_workspace_and_agrees_with_the_cli(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "somebody"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KATA_SNP_TUI_WORKSPACE")
    app = make_app(HostSource("demo"), clock=frozen_clock, run_checks_on_start=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("f3")
        await pilot.pause()
        assert str(home) not in app.export_screenshot()
        await pilot.press("f5")
        await wait_until_ready(pilot)
        screen = app.screen
        assert isinstance(screen, ConfigEditorScreen) and screen.analysis is not None
        assert 'path = "/home/dev/kata-snp-workspace/qemu/build/qemu-system-x86_64"' in screen.analysis.text
        messages = [f.message for f in screen.analysis.validation.findings]
        assert "path: /home/dev/kata-snp-workspace/qemu/build/qemu-system-x86_64 does not exist" in messages
        assert str(home) not in app.export_screenshot()
