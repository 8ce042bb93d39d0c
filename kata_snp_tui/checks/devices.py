"""Devices: ``/dev/sev`` (the PSP, created by ccp) and ``/dev/kvm``."""

from __future__ import annotations

from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.kvm import LOAD_KVM_AMD
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import BIOS_SNP
from kata_snp_tui.checks.runner import CheckSpec, Outcome, failed, passed

GROUP = "Devices"
DEV_SEV = "/dev/sev"
DEV_KVM = "/dev/kvm"

NO_DEV_SEV = """\
/dev/sev appears when the ccp driver finds an SEV-capable PSP:
  sudo modprobe ccp
  sudo dmesg | grep -i ccp     (look for 'sev enabled' or 'memory encryption not enabled by BIOS')
""" + BIOS_SNP


def _device_evidence(path: str, kind: str | None) -> Evidence:
    return Evidence(path, f"{kind} device" if kind else "absent")


def dev_sev(f: Facts) -> Outcome:
    kind = f.host.device(DEV_SEV)
    if kind == "char":
        return passed("/dev/sev exists: the PSP is ready for SEV commands.", _device_evidence(DEV_SEV, kind))
    log = f.log
    return failed("/dev/sev is missing: the ccp driver found no SEV-capable PSP.", _device_evidence(DEV_SEV, kind),
                  log.evidence(log.last(kl.NO_BIOS)), remedy=NO_DEV_SEV)


def dev_kvm(f: Facts) -> Outcome:
    kind = f.host.device(DEV_KVM)
    if kind == "char":
        return passed("/dev/kvm exists.", _device_evidence(DEV_KVM, kind))
    return failed("/dev/kvm is missing: KVM is not available.", _device_evidence(DEV_KVM, kind), remedy=LOAD_KVM_AMD)


SPECS = (
    CheckSpec("dev.sev", GROUP, "/dev/sev present", dev_sev, parent="cpu.sev-snp"),
    CheckSpec("dev.kvm", GROUP, "/dev/kvm present", dev_kvm),
)
