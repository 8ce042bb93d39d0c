"""A side-by-side diff of two TOML texts: current on the left, proposed on the right, aligned line by line.

It renders an engine :class:`~kata_snp_tui.config.diff.SideBySide` with Textual's line API (only the
visible rows are drawn, so a 700-line file scrolls and re-renders cheaply). Changed rows are marked in
the gutter (``-`` removed, ``+`` added, ``~`` changed) and coloured; a side with no counterpart shows a
blank filler row; TOML is coloured by a small per-line highlighter. Rows of the selected change get a
``▶`` in the gutter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kata_snp_tui.config.diff import DELETE, EQUAL, INSERT, REPLACE, SideBySide

_TOKEN = re.compile(
    r"""(?P<comment>\#.*$)
      | (?P<string>"(?:[^"\\]|\\.)*"?|'[^']*'?)
      | (?P<bool>\b(?:true|false)\b)
      | (?P<number>[+-]?\b\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?\b)
      | (?P<punct>[=\[\]{},])
    """,
    re.X,
)
_KEY = re.compile(r"^(\s*)((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)(\s*=)")
_HEADER = re.compile(r"^(\s*)(\[\[?[^\]#]*\]\]?)")


@lru_cache(maxsize=4096)
def toml_tokens(line: str) -> tuple[tuple[str, str | None], ...]:
    """Split one line of TOML into (text, kind) pieces; kind is comment/string/bool/number/punct/key/header."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    stripped = line.lstrip()
    if stripped.startswith("#"):
        return ((line, "comment"),)
    m = _HEADER.match(line)
    if m:
        out.append((m.group(1), None))
        out.append((m.group(2), "header"))
        pos = m.end()
    else:
        m = _KEY.match(line)
        if m:
            out.append((m.group(1), None))
            out.append((m.group(2), "key"))
            out.append((m.group(3), "punct"))
            pos = m.end()
    for t in _TOKEN.finditer(line, pos):
        if t.start() > pos:
            out.append((line[pos : t.start()], None))
        out.append((t.group(0), t.lastgroup))
        pos = t.end()
    if pos < len(line):
        out.append((line[pos:], None))
    return tuple(p for p in out if p[0])


