"""Apply the guide's changes to a configuration.toml, touching only the lines that must change.

``patch(text, accepted_ids, values)`` returns the proposed text and, for each change, what it does and
which lines it covers before and after. Only the target lines are rewritten:

* an active ``key = value`` whose value differs gets the new value in place (indentation, spacing
  around ``=``, quote style where possible, inline comment and line ending stay);
* a commented-out ``#key = ...`` / ``# key = ...`` line (any spacing) is uncommented in place;
* an active line to disable becomes ``# key = ...`` (the guide's form);
* a key the file does not have at all (newer releases dropped ``initrd``, ``confidential_guest`` and
  ``sev_snp_guest``) is inserted into ``[hypervisor.qemu]`` beside related keys (see assets/changes.toml).

Every other byte is kept: comments, blank lines, order, CRLF endings. Patching a patched file changes
nothing. Values are rendered as TOML literals with tomlkit, and the result is parsed back to check that
each accepted change took effect.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import tomlkit
import tomlkit.exceptions

from kata_snp_tui.config.changes import Change, ChangeSet, Value, load_change_set
from kata_snp_tui.config.lexer import (
    Lexed,
    Statement,
    dominant_eol,
    eol_of,
    find_commented,
    find_key,
    header_text,
    lex,
    strip_eol,
    uncommented,
)
from kata_snp_tui.errors import UserError

if TYPE_CHECKING:
    from kata_snp_tui.config.validate import Finding

#: A half-open range of 0-based line numbers.
LineSpan = tuple[int, int]
#: Finding codes PatchResult.flags() reports (see validate.py).
FLAG_CODES = frozenset(
    {
        "unknown-key",
        "unknown-table",
        "image-and-initrd",
        "no-image-or-initrd",
        "virtio-fs-without-daemon",
        "shared-fs",
        "snp-without-confidential",
        "confidential-without-firmware",
        "confidential-virtio-fs",
        "confidential-file-mem",
    }
)


class PatchError(UserError):
    """The document cannot be patched (it does not parse, or it has no [hypervisor.qemu])."""


@dataclass(frozen=True)
class ChangeResult:
    change: Change
    accepted: bool
    #: "met" (the file already does what the guide asks), "apply" (accepted and applied),
    #: "rejected" (not accepted, not met) or "failed" (accepted but did not take effect: see detail).
    status: str
    #: "set value", "uncomment", "uncomment and set value", "comment out", "insert" or "" (nothing to do).
    action: str
    #: How the key looks in the input: 'is "virtio-fs"', "commented out", "absent".
    current: str
    #: Lines of the input the change replaces (an empty span at the insertion point for an insert).
    before: LineSpan | None = None
    #: Lines of the output the change produced (None when it produced nothing).
    after: LineSpan | None = None
    old_text: str = ""
    new_text: str = ""
    detail: str = ""
    #: The value a "set" change writes.
    value: Value | None = None

    @property
    def id(self) -> str:
        return self.change.id

    @property
    def met(self) -> bool:
        return self.status == "met"

    @property
    def wanted(self) -> str:
        """What the guide wants, as a line of TOML (or in words)."""
        if self.change.want:
            return self.change.want.replace("{value}", render_value(self.value))
        if self.change.action == "comment":
            return f"# {self.change.key} = ... (commented out)"
        return f"{self.change.key} = {render_value(self.value)}"


@dataclass(frozen=True)
class PatchResult:
    original: str
    text: str
    changes: tuple[ChangeResult, ...]
    table: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def get(self, change_id: str) -> ChangeResult:
        for result in self.changes:
            if result.id == change_id:
                return result
        raise KeyError(change_id)

    @property
    def all_met(self) -> bool:
        return all(r.met for r in self.changes)

    def flags(self) -> tuple[Finding, ...]:
        """What is wrong with the patched text that no change fixes: keys and tables Kata does not know
        (it ignores them silently) and settings that contradict each other (validate.py)."""
        from kata_snp_tui.config.validate import validate

        return tuple(f for f in validate(self.text, exists=None).findings if f.code in FLAG_CODES)


# --------------------------------------------------------------------------- value helpers


def render_value(value: Value | None, like: str | None = None) -> str:
    """``value`` as a TOML literal; a string keeps the literal-quote style of ``like`` when it can."""
    if value is None:
        return '""'
    if isinstance(value, str) and like is not None and like.startswith("'") and not like.startswith("'''"):
        if "'" not in value and "\n" not in value and "\r" not in value:
            return f"'{value}'"
    return tomlkit.item(value).as_string()


def same_value(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def describe_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return tomlkit.item(value).as_string()
    return repr(value)


def _parse_one(text: str) -> dict[str, object] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def parse_written(text: str) -> dict[str, object] | None:
    """Parse text about to be written with tomlkit (the library that writes TOML in this project): it must
    round-trip byte for byte and give the values tomllib gives. None when either fails."""
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError:
        return None
    if document.as_string() != text:
        return None
    values = document.unwrap()
    return values if values == _parse_one(text) else None


def _table_of(doc: Mapping[str, object], table: tuple[str, ...]) -> Mapping[str, object] | None:
    node: object = doc
    for part in table:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Mapping) else None


def parse_document(text: str, table: tuple[str, ...] = ("hypervisor", "qemu")) -> dict[str, object]:
    """Parse ``text`` (tomllib) and insist on ``table``; PatchError with the reason otherwise."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PatchError(f"not valid TOML: {exc}") from None
    if _table_of(doc, table) is None:
        raise PatchError(f"no [{header_text(table)}] table: this is not a Kata QEMU configuration")
    return doc


