"""What a benchmark reports: rows (measured beside a baseline, with a ratio and a target) and the machine."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

PASS = "PASS"
MISS = "MISS"
INFO = "info"
ERROR = "ERROR"


@dataclass(frozen=True)
class Target:
    """A limit on a row's ratio (``ratio``) or on its measured value (``value``)."""

    on: str  # "ratio" or "value"
    limit: float
    text: str

    def met(self, measured: float | None, ratio: float | None) -> bool | None:
        value = ratio if self.on == "ratio" else measured
        if value is None:
            return None
        return value <= self.limit


def ratio_at_most(limit: float) -> Target:
    return Target("ratio", limit, f"<= {limit:g}x")


def value_at_most(limit: float, unit: str) -> Target:
    return Target("value", limit, f"<= {limit:g}{unit}" if unit == "x" else f"<= {limit:g} {unit}")


def value_below(limit: float, unit: str) -> Target:
    # A measured float equal to the limit is as good as below it at this precision.
    return Target("value", limit, f"< {limit:g} {unit}")


@dataclass
class Row:
    """One line of the table.

    ``measured`` and ``baseline`` are medians of ``samples`` and ``baseline_samples``; ``ratio`` is
    the median of the per-run ratios (each run's figure over the baseline measured in the same
    run), so a slower or busier moment affects both sides alike. For rates (lines per second) the
    ratio is still "times the baseline's cost": baseline rate over measured rate.
    """

    section: str
    name: str
    size: str
    unit: str
    measured: float | None
    baseline: float | None
    baseline_name: str
    ratio: float | None
    target: Target | None = None
    #: Set for rows that must also be lossless etc.: a reason makes the row a MISS whatever its figures.
    failure: str = ""
    error: str = ""
    note: str = ""
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.error:
            return ERROR
        if self.failure:
            return MISS
        if self.target is None:
            return INFO
        met = self.target.met(self.measured, self.ratio)
        if met is None:
            return INFO
        return PASS if met else MISS

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = self.target.text if self.target else None
        data["target_on"] = self.target.on if self.target else None
        data["target_limit"] = self.target.limit if self.target else None
        data["status"] = self.status
        return data


def median(values: Sequence[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


def paired_ratios(measured: Sequence[float | None], baseline: Sequence[float | None], invert: bool = False) -> list[float]:
    """Per-run ratios ``measured / baseline`` (``baseline / measured`` for rates, with ``invert``)."""
    out: list[float] = []
    for m, b in zip(measured, baseline):
        if m is None or b is None:
            continue
        num, den = (b, m) if invert else (m, b)
        if den > 0:
            out.append(num / den)
    return out


def make_row(
    section: str,
    name: str,
    size: str,
    unit: str,
    samples: Sequence[float | None],
    baseline_samples: Sequence[float | None],
    baseline_name: str,
    *,
    rate: bool = False,
    with_ratio: bool = True,
    target: Target | None = None,
    note: str = "",
    failure: str = "",
    extra: dict[str, Any] | None = None,
) -> Row:
    ratios = paired_ratios(samples, baseline_samples, invert=rate) if with_ratio else []
    return Row(
        section=section,
        name=name,
        size=size,
        unit=unit,
        measured=median(samples),
        baseline=median(baseline_samples),
        baseline_name=baseline_name,
        ratio=median(ratios),
        target=target,
        failure=failure,
        note=note,
        samples=[v for v in samples if v is not None],
        baseline_samples=[v for v in baseline_samples if v is not None],
        ratios=ratios,
        extra=dict(extra or {}),
    )


def error_row(section: str, name: str, size: str, error: str) -> Row:
    return Row(section, name, size, "", None, None, "", None, error=error)


# ------------------------------------------------------------------------------ the machine


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    """Cores, CPU, memory, Python and library versions (read without importing Textual)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    mem_total = None
    try:
        import psutil

        mem_total = psutil.virtual_memory().total
    except Exception:  # noqa: BLE001 - informational only
        pass
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu_model": cpu_model(),
        "memory_bytes": mem_total,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "textual": _version("textual"),
        "rich": _version("rich"),
        "sh": _version("sh"),
        "psutil": _version("psutil"),
        "kata_snp_tui": _version("kata-snp-tui"),
        "load_average_at_start": load_average(),
    }


# ------------------------------------------------------------------------------ formatting


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "lines/s":
        if value >= 1e6:
            return f"{value / 1e6:.2f} M lines/s"
        return f"{value / 1e3:.0f} k lines/s"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "KiB":
        return f"{value:.0f} KiB"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.3g} {unit}".strip()


def fmt_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def table(rows: Sequence[Row]) -> str:
    """The plain-text table: name, size, measured, baseline, ratio, target, status."""
    head = ("name", "size", "measured", "baseline", "ratio", "target", "status")
    body = []
    for r in rows:
        baseline = fmt_value(r.baseline, r.unit)
        if r.baseline_name and r.baseline is not None:
            baseline = f"{baseline} ({r.baseline_name})"
        measured = fmt_value(r.measured, r.unit)
        if r.extra.get("peak_mib") is not None:
            measured += f", peak {r.extra['peak_mib']:.0f}"
        if r.extra.get("baseline_peak_mib") is not None and r.baseline is not None:
            baseline = f"{fmt_value(r.baseline, r.unit)}, peak {r.extra['baseline_peak_mib']:.0f} ({r.baseline_name})"
        body.append(
            (
                r.name,
                r.size,
                measured if not r.error else "-",
                baseline if not r.error else "-",
                fmt_ratio(r.ratio),
                r.target.text if r.target else "-",
                r.status,
            )
        )
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for b in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip())
    notes = [(r.name, r.size, r.error or r.failure or r.note) for r in rows if r.error or r.failure or r.note]
    if notes:
        lines.append("")
        for name, size, text in notes:
            lines.append(f"* {name} [{size}]: {text}")
    return "\n".join(lines)
