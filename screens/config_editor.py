"""Stage 3: the guide's changes to configuration.toml, side by side, each accepted or rejected, saved safely.

Left: the list of changes (space accepts or rejects one). Right: the current file and the proposed file
aligned line by line. F8 opens the proposed text in an editor; it is re-diffed and validated as you type.
ctrl+s saves (atomically, with a backup, through sudo for a root-owned file), ctrl+r restores a backup,
ctrl+t switches between Kata's configuration.toml and containerd's config.toml.

Everything shown is computed by the engine (kata_snp_tui.config); file access and sudo run in workers.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from kata_snp_tui.atomic import ChangedOnDisk
from kata_snp_tui.config.changes import load_change_set
from kata_snp_tui.config.diff import SideBySide, side_by_side, unified_diff, written_labels
from kata_snp_tui.config.discovery import install_default
from kata_snp_tui.config.editor import ALREADY, NOT_APPLIED, UNKNOWN, WILL_CHANGE, Analysis, ChangeView, EditorModel
from kata_snp_tui.config.loader import LoadedFile, NeedsPrivilege, load_file
from kata_snp_tui.config.patcher import PatchError
from kata_snp_tui.config.record import AppliedConfig
from kata_snp_tui.config.record import persist as persist_applied
from kata_snp_tui.config.sudo import Sudo, SudoAuthFailed
from kata_snp_tui.config.targets import CONTAINERD, KATA, EditTarget, Targets, resolve_targets
from kata_snp_tui.config.validate import ERROR, INFO, WARNING, Finding
from kata_snp_tui.config.writer import backups_of, can_write_directly, read_backup, read_privileged, restore_file, save_file
from kata_snp_tui.errors import UserError
from kata_snp_tui.screens.change_list import STATE_MARKS, ChangeList
from kata_snp_tui.screens.config_dialogs import ConfirmDialog, PathsDialog, RestoreDialog
from kata_snp_tui.screens.confirm import ConfirmScreen
from kata_snp_tui.screens.password import PasswordScreen
from kata_snp_tui.screens.diff_view import DiffView
from kata_snp_tui.screens.status_style import asset_css
from kata_snp_tui.screens.text_field import TextField

LEVEL_MARKS = {ERROR: ("✖", "$error"), WARNING: ("▲", "$warning"), INFO: ("ℹ", "$accent")}
#: Below this width the list of changes goes above the diff.
NARROW = 100
#: Seconds of quiet typing before the proposed text is re-diffed and validated.
DEBOUNCE = 0.15
PATH_LABELS = {
    "qemu": "QEMU (path)",
    "firmware": "OVMF firmware (firmware)",
    "kernel": "Guest kernel (kernel)",
    "initrd": "Initrd (initrd)",
    "config_path": "Kata configuration for the kata runtime (ConfigPath)",
}


class ConfigEditorScreen(Screen):
    STAGE_ID = "config"
    CSS_PATH = asset_css("config_editor.tcss")

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("f8", "toggle_edit", "Edit text", priority=True),
        Binding("ctrl+t", "switch_file", "Kata/containerd", priority=True),
        Binding("ctrl+o", "paths", "Paths", priority=True),
        Binding("ctrl+r", "restore", "Restore", priority=True),
        Binding("ctrl+l", "reload", "Reload", priority=True),
        Binding("f9", "install", "Install /etc copy", priority=True),
    ]

    #: Where discovery looks for etc/ and usr/share/ (tests point it at a temporary folder).
    SEARCH_ROOT: Path = Path("/")

    editing: reactive[bool] = reactive(False)
    kind: reactive[str] = reactive(KATA)

    def __init__(self) -> None:
        super().__init__()
        self.targets: Targets | None = None
        self.models: dict[str, EditorModel] = {}
        #: Why a file cannot be edited (missing, invalid, root only ...), by kind.
        self.problems: dict[str, str] = {}
        self.analysis: Analysis | None = None
        #: Milliseconds the last re-diff and validation took (measured, never shown in snapshots).
        self.last_analysis_ms: float = 0.0
        self._debounce: Timer | None = None
        self._overrides: dict[str, dict[str, str]] = {KATA: {}, CONTAINERD: {}}
        #: The session's build profile (kata_snp_tui.profiles.ProfileChoice), once the files are resolved.
        self.profile = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="config-file-bar")
        with Horizontal(id="config-body"):
            with Vertical(id="config-side"):
                yield ChangeList(id="config-changes")
                yield Static(id="config-change-details")
            with Vertical(id="config-main"):
                with Horizontal(id="config-diff-titles"):
                    yield Static("Current", id="config-title-left")
                    yield Static("Proposed", id="config-title-right")
                yield DiffView(id="config-diff")
                editor = TextField(language="toml", id="config-editor", soft_wrap=False, show_line_numbers=True, tab_behavior="focus")
                editor.cursor_blink = False
                yield editor
        yield OptionList(id="config-findings")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#config-changes", ChangeList).border_title = "Changes"
        self.query_one("#config-editor", TextArea).border_title = "Editing the proposed file · F8 back to the changes"
        self.query_one("#config-findings", OptionList).border_title = "Proposed file"
        self._apply_width(self.size.width or self.app.size.width)
        self.query_one("#config-file-bar", Static).update("[$text-muted]Reading the configuration…[/]")
        self._open_targets()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def on_screen_resume(self) -> None:
        """Back from another stage: validate the proposed file again, since a build step run meanwhile may
        have made the files its paths name (the editor's text and the selection are kept)."""
        if self.model is not None:
            self._after_typing(self._revalidate)

    def _revalidate(self) -> None:
        if self.model is None:
            return
        self._sync_from_editor()
        self._analyse_now(update_editor=False)

    def _apply_width(self, width: int) -> None:
        self.set_class(width < NARROW, "narrow")

    def watch_editing(self, editing: bool) -> None:
        self.set_class(editing, "editing")
        if editing:
            self.query_one("#config-editor", TextArea).focus()
        else:
            self.query_one("#config-changes", ChangeList).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        target = self.target
        if action == "install":
            return bool(target and target.discovery and target.discovery.offer_install and self.app.source.kind == "live")
        if action == "paths":
            return True
        if action == "toggle_edit":
            return self.model is not None
        return True

    # ------------------------------------------------------------------ state

    @property
    def target(self) -> EditTarget | None:
        return self.targets.get(self.kind) if self.targets else None

    @property
    def model(self) -> EditorModel | None:
        return self.models.get(self.kind)

    @property
    def ready(self) -> bool:
        """Both files are loaded (or known to be unavailable) and the current one is analysed."""
        loaded = all(kind in self.models or kind in self.problems for kind in (KATA, CONTAINERD))
        return self.targets is not None and loaded and (self.analysis is not None or self.kind in self.problems)

    @work(thread=True, exclusive=True, group="config-open", exit_on_error=False)
    def _open_targets(self) -> None:
        source = self.app.source
        host_exists = self.app.host.exists if source.kind == "demo" else None
        # the session's profile decides which changes are proposed (guide-3.2: the guide's eleven)
        choose = getattr(self.app, "profile_choice", None)
        self.profile = choose() if callable(choose) else None
        change_set = load_change_set(self.profile.profile.changes) if self.profile is not None else None
        targets = resolve_targets(source.kind, host_exists=host_exists, root=self.SEARCH_ROOT, change_set=change_set)
        self.app.call_from_thread(self._targets_ready, targets)

    def _targets_ready(self, targets: Targets) -> None:
        self.targets = targets
        self._load(KATA)
        self._load(CONTAINERD)

    @work(exclusive=False, group="config-load", exit_on_error=False)
    async def _load(self, kind: str, privileged: bool = False) -> None:
        assert self.targets is not None
        target = self.targets.get(kind)
        if target.path is None:
            self.problems[kind] = target.note or "no file to edit"
            self.models.pop(kind, None)
            self._after_change(kind)
            return
        path = target.path
        try:
            try:
                loaded = await asyncio.to_thread(load_file, path)
            except NeedsPrivilege:
                if not privileged:
                    raise
                sudo = await self._sudo_for(f"Reading {path}")
                if sudo is None:
                    raise NeedsPrivilege(f"{path} is readable only by root") from None
                loaded = await asyncio.to_thread(load_file, path, lambda p: read_privileged(p, sudo))
            if kind == KATA and self.profile is not None:
                target = self._refine_profile(target, loaded)
            values = target.default_values(self._overrides[kind] or None)
            model = await asyncio.to_thread(EditorModel, target, loaded, values)
        except NeedsPrivilege as exc:
            self.problems[kind] = f"{exc}: press ctrl+l to read it through sudo"
            self.models.pop(kind, None)
        except UserError as exc:
            if target.note and str(exc) in target.note:
                self.problems[kind] = target.note
            else:
                self.problems[kind] = f"{exc} — {target.note}" if target.note else str(exc)
            self.models.pop(kind, None)
        else:
            self.problems.pop(kind, None)
            self.models[kind] = model
        self._after_change(kind)
        self.refresh_bindings()  # which keys apply depends on whether the file loaded

    def _after_change(self, kind: str) -> None:
        if kind == self.kind:
            self._analyse_now(update_editor=True)

    # ------------------------------------------------------------------ analysis and rendering

    def _analyse_now(self, update_editor: bool = False) -> None:
        model = self.model
        if model is None:
            self.analysis = None
            self._draw_empty()
            return
        analysis = model.analyse()
        self.analysis = analysis
        self._publish_unsaved()
        self.last_analysis_ms = analysis.elapsed_ms
        self.log(f"config: re-diff and validation took {analysis.elapsed_ms:.1f} ms")
        self._draw(analysis, update_editor)

    def _draw_empty(self) -> None:
        self.query_one("#config-changes", ChangeList).show(())
        self.query_one("#config-diff", DiffView).show(_empty_diff())
        self.query_one("#config-change-details", Static).update("")
        findings = self.query_one("#config-findings", OptionList)
        findings.border_title = "Where the file was looked for"
        options: list[Option] = []
        target = self.target
        if target is not None and target.discovery is not None:
            for c in target.discovery.candidates:
                mark = "[$success]✔[/]" if c.exists else "[$error]✖[/]"
                options.append(Option(f"{mark} {escape(str(c.path))}  [$text-muted]({c.label}{'' if c.exists else ', missing'})[/]", disabled=True))
        elif target is not None and target.path is not None:
            mark = "[$success]✔[/]" if target.path.exists() else "[$error]✖[/]"
            options.append(Option(f"{mark} {escape(str(target.path))}", disabled=True))
        findings.set_options(options)
        problem = self.problems.get(self.kind, "")
        self._draw_file_bar(problem)

    def _draw(self, analysis: Analysis, update_editor: bool) -> None:
        changes = self.query_one("#config-changes", ChangeList)
        changes.show(analysis.changes)
        self.query_one("#config-diff", DiffView).show(analysis.diff)
        if update_editor:
            editor = self.query_one("#config-editor", TextArea)
            if editor.text != analysis.text:
                cursor = editor.cursor_location
                editor.load_text(analysis.text)
                last = max(0, editor.document.line_count - 1)
                editor.cursor_location = (min(cursor[0], last), 0)
        self._draw_findings(analysis)
        self._draw_details()
        self._draw_file_bar()

    def _draw_file_bar(self, problem: str = "") -> None:
        target = self.target
        other = "containerd config.toml" if self.kind == KATA else "Kata configuration.toml"
        if target is None:
            self.query_one("#config-file-bar", Static).update("[$text-muted]Reading the configuration…[/]")
            return
        title = "[b]Kata[/b]" if self.kind == KATA else "[b]containerd[/b]"
        if target.demo_copy:
            where = f"[$warning]demo copy[/] of {escape(target.stands_for)}"
        else:
            where = escape(str(target.path)) if target.path else escape(target.label)
        line1 = f"{title} · {where}"
        # the profile whose changes are proposed, over the proposed side (the file bar has no room at 80 columns)
        proposed = "Proposed"
        if self.profile is not None and self.kind == KATA:
            proposed += f" · profile {self.profile.profile.id}"
        self.query_one("#config-title-right", Static).update(proposed)
        bar = self.query_one("#config-file-bar", Static)
        bar.tooltip = f"{target.path}\n{target.note}\nctrl+t switches to the {other}" if target.path else target.note
        model, analysis = self.model, self.analysis
        if problem or model is None or analysis is None:
            line2 = f"[$error]{escape(problem or self.problems.get(self.kind, ''))}[/]"
        else:
            views = analysis.changes
            removed, added = analysis.diff.stats
            edited = " · [$accent]edited by hand[/]" if model.hand_edited else ""
            note = ""
            if target.discovery is not None and target.discovery.offer_install:
                note = " · [$warning]only the packaged default exists: F9 installs the /etc copy[/]"
            if not analysis.validation.parses:
                line2 = f"[$error]the proposed text is not valid TOML[/] (see below; ctrl+l starts over) · -{removed} +{added} lines{edited}"
            else:
                will = sum(1 for v in views if v.state == WILL_CHANGE)
                already = sum(1 for v in views if v.state == ALREADY)
                missing = sum(1 for v in views if v.state == NOT_APPLIED)
                accepted = sum(1 for v in views if v.accepted)
                state = "[$warning]unsaved changes[/]" if analysis.dirty else "[$success]matches the file[/]"
                problems = f" · [$error]{missing} not applied[/]" if missing else ""
                line2 = (
                    f"{accepted}/{len(views)} accepted · {will} will change · {already} already set{problems} · "
                    f"-{removed} +{added} lines · {state}{edited}{note}"
                )
        self.query_one("#config-file-bar", Static).update(f"{line1}\n{line2}")

    def _draw_findings(self, analysis: Analysis) -> None:
        findings = self.query_one("#config-findings", OptionList)
        validation = analysis.validation
        findings.border_title = f"Proposed file: {validation.summary()}"
        options = []
        for i, f in enumerate(validation.findings):
            symbol, colour = LEVEL_MARKS.get(f.level, ("·", "$text"))
            where = f"line {f.line + 1}: " if f.line is not None else ""
            options.append(Option(f"[{colour}]{symbol}[/] {escape(where + f.message)}", id=str(i)))
        if not options:
            options.append(Option("[$success]✔[/] parses; nothing to flag", id="ok", disabled=True))
        findings.set_options(options)

    def _selected_view(self) -> ChangeView | None:
        if self.analysis is None:
            return None
        change_id = self.query_one("#config-changes", ChangeList).highlighted_id
        return next((v for v in self.analysis.changes if v.change.id == change_id), None)

    def _draw_details(self) -> None:
        view = self._selected_view()
        details = self.query_one("#config-change-details", Static)
        diff = self.query_one("#config-diff", DiffView)
        if view is None:
            details.update("")
            diff.mark(None, None)
            return
        symbol, colour = STATE_MARKS.get(view.state, ("?", "$text"))
        state = "cannot tell: the proposed text does not parse" if view.state == UNKNOWN else view.state
        model = self.model
        wanted = ""
        if model is not None:
            result = next((r for r in model.result.changes if r.id == view.change.id), None)
            wanted = result.wanted if result is not None else ""
        lines = [
            f"[b]{escape(view.change.title)}[/b]  [{colour}]{symbol} {state}[/]",
            f"[$text-muted]guide:[/] {escape(view.change.guide)}",
            f"[$text-muted]now:[/] {escape(view.current)}",
            f"[$text-muted]wants:[/] {escape(wanted)}",
        ]
        if view.detail:
            lines.append(f"[$error]{escape(view.detail)}[/]")
        details.update("\n".join(lines))
        diff.mark(view.current_span, view.proposed_span)

    # ------------------------------------------------------------------ user intent: changes and text

    def _refine_profile(self, target: EditTarget, loaded: LoadedFile) -> EditTarget:
        """As `config` does: when only the host kernel chose the profile, the file's own base decides."""
        from dataclasses import replace

        from kata_snp_tui.config.targets import Targets
        from kata_snp_tui.profiles import refine_for_file

        refined = refine_for_file(self.profile, loaded.text, str(loaded.path))
        if refined is self.profile:
            return target
        self.profile = refined
        target = replace(target, change_set=load_change_set(refined.profile.changes))
        if self.targets is not None:
            self.targets = Targets(target, self.targets.containerd)
        return target

    def _publish_unsaved(self) -> None:
        """Which files' proposed text is not saved (the welcome screen's Configure line)."""
        self.app.session.config_unsaved = tuple(  # type: ignore[attr-defined]
            kind for kind in (KATA, CONTAINERD) if kind in self.models and self.models[kind].proposed != self.models[kind].original)

    def unsaved_edits(self) -> list[str]:
        """What quitting would lose: each file with hand edits not saved (the app asks before quitting)."""
        self._sync_from_editor()
        out: list[str] = []
        for kind, model in self.models.items():
            if model.hand_edited and model.proposed != model.original:
                out.append("your hand edits to " + ("the Kata configuration.toml" if kind == KATA else
                                                     "containerd's config.toml"))
        return out

    def _unsaved_hand_edits(self) -> bool:
        model, analysis = self.model, self.analysis
        return bool(model is not None and model.hand_edited and analysis is not None and analysis.dirty)

    def _ask_then(self, title: str, message: str, confirm_label: str, then: Callable[[], object],
                  otherwise: Callable[[], object] | None = None) -> None:
        """Ask before hand edits are lost (screens/confirm.py); ``then`` on yes, ``otherwise`` on no."""

        def answered(go: bool | None) -> None:
            if go:
                then()
            elif otherwise is not None:
                otherwise()

        self.app.push_screen(ConfirmScreen(title, message, confirm_label=confirm_label,
                                           cancel_label="Keep my edits"), answered)

    @on(ChangeList.Toggled)
    def _toggled(self, event: ChangeList.Toggled) -> None:
        model = self.model
        if model is None:
            return
        change_id = event.change_id

        def toggle() -> None:
            if self.model is not None:
                self.model.toggle(change_id)
            self._analyse_now(update_editor=True)

        if model.would_drop_edits(change_id) and self._unsaved_hand_edits():
            self._ask_then("Drop your hand edits?",
                           "This change adds or removes whole tables: rejecting it starts again from the file "
                           "as loaded, without the text you edited by hand.",
                           "Reject it, drop my edits", toggle, otherwise=lambda: self._analyse_now(update_editor=False))
            return
        toggle()

    @on(ChangeList.SetAll)
    def _set_all(self, event: ChangeList.SetAll) -> None:
        model = self.model
        if model is None:
            return
        accepted = event.accepted

        def set_all() -> None:
            if self.model is not None:
                self.model.set_all(accepted)
            self._analyse_now(update_editor=True)

        if self._unsaved_hand_edits():
            self._ask_then("Drop your hand edits?",
                           f"{'Accepting' if accepted else 'Rejecting'} every change re-applies them to the file as "
                           "loaded, without the text you edited by hand.",
                           "Drop my edits", set_all, otherwise=lambda: self._analyse_now(update_editor=False))
            return
        set_all()

    @on(OptionList.OptionHighlighted, "#config-changes")
    def _change_highlighted(self) -> None:
        self._draw_details()
        view = self._selected_view()
        if view is not None:
            self.query_one("#config-diff", DiffView).reveal(view.current_span, view.proposed_span)

    @on(OptionList.OptionSelected, "#config-findings")
    def _finding_selected(self, event: OptionList.OptionSelected) -> None:
        if self.analysis is None or event.option.id in (None, "ok"):
            return
        finding: Finding = self.analysis.validation.findings[int(event.option.id)]
        if finding.line is None:
            return
        if self.editing:
            editor = self.query_one("#config-editor", TextArea)
            editor.cursor_location = (finding.line, 0)
            editor.scroll_cursor_visible(center=True)
            editor.focus()
        else:
            self.query_one("#config-diff", DiffView).reveal(None, (finding.line, finding.line + 1))

    @on(TextArea.Changed, "#config-editor")
    def _typed(self, event: TextArea.Changed) -> None:
        model = self.model
        if model is None or event.text_area.text == model.proposed:
            return
        model.set_text(event.text_area.text)
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, self._debounced)

    @on(TextArea.SelectionChanged, "#config-editor")
    def _cursor_moved(self, event: TextArea.SelectionChanged) -> None:
        """Keep the diff above the editor on the line being edited."""
        if self.editing:
            line = event.selection.end[0]
            self.query_one("#config-diff", DiffView).reveal(None, (line, line + 1))

    def _debounced(self) -> None:
        self._debounce = None
        self._analyse_now(update_editor=False)

    def flush_pending(self) -> None:
        """Take the text field's text and run a pending re-diff now (tests, and before saving)."""
        synced = self._sync_from_editor()
        if self._debounce is not None or synced:
            if self._debounce is not None:
                self._debounce.stop()
                self._debounce = None
            self._analyse_now(update_editor=False)

    def _sync_from_editor(self) -> bool:
        """While editing, the text field is the truth: its Changed messages may still be queued."""
        model = self.model
        if model is None or not self.editing:
            return False
        text = self.query_one("#config-editor", TextArea).text
        if text == model.proposed:
            return False
        model.set_text(text)
        return True

    def _after_typing(self, then: Callable[[], object]) -> None:
        """Run ``then`` once every key already sent to the text field is applied. The screen's keys are
        priority bindings: ctrl+s at the end of a burst reaches the screen before the keys typed just
        ahead of it, so what they do waits in the field's own queue, behind those keys."""
        editor = self.query_one("#config-editor", TextArea)
        if self.editing:
            editor.call_later(then)
        else:
            then()

    def action_toggle_edit(self) -> None:
        self._after_typing(self._toggle_edit)

    def _toggle_edit(self) -> None:
        if self.model is None:
            return
        self.flush_pending()
        self.editing = not self.editing
        if self.editing:
            self._cursor_to_selected_change()

    def _cursor_to_selected_change(self) -> None:
        """F8 opens the text at the change selected in the list (its line in the proposed file)."""
        view = self._selected_view()
        if view is None or view.proposed_span is None:
            return
        editor = self.query_one("#config-editor", TextArea)
        row = min(view.proposed_span[0], max(0, editor.document.line_count - 1))
        editor.cursor_location = (row, 0)
        editor.scroll_cursor_visible(center=True)

    def action_switch_file(self) -> None:
        self._after_typing(self._switch_file)

    def _switch_file(self) -> None:
        self.flush_pending()
        self.kind = CONTAINERD if self.kind == KATA else KATA

    def watch_kind(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#config-changes", ChangeList).show(())
        self._analyse_now(update_editor=True)
        self.refresh_bindings()

    def action_paths(self) -> None:
        self._after_typing(self._paths)

    def _paths(self) -> None:
        self.flush_pending()
        model, target = self.model, self.target
        if model is None or target is None:
            self.notify("No file is loaded.", severity="warning")
            return
        options = [c for c in target.changes if c.option]
        fields = [(c.option, PATH_LABELS.get(c.option, c.option), str(model.values.get(c.id, ""))) for c in options if c.option]

        def done(values: dict[str, str] | None) -> None:
            if values is None or self.model is None:
                return
            by_option = {c.option: c.id for c in options}
            new = {by_option[name]: value for name, value in values.items() if value}
            self._overrides[self.kind].update({k: v for k, v in values.items() if v})
            self.model.set_values(new)
            self._analyse_now(update_editor=True)

        self.app.push_screen(PathsDialog(fields), done)

    def action_reload(self) -> None:
        self._after_typing(self._reload)

    def _reload(self) -> None:
        self.flush_pending()
        if self.targets is None:
            return
        if self._unsaved_hand_edits():
            self._ask_then("Reload from disk?",
                           "Your hand edits to the proposed file are not saved: reloading drops them.",
                           "Reload, drop my edits", lambda: self._load(self.kind, privileged=True))
            return
        self._load(self.kind, privileged=True)

    # ------------------------------------------------------------------ sudo

    async def _sudo_for(self, purpose: str, retry: bool = False) -> Sudo | None:
        """A Sudo to reach root: no password when sudo needs none, else one asked here (once)."""
        sudo = Sudo()
        try:
            needs = await asyncio.to_thread(sudo.needs_password)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return None
        if not needs and not retry:
            return sudo
        password = await self.app.push_screen_wait(
            PasswordScreen(f"{purpose} needs root.", error="sudo refused that password." if retry else "")
        )
        if password is None:
            return None
        return sudo.with_password(password)

    async def _as_root(self, purpose: str, call):  # type: ignore[no-untyped-def]
        """Run ``call(sudo)`` in a thread, asking for the password again when sudo refuses it (3 tries)."""
        retry = False
        for _ in range(3):
            sudo = await self._sudo_for(purpose, retry=retry)
            if sudo is None:
                return None
            try:
                return await asyncio.to_thread(call, sudo)
            except SudoAuthFailed:
                retry = True
        self.notify("sudo refused the password three times; nothing was written.", severity="error")
        return None

    # ------------------------------------------------------------------ save, restore, install

    def action_save(self) -> None:
        self._after_typing(self._save_now)

    def _save_now(self) -> None:
        self.flush_pending()
        self._save()

    @work(exclusive=True, group="config-save", exit_on_error=False)
    async def _save(self) -> None:
        model, target, analysis = self.model, self.target, self.analysis
        if model is None or target is None or analysis is None:
            self.notify(self.problems.get(self.kind, "No file is loaded."), severity="warning")
            return
        if not analysis.validation.parses:
            first = analysis.validation.findings[0]
            self.notify(f"Not saved: the proposed text is not valid TOML ({first.located()}).", severity="error", timeout=8)
            return
        if not analysis.dirty:
            self.notify("Nothing to save: the proposed file is the file on disk.")
            return
        if target.discovery is not None and target.discovery.offer_install:
            self.notify("This is the packaged default; install the /etc copy first (F9), then edit that.", severity="warning", timeout=8)
            return
        errors = analysis.validation.errors
        if errors:
            listed = "\n".join(f"• {f.located()}" for f in errors[:4])
            ok = await self.app.push_screen_wait(
                ConfirmDialog("Save with problems?", f"Kata will refuse to start with this file:\n{listed}\n\nSave anyway?", yes="Save anyway")
            )
            if not ok:
                return
        data = analysis.text.encode("utf-8")
        loaded = model.loaded
        path = loaded.target
        try:
            if target.demo_copy or await asyncio.to_thread(can_write_directly, path):
                saved = await asyncio.to_thread(save_file, path, data, expected=loaded.fingerprint, privileged=False)
            else:
                saved = await self._as_root(f"Saving {path}", lambda sudo: save_file(path, data, expected=loaded.fingerprint, sudo=sudo, privileged=True))
                if saved is None:
                    return
        except ChangedOnDisk as exc:
            self.notify(f"Not saved: {exc}. Reload with ctrl+l (your proposed text is still here).", severity="error", timeout=10)
            return
        except UserError as exc:
            self.notify(f"Not saved: {exc}", severity="error", timeout=10)
            return
        diff = unified_diff(loaded.text, analysis.text, str(loaded.path), labels=written_labels(saved.backup))
        met = tuple(v.change.id for v in analysis.changes if v.state in (WILL_CHANGE, ALREADY))
        self._record(
            AppliedConfig(
                kind=self.kind,
                path=str(saved.path),
                backup=str(saved.backup) if saved.backup else None,
                diff=diff,
                changes=met,
                at=self.app.session.clock(),
                via_sudo=saved.via_sudo,
                demo_copy=target.demo_copy,
            )
        )
        backup = f" Backup: {saved.backup}" if saved.backup else ""
        self.notify(f"Saved {saved.path}{' through sudo' if saved.via_sudo else ''}.{backup}", timeout=8)
        await self._reload_after_write(self.kind)

    def _record(self, record: AppliedConfig) -> None:
        """Keep what was written for the session report, here and in the state folder."""
        self.app.session.config_applied.append(record)  # type: ignore[attr-defined]
        persist_applied(record)

    async def _reload_after_write(self, kind: str) -> None:
        model = self.models.get(kind)
        if model is None:
            return
        reader = None
        if model.loaded.privileged_read:
            reader = await self._sudo_for(f"Reading {model.loaded.path}")
        try:
            loaded: LoadedFile = await asyncio.to_thread(load_file, model.loaded.path, (lambda p: read_privileged(p, reader)) if reader else None)
            await asyncio.to_thread(model.reload, loaded)
        except (UserError, PatchError) as exc:
            self.problems[kind] = str(exc)
            self.models.pop(kind, None)
        self._after_change(kind)

    def action_restore(self) -> None:
        self._after_typing(self._restore_now)

    def _restore_now(self) -> None:
        self.flush_pending()
        self._restore()

    @work(exclusive=True, group="config-save", exit_on_error=False)
    async def _restore(self) -> None:
        model, target = self.model, self.target
        if target is None or target.path is None:
            self.notify("No file to restore.", severity="warning")
            return
        path = model.loaded.target if model is not None else target.path
        try:
            backups = await asyncio.to_thread(backups_of, path)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        if not backups:
            self.notify(f"No backups of {path} yet: saving makes one.")
            return
        privileged = not target.demo_copy and not await asyncio.to_thread(can_write_directly, path)
        sudo: Sudo | None = None
        if privileged:
            sudo = await self._sudo_for(f"Restoring {path}")
            if sudo is None:
                return

        def reader(p: Path) -> str:
            return read_backup(p, sudo).decode("utf-8", "replace")

        current = model.original if model is not None else ""
        choice = await self.app.push_screen_wait(RestoreDialog(backups, current, reader))
        if choice is None:
            return
        ok = await self.app.push_screen_wait(
            ConfirmDialog("Restore this backup?", f"Replace {path} with\n{choice}?\nThe current file is backed up first."
                          + ("\nYour unsaved hand edits are dropped." if self._unsaved_hand_edits() else ""),
                          yes="Restore")
        )
        if not ok:
            return
        expected = model.loaded.fingerprint if model is not None else None
        try:
            restored_text = await asyncio.to_thread(reader, choice)
            saved = await asyncio.to_thread(restore_file, path, choice, expected=expected, sudo=sudo, privileged=privileged)
        except UserError as exc:
            self.notify(f"Not restored: {exc}", severity="error", timeout=10)
            return
        self._record(
            AppliedConfig(
                kind=self.kind,
                path=str(saved.path),
                backup=str(saved.backup) if saved.backup else None,
                diff=unified_diff(current, restored_text, str(path),
                                  labels=written_labels(saved.backup, f"restored from {choice}")),
                changes=(),
                at=self.app.session.clock(),
                via_sudo=saved.via_sudo,
                demo_copy=target.demo_copy,
                restored_from=str(choice),
            )
        )
        self.notify(f"Restored {saved.path} from {choice.name}. Backup of what it replaced: {saved.backup}", timeout=8)
        if model is not None:
            await self._reload_after_write(self.kind)
        else:
            self._load(self.kind)

    def action_install(self) -> None:
        self._after_typing(self._install)

    @work(exclusive=True, group="config-save", exit_on_error=False)
    async def _install(self) -> None:
        target = self.target
        if target is None or target.discovery is None or not target.discovery.offer_install:
            return
        found = target.discovery
        commands = "\n".join(" ".join(argv) for argv in found.install_commands())
        ok = await self.app.push_screen_wait(
            ConfirmDialog("Install the /etc copy?", f"As the Developer Guide does, run as root:\n{commands}", yes="Install")
        )
        if not ok:
            return
        try:
            if os.geteuid() == 0:
                await asyncio.to_thread(install_default, found)
            else:
                done = await self._as_root("Installing the /etc copy", lambda sudo: install_default(found, sudo))
                if done is None:
                    return
        except UserError as exc:
            self.notify(f"Not installed: {exc}", severity="error", timeout=10)
            return
        self.notify(f"Installed {found.etc_path}.")
        self._open_targets()


def _empty_diff() -> SideBySide:
    return side_by_side("", "")
