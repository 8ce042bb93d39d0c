"""The verification result: what the guest log says, what the attestation gave, how the run went.

Shared by ``kata-snp-tui verify``, the Verify screen, the welcome screen and the session report. What the
run obtained is one :class:`Outcome` (:func:`outcome_of` for a result, :func:`outcome_from_json` for a
saved one): ``not-run``, ``cancelled`` or ``failed`` carry no verdict; only ``completed`` (the guest's
dmesg was read to its end) does. The last result is saved
in the state folder (``verify/last.json``, 0600) so ``kata-snp-tui export`` can report it later.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kata_snp_tui.paths import ensure_private_dir, state_dir
from kata_snp_tui.verify.guest_log import VERDICT_TITLES, GuestLog, parse, visible
from kata_snp_tui.verify.guest_script import echoed_report_data, split_output
from kata_snp_tui.verify.measurement import MeasurementResult
from kata_snp_tui.verify.report import AttestationReport, ReportError, decode_any, extract_report_block
from kata_snp_tui.verify.signature import SignatureCheck

LAST_RESULT_NAME = "last.json"
RESULT_FORMAT = "kata-snp-tui.verification"

#: Attestation statuses.
OBTAINED = "obtained"
NOT_ATTEMPTED = "not-attempted"
NO_TOOL = "no-tool"
NO_DEVICE = "no-device"
FAILED = "failed"

#: Outcome states: what the wizard obtained from a verification.
NOT_RUN = "not-run"
CANCELLED = "cancelled"
RUN_FAILED = "failed"
COMPLETED = "completed"
OUTCOME_STATES: tuple[str, ...] = (NOT_RUN, CANCELLED, RUN_FAILED, COMPLETED)
#: What each state is called in one or two words (a completed run is called by its verdict).
OUTCOME_LABELS: dict[str, str] = {NOT_RUN: "not run", CANCELLED: "cancelled", RUN_FAILED: "run failed"}
NO_VERDICT = "no guest log was read, so there is no verdict"


@dataclass(frozen=True)
class Outcome:
    """What a verification obtained. ``verdict`` is set only when ``state`` is ``completed``."""

    state: str
    #: The guest log's verdict ("sev-snp", "sev-es", "sev", "none"), only for a completed run.
    verdict: str | None = None
    #: Why the run did not complete (cancelled, failed), or what went wrong after the guest log was read.
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.state not in OUTCOME_STATES:
            raise ValueError(f"unknown outcome state {self.state!r}")
        if (self.state == COMPLETED) != (self.verdict is not None):
            raise ValueError("a verdict exists exactly when the run completed")

    @property
    def completed(self) -> bool:
        return self.state == COMPLETED

    @property
    def ok(self) -> bool:
        return self.verdict == "sev-snp"

    @property
    def label(self) -> str:
        """"SEV-SNP active", "SEV-ES only (no SNP)", ..., "cancelled", "run failed", "not run"."""
        if self.verdict is not None:
            return VERDICT_TITLES.get(self.verdict, self.verdict)
        return OUTCOME_LABELS[self.state]

    @property
    def sentence(self) -> str:
        """One line for people: the verdict, or the state, why, and that there is no verdict."""
        if self.state == NOT_RUN:
            return "Not run yet."
        if self.completed:
            after = f" (then {self.reason})" if self.reason else ""
            return f"Verdict: {self.label}{after}."
        why = f": {self.reason}" if self.reason else ""
        return f"{'Run cancelled' if self.state == CANCELLED else 'Run failed'}{why}. {NO_VERDICT[0].upper()}{NO_VERDICT[1:]}."

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "verdict": self.verdict, "label": self.label, "reason": self.reason}


def decide_outcome(*, guest_read: bool, verdict: str, run_failed: bool, failure: str | None,
                   step_statuses: tuple[str, ...] = ()) -> Outcome:
    """The one rule: a verdict only when the guest's dmesg was read to its end; otherwise the run was
    cancelled (a step was cancelled by the user) or failed (a step failed or timed out, or the guest
    printed no log)."""
    if guest_read:
        return Outcome(COMPLETED, verdict, failure if run_failed else None)
    cancelled = "cancelled" in step_statuses or (failure or "").startswith("cancelled")
    if cancelled:
        return Outcome(CANCELLED, None, failure)
    return Outcome(RUN_FAILED, None, failure or "the guest's dmesg was not read")



@dataclass(frozen=True)
class Attestation:
    """Whether an attestation report was obtained, how, and what it says."""

    status: str
    #: "snpguest", "python3", "none", "skipped" or None when the guest never got that far.
    method: str | None
    #: One plain sentence for the user.
    message: str
    requested_report_data: bytes | None = None
    report: AttestationReport | None = None
    #: The guest's own error lines (from the client or snpguest), when it failed.
    error_lines: tuple[str, ...] = ()

    @property
    def report_data_matches(self) -> bool | None:
        if self.report is None or self.requested_report_data is None:
            return None
        return self.report.report_data_matches(self.requested_report_data)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "method": self.method,
            "message": self.message,
            "requested_report_data": self.requested_report_data.hex() if self.requested_report_data else None,
            "report_data_matches": self.report_data_matches,
            "error_lines": list(self.error_lines),
        }


@dataclass(frozen=True)
class StepRecord:
    """One command of the run as the session report shows it."""

    id: str
    title: str
    command: str
    #: "done", "failed", "cancelled", "timed out", "skipped", "not run".
    status: str
    returncode: int | None = None
    log_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "command": self.command,
            "status": self.status,
            "returncode": self.returncode,
            "log_path": self.log_path,
        }


@dataclass(frozen=True)
class Verification:
    #: "run" (this tool ran the container), "demo" (replayed recording), "file" (a dmesg file given).
    source: str
    guest: GuestLog
    attestation: Attestation
    image: str | None = None
    runtime: str | None = None
    name: str | None = None
    steps: tuple[StepRecord, ...] = ()
    finished_at: str | None = None
    #: A run that did not complete (a step failed, timed out or was cancelled).
    run_failed: bool = False
    #: Short description of why, when run_failed.
    failure: str | None = None
    demo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: The report's measurement against the expected one (verify/measurement.py), when a report was obtained.
    measurement: MeasurementResult | None = None
    #: The report's signature against AMD's chain (verify/attestation.py), once the user asked for the check.
    signature: SignatureCheck | None = None
    #: The guest's dmesg was read to its end (its end marker came, with exit status 0); None: a kernel log
    #: given as a file (read) or a result from before this field (judged from ``run_failed``).
    guest_read: bool | None = None

    @property
    def verdict(self) -> str:
        """The guest log parser's verdict, "none" also when nothing was read: what the run obtained is
        :attr:`outcome` (a verdict only when it completed)."""
        return self.guest.verdict

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self)

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def report(self) -> AttestationReport | None:
        return self.attestation.report

    def to_json(self) -> dict[str, Any]:
        outcome = self.outcome
        out: dict[str, Any] = {
            # null when the run did not complete: no guest log was read (see "outcome").
            "verdict": outcome.verdict,
            "verdict_title": outcome.label,
            "outcome": outcome.to_json(),
            "guest_read": outcome.completed,
            "features": list(self.guest.features),
            "signals": [s.to_json() for s in self.guest.signals],
            "notes": list(self.guest.notes),
            "source": self.source,
            "demo": self.demo,
            "image": self.image,
            "runtime": self.runtime,
            "name": self.name,
            "finished_at": self.finished_at,
            "run_failed": self.run_failed,
            "failure": self.failure,
            "steps": [s.to_json() for s in self.steps],
            "attestation": self.attestation.to_json(),
            "hints": list(self.extra.get("hints", [])),
            "measurement_comparison": self.measurement.to_json() if self.measurement is not None else None,
            "signature_check": self.signature.to_json() if self.signature is not None else None,
        }
        if self.attestation.report is not None:
            out["report"] = self.attestation.report.to_json()
            out["report_raw"] = self.attestation.report.raw.hex()
        return out


def _guest_read(v: Verification) -> bool:
    if v.guest_read is not None:
        return v.guest_read
    return v.source == "file" or not v.run_failed or v.guest.line_count > 0


def outcome_of(verification: Verification | None) -> Outcome:
    """What a verification obtained (``not-run`` for None)."""
    if verification is None:
        return Outcome(NOT_RUN)
    v = verification
    return decide_outcome(guest_read=_guest_read(v), verdict=v.guest.verdict, run_failed=v.run_failed,
                          failure=v.failure, step_statuses=tuple(s.status for s in v.steps))


def outcome_from_json(data: Any) -> Outcome:
    """The outcome of a saved or exported result (:meth:`Verification.to_json`), including one saved
    before outcomes existed: judged by the same rule from what it holds."""
    if not isinstance(data, dict):
        return Outcome(NOT_RUN)
    saved = data.get("outcome")
    if isinstance(saved, dict):
        try:
            return Outcome(str(saved.get("state")), saved.get("verdict"), saved.get("reason"))
        except ValueError:
            pass
    verdict = data.get("verdict")
    run_failed = bool(data.get("run_failed"))
    signals = data.get("signals") or []
    found = any(isinstance(s, dict) and s.get("found") for s in signals) or bool(data.get("features"))
    guest_read = data.get("guest_read")
    if not isinstance(guest_read, bool):
        guest_read = data.get("source") == "file" or not run_failed or found
    steps = data.get("steps") or []
    statuses = tuple(str(s.get("status")) for s in steps if isinstance(s, dict))
    if guest_read and verdict not in VERDICT_TITLES:
        guest_read = False
    return decide_outcome(guest_read=guest_read, verdict=str(verdict), run_failed=run_failed,
                          failure=data.get("failure"), step_statuses=statuses)


def _error_lines(text: str) -> tuple[str, ...]:
    keep = ("guest_report_client:", "snpguest", "Error", "error", "failed", "mknod:", "Permission denied",
            "Operation not permitted")
    return tuple(
        visible(line.strip()) for line in text.splitlines()
        if any(k in line for k in keep) and not line.startswith("kata-snp-tui: attestation method")
    )[:10]


def analyse_attestation(text: str, requested: bytes | None, attempted: bool = True) -> Attestation:
    """Read the attestation part of a guest run's output."""
    if not attempted:
        return Attestation(NOT_ATTEMPTED, None, "No attestation report was asked for.", requested)
    out = split_output(text)
    method = out.method
    if method is None:
        if out.structured and not out.attestation and "sev-guest" not in text:
            msg = "The guest script stopped before the attestation step."
        else:
            msg = "The guest never reached the attestation step (the run failed or was cut short)."
        return Attestation(FAILED if out.structured else NOT_ATTEMPTED, None, msg, requested)
    if method == "skipped":
        device_note = out.device.strip().splitlines()
        why = visible(device_note[-1]) if device_note else "no /dev/sev-guest"
        return Attestation(NO_DEVICE, method, f"/dev/sev-guest could not be created: {why}", requested,
                           error_lines=_error_lines(out.device))
    if method == "none":
        return Attestation(
            NO_TOOL,
            method,
            "This image has neither snpguest nor python3, so no report can be requested from inside it. "
            "Choose an image that has one of them (for example docker.io/library/python:3.12-alpine) "
            "and run again.",
            requested,
        )
    block = extract_report_block(out.attestation)
    if block is None:
        return Attestation(FAILED, method, f"{method} did not return a report.", requested,
                           error_lines=_error_lines(out.attestation))
    try:
        decoded = decode_any(block.encode("ascii", errors="replace"))
    except ReportError as exc:
        return Attestation(FAILED, method, f"The report {method} returned cannot be decoded: {exc}", requested)
    echoed = echoed_report_data(out.attestation)
    req = requested if requested is not None else echoed
    report = decoded.report
    msg = f"Attestation report obtained with {method}."
    if req is not None and not report.report_data_matches(req):
        msg += " Its report_data does NOT match what was asked."
    return Attestation(OBTAINED, method, msg, req, report)


