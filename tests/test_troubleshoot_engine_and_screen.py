"""Troubleshooting: the known issues' state (from the host checks or the host itself), the error search,
and the screen (Pilot and snapshots)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea

from kata_snp_tui.app import make_app
from kata_snp_tui.checks.model import CheckReport, CheckResult, Evidence, Status
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.screens.troubleshoot import TroubleshootScreen
from kata_snp_tui.screens.verify_rows import Row
from kata_snp_tui.troubleshoot import all_errors, issue_states, load_known_issues, search, search_errors
from hosts_helpers import HostBuilder, open_snapshot
from screens_helpers import frozen_clock


def test_known_issues_are_the_guides_two() -> None:
    issues = load_known_issues()
    assert [i.check_id for i in issues] == ["host.cgroups", "host.sev-vs-snp"]
    assert "systemd.unified_cgroup_hierarchy=0" in issues[0].fix and "update-grub" in issues[0].fix
    assert issues[1].fix == "sudo rmmod kvm_amd && sudo modprobe kvm_amd sev_snp=0"


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [("v2", Status.INFO, "cgroups v2 only"), ("hybrid", Status.PASS, "v1 or hybrid"), ("v1", Status.PASS, "v1")],
)
def test_cgroups_state_read_from_the_host(tmp_path: Path, mode: str, status: Status, words: str) -> None:
    host = open_snapshot(HostBuilder(tmp_path).cgroups(mode).build())
    state = issue_states(host)[0]
    assert state.origin == "read from the host"
    assert state.status is status and words in state.summary
    assert any(e.source == "/proc/mounts" for e in state.evidence)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"sev": "Y", "sev_snp": "Y"}, Status.INFO, "both on"),
        ({"sev": "N", "sev_snp": "Y"}, Status.PASS, "SEV-SNP on, SEV off"),
        ({"sev": "1", "sev_snp": "0"}, Status.WARN, "SEV-SNP off"),
        ({"sev": "N", "sev_snp": "N"}, Status.WARN, "neither"),
    ],
)
def test_sev_vs_snp_state_read_from_the_host(tmp_path: Path, params: dict[str, str], status: Status,
                                            words: str) -> None:
    host = open_snapshot(HostBuilder(tmp_path).kvm_amd(**params).build())
    state = issue_states(host)[1]
    assert state.status is status and words in state.summary
    assert [e.source for e in state.evidence] == ["/sys/module/kvm_amd/parameters/sev",
                                                   "/sys/module/kvm_amd/parameters/sev_snp"]


def test_kvm_amd_not_loaded_is_skip(tmp_path: Path) -> None:
    host = open_snapshot(HostBuilder(tmp_path).kvm_amd(loaded=False).build())
    assert issue_states(host)[1].status is Status.SKIP


def test_host_checks_results_are_used_when_present(tmp_path: Path) -> None:
    host = open_snapshot(HostBuilder(tmp_path).build())
    report = CheckReport(host={}, checks=(
        CheckResult("host.cgroups", "System", "cgroups", Status.WARN, "from the checks", (Evidence("x", "y"),)),
        CheckResult("host.sev-vs-snp", "Kernel and KVM", "sev vs snp", Status.PASS, "checked"),
    ))
    states = issue_states(host, report)
    assert [(s.status, s.summary, s.origin) for s in states] == [
        (Status.WARN, "from the checks", "host checks"), (Status.PASS, "checked", "host checks")]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("qemu-system-x86_64: sev_kvm_init: failed to initialize ret=-22 fw_error=0 ''", "sev-kvm-init-failed"),
        ("ctr: failed to create shim: Could not add runtime PID 4242 to sandbox cgroup: not implemented for "
         "cgroup v2 unified hierarchy: unknown", "cgroups-v2"),
        ("Parameter 'qom-type' does not accept value 'sev-snp-guest'", "qemu-no-sev-snp-guest"),
        ('ctr: container "kata-snp-tui-verify": already exists', "ctr-container-exists"),
    ],
)
def test_pasted_errors_find_their_entry(text: str, first: str) -> None:
    found = search_errors("some noise\n" + text + "\nmore noise")
    assert found and found[0].id == first
    assert found[0].line == text and found[0].line_number == 2
    assert found[0].cause and found[0].fix


def test_keyword_search_and_nothing() -> None:
    assert search("") == []
    assert search("   ") == []
    hits = search("cgroup grub")
    assert hits and all(h.how == "keywords" for h in hits)
    assert search("this text matches nothing at all zzqx") == []
    assert len(all_errors()) >= 22


def _app():
    return make_app(HostSource("demo"), host=open_host(HostSource("demo")), clock=frozen_clock,
                    run_checks_on_start=False)


async def test_screen_shows_issue_states_and_searches() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TroubleshootScreen)
        issues = [r.data for r in screen.query("#ts-issue-list Row").results(Row)]
        assert len(issues) == 2
        assert "cgroups v2" in issues[0].title and "read from the host" in issues[0].details[0]
        assert any("/sys/module/kvm_amd/parameters/sev_snp:" in d and d.endswith(" Y") for d in issues[1].details)
        assert any("rmmod kvm_amd" in d for d in issues[1].details)
        browse = list(screen.query("#ts-result-list Row").results(Row))
        assert len(browse) == len(all_errors())
        area = screen.query_one("#ts-query", TextArea)
        area.focus()
        area.insert("qemu-system-x86_64: failed to encrypt pflash rom\n")
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        await pilot.pause()
        results = [r.data for r in screen.query("#ts-result-list Row").results(Row)]
        assert "SNP_LAUNCH_UPDATE" in results[0].title
        assert any("failed to encrypt pflash rom" in d for d in results[0].details)
        assert "match" in str(screen.query_one("#ts-count").render())
        await pilot.press("ctrl+l")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert area.text == ""
        assert len(list(screen.query("#ts-result-list Row"))) == len(all_errors())


async def test_screen_uses_host_checks_when_they_finish() -> None:
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        app.set_checks(CheckReport(host={}, checks=(
            CheckResult("host.cgroups", "System", "cgroups", Status.WARN, "cgroups from the checks"),)))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        issues = [r.data for r in app.screen.query("#ts-issue-list Row").results(Row)]
        assert "cgroups from the checks" in issues[0].details[0] and "host checks" in issues[0].details[0]
        assert "read from the host" in issues[1].details[0]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_search_result(snap_compare, size) -> None:
    app = _app()

    async def run_before(pilot) -> None:
        await pilot.press("f7")
        await pilot.pause()
        area = pilot.app.screen.query_one("#ts-query", TextArea)
        area.focus()
        area.insert("ctr: failed to create shim task: Could not add runtime PID 4242 to sandbox cgroup: "
                    "not implemented for cgroup v2 unified hierarchy: unknown")
        await pilot.pause(0.2)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
