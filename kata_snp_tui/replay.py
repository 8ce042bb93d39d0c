"""Replay a recorded build log at a demo-friendly pace: the demo host's stand-in for a build step.

    python -m kata_snp_tui.replay FILE [--duration SECONDS | --pace LINES_PER_SECOND] [--exit N] [--label TEXT]

The demo recipe (:func:`demo_steps`) uses this as every step's command, so the demo exercises the
real runner: real processes, real process groups, real log files, real cancel. The first line of
output says it is a recording.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tomllib
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from kata_snp_tui.recipe import Step, display_command

#: Output is written in bursts this often.
TICK = 0.04
#: Set to a factor (e.g. 20) to replay the demo faster (tests, impatient demos).
SPEED_ENV = "KATA_SNP_TUI_DEMO_SPEED"
#: Set to a step id to make that step fail in the demo (fault injection, to show the failure banner).
FAIL_ENV = "KATA_SNP_TUI_DEMO_FAIL"
BANNER = "[demo] replaying a recorded log: {name} ({count} lines); nothing is being built on this machine"


def recordings_dir() -> Path:
    return Path(str(files("kata_snp_tui.assets") / "demo" / "build"))


def replay(lines: Sequence[str], duration: float, out=None, sleep=time.sleep) -> None:
    """Write ``lines`` to ``out`` in bursts spread over ``duration`` seconds, flushing each burst."""
    out = out if out is not None else sys.stdout
    if not lines:
        return
    bursts = max(1, min(len(lines), int(duration / TICK)))
    per_burst = math.ceil(len(lines) / bursts)
    bursts = math.ceil(len(lines) / per_burst)
    interval = duration / bursts
    start = time.monotonic()
    for b in range(bursts):
        out.write("".join(line + "\n" for line in lines[b * per_burst : (b + 1) * per_burst]))
        out.flush()
        delay = start + (b + 1) * interval - time.monotonic()
        if delay > 0:
            sleep(delay)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kata_snp_tui.replay", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="the recorded log")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--duration", type=float, default=None, help="seconds the whole replay takes (default 2)")
    pace.add_argument("--pace", type=float, default=None, help="lines per second")
    parser.add_argument("--exit", type=int, default=0, dest="exit_code", help="exit status to end with (default 0)")
    parser.add_argument("--label", default=None, help="name shown in the banner (default: the file name)")
    args = parser.parse_args(argv)
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        print(f"replay: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    lines = text.splitlines()
    if args.pace:
        duration = len(lines) / max(args.pace, 0.001)
    else:
        duration = args.duration if args.duration is not None else 2.0
    print(BANNER.format(name=args.label or path.stem, count=len(lines)), flush=True)
    try:
        replay(lines, max(0.0, duration))
    except BrokenPipeError:
        return 1
    if args.exit_code:
        print(f"[demo] the recording ends with exit status {args.exit_code}", file=sys.stderr, flush=True)
    return args.exit_code


# ------------------------------------------------------------------------ the demo recipe


def demo_durations() -> tuple[float, dict[str, float]]:
    data = tomllib.loads((recordings_dir() / "pace.toml").read_text(encoding="utf-8"))
    return float(data.get("default", 0.3)), {k: float(v) for k, v in data.get("seconds", {}).items()}


def demo_speed() -> float:
    try:
        speed = float(os.environ.get(SPEED_ENV, "1") or "1")
    except ValueError:
        return 1.0
    return speed if speed > 0 else 1.0


def demo_steps(
    steps: Sequence[Step],
    workspace: Path,
    *,
    speed: float | None = None,
    fail: str | None = None,
    python: str | None = None,
) -> list[Step]:
    """The demo recipe: the same ids, titles, order and needs, each step replaying its recording.

    Nothing runs as root and nothing is created outside ``workspace`` (a folder of the state dir).
    ``fail`` (default: ``$KATA_SNP_TUI_DEMO_FAIL``) names a step that replays its failure recording
    (``<id>.fail.log``, else the normal one) and exits 1.
    """
    speed = speed if speed is not None else demo_speed()
    fail = fail if fail is not None else os.environ.get(FAIL_ENV) or None
    default, durations = demo_durations()
    folder = recordings_dir()
    workspace.mkdir(parents=True, exist_ok=True)
    result: list[Step] = []
    for step in steps:
        recording = folder / f"{step.id}.log"
        exit_code = 0
        if fail == step.id:
            failed = folder / f"{step.id}.fail.log"
            recording = failed if failed.exists() else recording
            exit_code = 1
        seconds = durations.get(step.id, default) / speed
        argv = [python or sys.executable, "-m", "kata_snp_tui.replay", str(recording), "--duration", f"{seconds:.3f}",
                "--label", step.id]
        if exit_code:
            argv += ["--exit", str(exit_code)]
        result.append(
            Step(
                id=step.id,
                title=step.title,
                cwd=workspace,
                argv=tuple(argv),
                needs=step.needs,
                produces=step.produces,
                description=step.description,
                stands_for=tuple(display_command(step)),
            )
        )
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
