"""Host checks on built snapshots: one fact changed at a time from a healthy SNP host."""

from __future__ import annotations

from pathlib import Path

import pytest
from hosts_helpers import DMESG_519_HEALTHY, DMESG_611_HEALTHY, GIB, HostBuilder, ioctl_status, open_snapshot

from kata_snp_tui.checks import CHECK_IDS, DESIGN_IDS, run_checks
from kata_snp_tui.checks.model import GROUPS, CheckReport, Status
from kata_snp_tui.checks.runner import INTERNAL_ERROR

WS = Path("/home/dev/kata-snp-workspace")


def check(builder: HostBuilder, workspace: Path = WS, profile: str | None = None) -> CheckReport:
    report = run_checks(open_snapshot(builder.build()), workspace=workspace, profile=profile)
    for c in report.checks:
        assert not c.summary.startswith(INTERNAL_ERROR), (c.id, c.summary)
    return report


def st(report: CheckReport, check_id: str) -> Status:
    return report.by_id(check_id).status


def text(report: CheckReport, check_id: str) -> str:
    c = report.by_id(check_id)
    return "\n".join([c.summary, *(str(e) for e in c.evidence), c.remedy or ""])


def test_every_result_has_title_summary_and_remedy_when_not_passing(tmp_path: Path) -> None:
    for builder in (HostBuilder(tmp_path), HostBuilder(tmp_path).intel(), HostBuilder(tmp_path).dmesg_denied()
                    .kvm_amd(sev_snp="N")):
        report = check(builder)
        assert [c.id for c in report.checks] == sorted(CHECK_IDS, key=lambda i: GROUPS.index(report.by_id(i).group))
        for c in report.checks:
            assert c.title and c.summary and c.group in GROUPS
            if c.status is not Status.PASS:
                assert c.remedy, c.id
            if c.status in (Status.PASS, Status.FAIL, Status.WARN):
                assert c.evidence, c.id


def test_healthy_upstream_611_host_passes_every_design_id(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path))
    assert report.ready
    for check_id in DESIGN_IDS:
        assert st(report, check_id) is Status.PASS, (check_id, report.by_id(check_id).summary)
    assert "SEV-SNP: RMP table physical range" in text(report, "bios.snp")
    assert "AMD-Vi: IOMMU SNP support enabled" in text(report, "host.iommu")
    assert "SEV-SNP API:1.55 build:21" in text(report, "fw.snp-init")
    assert "kvm_amd: SEV-SNP enabled (ASIDs 1 - 509)" in text(report, "kvm.sev-snp")
    assert report.to_json()["ready"] is True


def test_healthy_amd_519_outoftree_host_with_int_params_and_old_wording(tmp_path: Path) -> None:
    b = (HostBuilder(tmp_path).kernel("5.19.0-rc6-snp-host-3a885471cf89")
         .kvm_amd(sev="1", sev_es="1", sev_snp="1").dmesg(DMESG_519_HEALTHY))
    report = check(b)
    assert report.ready
    for check_id in DESIGN_IDS:
        assert st(report, check_id) is Status.PASS, (check_id, report.by_id(check_id).summary)
    assert "RMP table physical address" in text(report, "bios.snp")
    assert "sev_snp = 1" in report.by_id("kvm.sev-snp").summary
    assert "SEV-ES and SEV-SNP supported: 99 ASIDs" in text(report, "kvm.sev-snp")
    assert "1.51 build 3" in report.by_id("fw.version").summary


