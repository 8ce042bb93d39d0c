"""System: the guide's two known issues, cgroups v2 and "SEV or SEV-SNP, not both at once"."""

from __future__ import annotations

from kata_snp_tui.checks.facts import CMDLINE, MOUNTS, Facts
from kata_snp_tui.checks.kvm import snp_switched_off
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import CGROUPS_V1, RELOAD_KVM_AMD
from kata_snp_tui.checks.runner import CheckSpec, Outcome, passed, skipped, warned, failed

GROUP = "System"
CGROUP_ROOT = "/sys/fs/cgroup"
CGROUP_V2_MARKER = "/sys/fs/cgroup/cgroup.controllers"


def cgroup_mode(f: Facts) -> tuple[str | None, list[Evidence]]:
    """("v1" | "hybrid" | "v2" | None, evidence) from /proc/mounts (or the cgroup2 root file)."""
    if f.mounts_read.ok:
        v1 = [m for m in f.mounts if m.fstype == "cgroup"]
        v2 = [m for m in f.mounts if m.fstype == "cgroup2"]
        ev = [Evidence(MOUNTS, f"{m.fstype} on {m.point}") for m in (v2 + v1)[:3]]
        if any(m.point == CGROUP_ROOT for m in v2):
            return "v2", ev
        if v1:
            return ("hybrid" if v2 else "v1"), ev
        return None, [Evidence(MOUNTS, "no cgroup or cgroup2 mount")]
    if f.host.exists(CGROUP_V2_MARKER):
        return "v2", [Evidence(MOUNTS, f"cannot read: {f.mounts_read.error}"), Evidence(CGROUP_V2_MARKER, "exists")]
    return None, [Evidence(MOUNTS, f"cannot read: {f.mounts_read.error}")]


def host_cgroups(f: Facts) -> Outcome:
    mode, ev = cgroup_mode(f)
    hierarchy = f.cmdline_param("systemd.unified_cgroup_hierarchy")
    if hierarchy:
        ev.append(Evidence(CMDLINE, f"systemd.unified_cgroup_hierarchy={hierarchy[-1]}"))
    if mode == "v1":
        return passed("cgroups v1: what the guide falls back to for Kata 3.2.", *ev)
    if mode == "hybrid":
        return passed("cgroups v1 with the v2 hierarchy beside it (systemd hybrid mode): the guide's v1 setup.", *ev)
    if mode == "v2":
        return warned("cgroups v2 only (unified): the guide's known issue. Kata 3.2 may work; if containers fail "
                      "to start because of cgroups, switch to v1.", *ev, remedy=CGROUPS_V1)
    if not f.mounts_read.ok:
        return skipped(f"Cannot tell the cgroup version: {MOUNTS} cannot be read.", *ev,
                       remedy="stat -fc %T /sys/fs/cgroup/   (cgroup2fs = v2, tmpfs = v1)")
    return warned("No cgroup file system is mounted: containers need cgroups.", *ev,
                  remedy="Use a systemd-based distribution, which mounts cgroups at boot; then:\n" + CGROUPS_V1)


def host_sev_vs_snp(f: Facts) -> Outcome:
    sev, snp = f.param("sev"), f.param("sev_snp")
    ev = [sev.evidence(), snp.evidence()]
    if snp.value is True:
        both = (" SEV is on too: Kata uses SEV-SNP by default and cannot run SEV and SNP guests at the same "
                "time (the guide's known issue)." if sev.value else "")
        return passed(f"SEV-SNP is on, so Kata starts SNP guests.{both}", *ev)
    if snp.value is None:
        why = "has no sev_snp parameter" if snp.absent else "sev_snp cannot be read"
        return skipped(f"Cannot tell which of SEV and SEV-SNP Kata will use: kvm_amd {why} (see kvm.sev-snp).", *ev,
                       remedy="Fix kvm.sev-snp first.")
    off = snp_switched_off(f)
    if off and sev.value:
        return failed("Only SEV is on: kvm_amd was loaded with sev_snp=0, which turns SNP off for the whole host "
                      "(the guide's known issue). Kata would start SEV guests, not SNP.", *ev, *off.evidence,
                      remedy=SEV_INSTEAD_OF_SNP + RELOAD_KVM_AMD)
    if sev.value:
        return skipped("Only SEV is on because SEV-SNP is not available (see kvm.sev-snp).", *ev,
                       remedy="Fix kvm.sev-snp first.")
    return skipped("Neither SEV nor SEV-SNP is on in kvm_amd (see kvm.sev).", *ev, remedy="Fix kvm.sev first.")


SEV_INSTEAD_OF_SNP = """\
The guide's known issue: to make Kata use SEV instead of SNP, it reloads kvm_amd without SNP support
(sudo rmmod kvm_amd && sudo modprobe kvm_amd sev_snp=0), which disables SNP for the entire platform.
This wizard runs SNP guests, so undo it:
"""


SPECS = (
    CheckSpec("host.cgroups", GROUP, "cgroups version (known issue)", host_cgroups),
    CheckSpec("host.sev-vs-snp", GROUP, "SEV or SEV-SNP (known issue)", host_sev_vs_snp, parent="kvm.amd"),
)
