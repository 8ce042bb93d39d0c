"""Which kind of SNP host kernel runs: AMD's out-of-tree branch (no guest_memfd) or upstream 6.11+ (gmem).

The two kinds are not interchangeable (reference/kata-upstream.md section 5, error 9; section 3.1):

- ``amd-snp-5.19``: AMD's pre-upstream SNP host kernels without guest_memfd ("non-UPM"), such as the
  guide's ``sev-snp-iommu-avic_5.19-rc6_v3`` branch. Only the matching non-UPM QEMU
  (``qemu-snp-experimental`` of Kata 3.2, AMDESE/qemu 3b6a2b6b) starts SNP guests on them.
- ``upstream-6.11``: Linux 6.11 and newer, where KVM runs SNP guests from guest_memfd
  (``CONFIG_KVM_AMD_SEV`` selects the private-memory option). It needs a gmem QEMU: upstream 9.1+.
- ``amd-snp-gmem``: AMD's pre-upstream trees that already used guest_memfd (``snp-host-latest``,
  6.6-rc and later, before the 6.11 merge). Neither kind above: the old QEMU does not run on them and
  upstream QEMU expects the KVM interface as merged in 6.11.

The kind is read from the kernel version first, then the kernel configuration
(``/boot/config-<release>`` or ``/proc/config.gz``), kvm_amd's ``sev_snp`` parameter and the kernel log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.model import Evidence

if TYPE_CHECKING:  # pragma: no cover - typing only (facts imports this module lazily)
    from kata_snp_tui.checks.facts import Facts

AMD_519 = "amd-snp-5.19"
UPSTREAM = "upstream-6.11"
AMD_GMEM = "amd-snp-gmem"
NO_SNP = "no-snp"

#: Upstream KVM gained SEV-SNP host support (and kvm_amd's sev_snp parameter) in 6.11.
UPSTREAM_SNP = (6, 11)
#: AMD's pre-upstream trees moved to guest_memfd (UPM) with the 6.6-rc based snp-host-latest.
AMD_GMEM_FROM = (6, 6)

#: The guest_memfd ("private memory") option, by its names over time; CONFIG_KVM_AMD_SEV selects it from 6.11.
GMEM_CONFIG = ("CONFIG_KVM_PRIVATE_MEM", "CONFIG_KVM_GENERIC_PRIVATE_MEM", "CONFIG_KVM_GUEST_MEMFD")

#: Kernel configuration an SNP host needs (checked when /boot/config-<release> or /proc/config.gz reads).
#: Upstream (6.11+) SNP host support hangs off CONFIG_KVM_AMD_SEV alone: it selects ARCH_HAS_CC_PLATFORM and
#: the guest_memfd option, and arch/x86/virt/svm/sev.c (the RMP table) is built for it. AMD's out-of-tree
#: branches kept the host RMP code under CONFIG_AMD_MEM_ENCRYPT, so older kernels need that too.
REQUIRED_CONFIG = ("CONFIG_KVM_AMD", "CONFIG_KVM_AMD_SEV")
REQUIRED_CONFIG_BEFORE_611 = (*REQUIRED_CONFIG, "CONFIG_AMD_MEM_ENCRYPT")


def required_config(version: tuple[int, int, int] | None) -> tuple[str, ...]:
    """The options a kernel of this version needs for SNP host support."""
    if version is not None and version[:2] >= UPSTREAM_SNP:
        return REQUIRED_CONFIG
    return REQUIRED_CONFIG_BEFORE_611


def missing_config(f: Facts) -> tuple[str, list[str]] | None:
    """The kernel configuration's path and the SNP host options it lacks; None when no configuration reads."""
    config = f.kernel_config
    if config is None:
        return None
    path, options = config
    return path, [o for o in required_config(f.kernel_version) if options.get(o, "n") not in ("y", "m")]


#: What the checks say about each kind.
DESCRIPTIONS = {
    AMD_519: "AMD's out-of-tree SNP host kernel without guest_memfd (the guide's 5.19 branch kind)",
    UPSTREAM: "an upstream SNP host kernel (6.11 or newer: SNP guests run from guest_memfd)",
    AMD_GMEM: "AMD's pre-upstream SNP host kernel with guest_memfd (before the 6.11 merge)",
    NO_SNP: "a kernel without SNP host support",
}


