"""Section ``checks``: evaluating every host check (``run_checks``), on the demo host and this machine.

``run_checks(host)`` refreshes the host first, so on the live host every call reads /proc and /sys
and runs the probe commands (git, gcc, rustup, docker, yq, ...) again, four side by side: that is
the wait a user sees when the checks (re-)run. Rows, medians, target under 50 ms:

* ``checks.demo``: ``run_checks`` on the bundled demo host, beside reading its facts only
  (``collect_facts(host).prefetch()``);
* ``checks.live``: ``run_checks`` on this machine, beside the same I/O without judging anything
  (the probe commands it ran, run again one after the other, plus reading the facts): the ratio
  shows what starting them side by side saves;
* ``checks.live.evaluation``: the checks' own work on this machine, with the probe commands'
  answers already in hand (``run_tree`` over fresh facts, no refresh).

The probe commands' own times are in the JSON (``extra.probe_ms``).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kata_snp_tui.bench.model import Row, error_row, make_row, median, value_below

SECTION = "checks"


def _ms(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def run(quick: bool, repeat: int, progress: Callable[[str], None]) -> list[Row]:
    samples = max(3, repeat) if quick else max(10, repeat * 5)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-checks-") as tmp:
        workspace = Path(tmp) / "workspace"
        for kind, fn in (("demo", _demo), ("live", _live)):
            progress(f"checks: {kind} host x {samples}")
            try:
                rows.extend(fn(workspace, samples))
            except Exception as exc:  # noqa: BLE001
                rows.append(error_row(SECTION, f"{SECTION}.{kind}", f"{kind} host", f"{type(exc).__name__}: {exc}"))
    return rows


def _demo(workspace: Path, samples: int) -> list[Row]:
    from kata_snp_tui.checks import collect_facts, run_checks
    from kata_snp_tui.host import HostSource, open_host

    host = open_host(HostSource("demo"))
    report = run_checks(host, workspace)  # warm-up: imports, the snapshot's index
    measured, baseline = [], []
    for _ in range(samples):
        baseline.append(_ms(lambda: collect_facts(host, workspace).prefetch()))
        measured.append(_ms(lambda: run_checks(host, workspace)))
    return [make_row(SECTION, f"{SECTION}.demo", f"{len(report.checks)} checks, demo host", "ms",
                     measured, baseline, "read facts only", target=value_below(50, "ms"),
                     extra={"ready": report.ready})]


def _live(workspace: Path, samples: int) -> list[Row]:
    from kata_snp_tui.checks import CHECK_SPECS, GROUPS, collect_facts, run_checks
    from kata_snp_tui.checks.facts import Facts
    from kata_snp_tui.checks.runner import run_tree
    from kata_snp_tui.host import LiveHost, run_probe
    from kata_snp_tui.probes import command_argv

    host = LiveHost()
    report = run_checks(host, workspace)
    keys = list(host._command_cache)  # the probe commands a check run asks for on this machine
    timeout = host._probe_timeout
    probe_ms: dict[str, list[float]] = {k: [] for k in keys}

    def io_only() -> None:
        for key in keys:
            t0 = time.perf_counter()
            run_probe(key, command_argv(key), timeout)
            probe_ms[key].append((time.perf_counter() - t0) * 1000)
        collect_facts(host, workspace).prefetch()

    def evaluate() -> None:  # run_checks without the refresh: the command answers are cached
        results = run_tree(CHECK_SPECS, Facts(host, workspace))
        sorted(results, key=lambda r: GROUPS.index(r.group))

    measured, baseline, evaluation = [], [], []
    for _ in range(samples):
        baseline.append(_ms(io_only))
        measured.append(_ms(lambda: run_checks(host, workspace)))
        evaluation.append(_ms(evaluate))
    label = f"{len(report.checks)} checks, live host"
    slowest = sorted(((median(v) or 0.0, k) for k, v in probe_ms.items()), reverse=True)[:4]
    return [
        make_row(SECTION, f"{SECTION}.live", label, "ms", measured, baseline, "probe commands + reads",
                 target=value_below(50, "ms"),
                 note=f"{len(keys)} probe commands (timed one by one for this note); slowest: "
                      + ", ".join(f"{k} {ms:.0f} ms" for ms, k in slowest),
                 extra={"probe_keys": keys, "probe_ms": probe_ms, "ready": report.ready}),
        make_row(SECTION, f"{SECTION}.live.evaluation", label, "ms", evaluation, [], "",
                 target=value_below(50, "ms"),
                 extra={"what": "run_tree over fresh facts with the probe commands' answers cached"}),
    ]
