"""Host checks on both SNP host kernel kinds: AMD's out-of-tree 5.19 branch (no guest_memfd) and upstream 6.11+
(guest_memfd), built from the real samples in shared/samples (copied to tests/data/checks).

Each test takes the sample's own lines; the kernel release, the kvm_amd parameters and the kernel
configuration are what the sample states or what such a host has.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from conftest import DATA
from hosts_helpers import HostBuilder, open_snapshot

from kata_snp_tui.checks import kernel_kind as kk
from kata_snp_tui.checks import run_checks
from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import CheckReport, Status

SAMPLES = DATA / "checks"
Y = {"sev": "Y", "sev_es": "Y", "sev_snp": "Y"}


def sample(name: str, start: str | None = None, end: str | None = None) -> str:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    if start is not None:
        text = text[text.index(start):]
    if end is not None:
        text = text[: text.index(end)]
    return text


AMD_519 = sample("host-dmesg-working-snp-amd-outoftree-5.19.txt", "# dmesg | grep -i -e rmp -e sev",
                 "Guest check in the same README")
GENOA_69 = sample("host-dmesg-working-snp-baremetal-genoa-6.9.txt")
TURIN = sample("host-dmesg-working-snp-turin-segmented-rmp.txt")
#: AMDSEV#113 on the ccp wording upstream kernels print: two "SEV API:1.49" lines, no "SEV-SNP API" line.
OLD_FW_LINES = sample("host-dmesg-old-firmware-below-1.51.txt", "https://github.com/AMDESE/AMDSEV/issues/113",
                      "# cat /sys/module/kvm_amd/parameters/sev")


def run(tmp_path: Path, b: HostBuilder) -> tuple[CheckReport, Facts]:
    host = open_snapshot(b.build())
    return run_checks(host, workspace=tmp_path / "ws"), Facts(host, tmp_path / "ws")


def config(*lines: str) -> bytes:
    return gzip.compress(("\n".join(lines) + "\n").encode())


def test_amd_519_branch_is_told_apart_from_upstream(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).kernel("5.19.0-rc6-sev-es-snp+").kvm_amd(**Y).dmesg(AMD_519)
    report, facts = run(tmp_path, b)
    assert facts.kernel_kind.kind == kk.AMD_519 and facts.kernel_kind.gmem is False
    c = report.by_id("host.kernel")
    assert c.status is Status.PASS and "without guest_memfd" in c.summary, c.summary
    assert report.ready


def test_amd_519_branch_without_kvm_amd_loaded_is_read_from_its_log_wording(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).kernel("5.19.0-rc6-sev-es-snp+").kvm_amd(loaded=False).dmesg(AMD_519)
    report, facts = run(tmp_path, b)
    assert facts.kernel_kind.kind == kk.AMD_519
    c = report.by_id("host.kernel")
    assert c.status is Status.PASS
    assert any("SEV-SNP: RMP table physical address 0x0000000035600000" in e.value for e in c.evidence)


def test_upstream_kernels_with_the_6x_log_wording(tmp_path: Path) -> None:
    for release, log in (("6.11.0-rc3-snp-host-85ef1ac03941", TURIN), ("6.12.0-55.el10.x86_64", TURIN),
                         ("6.16.3-200.fc42.x86_64", GENOA_69)):
        report, facts = run(tmp_path, HostBuilder(tmp_path).kernel(release).kvm_amd(**Y).dmesg(log))
        assert facts.kernel_kind.kind == kk.UPSTREAM and facts.kernel_kind.gmem is True, release
        assert "guest_memfd" in report.by_id("host.kernel").summary
        for check_id in ("bios.snp", "fw.version", "fw.snp-init", "kvm.sev-snp", "host.kernel"):
            assert report.by_id(check_id).status is Status.PASS, (release, check_id)
        assert report.ready


def test_amd_pre_upstream_gmem_tree_is_its_own_kind(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).kernel("6.9.0-rc7-snp-host-05b10142ac6a").kvm_amd(**Y).dmesg(GENOA_69)
    report, facts = run(tmp_path, b)
    assert facts.kernel_kind.kind == kk.AMD_GMEM and facts.kernel_kind.gmem is True
    assert "pre-upstream" in report.by_id("host.kernel").summary


def test_upstream_config_needs_kvm_amd_sev_not_amd_mem_encrypt(tmp_path: Path) -> None:
    # 6.11+: CONFIG_KVM_AMD_SEV selects ARCH_HAS_CC_PLATFORM and guest_memfd; the host needs no AMD_MEM_ENCRYPT.
    good = config("CONFIG_KVM=y", "CONFIG_KVM_AMD=m", "CONFIG_KVM_AMD_SEV=y", "CONFIG_KVM_PRIVATE_MEM=y",
                  "CONFIG_KVM_GENERIC_PRIVATE_MEM=y", "# CONFIG_AMD_MEM_ENCRYPT is not set")
    b = HostBuilder(tmp_path).kernel("6.11.0-custom").kvm_amd(loaded=False).dmesg(TURIN).file("/proc/config.gz", good)
    report, facts = run(tmp_path, b)
    c = report.by_id("host.kernel")
    assert c.status is Status.PASS, c.summary
    assert any("CONFIG_KVM_PRIVATE_MEM=y" in e.value for e in c.evidence), [str(e) for e in c.evidence]
    bad = config("CONFIG_KVM=y", "CONFIG_KVM_AMD=m", "# CONFIG_KVM_AMD_SEV is not set", "CONFIG_AMD_MEM_ENCRYPT=y")
    b = HostBuilder(tmp_path).kernel("6.11.0-custom").kvm_amd(loaded=False).dmesg(TURIN).file("/proc/config.gz", bad)
    report, _ = run(tmp_path, b)
    c = report.by_id("host.kernel")
    assert c.status is Status.FAIL and "# CONFIG_KVM_AMD_SEV is not set" in c.summary


def test_amd_branch_config_still_needs_amd_mem_encrypt(tmp_path: Path) -> None:
    bad = config("CONFIG_KVM_AMD=m", "CONFIG_KVM_AMD_SEV=y", "# CONFIG_AMD_MEM_ENCRYPT is not set")
    b = (HostBuilder(tmp_path).kernel("5.19.0-rc6-sev-es-snp+").kvm_amd(loaded=False).dmesg(AMD_519)
         .file("/proc/config.gz", bad))
    report, facts = run(tmp_path, b)
    c = report.by_id("host.kernel")
    assert c.status is Status.FAIL and "# CONFIG_AMD_MEM_ENCRYPT is not set" in c.summary
    good = config("CONFIG_KVM_AMD=m", "CONFIG_KVM_AMD_SEV=y", "CONFIG_AMD_MEM_ENCRYPT=y")
    b = (HostBuilder(tmp_path).kernel("5.19.0-rc6-sev-es-snp+").kvm_amd(loaded=False).dmesg(AMD_519)
         .file("/proc/config.gz", good))
    report, facts = run(tmp_path, b)
    assert report.by_id("host.kernel").status is Status.PASS
    assert facts.kernel_kind.kind == kk.AMD_519 and facts.kernel_kind.gmem is False


def test_old_firmware_on_an_upstream_kernel_explains_sev_snp_off(tmp_path: Path) -> None:
    # Upstream logs "SEV-SNP support requires firmware version >= 1:51" at debug level only: the API line is the hint.
    b = HostBuilder(tmp_path).kernel("6.11.0-rc3-snp-host-85ef1ac03941").kvm_amd(sev="Y", sev_es="Y", sev_snp="N")
    report, _ = run(tmp_path, b.dmesg(OLD_FW_LINES))
    c = report.by_id("kvm.sev-snp")
    assert c.status is Status.FAIL
    assert "older than 1.51" in c.summary and "1.49 build 3" in c.summary, c.summary
    assert any("ccp 0000:42:00.1: SEV API:1.49 build:3" in e.value for e in c.evidence)
    assert "1.51" in (c.remedy or "")
    assert report.by_id("fw.version").status is Status.FAIL


def test_gmem_refusal_line_marks_a_guest_memfd_kernel(tmp_path: Path) -> None:
    # kata-upstream.md section 5, error 13: what a gmem host logs when a non-gmem QEMU starts an SNP guest.
    line = "[  512.771093] kvm_amd: SEV-SNP requires private memory support via guest_memfd.\n"
    b = HostBuilder(tmp_path).kernel("6.8.0-rc5-snp-host-custom").kvm_amd(**Y).dmesg(GENOA_69 + line)
    _, facts = run(tmp_path, b)
    assert facts.kernel_kind.gmem is True and facts.kernel_kind.kind == kk.AMD_GMEM
    assert any("requires private memory support via guest_memfd" in e.value for e in facts.kernel_kind.evidence)


def test_distribution_kernel_without_snp_support_is_no_snp(tmp_path: Path) -> None:
    b = HostBuilder(tmp_path).kernel("6.8.0-45-generic").kvm_amd(sev="Y", sev_es="Y", sev_snp=None)
    report, facts = run(tmp_path, b.dmesg(OLD_FW_LINES))
    assert facts.kernel_kind.kind == kk.NO_SNP
    assert report.by_id("host.kernel").status is Status.FAIL


def test_a_6_11_plus_kernel_built_without_kvm_amd_sev_is_no_snp_in_every_check(tmp_path: Path) -> None:
    # This machine's kind of kernel (6.18 with '# CONFIG_KVM_AMD is not set'): the version alone is no SNP host
    # support. host.kernel failed while profile.host-kernel passed with "an upstream SNP host kernel" before.
    for lines in (("CONFIG_KVM=y", "# CONFIG_KVM_AMD is not set"),
                  ("CONFIG_KVM=y", "CONFIG_KVM_AMD=m", "# CONFIG_KVM_AMD_SEV is not set")):
        b = (HostBuilder(tmp_path).kernel("6.18.44-fc-v1300").kvm_amd(loaded=False)
             .file("/proc/config.gz", config(*lines)))
        report, facts = run(tmp_path, b)
        assert facts.kernel_kind.kind == kk.NO_SNP, (lines, facts.kernel_kind)
        assert any(lines[-1] in e.value for e in facts.kernel_kind.evidence), facts.kernel_kind.evidence
        assert report.by_id("host.kernel").status is Status.FAIL
        drift = report.by_id("profile.host-kernel")
        assert drift.status is Status.SKIP and "no SNP host support" in drift.summary, drift.summary
        assert not any("SNP host kernel" in c.summary and c.status is Status.PASS for c in report.checks)