# --------------------------------------------------------------------------- editing plan


@dataclass
class _Item:
    """One output line and the change that produced it (None: an input line kept as it was)."""

    text: str
    owner: str | None = None


@dataclass
class _Plan:
    lexed: Lexed
    eol: str
    #: input line index -> replacement lines (an empty list deletes the line)
    replace: dict[int, list[_Item]] = field(default_factory=dict)
    #: slot k (between input lines k-1 and k) -> inserted lines in order
    slots: dict[int, list[_Item]] = field(default_factory=dict)
    #: change id -> slot it was inserted into
    inserted: dict[str, int] = field(default_factory=dict)

    def assemble(self) -> list[_Item]:
        out: list[_Item] = []
        lines = self.lexed.lines
        for k in range(len(lines) + 1):
            if k in self.slots:
                if out and not out[-1].text.endswith("\n"):
                    out[-1] = _Item(out[-1].text + self.eol, out[-1].owner)
                out.extend(self.slots[k])
            if k == len(lines):
                break
            if k in self.replace:
                out.extend(self.replace[k])
            else:
                if out and not out[-1].text.endswith("\n"):
                    out[-1] = _Item(out[-1].text + self.eol, out[-1].owner)
                out.append(_Item(lines[k]))
        return out


def _indent_of(body: str) -> str:
    return body[: len(body) - len(body.lstrip(" \t"))]


def _set_value_in_statement(lexed: Lexed, st: Statement, value: Value) -> str:
    """The statement rewritten as one line with ``value`` in place of its old value."""
    first = lexed.line_body(st.first)
    end_line, end_col = st.value_end
    last_line = lexed.lines[end_line]
    last_body = strip_eol(last_line)
    old_literal = first[st.value_col : end_col] if end_line == st.first else first[st.value_col :]
    return first[: st.value_col] + render_value(value, old_literal) + last_body[end_col:] + eol_of(last_line)


def _uncomment_line(body: str, eol: str, key: str, value: Value | None) -> str:
    """``  # key = old  # note`` -> ``  key = value  # note`` (value kept when None or already equal)."""
    split = uncommented(body)
    assert split is not None
    indent, rest = split
    if value is None:
        return indent + rest + eol
    parsed = _parse_one(rest)
    if parsed is not None and key in parsed and same_value(parsed[key], value):
        return indent + rest + eol
    if parsed is not None and key in parsed:
        one = lex(rest)
        st = one.statements[0]
        return indent + _set_value_in_statement(one, st, value) + eol
    return f"{indent}{key} = {render_value(value)}{eol}"


def _comment_out(lexed: Lexed, st: Statement) -> list[str]:
    out = []
    for i in range(st.first, st.last + 1):
        body = lexed.line_body(i)
        indent = _indent_of(body)
        out.append(f"{indent}# {body[len(indent):]}{eol_of(lexed.lines[i])}")
    return out


def _statement_text(lexed: Lexed, st: Statement | None) -> str:
    if st is None:
        return ""
    return "".join(lexed.lines[st.first : st.last + 1])


def _anchor(lexed: Lexed, table: tuple[str, ...], key: str) -> Statement | None:
    return find_key(lexed, table, key) or find_commented(lexed, table, key)