def test_snp_memory_not_reserved_by_bios(tmp_path: Path) -> None:
    log = DMESG_611_HEALTHY.replace(
        "SEV-SNP: RMP table physical range [0x000000403fe00000 - 0x000000407fe03fff]",
        "SEV-SNP: Memory for the RMP table has not been reserved by BIOS").replace(
        "SEV-SNP API:1.55 build:21", "SEV API:1.55 build:21").replace(
        "AMD-Vi: IOMMU SNP support enabled.", "AMD-Vi: Interrupt remapping enabled").replace(
        "SEV-SNP enabled (ASIDs", "SEV-SNP disabled (ASIDs")
    # kernels >= 6.8 also hide the sev_snp flag in that case
    report = check(HostBuilder(tmp_path).flags(remove=("sev_snp",)).kvm_amd(sev_snp="N").dmesg(log))
    assert not report.ready
    assert st(report, "cpu.sev-snp") is Status.WARN  # the CPU has SNP; children still run
    assert st(report, "bios.snp") is Status.FAIL
    assert "Memory for the RMP table has not been reserved by BIOS" in text(report, "bios.snp")
    assert "SNP Memory (RMP Table) Coverage: Enabled" in report.by_id("bios.snp").remedy
    assert "SMEE" in report.by_id("bios.snp").remedy
    assert st(report, "kvm.sev-snp") is Status.FAIL
    assert "did not reserve the RMP table" in report.by_id("kvm.sev-snp").summary
    assert st(report, "host.sev-vs-snp") is Status.SKIP
    # the same log with the flag still shown (kernels before 6.8)
    report = check(HostBuilder(tmp_path).kvm_amd(sev_snp="N").dmesg(log))
    assert st(report, "cpu.sev-snp") is Status.PASS and st(report, "bios.snp") is Status.FAIL


def test_rmp_not_covering_all_memory(tmp_path: Path) -> None:
    log = DMESG_611_HEALTHY.replace(
        "SEV-SNP: RMP table physical range [0x000000403fe00000 - 0x000000407fe03fff]",
        "SEV-SNP: Memory reserved for the RMP table does not cover full system RAM (expected 0x1010000000 got 0x808000000)")
    report = check(HostBuilder(tmp_path).kvm_amd(sev_snp="N").dmesg(log))
    assert st(report, "bios.snp") is Status.FAIL
    assert "not \"Custom\"" in report.by_id("bios.snp").remedy


@pytest.mark.parametrize(("line", "expected", "shown"), [
    ("ccp 0000:47:00.1: SEV API:1.49 build:3", Status.FAIL, "1.49 build 3"),
    ("ccp 0000:47:00.1: SEV API:1.9 build:3", Status.FAIL, "1.9 build 3"),  # 1.9 > 1.51 as a float: wrong
    ("ccp 0000:47:00.1: SEV API:1.51 build:3", Status.PASS, "1.51 build 3"),
    ("ccp 0000:47:00.1: SEV API:1.100 build:1", Status.PASS, "1.100 build 1"),
    ("ccp 0000:47:00.1: SEV API:2.0 build:1", Status.PASS, "2.0 build 1"),
    ("ccp 0000:47:00.1: SEV API:0.99 build:1", Status.FAIL, "0.99 build 1"),
])
def test_firmware_version_compares_as_a_tuple_from_the_log(tmp_path: Path, line: str, expected: Status,
                                                          shown: str) -> None:
    log = f"[   19.479814] ccp 0000:47:00.1: sev enabled\n[   19.749501] {line}\n"
    report = check(HostBuilder(tmp_path).kvm_amd(sev_snp="N").dmesg(log))
    assert st(report, "fw.version") is expected
    assert shown in report.by_id("fw.version").summary
    if expected is Status.FAIL:
        assert "1.51" in report.by_id("fw.version").remedy
        assert st(report, "fw.snp-init") is Status.SKIP  # a failed parent skips its child


def test_firmware_below_151_with_the_amd_kernel_message(tmp_path: Path) -> None:
    log = ("[   19.720420] ccp 0000:47:00.1: SEV-SNP support requires firmware version >= 1:51\n"
           "[   19.740503] ccp 0000:47:00.1: SEV: failed to INIT error 0x1, rc -5\n"
           "[   19.749501] ccp 0000:47:00.1: SEV API:1.49 build:3\n")
    report = check(HostBuilder(tmp_path).kvm_amd(sev_snp="N").dmesg(log))
    assert st(report, "fw.version") is Status.FAIL
    assert "SEV-SNP support requires firmware version >= 1:51" in text(report, "fw.version")
    assert not report.ready


@pytest.mark.parametrize(("minor", "expected"), [(9, Status.FAIL), (49, Status.FAIL), (51, Status.PASS),
                                                 (55, Status.PASS)])
def test_firmware_version_from_the_ioctl_wins_over_the_log(tmp_path: Path, minor: int, expected: Status) -> None:
    report = check(HostBuilder(tmp_path).sev_status(ioctl_status(minor=minor)))
    assert st(report, "fw.version") is expected
    assert "(ioctl)" in text(report, "fw.version")
    if expected is Status.PASS:
        assert st(report, "fw.snp-init") is Status.PASS
        assert "SNP_PLATFORM_STATUS" in text(report, "fw.snp-init")


