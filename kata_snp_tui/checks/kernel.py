"""Kernel: a host kernel with SNP support, and the IOMMU on and not in passthrough mode."""

from __future__ import annotations

from kata_snp_tui.checks import kernel_kind as kk
from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.common import inferred_from_kvm, unknown
from kata_snp_tui.checks.facts import CMDLINE, IOMMU_CLASS, KVM_AMD, OSRELEASE, Facts, show
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import GRUB_IOMMU, KERNEL_SNP
from kata_snp_tui.checks.runner import CheckSpec, Outcome, failed, passed, skipped, warned

GROUP = "Kernel and KVM"
#: Upstream KVM gained SEV-SNP host support (and the kvm_amd sev_snp parameter) in 6.11.
UPSTREAM_SNP = kk.UPSTREAM_SNP


#: Kernel command line words that put the IOMMU in passthrough or turn it off.
_PT_TRUE = {"1", "y", "Y", "on", "true"}


def _kind_note(f: Facts) -> str:
    kind = f.kernel_kind
    return kind.description if kind.kind not in (None, kk.NO_SNP) else "an SNP host kernel"


def host_kernel(f: Facts) -> Outcome:
    release = f.release
    if release is None:
        reason = f.osrelease_read.error or "empty"
        return skipped(f"The running kernel's version cannot be read ({reason}).",
                       Evidence(OSRELEASE, f"cannot read: {reason}"), remedy="uname -r")
    ev = Evidence(OSRELEASE, show(release))
    if f.osrelease_read.undecodable:
        return warned(f"The kernel version in {OSRELEASE} is not readable text ({show(release)!r}).", ev,
                      remedy="uname -r")
    snp_param = f.param("sev_snp")
    if f.kvm_amd_loaded and snp_param.read.ok:
        return passed(f"Kernel {release}: {_kind_note(f)}; kvm_amd has the sev_snp parameter (SNP host support).",
                      ev, snp_param.evidence(), *_gmem_evidence(f))
    if f.kvm_amd_loaded and snp_param.absent and f.param("sev").read.ok:
        return failed(f"Kernel {release}: kvm_amd has no sev_snp parameter, so this kernel's KVM cannot run "
                      "SNP guests.", ev, snp_param.evidence(), remedy=KERNEL_SNP)
    version = f.kernel_version
    config = kk.missing_config(f)
    if config is not None:
        path, missing = config
        if missing:
            quotes = [f.kernel_config_quote(o) for o in missing]  # the file's own lines, or "absent"
            return failed(f"Kernel {release} was built without SEV host support ({'; '.join(quotes)}).", ev,
                          *(Evidence(path, q) for q in quotes), remedy=KERNEL_SNP)
    if version is None:
        return warned(f"Cannot understand the kernel version {show(release)!r}.", ev, remedy="uname -r")
    if version[:2] >= UPSTREAM_SNP:
        return passed(f"Kernel {release} is 6.11 or newer: upstream Linux has SNP host support (from guest_memfd) "
                      "since 6.11 (kvm_amd is not loaded to confirm it).", ev, *_gmem_evidence(f))
    if "snp" in release.lower():
        return passed(f"Kernel {release}: {_kind_note(f)}, by its name (kvm_amd is not loaded to confirm).", ev,
                      *_gmem_evidence(f))
    return failed(f"Kernel {release} is older than 6.11 and not an AMD SNP host kernel: no SNP host support.",
                  ev, remedy=KERNEL_SNP)


def _gmem_evidence(f: Facts) -> tuple[Evidence, ...]:
    """The kernel-kind facts beyond the version and the parameter (configuration, log lines)."""
    return tuple(e for e in f.kernel_kind.evidence if e.source != OSRELEASE and not e.source.startswith(KVM_AMD))


def _cmdline_problems(f: Facts) -> list[str]:
    bad = [f"iommu={v}" for v in f.cmdline_param("iommu") if v == "pt"]
    bad += [f"iommu.passthrough={v}" for v in f.cmdline_param("iommu.passthrough") if v in _PT_TRUE]
    bad += [f"amd_iommu={v}" for v in f.cmdline_param("amd_iommu") if {"off", "pgtbl_v2"} & set(v.split(","))]
    return bad


def host_iommu(f: Facts) -> Outcome:
    log = f.log
    bad = _cmdline_problems(f)
    if bad:
        words = " ".join(bad)
        return failed(f"The kernel command line turns the IOMMU off or into passthrough ({words}): SNP needs it "
                      "translating.", Evidence(CMDLINE, words), log.evidence(log.last(kl.IOMMU_BAD)),
                      remedy=f"Remove {words} from the kernel command line.\n" + GRUB_IOMMU)
    line = log.last(kl.IOMMU_BAD)
    if line:
        if "V2" in line.text:
            return failed("The IOMMU uses V2 page tables, which SNP cannot use.", log.evidence(line),
                          remedy="Remove amd_iommu=pgtbl_v2 from the kernel command line, update-grub, reboot.")
        if "feature not enabled" in line.text:
            return failed("The IOMMU lacks the SNP feature (SNPSup): a BIOS setting or BIOS update is needed.",
                          log.evidence(line),
                          remedy="In the BIOS: AMD CBS > NBIO Common Options > IOMMU: Enabled and SEV-SNP Support: "
                                 "Enabled; if it stays off, update the BIOS.")
        return failed("The kernel says the IOMMU is disabled or in passthrough mode, so SNP cannot be supported.",
                      log.evidence(line), remedy=GRUB_IOMMU)
    line = log.last(kl.PT_MODE)
    if line:
        return failed("The default IOMMU domain is passthrough: SNP needs translated mode.", log.evidence(line),
                      remedy=GRUB_IOMMU)
    groups = f.iommu_group_types
    if groups and all(t == "identity" for _, t in groups):
        return failed("IOMMU groups are in passthrough (identity) mode: SNP needs translated mode.",
                      *(Evidence(p, t) for p, t in groups[:2]), remedy=GRUB_IOMMU)
    units = f.iommu_units
    if units is not None and not units:
        return failed("No IOMMU is active (/sys/class/iommu is empty): it is off in the BIOS or on the command line.",
                      Evidence(IOMMU_CLASS, "empty"), remedy=GRUB_IOMMU)
    line = log.last(kl.IOMMU_OK)
    if line:
        return passed("The IOMMU is on and supports SNP.", log.evidence(line))
    if f.snp_effective:
        return inferred_from_kvm(f, "KVM has SEV-SNP on, which needs the IOMMU on and translating")
    translated = [Evidence(p, t) for p, t in groups if t != "identity"][:1]
    line = log.last(kl.TRANSLATED_MODE)
    if translated or line:
        return warned("The IOMMU is on and translating, but nothing confirms it supports SNP "
                      "(no 'AMD-Vi: IOMMU SNP support enabled' line).", *translated, log.evidence(line),
                      log.status_evidence(),
                      remedy="sudo dmesg | grep -i AMD-Vi\nIf it says 'SNP feature not enabled': BIOS update or "
                             "AMD CBS > NBIO Common Options > IOMMU: Enabled.")
    return unknown(f, "Whether the IOMMU supports SNP",
                   remedy="sudo dmesg | grep -i -e AMD-Vi -e iommu\n" + GRUB_IOMMU)


SPECS = (
    CheckSpec("host.kernel", GROUP, "Host kernel with SNP support", host_kernel),
    CheckSpec("host.iommu", GROUP, "IOMMU on, not in passthrough", host_iommu, parent="cpu.sev-snp"),
)
