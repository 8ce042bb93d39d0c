"""Host checks: ``run_checks(host) -> CheckReport``.

The checks form a tree (see :mod:`kata_snp_tui.checks.runner`): a failed parent skips its
children. Capability groups (CPU, BIOS, Kernel and KVM, Firmware, Devices, System) decide
``ready``; Toolchain and Kata are reported beside them.

Tree (parent first)::

    cpu.amd
      cpu.sev-snp
        bios.snp, host.iommu, dev.sev
        fw.version
          fw.snp-init
      kvm.amd
        kvm.sev, kvm.sev-es, kvm.sev-snp, host.sev-vs-snp
    host.uefi, host.kernel, dev.kvm, host.cgroups
    tool.*, build.disk, build.memory, build.cores, kata.*
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kata_snp_tui.checks import bios, cpu, devices, firmware, kata, kernel, kvm, system, toolchain
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
    return info


def collect_facts(host: Host, workspace: Path | None = None) -> Facts:
    """A fresh set of facts for one run (the live host re-reads everything)."""
    refresh = getattr(host, "refresh", None)
    if callable(refresh):
        refresh()
    prefetch = getattr(host, "prefetch_commands", None)
    if callable(prefetch):
        # Only the live host has it: its probes start side by side. Not sudo (it would try to
        # authenticate) nor the journal (read only when dmesg is refused).
        prefetch(k for k in PROBE_COMMANDS if k not in ("sudo", "journalctl-k"))
    ws = Path(workspace if workspace is not None else default_workspace()).expanduser()
    return Facts(host, ws if ws.is_absolute() else ws.absolute())


def run_checks(host: Host, workspace: Path | None = None) -> CheckReport:
    """Run every check against ``host``; ``workspace`` (default paths.default_workspace()) is where builds go."""
    facts = collect_facts(host, workspace)
    results = run_tree(CHECK_SPECS, facts)
    ordered = sorted(results, key=lambda r: GROUPS.index(r.group))  # stable: tree order within a group
    return CheckReport(host=_host_info(host, facts), checks=tuple(ordered))
