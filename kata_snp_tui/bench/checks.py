"""Section ``checks``: evaluating every host check (``run_checks``), on the demo host and this machine.

``run_checks(host)`` refreshes the host first, so on the live host every call reads /proc, /sys and
runs the probe commands again: that is the wait a user sees when the checks (re-)run. The baseline
is reading the same facts without judging them (``collect_facts(host).prefetch()``), measured
alternately with the checks. Target: under 50 ms (median).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kata_snp_tui.bench.model import Row, error_row, make_row, value_below

SECTION = "checks"


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(quick: bool, repeat: int, progress: Callable[[str], None]) -> list[Row]:
    from kata_snp_tui.checks import collect_facts, run_checks
    from kata_snp_tui.host import HostSource, open_host

    samples = max(3, repeat) if quick else max(10, repeat * 5)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-checks-") as tmp:
        workspace = Path(tmp) / "workspace"
        for kind in ("demo", "live"):
            progress(f"checks: {kind} host x {samples}")
            try:
                host = open_host(HostSource(kind))
                report = run_checks(host, workspace)  # warm-up: imports, caches of the snapshot reader
                measured, baseline = [], []
                for _ in range(samples):
                    baseline.append(_time(lambda: collect_facts(host, workspace).prefetch()) * 1000)
                    measured.append(_time(lambda: run_checks(host, workspace)) * 1000)
                close = getattr(host, "close", None)
                if callable(close):
                    close()
            except Exception as exc:  # noqa: BLE001
                rows.append(error_row(SECTION, f"{SECTION}.{kind}", f"{kind} host", f"{type(exc).__name__}: {exc}"))
                continue
            rows.append(make_row(
                SECTION, f"{SECTION}.{kind}", f"{len(report.checks)} checks, {kind} host", "ms",
                measured, baseline, "read facts only", target=value_below(50, "ms"),
                extra={"ready": report.ready},
            ))
    return rows
