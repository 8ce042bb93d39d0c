"""Properties of the patcher over many variations of real files: lines the change set does not target
stay byte-identical, patching is idempotent, and every accepted change takes effect."""

from __future__ import annotations

import re
import tomllib

from config_helpers import UPSTREAM_CONFIGS, upstream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kata_snp_tui.config.changes import load_change_set
from kata_snp_tui.config.lexer import lex, split_lines
from kata_snp_tui.config.patcher import patch

CHANGES = load_change_set()
IDS = list(CHANGES.ids())
GUIDE_KEYS = {c.key for c in CHANGES.changes}
_COMMENTED_GUIDE_KEY = re.compile(r"^[ \t]*#[ \t]*(" + "|".join(sorted(GUIDE_KEYS)) + r")[ \t]*=")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_comment_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)
_path_value = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=30
).map(lambda s: "/" + s)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A real upstream file with random, valid variations a user's file might have."""
    base = upstream(draw(st.sampled_from(UPSTREAM_CONFIGS)))
    lexed = lex(base)
    out: list[str] = []
    for statement in lexed.statements:
        lines = lexed.lines[statement.first : statement.last + 1]
        if statement.kind == "comment" and _COMMENTED_GUIDE_KEY.match(lines[0]):
            body = lines[0].rstrip("\n").lstrip(" \t")[1:].lstrip(" \t")
            indent = draw(st.sampled_from(["", "", "  ", "\t"]))
            hash_gap = draw(st.sampled_from(["", " ", "   ", "\t"]))
            lines = [f"{indent}#{hash_gap}{body}\n"]
        elif statement.kind == "keyval" and statement.first == statement.last and draw(st.integers(0, 4)) == 0:
            note = draw(_comment_text)
            lines = [lines[0].rstrip("\n") + f"  # {note}\n"]
        out.extend(lines)
        if draw(st.integers(0, 12)) == 0:
            out.append(draw(st.sampled_from(["\n", "# a note of the user's\n", "#\n", "   \n"])))
    text = "".join(out)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text


def _kept(text: str, spans: list[tuple[int, int]]) -> list[str]:
    skip = {i for a, b in spans for i in range(a, b)}
    return [line for i, line in enumerate(split_lines(text)) if i not in skip]


@SETTINGS
@given(text=documents(), accepted=st.sets(st.sampled_from(IDS)), qemu=_path_value, firmware=_path_value)
def test_untargeted_lines_are_byte_identical_and_patching_is_idempotent(
    text: str, accepted: set[str], qemu: str, firmware: str
) -> None:
    tomllib.loads(text)  # the variations keep the file valid
    values = {"path": qemu, "firmware": firmware}
    result = patch(text, accepted, values)
    applied = [r for r in result.changes if r.status == "apply"]
    assert all(r.status != "failed" for r in result.changes)
    # every line the change set does not target is byte-identical, in the same order
    assert _kept(text, [r.before for r in applied if r.before]) == _kept(result.text, [r.after for r in applied if r.after])
    # the result parses and every accepted change took effect
    qemu_table = tomllib.loads(result.text)["hypervisor"]["qemu"]
    wanted = CHANGES.values() | values
    for change in CHANGES.changes:
        if change.id not in accepted:
            continue
        if change.action == "comment":
            assert change.key not in qemu_table
        else:
            assert qemu_table[change.key] == wanted[change.id]
    # idempotent: patching the result again changes nothing
    again = patch(result.text, accepted, values)
    assert again.text == result.text
    assert not any(r.status == "apply" for r in again.changes)
    # line endings: a CRLF file stays CRLF throughout
    if "\r\n" in text:
        assert "\n" not in result.text.replace("\r\n", "")


@SETTINGS
@given(text=documents())
def test_rejected_changes_leave_their_lines_alone(text: str) -> None:
    result = patch(text, set())
    assert result.text == text