def _insertion_point(plan: _Plan, table: tuple[str, ...], change: Change) -> tuple[int, int, str]:
    """(slot, position in the slot, indentation) for an absent key."""
    lexed = plan.lexed
    for key in change.insert_after:
        if key in plan.inserted:
            slot = plan.inserted[key]
            items = plan.slots[slot]
            pos = max(i for i, item in enumerate(items) if item.owner == key) + 1
            return slot, pos, _indent_of(strip_eol(items[pos - 1].text))
        st = _anchor(lexed, table, key)
        if st is not None:
            body = lexed.line_body(st.first)
            indent = _indent_of(body)
            slot = st.last + 1
            return slot, 0, indent
    for key in change.insert_before:
        if key in plan.inserted:
            slot = plan.inserted[key]
            items = plan.slots[slot]
            pos = min(i for i, item in enumerate(items) if item.owner == key)
            return slot, pos, _indent_of(strip_eol(items[pos].text))
        st = _anchor(lexed, table, key)
        if st is not None:
            slot = st.first
            return slot, len(plan.slots.get(slot, [])), _indent_of(lexed.line_body(st.first))
    # the end of the table: after its last key/value statement, else right after the header
    region = lexed.table(table)
    assert region is not None
    last: Statement | None = None
    for st in lexed.statements:
        if st.table == table and st.kind == "keyval":
            last = st
    if last is not None:
        return last.last + 1, len(plan.slots.get(last.last + 1, [])), _indent_of(lexed.line_body(last.first))
    return region.header + 1, 0, ""


def _current(active: Statement | None, commented: Statement | None, value: object) -> str:
    if active is not None:
        return f"is {describe_value(value)}"
    if commented is not None:
        return "commented out"
    return "absent"


def patch(
    text: str,
    accepted_ids: Collection[str] | None = None,
    values: Mapping[str, Value] | None = None,
    change_set: ChangeSet | None = None,
) -> PatchResult:
    """Apply the accepted changes (all when ``accepted_ids`` is None) to ``text``.

    ``values`` maps a change id to the value it sets (from :meth:`ChangeSet.values`); a change missing
    from it uses the guide's default. Raises PatchError when ``text`` is not valid TOML or has no table
    the changes apply to.
    """
    cs = change_set or load_change_set()
    table = cs.table
    accepted = set(cs.ids() if accepted_ids is None else accepted_ids)
    wanted_values = dict(cs.values())
    if values:
        wanted_values.update({k: v for k, v in values.items() if v is not None})
    doc = parse_document(text, table)
    qemu = _table_of(doc, table) or {}
    lexed = lex(text)
    plan = _Plan(lexed=lexed, eol=dominant_eol(lexed.lines))
    results: list[ChangeResult] = []

    for change in cs.changes:
        active = find_key(lexed, table, change.key)
        commented = None if active is not None else find_commented(lexed, table, change.key)
        present = change.key in qemu
        current_value = qemu.get(change.key)
        current = _current(active, commented, current_value)
        want = wanted_values.get(change.id) if change.action == "set" else None
        if change.action == "set":
            met = present and same_value(current_value, want)
        else:
            met = not present
        is_accepted = change.id in accepted
        base = dict(change=change, accepted=is_accepted, current=current, value=want)
        if met:
            span = (active.first, active.last + 1) if active else ((commented.first, commented.first + 1) if commented else None)
            results.append(ChangeResult(status="met", action="", before=span, old_text=_statement_text(lexed, active or commented), **base))
            continue
        if not is_accepted:
            span = (active.first, active.last + 1) if active else ((commented.first, commented.first + 1) if commented else None)
            results.append(ChangeResult(status="rejected", action="", before=span, old_text=_statement_text(lexed, active or commented), **base))
            continue
        if present and active is None:
            # e.g. a dotted key in a parent table: not a line this patcher can rewrite safely
            results.append(
                ChangeResult(
                    status="failed",
                    action="",
                    detail=f"{change.key} is set in a form this editor does not rewrite (a dotted key or an inline table); edit it by hand",
                    **base,
                )
            )
            continue
        if change.action == "comment":
            assert active is not None
            new_lines = _comment_out(lexed, active)
            action = "comment out"
            old = _statement_text(lexed, active)
            _replace(plan, active, new_lines, change.id)
            results.append(ChangeResult(status="apply", action=action, before=active.span, old_text=old, new_text="".join(new_lines), **base))
        elif active is not None:
            assert want is not None
            new_line = _set_value_in_statement(lexed, active, want)
            old = _statement_text(lexed, active)
            _replace(plan, active, [new_line], change.id)
            results.append(ChangeResult(status="apply", action="set value", before=active.span, old_text=old, new_text=new_line, **base))
        elif commented is not None:
            body = lexed.line_body(commented.first)
            new_line = _uncomment_line(body, eol_of(lexed.lines[commented.first]), change.key, want)
            rest = uncommented(body)
            parsed = _parse_one(rest[1]) if rest else None
            action = "uncomment"
            if not (parsed and change.key in parsed and same_value(parsed[change.key], want)):
                action = "uncomment and set value"
            _replace(plan, commented, [new_line], change.id)
            results.append(
                ChangeResult(status="apply", action=action, before=commented.span, old_text=_statement_text(lexed, commented), new_text=new_line, **base)
            )
        else:
            slot, pos, indent = _insertion_point(plan, table, change)
            new_line = f"{indent}{change.key} = {render_value(want)}{plan.eol}"
            plan.slots.setdefault(slot, []).insert(pos, _Item(new_line, change.id))
            plan.inserted[change.key] = slot
            results.append(ChangeResult(status="apply", action="insert", before=(slot, slot), new_text=new_line, **base))

    items = plan.assemble()
    out_text = "".join(item.text for item in items)
    spans: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.owner is not None:
            spans.setdefault(item.owner, []).append(index)
    final = _verify(out_text, table, results, spans, wanted_values)
    return PatchResult(original=text, text=out_text, changes=tuple(final), table=table)