@dataclass(frozen=True)
class KernelKind:
    """The host kernel's kind, whether it runs SNP guests from guest_memfd, and what that was read from."""

    #: One of AMD_519, UPSTREAM, AMD_GMEM, NO_SNP, or None when it cannot be told.
    kind: str | None
    #: True: SNP guests need guest_memfd (a gmem QEMU); False: no guest_memfd; None: unknown.
    gmem: bool | None
    evidence: tuple[Evidence, ...] = ()
    #: Why the kind is unknown (when it is).
    reason: str | None = None

    @property
    def description(self) -> str:
        if self.kind is None:
            return f"an SNP host kernel of unknown kind ({self.reason or 'not enough facts'})"
        return DESCRIPTIONS[self.kind]


def _gmem_in_config(f: Facts) -> tuple[bool | None, Evidence | None]:
    config = f.kernel_config
    if config is None:
        return None, None
    path, options = config
    on = [o for o in GMEM_CONFIG if options.get(o, "n") in ("y", "m")]
    if on:
        return True, Evidence(path, ", ".join(f"{o}={options[o]}" for o in on))
    sev = options.get("CONFIG_KVM_AMD_SEV", "n")
    if sev in ("y", "m"):
        return False, Evidence(path, f"CONFIG_KVM_AMD_SEV={sev}, no guest_memfd option ({', '.join(GMEM_CONFIG)})")
    return None, None


def _snp_signs(f: Facts) -> tuple[bool | None, list[Evidence]]:
    """Does this kernel have SNP host support at all: kvm_amd's sev_snp parameter, else the kernel log."""
    param = f.param("sev_snp")
    if f.kvm_amd_loaded and param.read.ok:
        return True, [param.evidence()]
    if f.kvm_amd_loaded and param.absent and f.param("sev").read.ok:
        return False, [param.evidence()]
    path, absent = missing_config(f) or ("", [])
    if absent:
        return False, [Evidence(path, f.kernel_config_quote(o)) for o in absent]
    log = f.log
    for pattern in (kl.RMP_OK, kl.FW_SNP, kl.GMEM_REQUIRED):
        line = log.last(pattern)
        if line is not None:
            return True, [e for e in (log.evidence(line),) if e is not None]
    for line in log.find(kl.KVM_NEW) + log.find(kl.KVM_OLD):
        if "SNP" in line.group(1):
            return True, [e for e in (log.evidence(line),) if e is not None]
    return None, []


def classify(f: Facts) -> KernelKind:
    """The host kernel's kind (see the module docstring)."""
    from kata_snp_tui.checks.facts import OSRELEASE, show

    version = f.kernel_version
    if f.release is None or version is None:
        return KernelKind(None, None, reason="the kernel version cannot be read")
    ev: list[Evidence] = [Evidence(OSRELEASE, show(f.release))]
    snp, snp_ev = _snp_signs(f)
    ev += snp_ev
    if snp is None and "snp" in f.release.lower():
        snp = True  # AMD's trees name themselves (...-snp-host-<sha>, ...-sev-es-snp+)
    gmem_line = f.log.last(kl.GMEM_REQUIRED)
    if gmem_line is not None:
        ev.append(Evidence(f.log.evidence_source(), gmem_line.text.strip()))
    gmem, config_ev = _gmem_in_config(f)
    if config_ev is not None:
        ev.append(config_ev)
    if snp is False:
        return KernelKind(NO_SNP, None, tuple(ev))
    if version[:2] >= UPSTREAM_SNP:
        return KernelKind(UPSTREAM, True, tuple(ev))
    if snp is None:
        return KernelKind(None, None, tuple(ev), reason="older than 6.11 and nothing shows SNP host support")
    if gmem is None and gmem_line is not None:
        gmem = True
    if gmem is None:
        # 5.x trees predate guest_memfd; AMD's trees from 6.6-rc on (snp-host-latest) use it.
        gmem = False if version[0] < 6 else True if version[:2] >= AMD_GMEM_FROM else None
    if gmem is True:
        return KernelKind(AMD_GMEM, True, tuple(ev))
    if gmem is False:
        return KernelKind(AMD_519, False, tuple(ev))
    return KernelKind(None, None, tuple(ev),
                      reason="an AMD pre-upstream 6.x SNP kernel; its configuration does not say whether it "
                             "uses guest_memfd")
