"""A tree of checks in the spirit of virtee/snphost: a failed parent makes its children ``skip``.

Each check is a :class:`CheckSpec` (id, group, title, parent, function). The function gets the
shared :class:`~kata_snp_tui.checks.facts.Facts` and returns an :class:`Outcome`; the runner adds
the id, group and title, and turns an unexpected exception into a ``warn`` that says so
(a check never takes the whole run down).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import GROUPS, CheckResult, Evidence, Status

#: The summary prefix of a check that raised (tests look for it).
INTERNAL_ERROR = "check could not run:"


@dataclass(frozen=True)
class Outcome:
    status: Status
    summary: str
    evidence: tuple[Evidence, ...] = ()
    remedy: str | None = None


def _ev(evidence: Iterable[Evidence | None]) -> tuple[Evidence, ...]:
    return tuple(e for e in evidence if e is not None)


def passed(summary: str, *evidence: Evidence | None) -> Outcome:
    return Outcome(Status.PASS, summary, _ev(evidence))


def failed(summary: str, *evidence: Evidence | None, remedy: str) -> Outcome:
    return Outcome(Status.FAIL, summary, _ev(evidence), remedy)


def warned(summary: str, *evidence: Evidence | None, remedy: str | None) -> Outcome:
    return Outcome(Status.WARN, summary, _ev(evidence), remedy)


def skipped(summary: str, *evidence: Evidence | None, remedy: str | None = None) -> Outcome:
    return Outcome(Status.SKIP, summary, _ev(evidence), remedy)


def info(summary: str, *evidence: Evidence | None, remedy: str | None = None) -> Outcome:
    return Outcome(Status.INFO, summary, _ev(evidence), remedy)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    group: str
    title: str
    run: Callable[[Facts], Outcome]
    parent: str | None = None


def validate(specs: Sequence[CheckSpec]) -> None:
    """Ids unique, groups known, every parent listed before its children."""
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise ValueError(f"duplicate check id {spec.id}")
        if spec.group not in GROUPS:
            raise ValueError(f"check {spec.id}: unknown group {spec.group!r}")
        if spec.parent is not None and spec.parent not in seen:
            raise ValueError(f"check {spec.id}: parent {spec.parent} must come first")
        seen.add(spec.id)


def run_tree(specs: Sequence[CheckSpec], facts: Facts) -> tuple[CheckResult, ...]:
    """Run checks in order; a child of a failed (or prerequisite-skipped) parent is skipped."""
    results: dict[str, CheckResult] = {}
    blocked: set[str] = set()  # ids whose children must skip
    titles = {s.id: s.title for s in specs}
    for spec in specs:
        parent = results.get(spec.parent) if spec.parent else None
        if parent is not None and spec.parent in blocked:
            verb = "failed" if parent.status is Status.FAIL else "was skipped"
            outcome = Outcome(
                Status.SKIP,
                f"Skipped: {titles[parent.id]} ({parent.id}) {verb}.",
                (Evidence(parent.id, parent.summary),),
                f"Fix {parent.id} first, then re-run the checks.",
            )
            blocked.add(spec.id)
        else:
            try:
                outcome = spec.run(facts)
            except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
                outcome = Outcome(
                    Status.WARN,
                    f"{INTERNAL_ERROR} {type(exc).__name__}: {exc}",
                    (),
                    "This is a bug in kata-snp-tui; please report it with a snapshot (kata-snp-tui snapshot OUT).",
                )
            if outcome.status is Status.FAIL:
                blocked.add(spec.id)
        results[spec.id] = CheckResult(
            spec.id, spec.group, spec.title, outcome.status, outcome.summary, outcome.evidence, outcome.remedy
        )
    return tuple(results[s.id] for s in specs)