def analyse_run_output(text: str, requested: bytes | None, attempted: bool = True) -> tuple[GuestLog, Attestation]:
    """The guest log verdict and the attestation outcome from one ``ctr run`` output."""
    out = split_output(text)
    return parse(out.dmesg), analyse_attestation(text, requested, attempted)


# ------------------------------------------------------------------------------------- storage


def results_dir(create: bool = True) -> Path:
    path = state_dir(create) / "verify"
    if create:
        ensure_private_dir(path)
    return path


def save_last(verification: Verification) -> Path:
    """Write the result (no secrets: only what the guest printed and the run's metadata), 0600."""
    path = results_dir() / LAST_RESULT_NAME
    data = {"format": RESULT_FORMAT, "version": 1, **verification.to_json()}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def load_last(problems: list[str] | None = None) -> dict[str, Any] | None:
    """The last saved result as JSON, or None when there is none.

    A file that cannot be used (not JSON, not UTF-8, another format) is moved aside to
    ``last.json.corrupt`` and the reason appended to ``problems``, so it is neither silently taken for
    "not run" nor overwritten unseen by the next run."""
    path = results_dir(create=False) / LAST_RESULT_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if problems is not None:
            problems.append(f"cannot read the last verification {path}: {exc.strerror or exc}")
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != RESULT_FORMAT:
            raise ValueError("not a kata-snp-tui verification result")
    except (UnicodeDecodeError, ValueError) as exc:
        aside = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, aside)
            where = f"; moved aside to {aside}"
        except OSError:
            where = ""
        if problems is not None:
            problems.append(f"the last verification {path} could not be read ({exc}){where}")
        return None
    return data


def from_dmesg_text(text: str, source: str = "file") -> Verification:
    """A verification from a kernel log alone (``verify --dmesg-file``): no attestation attempted."""
    out = split_output(text)
    guest = parse(out.dmesg)
    if out.structured:
        attestation = analyse_attestation(text, None)
    else:
        attestation = Attestation(NOT_ATTEMPTED, None, "Only a kernel log was given: no attestation report.")
    return Verification(source=source, guest=guest, attestation=attestation, guest_read=True)
