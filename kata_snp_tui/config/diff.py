"""Line diffs: the aligned rows of the side-by-side view and the unified diff the CLI prints."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from kata_snp_tui.config.lexer import split_lines, strip_eol

EQUAL = "equal"
REPLACE = "replace"
DELETE = "delete"
INSERT = "insert"


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side view: a line on each side, or a blank filler (None) on one side."""

    tag: str
    left: int | None
    right: int | None


@dataclass(frozen=True)
class SideBySide:
    left: list[str]
    right: list[str]
    rows: tuple[Row, ...]

    @property
    def changed_rows(self) -> list[int]:
        return [i for i, row in enumerate(self.rows) if row.tag != EQUAL]

    def row_of_right(self, line: int) -> int | None:
        for i, row in enumerate(self.rows):
            if row.right == line:
                return i
        return None

    def row_of_left(self, line: int) -> int | None:
        for i, row in enumerate(self.rows):
            if row.left == line:
                return i
        return None

    @property
    def stats(self) -> tuple[int, int]:
        """(lines removed or changed on the left, lines added or changed on the right)."""
        removed = sum(1 for r in self.rows if r.tag != EQUAL and r.left is not None)
        added = sum(1 for r in self.rows if r.tag != EQUAL and r.right is not None)
        return removed, added


def side_by_side(before: str, after: str) -> SideBySide:
    """Align ``before`` and ``after`` line by line with difflib's opcodes.

    Lines are compared with their endings, so a changed line ending shows; they are displayed without.
    A replaced block pairs its lines one to one and pads the shorter side with filler rows.
    """
    a = split_lines(before)
    b = split_lines(after)
    # Lines both ends share are equal rows: only the middle goes through difflib, whose matcher is
    # far worse than linear on long files of repeated lines (a 7,000-line config: 260 ms a keystroke).
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    end_a, end_b = len(a), len(b)
    while end_a > head and end_b > head and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    rows: list[Row] = [Row(EQUAL, k, k) for k in range(head)]
    matcher = difflib.SequenceMatcher(None, a[head:end_a], b[head:end_b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
        if tag == "equal":
            rows.extend(Row(EQUAL, i1 + k, j1 + k) for k in range(i2 - i1))
        elif tag == "delete":
            rows.extend(Row(DELETE, i, None) for i in range(i1, i2))
        elif tag == "insert":
            rows.extend(Row(INSERT, None, j) for j in range(j1, j2))
        else:
            n = max(i2 - i1, j2 - j1)
            for k in range(n):
                left = i1 + k if i1 + k < i2 else None
                right = j1 + k if j1 + k < j2 else None
                rows.append(Row(REPLACE, left, right))
    rows.extend(Row(EQUAL, end_a + k, end_b + k) for k in range(len(a) - end_a))
    return SideBySide([strip_eol(x) for x in a], [strip_eol(x) for x in b], tuple(rows))


def unified_diff(before: str, after: str, path: str, context: int = 3,
                 labels: tuple[str, str] = ("current", "proposed")) -> str:
    """A unified diff of ``before`` -> ``after`` labelled with ``path`` and what each side is (empty when
    they are equal): a preview compares the current file with the proposed text; a record of a write
    compares the file before it (kept as the backup) with the file as written (:func:`written_labels`)."""
    a = [strip_eol(x) + "\n" for x in split_lines(before)]
    b = [strip_eol(x) + "\n" for x in split_lines(after)]
    if before == after:
        return ""
    old, new = labels
    lines = list(difflib.unified_diff(a, b, fromfile=f"{path} ({old})", tofile=f"{path} ({new})", n=context))
    if not lines and before != after:
        return f"--- {path} ({old})\n+++ {path} ({new})\n(only line endings or the final newline differ)\n"
    return "".join(lines)


def written_labels(backup: object, what: str = "saved") -> tuple[str, str]:
    """The two sides of a write's diff: the file before it (and where its backup is), the file after it."""
    before = f"before, kept as {backup}" if backup else "before (no backup: the file was new)"
    return before, what
