"""The check report as a readable table for the terminal (``kata-snp-tui check``), with rich only.

Colour on a terminal; plain text (no escape codes at all) when ``NO_COLOR`` is set or the output
is not a terminal. Evidence and remedy lines are printed without wrapping so commands stay
copyable; the status, id and summary line wraps inside its column.
"""

from __future__ import annotations

import os
import textwrap
from typing import IO

from rich.console import Console
from rich.text import Text

from kata_snp_tui.checks.model import GROUPS, READINESS_GROUPS, CheckReport, CheckResult, Status

ICONS: dict[Status, str] = {
    Status.PASS: "✔",
    Status.WARN: "▲",
    Status.FAIL: "✖",
    Status.SKIP: "○",
    Status.INFO: "ℹ",
}
ASCII_ICONS: dict[Status, str] = {
    Status.PASS: "+",
    Status.WARN: "!",
    Status.FAIL: "x",
    Status.SKIP: "-",
    Status.INFO: "i",
}
STYLES: dict[Status, str] = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.SKIP: "dim",
    Status.INFO: "cyan",
}
#: A child skipped because its parent failed says so in its summary (see checks.runner).
PREREQUISITE_PREFIX = "Skipped: "


def make_console(file: IO[str] | None = None) -> Console:
    """A console that colours a terminal and writes plain text under NO_COLOR or into a pipe."""
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=file,
        color_system=None if no_color else "auto",
        no_color=no_color,
        highlight=False,
        emoji=False,
        markup=False,
    )


def _icons(console: Console) -> dict[Status, str]:
    encoding = (console.encoding or "").lower().replace("-", "")
    return ICONS if encoding.startswith("utf") else ASCII_ICONS


def _shows_details(check: CheckResult) -> bool:
    if check.status is Status.PASS:
        return False
    return not (check.status is Status.SKIP and check.summary.startswith(PREREQUISITE_PREFIX))


def verdict_text(report: CheckReport) -> Text:
    """One line: ready or not, and how many checks ended in each status."""
    counts = report.counts()
    tally = "  ".join(f"{counts[s.value]} {s.value}" for s in Status if counts[s.value])
    if report.ready:
        head = Text("READY for SNP guests", style="bold green")
        why = ": no host-capability check failed."
    else:
        failing = report.blockers
        head = Text("NOT READY for SNP guests", style="bold red")
        why = f": {len(failing)} host-capability check{'s' if len(failing) != 1 else ''} failed ({', '.join(failing)})."
    return Text.assemble(head, why, "   ", (tally, "dim"))


def render_report(report: CheckReport, console: Console) -> None:
    """Print the report: a heading, one section per group, the verdict."""
    icons = _icons(console)
    host = report.host
    title = f"Host checks: {host.get('label', '?')} ({host.get('kind', '?')})"
    console.print(Text(title, style="bold"), soft_wrap=True)
    facts = [f"kernel {host['kernel']}" if host.get("kernel") else None,
             f"kernel log: {host['kernel_log']}" if host.get("kernel_log") else None,
             f"captured {host['captured_at']}" if host.get("captured_at") else None,
             f"profile {host['profile']['id']} ({host['profile']['source']})" if isinstance(host.get("profile"), dict)
             else None]
    line = "; ".join(f for f in facts if f)
    if line:
        console.print(Text(line, style="dim"), soft_wrap=True)
    id_width = max((len(c.id) for c in report.checks), default=8)
    for group in GROUPS:
        checks = [c for c in report.checks if c.group == group]
        if not checks:
            continue
        console.print()
        heading = Text(group, style="bold underline")
        if group not in READINESS_GROUPS:
            heading.append("  (does not change readiness)", style="dim")
        console.print(heading)
        for check in checks:
            _render_check(console, check, icons, id_width)
    console.print()
    console.print(verdict_text(report), soft_wrap=True)


def _render_check(console: Console, check: CheckResult, icons: dict[Status, str], id_width: int) -> None:
    style = STYLES[check.status]
    prefix = Text.assemble(
        (icons[check.status], style), " ", (f"{check.status.value.upper():<6}", style), " ",
        (f"{check.id:<{id_width}}", "bold" if check.status in (Status.FAIL, Status.WARN) else ""), "  ",
    )
    room = max(console.width - len(prefix), 30)
    lines = textwrap.wrap(check.summary, width=room, break_on_hyphens=False) or [""]
    console.print(Text.assemble(prefix, lines[0]), soft_wrap=True)
    hang = " " * len(prefix)
    for line in lines[1:]:
        console.print(hang + line, soft_wrap=True)
    if not _shows_details(check):
        return
    indent = " " * (2 + 6 + 1)
    for number, evidence in enumerate(check.evidence):
        label = "evidence  " if number == 0 else " " * 10
        console.print(Text.assemble(indent, (label, "dim"), (f"{evidence.source}: ", "dim"), evidence.value),
                      soft_wrap=True)
    for number, line in enumerate((check.remedy or "").splitlines()):
        label = "remedy    " if number == 0 else " " * 10
        console.print(Text.assemble(indent, (label, "bold"), line), soft_wrap=True)


def report_text(report: CheckReport, width: int = 100) -> str:
    """The report as plain text (no escape codes), for files and tests."""
    import io

    buffer = io.StringIO()
    console = Console(file=buffer, color_system=None, width=width, highlight=False, emoji=False, markup=False,
                      force_terminal=False)
    render_report(report, console)
    return buffer.getvalue()