def test_snp_state_uninit_from_the_ioctl_fails(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).sev_status(ioctl_status(snp_state="UNINIT")))
    assert st(report, "fw.snp-init") is Status.FAIL


def test_snp_status_einval_means_not_initialised(tmp_path: Path) -> None:
    status = ioctl_status(snp_state=None)
    status["snp_status_error"] = "[Errno 22] Invalid argument (psp error 0x0)"
    log = DMESG_611_HEALTHY.replace("ccp 0000:01:00.5: SEV-SNP API:1.55 build:21", "ccp 0000:01:00.5: SEV API:1.55 build:21")
    report = check(HostBuilder(tmp_path).kvm_amd(sev_snp="N").sev_status(status).dmesg(log))
    assert st(report, "fw.snp-init") is Status.FAIL
    assert "Invalid argument" in text(report, "fw.snp-init")


def test_snp_init_failed_error_0x3(tmp_path: Path) -> None:
    log = ("[   11.652294] ccp 0000:42:00.1: sev enabled\n"
           "[   11.702131] ccp 0000:42:00.1: SEV-SNP: failed to INIT rc -5, error 0x3\n"
           "[   11.717785] ccp 0000:42:00.1: SEV API:1.55 build:7\n")
    report = check(HostBuilder(tmp_path).kvm_amd(sev_snp="N").dmesg(log))
    assert st(report, "fw.version") is Status.PASS
    assert st(report, "fw.snp-init") is Status.FAIL
    assert "INVALID_CONFIG" in report.by_id("fw.snp-init").summary
    assert "UEFI" in report.by_id("fw.snp-init").remedy
    assert "SEV firmware refused SNP_INIT" in report.by_id("kvm.sev-snp").summary


@pytest.mark.parametrize("cmdline", ["ro quiet iommu=pt", "ro iommu.passthrough=1", "ro amd_iommu=off"])
def test_iommu_passthrough_on_the_command_line(tmp_path: Path, cmdline: str) -> None:
    report = check(HostBuilder(tmp_path).cmdline(cmdline).kvm_amd(sev_snp="N"))
    assert st(report, "host.iommu") is Status.FAIL
    remedy = report.by_id("host.iommu").remedy
    assert "iommu=nopt" in remedy and "update-grub" in remedy
    assert cmdline.split()[-1] in text(report, "host.iommu")


@pytest.mark.parametrize("line", [
    "AMD-Vi: SNP: IOMMU disabled or configured in passthrough mode, SNP cannot be supported.",
    "AMD-Vi: SEV-SNP: IOMMU is either disabled or configured in passthrough mode.",
    "AMD-Vi: SNP: IOMMU is disabled or configured in passthrough mode, SNP cannot be supported",
    "iommu: Default domain type: Passthrough (set via kernel command line)",
])
def test_iommu_passthrough_in_the_log(tmp_path: Path, line: str) -> None:
    log = DMESG_611_HEALTHY.replace("AMD-Vi: IOMMU SNP support enabled.", line).replace(
        "iommu: Default domain type: Translated", "iommu: DMA domain TLB invalidation policy: lazy mode")
    report = check(HostBuilder(tmp_path).cmdline("ro quiet").kvm_amd(sev_snp="N").dmesg(log))
    assert st(report, "host.iommu") is Status.FAIL
    assert line in text(report, "host.iommu")
    assert "IOMMU" in report.by_id("kvm.sev-snp").summary


def test_iommu_groups_in_identity_mode(tmp_path: Path) -> None:
    log = DMESG_611_HEALTHY.replace("AMD-Vi: IOMMU SNP support enabled.\n", "").replace(
        "iommu: Default domain type: Translated\n", "")
    b = HostBuilder(tmp_path).cmdline("ro").kvm_amd(sev_snp="N").dmesg(log)
    b.file("/sys/kernel/iommu_groups/0/type", "identity\n").file("/sys/kernel/iommu_groups/1/type", "identity\n")
    report = check(b)
    assert st(report, "host.iommu") is Status.FAIL
    assert "/sys/kernel/iommu_groups/0/type: identity" in text(report, "host.iommu")


