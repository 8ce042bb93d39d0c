"""The demo host follows the demo's own build: what the recorded host had after each build step
(assets/demo/after-build.toml) shows only once that step is done in the demo's build state, in the
host checks, the Configure stage's path checks and the command line alike.

Before, the recording was the host before its build, so after the demo had replayed all 33 steps the
host checks still said "SNP guest kernel is not built yet" and the editor warned that the proposed
kernel, initrd, QEMU and OVMF "do not exist".
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

from config_helpers import cli_env, wait_until_ready
from screens_helpers import frozen_clock

from kata_snp_tui.app import make_app
from kata_snp_tui.build_state import (BuildPaths, BuildState, StepStatus, demo_state_file, demo_workspace,
                                      recorded_demo_workspace)
from kata_snp_tui.checks import run_checks
from kata_snp_tui.checks.kata import artifact_paths
from kata_snp_tui.checks.model import Status
from kata_snp_tui.config.targets import resolve_targets
from kata_snp_tui.demo_host import NOT_RECORDED, load_after_build
from kata_snp_tui.host import HostSource, open_host

RECORDED_WS = Path("/home/dev/kata-snp-workspace")


def _guide_step_ids() -> list[str]:
    recipe = tomllib.loads((files("kata_snp_tui.assets") / "recipe.toml").read_text(encoding="utf-8"))
    return [s["id"] for s in recipe["steps"]]


def _mark(status: StepStatus, *step_ids: str) -> None:
    """What the Build stage records when a demo step ends (the same state file and class)."""
    state = BuildState.open(BuildPaths.default(demo=True), demo_workspace())
    for step_id in step_ids:
        state.update(step_id, status=status, exit_code=0 if status is StepStatus.DONE else 1)


def _missing_warnings(validation) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.message for f in validation.findings if "does not exist" in f.message]


def test_every_recorded_output_belongs_to_a_guide_step_and_covers_what_the_demo_shows() -> None:
    after = load_after_build(recorded_demo_workspace())
    steps = set(_guide_step_ids())
    assert recorded_demo_workspace() == RECORDED_WS
    assert after.files and after.commands
    for entry in (*after.files, *after.commands):
        assert entry.step in steps, entry
    paths = {f.path for f in after.files}
    # the four artifacts the host checks look for, and the checkout's VERSION
    assert set(artifact_paths(RECORDED_WS).values()) <= paths
    assert str(RECORDED_WS / "kata-containers/VERSION") in paths
    assert all("{workspace}" not in p for p in paths)


def test_build_outputs_appear_only_once_their_steps_are_done(tmp_path: Path) -> None:
    host = open_host(HostSource("demo"))
    kernel = "/usr/share/kata-containers/vmlinuz-snp.container"
    version = str(RECORDED_WS / "kata-containers/VERSION")
    assert not host.exists(kernel) and host.read(version).absent
    assert not host.command("kata-runtime").found
    report = run_checks(host, workspace=RECORDED_WS)
    assert report.by_id("kata.kernel").status is Status.INFO

    # a failed or cancelled step made nothing
    _mark(StepStatus.FAILED, "kernel-install")
    _mark(StepStatus.CANCELLED, "runtime-install")
    assert not host.exists(kernel) and not host.command("kata-runtime").found

    _mark(StepStatus.DONE, "kernel-install", "kata-checkout", "runtime-install")
    assert host.exists(kernel) and host.exists("/usr/share/kata-containers")
    assert host.read(kernel).error == NOT_RECORDED  # only that it exists was recorded, never invented bytes
    assert host.read(version).text == "3.2.0\n"
    result = host.command("kata-runtime")
    assert result.ok and "kata-runtime  : 3.2.0" in result.text
    report = run_checks(host, workspace=RECORDED_WS)
    assert report.by_id("kata.kernel").status is Status.PASS
    assert report.by_id("kata.runtime").status is Status.PASS and "3.2.0" in report.by_id("kata.runtime").summary
    assert report.by_id("profile.tree").status is Status.PASS
    assert report.by_id("kata.qemu").status is Status.INFO  # qemu-make has not run
    # forgetting the build (the Build stage's reset) takes them away again
    BuildState.open(BuildPaths.default(demo=True), demo_workspace()).forget_all()
    assert not host.exists(kernel)
    assert demo_state_file().exists()


def test_after_the_whole_demo_build_every_check_passes_and_the_proposed_file_is_valid() -> None:
    host = open_host(HostSource("demo"))
    targets = resolve_targets("demo", host_exists=host.exists)
    before = targets.kata.validate(_proposed(targets))
    assert len(_missing_warnings(before)) == 4, before.findings
    _mark(StepStatus.DONE, *_guide_step_ids())
    report = run_checks(host, workspace=RECORDED_WS)
    assert report.ready
    not_passed = [(c.id, c.status.value, c.summary) for c in report.checks if c.status is not Status.PASS]
    assert not_passed == [], not_passed
    after = targets.kata.validate(_proposed(targets))
    assert _missing_warnings(after) == [], after.findings


def _proposed(targets) -> str:  # type: ignore[no-untyped-def]
    from kata_snp_tui.config.editor import EditorModel
    from kata_snp_tui.config.loader import load_file

    return EditorModel(targets.kata, load_file(targets.kata.path)).proposed


def test_the_command_line_follows_a_real_demo_build(tmp_path: Path) -> None:
    env = cli_env()
    cli = [sys.executable, "-m", "kata_snp_tui"]
    steps = ["kata-source", "kata-checkout", "kernel-setup", "kernel-build", "kernel-install"]
    built = subprocess.run([*cli, "build", "--demo", "--yes", "--only", *steps], env=env, capture_output=True,
                           text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    check = subprocess.run([*cli, "check", "--demo", "--json"], env=env, capture_output=True, text=True,
                           timeout=60)
    import json

    by_id = {c["id"]: c for c in json.loads(check.stdout)["checks"]}
    assert by_id["kata.kernel"]["status"] == "pass"
    assert by_id["kata.qemu"]["status"] == "info"
    diff = subprocess.run([*cli, "config", "diff", "--demo"], env=env, capture_output=True, text=True, timeout=60)
    warnings = [line for line in (diff.stdout + diff.stderr).splitlines() if "does not exist" in line]
    assert not any("vmlinuz-snp.container" in w for w in warnings), warnings
    assert any("qemu-system-x86_64" in w for w in warnings), warnings


async def test_configure_validates_again_when_the_user_comes_back_from_the_build() -> None:
    app = make_app(HostSource("demo"), host=open_host(HostSource("demo")), clock=frozen_clock,
                   run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until_ready(pilot)
        editor = app.screen
        assert len(_missing_warnings(editor.analysis.validation)) == 4
        await pilot.press("f4")
        await pilot.pause()
        _mark(StepStatus.DONE, *_guide_step_ids())
        await pilot.press("f5")
        await pilot.pause()
        await pilot.pause()
        assert app.screen is editor
        assert _missing_warnings(editor.analysis.validation) == []
        assert "valid" in str(app.screen.query_one("#config-findings").border_title)
