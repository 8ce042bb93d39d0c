"""Section ``stream``: build output through the runner, headless and into the Build screen.

For each size (lines x characters) and each run, three paths handle the same generator output,
one after the other so a busy moment of the machine touches all three:

* ``plain``: :mod:`plain_copy` (``for line in proc.stdout: f.write(line)``), a whole process;
* ``headless``: ``kata-snp-tui build --recipe R --workspace W --yes --force`` with standard output
  to /dev/null, a whole process (its RSS polled every 10 ms; growth counted from the moment the
  step's log file appears, i.e. once the command has started the step);
* ``screen``: :mod:`screen_stream`, the wizard under ``run_test`` in a fresh process.

Every path's output file is checked line by line (count and order). Ratios compare wall times
(the same thing as lines per second, inverted). Targets (at 10^6 lines): headless <= 1.5x the
plain copy, the screen <= 2x; at every size: no event-loop stall over 100 ms and RSS growth (peak
minus RSS when the work began; the peak is shown beside it) under
100 MiB.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kata_snp_tui.bench.measure import (
    GEN_LINES,
    MIB,
    PLAIN_COPY,
    bench_env,
    check_lines,
    cli_argv,
    python_argv,
    run_process,
    run_worker,
    write_stream_recipe,
)
from kata_snp_tui.bench.model import Row, error_row, make_row, median, ratio_at_most, value_at_most, value_below

SECTION = "stream"
FULL_SIZES = [(10**4, 60), (10**4, 200), (10**5, 60), (10**5, 200), (10**6, 60), (10**6, 200)]
QUICK_SIZES = [(2000, 60), (2000, 200)]
TARGET_LINES = 10**6
STEP = "stream"


def size_label(lines: int, width: int) -> str:
    exp = len(str(lines)) - 1
    count = f"1e{exp}" if lines == 10**exp else str(lines)
    return f"{count} x {width} ch"


def _plain(folder: Path, lines: int, width: int) -> dict[str, Any]:
    out = folder / "copy.txt"
    argv = [*python_argv(), str(PLAIN_COPY), str(out), *python_argv(), str(GEN_LINES), str(lines), str(width)]
    run = run_process(argv, started=out.exists)
    check = check_lines(out, lines)
    out.unlink(missing_ok=True)
    if run.returncode != 0:
        raise RuntimeError(f"plain copy exited with {run.returncode}: {run.stderr.strip()[-500:]}")
    return {"wall": run.wall, "rss_growth": run.rss_growth, "rss_peak": run.rss_peak, "problem": check.problem()}


def _headless(folder: Path, lines: int, width: int) -> dict[str, Any]:
    recipe = write_stream_recipe(folder, lines, width, STEP)
    state = folder / "state"
    log = state / "kata-snp-tui" / "logs" / f"{STEP}.log"
    argv = [*cli_argv(), "build", "--recipe", str(recipe), "--workspace", str(folder / "ws"), "--yes", "--force"]
    run = run_process(argv, env=bench_env(state), started=log.exists)
    if run.returncode != 0:
        raise RuntimeError(f"kata-snp-tui build exited with {run.returncode}: {run.stderr.strip()[-500:]}")
    check = check_lines(log, lines)
    log.unlink(missing_ok=True)
    return {"wall": run.wall, "rss_growth": run.rss_growth, "rss_peak": run.rss_peak, "problem": check.problem()}


def _screen(folder: Path, lines: int, width: int, quick: bool) -> dict[str, Any]:
    params = {"dir": str(folder), "lines": lines, "width": width, "idle": 0.3 if quick else 1.0, "timeout": 900}
    result, _run = run_worker("screen_stream", params, bench_env(folder / "state"))
    base, peak = result.get("rss_base"), result.get("rss_peak")
    result["rss_growth"] = None if base is None or peak is None else max(0, peak - base)
    if result.get("status") != "done" and not result.get("problem"):
        result["problem"] = f"the step ended {result.get('status')}"
    return result


def _fresh(parent: Path, name: str) -> Path:
    folder = parent / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def run(quick: bool, repeat: int, progress: Callable[[str], None]) -> list[Row]:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-stream-") as tmp:
        root = Path(tmp)
        for lines, width in sizes:
            label = size_label(lines, width)
            runs: dict[str, list[dict[str, Any]]] = {"plain": [], "headless": [], "screen": []}
            errors: dict[str, str] = {}
            for n in range(repeat):
                progress(f"stream {label}: run {n + 1}/{repeat}")
                for kind, fn in (
                    ("plain", lambda f: _plain(f, lines, width)),
                    ("headless", lambda f: _headless(f, lines, width)),
                    ("screen", lambda f: _screen(f, lines, width, quick)),
                ):
                    if kind in errors:
                        continue
                    folder = _fresh(root, f"{kind}-{n}")
                    try:
                        runs[kind].append(fn(folder))
                    except Exception as exc:  # noqa: BLE001 - reported in the row, the rest goes on
                        errors[kind] = f"{type(exc).__name__}: {exc}"
                    finally:
                        shutil.rmtree(folder, ignore_errors=True)
            rows.extend(_rows(label, lines, runs, errors))
    return rows


def _peak_mib(results: list[dict[str, Any]]) -> float | None:
    peak = median([r["rss_peak"] for r in results if r.get("rss_peak") is not None])
    return None if peak is None else peak / MIB


def _lost(results: list[dict[str, Any]]) -> str:
    problems = [r["problem"] for r in results if r.get("problem")]
    return "; ".join(sorted(set(problems)))


def _rows(label: str, lines: int, runs: dict[str, list[dict[str, Any]]], errors: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    plain, headless, screen = runs["plain"], runs["headless"], runs["screen"]
    if "plain" in errors or not plain:
        return [error_row(SECTION, f"{SECTION}.plain", label, errors.get("plain", "no run"))]
    at_target = lines >= TARGET_LINES
    plain_rate = [lines / r["wall"] for r in plain]
    plain_rss = [r["rss_growth"] / MIB if r["rss_growth"] is not None else None for r in plain]
    plain_lost = _lost(plain)

    if "headless" in errors:
        rows.append(error_row(SECTION, f"{SECTION}.headless", label, errors["headless"]))
    else:
        lost = _lost(headless)
        rows.append(make_row(
            SECTION, f"{SECTION}.headless", label, "lines/s",
            [lines / r["wall"] for r in headless], plain_rate, "plain copy", rate=True,
            target=ratio_at_most(1.5) if at_target else None,
            failure=f"lossy: {lost}" if lost else (f"baseline lossy: {plain_lost}" if plain_lost else ""),
            extra={"wall_s": [r["wall"] for r in headless], "plain_wall_s": [r["wall"] for r in plain]},
        ))
        rows.append(make_row(
            SECTION, f"{SECTION}.headless.rss", label, "MiB",
            [r["rss_growth"] / MIB if r["rss_growth"] is not None else None for r in headless], plain_rss,
            "plain copy", with_ratio=False, target=value_below(100, "MiB"),
            extra={"peak_bytes": [r["rss_peak"] for r in headless], "peak_mib": _peak_mib(headless),
                   "baseline_peak_mib": _peak_mib(plain)},
        ))

    if "screen" in errors:
        rows.append(error_row(SECTION, f"{SECTION}.screen", label, errors["screen"]))
        return rows
    lost = _lost(screen)
    rows.append(make_row(
        SECTION, f"{SECTION}.screen", label, "lines/s",
        [r["lines_per_s"] for r in screen], plain_rate, "plain copy", rate=True,
        target=ratio_at_most(2.0) if at_target else None,
        failure=f"lossy: {lost}" if lost else "",
        extra={"wall_s": [r["wall"] for r in screen], "step_duration_s": [r.get("step_duration") for r in screen]},
    ))
    rows.append(make_row(
        SECTION, f"{SECTION}.screen.stall", label, "ms",
        [r["stall_max_ms"] for r in screen], [r["idle_stall_max_ms"] for r in screen], "idle app",
        target=value_at_most(100, "ms"),
        extra={"p99_ms": [r["stall_p99_ms"] for r in screen], "over_100ms": [r["stalls_over_100ms"] for r in screen],
               "wakeups": [r["timer_wakeups"] for r in screen]},
    ))
    rows.append(make_row(
        SECTION, f"{SECTION}.screen.rss", label, "MiB",
        [r["rss_growth"] / MIB if r["rss_growth"] is not None else None for r in screen], plain_rss, "plain copy",
        with_ratio=False, target=value_below(100, "MiB"),
        extra={"peak_bytes": [r["rss_peak"] for r in screen], "base_bytes": [r["rss_base"] for r in screen],
               "peak_mib": _peak_mib(screen), "baseline_peak_mib": _peak_mib(plain)},
    ))
    return rows
