"""Section ``config``: the config editor's work per keystroke.

The editor screen (screens/config_editor.py) hands every edit of the proposed text to
``EditorModel.set_text`` and, after a short debounce, calls ``_analyse_now``, which runs
``EditorModel.analyse()`` (aligned re-diff against the file, validation, per-change state) and
redraws. Measured per keystroke, typing a word into a comment of [hypervisor.qemu]:

* ``config.keystroke``: ``set_text`` + ``analyse`` (the engine), beside a bare ``tomllib.loads``
  of the same text; on Kata 3.2.0's file (target: under 16 ms, one frame) and on the same file ten
  times longer;
* ``config.scaling``: the ten-times file's time over the 3.2.0 file's (linear growth: about 10x;
  target <= 12x), beside the same ratio for ``tomllib.loads``;
* ``config.screen-keystroke``: the screen's own ``_analyse_now`` (analysis plus redrawing its
  widgets) under ``run_test``, in a fresh process (informational).
"""

from __future__ import annotations

import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from kata_snp_tui.bench.config_text import ConfigText, kata_320, keystrokes, ten_times
from kata_snp_tui.bench.measure import bench_env, run_worker
from kata_snp_tui.bench.model import Row, error_row, make_row, median, value_at_most, value_below

SECTION = "config"


def _engine(config: ConfigText, path: Path, count: int, rounds: int) -> tuple[list[float], list[float]]:
    """Per-keystroke milliseconds for the engine and for the tomllib baseline (paired)."""
    from kata_snp_tui.config.editor import EditorModel
    from kata_snp_tui.config.loader import load_file
    from kata_snp_tui.config.targets import KATA, EditTarget, demo_exists

    path.write_text(config.text, encoding="utf-8")
    target = EditTarget(KATA, path, str(path), exists=demo_exists())
    model = EditorModel(target, load_file(path))
    model.analyse()  # warm-up
    measured: list[float] = []
    baseline: list[float] = []
    for _ in range(rounds):
        for text in keystrokes(config.text, count):
            t0 = time.perf_counter()
            tomllib.loads(text)
            t1 = time.perf_counter()
            model.set_text(text)
            model.analyse()
            t2 = time.perf_counter()
            baseline.append((t1 - t0) * 1000)
            measured.append((t2 - t1) * 1000)
    return measured, baseline


def run(quick: bool, repeat: int, progress: Callable[[str], None]) -> list[Row]:
    count = 5 if quick else 20
    rows: list[Row] = []
    base = kata_320()
    long = ten_times(base)
    sizes = {base.name: base, long.name: long}
    per: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-config-") as tmp:
        root = Path(tmp)
        for config in sizes.values():
            label = f"{config.name}, {config.lines} lines"
            progress(f"config: {count} keystrokes x {repeat} on {label}")
            try:
                measured, baseline = _engine(config, root / "configuration.toml", count, repeat)
            except Exception as exc:  # noqa: BLE001
                rows.append(error_row(SECTION, f"{SECTION}.keystroke", label, f"{type(exc).__name__}: {exc}"))
                continue
            per[config.name] = (measured, baseline)
            rows.append(make_row(
                SECTION, f"{SECTION}.keystroke", label, "ms", measured, baseline, "tomllib.loads",
                target=value_below(16, "ms") if config is base else None,
                extra={"keystrokes": len(measured), "bytes": len(config.text)},
            ))
        if base.name in per and long.name in per:
            m_short, b_short = (median(x) for x in per[base.name])
            m_long, b_long = (median(x) for x in per[long.name])
            size_ratio = long.lines / base.lines
            rows.append(make_row(
                SECTION, f"{SECTION}.scaling", f"{size_ratio:.1f}x the lines", "x",
                [m_long / m_short if m_short else None], [b_long / b_short if b_short else None],
                "tomllib.loads", target=value_at_most(12, "x"),
                note=f"time on the long file over time on the 3.2.0 file; linear would be {size_ratio:.1f}x",
                extra={"size_ratio": size_ratio},
            ))
        rows.extend(_screen(root, base, long, count, repeat, quick, progress))
    return rows


def _screen(root: Path, base: ConfigText, long: ConfigText, count: int, repeat: int, quick: bool,
            progress: Callable[[str], None]) -> list[Row]:
    rows = []
    for config in (base, long):
        label = f"{config.name}, {config.lines} lines"
        progress(f"config: the editor screen, {label}")
        path = root / "screen" / config.name.replace(" ", "-") / "configuration.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config.text, encoding="utf-8")
        measured: list[float] = []
        baseline: list[float] = []
        try:
            for _ in range(1 if quick else repeat):
                result, _run = run_worker(
                    "config_screen", {"dir": str(path.parent), "file": str(path), "keystrokes": count},
                    bench_env(path.parent / "state", KATA_CONF_FILE=str(path)), timeout=300,
                )
                measured.extend(result["screen_ms"])
                baseline.extend(result["engine_ms"])
        except Exception as exc:  # noqa: BLE001
            rows.append(error_row(SECTION, f"{SECTION}.screen-keystroke", label, f"{type(exc).__name__}: {exc}"))
            continue
        rows.append(make_row(
            SECTION, f"{SECTION}.screen-keystroke", label, "ms", measured, baseline, "engine alone",
            note="" if config is long else "the screen's _analyse_now per keystroke: analysis + redrawing (not the paint after it)",
        ))
    return rows
