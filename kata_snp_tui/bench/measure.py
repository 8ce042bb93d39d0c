"""How figures are taken: RSS sampling, event-loop stalls, timed processes, workers, and line checks."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
GEN_LINES = HERE / "gen_lines.py"
PLAIN_COPY = HERE / "plain_copy.py"
#: How often RSS is sampled and the event loop's timer fires.
SAMPLE_INTERVAL = 0.01
MIB = 1024 * 1024


def ru_maxrss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    return resource.getrusage(who).ru_maxrss * 1024  # Linux reports KiB


class RssSampler(threading.Thread):
    """Samples the resident set size of one process every 10 ms until stopped.

    ``base`` is the first sample taken once ``started()`` says the work has begun (by default at
    once); ``peak`` the largest sample. Growth = peak - base.
    """

    def __init__(self, pid: int | None = None, started: Callable[[], bool] | None = None) -> None:
        super().__init__(name="bench-rss", daemon=True)
        self.proc = psutil.Process(pid if pid is not None else os.getpid())
        self.started_cb = started
        self.base: int | None = None
        self.peak = 0
        self.last = 0
        self.samples = 0
        self._halt = threading.Event()

    def sample(self) -> None:
        try:
            rss = self.proc.memory_info().rss
        except psutil.Error:
            return
        self.samples += 1
        self.last = rss
        if self.base is None and (self.started_cb is None or self.started_cb()):
            self.base = rss
        if self.base is not None:
            self.peak = max(self.peak, rss)

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(SAMPLE_INTERVAL)

    def stop(self) -> None:
        self._halt.set()
        self.join(2.0)

    def growth(self) -> int | None:
        if self.base is None:
            return None
        return max(0, self.peak - self.base)


class StallMonitor:
    """An asyncio task that sleeps 10 ms at a time and records how late each wake-up was."""

    def __init__(self, interval: float = SAMPLE_INTERVAL) -> None:
        self.interval = interval
        self.lateness: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        clock = time.perf_counter
        while not self._stop.is_set():
            t = clock()
            await asyncio.sleep(self.interval)
            self.lateness.append(max(0.0, clock() - t - self.interval))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    @property
    def max_ms(self) -> float:
        return max(self.lateness, default=0.0) * 1000

    def percentile_ms(self, pct: float) -> float:
        if not self.lateness:
            return 0.0
        ordered = sorted(self.lateness)
        return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000

    def over_ms(self, limit_ms: float) -> int:
        return sum(1 for late in self.lateness if late * 1000 > limit_ms)


async def wait_until(cond: Callable[[], bool], timeout: float, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s")
        await asyncio.sleep(poll)


# ------------------------------------------------------------------------------ processes


@dataclass
class ProcessRun:
    """One timed process: wall time from spawn to exit (reaped at once), RSS growth while it worked."""

    argv: list[str]
    returncode: int
    wall: float
    rss_base: int | None
    rss_peak: int
    #: ru_maxrss of the process as reaped (Linux includes its own waited-for children).
    rss_maxrss: int
    stderr: str = ""

    @property
    def rss_growth(self) -> int | None:
        return None if self.rss_base is None else max(0, self.rss_peak - self.rss_base)


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    started: Callable[[], bool] | None = None,
    timeout: float = 900.0,
    stdout: Any = subprocess.DEVNULL,
) -> ProcessRun:
    """Run ``argv`` to its end; the calling thread blocks in wait4 so the exit time is exact while
    a sampler thread polls the child's RSS every 10 ms (``started`` says when the work began)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=dict(env) if env is not None else None, cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=err)
        sampler = RssSampler(proc.pid, started)
        sampler.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    base = sampler.base
    if base is None and sampler.samples:
        base = sampler.last  # it finished before the sampler saw it start: no growth to speak of
    return ProcessRun(list(argv), proc.returncode, wall, base, max(sampler.peak, base or 0),
                      usage.ru_maxrss * 1024, stderr[-4000:])


