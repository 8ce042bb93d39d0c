"""The command palette's view of the current stage: every action its keys run, as a command.

``StageActionsProvider`` reads the bindings of the screen the palette was opened on (the same list
the help screen shows, app-wide keys left out: the App's own system commands already offer the
stages and quitting) and runs the chosen action on the node that owns the binding.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from kata_snp_tui.screens.help import KeyHelp, screen_keys, stage_of


class StageDiscoveryHit(DiscoveryHit):
    """A stage action offered when the palette opens: listed before the app-wide commands.

    The palette orders what it shows by score, and every plain discovery hit scores 0.
    """

    @property
    def score(self) -> float:
        return 1.0


class StageActionsProvider(Provider):
    """Commands for the current stage's actions (``Host checks: Re-run checks  [r]``)."""

    def _commands(self) -> list[tuple[str, str, KeyHelp]]:
        screen = self.screen
        stage = stage_of(screen)
        prefix = stage.title if stage is not None else (screen.title or type(screen).__name__)
        commands: list[tuple[str, str, KeyHelp]] = []
        for key in screen_keys(screen, include_app=False):
            if not key.enabled:
                continue
            name = f"{prefix}: {key.description}"
            help_text = f"Key: {key.key_text}"
            commands.append((name, help_text, key))
        return commands

    async def _run(self, key: KeyHelp) -> None:
        await self.app.run_action(key.action, key.node)

    async def discover(self) -> Hits:
        for name, help_text, key in self._commands():
            yield StageDiscoveryHit(name, partial(self._run, key), text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, key in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, key), text=name, help=help_text)
