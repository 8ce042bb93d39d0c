"""`kata-snp-tui build` as a user runs it: a real subprocess, real steps, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from build_helpers import alive, kill_marked, processes_with_marker, wait_until

CLI = [sys.executable, "-m", "kata_snp_tui", "build"]


def run_cli(*args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def write_recipe(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def test_runs_steps_with_headers_and_streams_output(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path / "r.toml", '''
[[steps]]
id = "hello"
title = "Say hello"
argv = ["sh", "-c", "echo hello from the step; echo to stderr >&2"]

[[steps]]
id = "count"
title = "Count"
shell = "seq 1 5"
needs = ["hello"]
''')
    ws = tmp_path / "ws"
    proc = run_cli("--recipe", str(recipe), "--yes", "--workspace", str(ws))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "==> [1/2] hello: Say hello" in out and "==> [2/2] count: Count" in out
    assert "hello from the step\nto stderr\n" in out
    assert "1\n2\n3\n4\n5\n" in out
    assert "<== count: done (exit status 0" in out
    assert ws.is_dir()
    # again: nothing to do; --force reruns
    again = run_cli("--recipe", str(recipe), "--yes", "--workspace", str(ws))
    assert again.returncode == 0 and "Nothing to do" in again.stdout
    forced = run_cli("--recipe", str(recipe), "--yes", "--workspace", str(ws), "--force", "--only", "count")
    assert forced.returncode == 0 and "==> [1/1] count" in forced.stdout
    listing = run_cli("--recipe", str(recipe), "--workspace", str(ws), "--list")
    assert listing.returncode == 0 and "hello" in listing.stdout and "done" in listing.stdout


def test_stops_at_the_first_failure_naming_the_step_with_the_known_error(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path / "r.toml", '''
[[steps]]
id = "first"
title = "First"
argv = ["true"]

[[steps]]
id = "qemu-clone"
title = "Clone QEMU"
shell = "echo sourcing lib.sh; echo 'ERROR: yq command is not in your $PATH' >&2; exit 1"

[[steps]]
id = "never"
title = "Never runs"
shell = "echo SHOULD-NOT-RUN"
''')
    proc = run_cli("--recipe", str(recipe), "--yes", "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 1
    assert "SHOULD-NOT-RUN" not in proc.stdout
    err = proc.stderr
    assert "step 'qemu-clone' failed with exit status 1" in err
    assert "Known error: yq is missing, or it is the wrong yq" in err
    assert "Cause:" in err and "$ go install github.com/mikefarah/yq/v3@latest" in err
    log = Path(err.split("(log: ")[1].split(")")[0])
    assert "yq command is not in your $PATH" in log.read_text()


def test_refuses_without_confirmation_when_there_is_no_terminal(tmp_path: Path) -> None:
    proc = run_cli("--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("kata-snp-tui: refusing to run build steps without confirmation: "
                                   "pass --yes (there is no terminal to ask on)")
    assert not (tmp_path / "ws").exists()


def test_unknown_only_and_unmet_needs_exit_2(tmp_path: Path) -> None:
    proc = run_cli("--only", "no-such-step", "--yes", "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 2 and "no step named 'no-such-step'" in proc.stderr
    proc = run_cli("--profile", "guide-3.2", "--only", "qemu-make", "--yes", "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 2 and "step 'qemu-make' needs 'qemu-configure', which is pending" in proc.stderr


def test_ctrl_c_ends_the_running_step_and_its_children(tmp_path: Path) -> None:
    marker = f"kstcli{uuid.uuid4().hex[:10]}"
    recipe = write_recipe(tmp_path / "r.toml", f'''
[[steps]]
id = "long"
title = "Long"
shell = "bash -c 'sleep 300; :' {marker} & ( bash -c 'sleep 301; :' {marker} & ) ; echo ready; wait"

[[steps]]
id = "after"
title = "After"
shell = "echo SHOULD-NOT-RUN"
''')
    proc = subprocess.Popen([*CLI, "--recipe", str(recipe), "--yes", "--workspace", str(tmp_path / "ws")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert wait_until(lambda: len(processes_with_marker(marker)) >= 2, timeout=20)
        tree = processes_with_marker(marker)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "SHOULD-NOT-RUN" not in out
        assert "step 'long' cancelled" in err
        assert alive(tree) == [] and processes_with_marker(marker) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_marked(marker)


def test_demo_replays_recordings_fails_on_injected_fault_and_resumes(tmp_path: Path) -> None:
    """The demo with a fault injected at qemu-configure stops there with the known error's fix; run
    again without the fault it resumes at that step and finishes, all with the real runner."""
    env = dict(os.environ, KATA_SNP_TUI_DEMO_SPEED="60", KATA_SNP_TUI_DEMO_FAIL="qemu-configure")
    failed = run_cli("--demo", "--yes", timeout=120, env=env)
    assert failed.returncode == 1
    assert "step 'qemu-configure' failed with exit status 1" in failed.stderr
    assert "Known error: QEMU configure: virtfs needs libcap-ng and libattr" in failed.stderr
    assert "$ sudo apt-get install -y libcap-ng-dev libattr1-dev" in failed.stderr
    assert "==> [22/33] qemu-make" not in failed.stdout

    env.pop("KATA_SNP_TUI_DEMO_FAIL")
    proc = run_cli("--demo", "--yes", timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("Demo host: every step replays a recorded log")
    assert "--- [20/33] qemu-checkout: already done" in out and "==> [21/33] qemu-configure" in out
    assert "[demo] replaying a recorded log: qemu-make" in out
    assert "stands for: $ make -j \"$(nproc)\"" in out
    state_home = Path(os.environ["XDG_STATE_HOME"]) / "kata-snp-tui"
    logs = state_home / "demo" / "logs"
    assert (logs / "kernel-build.log").read_text().count("  CC      ") > 500
    assert "Kernel: arch/x86/boot/bzImage is ready" in (logs / "kernel-build.log").read_text()
    assert not Path(os.environ["KATA_SNP_TUI_WORKSPACE"]).exists()  # the user's workspace is untouched
    assert not (state_home / "logs").exists()  # and the real build's logs too
    state = json.loads((state_home / "demo" / "build" / "state-demo.json").read_text())
    assert len(state["steps"]) == 33 and {v["status"] for v in state["steps"].values()} == {"done"}


def test_demo_cannot_take_another_recipe(tmp_path: Path) -> None:
    proc = run_cli("--demo", "--recipe", str(tmp_path / "x.toml"), "--yes")
    assert proc.returncode == 2 and "--recipe cannot be combined with --demo" in proc.stderr


@pytest.mark.parametrize("args", [["--set", "novalue"], ["--set", "nope=1", "--dry-run"]])
def test_bad_set_is_exit_2(args: list[str], tmp_path: Path) -> None:
    proc = run_cli(*args, "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 2 and proc.stderr.startswith("kata-snp-tui: ")


def test_top_level_demo_flag_reaches_the_build_command() -> None:
    proc = subprocess.run([sys.executable, "-m", "kata_snp_tui", "--demo", "build", "--dry-run", "--only", "qemu-make"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Demo host:")
    assert "# stands for: make -j \"$(nproc)\"" in proc.stdout
    assert "-m kata_snp_tui.replay" in proc.stdout


def test_warns_when_a_step_checks_out_a_tree_newer_than_the_guide(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path / "r.toml", '''
[recipe.tree]
version_file = "{workspace}/kata-containers/VERSION"
matches = "3.2"
incompatible_from = "3.3.0"
warning = "build-kernel.sh rejects '-x snp' from 3.3.0 on"

[[steps]]
id = "kata-checkout"
title = "Check out"
shell = "mkdir -p kata-containers && echo 3.4.0 > kata-containers/VERSION"
''')
    proc = run_cli("--recipe", str(recipe), "--yes", "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 0, proc.stderr
    assert "warning: the checked-out tree is Kata 3.4.0, newer than the guide's 3.2.x" in proc.stderr
