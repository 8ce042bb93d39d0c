"""Where the user stands in each stage, in one line per stage (the welcome screen shows it)."""

from __future__ import annotations

from dataclasses import dataclass

from kata_snp_tui.session import Session
from kata_snp_tui.stages import STAGES, Stage


@dataclass(frozen=True)
class StageSummary:
    stage: Stage
    #: "done", "attention", "pending" or "running".
    state: str
    text: str


def _checks_summary(session: Session, running: bool) -> tuple[str, str]:
    report = session.checks
    if report is None:
        return ("running", "reading the host…") if running else ("pending", "not run yet")
    counts = report.counts()
    if report.ready:
        warn = f", {counts['warn']} warning(s)" if counts["warn"] else ""
        others = report.other_failures
        other = f" · {len(others)} other problem(s) ({', '.join(dict.fromkeys(c.group for c in others))})" if others else ""
        return "done", f"ready for SNP guests ({counts['pass']} passed{warn}){other}"
    # the blockers by name, as `kata-snp-tui check` says them; toolchain and other groups counted apart
    return "attention", report.readiness_line()


@dataclass(frozen=True)
class BuildCounts:
    """How many steps are in each state; a skipped step is counted as skipped, never as done, so
    ``done + skipped + ...`` adds up to ``total`` (the Build screen and the welcome screen say it alike)."""

    total: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    cancelled: int = 0
    running: int = 0

    @classmethod
    def of(cls, statuses: list[str]) -> BuildCounts:
        return cls(len(statuses), *(sum(s == name for s in statuses)
                                    for name in ("done", "skipped", "failed", "cancelled", "running")))

    @property
    def finished(self) -> int:
        """Done or skipped: what a later step may build on."""
        return self.done + self.skipped

    @property
    def headline(self) -> str:
        """"32/33 done · 1 skipped", word for word what the Build screen's summary starts with."""
        skipped = f" · {self.skipped} skipped" if self.skipped else ""
        return f"{self.done}/{self.total} done{skipped}"


def _build_summary(session: Session) -> tuple[str, str]:
    states = session.build_states  # StepStates: step id -> StepRecord, in recipe order
    if not states:
        return "pending", "no step run yet"
    counts = BuildCounts.of([record.status.value for record in states.values()])
    if counts.failed:
        return "attention", f"{counts.headline}, a step failed"
    if counts.running:
        return "running", f"{counts.headline}, building…"
    return ("done" if counts.finished == counts.total else "pending"), counts.headline


_FILE_NAMES = {"kata": "Kata's configuration.toml", "containerd": "containerd's config.toml"}


def _config_summary(session: Session) -> tuple[str, str]:
    unsaved = [_FILE_NAMES.get(k, k) for k in session.config_unsaved]
    saved = list(dict.fromkeys(_FILE_NAMES.get(getattr(r, "kind", ""), "a file") for r in session.config_applied))
    if unsaved:
        done = f"{' and '.join(saved)} saved; " if saved else ""
        return "pending", f"{done}unsaved changes in {' and '.join(unsaved)}"
    if saved:
        return "done", f"saved: {' and '.join(saved)}"
    return "pending", "not saved yet"


def _verify_summary(session: Session) -> tuple[str, str]:
    from kata_snp_tui.verify.result import CANCELLED, NOT_RUN, outcome_of

    outcome = outcome_of(session.verification)  # the same result the Verify screen and the report show
    if outcome.state == NOT_RUN:
        return "pending", "not run yet"
    if outcome.state == CANCELLED:
        return "pending", "run cancelled before the guest log was read: no verdict"
    if not outcome.completed:
        why = f" ({outcome.reason})" if outcome.reason else ""
        return "attention", f"run failed{why}: no guest log read, no verdict"
    if outcome.ok:
        return "done", "SEV-SNP active in the guest"
    return "attention", f"guest verdict: {outcome.label}"


def stage_summaries(session: Session, checks_running: bool = False) -> list[StageSummary]:
    out: list[StageSummary] = []
    for s in STAGES:
        if s.id == "checks":
            state, text = _checks_summary(session, checks_running)
        elif s.id == "build":
            state, text = _build_summary(session)
        elif s.id == "config":
            state, text = _config_summary(session)
        elif s.id == "verify":
            state, text = _verify_summary(session)
        else:
            continue
        out.append(StageSummary(s, state, text))
    return out
