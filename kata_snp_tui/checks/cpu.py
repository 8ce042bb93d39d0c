"""CPU: an AMD processor, and one that advertises SEV-SNP (``/proc/cpuinfo``)."""

from __future__ import annotations

from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import BIOS_SNP
from kata_snp_tui.checks.runner import CheckSpec, Outcome, failed, passed, skipped, warned

GROUP = "CPU"

NOT_AMD = """\
SEV-SNP is an AMD EPYC feature: run Kata with SNP on a host with an AMD EPYC 7003 (Milan) or newer \
processor (9004 Genoa, 8004 Siena, 9005 Turin). Intel hosts use TDX instead, which this guide does not cover."""

NEEDS_BARE_METAL = """\
Run the wizard on the bare-metal AMD EPYC host itself: an ordinary VM cannot host SEV-SNP guests.
(Azure DCasv5/ECasv5 "nested SNP" hosts are an exception and need their own SNP host kernel.)"""

OLD_EPYC = """\
EPYC 7001/7002 (Naples, Rome; Zen 1/Zen 2) have SEV and SEV-ES but no SEV-SNP.
SEV-SNP needs an EPYC 7003 (Milan) or newer."""


def cpu_amd(f: Facts) -> Outcome:
    cpu = f.cpuinfo
    if not cpu.read.ok:
        return skipped(f"Cannot read /proc/cpuinfo: {cpu.read.error}.", cpu.evidence(),
                       remedy="Re-run on a Linux host where /proc is mounted.")
    if cpu.problem:
        return warned(f"/proc/cpuinfo could not be understood: {cpu.problem}.", cpu.evidence(),
                      remedy="Look at it yourself: grep -m1 -e vendor_id -e 'model name' /proc/cpuinfo")
    if cpu.vendor != "AuthenticAMD":
        return failed(f"Not an AMD processor ({cpu.vendor}, {cpu.model_name or 'unknown model'}): "
                      "SEV-SNP needs AMD EPYC.", cpu.evidence(), remedy=NOT_AMD)
    return passed(f"AMD processor: {cpu.model_name or 'model name not shown'} "
                  f"({cpu.processors} logical CPUs).", cpu.evidence())


def cpu_sev_snp(f: Facts) -> Outcome:
    cpu = f.cpuinfo
    if not cpu.ok:
        return skipped("The CPU flags cannot be read (see cpu.amd).", cpu.evidence("flags"),
                       remedy="grep -w -o -e sev -e sev_es -e sev_snp /proc/cpuinfo | sort -u")
    flags = cpu.flags
    ev = cpu.evidence("flags")
    model = cpu.model_name or ""
    if "sev_snp" in flags:
        return passed("The CPU advertises SEV-SNP (flags sev, sev_es, sev_snp).", ev)
    if "hypervisor" in flags:
        return failed("This is a virtual machine (CPU flag 'hypervisor') without SEV-SNP: "
                      "SNP guests need the bare-metal host.", ev, remedy=NEEDS_BARE_METAL)
    # On >= 6.8 the kernel hides sev_snp when the BIOS did not reserve the RMP table: the CPU has it.
    rmp_line = f.log.last(kl.RMP_BIOS) or f.log.last(kl.RMP_INVALID)
    if rmp_line is not None:
        return warned("The CPU has SEV-SNP, but the kernel hid the sev_snp flag because the BIOS did not set "
                      "up the RMP table (see bios.snp).", ev,
                      Evidence(f.log.evidence_source(), rmp_line.text.strip()), remedy=BIOS_SNP)
    if model and "EPYC" not in model.upper():
        return failed(f"{model} is not an EPYC processor: SEV-SNP is only on AMD EPYC 7003 (Milan) or newer.",
                      ev, remedy="Use a host with an AMD EPYC 7003 (Milan) or newer processor.")
    if cpu.family is not None and cpu.family < 0x19:
        return failed(f"{model or 'This CPU'} (family {cpu.family:#x}) predates SEV-SNP.", ev, remedy=OLD_EPYC)
    if "sev" not in flags:
        return failed("No SEV flags at all: memory encryption (SMEE) is off in the BIOS, so the kernel "
                      "cleared sme, sev, sev_es and sev_snp.", ev, remedy=BIOS_SNP)
    return failed("The CPU shows sev but not sev_snp: SEV-SNP is off in the BIOS (or the BIOS did not "
                  "reserve the RMP table, which makes kernels >= 6.8 hide the flag).", ev, remedy=BIOS_SNP)


SPECS = (
    CheckSpec("cpu.amd", GROUP, "AMD processor", cpu_amd),
    CheckSpec("cpu.sev-snp", GROUP, "CPU advertises SEV-SNP", cpu_sev_snp, parent="cpu.amd"),
)
