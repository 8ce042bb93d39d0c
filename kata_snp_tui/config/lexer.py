"""A line-level view of a TOML document: which lines are headers, key/value statements, comments or blanks.

The patcher needs to know, for every line, the table it belongs to and, for a key/value statement, where
its value starts and ends (a value may span lines: arrays, multi-line strings) and where an inline comment
begins, so that it can rewrite one value and leave every other byte alone. tomlkit and tomllib answer
"what does this document mean"; this module answers "which bytes say it".

It is meant for documents that already parse (the callers check with tomllib first); on malformed input
it stays total (never raises) but its answers are best effort.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_WS = " \t"
_DATETIME_TAIL = re.compile(r" \d{2}:\d{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCALAR_END = set(" \t,]}#\r\n")


@dataclass(frozen=True)
class Statement:
    """One logical TOML statement and the lines it occupies (``first``..``last`` inclusive, 0-based)."""

    kind: str  # "keyval" | "header" | "comment" | "blank" | "invalid"
    first: int
    last: int
    #: The table the statement belongs to (for a header: the table it opens).
    table: tuple[str, ...]
    #: The key of a keyval (dotted keys give several parts) or the name in a header.
    key: tuple[str, ...] = ()
    #: Column on line ``first`` where the value starts (keyval only).
    value_col: int = 0
    #: (line, column) just past the value (keyval only).
    value_end: tuple[int, int] = (0, 0)
    #: True for an ``[[array.of.tables]]`` header.
    array_table: bool = False

    @property
    def span(self) -> tuple[int, int]:
        """Half-open line span."""
        return (self.first, self.last + 1)


@dataclass(frozen=True)
class TableRegion:
    name: tuple[str, ...]
    #: Line of the header, or -1 for the root table.
    header: int
    #: Half-open line span of everything that belongs to the table (header included).
    start: int
    end: int


@dataclass
class Lexed:
    """The document split into lines (each keeping its line ending) and statements."""

    lines: list[str]
    statements: list[Statement]
    #: Index into ``statements`` for each line.
    owner: list[int]
    tables: list[TableRegion] = field(default_factory=list)

    def line_body(self, index: int) -> str:
        """Line ``index`` without its line ending."""
        return strip_eol(self.lines[index])

    def table(self, name: tuple[str, ...]) -> TableRegion | None:
        for region in self.tables:
            if region.name == name:
                return region
        return None

    def statements_in(self, name: tuple[str, ...]) -> list[Statement]:
        return [s for s in self.statements if s.table == name and s.kind != "header"]


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, each line keeping its ending (``\\r\\n`` stays whole); no other separators."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def strip_eol(line: str) -> str:
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith("\n"):
        return line[:-1]
    return line


def eol_of(line: str) -> str:
    return line[len(strip_eol(line)) :]


def dominant_eol(lines: list[str]) -> str:
    crlf = sum(1 for line in lines if line.endswith("\r\n"))
    lf = sum(1 for line in lines if line.endswith("\n")) - crlf
    return "\r\n" if crlf > lf else "\n"


class _Cursor:
    """Walks the document character by character across line boundaries."""

    def __init__(self, bodies: list[str], line: int, col: int) -> None:
        self.bodies = bodies
        self.line = line
        self.col = col

    def peek(self, n: int = 1) -> str:
        if self.line >= len(self.bodies):
            return ""
        return self.bodies[self.line][self.col : self.col + n]

    def at_eol(self) -> bool:
        return self.line >= len(self.bodies) or self.col >= len(self.bodies[self.line])

    def at_end(self) -> bool:
        return self.line >= len(self.bodies)

    def newline(self) -> None:
        self.line += 1
        self.col = 0

    def skip_ws(self) -> None:
        body = self.bodies[self.line] if self.line < len(self.bodies) else ""
        while self.col < len(body) and body[self.col] in _WS:
            self.col += 1

    def skip_ws_comments_newlines(self) -> None:
        while not self.at_end():
            self.skip_ws()
            if self.at_eol() or self.peek() == "#":
                self.newline()
                continue
            return


def _scan_key(body: str, col: int) -> tuple[tuple[str, ...], int] | None:
    """Parse a (dotted) key starting at ``col``; return its parts and the column after it."""
    parts: list[str] = []
    n = len(body)
    while True:
        while col < n and body[col] in _WS:
            col += 1
        if col >= n:
            return None
        ch = body[col]
        if ch == '"':
            end = col + 1
            buf = []
            while end < n and body[end] != '"':
                if body[end] == "\\" and end + 1 < n:
                    buf.append(body[end : end + 2])
                    end += 2
                    continue
                buf.append(body[end])
                end += 1
            if end >= n:
                return None
            raw = "".join(buf)
            try:
                part = raw.encode("latin-1", "backslashreplace").decode("unicode_escape") if "\\" in raw else raw
            except UnicodeDecodeError:
                part = raw
            parts.append(part)
            col = end + 1
        elif ch == "'":
            end = body.find("'", col + 1)
            if end < 0:
                return None
            parts.append(body[col + 1 : end])
            col = end + 1
        else:
            m = _BARE_KEY.match(body, col)
            if not m:
                return None
            parts.append(m.group(0))
            col = m.end()
        while col < n and body[col] in _WS:
            col += 1
        if col < n and body[col] == ".":
            col += 1
            continue
        return tuple(parts), col


def _scan_string(cur: _Cursor) -> None:
    """Advance past a string starting at the cursor (any of the four kinds)."""
    if cur.peek(3) in ('"""', "'''"):
        quote = cur.peek(3)
        cur.col += 3
        while not cur.at_end():
            body = cur.bodies[cur.line]
            while cur.col < len(body):
                if quote == '"""' and body[cur.col] == "\\":
                    cur.col += 2
                    continue
                if body.startswith(quote, cur.col):
                    cur.col += 3
                    # up to two extra quotes may belong to the content
                    while cur.col < len(body) and body[cur.col] == quote[0] and body.startswith(quote, cur.col - 2):
                        cur.col += 1
                    return
                cur.col += 1
            cur.newline()
        return
    quote = cur.peek()
    body = cur.bodies[cur.line]
    cur.col += 1
    while cur.col < len(body):
        ch = body[cur.col]
        if quote == '"' and ch == "\\":
            cur.col += 2
            continue
        cur.col += 1
        if ch == quote:
            return


