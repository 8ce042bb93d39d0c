"""Host checks (being built): run_checks(host) -> CheckReport."""

from __future__ import annotations

from kata_snp_tui.checks.model import CheckReport
from kata_snp_tui.host import Host


def run_checks(host: Host) -> CheckReport:
    return CheckReport(host={"kind": host.kind, "label": host.label}, checks=())
