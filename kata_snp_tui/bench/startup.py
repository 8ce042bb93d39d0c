"""Section ``startup``: the wizard's first screen and the headless check command.

* ``startup.first-screen``: the wizard (demo host) against a minimal Textual app (Header + Label
  + Footer), each the first app of a fresh process, both under ``run_test(size=(120, 40))``:
  construction until the first screen is mounted (imports not included; they are the next row).
  Target: at most 1.5x.
* ``startup.process``: the same two, as whole processes (interpreter, imports, first screen, exit).
* ``startup.check-json-demo``: ``kata-snp-tui check --json --demo`` as a whole process (median wall
  time) beside ``python -c pass``. Target: under 0.3 s.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from kata_snp_tui.bench.measure import bench_env, cli_argv, python_argv, run_process, run_worker
from kata_snp_tui.bench.model import Row, error_row, make_row, ratio_at_most, value_below

SECTION = "startup"


def run(quick: bool, repeat: int, progress: Callable[[str], None]) -> list[Row]:
    rows: list[Row] = []
    samples = repeat if quick else max(repeat, 5)
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-startup-") as tmp:
        root = Path(tmp)
        env = bench_env(root / "state")
        rows.extend(_apps(root, env, samples, progress))
        rows.append(_check_command(env, max(samples, 3) if quick else max(samples, 10), progress))
    return rows


def _apps(root: Path, env: dict[str, str], samples: int, progress: Callable[[str], None]) -> list[Row]:
    results: dict[str, list[dict]] = {"wizard": [], "minimal": []}
    walls: dict[str, list[float]] = {"wizard": [], "minimal": []}
    try:
        for n in range(samples):
            progress(f"startup: first screen, run {n + 1}/{samples}")
            for kind in ("minimal", "wizard"):
                result, run = run_worker("startup_app", {"app": kind, "dir": str(root)}, env, timeout=120)
                results[kind].append(result)
                walls[kind].append(run.wall)
    except Exception as exc:  # noqa: BLE001
        return [error_row(SECTION, f"{SECTION}.first-screen", "first screen", f"{type(exc).__name__}: {exc}")]
    wizard, minimal = results["wizard"], results["minimal"]
    screens = sorted({r["screen"] for r in wizard})
    return [
        make_row(
            SECTION, f"{SECTION}.first-screen", "welcome, 120x40", "s",
            [r["first_screen"] for r in wizard], [r["first_screen"] for r in minimal], "minimal app",
            target=ratio_at_most(1.5),
            extra={"wizard_screen": screens, "wizard_imports_s": [r["imports"] for r in wizard],
                   "minimal_imports_s": [r["imports"] for r in minimal]},
        ),
        make_row(
            SECTION, f"{SECTION}.imports", "app modules", "s",
            [r["imports"] for r in wizard], [r["imports"] for r in minimal], "textual only",
        ),
        make_row(
            SECTION, f"{SECTION}.process", "start to exit", "s",
            walls["wizard"], walls["minimal"], "minimal app",
        ),
    ]


def _check_command(env: dict[str, str], samples: int, progress: Callable[[str], None]) -> Row:
    progress(f"startup: check --json --demo x {samples}")
    measured: list[float] = []
    baseline: list[float] = []
    try:
        for _ in range(samples):
            base = run_process([*python_argv(), "-c", "pass"], env=env, timeout=60)
            run = run_process([*cli_argv(), "check", "--json", "--demo"], env=env, timeout=60, stdout=subprocess.DEVNULL)
            if run.returncode not in (0, 1):
                raise RuntimeError(f"check exited with {run.returncode}: {run.stderr.strip()[-500:]}")
            baseline.append(base.wall)
            measured.append(run.wall)
    except Exception as exc:  # noqa: BLE001
        return error_row(SECTION, f"{SECTION}.check-json-demo", "process", f"{type(exc).__name__}: {exc}")
    return make_row(
        SECTION, f"{SECTION}.check-json-demo", "whole process", "s", measured, baseline, "python -c pass",
        target=value_below(0.3, "s"),
    )
