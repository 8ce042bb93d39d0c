"""Outcomes several check modules share: "unknown from the log" and "inferred from kvm_amd"."""

from __future__ import annotations

from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import READ_LOG
from kata_snp_tui.checks.runner import Outcome, passed, skipped, warned


def unknown(f: Facts, what: str, *evidence: Evidence | None, remedy: str) -> Outcome:
    """The log cannot answer: ``skip`` when it cannot be read, ``warn`` when the line is missing."""
    if not f.log.readable:
        return skipped(f"{what} is unknown: {f.log.unknown_reason()}.", f.log.status_evidence(), *evidence,
                       remedy=READ_LOG)
    return warned(f"{what} is unknown: {f.log.unknown_reason()}.", f.log.status_evidence(), *evidence,
                  remedy=remedy)


def inferred_from_kvm(f: Facts, summary: str) -> Outcome:
    """Pass on KVM's effective state (kvm_amd sev_snp = Y) when the log says nothing."""
    note = "" if f.log.readable else f" (the kernel log cannot be read: {f.log.reason})"
    return passed(f"{summary}{note}.", f.param("sev_snp").evidence(), f.log.status_evidence())