def _scan_value(cur: _Cursor) -> None:
    """Advance past one TOML value starting at the cursor."""
    ch = cur.peek()
    if ch in ('"', "'"):
        _scan_string(cur)
    elif ch == "[":
        cur.col += 1
        while not cur.at_end():
            cur.skip_ws_comments_newlines()
            if cur.at_end():
                return
            c = cur.peek()
            if c == "]":
                cur.col += 1
                return
            if c == ",":
                cur.col += 1
                continue
            before = (cur.line, cur.col)
            _scan_value(cur)
            if (cur.line, cur.col) == before:
                cur.col += 1  # malformed: make progress
    elif ch == "{":
        cur.col += 1
        while not cur.at_end():
            cur.skip_ws()
            if cur.at_eol():
                cur.newline()
                continue
            c = cur.peek()
            if c == "}":
                cur.col += 1
                return
            if c == ",":
                cur.col += 1
                continue
            body = cur.bodies[cur.line]
            parsed = _scan_key(body, cur.col)
            if parsed is None:
                cur.col += 1
                continue
            _, col = parsed
            cur.col = col
            cur.skip_ws()
            if cur.peek() == "=":
                cur.col += 1
                cur.skip_ws()
                before = (cur.line, cur.col)
                _scan_value(cur)
                if (cur.line, cur.col) == before:
                    cur.col += 1
    else:
        body = cur.bodies[cur.line] if not cur.at_end() else ""
        start = cur.col
        while cur.col < len(body) and body[cur.col] not in _SCALAR_END:
            cur.col += 1
        # a date and time separated by a space: 1979-05-27 07:32:00
        if _DATE.fullmatch(body[start : cur.col]) and _DATETIME_TAIL.match(body, cur.col):
            cur.col += 1
            while cur.col < len(body) and body[cur.col] not in _SCALAR_END:
                cur.col += 1


