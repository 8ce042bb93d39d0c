"""Small pieces of the checks engine: log patterns, parameter spelling, the ioctl layouts, the renderer."""

from __future__ import annotations

import io
import struct

import pytest
from rich.console import Console

from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.facts import kernel_version, parse_bool_param
from kata_snp_tui.checks.model import CheckReport, CheckResult, Evidence, Status
from kata_snp_tui.checks.render import make_console, render_report, report_text, verdict_text
from kata_snp_tui.sev_ioctl import SEV_ISSUE_CMD, parse_sev_status, parse_snp_status


@pytest.mark.parametrize(("raw", "value"), [("Y", True), ("Y\n", True), (" 1 ", True), ("N\n", False), ("0", False),
                                            ("", None), ("yes", None), ("2", None), ("Y N", None)])
def test_kvm_parameter_spellings(raw: str, value: bool | None) -> None:
    assert parse_bool_param(raw) is value


@pytest.mark.parametrize(("release", "version"), [("6.11.0-snp-host-f2ab", (6, 11, 0)), ("5.19.0-rc6-sev-es-snp+", (5, 19, 0)),
                                                  ("6.8", (6, 8, 0)), ("garbage", None), ("", None)])
def test_kernel_version(release: str, version: tuple[int, int, int] | None) -> None:
    assert kernel_version(release) == version


@pytest.mark.parametrize(("pattern", "line", "groups"), [
    (kl.FW_SNP, "ccp 0000:01:00.5: SEV-SNP API:1.55 build:21", ("1", "55", "21")),
    (kl.FW_SEV, "ccp 0000:01:00.5: SEV API:1.49 build:3", ("1", "49", "3")),
    (kl.SNP_FAIL, "ccp 0000:42:00.1: SEV-SNP: failed to INIT rc -5, error 0x3", ("0x3",)),
    (kl.SNP_FAIL, "ccp 0000:43:00.1: SEV-SNP: failed to INIT error 0x3", ("0x3",)),
    (kl.SNP_FAIL, "ccp 0000:01:00.5: SEV-SNP: SNP_INIT_EX failed rc -5, error 0x3", ("0x3",)),
    (kl.FW_OLD, "ccp 0000:47:00.1: SEV-SNP support requires firmware version >= 1:51", ("1", "51")),
    (kl.KVM_NEW, "kvm_amd: SEV-SNP enabled (ASIDs 1 - 509)", ("SEV-SNP", "enabled", "1", "509")),
    (kl.KVM_OLD, "SEV-ES and SEV-SNP supported: 99 ASIDs", ("SEV-ES and SEV-SNP", "99")),
    (kl.KVM_OLD, "kvm_amd: SEV-ES supported: 255 ASIDs", ("SEV-ES", "255")),
])
def test_log_patterns(pattern, line: str, groups: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    m = pattern.search(line)
    assert m is not None and m.groups() == groups


def test_fw_sev_does_not_match_the_snp_line() -> None:
    assert kl.FW_SEV.search("ccp 0000:01:00.5: SEV-SNP API:1.55 build:21") is None


def test_rmp_patterns_cover_every_wording() -> None:
    for line in ("SEV-SNP: RMP table physical range [0x000000bf7e800000 - 0x000000c03f0fffff]",
                 "SEV-SNP: RMP table physical address 0x0000000035600000 - 0x0000000075bfffff",
                 "SEV-SNP: Segmented RMP base table physical range [0x000000009ba00000 - 0x000000009ba05000]"):
        assert kl.RMP_OK.search(line)
    assert kl.RMP_BIOS.search("[    0.642786] SEV-SNP: Memory for the RMP table has not been reserved by BIOS")


def test_sev_status_layouts() -> None:
    assert SEV_ISSUE_CMD == 0xC0105300
    raw = struct.pack("<BBBIBI", 1, 55, 1, 0x101, 21, 3)
    assert len(raw) == 12
    status = parse_sev_status(raw)
    assert (status["api_major"], status["api_minor"], status["build"]) == (1, 55, 21)
    assert status["state"] == "INIT" and status["es_initialized"] and status["owner"] and status["guest_count"] == 3
    snp = parse_snp_status(struct.pack("<BBBBIIIQQ", 1, 55, 1, 0b11, 21, 0, 2, 0x4815000000000007, 0x4815000000000007))
    assert snp["snp_state"] == "INIT" and snp["rmp_initialized"] and snp["alias_check_complete"]
    assert snp["current_tcb"] == "4815000000000007"
    with pytest.raises(ValueError):
        parse_sev_status(b"\x01")


def _report(*checks: CheckResult) -> CheckReport:
    return CheckReport(host={"kind": "snapshot", "label": "h", "kernel": "6.11.0"}, checks=checks)


def test_render_plain_ascii_when_the_terminal_is_not_utf8() -> None:
    class Latin1(io.StringIO):
        encoding = "latin-1"

    report = _report(CheckResult("cpu.amd", "CPU", "AMD processor", Status.FAIL, "Not AMD",
                                 (Evidence("/proc/cpuinfo", "GenuineIntel"),), "Use an EPYC\n  step two"))
    buffer = Latin1()
    render_report(report, Console(file=buffer, color_system=None, width=80))
    out = buffer.getvalue()
    assert "x FAIL   cpu.amd" in out and "✖" not in out
    assert "evidence  /proc/cpuinfo: GenuineIntel" in out
    assert "remedy    Use an EPYC" in out and "            step two" in out


def test_render_skipped_children_stay_short_and_verdict_names_failures() -> None:
    report = _report(
        CheckResult("cpu.amd", "CPU", "AMD", Status.FAIL, "Not AMD", (Evidence("f", "v"),), "fix"),
        CheckResult("cpu.sev-snp", "CPU", "SNP", Status.SKIP, "Skipped: AMD (cpu.amd) failed.",
                    (Evidence("cpu.amd", "Not AMD"),), "Fix cpu.amd first, then re-run the checks."),
        CheckResult("tool.git", "Toolchain", "git", Status.FAIL, "missing", (), "apt"),
    )
    out = report_text(report)
    assert "Fix cpu.amd first" not in out
    assert "NOT READY for SNP guests: 1 host-capability check failed (cpu.amd)." in out
    assert "Toolchain  (does not change readiness)" in out
    assert verdict_text(_report()).plain.startswith("READY")


def test_make_console_honours_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    buffer = io.StringIO()
    console = make_console(buffer)
    console.force_terminal = True  # even on a terminal
    render_report(_report(CheckResult("cpu.amd", "CPU", "AMD", Status.PASS, "ok")), console)
    assert "\x1b" not in buffer.getvalue()


def test_read_kernel_log_reports_every_attempt(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hosts_helpers import HostBuilder, open_snapshot

    host = open_snapshot(HostBuilder(tmp_path).dmesg_denied().missing_command("journalctl-k").build())
    log = kl.read_kernel_log(host)
    assert not log.readable and log.lines == ()
    assert "kernel.dmesg_restrict=1" in log.reason
    assert "dmesg: exit status 1: dmesg: read kernel buffer failed: Operation not permitted" in log.reason
    assert "journalctl -k -b 0: not installed" in log.reason
    assert "/var/log/kern.log: does not exist" in log.reason
