"""Shared helpers for Pilot and snapshot tests of the wizard's screens."""

from __future__ import annotations

from datetime import datetime, timezone

from kata_snp_tui.checks.model import CheckReport, CheckResult, Evidence, Status

FROZEN = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)


def frozen_clock() -> datetime:
    return FROZEN


def sample_report() -> CheckReport:
    """A small, hand-made report with every status, for tests of how a screen renders a report."""
    return CheckReport(
        host={"kind": "snapshot", "label": "test host"},
        checks=(
            CheckResult("cpu.amd", "CPU", "AMD processor", Status.PASS, "AuthenticAMD, AMD EPYC 9354P",
                        (Evidence("/proc/cpuinfo", "vendor_id : AuthenticAMD"),)),
            CheckResult("cpu.sev-snp", "CPU", "CPU advertises SEV-SNP", Status.PASS, "flags sev sev_es sev_snp",
                        (Evidence("/proc/cpuinfo", "flags : ... sme sev sev_es sev_snp"),)),
            CheckResult("bios.snp", "BIOS", "SNP memory coverage (RMP) reserved by BIOS", Status.FAIL,
                        "the BIOS did not reserve memory for the RMP table",
                        (Evidence("kernel log", "[    0.000000] SEV-SNP: Memory for the RMP table has not been reserved by BIOS"),),
                        "In the BIOS setup: AMD CBS > CPU Common Options > SEV-SNP Support: Enabled\n"
                        "AMD CBS > NBIO Common Options > SNP Memory (RMP Table) Coverage: Enabled\nThen reboot."),
            CheckResult("kvm.sev-snp", "Kernel and KVM", "kvm_amd sev_snp", Status.SKIP,
                        "skipped: bios.snp failed"),
            CheckResult("fw.version", "Firmware", "SEV firmware >= 1.51", Status.WARN,
                        "the kernel log has no SEV API line (log rolled over?)", (), "sudo dmesg | grep -i 'SEV API'"),
            CheckResult("tool.yq", "Toolchain", "yq 3.4.1 (mikefarah)", Status.INFO, "yq 3.4.1",
                        (Evidence("yq --version", "yq version 3.4.1"),)),
        ),
    )