class DiffView(ScrollView, can_focus=True):
    """Current | proposed, aligned. Call :meth:`show` with a SideBySide; ``]``/``[`` jump between changes."""

    COMPONENT_CLASSES = {
        "diff--lineno",
        "diff--filler",
        "diff--delete",
        "diff--insert",
        "diff--change-left",
        "diff--change-right",
        "diff--marker",
        "diff--cursor",
        "diff--divider",
        "toml--comment",
        "toml--key",
        "toml--string",
        "toml--bool",
        "toml--number",
        "toml--punct",
        "toml--header",
    }

    BINDINGS = [
        Binding("]", "next_change", "Next change", show=False),
        Binding("[", "previous_change", "Previous change", show=False),
    ]

    GUTTER = 7  # "1234 ~ "

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._diff: SideBySide | None = None
        self._left_mark: tuple[int, int] | None = None
        self._right_mark: tuple[int, int] | None = None
        self.titles = ("Current", "Proposed")

    # ------------------------------------------------------------------ data

    @property
    def diff(self) -> SideBySide | None:
        return self._diff

    def show(self, diff: SideBySide) -> None:
        self._diff = diff
        self.virtual_size = Size(max(self.size.width, 1), len(diff.rows))
        self.refresh()

    def scroll_to_first_change(self) -> None:
        if self._diff is not None and self._diff.changed_rows:
            self.scroll_to_row(self._diff.changed_rows[0])

    def mark(self, left: tuple[int, int] | None, right: tuple[int, int] | None) -> None:
        """Highlight the rows of one change (line spans in the current and proposed texts)."""
        self._left_mark, self._right_mark = left, right
        self.refresh()

    def scroll_to_row(self, row: int, *, animate: bool = False) -> None:
        """Scroll so ``row`` is the fourth visible row (after the next refresh, once the size is known)."""
        self.call_after_refresh(self.scroll_to, y=max(0, row - 3), animate=animate)

    def reveal(self, left: tuple[int, int] | None, right: tuple[int, int] | None) -> None:
        """Scroll so that the first row of the given spans is visible."""
        if self._diff is None:
            return
        row = None
        if right is not None:
            row = self._diff.row_of_right(right[0]) if right[1] > right[0] else self._first_row_from(right[0], side="right")
        if row is None and left is not None:
            row = self._diff.row_of_left(left[0])
        if row is not None:
            self.scroll_to_row(row)

    def _first_row_from(self, line: int, side: str) -> int | None:
        assert self._diff is not None
        for i, r in enumerate(self._diff.rows):
            value = r.right if side == "right" else r.left
            if value is not None and value >= line:
                return i
        return None

    def action_next_change(self) -> None:
        self._jump(+1)

    def action_previous_change(self) -> None:
        self._jump(-1)

    def _jump(self, direction: int) -> None:
        if self._diff is None:
            return
        top = int(self.scroll_offset.y) + 3
        starts = [i for i, r in enumerate(self._diff.rows) if r.tag != EQUAL and (i == 0 or self._diff.rows[i - 1].tag == EQUAL)]
        target = next((i for i in starts if i > top), None) if direction > 0 else next((i for i in reversed(starts) if i < top), None)
        if target is not None:
            self.scroll_to_row(target)

    def on_resize(self) -> None:
        if self._diff is not None:
            self.virtual_size = Size(max(self.size.width, 1), len(self._diff.rows))

    # ------------------------------------------------------------------ rendering

    def _style(self, name: str) -> Style:
        """Foreground-only styles (tokens, gutter): no background, so the row's background shows."""
        return self.get_component_rich_style(name, partial=True)

    def _background(self, name: str) -> Style:
        """A row background, its alpha blended over the widget's background."""
        style = self.get_component_rich_style(name, partial=False)
        return Style(bgcolor=style.bgcolor)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if self._diff is None:
            return Strip.blank(width, base)
        index = int(self.scroll_offset.y) + y
        if index >= len(self._diff.rows):
            return Strip.blank(width, base)
        row = self._diff.rows[index]
        side = max(1, (width - 1) // 2)
        left_w, right_w = side, max(1, width - 1 - side)
        left_bg, right_bg, marker = self._row_styles(row.tag, row.left is None, row.right is None)
        in_left = self._left_mark is not None and row.left is not None and self._left_mark[0] <= row.left < self._left_mark[1]
        in_right = self._right_mark is not None and row.right is not None and self._right_mark[0] <= row.right < self._right_mark[1]
        segments: list[Segment] = []
        segments += self._side(row.left, self._diff.left, left_w, base + left_bg, marker[0], in_left)
        segments.append(Segment("│", base + self._style("diff--divider")))
        segments += self._side(row.right, self._diff.right, right_w, base + right_bg, marker[1], in_right)
        return Strip(segments, width)

    def _row_styles(self, tag: str, no_left: bool, no_right: bool) -> tuple[Style, Style, tuple[str, str]]:
        filler = self._background("diff--filler")
        if tag == EQUAL:
            return Style(), Style(), (" ", " ")
        if tag == DELETE:
            return self._background("diff--delete"), filler, ("-", " ")
        if tag == INSERT:
            return filler, self._background("diff--insert"), (" ", "+")
        assert tag == REPLACE
        left = filler if no_left else self._background("diff--change-left")
        right = filler if no_right else self._background("diff--change-right")
        return left, right, (" " if no_left else "~", " " if no_right else "~")

    def _side(self, line: int | None, lines: list[str], width: int, style: Style, marker: str, selected: bool) -> list[Segment]:
        gutter = min(self.GUTTER, width)
        if line is None:
            return [Segment(" " * width, style)]
        number = f"{line + 1:>4}"[-4:]
        cursor = "▶" if selected else marker
        head = f"{number} {cursor} "[:gutter]
        head_style = style + (self._style("diff--cursor") if selected else self._style("diff--lineno"))
        segments = [Segment(head, head_style)]
        room = width - gutter
        if room <= 0:
            return segments
        text = lines[line].replace("\t", "    ")
        used = 0
        pieces = toml_tokens(text)
        truncated = len(text) > room
        limit = room - 1 if truncated else room
        for piece, kind in pieces:
            if used >= limit:
                break
            chunk = piece[: limit - used]
            tok = self._style(f"toml--{kind}") if kind else Style()
            segments.append(Segment(chunk, style + tok))
            used += len(chunk)
        if truncated:
            segments.append(Segment("…", style + self._style("diff--lineno")))
            used += 1
        if used < room:
            segments.append(Segment(" " * (room - used), style))
        return segments
