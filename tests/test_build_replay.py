"""The demo's replay module and demo recipe: recordings, pace, labels, fault injection."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from kata_snp_tui.recipe import load_recipe
from kata_snp_tui.replay import demo_steps, recordings_dir, replay


def test_replay_writes_every_line_in_bursts_within_the_duration() -> None:
    out = io.StringIO()
    sleeps: list[float] = []
    lines = [f"line {i}" for i in range(1000)]
    replay(lines, 2.0, out=out, sleep=sleeps.append)
    assert out.getvalue().splitlines() == lines
    assert 10 <= len(sleeps) <= 60  # bursts (about every 40 ms), not one write per line


def test_replay_command_labels_the_output_and_ends_with_the_given_status(tmp_path: Path) -> None:
    rec = tmp_path / "x.log"
    rec.write_text("alpha\nbeta\n")
    proc = subprocess.run([sys.executable, "-m", "kata_snp_tui.replay", str(rec), "--duration", "0.05", "--exit", "3"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3
    assert proc.stdout.splitlines() == ["[demo] replaying a recorded log: x (2 lines); nothing is being built on this machine",
                                        "alpha", "beta"]
    assert "ends with exit status 3" in proc.stderr
    missing = subprocess.run([sys.executable, "-m", "kata_snp_tui.replay", str(tmp_path / "nope.log")],
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_every_step_of_the_recipe_has_a_realistic_recording() -> None:
    folder = recordings_dir()
    recipe = load_recipe()
    for step_id in recipe.ids:
        assert (folder / f"{step_id}.log").exists(), step_id
    heavy = {"runtime-build": "BUILD", "agent-build": "Compiling", "rootfs-build": "I: Extracting",
             "kernel-setup": "Merging", "kernel-build": "  CC      ", "ovmf-build": "Building ... ",
             "qemu-configure": "Checking for function", "qemu-make": "Compiling C object"}
    for step_id, marker in heavy.items():
        lines = (folder / f"{step_id}.log").read_text().splitlines()
        assert len(lines) >= 80, step_id
        assert len(set(lines)) > 0.8 * len(lines), f"{step_id}: mostly repeated lines"
        assert any(marker in line for line in lines), step_id


def test_demo_steps_keep_ids_titles_and_needs_and_stay_in_their_workspace(tmp_path: Path) -> None:
    real = load_recipe().resolve(Path("/home/me/ws"))
    demo = demo_steps(real, tmp_path / "demo-ws", speed=1.0)
    assert [(s.id, s.title, s.needs) for s in demo] == [(s.id, s.title, s.needs) for s in real]
    for d, r in zip(demo, real):
        assert not d.sudo and not d.creates and d.cwd == tmp_path / "demo-ws"
        assert d.argv[1:3] == ("-m", "kata_snp_tui.replay")
        assert d.stands_for == tuple(r.display_lines())  # the screen and the log show the guide's command
    total = sum(float(s.argv[s.argv.index("--duration") + 1]) for s in demo)
    assert total < 45  # demo-friendly: well under a minute in all
    failing = demo_steps(real, tmp_path / "w", fail="qemu-configure")
    step = next(s for s in failing if s.id == "qemu-configure")
    assert step.argv[3].endswith("qemu-configure.fail.log") and step.argv[-2:] == ("--exit", "1")
