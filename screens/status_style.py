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

#: Textual theme variables, so colours follow the theme.
COLOURS: dict[Status, str] = {
    Status.PASS: "$success",
    Status.WARN: "$warning",
    Status.FAIL: "$error",
    Status.SKIP: "$text-muted",
    Status.INFO: "$accent",
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
