"""Read a guest kernel log (``dmesg`` inside the Kata VM) and say which SEV features are active.

Every wording in reference/sev-snp-host-and-guest.md section 5 is recognised:

- ``AMD Secure Encrypted Virtualization (SEV) active`` (kernels before 5.10);
- ``AMD Memory Encryption Features active: SEV SEV-ES SEV-SNP`` (5.10 to 5.18, AMD's SNP guest kernels);
- ``Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP`` (5.19 on, including the transient
  ``active:AMD  SEV SEV-ES`` spacing);
- ``SEV: Status: SEV SEV-ES SEV-SNP ...`` (about 6.9 on);
- ``SEV: Using SNP CPUID table, 31 entries present.`` (5.19 on);
- ``SEV: SNP guest platform device initialized.`` and the plural ``devices``;
- ``sev-guest sev-guest: Initialized SEV guest driver (using vmpck_id 0)`` and ``(using VMPCK0 communication key)``;
- ``SEV: SNP running at VMPL0.`` (6.11 on).

The verdict comes from the feature list itself (or ``SEV: Status:``), never from a line that merely
mentions SEV-SNP: a host's ``SEV-SNP: failed to INIT`` or ``kvm_amd: SEV-SNP enabled`` does not count.
A pattern must match at the start of a kernel message, after the usual prefixes (``<6>``, ``[    0.29]``,
a journal's ``... kernel:``), so an echo or a grep command line that quotes the text does not count either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Verdicts, strongest first.
VERDICTS: tuple[str, ...] = ("sev-snp", "sev-es", "sev", "none")
VERDICT_TITLES: dict[str, str] = {
    "sev-snp": "SEV-SNP active",
    "sev-es": "SEV-ES only (no SNP)",
    "sev": "SEV only (no SEV-ES, no SNP)",
    "none": "No SEV feature active",
}
#: The guest features a feature list can name (SME is host memory encryption, not a guest feature).
GUEST_FEATURES: tuple[str, ...] = ("SEV", "SEV-ES", "SEV-SNP")

# The prefixes a kernel message line may carry: syslog priority, one or more bracketed stamps
# (``[    0.299242]``, ``[Mon Jan  1 00:00:00 2024]``, ``[T1]``), or a journal/syslog prefix ending in ``kernel:``.
_PREFIX = re.compile(
    r"""^\s*
    (?:<\d+>)?
    (?:[A-Z][a-z]{2}\s+\d+\s+[\d:]+\s+\S+\s+kernel:\s*)?
    (?:\[[^\]]*\]\s*)*
    """,
    re.VERBOSE,
)

_FEATURES = re.compile(
    r"(?:AMD )?Memory Encryption Features active:\s*(?:AMD\s+)?"
    r"(?P<feat>(?:SME|SEV(?:-ES|-SNP)?)(?:\s+(?:SME|SEV(?:-ES|-SNP)?))*)\s*$"
)
_LEGACY_SEV = re.compile(r"AMD Secure Encrypted Virtualization \(SEV\) active\s*$")
_STATUS = re.compile(r"SEV: Status:\s*(?P<names>.*?)\s*$")
_CPUID = re.compile(r"SEV: Using SNP CPUID table, (?P<n>\d+) entries present")
_PLATFORM = re.compile(r"SEV: SNP guest platform devices? initialized")
_DRIVER = re.compile(
    r"(?:sev-guest\s+sev-guest:\s+)?Initialized SEV guest driver \(using (?:vmpck_id |VMPCK)(?P<n>\d+)"
)
_VMPL = re.compile(r"SEV: SNP running at VMPL(?P<n>\d)")


@dataclass(frozen=True)
class Signal:
    """One line the parser looks for: found (with the line and its number) or missing."""

    id: str
    title: str
    found: bool
    #: The whole log line as printed (stripped of the line ending), when found.
    line: str | None = None
    #: 1-based line number in the text given to :func:`parse`.
    line_number: int | None = None
    #: What the line says in short: "SEV SEV-ES SEV-SNP", "31 entries", "VMPCK0", "VMPL0".
    detail: str | None = None
    #: Which kernels print it, so a missing line on an older kernel is not alarming.
    since: str | None = None
    #: Whether a working SNP guest on the guide's kernels prints it.
    expected_for_snp: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "found": self.found,
            "line": self.line,
            "line_number": self.line_number,
            "detail": self.detail,
            "since": self.since,
            "expected_for_snp": self.expected_for_snp,
        }


@dataclass(frozen=True)
class GuestLog:
    """What a guest kernel log says: the verdict, the features named and every signal."""

    verdict: str
    #: Guest features named by the feature list and ``SEV: Status:`` (subset of GUEST_FEATURES, in order).
    features: tuple[str, ...]
    signals: tuple[Signal, ...]
    #: Plain sentences about what was seen (a host log, SNP without the guest driver, ...).
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: How many lines were read.
    line_count: int = 0

    @property
    def snp_active(self) -> bool:
        return self.verdict == "sev-snp"

    @property
    def title(self) -> str:
        return VERDICT_TITLES[self.verdict]

    @property
    def found(self) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if s.found)

    @property
    def missing(self) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if not s.found)

    def signal(self, signal_id: str) -> Signal:
        for s in self.signals:
            if s.id == signal_id:
                return s
        raise KeyError(signal_id)

    @property
    def attestation_driver(self) -> bool:
        """The sev-guest driver said it initialised (``/dev/sev-guest`` can then be created)."""
        return self.signal("sev-guest-driver").found

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "title": self.title,
            "features": list(self.features),
            "signals": [s.to_json() for s in self.signals],
            "notes": list(self.notes),
            "line_count": self.line_count,
        }


def visible(text: str) -> str:
    """``text`` with control characters (escape sequences, BEL, CR ...) made visible as ``\\x1b`` etc.

    Lines read from outside (a guest's dmesg, a pasted log) go through this before they are shown or
    printed, so a hostile log cannot clear the screen, retitle the window or forge output."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def message(line: str) -> str:
    """The kernel message of one log line, without priority, timestamps or a journal prefix."""
    line = line.rstrip("\r\n")
    return line[_PREFIX.match(line).end():].rstrip()  # type: ignore[union-attr]  # the pattern always matches


def _features_from(names: str) -> list[str]:
    return [n for n in names.split() if n in GUEST_FEATURES or n == "SME"]


def _verdict(features: set[str]) -> str:
    if "SEV-SNP" in features:
        return "sev-snp"
    if "SEV-ES" in features:
        return "sev-es"
    if "SEV" in features:
        return "sev"
    return "none"


@dataclass
class _Hit:
    line: str
    number: int
    detail: str | None


def parse(text: str) -> GuestLog:
    """Parse a guest kernel log (the whole ``dmesg``, a grep of it, or a run's output)."""
    lines = text.splitlines()
    feature_hit: _Hit | None = None
    status_hit: _Hit | None = None
    first: dict[str, _Hit] = {}
    features: set[str] = set()
    sme_only_line: _Hit | None = None

    for number, raw in enumerate(lines, start=1):
        msg = message(raw)
        if not msg:
            continue
        shown = visible(raw.rstrip("\r\n").strip())
        m = _FEATURES.match(msg)
        if m:
            names = _features_from(m.group("feat"))
            guest = [n for n in names if n in GUEST_FEATURES]
            if guest:
                features.update(guest)
                # Keep the strongest feature list if a log holds several (a reboot, a second VM).
                if feature_hit is None or _rank(guest) > _rank(_features_from(feature_hit.detail or "")):
                    feature_hit = _Hit(shown, number, " ".join(guest))
            elif sme_only_line is None:
                sme_only_line = _Hit(shown, number, " ".join(names))
            continue
        if _LEGACY_SEV.match(msg):
            features.add("SEV")
            if feature_hit is None:
                feature_hit = _Hit(shown, number, "SEV")
            continue
        m = _STATUS.match(msg)
        if m:
            names = [n for n in m.group("names").split() if n in GUEST_FEATURES]
            features.update(names)
            if status_hit is None:
                status_hit = _Hit(shown, number, visible(m.group("names")) or None)
            continue
        for key, pattern, fmt in (
            ("snp-cpuid-table", _CPUID, "{} entries"),
            ("snp-platform-device", _PLATFORM, None),
            ("sev-guest-driver", _DRIVER, "VMPCK{}"),
            ("snp-vmpl", _VMPL, "VMPL{}"),
        ):
            m = pattern.match(msg)
            if m and key not in first:
                detail = fmt.format(m.group("n")) if fmt else None
                first[key] = _Hit(shown, number, detail)
                break

    ordered = tuple(n for n in GUEST_FEATURES if n in features)
    verdict = _verdict(features)
    signals = (
        _signal("memory-encryption", "Memory encryption features active (the feature list)", feature_hit,
                since="every kernel (wording changed in 5.10 and 5.19)"),
        _signal("sev-status", "SEV: Status line (SEV_STATUS bits)", status_hit, since="guest kernel 6.9 and later",
                expected=False),
        _signal("snp-cpuid-table", "SNP CPUID table in use", first.get("snp-cpuid-table"),
                since="guest kernel 5.19 and later"),
        _signal("snp-platform-device", "SNP guest platform device initialized", first.get("snp-platform-device"),
                since="guest kernel 5.19 and later"),
        _signal("sev-guest-driver", "sev-guest driver initialized (attestation possible)",
                first.get("sev-guest-driver"), since="guest kernels with CONFIG_SEV_GUEST"),
        _signal("snp-vmpl", "SNP running at a VMPL", first.get("snp-vmpl"), since="guest kernel 6.11 and later",
                expected=False),
    )
    return GuestLog(verdict, ordered, signals, _notes(verdict, feature_hit, status_hit, sme_only_line, first),
                    len(lines))


def _rank(names: list[str]) -> int:
    return max((GUEST_FEATURES.index(n) + 1 for n in names if n in GUEST_FEATURES), default=0)


def _signal(sid: str, title: str, hit: _Hit | None, since: str, expected: bool = True) -> Signal:
    if hit is None:
        return Signal(sid, title, False, since=since, expected_for_snp=expected)
    return Signal(sid, title, True, hit.line, hit.number, hit.detail, since, expected)


def _notes(
    verdict: str,
    feature_hit: _Hit | None,
    status_hit: _Hit | None,
    sme_only: _Hit | None,
    first: dict[str, _Hit],
) -> tuple[str, ...]:
    notes: list[str] = []
    if feature_hit is None and status_hit is None:
        if sme_only is not None:
            notes.append(
                "Only SME (host memory encryption) is listed: this looks like a host's log, not a guest's."
            )
        else:
            notes.append("No memory encryption feature list was found in this log.")
    if verdict == "sev-snp" and "sev-guest-driver" not in first:
        notes.append(
            "SNP is active but the sev-guest driver did not report in: /dev/sev-guest cannot be created "
            "(guest kernel without CONFIG_SEV_GUEST, or the sev-guest module is missing from the image)."
        )
    if verdict in ("sev", "sev-es"):
        notes.append(
            "The VM is protected by SEV but not SEV-SNP: check sev_snp_guest = true and confidential_guest = true "
            "in configuration.toml, and /sys/module/kvm_amd/parameters/sev_snp on the host."
        )
    if verdict != "sev-snp" and any(k in first for k in ("snp-cpuid-table", "snp-platform-device")):
        notes.append("SNP-only lines were found without a feature list naming SEV-SNP: the log may be incomplete.")
    return tuple(notes)
