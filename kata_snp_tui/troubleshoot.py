"""Troubleshooting: the guide's two known issues with this host's state, and the error knowledge base.

The known issues are data (``assets/troubleshoot.toml``). Their state on a host comes from the host
checks when they have run (ids ``host.cgroups`` and ``host.sev-vs-snp``); otherwise it is read from the
host here (``/sys/fs/cgroup``, ``/proc/cmdline``, ``/sys/module/kvm_amd/parameters``). The error search
is the shared knowledge base (:mod:`kata_snp_tui.knowledge`) matched against pasted text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from kata_snp_tui.checks.model import CheckReport, CheckResult, Evidence, Status
from kata_snp_tui.host import Host
from kata_snp_tui.verify.guest_log import visible

CGROUP_CONTROLLERS = "/sys/fs/cgroup/cgroup.controllers"
KVM_AMD_PARAMS = "/sys/module/kvm_amd/parameters"


@dataclass(frozen=True)
class KnownIssue:
    id: str
    check_id: str
    title: str
    guide: str
    context: str
    fix: str
    source: str


@dataclass(frozen=True)
class IssueState:
    """A known issue and how it stands on one host."""

    issue: KnownIssue
    status: Status
    summary: str
    evidence: tuple[Evidence, ...]
    #: Where the state came from: "host checks" or "read from the host".
    origin: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.issue.id,
            "title": self.issue.title,
            "check_id": self.issue.check_id,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": [str(e) for e in self.evidence],
            "origin": self.origin,
            "fix": self.issue.fix,
        }


def load_known_issues() -> tuple[KnownIssue, ...]:
    text = files("kata_snp_tui.assets").joinpath("troubleshoot.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return tuple(
        KnownIssue(
            id=str(i["id"]),
            check_id=str(i["check_id"]),
            title=str(i["title"]),
            guide=str(i["guide"]).strip(),
            context=str(i["context"]).strip(),
            fix=str(i["fix"]).strip(),
            source=str(i.get("source", "")),
        )
        for i in data.get("issue", [])
    )


def _from_check(issue: KnownIssue, check: CheckResult) -> IssueState:
    return IssueState(issue, check.status, check.summary, tuple(check.evidence), "host checks")


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip()
    if v in ("Y", "1", "y"):
        return True
    if v in ("N", "0", "n"):
        return False
    return None


def read_cgroups(host: Host) -> tuple[Status, str, tuple[Evidence, ...]]:
    """Which cgroup hierarchy the host runs, from /proc/mounts (and cgroup.controllers, the cmdline)."""
    evidence: list[Evidence] = []
    mounts = host.read("/proc/mounts")
    cmdline = host.read("/proc/cmdline")
    v1_forced = bool(cmdline.text and "systemd.unified_cgroup_hierarchy=0" in cmdline.text)
    v1: list[str] = []
    v2_root = False
    if mounts.ok and mounts.text:
        for line in mounts.text.splitlines():
            fields = line.split()
            if len(fields) < 3:
                continue
            if fields[2] == "cgroup2":
                evidence.append(Evidence("/proc/mounts", " ".join(fields[:3])))
                v2_root = v2_root or fields[1] == "/sys/fs/cgroup"
            elif fields[2] == "cgroup":
                v1.append(fields[1])
        if v1:
            more = f" (and {len(v1) - 1} more)" if len(v1) > 1 else ""
            evidence.append(Evidence("/proc/mounts", f"cgroup on {v1[0]}{more}"))
    else:
        controllers = host.read(CGROUP_CONTROLLERS)
        v2_root = controllers.ok
        evidence.append(Evidence(CGROUP_CONTROLLERS, "present" if controllers.ok else (controllers.error or "absent")))
    if cmdline.ok and v1_forced:
        evidence.append(Evidence("/proc/cmdline", "systemd.unified_cgroup_hierarchy=0"))
    if v2_root and not v1:
        return (
            Status.INFO,
            "cgroups v2 only (unified hierarchy): fine for Kata 3.0 and later; the guide's downgrade is for older Kata",
            tuple(evidence),
        )
    if v1:
        how = " (systemd.unified_cgroup_hierarchy=0)" if v1_forced else ""
        return Status.PASS, f"cgroups v1 or hybrid{how}: the guide's known issue does not apply", tuple(evidence)
    return Status.SKIP, "the cgroup hierarchy could not be read", tuple(evidence)


def read_sev_vs_snp(host: Host) -> tuple[Status, str, tuple[Evidence, ...]]:
    """Whether kvm_amd has SEV and SNP both on, from its parameters."""
    sev = host.read(f"{KVM_AMD_PARAMS}/sev")
    snp = host.read(f"{KVM_AMD_PARAMS}/sev_snp")
    evidence = tuple(
        Evidence(r.path, (r.text or "").strip() if r.ok else (r.error or "unreadable")) for r in (sev, snp)
    )
    sev_on, snp_on = _flag(sev.text), _flag(snp.text)
    if sev_on is None and snp_on is None:
        return Status.SKIP, "kvm_amd is not loaded or its parameters cannot be read", evidence
    if snp_on and sev_on:
        return (
            Status.INFO,
            "SEV and SEV-SNP are both on: Kata uses SEV-SNP (what this guide wants); SEV VMs cannot run beside them",
            evidence,
        )
    if snp_on:
        return Status.PASS, "SEV-SNP on, SEV off: Kata uses SEV-SNP", evidence
    if sev_on:
        return (
            Status.WARN,
            "SEV on but SEV-SNP off: Kata would start SEV guests, not SNP (reload kvm_amd with sev_snp=1)",
            evidence,
        )
    return Status.WARN, "neither SEV nor SEV-SNP is on in kvm_amd", evidence


_READERS = {"host.cgroups": read_cgroups, "host.sev-vs-snp": read_sev_vs_snp}


def issue_states(host: Host, checks: CheckReport | None = None) -> list[IssueState]:
    """Every known issue with its state: from the checks when present, else read from the host."""
    out: list[IssueState] = []
    for issue in load_known_issues():
        check: CheckResult | None = None
        if checks is not None:
            try:
                check = checks.by_id(issue.check_id)
            except KeyError:
                check = None
        if check is not None:
            out.append(_from_check(issue, check))
            continue
        reader = _READERS.get(issue.check_id)
        if reader is None:
            out.append(IssueState(issue, Status.SKIP, "no way to read this on the host", (), "read from the host"))
            continue
        status, summary, evidence = reader(host)
        out.append(IssueState(issue, status, summary, evidence, "read from the host"))
    return out


# ------------------------------------------------------------------------------ error search


@dataclass(frozen=True)
class ErrorMatch:
    """One knowledge-base entry found for some text, in a form screens and reports share."""

    id: str
    title: str
    cause: str
    fix: str
    commands: tuple[str, ...]
    source: str
    #: The line of the searched text that matched (None for a keyword match).
    line: str | None
    line_number: int | None
    #: "pattern" (one of the entry's error patterns occurs in the text) or "keywords".
    how: str = "pattern"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "cause": self.cause,
            "fix": self.fix,
            "commands": list(self.commands),
            "source": self.source,
            "line": self.line,
            "line_number": self.line_number,
            "how": self.how,
        }


def _from_error(error: Any, line: str | None, line_number: int | None, how: str) -> ErrorMatch:
    return ErrorMatch(
        id=error.id,
        title=error.title,
        cause=error.cause,
        fix=error.fix,
        commands=tuple(error.commands_for()),
        source=error.source,
        line=visible(line) if line is not None else None,
        line_number=line_number,
        how=how,
    )


def search_errors(text: str, limit: int = 20, stage: str | None = None) -> list[ErrorMatch]:
    """Knowledge-base entries whose error patterns occur in ``text`` (pasted output or a step's log),
    best first, each with the line that matched."""
    if not text.strip():
        return []
    from kata_snp_tui.knowledge import default_knowledge

    hits = default_knowledge().find(text, stage=stage)
    return [_from_error(h.error, h.line, h.line_number, "pattern") for h in hits[:limit]]


_WORD = re.compile(r"[\w./:-]{3,}")


def search_keywords(text: str, limit: int = 20) -> list[ErrorMatch]:
    """Entries whose title, cause, fix or commands contain every word of ``text`` (for a typed query)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return []
    from kata_snp_tui.knowledge import default_knowledge

    out: list[ErrorMatch] = []
    for error in default_knowledge().errors:
        hay = " ".join([error.id, error.title, error.cause, error.fix, *error.commands,
                        *(p.pattern for p in error.patterns)]).lower()
        if all(w in hay for w in words):
            out.append(_from_error(error, None, None, "keywords"))
            if len(out) >= limit:
                break
    return out


def search(text: str, limit: int = 20) -> list[ErrorMatch]:
    """What the troubleshooting view shows for a query: pattern matches, else keyword matches."""
    return search_errors(text, limit) or search_keywords(text, limit)


def all_errors() -> list[ErrorMatch]:
    """Every entry of the knowledge base (to browse)."""
    from kata_snp_tui.knowledge import default_knowledge

    return [_from_error(e, None, None, "all") for e in default_knowledge().errors]
