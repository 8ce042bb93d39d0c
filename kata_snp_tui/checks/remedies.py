"""Remedy texts shared by several checks: exact commands and BIOS settings, one step per line.

BIOS menu names follow AMD's reference BIOS (AMD CBS) as listed in virtee/snphost's
troubleshooting guide; vendors rename and move them, so each line names the setting too.
"""

from __future__ import annotations

BIOS_SNP = """\
In the BIOS setup (AMD CBS names; vendors move them), then save and reboot:
  AMD CBS > CPU Common Options > SMEE (Secure Memory Encryption): Enabled
  AMD CBS > CPU Common Options > SEV-SNP Support: Enabled   (on some boards under NBIO Common Options)
  AMD CBS > CPU Common Options > SNP Memory (RMP Table) Coverage: Enabled   (not "Custom": the RMP table must cover all RAM)
  AMD CBS > NBIO Common Options > IOMMU: Enabled
  AMD CBS > CPU Common Options > SEV-ES ASID Space Limit: more than 1   (SEV-ES and SNP guests share these ASIDs)
  CPU > SVM Mode: Enabled"""

KERNEL_SNP = """\
Boot a host kernel with SEV-SNP host support:
  - Linux 6.11 or newer (for example on Ubuntu 24.04: sudo apt-get install linux-generic-hwe-24.04, then reboot), or
  - AMD's SNP host kernel: the guide names branch sev-snp-iommu-avic_5.19-rc6_v3 (commit 3a88547) of
    https://github.com/AMDESE/linux, built as described in https://github.com/AMDESE/AMDSEV/tree/sev-snp-devel
Then reboot into it and re-run the checks (uname -r shows the running kernel)."""

RELOAD_KVM_AMD = """\
Reload kvm_amd with SEV, SEV-ES and SNP on (stop every VM first):
  sudo rmmod kvm_amd && sudo modprobe kvm_amd sev=1 sev_es=1 sev_snp=1
Remove any "options kvm_amd ... sev_snp=0" (or sev=0, sev_es=0) from /etc/modprobe.d/*.conf
and any kvm_amd.sev_snp=0 from the kernel command line, so the change survives a reboot."""

READ_LOG = """\
Let this user read the kernel log, or run the checks as root:
  sudo kata-snp-tui check
  sudo usermod -aG adm,systemd-journal "$USER"   (then log in again; journalctl -k then works)
Or look yourself: sudo dmesg | grep -i -e rmp -e sev -e snp -e AMD-Vi"""

GRUB_IOMMU = """\
Take iommu=pt off the kernel command line and add iommu=nopt (the IOMMU must translate for SNP):
  sudo sed -i -e 's/ *\\biommu=pt\\b//g' -e 's/^\\(GRUB_CMDLINE_LINUX=".*\\)"/\\1 iommu=nopt"/' /etc/default/grub
  sudo update-grub      (Fedora, RHEL: sudo grubby --update-kernel=ALL --remove-args=iommu=pt --args=iommu=nopt)
  sudo reboot
Also in the BIOS: AMD CBS > NBIO Common Options > IOMMU: Enabled."""

FIRMWARE_UPDATE = """\
SEV-SNP needs SEV firmware 1.51 or newer (the guide used 1.51.3):
  EPYC 9004/8004/9005 (Genoa, Siena, Turin): update the system BIOS; the SEV firmware comes with it.
  EPYC 7003 (Milan): update the BIOS, or let the kernel load newer firmware at boot:
    download amd_sev_fam19h_model0xh_<version>.zip from https://www.amd.com/en/developer/sev.html
    sudo cp amd_sev_fam19h_model0xh_*.sbin /lib/firmware/amd/amd_sev_fam19h_model0xh.sbin
    sudo reboot   (ccp loads it while starting; needs PSP bootloader 00.13.00.70 or newer)"""

CGROUPS_V1 = """\
The guide's known issue: Kata 3.2's support for cgroups v2 was still work in progress. If containers
fail to start because of cgroups v2, go back to cgroups v1 (very recent systemd releases no longer boot with v1):
  sudo sed -i 's/^\\(GRUB_CMDLINE_LINUX=".*\\)"/\\1 systemd.unified_cgroup_hierarchy=0"/' /etc/default/grub
  sudo update-grub
  sudo reboot"""


def apt(*packages: str, fedora: tuple[str, ...] = ()) -> str:
    """Install commands for Debian/Ubuntu and Fedora/RHEL."""
    line = f"sudo apt-get install -y {' '.join(packages)}"
    other = f"   (Fedora, RHEL: sudo dnf install -y {' '.join(fedora or packages)})"
    return line + other