def _replace(plan: _Plan, st: Statement, new_lines: list[str], owner: str) -> None:
    plan.replace[st.first] = [_Item(line, owner) for line in new_lines]
    for i in range(st.first + 1, st.last + 1):
        plan.replace[i] = []


def _verify(
    text: str,
    table: tuple[str, ...],
    results: list[ChangeResult],
    spans: Mapping[str, list[int]],
    wanted: Mapping[str, Value],
) -> list[ChangeResult]:
    """Attach output spans and check, by parsing the output, that every applied change took effect."""
    doc = parse_written(text) if any(r.status == "apply" for r in results) else _parse_one(text)
    qemu = _table_of(doc, table) if doc is not None else None
    final: list[ChangeResult] = []
    for result in results:
        lines = spans.get(result.id)
        after = (min(lines), max(lines) + 1) if lines else None
        status, detail = result.status, result.detail
        if status == "apply":
            if qemu is None:
                status, detail = "failed", "the result would not parse as TOML"
            elif result.change.action == "comment" and result.change.key in qemu:
                status, detail = "failed", f"{result.change.key} is still set after commenting it out"
            elif result.change.action == "set" and not same_value(qemu.get(result.change.key), wanted.get(result.id)):
                status, detail = "failed", f"{result.change.key} did not take the new value"
        if status == "met" and result.before is not None and after is None:
            after = result.before
        final.append(
            ChangeResult(
                change=result.change,
                accepted=result.accepted,
                status=status,
                action=result.action,
                current=result.current,
                before=result.before,
                after=after,
                old_text=result.old_text,
                new_text=result.new_text,
                detail=detail,
                value=result.value,
            )
        )
    if doc is None:
        raise PatchError("internal error: the patched document does not parse; nothing was changed")
    return final


# --------------------------------------------------------------------------- undoing one change


def revert_change(text: str, original: str, change: Change, table: tuple[str, ...] = ("hypervisor", "qemu")) -> str:
    """Put ``change.key`` in ``text`` back the way it is in ``original``, leaving every other line alone.

    Used when the user rejects a change after editing the proposed text by hand, so the hand edits stay.
    Returns ``text`` unchanged when it does not parse or the key cannot be located.
    """
    if _parse_one(text) is None or _parse_one(original) is None:
        return text
    now = lex(text)
    was = lex(original)
    now_active = find_key(now, table, change.key)
    now_commented = None if now_active else find_commented(now, table, change.key)
    was_active = find_key(was, table, change.key)
    was_commented = None if was_active else find_commented(was, table, change.key)
    target = now_active or now_commented
    if was_active is not None:
        replacement = _statement_text(was, was_active)
    elif was_commented is not None:
        replacement = _statement_text(was, was_commented)
    else:
        replacement = ""
    if target is None:
        return text
    if now_active is None and was_active is None:
        return text  # commented in both: nothing to undo
    lines = list(now.lines)
    if replacement and not replacement.endswith("\n") and target.last + 1 < len(lines):
        replacement += dominant_eol(lines)
    lines[target.first : target.last + 1] = [replacement] if replacement else []
    return "".join(lines)
