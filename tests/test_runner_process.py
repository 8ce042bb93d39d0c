"""The runner with real processes: streaming, exit codes, cancel, process groups, state and resume."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from build_helpers import (
    alive,
    body_lines,
    kill_marked,
    make_runner,
    processes_with_marker,
    step,
    wait_until,
    write_script,
)
from kata_snp_tui.build_state import BuildPaths, BuildState, StepStatus
from kata_snp_tui.recipe import Step
from kata_snp_tui.runner import OutputQueue, Runner, RunnerBusy


@pytest.fixture
def marker():
    m = f"kstmark{uuid.uuid4().hex[:10]}"
    yield m
    kill_marked(m)


def test_every_line_reaches_the_log_in_order_and_output_comes_in_chunks(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    n = 200_000
    s = step("many-lines", tmp_path, argv=[sys.executable, "-c",
              f"import sys\nw=sys.stdout.write\nfor i in range({n}): w('%06d line of output\\n' % i)\nsys.stderr.write('the end on stderr\\n')"])
    chunks: list[str] = []
    outcome = runner.run_step(s, on_output=chunks.append)
    assert outcome.status is StepStatus.DONE and outcome.exit_code == 0
    lines = body_lines(outcome.log_path)
    assert len(lines) == n + 1
    assert lines[:n] == [f"{i:06d} line of output" for i in range(n)]
    assert lines[-1] == "the end on stderr"  # stderr merged into the same stream
    streamed = "".join(chunks).splitlines()
    assert streamed == lines  # the callback saw exactly the same output
    assert len(chunks) < n / 50  # batched (64 KiB / 50 ms), never one call per line
    assert oct(outcome.log_path.stat().st_mode & 0o777) == "0o600"
    assert outcome.tail[-1] == "the end on stderr"


def test_output_is_delivered_while_the_step_runs(tmp_path: Path) -> None:
    """A slow producer's lines arrive before it exits (sh's 64 KiB callback buffer would hold them)."""
    runner = make_runner(tmp_path)
    flag = tmp_path / "go-on"
    s = step("slow", tmp_path, shell=f"echo first; while [ ! -e {flag} ]; do sleep 0.05; done; echo second")
    seen: list[str] = []
    got_first = threading.Event()

    def on_output(chunk: str) -> None:
        seen.append(chunk)
        if "first" in "".join(seen):
            got_first.set()

    t = threading.Thread(target=lambda: runner.run_step(s, on_output=on_output))
    t.start()
    try:
        assert got_first.wait(10), "the first line did not arrive while the step was running"
        assert "second" not in "".join(seen)
    finally:
        flag.write_text("")
        t.join(15)
    assert "".join(seen).split() == ["first", "second"]


@pytest.mark.parametrize("code", [1, 2, 42, 255])
def test_exit_codes_are_recorded(tmp_path: Path, code: int) -> None:
    runner = make_runner(tmp_path)
    outcome = runner.run_step(step("fails", tmp_path, shell=f"echo before; exit {code}"))
    assert outcome.status is StepStatus.FAILED and outcome.exit_code == code
    assert outcome.message == f"exit status {code}"
    rec = runner.state.get("fails")
    assert rec.status is StepStatus.FAILED and rec.exit_code == code and rec.duration is not None
    assert rec.started_at and rec.log == str(outcome.log_path)
    # persisted: a new state object reads the same thing
    again = BuildState(path=runner.state.path, workspace=runner.state.workspace)
    again.load()
    assert again.get("fails").exit_code == code
    assert oct(runner.state.path.stat().st_mode & 0o777) == "0o600"


def test_missing_program_and_missing_folder_fail_cleanly(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    o = runner.run_step(step("nope", tmp_path, argv=["no-such-program-kst", "x"]))
    assert o.status is StepStatus.FAILED and o.exit_code == 127 and "command not found" in o.message
    o = runner.run_step(step("nodir", tmp_path / "missing", argv=["true"]))
    assert o.status is StepStatus.FAILED and "does not exist" in o.message
    assert "does not exist" in o.log_path.read_text()


def test_relative_program_runs_from_the_step_folder(tmp_path: Path) -> None:
    work = tmp_path / "w"
    write_script(work / "tool.sh", 'echo "ran in $PWD with $1"')
    runner = make_runner(tmp_path)
    o = runner.run_step(step("rel", work, argv=["./tool.sh", "arg"]))
    assert o.status is StepStatus.DONE
    assert body_lines(o.log_path) == [f"ran in {work} with arg"]


def test_cancel_ends_the_whole_tree(tmp_path: Path, marker: str) -> None:
    """Children, a double-forked child still in the group, and a child in its own session: all gone."""
    runner = make_runner(tmp_path, grace=3.0)
    nap = f"{sys.executable} -c 'import sys, time; time.sleep(float(sys.argv[1]))'"
    script = write_script(tmp_path / "forker.sh", f"""
        {nap} 301 {marker} &
        ( {nap} 302 {marker} & )
        setsid {nap} 303 {marker} &
        bash -c 'sleep 304; echo late' {marker} &
        echo ready
        wait
    """)
    s = step("forks", tmp_path, argv=[str(script)])
    result: dict = {}
    t = threading.Thread(target=lambda: result.setdefault("o", runner.run_step(s, on_output=lambda c: result.setdefault("ready", "ready" in c))))
    t.start()
    assert wait_until(lambda: len(processes_with_marker(marker)) >= 4 and runner.state.status("forks") is StepStatus.RUNNING)
    pid = runner.state.get("forks").pid
    assert pid is not None
    tree = processes_with_marker(marker) + [pid]
    time.sleep(0.6)  # one scan of the process tree
    runner.cancel()
    t.join(20)
    assert not t.is_alive()
    outcome = result["o"]
    assert outcome.status is StepStatus.CANCELLED
    assert alive(tree) == [], f"left behind: {alive(tree)}"
    assert processes_with_marker(marker) == []
    assert runner.state.get("forks").status is StepStatus.CANCELLED


def test_a_step_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path, marker: str) -> None:
    runner = make_runner(tmp_path, grace=0.5)
    script = write_script(tmp_path / "stubborn.sh", f"""
        trap '' TERM
        echo ready
        while :; do sleep 0.1; done
    """)
    done: dict = {}
    t = threading.Thread(target=lambda: done.setdefault("o", runner.run_step(step("stubborn", tmp_path, argv=[str(script), marker]))))
    t.start()
    assert wait_until(lambda: runner.state.status("stubborn") is StepStatus.RUNNING)
    time.sleep(0.3)
    runner.cancel()
    t.join(20)
    o = done["o"]
    assert o.status is StepStatus.CANCELLED
    assert o.exit_code == -signal.SIGKILL  # SIGTERM was ignored, SIGKILL ended it
    assert "SIGKILL" in o.message
    assert wait_until(lambda: processes_with_marker(marker) == [], timeout=5)


def test_special_characters_reach_argv_literally_and_shell_steps_get_them_quoted(tmp_path: Path) -> None:
    from kata_snp_tui.recipe import parse_recipe

    weird = tmp_path / "a b 'q' \"dq\" ;$(touch PWNED1) `touch PWNED2` $HOME"
    weird.mkdir()
    dump = write_script(tmp_path / "argdump.py", "import json, sys\nprint(json.dumps(sys.argv[1:]))\n", interpreter=sys.executable)
    recipe = parse_recipe(f"""
