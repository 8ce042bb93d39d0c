"""The decoded attestation report in short: measurement, policy, TCB, chip id, report_data match."""

from __future__ import annotations

from textual.markup import escape

from kata_snp_tui.screens.verify_rows import RowData, RowList
from kata_snp_tui.verify.measurement import MATCH, MISMATCH, MeasurementResult
from kata_snp_tui.verify.result import OBTAINED, Attestation


def _hex_lines(data: bytes, per_line: int = 24) -> tuple[str, ...]:
    text = data.hex()
    step = per_line * 2
    return tuple(text[i:i + step] for i in range(0, len(text), step))


def measurement_row(m: MeasurementResult) -> RowData:
    """The launch measurement against the expected one: match / mismatch / unknown, with both values."""
    how = tuple(f"[$text-muted]{escape(line)}[/]" for line in m.input_lines())
    values = (f"[$text-muted]reported[/] {m.reported or '-'}", f"[$text-muted]expected[/] {m.expected or '-'}")
    if m.status == MATCH:
        return RowData("[$text-success]✔[/]", "launch measurement matches the expected one", values + how)
    if m.status == MISMATCH:
        return RowData("[$text-error]✖[/]", "[$text-error]launch measurement does NOT match the expected one[/]",
                       values + how)
    return RowData("[$text-muted]○[/]", f"launch measurement: [b]unknown[/b]: [$text-muted]{escape(str(m.reason))}[/]")


def attestation_rows(att: Attestation, hint: str | None = None,
                     measurement: MeasurementResult | None = None) -> list[RowData]:
    rows: list[RowData] = []
    if att.status != OBTAINED or att.report is None:
        colour, mark = {"not-attempted": ("$text-muted", "○"), "no-tool": ("$text-warning", "▲")}.get(
            att.status, ("$text-error", "✖"))
        details = tuple(f"[$text-muted]guest:[/] {escape(line)}" for line in att.error_lines)
        rows.append(RowData(f"[{colour}]{mark}[/]", f"[{colour}]{escape(att.message)}[/]", details))
        if hint:
            rows.append(RowData("[$text-accent]→[/]", f"[b $text-accent]{escape(hint)}[/]"))
        return rows
    r = att.report
    if r.is_demo:
        rows.append(RowData("[$text-warning]▲[/]", "[b $text-warning]DEMO DATA[/] [$text-warning]built for the demo host, "
                                             "not obtained from SNP hardware[/]"))
    match = att.report_data_matches
    if match is True:
        rows.append(RowData("[$text-success]✔[/]", "report_data matches the 64 bytes asked for"))
    elif match is False:
        rows.append(RowData("[$text-error]✖[/]", "[$text-error]report_data does NOT match what was asked[/]",
                            (f"[$text-muted]got[/] {escape(r.report_data.hex())}",)))
    rows += [
        RowData("", f"obtained with [b]{escape(att.method or '?')}[/b]  [$text-muted]version[/] {r.version}  "
                    f"[$text-muted]VMPL[/] {r.vmpl}  [$text-muted]guest SVN[/] {r.guest_svn}"),
        RowData("", "[b]measurement[/b]", _hex_lines(r.measurement)),
        *([measurement_row(measurement)] if measurement is not None else []),
        RowData("", f"[b]policy[/b] {escape(str(r.policy))}"),
        RowData("", f"[b]reported TCB[/b] {escape(str(r.reported_tcb))}"),
        RowData("", f"[b]firmware[/b] {r.current_firmware} [$text-muted](committed {r.committed_firmware})[/]"),
        RowData("", f"[b]platform[/b] {escape(str(r.platform_info))}"),
        RowData("", "[b]chip id[/b]" + (" [$text-muted](masked)[/]" if r.chip_id_masked else ""),
                _hex_lines(r.chip_id)),
        RowData("", f"[b]signature[/b] {escape(r.signature_algo_name)}, {escape(r.signing_key)}",
                ("[$text-muted]not checked here: snpguest verify attestation checks it against AMD's "
                 "certificate chain[/]",)),
    ]
    return rows


class ReportPanel(RowList):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("No attestation report yet.", id=id)

    def show(self, att: Attestation | None, hint: str | None = None,
             measurement: MeasurementResult | None = None) -> None:
        self.set_rows(attestation_rows(att, hint, measurement) if att is not None else [])