def lex(text: str) -> Lexed:
    """Split ``text`` into lines and statements."""
    lines = split_lines(text)
    bodies = [strip_eol(line) for line in lines]
    statements: list[Statement] = []
    owner = [0] * len(lines)
    table: tuple[str, ...] = ()
    regions: list[TableRegion] = []
    region_start = 0
    region_header = -1
    i = 0
    n = len(lines)
    while i < n:
        body = bodies[i]
        stripped = body.lstrip(_WS)
        if not stripped:
            st = Statement("blank", i, i, table)
        elif stripped.startswith("#"):
            st = Statement("comment", i, i, table)
        elif stripped.startswith("["):
            array = stripped.startswith("[[")
            col = len(body) - len(stripped) + (2 if array else 1)
            parsed = _scan_key(body, col)
            name = parsed[0] if parsed else (stripped.strip("[] "),)
            regions.append(TableRegion(table, region_header, region_start, i))
            table = name
            region_start = i
            region_header = i
            st = Statement("header", i, i, table, key=name, array_table=array)
        else:
            col = len(body) - len(stripped)
            parsed = _scan_key(body, col)
            if parsed is None or parsed[1] >= len(body) or body[parsed[1]] != "=":
                st = Statement("invalid", i, i, table)
            else:
                key, col = parsed
                cur = _Cursor(bodies, i, col + 1)
                cur.skip_ws()
                value_col = cur.col
                _scan_value(cur)
                end_line = min(cur.line, n - 1)
                end_col = cur.col if cur.line < n else len(bodies[end_line])
                st = Statement("keyval", i, end_line, table, key=key, value_col=value_col, value_end=(end_line, end_col))
        statements.append(st)
        for j in range(st.first, st.last + 1):
            owner[j] = len(statements) - 1
        i = st.last + 1
    regions.append(TableRegion(table, region_header, region_start, n))
    return Lexed(lines=lines, statements=statements, owner=owner, tables=regions)


_COMMENTED = re.compile(r"^(?P<indent>[ \t]*)#[ \t]*(?P<rest>.*)$", re.S)


def uncommented(body: str) -> tuple[str, str] | None:
    """For a comment line ``  # key = v``: (indent, ``key = v``); None when it is not a single '#' comment."""
    m = _COMMENTED.match(body)
    if not m or m.group("rest").startswith("#"):
        return None
    return m.group("indent"), m.group("rest")


def commented_key(body: str) -> tuple[str, ...] | None:
    """The key of a commented-out one-line assignment (``#key = v``, ``# key = v``), else None."""
    split = uncommented(body)
    if split is None:
        return None
    rest = split[1]
    parsed = _scan_key(rest, 0)
    if parsed is None:
        return None
    key, col = parsed
    if col >= len(rest) or rest[col] != "=":
        return None
    return key


def header_text(name: tuple[str, ...]) -> str:
    """Render a table name as TOML (quoting parts that are not bare keys)."""
    return ".".join(part if _BARE_KEY.fullmatch(part) else '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"' for part in name)


def find_key(lexed: Lexed, table: tuple[str, ...], key: str) -> Statement | None:
    """The active ``key = ...`` statement of ``table``, if any."""
    for st in lexed.statements:
        if st.kind == "keyval" and st.table == table and st.key == (key,):
            return st
    return None


def find_commented(lexed: Lexed, table: tuple[str, ...], key: str) -> Statement | None:
    """The first commented-out one-line ``#key = ...`` of ``table`` whose uncommented text is valid TOML,
    else the first one at all; None when there is none."""
    fallback: Statement | None = None
    for st in lexed.statements:
        if st.kind != "comment" or st.table != table:
            continue
        body = lexed.line_body(st.first)
        if commented_key(body) != (key,):
            continue
        rest = uncommented(body)
        assert rest is not None
        try:
            tomllib.loads(rest[1])
        except tomllib.TOMLDecodeError:
            fallback = fallback or st
            continue
        return st
    return fallback
