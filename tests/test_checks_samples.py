"""The real host logs from shared/samples (copied to tests/data/checks) read as kernel logs.

Several samples quote more than one machine (an issue thread, an older README); where the whole
file would mix hosts, the test takes the part between two markers. Each case states the verdict
the sample stands for on the checks it is about, and the exact line the evidence must quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import DATA, SHARED
from hosts_helpers import HostBuilder, open_snapshot

from kata_snp_tui.checks import run_checks
from kata_snp_tui.checks.model import Status
from kata_snp_tui.checks.runner import INTERNAL_ERROR

SAMPLES = DATA / "checks"
P, F, W, S = Status.PASS, Status.FAIL, Status.WARN, Status.SKIP


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    expected: dict[str, Status]
    evidence: dict[str, str] = field(default_factory=dict)
    start: str | None = None
    end: str | None = None
    params: dict[str, str | None] = field(default_factory=lambda: {"sev": "Y", "sev_es": "Y", "sev_snp": "N"})
    kernel: str = "6.11.0-snp-host-f2ab1d7c5e90"
    cmdline: str = "ro quiet"
    flags_add: tuple[str, ...] = ()
    ready: bool | None = None

    def log(self) -> str:
        text = (SAMPLES / self.file).read_text(encoding="utf-8")
        if self.start is not None:
            text = text[text.index(self.start):]
        if self.end is not None:
            text = text[: text.index(self.end)]
        return text


CASES = [
    Case("genoa-6.9-working", "host-dmesg-working-snp-baremetal-genoa-6.9.txt",
         {"bios.snp": P, "fw.version": P, "fw.snp-init": P, "kvm.sev": P, "kvm.sev-es": P, "kvm.sev-snp": P,
          "host.iommu": P, "host.sev-vs-snp": P, "host.kernel": P},
         {"bios.snp": "SEV-SNP: RMP table physical range [0x000000bf7e800000 - 0x000000c03f0fffff]",
          "fw.version": "SEV-SNP API:1.55 build:21", "fw.snp-init": "SEV-SNP API:1.55 build:21",
          "kvm.sev-snp": "kvm_amd: SEV-SNP enabled (ASIDs 1 - 509)", "kvm.sev": "kvm_amd: SEV enabled (ASIDs 510 - 1006)"},
         params={"sev": "Y", "sev_es": "Y", "sev_snp": "Y"}, kernel="6.9.0-rc7-snp-host-05b10142ac6a", ready=True),
    Case("turin-segmented-rmp-working", "host-dmesg-working-snp-turin-segmented-rmp.txt",
         {"bios.snp": P, "fw.version": P, "fw.snp-init": P, "kvm.sev-snp": P},
         {"bios.snp": "SEV-SNP: Segmented RMP base table physical range", "fw.version": "SEV-SNP API:1.58 build:5",
          "kvm.sev-snp": "kvm_amd: SEV-SNP enabled (ASIDs 1 - 98)"},
         params={"sev": "Y", "sev_es": "Y", "sev_snp": "Y"}, ready=True),
    Case("amd-5.19-outoftree-working", "host-dmesg-working-snp-amd-outoftree-5.19.txt",
         {"bios.snp": P, "fw.version": P, "fw.snp-init": P, "kvm.sev": P, "kvm.sev-snp": P, "host.kernel": P},
         {"bios.snp": "SEV-SNP: RMP table physical address 0x0000000035600000 - 0x0000000075bfffff",
          "fw.snp-init": "SEV-SNP API:1.51 build:1", "kvm.sev-snp": "SEV-ES and SEV-SNP supported: 99 ASIDs",
          "kvm.sev": "SEV supported: 410 ASIDs"},
         start="# dmesg | grep -i -e rmp -e sev", end="Guest check in the same README",
         params={"sev": "Y", "sev_es": "Y", "sev_snp": "Y"}, kernel="5.19.0-rc6-sev-es-snp+", ready=True),
    Case("amd-early-readme-int-params", "host-dmesg-working-snp-amd-outoftree-5.19.txt",
         {"kvm.sev": P, "kvm.sev-es": P, "kvm.sev-snp": P, "fw.version": F},
         {"kvm.sev-snp": "SEV-SNP supported: 99 ASIDs", "fw.version": "SEV-SNP API:1.22 build:22"},
         start="Earliest README", params={"sev": "1", "sev_es": "1", "sev_snp": "1"}, kernel="5.19.0-rc6-sev-es-snp+"),
    Case("azure-nested-fw-1.42", "host-dmesg-and-snphost-ok-azure-nested-old-fw-1.42.txt",
         {"bios.snp": P, "fw.version": F, "fw.snp-init": S, "kvm.sev": P, "kvm.sev-snp": P},
         {"fw.version": "ccp psp: SEV-SNP API:1.42 build:42", "kvm.sev": "kvm_amd: SEV enabled (ASIDs 17 - 16)"},
         params={"sev": "Y", "sev_es": "Y", "sev_snp": "Y"}, kernel="6.7.0-rc6-next-20231222-snp-host-0fcebf5ce3fe",
         flags_add=("hypervisor",), ready=False),
    Case("rmp-not-reserved-by-bios", "host-dmesg-snp-disabled-rmp-not-reserved-by-bios.txt",
         {"bios.snp": F, "kvm.sev-snp": F, "fw.version": W, "fw.snp-init": W, "host.sev-vs-snp": S},
         {"bios.snp": "SEV-SNP: Memory for the RMP table has not been reserved by BIOS",
          "kvm.sev-snp": "SEV-SNP: Memory for the RMP table has not been reserved by BIOS"},
         kernel="6.6.0-rc1+", ready=False),
    Case("old-firmware-1.49-amd-kernel", "host-dmesg-old-firmware-below-1.51.txt",
         {"fw.version": F, "fw.snp-init": S, "bios.snp": P},
         {"fw.version": "SEV API:1.49 build:3"},
         end="https://github.com/AMDESE/AMDSEV/issues/113", ready=False),
    Case("old-firmware-1.49-and-iommu-passthrough", "host-dmesg-old-firmware-below-1.51.txt",
         {"fw.version": F, "host.iommu": F, "kvm.sev-snp": F, "kvm.sev-es": F},
         {"fw.version": "ccp 0000:42:00.1: SEV API:1.49 build:3",
          "host.iommu": "AMD-Vi: SNP: IOMMU is disabled or configured in passthrough mode, SNP cannot be supported"},
         start="https://github.com/AMDESE/AMDSEV/issues/113", params={"sev": "Y", "sev_es": "N", "sev_snp": "N"},
         kernel="5.19.0-rc6-snp-host-cd1599797a25", ready=False),
    Case("iommu-passthrough-5.14", "host-dmesg-iommu-disabled-or-passthrough.txt",
         {"host.iommu": F, "fw.version": P, "fw.snp-init": W, "kvm.sev-snp": F},
         {"host.iommu": "iommu=pt", "fw.version": "SEV API:1.51 build:3"},
         end="-----", kernel="5.14.0-rc2-snp-host-6d4469b86f90",
         cmdline="BOOT_IMAGE=/boot/vmlinuz-5.14.0-rc2-snp-host-6d4469b86f90 root=UUID=5271158d ro vga=normal "
                 "nomodeset iommu=pt modprobe.blacklist=btrfs mem_encrypt=on kvm_amd.sev=1", ready=False),
    Case("iommu-passthrough-log-only", "host-dmesg-iommu-disabled-or-passthrough.txt",
         {"host.iommu": F, "kvm.sev-snp": F},
         {"host.iommu": "AMD-Vi: SEV-SNP: IOMMU is either disabled or configured in passthrough mode."},
         end="-----", kernel="5.14.0-rc2-snp-host-6d4469b86f90", ready=False),
    Case("iommu-without-snp-feature", "host-dmesg-iommu-disabled-or-passthrough.txt",
         {"fw.version": P, "fw.snp-init": W, "host.iommu": W},
         {"fw.version": "SEV API:1.53 build:5", "fw.snp-init": "SEV API:1.53 build:5"},
         start="https://github.com/AMDESE/AMDSEV/issues/155"),
    Case("snp-init-failed-0x3", "host-dmesg-snp-init-failed.txt",
         {"fw.version": P, "fw.snp-init": F, "bios.snp": P, "kvm.sev-snp": F},
         {"fw.snp-init": "ccp 0000:42:00.1: SEV-SNP: failed to INIT rc -5, error 0x3",
          "bios.snp": "SEV-SNP: RMP table physical address [0x000000004de00000 - 0x00000000566fffff]"},
         end="-----", ready=False),
    Case("snp-firmware-ok-but-kvm-off", "host-dmesg-snp-init-failed.txt",
         {"fw.snp-init": P, "fw.version": P, "kvm.sev-snp": F},
         {"fw.snp-init": "ccp 0000:26:00.1: SEV-SNP API:1.52 build:4"},
         start="https://github.com/AMDESE/AMDSEV/issues/137", end="https://github.com/AMDESE/AMDSEV/issues/176",
         kernel="5.19.0-rc6-snp-host-cd1599797a25", ready=False),
    Case("snp-init-failed-old-flash-firmware", "host-dmesg-snp-init-failed.txt",
         {"fw.version": P, "fw.snp-init": F},
         {"fw.snp-init": "SEV-SNP: failed to INIT error 0x3"},
         start="https://github.com/AMDESE/AMDSEV/issues/176", end="https://github.com/AMDESE/AMDSEV/issues/184"),
    Case("psp-timeout", "host-dmesg-snp-init-failed.txt",
         {"fw.snp-init": F},
         {"fw.snp-init": "SEV-SNP: failed to INIT rc -110, error 0x0"},
         start="https://github.com/AMDESE/AMDSEV/issues/184"),
    Case("sevctl-reference-6.13-lines", "host-sevctl-ok-snp-disabled-in-bios.txt",
         {"bios.snp": P, "fw.version": W, "fw.snp-init": W},
         {"bios.snp": "SEV-SNP: RMP table physical range [0x000000601ff00000 - 0x00000060e07fffff]"}),
    Case("blog-error-lines", "host-snphost-ok-and-sevctl-ok-all-pass-baremetal.txt",
         {"fw.snp-init": F, "host.iommu": F, "bios.snp": W},
         {"fw.snp-init": "SEV-SNP: failed to INIT rc -5, error 0x3",
          "host.iommu": "AMD-Vi: SNP: IOMMU disabled or configured in passthrough mode, SNP cannot be supported."}),
    Case("no-dmesg-lines-at-all", "host-snphost-ok-snp-disabled-in-msr-6.11.txt",
         {"bios.snp": W, "fw.version": W, "fw.snp-init": W, "kvm.sev-snp": F},
         kernel="6.11.0-rc3-snp-host-85ef1ac03941"),
]


def test_samples_are_the_shared_ones() -> None:
    shared = {p.name: p.read_bytes() for p in (SHARED / "samples").glob("host-*.txt")}
    copied = {p.name: p.read_bytes() for p in SAMPLES.glob("host-*.txt")}
    if shared:  # the shared folder is beside the repository in the team's checkout
        assert copied == shared
    assert {c.file for c in CASES} == set(copied)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sample_verdicts(tmp_path: Path, case: Case) -> None:
    b = HostBuilder(tmp_path).kernel(case.kernel).cmdline(case.cmdline).kvm_amd(**case.params).dmesg(case.log())
    if case.flags_add:
        b.flags(add=case.flags_add)
    report = run_checks(open_snapshot(b.build()), workspace=tmp_path / "ws")
    for c in report.checks:
        assert not c.summary.startswith(INTERNAL_ERROR), (c.id, c.summary)
        assert c.status is not Status.FAIL or c.remedy, c.id
    got = {check_id: report.by_id(check_id).status for check_id in case.expected}
    assert got == case.expected, {k: report.by_id(k).summary for k in case.expected if got[k] != case.expected[k]}
    for check_id, line in case.evidence.items():
        shown = [e.value for e in report.by_id(check_id).evidence]
        assert any(line in v for v in shown), (check_id, shown)
    if case.ready is not None:
        assert report.ready is case.ready
