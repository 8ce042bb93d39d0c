"""The verdict in large type: block letters drawn with half-block characters, coloured by the verdict."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.widgets import Static

#: A 5-row bitmap font for the few words a verdict needs ('#' = ink). Rendered two rows per line.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "S": (".###", "#...", ".##.", "...#", "###."),
    "E": ("####", "#...", "###.", "#...", "####"),
    "V": ("#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#"),
    "P": ("###.", "#..#", "###.", "#...", "#..."),
    "O": (".##.", "#..#", "#..#", "#..#", ".##."),
    "-": ("...", "...", "###", "...", "..."),
    " ": ("..", "..", "..", "..", ".."),
    "F": ("####", "#...", "###.", "#...", "#..."),
    "A": (".##.", "#..#", "####", "#..#", "#..#"),
    "I": ("###", ".#.", ".#.", ".#.", "###"),
    "L": ("#...", "#...", "#...", "#...", "####"),
    "D": ("###.", "#..#", "#..#", "#..#", "###."),
    "C": (".###", "#...", "#...", "#...", ".###"),
}
_ROWS = 5

#: What each verdict says in big letters and in words, and its CSS class.
VERDICT_WORDS: dict[str, tuple[str, str]] = {
    "sev-snp": ("SEV-SNP", "SEV-SNP is active in the guest"),
    "sev-es": ("SEV-ES", "SEV-ES only: SNP is NOT active"),
    "sev": ("SEV", "SEV only: SNP is NOT active"),
    "none": ("NONE", "No SEV feature is active in the guest"),
    "failed": ("FAILED", "The run failed"),
    "cancelled": ("CANCELLED", "The run was cancelled"),
}


def block_text(word: str) -> list[str]:
    """``word`` in block letters: three lines of ``█▀▄`` (unknown characters are left out)."""
    glyphs = [_GLYPHS[c] for c in word.upper() if c in _GLYPHS]
    if not glyphs:
        return []
    rows = [" ".join(g[r] for g in glyphs) for r in range(_ROWS)]
    width = len(rows[0])
    rows.append("." * width)
    out: list[str] = []
    for top, bottom in zip(rows[0::2], rows[1::2]):
        line = []
        for a, b in zip(top, bottom):
            line.append({("#", "#"): "█", ("#", "."): "▀", (".", "#"): "▄"}.get((a, b), " "))
        out.append("".join(line))
    return out


class VerdictBanner(Static):
    """Shows nothing useful until a verdict is set; then the verdict word in block letters."""

    DEFAULT_CSS = """
    VerdictBanner { height: auto; width: 1fr; content-align: center middle; text-align: center; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._verdict: str | None = None
        self._caption = "Not run yet"
        self._detail = ""

    def show(self, verdict: str | None, caption: str | None = None, detail: str = "") -> None:
        """``verdict`` None shows only the caption (not run, running)."""
        self._verdict = verdict
        if verdict is not None:
            self._caption = caption or VERDICT_WORDS.get(verdict, (verdict, verdict))[1]
        else:
            self._caption = caption or "Not run yet"
        self._detail = detail
        for cls in ("-sev-snp", "-sev-es", "-sev", "-none", "-failed", "-cancelled", "-idle"):
            self.remove_class(cls)
        self.add_class(f"-{verdict}" if verdict else "-idle")
        self.refresh(layout=True)

    @property
    def verdict(self) -> str | None:
        return self._verdict

    def render(self) -> RenderResult:
        parts: list[str] = []
        if self._verdict is not None:
            word = VERDICT_WORDS.get(self._verdict, (self._verdict.upper(), ""))[0]
            big = block_text(word)
            width = self.content_size.width
            if big and (width == 0 or len(big[0]) <= width):
                parts.extend(big)
            else:  # too narrow for block letters: the word in capitals
                parts.append(word)
        parts.append(self._caption)
        if self._detail:
            parts.append(self._detail)
        return Content("\n".join(parts))
