"""The state behind the editor screen, kept out of Textual: the file as loaded, which changes are accepted,
the proposed text (patched, maybe edited by hand), and its analysis (aligned diff, validation, per-change
state). The screen renders an :class:`Analysis` and calls these methods with the user's intent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from kata_snp_tui.config.changes import Change, Value
from kata_snp_tui.config.diff import SideBySide, side_by_side, unified_diff
from kata_snp_tui.config.loader import LoadedFile
from kata_snp_tui.config.patcher import ChangeResult, PatchError, PatchResult
from kata_snp_tui.config.targets import EditTarget
from kata_snp_tui.config.validate import Validation

#: Per-change state shown in the list.
WILL_CHANGE = "will change"
ALREADY = "already set"
REJECTED = "rejected"
NOT_APPLIED = "not applied"
UNKNOWN = "?"


@dataclass(frozen=True)
class ChangeView:
    change: Change
    accepted: bool
    #: One of the states above.
    state: str
    #: Line span of the change in the proposed text (None when it is not there).
    proposed_span: tuple[int, int] | None
    #: Line span in the current file.
    current_span: tuple[int, int] | None
    current: str
    detail: str = ""


@dataclass(frozen=True)
class Analysis:
    text: str
    diff: SideBySide
    validation: Validation
    changes: tuple[ChangeView, ...]
    #: Wall time of the re-diff and validation, in milliseconds.
    elapsed_ms: float

    @property
    def dirty(self) -> bool:
        """The proposed text differs from the file."""
        return any(row.tag != "equal" for row in self.diff.rows)


class EditorModel:
    """What the editor holds for one file."""

    def __init__(self, target: EditTarget, loaded: LoadedFile, values: Mapping[str, Value] | None = None) -> None:
        self.target = target
        self.loaded = loaded
        self.values: dict[str, Value] = dict(values or target.default_values())
        self.accepted: set[str] = {c.id for c in target.changes}
        self.hand_edited = False
        self.result: PatchResult = target.patch(loaded.text, self.accepted, self.values)
        self.proposed = self.result.text

    # ------------------------------------------------------------------ intent

    @property
    def original(self) -> str:
        return self.loaded.text

    def toggle(self, change_id: str) -> bool:
        return self.set_accepted(change_id, change_id not in self.accepted)

    def set_accepted(self, change_id: str, accepted: bool) -> bool:
        """Accept or reject one change. Returns True when hand edits had to be dropped to do it."""
        if accepted:
            self.accepted.add(change_id)
        else:
            self.accepted.discard(change_id)
        if not self.hand_edited:
            self._repatch()
            return False
        change = next(c for c in self.target.changes if c.id == change_id)
        # keep the user's hand edits: apply or undo only this change on the current text
        try:
            if accepted:
                self.proposed = self.target.patch(self.proposed, {change_id}, self.values).text
                return False
            if self.target.can_revert:
                self.proposed = self.target.revert(self.proposed, self.original, change)
                return False
        except PatchError:
            return False  # the hand-edited text does not parse; the change waits until it does
        self.hand_edited = False
        self._repatch()
        return True

    def would_drop_edits(self, change_id: str) -> bool:
        """Would toggling this change throw away the hand edits? (Rejecting a change that cannot be
        undone line by line, as containerd's whole tables, re-patches the file as loaded.)"""
        return self.hand_edited and change_id in self.accepted and not self.target.can_revert

    def set_all(self, accepted: bool) -> None:
        self.accepted = {c.id for c in self.target.changes} if accepted else set()
        self.hand_edited = False
        self._repatch()

    def set_values(self, values: Mapping[str, Value]) -> None:
        self.values.update(values)
        if not self.hand_edited:
            self._repatch()
            return
        try:
            changed = {k for k in values if k in self.accepted}
            if changed:
                self.proposed = self.target.patch(self.proposed, changed, self.values).text
        except PatchError:
            pass

    def set_text(self, text: str) -> None:
        """The user edited the proposed side."""
        if text != self.proposed:
            self.proposed = text
            self.hand_edited = text != self.result.text

    def discard_edits(self) -> None:
        self.hand_edited = False
        self._repatch()

    def reload(self, loaded: LoadedFile) -> None:
        self.loaded = loaded
        self.hand_edited = False
        self._repatch()

    def _repatch(self) -> None:
        self.result = self.target.patch(self.original, self.accepted, self.values)
        self.proposed = self.result.text

    # ------------------------------------------------------------------ views

    def analyse(self) -> Analysis:
        start = time.perf_counter()
        text = self.proposed
        diff = side_by_side(self.original, text)
        validation = self.target.validate(text)
        views = self._change_views(text, validation)
        return Analysis(text, diff, validation, views, (time.perf_counter() - start) * 1000)

    def _change_views(self, text: str, validation: Validation) -> tuple[ChangeView, ...]:
        base = {r.id: r for r in self.result.changes}
        now: dict[str, ChangeResult] = {}
        if validation.parses:
            try:
                now = {r.id: r for r in self.target.patch(text, set(), self.values).changes}
            except PatchError:
                now = {}
        views = []
        for change in self.target.changes:
            b = base.get(change.id)
            n = now.get(change.id)
            accepted = change.id in self.accepted
            was_met = b is not None and b.status == "met"
            if n is None:
                state = UNKNOWN
            elif n.met and was_met:
                state = ALREADY
            elif n.met:
                state = WILL_CHANGE
            elif accepted:
                state = NOT_APPLIED
            else:
                state = REJECTED
            detail = b.detail if b is not None and b.status == "failed" else ""
            views.append(
                ChangeView(
                    change=change,
                    accepted=accepted,
                    state=state,
                    proposed_span=n.before if n is not None else None,
                    current_span=b.before if b is not None else None,
                    current=b.current if b is not None else "",
                    detail=detail,
                )
            )
        return tuple(views)

    def unified_diff(self) -> str:
        return unified_diff(self.original, self.proposed, str(self.loaded.path))
