"""Results of host checks: what the CLI prints, the screen shows and the session report keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    INFO = "info"


#: Groups in display order. Capability groups decide readiness; the last three do not.
GROUPS: tuple[str, ...] = ("CPU", "BIOS", "Kernel and KVM", "Firmware", "Devices", "System", "Toolchain", "Kata",
                           "Profile")
READINESS_GROUPS: frozenset[str] = frozenset(GROUPS[:6])


def visible(text: str) -> str:
    """``text`` with control characters other than newline and tab made visible (``\\x1b``, ``\\r``): what a
    host printed (a kernel log line, a tool's version) must not drive the terminal it is shown on."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\t\n" else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class Evidence:
    """One fact a check read: where from (a file, a command, a log) and what it said."""

    source: str
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", visible(self.source))
        object.__setattr__(self, "value", visible(self.value))

    def __str__(self) -> str:
        return f"{self.source}: {self.value}"


@dataclass(frozen=True)
class CheckResult:
    id: str
    group: str
    title: str
    status: Status
    summary: str
    evidence: tuple[Evidence, ...] = ()
    #: What to do when not passing: exact commands or BIOS settings, one per line.
    remedy: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", visible(self.summary))

    @property
    def affects_readiness(self) -> bool:
        return self.group in READINESS_GROUPS

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "title": self.title,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": [str(e) for e in self.evidence],
            "remedy": self.remedy,
        }


@dataclass(frozen=True)
class CheckReport:
    host: dict[str, Any]
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "host", {k: visible(v) if isinstance(v, str) else v for k, v in self.host.items()})

    @property
    def ready(self) -> bool:
        return not any(c.status is Status.FAIL and c.affects_readiness for c in self.checks)

    @property
    def blockers(self) -> list[str]:
        """The failed host-capability checks: what stands between this host and SNP guests."""
        return [c.id for c in self.checks if c.status is Status.FAIL and c.affects_readiness]

    @property
    def other_failures(self) -> list[CheckResult]:
        """Failed checks outside readiness (Toolchain, Kata, Profile): needed to build, not to run."""
        return [c for c in self.checks if c.status is Status.FAIL and not c.affects_readiness]

    def readiness_line(self) -> str:
        """"not ready: 3 blockers (a, b, c) · 6 other problems (Toolchain, Profile)", or the ready line."""
        others = self.other_failures
        groups = ", ".join(dict.fromkeys(c.group for c in others))
        other = f"{len(others)} other problem{'s' if len(others) != 1 else ''} ({groups})" if others else ""
        if self.ready:
            return "ready for SNP guests" + (f" · {other}" if other else "")
        blockers = self.blockers
        line = f"not ready: {len(blockers)} blocker{'s' if len(blockers) != 1 else ''} ({', '.join(blockers)})"
        return line + (f" · {other}" if other else "")

    def by_id(self, check_id: str) -> CheckResult:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for c in self.checks:
            out[c.status.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "host": self.host, "checks": [c.to_json() for c in self.checks]}