def test_no_iommu_at_all(tmp_path: Path) -> None:
    log = DMESG_611_HEALTHY.replace("AMD-Vi: IOMMU SNP support enabled.\n", "")
    b = HostBuilder(tmp_path).kvm_amd(sev_snp="N").dmesg(log).remove("/sys/class/iommu/ivhd0") \
        .directory("/sys/class/iommu").remove("/sys/kernel/iommu_groups")
    report = check(b)
    assert st(report, "host.iommu") is Status.FAIL
    assert "/sys/class/iommu: empty" in text(report, "host.iommu")


def test_kernel_without_the_sev_snp_parameter(tmp_path: Path) -> None:
    log = DMESG_611_HEALTHY.replace("ccp 0000:01:00.5: SEV-SNP API:1.55 build:21\n", "").replace(
        "kvm_amd: SEV-SNP enabled (ASIDs 1 - 509)\n", "")
    b = HostBuilder(tmp_path).kernel("6.8.0-45-generic").kvm_amd(sev="Y", sev_es="Y", sev_snp=None).dmesg(log)
    report = check(b)
    assert not report.ready
    c = report.by_id("kvm.sev-snp")
    assert c.status is Status.FAIL
    assert "no sev_snp parameter" in c.summary
    assert "6.11" in c.remedy and "AMDESE" in c.remedy
    assert st(report, "host.kernel") is Status.FAIL
    assert st(report, "host.sev-vs-snp") is Status.SKIP
    assert st(report, "kvm.sev") is Status.PASS


def test_old_kernel_without_kvm_amd_loaded_is_judged_by_version(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).kernel("6.8.0-45-generic").kvm_amd(loaded=False))
    assert st(report, "host.kernel") is Status.FAIL
    assert st(report, "kvm.amd") is Status.FAIL
    for child in ("kvm.sev", "kvm.sev-es", "kvm.sev-snp", "host.sev-vs-snp"):
        assert st(report, child) is Status.SKIP
        assert "kvm.amd" in report.by_id(child).summary
    report = check(HostBuilder(tmp_path).kernel("6.12.1-200.fc41.x86_64").kvm_amd(loaded=False))
    assert st(report, "host.kernel") is Status.PASS


def test_kernel_config_without_sev_support_fails(tmp_path: Path) -> None:
    import gzip

    config = gzip.compress(b"CONFIG_KVM=y\n# CONFIG_KVM_AMD is not set\nCONFIG_AMD_MEM_ENCRYPT=y\n")
    report = check(HostBuilder(tmp_path).kernel("6.12.0-cloud").kvm_amd(loaded=False).file("/proc/config.gz", config))
    assert st(report, "host.kernel") is Status.FAIL
    assert "# CONFIG_KVM_AMD is not set; CONFIG_KVM_AMD_SEV absent from the config" in report.by_id("host.kernel").summary


def test_intel_host_fails_cpu_amd_and_skips_the_snp_children(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).intel().kvm_amd(loaded=False).no_device("/dev/sev").dmesg("[    0.0] Linux version 6.8.0\n")
    report = check(b)
    assert not report.ready
    c = report.by_id("cpu.amd")
    assert c.status is Status.FAIL and "GenuineIntel" in c.summary and "EPYC" in c.remedy
    for child in ("cpu.sev-snp", "bios.snp", "host.iommu", "dev.sev", "fw.version", "fw.snp-init", "kvm.amd",
                  "kvm.sev", "kvm.sev-es", "kvm.sev-snp", "host.sev-vs-snp"):
        assert st(report, child) is Status.SKIP, child
    assert "cpu.amd" in report.by_id("cpu.sev-snp").summary
    assert st(report, "host.uefi") is Status.PASS  # independent checks still run
    assert st(report, "dev.kvm") is Status.PASS


@pytest.mark.parametrize(("model", "flags", "word"), [
    ("AMD EPYC 7402P 24-Core Processor", ("sev", "sev_es"), "7001/7002"),
    ("AMD Ryzen 9 7950X 16-Core Processor", (), "not an EPYC"),
])
def test_amd_cpus_without_snp(tmp_path: Path, model: str, flags: tuple[str, ...], word: str) -> None:
    from hosts_helpers import cpuinfo_text

    family = 23 if "7402" in model else 25
    base = "fpu vme de pse tsc msr svm"
    b = HostBuilder(tmp_path).cpuinfo(cpuinfo_text("AuthenticAMD", model, family, 49, " ".join([base, *flags]), 4))
    b.dmesg("[    0.0] Linux version 6.11.0\n").kvm_amd(sev_snp="N")
    report = check(b)
    assert st(report, "cpu.sev-snp") is Status.FAIL
    assert word in text(report, "cpu.sev-snp")


