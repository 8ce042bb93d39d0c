"""How a check status looks on screen: an icon and a theme colour (readable in dark and light themes)."""

from __future__ import annotations

from importlib.resources import files

from kata_snp_tui.checks.model import Status

ICONS: dict[Status, str] = {
    Status.PASS: "✔",
    Status.WARN: "▲",
    Status.FAIL: "✖",
    Status.SKIP: "○",
    Status.INFO: "ℹ",
}

#: Textual theme variables, so colours follow the theme. The ``$text-*`` variants are the theme's
#: colours adjusted for text on its background: in textual-light ``$success``/``$warning`` on the
#: background are 1.8:1 and 1.5:1, ``$text-success``/``$text-warning`` 3.8:1 and 3.3:1. INFO uses
#: ``$text-primary`` (10.7:1 light, 7.0:1 dark) rather than ``$accent``, which is also the warning
#: colour in Textual's default themes.
COLOURS: dict[Status, str] = {
    Status.PASS: "$text-success",
    Status.WARN: "$text-warning",
    Status.FAIL: "$text-error",
    Status.SKIP: "$text-muted",
    Status.INFO: "$text-primary",
}


def badge(status: Status) -> str:
    """Content markup for the status icon in its colour."""
    return f"[{COLOURS[status]}]{ICONS[status]}[/]"


def label(status: Status) -> str:
    """Content markup for the status word, bold and coloured."""
    return f"[b {COLOURS[status]}]{status.value.upper()}[/]"


def asset_css(name: str) -> str:
    """The absolute path of a stylesheet in assets/ (screens set CSS_PATH with it)."""
    return str(files("kata_snp_tui.assets") / name)
