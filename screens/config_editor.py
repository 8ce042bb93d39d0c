"""Placeholder until this stage is built."""

from __future__ import annotations

from kata_snp_tui.screens.not_built import NotBuiltScreen


class ConfigEditorScreen(NotBuiltScreen):
    STAGE_ID = "config"
