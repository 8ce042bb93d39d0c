"""A list of rows with a hanging indent: a coloured mark, a title, and detail lines indented under it.

Used by the Verify screen for the SNP signals, the run's steps and the matching known errors; wrapped
text stays under its own column instead of running back to the left edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static


@dataclass(frozen=True)
class RowData:
    #: Content markup for the mark column (one or two cells), e.g. "[$text-success]✔[/]".
    mark: str
    #: Content markup for the title.
    title: str
    #: Content markup, one entry per detail line (each wraps under the title's column).
    details: tuple[str, ...] = field(default_factory=tuple)


class Row(Horizontal):
    DEFAULT_CSS = """
    Row { height: auto; width: 1fr; }
    Row > .row-mark { width: 2; height: auto; }
    Row > Vertical { height: auto; width: 1fr; }
    Row Static { height: auto; width: 1fr; }
    Row .row-detail { padding-left: 2; }
    """

    def __init__(self, data: RowData) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        yield Static(Content.from_markup(self.data.mark), classes="row-mark")
        with Vertical():
            yield Static(Content.from_markup(self.data.title), classes="row-title")
            for line in self.data.details:
                yield Static(Content.from_markup(line), classes="row-detail")


class RowList(Vertical):
    """Holds Rows; :meth:`set_rows` replaces them all (or shows ``empty`` when there are none)."""

    DEFAULT_CSS = """
    RowList { height: auto; width: 1fr; }
    RowList > .row-empty { height: auto; width: 1fr; color: $text-muted; }
    """

    def __init__(self, empty: str = "", *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.empty = empty
        self.rows: tuple[RowData, ...] = ()

    def set_rows(self, rows: list[RowData] | tuple[RowData, ...]) -> None:
        self.rows = tuple(rows)
        self.remove_children()
        if not self.rows:
            if self.empty:
                self.mount(Static(Content.from_markup(self.empty), classes="row-empty"))
            return
        self.mount_all([Row(r) for r in self.rows])
