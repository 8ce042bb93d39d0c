"""Text fields that apply keys in the order they were typed, however fast they come.

Textual's Input and TextArea insert a printable character in ``_on_key`` at once, but a bound key
(backspace, delete, arrows, home/end, ctrl+k ...) is only acted on when its Key event has bubbled up to
the app, which then runs the binding. Keys that arrive in one burst (tmux send-keys, key repeat, a macro,
a loaded machine) are all queued before the first bubbled event comes back, so characters typed after a
backspace are inserted before the backspace runs: 8 backspaces then ``12345678`` typed at the end of a
line gave ``12345678`` at its start (Textualize/textual#6605, still open in 8.2.8). These fields run
their own (non-priority) bindings inline in ``_on_key`` instead, so every key is applied in order; keys
they do not bind still bubble as before, and priority bindings (the app's stage keys) are checked by the
app before the event reaches the field, as always.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run ``widget``'s own binding for ``event`` now; True when one handled it (the event is then spent)."""
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if binding.priority:
            continue
        if await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


class OrderedInput(Input):
    """An Input whose editing keys are applied in typing order (see the module's note)."""

    async def _on_key(self, event: events.Key) -> None:
        if await run_own_binding(self, event):
            self._restart_blink()
            return
        await super()._on_key(event)