[variables]
target = "{{workspace}}/x;y"

[[steps]]
id = "argv-step"
title = "argv"
cwd = "{{workspace}}"
argv = ["{dump}", "{{workspace}}", "{{target}}"]

[[steps]]
id = "shell-step"
title = "shell"
cwd = "{{workspace}}"
shell = "printf '%s\\\\n' {{workspace}} {{target}}; cd {{workspace}} && pwd"
""")
    steps = recipe.resolve(weird)
    runner = make_runner(tmp_path, workspace=weird)
    o = runner.run_step(steps[0])
    assert o.status is StepStatus.DONE
    assert json.loads(body_lines(o.log_path)[0]) == [str(weird), f"{weird}/x;y"]
    o = runner.run_step(steps[1])
    assert o.status is StepStatus.DONE, o.log_path.read_text()
    assert body_lines(o.log_path) == [str(weird), f"{weird}/x;y", str(weird)]
    for name in ("PWNED1", "PWNED2"):
        assert not list(tmp_path.rglob(name)) and not Path(name).exists()


def test_creates_marks_a_step_done_and_force_reruns(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    artifact = tmp_path / "out.bin"
    s = step("make-it", tmp_path, shell=f"echo built; touch {artifact}", creates=(str(artifact),))
    assert runner.decide(s) is None
    artifact.write_text("already here")
    assert runner.decide(s, record=False) is not None
    assert runner.state.status("make-it") is StepStatus.PENDING  # a dry run records nothing
    assert "already there" in runner.decide(s)
    assert runner.state.status("make-it") is StepStatus.DONE
    events: list[str] = []
    runner.run_steps([s], on_event=lambda e: events.append(e.kind))
    assert events == ["skip"]
    events.clear()
    runner.run_steps([s], force=True, on_event=lambda e: events.append(e.kind))
    assert events == ["start", "end"]


def test_run_steps_stops_at_the_first_failure_and_resumes_after_restart(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    runner = make_runner(tmp_path, workspace=ws)
    marker_file = tmp_path / "fixed"
    steps = [
        step("one", ws, shell="echo one"),
        step("two", ws, shell=f"test -e {marker_file} || {{ echo broken; exit 3; }}", needs=("one",)),
        step("three", ws, shell="echo three", needs=("two",)),
    ]
    result = runner.run_steps(steps)
    assert result.stopped is not None and result.stopped.step_id == "two" and result.stopped.exit_code == 3
    assert [runner.state.status(s.id) for s in steps] == [StepStatus.DONE, StepStatus.FAILED, StepStatus.PENDING]

    # "restart": a new runner on the same state folder resumes where it stopped
    marker_file.write_text("")
    fresh = make_runner(tmp_path, workspace=ws)
    kinds: list[tuple[str, str]] = []
    result = fresh.run_steps(steps, on_event=lambda e: kinds.append((e.kind, e.step.id)))
    assert result.ok
    assert kinds == [("skip", "one"), ("start", "two"), ("end", "two"), ("start", "three"), ("end", "three")]


def test_unmet_needs_block_and_skip_counts_as_finished(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    a = step("a", tmp_path, shell="exit 1")
    b = step("b", tmp_path, shell="echo b", needs=("a",))
    result = runner.run_steps([b])
    assert result.blocked is not None and "needs a" in result.blocked.message
    runner.skip("a")
    assert runner.state.status("a") is StepStatus.SKIPPED
    assert runner.run_steps([a, b]).ok  # a is skipped, b runs
    runner.reset("a")
    assert runner.state.status("a") is StepStatus.PENDING


RUNNER_CHILD = r'''
import sys, time
from pathlib import Path
from kata_snp_tui.build_state import BuildPaths, BuildState
from kata_snp_tui.recipe import Step
from kata_snp_tui.runner import Runner
root, ws, marker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
paths = BuildPaths(root=root / "build", logs=root / "logs").ensure()
runner = Runner(BuildState.open(paths, ws), paths)
runner.run_step(Step(id="long", title="long", cwd=ws, shell=f"echo started; bash -c 'sleep 300' {marker}; echo never"))
'''


def test_a_step_left_running_by_a_dead_wizard_becomes_interrupted(tmp_path: Path, marker: str) -> None:
    """The wizard is killed (SIGKILL) mid-step: the next start marks the step cancelled and ends its leftovers."""
    root, ws = tmp_path / "state", tmp_path / "ws"
    ws.mkdir()
    child = subprocess.Popen([sys.executable, "-c", RUNNER_CHILD, str(root), str(ws), marker])
    paths = BuildPaths(root=root / "build", logs=root / "logs")
    state_file = paths.state_file(ws)

    def running() -> bool:
        try:
            return json.loads(state_file.read_text())["steps"]["long"]["status"] == "running" and bool(processes_with_marker(marker))
        except (OSError, ValueError, KeyError):
            return False

    try:
        assert wait_until(running)
        child.kill()  # the wizard dies; the step's own session survives it
        child.wait(10)
        assert processes_with_marker(marker), "the step should outlive its runner"
        runner = Runner(BuildState.open(paths.ensure(), ws), paths)
        assert runner.interrupted == ["long"]
        rec = runner.state.get("long")
        assert rec.status is StepStatus.CANCELLED and "interrupted" in rec.message
        assert wait_until(lambda: processes_with_marker(marker) == [], timeout=10)
    finally:
        if child.poll() is None:
            child.kill()


def test_a_second_runner_on_the_same_workspace_is_refused(tmp_path: Path) -> None:
    first = make_runner(tmp_path)
    second = Runner(BuildState.open(first.paths, first.state.workspace), first.paths)
    flag = tmp_path / "release"
    t = threading.Thread(target=lambda: first.run_step(step("hold", tmp_path, shell=f"while [ ! -e {flag} ]; do sleep 0.05; done")))
    t.start()
    try:
        assert wait_until(lambda: first.running_step_id == "hold" and first.state.status("hold") is StepStatus.RUNNING)
        with pytest.raises(RunnerBusy):
            second.run_step(step("other", tmp_path, argv=["true"]))
    finally:
        flag.write_text("")
        t.join(10)


def test_output_queue_gives_complete_lines_and_handles_carriage_returns() -> None:
    q = OutputQueue()
    q.put("one\ntw")
    assert q.drain() == ["one"]
    q.put("o\n10%\r50%\r100%\nlast")
    assert q.drain() == ["two", "100%"]
    assert q.drain(final=True) == ["last"]
    assert q.drain() == []


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    chunks: list[str] = []
    o = runner.run_step(step("bytes", tmp_path, argv=[sys.executable, "-c",
                        "import sys; sys.stdout.buffer.write(b'ok \\xff\\xfe bad\\n\\xc3\\xa9t\\xc3\\xa9\\n')"]),
                        on_output=chunks.append)
    assert o.status is StepStatus.DONE
    text = "".join(chunks)
    assert "ok \ufffd\ufffd bad" in text and "été" in text
    assert b"\xff\xfe" in o.log_path.read_bytes()  # the file keeps the raw bytes


def test_state_files_and_logs_are_private(tmp_path: Path) -> None:
    runner = make_runner(tmp_path)
    runner.run_step(step("p", tmp_path, argv=["true"]))
    for folder in (runner.paths.root, runner.paths.logs):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(runner.paths.log_file("p").stat().st_mode) == 0o600


def test_default_paths_are_under_the_state_dir_and_the_demo_is_separate() -> None:
    from kata_snp_tui import paths

    real, demo = BuildPaths.default(), BuildPaths.default(demo=True)
    base = paths.state_dir()
    assert real.logs == base / "logs"
    assert demo.logs == base / "demo" / "logs" and demo.root == base / "demo" / "build"
    assert demo.state_file(Path("/anything")) == demo.state_file(Path("/else"))
    assert real.state_file(Path("/a")) != real.state_file(Path("/b"))


def test_a_step_is_a_checked_value() -> None:
    from kata_snp_tui.recipe import RecipeError

    with pytest.raises(RecipeError):
        Step(id="x", title="x", cwd=Path("/"))
    with pytest.raises(RecipeError):
        Step(id="x", title="x", cwd=Path("/"), argv=("a",), shell="b")
    with pytest.raises(RecipeError):
        Step(id="Bad Id", title="x", cwd=Path("/"), argv=("a",))
    assert os.getpid()  # keep the import used


def test_cancel_also_ends_a_process_that_daemonized(tmp_path: Path, marker: str) -> None:
    """Double fork + setsid at once: out of the group and the tree before any scan; its environment
    still carries the step's token, so cancel finds it."""
    runner = make_runner(tmp_path, grace=1.0)
    s = step("daemon", tmp_path, shell=f"( setsid bash -c 'sleep 303; :' {marker} & ); echo started; sleep 300")
    done: dict = {}
    t = threading.Thread(target=lambda: done.setdefault("o", runner.run_step(s)))
    t.start()
    try:
        assert wait_until(lambda: bool(processes_with_marker(marker)) and runner.state.status("daemon") is StepStatus.RUNNING)
        daemon = processes_with_marker(marker)
        from kata_snp_tui.runner import STEP_TOKEN_ENV
        import psutil

        assert psutil.Process(daemon[0]).environ().get(STEP_TOKEN_ENV) == runner.state.get("daemon").token
        runner.cancel()
        t.join(30)
        assert done["o"].status is StepStatus.CANCELLED
        assert wait_until(lambda: processes_with_marker(marker) == [], timeout=5)
        assert runner.state.get("daemon").token is None  # not kept once the step is over
    finally:
        runner.cancel(force=True)
        t.join(30)


DAEMON_RUNNER_CHILD = RUNNER_CHILD.replace(
    "shell=f\"echo started; bash -c 'sleep 300' {marker}; echo never\"",
    "shell=f\"( setsid bash -c 'sleep 305; :' {marker} & ); echo started; sleep 300\"",
)


def test_recovery_also_ends_a_daemon_left_by_a_dead_wizard(tmp_path: Path, marker: str) -> None:
    assert DAEMON_RUNNER_CHILD != RUNNER_CHILD
    root, ws = tmp_path / "state", tmp_path / "ws"
    ws.mkdir()
    child = subprocess.Popen([sys.executable, "-c", DAEMON_RUNNER_CHILD, str(root), str(ws), marker])
    paths = BuildPaths(root=root / "build", logs=root / "logs")
    try:
        assert wait_until(lambda: bool(processes_with_marker(marker)) and '"running"' in _read(paths.state_file(ws)))
        child.kill()
        child.wait(10)
        runner = Runner(BuildState.open(paths.ensure(), ws), paths)
        assert runner.interrupted == ["long"]
        assert wait_until(lambda: processes_with_marker(marker) == [], timeout=10)
    finally:
        if child.poll() is None:
            child.kill()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
