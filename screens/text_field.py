"""A multi-line text field (TextArea) without the keys the wizard's stage bindings already own.

Textual's TextArea binds F6 (select line) and F7 (select all). The app binds F2..F7 as priority
keys for the stages, so those two never reach the field; but a focused widget's bindings come first
in the screen's active bindings, which put F6 and F7 ahead of F1..F5 in the footer and the help
("F6–F5"). This field drops the keys it cannot have, so the stage keys keep their order wherever
the focus is. Text is still selected with shift+arrows, ctrl+shift+arrows or the mouse.

It also applies its editing keys in typing order however fast they come (screens/ordered_keys.py).
"""

from __future__ import annotations

from dataclasses import replace

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from kata_snp_tui.screens.ordered_keys import run_own_binding

#: TextArea keys that the app's priority bindings take first (the stage keys and F1 help).
SHADOWED_KEYS: frozenset[str] = frozenset({"f1", "f2", "f3", "f4", "f5", "f6", "f7"})


def _bindings_without(keys: frozenset[str]) -> list[Binding]:
    merged = TextArea._merged_bindings
    assert merged is not None
    kept: list[Binding] = []
    for key, bindings in merged.key_to_bindings.items():
        if key in keys:
            continue
        kept.extend(replace(b, key=key) for b in bindings)
    return kept


class TextField(TextArea, inherit_bindings=False):
    """A TextArea whose own bindings leave F1..F7 to the app, and whose editing keys keep their order."""

    BINDINGS = _bindings_without(SHADOWED_KEYS)

    async def _on_key(self, event: events.Key) -> None:
        if await run_own_binding(self, event):
            self._restart_blink()
            return
        await super()._on_key(event)
