"""The help screen (F1, or ? when no text field has focus): this screen's keys and what each stage does.

The keys are read from the screen's active bindings (its own, the focused widget's shown ones and
the app's), so the help never drifts from what the keys really do. The stages come from
``kata_snp_tui.stages.STAGES``, the table the welcome screen and the key bindings share.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.markup import escape
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from kata_snp_tui.screens.status_style import asset_css
from kata_snp_tui.stages import STAGES, Stage

#: Where a key works, in the order the help lists them.
SCOPES: tuple[str, ...] = ("screen", "widget", "app")
SCOPE_TITLES: dict[str, str] = {
    "screen": "On this screen",
    "widget": "In the focused field",
    "app": "Everywhere",
}

#: Textual's own screen keys (focus next/previous, copy): listed under "Everywhere", not as this screen's.
_GENERIC_SCREEN_BINDINGS: frozenset[tuple[str, str]] = frozenset(
    (key, binding.action)
    for key, bindings in BindingsMap(Screen.BINDINGS).key_to_bindings.items()
    for binding in bindings
)


@dataclass(frozen=True)
class KeyHelp:
    """One action a key (or several keys) runs on the current screen."""

    keys: tuple[str, ...]
    description: str
    action: str
    #: Where the binding lives: "screen", "widget" (the focused widget or its containers) or "app".
    scope: str
    #: False when the action is bound but not available right now.
    enabled: bool
    #: The node the action runs on (the binding's namespace).
    node: DOMNode

    @property
    def key_text(self) -> str:
        return " / ".join(self.keys)


def screen_keys(screen: Screen, include_app: bool = True) -> list[KeyHelp]:
    """The keys that act on ``screen`` now, one entry per (node, action), keys of one action joined.

    Read from ``screen.active_bindings``: the focused widget's bindings, then the screen's, then the
    app's, as Textual resolves them. Left out: bindings without a description (nothing to explain),
    Textual's system bindings, and the focused widget's hidden bindings (cursor movement and the
    like), except where the screen binds the same key itself (Enter on the welcome screen's list
    opens the stage: the screen's description says what it does).
    """
    app = screen.app
    own = screen._bindings.key_to_bindings  # the screen's own bindings, to describe shadowed keys
    grouped: dict[tuple[int, str], list[tuple[str, Binding, bool]]] = {}
    nodes: dict[tuple[int, str], tuple[DOMNode, str]] = {}
    for key, active in screen.active_bindings.items():
        binding, node, enabled = active.binding, active.node, active.enabled
        scope = _scope(node, screen, app, key, binding)
        if scope == "widget" and not binding.show:
            shadowed = [b for b in own.get(key, ()) if b.description and not b.system]
            if not shadowed:
                continue
            binding, node, scope = shadowed[0], screen, "screen"
        if not binding.description or binding.system:
            continue
        if scope == "app" and not include_app:
            continue
        ident = (id(node), binding.action)
        if ident not in grouped:
            grouped[ident] = []
            nodes[ident] = (node, scope)
        grouped[ident].append((key, binding, enabled))
    keys: list[KeyHelp] = []
    for ident, entries in grouped.items():
        node, scope = nodes[ident]
        first = entries[0][1]
        keys.append(
            KeyHelp(
                keys=tuple(key_display(app, binding, key) for key, binding, _e in entries),
                description=first.description,
                action=first.action,
                scope=scope,
                enabled=any(enabled for _k, _b, enabled in entries),
                node=node,
            )
        )
    keys.sort(key=lambda k: SCOPES.index(k.scope))
    return keys


def _scope(node: DOMNode, screen: Screen, app: App, key: str, binding: Binding) -> str:
    if node is app:
        return "app"
    if node is screen:
        return "app" if (key, binding.action) in _GENERIC_SCREEN_BINDINGS else "screen"
    return "widget"


def key_display(app: App, binding: Binding, key: str) -> str:
    """How a key is written in the help: the binding's own display, else Textual's, F-keys in capitals."""
    if binding.key_display:
        return binding.key_display
    text = app.get_key_display(Binding(key, binding.action, binding.description))
    if len(text) <= 3 and text[:1] == "f" and text[1:].isdigit():
        return text.upper()
    return text


def stage_of(screen: Screen) -> Stage | None:
    """The stage a screen belongs to (its mode), or None for a screen outside the stages."""
    app = screen.app
    mode = app.current_mode
    for s in STAGES:
        if s.id == mode:
            return s
    return None


#: Better words for Textual's own actions where its description is terse.
_DESCRIPTIONS: dict[str, str] = {
    "command_palette": "Command palette: this stage's actions, the stages, the theme",
}


@dataclass(frozen=True)
class HelpRow:
    """One line of the keys table."""

    scope: str
    keys: str
    description: str
    enabled: bool = True


def key_rows(keys: list[KeyHelp]) -> list[HelpRow]:
    """The keys table: in scope order, the stage keys (F2..F7) folded into one row (the stages are listed below)."""
    # In the stages' order, whatever order the bindings came in (a focused widget's own keys come first).
    order = {f"goto('{s.id}')": i for i, s in enumerate(STAGES)}
    stage_keys = sorted((k for k in keys if k.action.startswith("goto(")), key=lambda k: order.get(k.action, len(order)))
    rows = [
        HelpRow(k.scope, k.key_text, _DESCRIPTIONS.get(k.action, k.description), k.enabled)
        for k in keys
        if not k.action.startswith("goto(")
    ]
    if stage_keys:
        names = [k.key_text for k in stage_keys]
        text = f"{names[0]}–{names[-1]}" if len(names) > 2 else " / ".join(names)
        scope = stage_keys[0].scope
        at = next((i for i, r in enumerate(rows) if r.scope == scope), len(rows))
        rows.insert(at, HelpRow(scope, text, "Go to a stage (listed below)"))
    return rows


def stage_title(s: Stage) -> str:
    return f"{s.number}. {s.title}" if s.number else s.title


class HelpScreen(ModalScreen[None]):
    """Keys of the screen it was opened on, and the stages. Esc, q, F1 or ? closes it."""

    CSS_PATH = asset_css("help.tcss")

    BINDINGS = [
        Binding("escape", "close", "Close help"),
        Binding("q", "close", "Close help", show=False),
        Binding("question_mark", "close", "Close help", show=False, key_display="?"),
    ]

    def __init__(self, keys: list[KeyHelp], stage: Stage | None, screen_title: str) -> None:
        super().__init__()
        self.keys = keys
        self.stage = stage
        self.screen_title = screen_title

    @classmethod
    def for_screen(cls, screen: Screen) -> HelpScreen:
        """Help for ``screen`` (read now, before the help covers it)."""
        stage = stage_of(screen)
        if stage is not None:
            title = f"Stage {stage.number}: {stage.title}" if stage.number else stage.title
        else:
            title = screen.title or type(screen).__name__
        return cls(screen_keys(screen), stage, title)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Content.from_markup(f"[b]Help[/b] · {escape(self.screen_title)}"), id="help-title")
            with VerticalScroll(id="help-body"):
                if self.stage is not None:
                    yield Static(Content(self.stage.description), id="help-stage")
                yield from self._compose_keys()
                yield Static(Content.from_markup("[b]Stages[/b]"), classes="help-heading")
                for s in STAGES:
                    yield self._stage_row(s)
            yield Static(
                Content.from_markup("[$text-muted]Esc, q or F1 closes · ↑↓ PgUp PgDn scroll · ctrl+p command palette[/]"),
                id="help-close",
            )

    def _compose_keys(self) -> ComposeResult:
        rows = key_rows(self.keys)
        if not rows:
            yield Static(Content.from_markup("[$text-muted]No keys on this screen.[/]"), classes="help-heading -first")
            return
        first = True
        for scope in SCOPES:
            in_scope = [r for r in rows if r.scope == scope]
            if not in_scope:
                continue
            classes = "help-heading -first" if first else "help-heading"
            first = False
            yield Static(Content.from_markup(f"[b]{SCOPE_TITLES[scope]}[/b]"), classes=classes)
            for row in in_scope:
                description = Content(row.description)
                if not row.enabled:
                    description = Content.from_markup(f"[$text-muted]{escape(row.description)} (not available now)[/]")
                yield Horizontal(
                    Static(Content.from_markup(f"[b $text-primary]{escape(row.keys)}[/]"), classes="help-key"),
                    Static(description, classes="help-description"),
                    classes="help-row",
                )

    def _stage_row(self, s: Stage) -> Horizontal:
        here = self.stage is not None and s.id == self.stage.id
        marker = "[b $text-accent]▶[/]" if here else " "
        key = escape(key_display(self.app, Binding(s.key, "", ""), s.key))
        suffix = "  [$text-muted](you are here)[/]" if here else ""
        return Horizontal(
            Static(Content.from_markup(f"{marker} [b $text-primary]{key}[/]"), classes="help-stage-key"),
            Static(
                Content.from_markup(f"[b]{escape(stage_title(s))}[/b]{suffix}\n{escape(s.description)}"),
                classes="help-stage-text",
            ),
            classes="help-row help-stage-row" + (" -here" if here else ""),
        )

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
