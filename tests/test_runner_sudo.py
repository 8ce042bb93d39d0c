"""Steps marked sudo, not as root, with a stand-in sudo on PATH that reads the password from stdin."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import psutil

from build_helpers import PASSWORD, body_lines, install_standin_sudo, make_runner, standin_privilege, step, write_script
from kata_snp_tui.build_state import StepStatus
from kata_snp_tui.sudo import Privilege, PrivilegeMode

INSPECT = r'''
import json, os, sys
print("as-root-step argv=" + json.dumps(sys.argv[1:]), flush=True)
print("STANDIN_SUDO=" + os.environ.get("STANDIN_SUDO", ""), flush=True)
print("EXTRA=" + os.environ.get("EXTRA", ""), flush=True)
print("stdin-left=" + repr(sys.stdin.read()), flush=True)
'''


def _walk_for_password(password: str) -> list[str]:
    """Every process below this one: is the password in any argv or environment?"""
    found = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if any(password in part for part in child.cmdline()):
                found.append(f"argv of {child.pid}")
            if any(password in f"{k}={v}" for k, v in child.environ().items()):
                found.append(f"environ of {child.pid}")
        except psutil.Error:
            continue
    return found


def test_password_goes_to_stdin_only(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_standin_sudo(bin_dir)
    privilege = standin_privilege(bin_dir)
    assert privilege.mode() is PrivilegeMode.SUDO_PASSWORD
    assert privilege.needs_password([step("x", tmp_path, argv=["true"], sudo=True)])
    assert not privilege.check_password("wrong")
    assert privilege.check_password(PASSWORD)

    runner = make_runner(tmp_path, privilege=privilege)
    script = write_script(tmp_path / "inspect.py", INSPECT + "import time; time.sleep(0.5)\n", interpreter=sys.executable)
    s = step("as-root", tmp_path, argv=[str(script), "arg one"], sudo=True, env={"EXTRA": "yes"})
    leaks: list[str] = []

    def on_output(chunk: str) -> None:  # runs while the step (and sudo's child) is alive
        leaks.extend(_walk_for_password(PASSWORD))

    outcome = runner.run_step(s, on_output=on_output, password=PASSWORD)
    assert outcome.status is StepStatus.DONE, outcome.log_path.read_text()
    lines = body_lines(outcome.log_path)
    assert lines[0] == 'as-root-step argv=["arg one"]'
    assert "STANDIN_SUDO=1" in lines  # it really went through sudo
    assert "EXTRA=yes" in lines  # step env passed as VAR=value to sudo
    assert "stdin-left=''" in lines  # sudo consumed the password line; nothing else was on stdin
    assert leaks == []
    # never in the log, the state, or sudo's argv
    assert PASSWORD not in outcome.log_path.read_text()
    assert PASSWORD not in runner.state.path.read_text()
    calls = [json.loads(line) for line in (bin_dir / "sudo-calls.jsonl").read_text().splitlines()]
    assert all(PASSWORD not in " ".join(c) for c in calls)
    step_call = calls[-1]
    assert step_call[:3] == ["-S", "-p", ""] and "EXTRA=yes" in step_call


def test_wrong_password_fails_the_step_without_running_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_standin_sudo(bin_dir)
    runner = make_runner(tmp_path, privilege=standin_privilege(bin_dir))
    flag = tmp_path / "ran"
    outcome = runner.run_step(step("root", tmp_path, argv=["touch", str(flag)], sudo=True), password="not it")
    assert outcome.status is StepStatus.FAILED and outcome.exit_code == 1
    assert not flag.exists()
    assert "incorrect password" in outcome.log_path.read_text()
    assert "not it" not in outcome.log_path.read_text()


def test_no_password_given_means_nothing_runs(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_standin_sudo(bin_dir)
    runner = make_runner(tmp_path, privilege=standin_privilege(bin_dir))
    outcome = runner.run_step(step("root", tmp_path, argv=["true"], sudo=True))
    assert outcome.status is StepStatus.FAILED and outcome.needs_password
    assert outcome.exit_code is None
    calls = [json.loads(line) for line in (bin_dir / "sudo-calls.jsonl").read_text().splitlines()]
    assert calls == [["-n", "true"]]  # only the probe: the step itself never reached sudo


def test_passwordless_sudo_uses_dash_n_and_preserve_env(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    install_standin_sudo(bin_dir, nopasswd=True)
    privilege = standin_privilege(bin_dir)
    assert privilege.mode() is PrivilegeMode.SUDO_NOPASSWD
    assert not privilege.needs_password()
    runner = make_runner(tmp_path, privilege=privilege)
    s = step("root", tmp_path, argv=["sh", "-c", 'echo "PATH=$PATH"'], sudo=True, preserve_env=True, pass_env=("PATH",))
    outcome = runner.run_step(s)
    assert outcome.status is StepStatus.DONE
    call = json.loads((bin_dir / "sudo-calls.jsonl").read_text().splitlines()[-1])
    assert call[0] == "-n" and call[1] == "-E"
    assert call[2].startswith("PATH=")  # the guide's sudo -E PATH="${PATH}" ...
    assert call[3:] == ["sh", "-c", 'echo "PATH=$PATH"'] or call[3].endswith("/sh")


def test_root_runs_without_sudo_and_no_sudo_is_a_clear_failure(tmp_path: Path) -> None:
    root = Privilege(euid=lambda: 0, search_path=str(tmp_path / "empty"))
    assert root.mode() is PrivilegeMode.ROOT
    runner = make_runner(tmp_path, privilege=root)
    assert runner.run_step(step("r", tmp_path, argv=["true"], sudo=True)).status is StepStatus.DONE

    nobody = Privilege(euid=lambda: 1000, search_path=str(tmp_path / "empty"))
    assert nobody.mode() is PrivilegeMode.NO_SUDO
    runner = make_runner(tmp_path / "two", privilege=nobody)
    o = runner.run_step(step("r", tmp_path, argv=["true"], sudo=True))
    assert o.status is StepStatus.FAILED and "needs root" in o.message