def python_argv() -> list[str]:
    return [sys.executable]


def cli_argv() -> list[str]:
    """How a user starts the command: the installed console script beside this Python, else -m."""
    script = Path(sys.executable).with_name("kata-snp-tui")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "kata_snp_tui"]


def run_worker(module: str, params: dict[str, Any], env: Mapping[str, str], timeout: float = 900.0) -> tuple[dict[str, Any], ProcessRun]:
    """Run ``python -m kata_snp_tui.bench.<module>`` in a fresh process; it writes its result as JSON."""
    out = Path(params["dir"]) / f"{module}-result.json"
    argv = [sys.executable, "-m", f"kata_snp_tui.bench.{module}", json.dumps(params), str(out)]
    run = run_process(argv, env=env, timeout=timeout, stdout=subprocess.DEVNULL)
    if run.returncode != 0 or not out.exists():
        raise RuntimeError(f"worker {module} exited with {run.returncode}: {run.stderr.strip()[-1500:]}")
    return json.loads(out.read_text()), run


def worker_main(body: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """The entry of a worker module: ``python -m ... PARAMS_JSON OUT``."""
    params = json.loads(sys.argv[1])
    result = body(params)
    Path(sys.argv[2]).write_text(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------ output checks


@dataclass
class LineCheck:
    """What a step's log (or a copy) holds of the generator's lines ``0 .. n-1``, in order."""

    expected: int
    found: int = 0
    in_order: bool = True
    first_bad: str = ""
    runner_lines: int = 0

    @property
    def complete(self) -> bool:
        return self.found == self.expected and self.in_order

    def problem(self) -> str:
        if self.complete:
            return ""
        what = f"{self.found} of {self.expected} lines reached the log"
        if not self.in_order:
            what += f"; out of order at {self.first_bad!r}"
        return what


def check_lines(path: Path, expected: int) -> LineCheck:
    """Count the generator's lines in ``path`` (skipping the runner's ``### `` lines) and check that
    line i carries number i, so a lossy, duplicating or reordering path cannot pass."""
    check = LineCheck(expected)
    want = 0
    try:
        fh = open(path, "rb")
    except OSError as exc:
        check.in_order = False
        check.first_bad = f"cannot read {path}: {exc}"
        return check
    with fh:
        for line in fh:
            if line.startswith(b"### "):
                check.runner_lines += 1
                continue
            if check.in_order:
                try:
                    ok = int(line[:9]) == want and line[9:10] == b" " and line.endswith(b"\n")
                except ValueError:
                    ok = False
                if not ok:
                    check.in_order = False
                    check.first_bad = line[:40].decode("utf-8", "replace")
            want += 1
            check.found += 1
    return check


def expected_line(index: int, width: int) -> str:
    """Line ``index`` as :mod:`gen_lines` prints it (without the newline)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 -_=+./"
    width = max(11, width)
    filler = (alphabet * (width // len(alphabet) + 2))[: width - 10]
    return f"{index:09d} {filler}"


def write_stream_recipe(folder: Path, lines: int, width: int, step_id: str = "stream") -> Path:
    """A one-step recipe whose command prints ``lines`` lines of ``width`` characters."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(GEN_LINES), str(lines), str(width)]
    quoted = ", ".join(json.dumps(a) for a in argv)
    path = folder / "recipe.toml"
    path.write_text(
        "[variables]\n\n"
        "[[steps]]\n"
        f'id = "{step_id}"\n'
        f'title = "Print {lines} lines of {width} characters"\n'
        f"argv = [{quoted}]\n"
    )
    return path


def bench_env(state_home: Path, **extra: str) -> dict[str, str]:
    """This environment with a private state folder (never the user's) and no colour codes."""
    env = dict(os.environ)
    env["XDG_STATE_HOME"] = str(state_home)
    env["KATA_SNP_TUI_WORKSPACE"] = str(state_home / "workspace")
    env.pop("KATA_CONF_FILE", None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env
