"""A dialog to check the attestation report's signature: a certificate folder (as ``snpguest fetch``
writes it), or AMD's KDS (explicit: a checkbox, with the URL shown before anything is fetched), and the
processor when the report does not say. Returns a :class:`SignatureRequest`, or None when cancelled."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kata_snp_tui.screens.ordered_keys import OrderedInput
from kata_snp_tui.screens.status_style import asset_css
from kata_snp_tui.verify.signature import KDS_PRODUCT, PRODUCTS, SignatureRequest, planned_fetch_url
from kata_snp_tui.verify.report import AttestationReport

AUTO = "auto"


class SignatureDialog(ModalScreen[SignatureRequest | None]):
    """See the module docstring."""

    CSS_PATH = asset_css("verify_signature.tcss")

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, report: AttestationReport, previous: SignatureRequest | None = None) -> None:
        super().__init__()
        self.report = report
        self.previous = previous or SignatureRequest()

    def compose(self) -> ComposeResult:
        p = self.previous
        with Vertical(id="signature-dialog"):
            yield Static("[b]Check the report's signature[/b]", id="signature-title")
            yield Static("AMD's ARK and ASK (Milan, Genoa, Turin) are built in. The chip's VCEK comes from a "
                         "folder ([i]snpguest fetch vcek pem DIR REPORT[/i] writes one) or from AMD's Key "
                         "Distribution Service.", id="signature-help")
            yield Label("Certificate folder (vcek.pem or .der; ark/ask optional)")
            yield OrderedInput(p.certs_dir or "", id="signature-certs", compact=True, placeholder="empty: none")
            yield Label("Processor")
            options = [("from the report", AUTO)] + [(KDS_PRODUCT[x], x) for x in PRODUCTS]
            yield Select(options, value=p.product or AUTO, allow_blank=False, id="signature-product", compact=True)
            yield Checkbox("Fetch the VCEK from AMD's KDS (network)", p.fetch, id="signature-fetch", compact=True)
            yield Static("", id="signature-url")
            with Horizontal(id="signature-buttons"):
                yield Button("Check", variant="primary", id="signature-check", compact=True)
                yield Button("Cancel", id="signature-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#signature-certs", Input).cursor_blink = False
        self._show_url()

    def _product(self) -> str | None:
        value = self.query_one("#signature-product", Select).value
        return value if isinstance(value, str) and value in PRODUCTS else None

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _show_url(self) -> None:
        url = planned_fetch_url(self.report, self._product())
        fetch = self.query_one("#signature-fetch", Checkbox).value
        if url is None:
            why = ("the chip id is masked" if self.report.chip_id_masked
                   else "the report does not say which processor: choose one")
            text = f"[$text-warning]No KDS URL: {escape(why)}.[/]"
        elif fetch:
            text = f"[$text-warning]Will fetch (only when the folder has no VCEK):[/]\n{escape(url)}"
        else:
            text = f"[$text-muted]Not fetched (offline). The URL would be:[/]\n{escape(url)}"
        self.query_one("#signature-url", Static).update(Content.from_markup(text))

    @on(Button.Pressed, "#signature-check")
    @on(Input.Submitted)
    def _check(self) -> None:
        folder = self.query_one("#signature-certs", Input).value.strip()
        self.dismiss(SignatureRequest(folder or None, self.query_one("#signature-fetch", Checkbox).value,
                                      self._product()))

    @on(Button.Pressed, "#signature-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
