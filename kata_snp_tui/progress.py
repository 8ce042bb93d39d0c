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
        return "done", f"ready for SNP guests ({counts['pass']} passed{warn})"
    return "attention", f"not ready: {counts['fail']} failed, {counts['warn']} warning(s)"


def _build_summary(session: Session) -> tuple[str, str]:
    states = session.build_states  # StepStates: step id -> StepRecord, in recipe order
    if not states:
        return "pending", "no step run yet"
    status = [record.status.value for record in states.values()]
    done = sum(s in ("done", "skipped") for s in status)
    if "failed" in status:
        return "attention", f"{done}/{len(status)} steps done, a step failed"
    if "running" in status:
        return "running", f"{done}/{len(status)} steps done, building…"
    return ("done" if done == len(status) else "pending"), f"{done}/{len(status)} steps done"


def _config_summary(session: Session) -> tuple[str, str]:
    if session.config_applied:
        return "done", "changes saved"
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
