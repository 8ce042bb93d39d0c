"""A stage that is not built yet says so plainly."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from kata_snp_tui.stages import stage


class NotBuiltScreen(Screen):
    STAGE_ID = ""

    def compose(self) -> ComposeResult:
        s = stage(self.STAGE_ID)
        yield Header()
        with Vertical(id="not-built"):
            yield Static(f"[b]{s.title}[/b]\n\n{s.description}\n\nThis stage is not built yet in this version of kata-snp-tui.")
        yield Footer()