def test_smee_off_clears_every_sev_flag(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).flags(remove=("sme", "sev", "sev_es", "sev_snp")).dmesg(
        "[    9.3] ccp 0000:01:00.5: SEV: memory encryption not enabled by BIOS\n").kvm_amd(sev="N", sev_es="N", sev_snp="N")
    report = check(b)
    c = report.by_id("cpu.sev-snp")
    assert c.status is Status.FAIL and "SMEE" in c.summary and "SMEE" in c.remedy


def test_virtual_machine_without_snp(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).flags(add=("hypervisor",), remove=("sev", "sev_es", "sev_snp", "sme")))
    c = report.by_id("cpu.sev-snp")
    assert c.status is Status.FAIL and "virtual machine" in c.summary


def test_sev_only_after_sev_snp_0_is_the_guides_known_issue(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).snp_off_by_module_option())
    assert not report.ready
    c = report.by_id("host.sev-vs-snp")
    assert c.status is Status.FAIL
    assert "sev_snp=0" in c.summary
    assert "sudo rmmod kvm_amd && sudo modprobe kvm_amd sev_snp=0" in c.remedy  # the guide's words
    assert "sudo rmmod kvm_amd && sudo modprobe kvm_amd sev=1 sev_es=1 sev_snp=1" in c.remedy  # the way back
    assert "kvm_amd: SEV-SNP disabled (ASIDs 1 - 509)" in text(report, "host.sev-vs-snp")
    assert st(report, "kvm.sev-snp") is Status.FAIL
    assert "sev_snp=0" in report.by_id("kvm.sev-snp").summary
    assert st(report, "kvm.sev") is Status.PASS
    assert st(report, "fw.snp-init") is Status.PASS  # the platform itself is fine


def test_sev_snp_0_in_modprobe_d_is_named(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).kvm_amd(sev_snp="N").file("/etc/modprobe.d/kvm.conf", "options kvm_amd sev_snp=0\n")
    b.dmesg(DMESG_611_HEALTHY.replace("SEV-SNP enabled (ASIDs", "SEV-SNP disabled (ASIDs"))
    report = check(b)
    assert st(report, "host.sev-vs-snp") is Status.FAIL
    assert "/etc/modprobe.d/kvm.conf: options kvm_amd sev_snp=0" in text(report, "host.sev-vs-snp")


def test_sev_snp_0_on_the_kernel_command_line_is_named(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).kvm_amd(sev_snp="N").cmdline("ro kvm_amd.sev_snp=0"))
    assert st(report, "host.sev-vs-snp") is Status.FAIL
    assert "kvm_amd.sev_snp=0" in text(report, "host.sev-vs-snp")


def test_dmesg_not_permitted_and_no_journal_is_unknown_not_failed(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).dmesg_denied().journal("", returncode=0).kvm_amd(sev_snp="N")
    report = check(b)
    for check_id in ("bios.snp", "fw.version", "fw.snp-init"):
        c = report.by_id(check_id)
        assert c.status in (Status.SKIP, Status.WARN), (check_id, c.status)
        assert "dmesg_restrict" in c.summary, c.summary
        assert "Operation not permitted" in c.summary
    assert "cannot be read" in report.by_id("bios.snp").summary
    assert "sudo" in report.by_id("bios.snp").remedy
    assert report.host["kernel_log"].startswith("unreadable")
    # kvm_amd's effective state is still a fact: SNP off fails, with the unknown log said plainly
    assert st(report, "kvm.sev-snp") is Status.FAIL


def test_dmesg_not_permitted_with_snp_on_in_kvm_passes_on_the_effective_state(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).dmesg_denied().missing_command("journalctl-k"))
    assert report.ready
    for check_id in DESIGN_IDS:
        assert st(report, check_id) is Status.PASS, (check_id, report.by_id(check_id).summary)
    assert "sev_snp: Y" in text(report, "bios.snp")
    assert "cannot be read" in report.by_id("fw.version").summary


