"""A dialog to change what the verify run uses: image, runtime, container name, attestation."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Static

from kata_snp_tui.screens.ordered_keys import OrderedInput
from kata_snp_tui.screens.status_style import asset_css
from kata_snp_tui.verify.run import DEFAULT_IMAGE, PYTHON_IMAGE, VerifyOptions


class VerifyOptionsScreen(ModalScreen[VerifyOptions | None]):
    """Returns the new options, or None when cancelled."""

    CSS_PATH = asset_css("verify.tcss")

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, options: VerifyOptions, images: list[str] | None = None) -> None:
        super().__init__()
        self.options = options
        self.images = images or [DEFAULT_IMAGE, PYTHON_IMAGE]

    def compose(self) -> ComposeResult:
        o = self.options
        with Vertical(id="verify-options-dialog"):
            yield Static("[b]Verify run options[/b]", id="verify-options-title")
            if o.demo:
                yield Static("[$text-warning]Demo host: recorded runs exist only for these images (→ completes):[/]\n"
                             + "\n".join(f"  {image}" for image in self.images))
            yield Label("Image")
            yield OrderedInput(o.image, id="opt-image", compact=True,
                        suggester=SuggestFromList(self.images, case_sensitive=False))
            yield Label("Runtime")
            yield OrderedInput(o.runtime, id="opt-runtime", compact=True)
            yield Label("Container name")
            yield OrderedInput(o.name, id="opt-name", compact=True)
            yield Label("Report data (fixed by the demo's recording)" if o.demo
                        else "Report data (128 hex digits; empty = random)")
            yield OrderedInput(o.report_data.hex() if o.report_data else "", id="opt-report-data", compact=True,
                        disabled=o.demo)
            with Horizontal(id="verify-options-checks"):
                yield Checkbox("Attestation report", o.attest, id="opt-attest", compact=True)
                yield Checkbox("--cni", o.cni, id="opt-cni", compact=True)
            yield Static("", id="verify-options-error")
            with Horizontal(id="verify-options-buttons"):
                yield Button("Save", variant="primary", id="opt-save", compact=True)
                yield Button("Cancel", id="opt-cancel", compact=True)

    def on_mount(self) -> None:
        for inp in self.query(Input):
            inp.cursor_blink = False

    def _collect(self) -> tuple[VerifyOptions | None, str | None]:
        raw = self.query_one("#opt-report-data", Input).value.strip()
        data: bytes | None = None
        if raw:
            try:
                data = bytes.fromhex(raw)
            except ValueError:
                return None, "Report data must be hex digits."
            if len(data) > 64:
                return None, "Report data is at most 64 bytes."
            data = data.ljust(64, b"\0")
        new = replace(
            self.options,
            image=self.query_one("#opt-image", Input).value.strip(),
            runtime=self.query_one("#opt-runtime", Input).value.strip(),
            name=self.query_one("#opt-name", Input).value.strip(),
            report_data=data,
            attest=self.query_one("#opt-attest", Checkbox).value,
            cni=self.query_one("#opt-cni", Checkbox).value,
        )
        problems = new.problems()
        if o_demo_problem := self._demo_problem(new):
            problems.append(o_demo_problem)
        return (None, problems[0]) if problems else (new, None)

    def _demo_problem(self, new: VerifyOptions) -> str | None:
        if new.demo and new.image not in self.images:
            return f"The demo host has recordings only for {', '.join(self.images)}."
        return None

    @on(Button.Pressed, "#opt-save")
    @on(Input.Submitted)
    def _save(self) -> None:
        new, problem = self._collect()
        if problem:
            self.query_one("#verify-options-error", Static).update(f"[$text-error]{problem}[/]")
            return
        self.dismiss(new)

    @on(Button.Pressed, "#opt-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
