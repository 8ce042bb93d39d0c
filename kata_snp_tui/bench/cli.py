"""``python -m kata_snp_tui.bench [--quick] [--repeat N] [--only NAME ...] [--json-out FILE]``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kata_snp_tui.bench.model import ERROR, INFO, MISS, PASS, Row, error_row, load_average, machine_info, table

#: Section name -> module (each has ``run(quick, repeat, progress) -> list[Row]``), in run order.
SECTIONS: dict[str, str] = {
    "startup": "kata_snp_tui.bench.startup",
    "checks": "kata_snp_tui.bench.checks",
    "config": "kata_snp_tui.bench.config_edit",
    "snapshot": "kata_snp_tui.bench.snapshot",
    "stream": "kata_snp_tui.bench.stream",
    "attestation": "kata_snp_tui.bench.attestation",
}
FORMAT = "kata-snp-tui.bench"
VERSION = 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kata_snp_tui.bench",
        description="Measure the wizard's costs beside baselines (log streaming, start-up, checks, "
        "config editing, snapshots, report signature checks); print a table and write JSON.",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes and one run each (a smoke run, seconds)")
    p.add_argument("--repeat", type=int, default=None, metavar="N",
                   help="runs per figure; the median is reported (default 3, 1 with --quick)")
    p.add_argument("--only", action="append", choices=sorted(SECTIONS), metavar="NAME",
                   help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    p.add_argument("--json-out", default="bench-results.json", metavar="FILE",
                   help="where to write the results (default: bench-results.json in the current folder)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on standard error")
    return p


def run(argv: Sequence[str] | None = None) -> tuple[dict[str, Any], list[Row]]:
    args = build_parser().parse_args(argv)
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    if repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    chosen = [name for name in SECTIONS if not args.only or name in args.only]

    def progress(text: str) -> None:
        if not args.quiet:
            print(f"[bench] {text}", file=sys.stderr, flush=True)

    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    machine = machine_info()
    progress(f"{machine['cores']} cores, {machine['cpu_model']}, Python {machine['python']}, "
             f"textual {machine['textual']}; load {machine['load_average_at_start']}")
    sections: dict[str, Any] = {}
    rows: list[Row] = []
    for name in chosen:
        progress(f"section {name}")
        s0 = time.perf_counter()
        try:
            module = importlib.import_module(SECTIONS[name])
            section_rows = module.run(args.quick, repeat, progress)
        except Exception as exc:  # noqa: BLE001 - one broken section must not hide the others
            section_rows = [error_row(name, name, "-", f"{type(exc).__name__}: {exc}")]
        sections[name] = {"seconds": round(time.perf_counter() - s0, 3), "rows": [r.to_json() for r in section_rows]}
        rows.extend(section_rows)
    machine["load_average_at_end"] = load_average()
    counts = {status: sum(1 for r in rows if r.status == status) for status in (PASS, MISS, INFO, ERROR)}
    result = {
        "format": FORMAT,
        "version": VERSION,
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - t0, 3),
        "options": {"quick": args.quick, "repeat": repeat, "only": chosen},
        "machine": machine,
        "summary": counts,
        "sections": sections,
    }
    out = Path(args.json_out)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result, rows


def header(result: dict[str, Any]) -> str:
    m = result["machine"]
    mem = f", {m['memory_bytes'] / 2**30:.0f} GiB" if m.get("memory_bytes") else ""
    return (
        f"kata-snp-tui benchmarks: {m['cores']} cores ({m['usable_cores']} usable), {m['cpu_model']}{mem}; "
        f"Python {m['python']}, textual {m['textual']}; load {m['load_average_at_start']} -> {m['load_average_at_end']}\n"
        f"repeat {result['options']['repeat']} (medians; ratio = the median of per-run ratios to the baseline "
        f"measured in the same run){'; QUICK sizes' if result['options']['quick'] else ''}; "
        f"took {result['duration_s']:.0f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    result, rows = run(argv)
    print(header(result))
    print()
    print(table(rows))
    s = result["summary"]
    print()
    print(f"{s[PASS]} pass, {s[MISS]} miss, {s[INFO]} info, {s[ERROR]} error")
    return 1 if s[ERROR] else 0
