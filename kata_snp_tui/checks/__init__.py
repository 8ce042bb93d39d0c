"""Host checks: ``run_checks(host) -> CheckReport``.

The checks form a tree (see :mod:`kata_snp_tui.checks.runner`): a failed parent skips its
children. Capability groups (CPU, BIOS, Kernel and KVM, Firmware, Devices, System) decide
``ready``; Toolchain, Kata and Profile (drift from the chosen profile) are reported beside them.

Tree (parent first)::

    cpu.amd
      cpu.sev-snp
        bios.snp, host.iommu, dev.sev
        fw.version
          fw.snp-init
      kvm.amd
        kvm.sev, kvm.sev-es, kvm.sev-snp, host.sev-vs-snp
    host.uefi, host.kernel, dev.kvm, host.cgroups
    tool.*, build.disk, build.memory, build.cores, kata.*, profile.*
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kata_snp_tui.checks import bios, cpu, devices, drift, firmware, kata, kernel, kvm, system, toolchain
from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import GROUPS, READINESS_GROUPS, CheckReport, CheckResult, Evidence, Status
from kata_snp_tui.checks.runner import CheckSpec, run_tree, validate
from kata_snp_tui.host import Host
from kata_snp_tui.paths import default_workspace
from kata_snp_tui.probes import PROBE_COMMANDS

__all__ = [
    "CHECK_SPECS",
    "CHECK_IDS",
    "DESIGN_IDS",
    "GROUPS",
    "READINESS_GROUPS",
    "CheckReport",
    "CheckResult",
    "Evidence",
    "Status",
    "run_checks",
    "collect_facts",
]


#: The capability checks in execution order: parents before children.
_CAPABILITY_ORDER: tuple[str, ...] = (
    "cpu.amd", "cpu.sev-snp", "bios.snp", "host.iommu", "dev.sev", "fw.version", "fw.snp-init",
    "kvm.amd", "kvm.sev", "kvm.sev-es", "kvm.sev-snp", "host.sev-vs-snp",
    "host.uefi", "host.kernel", "dev.kvm", "host.cgroups",
)
_CAPABILITY = {s.id: s for m in (cpu, bios, kernel, devices, firmware, kvm, system) for s in m.SPECS}

#: Every check, parents before children.
CHECK_SPECS: tuple[CheckSpec, ...] = (
    *(_CAPABILITY[i] for i in _CAPABILITY_ORDER),
    *toolchain.SPECS,
    *kata.SPECS,
    *drift.SPECS,
)
validate(CHECK_SPECS)
if set(_CAPABILITY) != set(_CAPABILITY_ORDER):  # pragma: no cover - a programming error caught at import
    raise RuntimeError("every capability check must be placed in _CAPABILITY_ORDER")

CHECK_IDS: tuple[str, ...] = tuple(s.id for s in CHECK_SPECS)

#: The ids DESIGN.md promises in every report.
DESIGN_IDS: tuple[str, ...] = (
    "cpu.amd", "cpu.sev-snp", "bios.snp", "host.uefi", "host.iommu", "host.kernel", "kvm.amd", "kvm.sev",
    "kvm.sev-es", "kvm.sev-snp", "fw.version", "fw.snp-init", "dev.sev", "dev.kvm", "host.cgroups",
    "host.sev-vs-snp",
)


def _host_info(host: Host, facts: Facts) -> dict[str, Any]:
    info: dict[str, Any] = {"kind": host.kind, "label": host.label}
    captured = getattr(host, "captured_at", None)
    if captured:
        info["captured_at"] = captured
    info["kernel"] = facts.release
    info["cpu"] = facts.cpuinfo.model_name
    info["os"] = facts.os_name
    info["kernel_log"] = facts.log.source or f"unreadable: {facts.log.reason}"
    info["workspace"] = str(facts.workspace)
    choice = facts.profile_choice
    if choice is not None:
        info["profile"] = {"id": choice.profile.id, "source": choice.source, "reason": choice.reason}
    return info


def _choose_profile(host: Host, workspace: Path, profile: Any) -> tuple[Any, tuple[Any, ...], str | None]:
    """(choice, every profile, why there is no choice): ``profile`` is a ProfileChoice, a profile id or None
    (then the profile is chosen from the host, as the wizard does)."""
    try:
        from kata_snp_tui import profiles as prof
    except ImportError:  # pragma: no cover - the profiles module ships with the package
        return None, (), "no profiles are available"
    known = tuple(prof.load_profiles())
    if profile is None or isinstance(profile, str):
        return prof.choose_profile(host, workspace, profile), known, None
    return profile, known, None


def collect_facts(host: Host, workspace: Path | None = None, profile: Any = None) -> Facts:
    """A fresh set of facts for one run (the live host re-reads everything). ``profile``: the ProfileChoice
    (or profile id) the drift checks compare against; None chooses it from the host as the wizard does."""
    refresh = getattr(host, "refresh", None)
    if callable(refresh):
        refresh()
    prefetch = getattr(host, "prefetch_commands", None)
    if callable(prefetch):
        # Only the live host has it: its probes start side by side. Not sudo (it would try to
        # authenticate) nor the journal (read only when dmesg is refused).
        prefetch(k for k in PROBE_COMMANDS if k not in ("sudo", "journalctl-k"))
    ws = Path(workspace if workspace is not None else default_workspace()).expanduser()
    ws = ws if ws.is_absolute() else ws.absolute()
    choice, known, reason = _choose_profile(host, ws, profile)
    return Facts(host, ws, choice, known, reason)


def run_checks(host: Host, workspace: Path | None = None, profile: Any = None) -> CheckReport:
    """Run every check against ``host``; ``workspace`` (default paths.default_workspace()) is where builds go;
    ``profile`` (a ProfileChoice or profile id; None: chosen from the host) is what the drift checks compare."""
    facts = collect_facts(host, workspace, profile)
    results = run_tree(CHECK_SPECS, facts)
    ordered = sorted(results, key=lambda r: GROUPS.index(r.group))  # stable: tree order within a group
    return CheckReport(host=_host_info(host, facts), checks=tuple(ordered))