def test_journal_is_the_fallback_for_dmesg(tmp_path: Path) -> None:
    journal = "\n".join(f"Mar 12 14:01:57 genoa kernel: {line[15:]}" for line in DMESG_611_HEALTHY.splitlines())
    report = check(HostBuilder(tmp_path).dmesg_denied().journal(journal).kvm_amd(sev_snp="N"))
    assert report.host["kernel_log"] == "journalctl -k -b 0"
    assert st(report, "bios.snp") is Status.PASS
    assert "kernel log (journalctl -k -b 0)" in text(report, "bios.snp")


def test_kern_log_is_the_last_fallback_and_only_the_last_boot_counts(tmp_path: Path) -> None:
    old_boot = ("Mar  1 10:00:00 h kernel: [    0.000000] Linux version 6.11.0-old\n"
                "Mar  1 10:00:00 h kernel: [    0.000000] SEV-SNP: Memory for the RMP table has not been reserved by BIOS\n")
    new_boot = "".join(f"Mar 12 14:01:57 h kernel: {line}\n" for line in DMESG_611_HEALTHY.splitlines())
    b = HostBuilder(tmp_path).dmesg_denied().missing_command("journalctl-k").kern_log(old_boot + new_boot)
    report = check(b.kvm_amd(sev_snp="N"))
    assert report.host["kernel_log"] == "/var/log/kern.log"
    assert st(report, "bios.snp") is Status.PASS


def test_missing_log_lines_warn_with_the_reason(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).dmesg("[    0.0] Linux version 6.11.0\n[  1.0] other\n").kvm_amd(sev_snp="N"))
    for check_id in ("bios.snp", "fw.version"):
        c = report.by_id(check_id)
        assert c.status is Status.WARN
        assert "rolled over" in c.summary


def test_garbage_in_sysfs_and_binary_bytes_in_the_log(tmp_path: Path) -> None:
    garbage_log = b"\x00\xff\xfe garbage \x89PNG\r\n" + DMESG_611_HEALTHY.encode() + b"\xc3\x28\x00\n"
    b = (HostBuilder(tmp_path).kvm_amd(sev="Y", sev_es=b"\xff\xfe\x00", sev_snp="maybe")
         .dmesg(garbage_log).file("/proc/sys/kernel/osrelease", b"\xff\xfe\n"))
    report = check(b)
    assert st(report, "kvm.sev-snp") is Status.WARN
    assert "Unexpected value" in report.by_id("kvm.sev-snp").summary
    assert "maybe" in text(report, "kvm.sev-snp")
    assert st(report, "kvm.sev-es") is Status.WARN
    assert "undecodable" in text(report, "kvm.sev-es")
    assert st(report, "bios.snp") is Status.PASS  # the valid lines are still read
    assert st(report, "host.kernel") is Status.WARN
    assert st(report, "host.sev-vs-snp") is Status.SKIP
    # a log of pure garbage: the unknown checks say the log held undecodable bytes
    report = check(HostBuilder(tmp_path).dmesg(bytes(range(256)) * 8).kvm_amd(sev_snp="N"))
    assert "undecodable" in report.by_id("bios.snp").summary


def test_garbage_cpuinfo(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).cpuinfo(b"\x00\x01 not a cpuinfo \xff"))
    assert st(report, "cpu.amd") is Status.WARN
    assert "vendor_id" in report.by_id("cpu.amd").summary
    report = check(HostBuilder(tmp_path).remove("/proc/cpuinfo"))
    assert st(report, "cpu.amd") is Status.SKIP


def test_unreadable_parameter_is_skipped_with_the_reason(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).unreadable_file("/sys/module/kvm_amd/parameters/sev_snp", "permission denied")
    report = check(b)
    c = report.by_id("kvm.sev-snp")
    assert c.status is Status.SKIP and "permission denied" in c.summary


def test_legacy_boot_fails_uefi(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).efi(False))
    assert st(report, "host.uefi") is Status.FAIL
    assert "CSM" in report.by_id("host.uefi").remedy
    assert not report.ready


def test_missing_devices(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).no_device("/dev/sev").no_device("/dev/kvm"))
    assert st(report, "dev.sev") is Status.FAIL and st(report, "dev.kvm") is Status.FAIL
    assert "modprobe ccp" in report.by_id("dev.sev").remedy
    assert "modprobe kvm_amd" in report.by_id("dev.kvm").remedy


