"""The checklist of SNP signals read from the guest's dmesg: found (with the line) or missing."""

from __future__ import annotations

from textual.markup import escape

from kata_snp_tui.screens.verify_rows import RowData, RowList
from kata_snp_tui.verify.guest_log import GuestLog


def signal_rows(log: GuestLog) -> list[RowData]:
    rows: list[RowData] = []
    for s in log.signals:
        if s.found:
            detail = f" [$text-muted]({escape(s.detail)})[/]" if s.detail and s.id != "memory-encryption" else ""
            rows.append(RowData("[$text-success]✔[/]", f"{escape(s.title)}{detail}",
                                (f"[$text-muted]dmesg line {s.line_number}:[/] {escape(s.line or '')}",)))
        else:
            alarming = s.id == "memory-encryption" or (s.expected_for_snp and log.verdict != "none")
            mark = "[$text-error]✖[/]" if alarming else "[$text-muted]○[/]"
            since = (f"[$text-muted]not found (printed by {escape(s.since)})[/]",) if s.since else ()
            rows.append(RowData(mark, escape(s.title), since))
    for note in log.notes:
        rows.append(RowData("[$text-warning]▲[/]", escape(note)))
    return rows


class SignalChecklist(RowList):
    """Renders a GuestLog's signals; a short sentence until one is shown."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("The guest's dmesg has not been read yet.", id=id)

    def show(self, log: GuestLog | None) -> None:
        self.set_rows(signal_rows(log) if log is not None else [])

    def show_unread(self, why: str) -> None:
        self.set_rows([RowData("[$text-muted]○[/]", f"[$text-muted]{escape(why)}[/]")])
