"""The decoded attestation report in short: measurement, policy, TCB, chip id, report_data match."""

from __future__ import annotations

from textual.markup import escape

from kata_snp_tui.screens.verify_rows import RowData, RowList
from kata_snp_tui.verify.signature import INVALID, VALID, SignatureCheck
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


def signature_row(r_algo: str, signing_key: str, check: SignatureCheck | None) -> RowData:
    """The signature's verdict against AMD's chain (valid / invalid / unverifiable and why), or how to get one."""
    if check is None:
        return RowData("[$text-muted]○[/]", f"[b]signature[/b] {escape(r_algo)}, {escape(signing_key)}: "
                       "[b]not checked[/b]",
                       ("[$text-muted]press s to check it against AMD's chain (ARK -> ASK -> VCEK) with a "
                        "certificate folder or AMD's KDS[/]",))
    details = tuple(f"[$text-muted]{escape(line)}[/]" for line in check.detail_lines())
    if check.status == VALID:
        return RowData("[$text-success]✔[/]", f"[b]signature valid[/b]: {escape(check.reason)}", details)
    if check.status == INVALID:
        return RowData("[$text-error]✖[/]", f"[b $text-error]signature INVALID[/]: [$text-error]"
                       f"{escape(check.reason)}[/]", details)
    return RowData("[$text-warning]▲[/]", f"[b]signature unverifiable[/b]: {escape(check.reason)}", details)


def attestation_rows(att: Attestation, hint: str | None = None,
                     measurement: MeasurementResult | None = None,
                     signature: SignatureCheck | None = None) -> list[RowData]:
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
        signature_row(r.signature_algo_name, r.signing_key, signature),
    ]
    return rows


class ReportPanel(RowList):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("No attestation report yet.", id=id)

    def show(self, att: Attestation | None, hint: str | None = None,
             measurement: MeasurementResult | None = None, signature: SignatureCheck | None = None) -> None:
        self.set_rows(attestation_rows(att, hint, measurement, signature) if att is not None else [])
