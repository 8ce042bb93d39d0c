"""BIOS: memory encryption on and the RMP table reserved (kernel log), and UEFI boot."""

from __future__ import annotations

from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.common import inferred_from_kvm, unknown
from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import BIOS_SNP
from kata_snp_tui.checks.runner import CheckSpec, Outcome, failed, passed

GROUP = "BIOS"
EFI_DIR = "/sys/firmware/efi"

UEFI_BOOT = """\
Boot the host in UEFI mode: without it SNP_INIT fails ("SEV-SNP: failed to INIT rc -5, error 0x3").
  In the BIOS setup: Boot > Boot Mode: UEFI only (disable CSM / Legacy boot).
  A system installed in legacy mode also needs a UEFI boot loader on an EFI system partition,
  for example on Ubuntu: sudo apt-get install grub-efi-amd64 && sudo grub-install --target=x86_64-efi
Then reboot; /sys/firmware/efi exists once the kernel was started by UEFI."""


def bios_snp(f: Facts) -> Outcome:
    log = f.log
    line = log.last(kl.RMP_BIOS)
    if line:
        return failed("The BIOS has not reserved memory for the RMP table: SNP memory coverage is off.",
                      log.evidence(line), remedy=BIOS_SNP)
    line = log.last(kl.RMP_INVALID)
    if line:
        return failed("The BIOS reserved an RMP table that does not cover all of RAM (coverage set to Custom?).",
                      log.evidence(line), remedy=BIOS_SNP)
    line = log.last(kl.NO_BIOS)
    if line:
        return failed("Memory encryption (SMEE) is off in the BIOS.", log.evidence(line), remedy=BIOS_SNP)
    line = log.first(kl.RMP_OK)
    if line:
        return passed("The BIOS reserved the RMP table (SMEE and SNP memory coverage are on).", log.evidence(line))
    if f.snp_effective:
        return inferred_from_kvm(f, "KVM has SEV-SNP on, which needs the BIOS-reserved RMP table")
    return unknown(f, "Whether the BIOS reserved the RMP table",
                   remedy="Look for the RMP line: sudo dmesg | grep -i -e rmp -e SEV-SNP\n" + BIOS_SNP)


def host_uefi(f: Facts) -> Outcome:
    if f.host.exists(EFI_DIR):
        return passed("Booted in UEFI mode.", Evidence(EFI_DIR, "exists"))
    return failed("Booted in legacy BIOS (CSM) mode: SNP needs UEFI boot.", Evidence(EFI_DIR, "absent"),
                  remedy=UEFI_BOOT)


SPECS = (
    CheckSpec("bios.snp", GROUP, "BIOS: SMEE on, RMP table reserved", bios_snp, parent="cpu.sev-snp"),
    CheckSpec("host.uefi", GROUP, "UEFI boot", host_uefi),
)
