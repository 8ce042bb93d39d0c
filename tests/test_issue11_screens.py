"""Issue 11, screen items (Pilot): stage keys in order in footer and help, the troubleshoot search
box ready for a paste on arrival, and public citations only."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files

import pytest
from textual import events
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.knowledge import load_knowledge
from kata_snp_tui.screens.help import key_rows, screen_keys
from kata_snp_tui.stages import STAGES
from kata_snp_tui.troubleshoot import load_known_issues
from screens_helpers import frozen_clock


def _app():  # type: ignore[no-untyped-def]
    return make_app(HostSource("demo"), host=open_host(HostSource("demo")), clock=frozen_clock,
                    run_checks_on_start=False)


def _footer_fkeys(app) -> list[int]:  # type: ignore[no-untyped-def]
    footer = app.screen.query_one(Footer)
    # The app's F1 (help) and the stage keys F2..F7; a screen's own F-keys (F8 edit, F9 install) aside.
    return [int(k.key[1:]) for k in footer.query(FooterKey) if re.fullmatch(r"f[1-7]", k.key)]


def _help_stage_text(app) -> str:  # type: ignore[no-untyped-def]
    rows = [r.keys for r in key_rows(screen_keys(app.screen)) if r.description.startswith("Go to a stage")]
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------- item 7: F2–F7 in order everywhere


@pytest.mark.parametrize("stage", [s.key for s in STAGES])
async def test_stage_keys_in_order_whatever_has_focus(stage: str) -> None:
    app = _app()
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press(stage)
        await pilot.pause()
        screen = app.screen
        focusables = [w for w in screen.query("*") if w.focusable]
        assert focusables
        seen = []
        for widget in focusables:
            widget.focus()
            await pilot.pause()
            if app.focused is not widget:
                continue
            seen.append(type(widget).__name__)
            fkeys = _footer_fkeys(app)
            assert fkeys == sorted(fkeys), (stage, widget, fkeys)
            assert _help_stage_text(app) == "F2–F7", (stage, widget)
        assert seen


async def test_text_fields_keep_the_order_in_the_footer_and_the_help() -> None:
    app = _app()
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("f7")
        app.screen.query_one("#ts-query").focus()  # the troubleshoot search box, a text field
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "ts-query"
        assert _footer_fkeys(app) == [1, 3, 4, 5, 6, 7]
        assert _help_stage_text(app) == "F2–F7"
        await pilot.press("f1")
        await pilot.pause()
        texts = [str(s.render()) for s in app.screen.query(".help-key")]
        assert "F2–F7" in texts and not any("F6–F5" in t for t in texts)
        await pilot.press("escape", "f5", "f8")  # the configuration editor's text field
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "config-editor"
        assert _footer_fkeys(app) == [1, 3, 4, 5, 6, 7]
        assert _help_stage_text(app) == "F2–F7"


# ------------------------------------------------------- item 6: paste into troubleshoot on arrival

ERROR_TEXT = (
    "qemu-system-x86_64: sev_kvm_init: failed to initialize ret=-22 fw_error=0 ''\n"
    "qemu-system-x86_64: failed to initialize kvm: Operation not permitted\n"
)


async def _results(pilot, app) -> str:  # type: ignore[no-untyped-def]
    for _ in range(50):
        await pilot.pause(0.05)
        text = str(app.screen.query_one("#ts-count").render())
        if "match" in text:
            return text
    return str(app.screen.query_one("#ts-count").render())


async def test_paste_right_after_f7_lands_in_the_search_box() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")  # arrive from another stage, as a user does
        await pilot.press("f7")
        app.post_message(events.Paste(ERROR_TEXT))  # the terminal's bracketed paste, no pause
        count = await _results(pilot, app)
        assert app.screen.query_one("#ts-query").text == ERROR_TEXT
        assert "known error(s) match" in count
        rows = " ".join(str(s.render()) for s in app.screen.query("#ts-result-list Static"))
        assert "https://github.com/kata-containers/kata-containers/issues/9672" in rows
        assert "kata-upstream" not in rows and "§" not in rows


async def test_typing_right_after_f7_and_on_every_return() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7", *"Policy is not allowed")
        await _results(pilot, app)
        assert app.screen.query_one("#ts-query").text == "Policy is not allowed"
        app.screen.query_one("#ts-results").focus()
        await pilot.press("f3", "f7", *" fw_error=7")  # coming back: the box has the focus again
        await pilot.pause()
        assert app.screen.query_one("#ts-query").text == "Policy is not allowed fw_error=7"


# --------------------------------------------------------- item 6: citations users see are public

PUBLIC = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/(issues|pull|commit|blob)/\S+")


def _cited_parts() -> list[tuple[str, str]]:
    parts = [(e.id, p.strip()) for e in load_knowledge().errors for p in e.source.split(";")]
    parts += [(i.id, p.strip()) for i in load_known_issues() for p in i.source.split(";")]
    return parts


def test_every_user_visible_citation_is_a_public_url() -> None:
    parts = _cited_parts()
    assert len(parts) > 40
    for ident, part in parts:
        assert "kata-upstream" not in part and "§" not in part and "reference" not in part, (ident, part)
        assert PUBLIC.fullmatch(part) or part.startswith("kata-snp-tui"), (ident, part)
    raw = tomllib.loads(files("kata_snp_tui.assets").joinpath("knowledge.toml").read_text())
    sources = {e["id"]: e["source"] for e in raw["error"]}
    assert "https://github.com/kata-containers/kata-containers/issues/10378" in sources["kernel-x-snp-newer-tree"]


# ------------------------------------------- item 13: the Verify screen's i is offered everywhere

async def _verify_run(pilot, *keys: str):  # type: ignore[no-untyped-def]
    await pilot.press(*keys)
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.screen


def _i_everywhere(screen) -> tuple[bool, bool, bool]:  # type: ignore[no-untyped-def]
    footer = "i" in [k.key for k in screen.query_one(Footer).query(FooterKey)]
    keys_line = " i run again with " in str(screen.query_one("#verify-summary").render())
    panel = "Press i to run again" in " ".join(str(s.render()) for s in screen.query("#verify-report Static"))
    return footer, keys_line, panel


async def test_verify_offers_i_in_footer_keys_line_and_panel_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    app = _app()
    async with app.run_test(size=(200, 40)) as pilot:
        screen = await _verify_run(pilot, "f6")
        assert _i_everywhere(screen) == (False, False, False)  # not run yet: nothing to run again
        screen = await _verify_run(pilot, "r")  # busybox: no tool for the report in the guest
        assert screen.verification.attestation.status == "no-tool"
        assert _i_everywhere(screen) == (True, True, True)
        assert "Run with python image" in [r.description for r in key_rows(screen_keys(screen))]
        screen = await _verify_run(pilot, "i")  # the python image: the report is obtained
        assert screen.verification.attestation.status == "obtained"
        assert _i_everywhere(screen) == (False, False, False)
        runs = screen.verification
        screen = await _verify_run(pilot, "i")  # no longer offered: the key does nothing
        assert screen.verification is runs


# ------------------------------------------- item 13: copying says what OSC 52 can and cannot do


def _notes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("in_tmux", [False, True], ids=["terminal", "tmux"])
async def test_copy_remedy_is_honest_about_osc52_and_keeps_a_file(monkeypatch: pytest.MonkeyPatch,
                                                                   in_tmux: bool) -> None:
    from pathlib import Path

    from screens_helpers import sample_report

    if in_tmux:
        monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    else:
        monkeypatch.delenv("TMUX", raising=False)
    app = make_app(HostSource("live"), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        app.set_checks(sample_report())
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        remedy = app.session.checks.by_id("bios.snp").remedy
        assert app.clipboard == remedy
        (note,) = [n for n in _notes(app) if "bios.snp" in n]
        assert "copied to the clipboard" not in note
        assert "sent to the terminal's clipboard (OSC 52)" in note and "does not support it" in note
        assert ("set -g set-clipboard on" in note) is in_tmux
        kept = Path(re.search(r"the text is also in (\S+?)\.$", note).group(1))
        assert kept.read_text() == remedy + "\n"
        assert kept.stat().st_mode & 0o077 == 0


async def test_build_log_path_says_it_is_shown_as_well(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        for _ in range(100):
            await pilot.pause(0.05)
            if getattr(app.screen, "build", None) is not None:
                break
        await pilot.press("l")
        await pilot.pause()
        (note,) = [n for n in _notes(app) if n.startswith("Full log")]
        assert app.clipboard in note
        assert "(copied)" not in note and "OSC 52" in note and "the text is also shown here" in note
