"""Remedy texts shared by several checks, read from ``assets/remedies.toml`` (data, not code).

Each name below is one remedy: exact commands and BIOS settings, one step per line.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files

_REMEDIES: dict[str, str] = tomllib.loads(
    (files("kata_snp_tui.assets") / "remedies.toml").read_text(encoding="utf-8")
)

BIOS_SNP: str = _REMEDIES["bios_snp"]
KERNEL_SNP: str = _REMEDIES["kernel_snp"]
RELOAD_KVM_AMD: str = _REMEDIES["reload_kvm_amd"]
READ_LOG: str = _REMEDIES["read_log"]
GRUB_IOMMU: str = _REMEDIES["grub_iommu"]
FIRMWARE_UPDATE: str = _REMEDIES["firmware_update"]
CGROUPS_V1: str = _REMEDIES["cgroups_v1"]


def apt(*packages: str, fedora: tuple[str, ...] = ()) -> str:
    """Install commands for Debian/Ubuntu and Fedora/RHEL."""
    line = f"sudo apt-get install -y {' '.join(packages)}"
    other = f"   (Fedora, RHEL: sudo dnf install -y {' '.join(fedora or packages)})"
    return line + other