@pytest.mark.parametrize(("mode", "expected"), [("v1", Status.PASS), ("hybrid", Status.PASS), ("v2", Status.WARN)])
def test_cgroups(tmp_path: Path, mode: str, expected: Status) -> None:
    report = check(HostBuilder(tmp_path).cgroups(mode))
    c = report.by_id("host.cgroups")
    assert c.status is expected
    if expected is Status.WARN:
        assert "systemd.unified_cgroup_hierarchy=0" in c.remedy and "update-grub" in c.remedy
        assert report.ready  # a warning never blocks


def test_cgroups_without_proc_mounts_uses_the_cgroup2_root(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).cgroups("v2").unreadable_file("/proc/mounts"))
    assert st(report, "host.cgroups") is Status.WARN
    report = check(HostBuilder(tmp_path).cgroups("v1").unreadable_file("/proc/mounts"))
    assert st(report, "host.cgroups") is Status.SKIP


def test_sev_unusable_asids_still_pass_sev(tmp_path: Path) -> None:
    log = DMESG_611_HEALTHY.replace("kvm_amd: SEV enabled (ASIDs 510 - 1006)", "kvm_amd: SEV unusable (ASIDs 17 - 16)")
    report = check(HostBuilder(tmp_path).dmesg(log))
    c = report.by_id("kvm.sev")
    assert c.status is Status.PASS and "no ASIDs" in c.summary


# ---------------------------------------------------------------------------------- toolchain


@pytest.mark.parametrize(("output", "expected", "word"), [
    ("yq version 3.4.1\n", Status.PASS, "mikefarah"),
    ("yq (https://github.com/mikefarah/yq/) version v4.44.5\n", Status.FAIL, "v4"),
    ("yq version 3.3.2\n", Status.FAIL, "pins 3.4.1"),
    ("yq 3.2.3\n", Status.FAIL, "Python jq wrapper"),
    ("yq 0.0.0\n", Status.FAIL, "Python jq wrapper"),
    ("something else\n", Status.FAIL, "Unrecognised"),
])
def test_yq_must_be_mikefarah_341(tmp_path: Path, output: str, expected: Status, word: str) -> None:
    report = check(HostBuilder(tmp_path).command("yq", output), profile="guide-3.2")
    c = report.by_id("tool.yq")
    assert c.status is expected and word in c.summary
    assert c.affects_readiness is False and report.ready
    if expected is Status.FAIL:
        assert "releases/download/3.4.1/yq_linux_amd64" in c.remedy


def test_missing_tools_fail_without_changing_readiness(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path)
    for key in ("git", "make", "gcc", "flex", "bison", "go", "rustup", "docker", "yq"):
        b.missing_command(key)
    b.remove("/usr/include/libelf.h")
    report = check(b)
    assert report.ready
    for check_id in ("tool.git", "tool.make", "tool.gcc", "tool.flex", "tool.bison", "tool.libelf", "tool.go",
                     "tool.rustup", "tool.docker", "tool.yq"):
        assert st(report, check_id) is Status.FAIL, check_id
    assert st(report, "tool.docker-daemon") is Status.SKIP
    assert "libelf-dev" in report.by_id("tool.libelf").remedy
    assert "apt-get install -y flex" in report.by_id("tool.flex").remedy


def test_go_installed_off_path(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).missing_command("go").file("/usr/local/go/bin/go", b"\x7fELF"))
    c = report.by_id("tool.go")
    assert c.status is Status.WARN and "/usr/local/go/bin" in c.remedy


def test_rustup_without_the_musl_target(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).command("rustup-targets", "x86_64-unknown-linux-gnu\n"))
    c = report.by_id("tool.rustup")
    assert c.status is Status.WARN and "rustup target add x86_64-unknown-linux-musl" in c.remedy


@pytest.mark.parametrize(("output", "rc", "expected"), [
    ("24.0.7 runc\n", 0, Status.PASS),
    ("24.0.7 io.containerd.kata.v2\n", 0, Status.WARN),
    ("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n",
     1, Status.WARN),
    ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
     1, Status.FAIL),
])
def test_docker_daemon(tmp_path: Path, output: str, rc: int, expected: Status) -> None:
    report = check(HostBuilder(tmp_path).command("docker-info", output, returncode=rc))
    assert st(report, "tool.docker-daemon") is expected


