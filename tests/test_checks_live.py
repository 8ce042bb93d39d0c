"""Host checks on this very machine (a 2-core VM, not an SNP host): they must run and say "not ready"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kata_snp_tui.checks import DESIGN_IDS, run_checks
from kata_snp_tui.checks.model import Status
from kata_snp_tui.checks.runner import INTERNAL_ERROR
from kata_snp_tui.host import LiveHost


def test_live_host_runs_every_check_and_is_not_ready(tmp_path: Path) -> None:
    report = run_checks(LiveHost(), workspace=tmp_path / "ws")
    ids = {c.id for c in report.checks}
    assert set(DESIGN_IDS) <= ids
    for c in report.checks:
        assert not c.summary.startswith(INTERNAL_ERROR), (c.id, c.summary)
        if c.status is not Status.PASS:
            assert c.remedy, c.id
    # This machine is not an SNP host; saying otherwise would be a lie.
    assert report.ready is False
    assert report.host["kind"] == "live"
    # a second run reads the host again (nothing cached across runs) and agrees
    again = run_checks(LiveHost(), workspace=tmp_path / "ws")
    assert {c.id: c.status for c in again.checks if c.affects_readiness} == \
        {c.id: c.status for c in report.checks if c.affects_readiness}


def test_check_json_on_the_live_host(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "kata_snp_tui", "check", "--json"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ready"] is False
    assert {c["id"] for c in data["checks"]} >= set(DESIGN_IDS)
    assert any(c["status"] == "fail" for c in data["checks"] if c["id"] in DESIGN_IDS)
