"""Known errors that match a failed run's output, with their cause and fix (from the knowledge base)."""

from __future__ import annotations

from typing import Any

from textual.markup import escape

from kata_snp_tui.screens.verify_rows import RowData, RowList


def hint_rows(hints: list[dict[str, Any]]) -> list[RowData]:
    rows: list[RowData] = []
    for h in hints:
        details: list[str] = []
        if h.get("line"):
            details.append(f"[$text-muted]matched:[/] {escape(str(h['line']))}")
        if h.get("cause"):
            details.append(f"[b]cause[/b] {escape(str(h['cause']))}")
        if h.get("fix"):
            details.append(f"[b]fix[/b] {escape(str(h['fix']))}")
        details += [f"[$text-accent]$ {escape(str(c))}[/]" for c in h.get("commands") or []]
        rows.append(RowData("[$text-error]●[/]", f"[b]{escape(str(h.get('title', '')))}[/b]", tuple(details)))
    return rows


class HintList(RowList):
    def show(self, hints: list[dict[str, Any]]) -> None:
        self.set_rows(hint_rows(hints))
        self.display = bool(hints)
