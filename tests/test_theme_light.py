"""Status colours stay readable in a light theme: snapshots in textual-light and measured contrast."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from kata_snp_tui.app import make_app
from kata_snp_tui.checks.model import Status
from kata_snp_tui.host import HostSource
from kata_snp_tui.screens.status_style import COLOURS
from kata_snp_tui.settings import THEME_ENV
from screens_helpers import sample_report

FROZEN = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def light(monkeypatch: pytest.MonkeyPatch) -> None:
    """textual-light through the environment override, with colours on (NO_COLOR would make it grey)."""
    monkeypatch.setenv(THEME_ENV, "textual-light")
    monkeypatch.delenv("NO_COLOR", raising=False)


def _demo_app():
    return make_app(HostSource("demo"), clock=lambda: FROZEN, run_checks_on_start=True)


def _live_app():
    return make_app(HostSource("live"), clock=lambda: FROZEN, run_checks_on_start=False)


def _demo_checks(stage_key: str | None):
    """The bundled demo host's real checks (a healthy host: pass and info), then the stage."""

    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.session.checks is not None and pilot.app.session.checks.ready
        if stage_key:
            await pilot.press(stage_key)
        await pilot.pause()
        assert pilot.app.theme == "textual-light"

    return run_before


def _every_status(stage_key: str):
    async def run_before(pilot) -> None:
        await pilot.press(stage_key)
        pilot.app.set_checks(sample_report())  # every status once: pass, warn, fail, skip, info
        await pilot.pause()
        assert pilot.app.theme == "textual-light"

    return run_before


def test_snapshot_welcome_light_120x40(snap_compare, light) -> None:
    """The demo host: the "Demo mode" line (a $text-warning label) and the verdict."""
    assert snap_compare(_demo_app(), terminal_size=(120, 40), run_before=_demo_checks(None))


def test_snapshot_checks_light_120x40(snap_compare, light) -> None:
    assert snap_compare(_demo_app(), terminal_size=(120, 40), run_before=_demo_checks("f3"))


def test_snapshot_checks_light_every_status_120x40(snap_compare, light) -> None:
    """A hand-made report with a failure, a warning, a skip and an info, for the colours the demo never shows."""
    assert snap_compare(_live_app(), terminal_size=(120, 40), run_before=_every_status("f3"))


# --------------------------------------------------------------------- measured contrast


def _luminance(c: Color) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def contrast(a: Color, b: Color) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _resolve(variables: dict[str, str], value: str, under: Color) -> Color:
    """A theme variable as Textual paints it over ``under`` ("auto 60%" is the contrast text at 60%)."""
    value = variables.get(value.lstrip("$"), value)
    if m := re.fullmatch(r"auto (\d+)%", value):
        return under + under.get_contrast_text(int(m.group(1)) / 100)
    colour = Color.parse(value)
    return under + colour if colour.a < 1 else colour


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark"])
@pytest.mark.parametrize("status", list(Status))
def test_status_colours_reach_3_to_1_on_the_screens_backgrounds(theme: str, status: Status) -> None:
    """3:1 is WCAG's minimum for large text and symbols; $success/$warning were 1.8 and 1.5 in textual-light."""
    variables = BUILTIN_THEMES[theme].to_color_system().generate()
    for ground in ("background", "surface"):
        under = Color.parse(variables[ground])
        ratio = contrast(_resolve(variables, COLOURS[status], under), under)
        assert ratio >= 3.0, f"{status.value} on ${ground} in {theme}: {ratio:.2f}:1"


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark"])
def test_the_selected_rows_status_icons_stay_visible(theme: str) -> None:
    """The tinted highlight ($primary 20%) of the welcome and checks lists: the solid $primary cursor
    put the fail icon at 1.0:1 in textual-light."""
    variables = BUILTIN_THEMES[theme].to_color_system().generate()
    under = Color.parse(variables["surface"]) + Color.parse(variables["primary"]).with_alpha(0.2)
    ratios = {s: contrast(_resolve(variables, COLOURS[s], under), under) for s in Status}
    assert min(ratios.values()) >= 2.0, ratios
    assert ratios[Status.FAIL] >= 4.5 and ratios[Status.INFO] >= 4.5, ratios
