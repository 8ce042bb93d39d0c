"""Helpers for the build-stage tests: small real scripts, a stand-in sudo, runners, process checks."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

from kata_snp_tui.build_state import BuildPaths, BuildState
from kata_snp_tui.recipe import Step
from kata_snp_tui.runner import Runner
from kata_snp_tui.sudo import Privilege

PASSWORD = "s3cret pa$$ word;`x`"
PY = sys.executable


def write_script(path: Path, body: str, interpreter: str = "/bin/bash") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{interpreter}\n" + textwrap.dedent(body).lstrip("\n"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def make_runner(tmp: Path, *, grace: float = 5.0, privilege: Privilege | None = None, workspace: Path | None = None) -> Runner:
    paths = BuildPaths(root=tmp / "state" / "build", logs=tmp / "state" / "logs").ensure()
    ws = workspace or tmp / "ws"
    ws.mkdir(parents=True, exist_ok=True)
    return Runner(BuildState.open(paths, ws), paths, grace=grace, privilege=privilege or Privilege(euid=lambda: 1000))


def step(step_id: str, cwd: Path, *, argv: Iterable[str] | None = None, shell: str | None = None, **kw) -> Step:
    return Step(id=step_id, title=step_id.replace("-", " ").capitalize(), cwd=cwd,
                argv=tuple(argv) if argv is not None else None, shell=shell, **kw)


def body_lines(log_path: Path) -> list[str]:
    """The step's own output lines from its log file (without the runner's ``### `` lines)."""
    return [line for line in log_path.read_text().splitlines() if not line.startswith("### ")]


# ------------------------------------------------------------------------ stand-in sudo

STANDIN_SUDO = r'''
import os, sys, json
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
with open(os.path.join(here, "sudo-calls.jsonl"), "a") as fh:
    fh.write(json.dumps(args) + "\n")
nopasswd = os.path.exists(os.path.join(here, "sudo-nopasswd"))
expected = open(os.path.join(here, "sudo-password")).read().rstrip("\n")
non_interactive = read_stdin = False
env_add = {}
i = 0
while i < len(args):
    a = args[i]
    if a == "-n": non_interactive = True
    elif a == "-S": read_stdin = True
    elif a in ("-E", "-k", "-v"): pass
    elif a == "-p": i += 1
    elif a == "--": i += 1; break
    elif "=" in a and not a.startswith("/") and not a.startswith("-"):
        k, v = a.split("=", 1); env_add[k] = v
    else: break
    i += 1
cmd = args[i:]
if not nopasswd:
    if non_interactive:
        print("sudo: a password is required", file=sys.stderr); sys.exit(1)
    if not read_stdin:
        print("sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper", file=sys.stderr); sys.exit(1)
    line = b""
    while not line.endswith(b"\n"):          # read exactly one line, leave the rest for the command
        ch = os.read(0, 1)
        if not ch: break
        line += ch
    if line.rstrip(b"\n").decode() != expected:
        print("Sorry, try again.", file=sys.stderr)
        print("sudo: 1 incorrect password attempt", file=sys.stderr); sys.exit(1)
env = dict(os.environ); env.update(env_add); env["STANDIN_SUDO"] = "1"
if not cmd: sys.exit(0)
os.execvpe(cmd[0], cmd, env)
'''


def install_standin_sudo(bin_dir: Path, password: str = PASSWORD, nopasswd: bool = False) -> Path:
    """A ``sudo`` on ``bin_dir`` that checks the password read from stdin (``-S``) and runs the command."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "sudo-password").write_text(password + "\n")
    if nopasswd:
        (bin_dir / "sudo-nopasswd").write_text("")
    return write_script(bin_dir / "sudo", STANDIN_SUDO, interpreter=PY)


def standin_privilege(bin_dir: Path) -> Privilege:
    """Not root, with the stand-in sudo first on the search path."""
    return Privilege(euid=lambda: 1000, search_path=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


# ------------------------------------------------------------------------ processes

def alive(pids: Iterable[int]) -> list[int]:
    """The pids that still run (zombies count as gone)."""
    left = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left.append(pid)
        except psutil.Error:
            continue
    return left


def descendants(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def processes_with_marker(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (finds orphans re-parented to init)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(marker in part for part in (proc.info["cmdline"] or [])):
                found.append(proc.info["pid"])
        except psutil.Error:
            continue
    return found


def wait_until(cond: Callable[[], bool], timeout: float = 15.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(interval)
    return cond()


def kill_marked(marker: str) -> None:
    """Clean-up after a failed test: end processes this test started (by their unique marker)."""
    for pid in processes_with_marker(marker):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def recipe_text(steps: str, variables: str = "") -> str:
    return f"[variables]\n{variables}\n\n{textwrap.dedent(steps)}"
