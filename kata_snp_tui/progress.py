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
    states = getattr(session, "build_states", None)
    if not states:
        return "pending", "no step run yet"
    values = list(states.values()) if isinstance(states, dict) else list(states)
    status = [str(getattr(v, "status", v)).split(".")[-1].lower() for v in values]
    done = sum(s in ("done", "skipped") for s in status)
    if any(s == "failed" for s in status):
        return "attention", f"{done}/{len(status)} steps done, a step failed"
    if any(s == "running" for s in status):
        return "running", f"{done}/{len(status)} steps done, building…"
    return ("done" if done == len(status) else "pending"), f"{done}/{len(status)} steps done"


def _config_summary(session: Session) -> tuple[str, str]:
    applied = getattr(session, "config_applied", None)
    if applied:
        return "done", "changes saved"
    return "pending", "not saved yet"


def _verify_summary(session: Session) -> tuple[str, str]:
    result = getattr(session, "verification", None)
    if result is None:
        return "pending", "not run yet"
    verdict = str(getattr(result, "verdict", result))
    if verdict == "sev-snp":
        return "done", "SEV-SNP active in the guest"
    return "attention", f"guest verdict: {verdict}"


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
