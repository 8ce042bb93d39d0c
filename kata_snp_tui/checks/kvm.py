"""KVM: kvm_amd loaded, and its ``sev``, ``sev_es``, ``sev_snp`` parameters.

KVM overwrites these parameters with the *effective* state when it loads, so they are the best
non-root sign of what works (reference section 2.2). Both spellings are read: ``Y``/``N`` and the
older (and AMD out-of-tree) ``1``/``0``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.facts import CMDLINE, KVM_AMD, Facts, Param
from kata_snp_tui.checks.kernel_log import LogLine
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.firmware import log_version
from kata_snp_tui.checks.remedies import BIOS_SNP, FIRMWARE_UPDATE, GRUB_IOMMU, KERNEL_SNP, RELOAD_KVM_AMD
from kata_snp_tui.checks.runner import CheckSpec, Outcome, failed, passed, skipped, warned

GROUP = "Kernel and KVM"

LOAD_KVM_AMD = """\
Load the module: sudo modprobe kvm_amd
If that fails, see why: sudo dmesg | grep -i -e kvm -e svm
In the BIOS: CPU > SVM Mode (AMD-V): Enabled."""

_OFF_VALUES = {"0", "N", "n", "off", "false"}
#: Log names of each parameter's guest type.
LOG_NAMES = {"sev": "SEV", "sev_es": "SEV-ES", "sev_snp": "SEV-SNP"}


def kvm_log_line(f: Facts, param: str) -> LogLine | None:
    """The last kvm_amd line about one guest type (new ``enabled (ASIDs a - b)`` or old ``supported`` form)."""
    name = LOG_NAMES[param]
    best: LogLine | None = None
    for index, text in enumerate(f.log.lines):
        if "SEV" not in text:
            continue
        m = kl.KVM_NEW.search(text)
        if m and m.group(1) == name:
            best = LogLine(text, m, index)
            continue
        m = kl.KVM_OLD.search(text)
        if m and (m.group(1) == name or (m.group(1) == "SEV-ES and SEV-SNP" and name in ("SEV-ES", "SEV-SNP"))):
            best = LogLine(text, m, index)
    return best


def _no_asids(line: LogLine | None) -> bool:
    """``SEV unusable (ASIDs ...)`` or an empty range such as ``ASIDs 17 - 16`` (older kernels said "enabled")."""
    if line is None or line.match.re is not kl.KVM_NEW:
        return False
    return line.group(2) == "unusable" or int(line.group(3)) > int(line.group(4))


def kvm_amd(f: Facts) -> Outcome:
    if f.kvm_amd_loaded:
        return passed("The kvm_amd module is loaded.", Evidence(KVM_AMD, "exists"))
    ev = [Evidence(KVM_AMD, "absent")]
    remedy = LOAD_KVM_AMD
    if f.cpuinfo.ok and "svm" not in f.cpuinfo.flags:
        ev.append(Evidence("/proc/cpuinfo", "no svm flag: SVM (AMD-V) is off in the BIOS or hidden by a hypervisor"))
    return failed("The kvm_amd module is not loaded, so there is no KVM on this AMD host.", *ev, remedy=remedy)


@dataclass(frozen=True)
class SwitchedOff:
    """Signs that someone turned SNP off in kvm_amd on purpose (the guide's ``sev_snp=0``)."""

    evidence: tuple[Evidence, ...]

    def __bool__(self) -> bool:
        return bool(self.evidence)


def snp_switched_off(f: Facts) -> SwitchedOff:
    ev: list[Evidence] = []
    for value in f.cmdline_param("kvm_amd.sev_snp"):
        if value in _OFF_VALUES:
            ev.append(Evidence(CMDLINE, f"kvm_amd.sev_snp={value}"))
    for path, line in f.modprobe_options:
        for word in line.split()[2:]:
            key, _, value = word.partition("=")
            if key.replace("-", "_") == "sev_snp" and value in _OFF_VALUES:
                ev.append(Evidence(path, line))
                break
    snp_lines = [ln for ln in f.log.find(kl.KVM_NEW) if ln.group(1) == "SEV-SNP"]
    if snp_lines and snp_lines[-1].group(2) == "disabled":
        reloaded = any(ln.group(2) == "enabled" for ln in snp_lines[:-1])
        platform_ready = (f.log.last(kl.FW_SNP) is not None and f.log.last(kl.RMP_BIOS) is None
                          and f.log.last(kl.IOMMU_BAD) is None)
        if reloaded or platform_ready:
            ev.append(Evidence(f.log.evidence_source(), snp_lines[-1].text.strip()))
    return SwitchedOff(tuple(ev))


def _param_outcome(f: Facts, p: Param, label: str) -> Outcome | None:
    """The outcomes every parameter shares (absent, unreadable, unexpected, on); None when it is off."""
    line = kvm_log_line(f, p.name)
    log_ev = f.log.evidence(line)
    if p.absent:
        if p.name == "sev_snp":
            return failed("kvm_amd has no sev_snp parameter: this kernel's KVM cannot run SNP guests "
                          "(upstream added it in 6.11).", p.evidence(), remedy=KERNEL_SNP)
        return failed(f"kvm_amd has no {p.name} parameter: this kernel was built without SEV support in KVM "
                      "(CONFIG_KVM_AMD_SEV).", p.evidence(), remedy=KERNEL_SNP)
    if p.unreadable:
        return skipped(f"Cannot read {p.path}: {p.read.error}.", p.evidence(),
                       remedy=f"cat {p.path}")
    if p.garbage:
        return warned(f"Unexpected value in {p.path} (expected Y/N or 1/0): cannot tell whether {label} is on.",
                      p.evidence(), log_ev, remedy=f"cat {p.path}\n" + RELOAD_KVM_AMD)
    if p.value:
        note = ""
        if _no_asids(line):
            note = " but has no ASIDs to give out (BIOS: SEV-ES ASID Space Limit / minimum SEV non-ES ASID)"
        return passed(f"{label} is on in KVM ({p.name} = {p.raw}){note}.", p.evidence(), log_ev)
    return None


def kvm_sev(f: Facts) -> Outcome:
    p = f.param("sev")
    outcome = _param_outcome(f, p, "SEV")
    if outcome:
        return outcome
    return failed(f"SEV is off in KVM (sev = {p.raw}); SEV-ES and SNP need it.", p.evidence(),
                  f.log.evidence(kvm_log_line(f, "sev")), remedy=RELOAD_KVM_AMD + "\n" + BIOS_SNP)


def kvm_sev_es(f: Facts) -> Outcome:
    p = f.param("sev_es")
    outcome = _param_outcome(f, p, "SEV-ES")
    if outcome:
        return outcome
    line = kvm_log_line(f, "sev_es")
    cause = ""
    if _no_asids(line):
        cause = " It has no ASIDs: raise the BIOS 'SEV-ES ASID Space Limit'."
    return failed(f"SEV-ES is off in KVM (sev_es = {p.raw}); SNP guests need it.{cause}", p.evidence(),
                  f.log.evidence(line), remedy=RELOAD_KVM_AMD + "\n" + BIOS_SNP)


def kvm_sev_snp(f: Facts) -> Outcome:
    p = f.param("sev_snp")
    outcome = _param_outcome(f, p, "SEV-SNP")
    if outcome:
        return outcome
    log = f.log
    ev: list[Evidence | None] = [p.evidence(), log.evidence(kvm_log_line(f, "sev_snp"))]
    off = snp_switched_off(f)
    if off:
        return failed(f"SEV-SNP is off in KVM (sev_snp = {p.raw}): kvm_amd was loaded with sev_snp=0.",
                      *ev, *off.evidence, remedy=RELOAD_KVM_AMD)
    causes: list[tuple[LogLine | None, str, str]] = [
        (log.last(kl.RMP_BIOS), "the BIOS did not reserve the RMP table", BIOS_SNP),
        (log.last(kl.RMP_INVALID), "the BIOS RMP table does not cover all RAM", BIOS_SNP),
        (log.last(kl.IOMMU_BAD), "the IOMMU is off or in passthrough mode", GRUB_IOMMU),
        (log.last(kl.PT_MODE), "the IOMMU is in passthrough mode", GRUB_IOMMU),
        (log.last(kl.SNP_FAIL), "the SEV firmware refused SNP_INIT", BIOS_SNP),
        (log.last(kl.FW_OLD), "the SEV firmware is older than 1.51", BIOS_SNP),
    ]
    for line, why, remedy in causes:
        if line is not None:
            return failed(f"SEV-SNP is off in KVM (sev_snp = {p.raw}): {why}.", *ev, log.evidence(line),
                          remedy=remedy + "\nThen reboot (or reload kvm_amd):\n" + RELOAD_KVM_AMD)
    # Upstream kernels log "SEV-SNP support requires firmware version >= 1:51" at debug level only (invisible):
    # there the old firmware shows as an "SEV API:1.49 ..." line and no "SEV-SNP API:" line.
    version = log_version(f)
    if version is not None and not version.ok:
        return failed(f"SEV-SNP is off in KVM (sev_snp = {p.raw}): the SEV firmware ({version}) is older than 1.51.",
                      *ev, version.evidence, remedy=FIRMWARE_UPDATE + "\nThen reboot.")
    if f.param("sev_es").value is False:
        return failed(f"SEV-SNP is off in KVM (sev_snp = {p.raw}) because SEV-ES is off (see kvm.sev-es).", *ev,
                      remedy=RELOAD_KVM_AMD + "\n" + BIOS_SNP)
    return failed(f"SEV-SNP is off in KVM (sev_snp = {p.raw}); the kernel log does not say why.", *ev,
                  log.status_evidence(), remedy=BIOS_SNP + "\nThen reboot, or reload kvm_amd:\n" + RELOAD_KVM_AMD)


SPECS = (
    CheckSpec("kvm.amd", GROUP, "kvm_amd module loaded", kvm_amd, parent="cpu.amd"),
    CheckSpec("kvm.sev", GROUP, "kvm_amd: SEV on", kvm_sev, parent="kvm.amd"),
    CheckSpec("kvm.sev-es", GROUP, "kvm_amd: SEV-ES on", kvm_sev_es, parent="kvm.amd"),
    CheckSpec("kvm.sev-snp", GROUP, "kvm_amd: SEV-SNP on", kvm_sev_snp, parent="kvm.amd"),
)