@pytest.mark.parametrize(("free", "expected"), [(10 * GIB, Status.FAIL), (30 * GIB, Status.WARN),
                                                (200 * GIB, Status.PASS)])
def test_free_disk_of_the_workspace_file_system(tmp_path: Path, free: int, expected: Status) -> None:
    b = HostBuilder(tmp_path).resources(disk_free={"/": 900 * GIB, "/home": free})
    report = check(b, workspace=Path("/home/dev/kata-snp-workspace"))
    c = report.by_id("build.disk")
    assert c.status is expected
    assert "disk free (/home)" in text(report, "build.disk")


def test_free_disk_unknown_and_small_machine(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).resources(disk_free={}, mem_total=4 * GIB, cpu_count=2)
    report = check(b)
    assert st(report, "build.disk") is Status.WARN
    assert st(report, "build.memory") is Status.WARN
    assert st(report, "build.cores") is Status.WARN
    assert report.ready


# --------------------------------------------------------------------------------------- kata


def test_kata_not_built_is_info(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path))
    for check_id in ("kata.runtime", "kata.containerd", "kata.ctr", "kata.kernel", "kata.initrd", "kata.ovmf",
                     "kata.qemu"):
        assert st(report, check_id) is Status.INFO, check_id
    assert str(WS / "qemu/build/qemu-system-x86_64") in text(report, "kata.qemu")


def test_kata_installed_and_built(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).command("kata-runtime", "kata-runtime  : 3.2.0\n   commit   : 47a3e2a\n   OCI specs: 1.0.2-dev\n")
    b.command("containerd", "containerd github.com/containerd/containerd v1.7.2 0cae528dd6cb557f7201036e9f43420650207b58\n")
    b.command("ctr", "ctr github.com/containerd/containerd v1.7.2\n")
    b.file("/usr/share/kata-containers/vmlinuz-snp.container", "")
    b.file("/usr/share/kata-containers/kata-containers-initrd.img", "")
    b.file(str(WS / "kata-containers/tools/packaging/static-build/ovmf/opt/kata/share/ovmf/OVMF.fd"), "")
    b.file(str(WS / "qemu/build/qemu-system-x86_64"), "")
    report = check(b)
    for check_id in ("kata.runtime", "kata.containerd", "kata.ctr", "kata.kernel", "kata.initrd", "kata.ovmf",
                     "kata.qemu"):
        assert st(report, check_id) is Status.PASS, check_id
    assert "1.7.2" in report.by_id("kata.containerd").summary


def test_other_kata_release_warns(tmp_path: Path) -> None:
    report = check(HostBuilder(tmp_path).command("kata-runtime", "kata-runtime  : 3.11.0\n   commit   : x\n"),
                   profile="guide-3.2")
    c = report.by_id("kata.runtime")
    assert c.status is Status.WARN and "3.2" in c.summary


def test_yq_v4_is_what_the_upstream_profile_wants(tmp_path: Path) -> None:
    v4 = "yq (https://github.com/mikefarah/yq/) version v4.44.5\n"
    assert check(HostBuilder(tmp_path).command("yq", v4), profile="upstream").by_id("tool.yq").status is Status.PASS
    old = check(HostBuilder(tmp_path).command("yq", "yq version 3.4.1\n"), profile="upstream").by_id("tool.yq")
    assert old.status is Status.FAIL and "v4" in old.remedy


def test_a_check_that_raises_becomes_a_warning(tmp_path: Path) -> None:
    from kata_snp_tui.checks.facts import Facts
    from kata_snp_tui.checks.runner import CheckSpec, run_tree

    def boom(f: Facts) -> None:
        raise RuntimeError("broken")

    specs = (CheckSpec("x.parent", "CPU", "Parent", boom), CheckSpec("x.child", "CPU", "Child",
                                                                       lambda f: (_ for _ in ()).throw(KeyError()),
                                                                       parent="x.parent"))
    results = run_tree(specs, Facts(open_snapshot(HostBuilder(tmp_path).build()), WS))
    assert results[0].status is Status.WARN and results[0].summary.startswith(INTERNAL_ERROR)
    assert "RuntimeError: broken" in results[0].summary
    assert results[1].status is Status.WARN  # a warning parent does not skip its children
