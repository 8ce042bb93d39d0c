"""The session report: what the wizard found and did, as JSON and as Markdown.

Sections: the host (and whether it is the demo host), the host checks, the build steps (status, exit code,
log path), the configuration change applied, the verification (verdict, signals, attestation) and the
attestation report's fields, plus the guide's known issues with this host's state.

Two ways in, one document:
- :func:`from_session`: what the TUI's Session holds (``checks``, ``build_states``, ``config_applied``,
  ``verification``; the later ones read defensively, they are filled by other stages);
- :func:`headless`: for ``kata-snp-tui export``: runs the host checks, reads the persisted build state
  and the last verification from the state folder.

Never a secret: the sudo password is never stored anywhere the report reads, and :func:`scrub` removes
any value whose key or text looks like a credential before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from kata_snp_tui import __version__
from kata_snp_tui.checks.model import CheckReport
from kata_snp_tui.host import Host, HostSource

REPORT_FORMAT = "kata-snp-tui.session-report"
REPORT_VERSION = 1
REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"passw(or)?d|passphrase|secret|token|credential|api[_-]?key|private[_-]?key|cookie",
                         re.IGNORECASE)
_SECRET_TEXT = re.compile(
    r"(?i)\b(password|passwd|passphrase|secret|token|api[_-]?key)(\s*[=:]\s*|\s+)(?!\[redacted\])(\S+)"
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")


def scrub(value: Any) -> Any:
    """A copy of JSON-like data with credentials removed (by key name and by inline text)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if _SECRET_KEY.search(key) and not key.endswith("_digest"):
                out[key] = REDACTED if v not in (None, "", False) else v
            else:
                out[key] = scrub(v)
        return out
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{REDACTED}@", value)
        return _SECRET_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return value


# --------------------------------------------------------------------------------- gathering


def _jsonable(obj: Any) -> Any:
    """Best-effort plain data from another stage's object (to_json, as_json, dataclass, enum, mapping)."""
    from dataclasses import asdict, is_dataclass
    from enum import Enum

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Enum):
        return _jsonable(obj.value)
    for method in ("to_json", "as_json"):
        fn = getattr(obj, method, None)
        if callable(fn):
            try:
                return _jsonable(fn())
            except TypeError:
                pass
    if is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).hex()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, datetime):
        return obj.isoformat()
    return str(obj)


def build_steps(states: Any, titles: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Build step records in order: from a mapping id -> record (or a BuildState), or a list of records."""
    if states is None:
        return []
    snapshot = getattr(states, "snapshot", None)
    if callable(snapshot):
        states = snapshot()
    titles = titles or {}
    items: list[tuple[str, Any]]
    if isinstance(states, dict):
        items = [(str(k), v) for k, v in states.items()]
    elif isinstance(states, (list, tuple)):
        items = [(str(getattr(v, "id", None) or (v.get("id") if isinstance(v, dict) else i)), v)
                 for i, v in enumerate(states)]
    else:
        return []
    out: list[dict[str, Any]] = []
    for step_id, record in items:
        data = _jsonable(record)
        if not isinstance(data, dict):
            data = {"status": data}
        row: dict[str, Any] = {
            "id": step_id,
            "title": titles.get(step_id) or data.get("title") or step_id,
            "status": data.get("status"),
            "exit_code": data.get("exit_code", data.get("returncode")),
            "started_at": data.get("started_at"),
            "duration": data.get("duration"),
            "log": data.get("log", data.get("log_path")),
            "message": data.get("message") or None,
        }
        out.append(row)
    return out


def _recipe_titles(profile: Any = None, workspace: Path | str | None = None) -> tuple[list[str], dict[str, str]]:
    """Step ids in recipe order and their titles as the Build screen shows them: the profile's recipe
    (kata_snp_tui.profiles.Profile; None: the guide's) resolved for the workspace, so no ``{kata_version}``
    placeholder is left in a title."""
    try:
        from kata_snp_tui.paths import default_workspace
        from kata_snp_tui.recipe import load_recipe

        recipe = load_recipe(profile.recipe_path if profile is not None else None)
        steps = recipe.resolve(Path(workspace) if workspace else default_workspace(), {})
        order = [s.id for s in steps]
        return order, {s.id: s.title for s in steps}
    except Exception:  # noqa: BLE001 - a broken recipe must not stop the report: ids stand in for titles
        return [], {}


def _profile_json(choice: Any) -> dict[str, Any] | None:
    """The profile in use and why (a kata_snp_tui.profiles.ProfileChoice), or None."""
    to_json = getattr(choice, "to_json", None)
    return to_json() if callable(to_json) else None


def _ordered(steps: list[dict[str, Any]], order: list[str]) -> list[dict[str, Any]]:
    if not order:
        return steps
    rank = {sid: i for i, sid in enumerate(order)}
    return sorted(steps, key=lambda s: rank.get(s["id"], len(rank)))


def _verification_json(verification: Any) -> dict[str, Any] | None:
    """The result as JSON, with its ``outcome`` (and a verdict only when the run completed)."""
    from kata_snp_tui.verify.result import outcome_from_json

    if verification is None:
        return None
    data = _jsonable(verification)
    if not isinstance(data, dict):
        data = {"verdict": data}
    outcome = outcome_from_json(data)
    return {**data, "outcome": outcome.to_json(), "verdict": outcome.verdict, "verdict_title": outcome.label}


def _config_json(config_applied: Any) -> Any:
    if config_applied is None or config_applied is False or config_applied == []:
        return None
    if config_applied is True:
        return {"applied": True}
    return _jsonable(config_applied)


def _checks_json(report: CheckReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    data = report.to_json()
    data["counts"] = report.counts()
    return data


def _known_issues(host: Host, checks: CheckReport | None) -> list[dict[str, Any]]:
    try:
        from kata_snp_tui.troubleshoot import issue_states

        return [s.to_json() for s in issue_states(host, checks)]
    except Exception as exc:  # noqa: BLE001 - a broken asset must not stop the report
        return [{"id": "error", "title": "known issues unavailable", "status": "skip", "summary": str(exc)}]


@dataclass(frozen=True)
class SessionData:
    """Everything the report needs, already gathered (so rendering is pure)."""

    generated_at: datetime
    source: HostSource
    host: Host
    checks: CheckReport | None
    build: list[dict[str, Any]]
    build_workspace: str | None
    config: Any
    verification: dict[str, Any] | None
    started_at: datetime | None = None
    #: The profile in use and why (ProfileChoice.to_json()).
    profile: dict[str, Any] | None = None


def document(data: SessionData) -> dict[str, Any]:
    """The session report as plain JSON data, scrubbed."""
    verification = data.verification
    report = verification.get("report") if isinstance(verification, dict) else None
    doc: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "tool_version": __version__,
        "generated_at": data.generated_at.isoformat(),
        "session_started_at": data.started_at.isoformat() if data.started_at else None,
        "host": {
            "kind": data.source.kind,
            "label": data.host.label,
            "source": data.source.describe(),
            "demo": data.source.kind == "demo",
        },
        "profile": data.profile,
        "checks": _checks_json(data.checks),
        "known_issues": _known_issues(data.host, data.checks),
        "build": {"workspace": data.build_workspace, "steps": data.build},
        "config": data.config,
        "verification": verification,
        "report": report,
    }
    return scrub(doc)


# ----------------------------------------------------------------------------------- sources


def from_session(session: Any, now: Callable[[], datetime] | None = None) -> dict[str, Any]:
    """The report of a TUI session (its Session object)."""
    clock = now or getattr(session, "clock", None) or (lambda: datetime.now(timezone.utc))
    workspace = None
    states = getattr(session, "build_states", None)
    if states is not None and getattr(states, "workspace", None) is not None:
        workspace = str(states.workspace)
    choice = getattr(session, "profile_choice", None)
    order, titles = _recipe_titles(getattr(choice, "profile", None), workspace)
    steps = _ordered(build_steps(states, titles), order)
    verification = getattr(session, "verification", None)
    if verification is None:
        verification = (getattr(session, "extras", {}) or {}).get("verification")
    return document(
        SessionData(
            generated_at=clock(),
            source=session.source,
            host=session.host,
            checks=getattr(session, "checks", None),
            build=steps,
            build_workspace=workspace,
            config=_config_json(getattr(session, "config_applied", None)),
            verification=_verification_json(verification),
            started_at=getattr(session, "started_at", None),
            profile=_profile_json(choice),
        )
    )


def _persisted_build(demo: bool, profile: Any = None) -> tuple[list[dict[str, Any]], str | None]:
    try:
        from kata_snp_tui.build_state import BuildPaths, BuildState

        try:
            from kata_snp_tui.build_state import workspace_for

            workspace = Path(workspace_for(demo, None))
        except ImportError:
            from kata_snp_tui.paths import default_workspace

            workspace = default_workspace()
        build_paths = BuildPaths.default(demo=demo)
        state_file = build_paths.state_file(workspace)
        if not state_file.exists():
            return [], str(workspace)
        state = BuildState(path=state_file, workspace=workspace)
        state.load()
        order, titles = _recipe_titles(profile, workspace)
        return _ordered(build_steps(state.snapshot(), titles), order), str(workspace)
    except Exception:  # noqa: BLE001 - no build stage, or a newer format: report without it
        return [], None


def _persisted_config() -> Any:
    """The last applied configuration change, if the config stage saved one in the state folder."""
    from kata_snp_tui.paths import state_dir

    for candidate in (state_dir(create=False) / "config" / "last-apply.json",
                      state_dir(create=False) / "config" / "applied.json"):
        try:
            return json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None


def _choose_profile(source: HostSource, host: Host, override: str | None = None) -> Any:
    """The profile the wizard would use on this host, as it chooses it (``--profile`` first; None when it
    cannot be chosen). An unknown ``override``, or the demo with another profile than its recording's, is
    a ProfileError (one line, exit 2), as for the wizard and ``build``."""
    from kata_snp_tui.build_state import workspace_for
    from kata_snp_tui.profiles import choose_for

    if override:
        return choose_for(source.kind, host, workspace_for(source.kind == "demo"), override)
    try:
        return choose_for(source.kind, host, workspace_for(source.kind == "demo"))
    except Exception:  # noqa: BLE001 - a report without the profile line rather than no report
        return None


def headless(source: HostSource, host: Host, now: Callable[[], datetime] | None = None,
             checks: CheckReport | None = None, problems: list[str] | None = None,
             profile: str | None = None) -> dict[str, Any]:
    """The report for ``kata-snp-tui export``: fresh host checks plus what the state folder holds, for the
    profile the wizard would use (``profile``: the --profile given).

    What could not be read (a corrupt saved verification, ...) is appended to ``problems`` and listed
    in the report's ``warnings``."""
    from kata_snp_tui.verify.result import load_last

    warnings: list[str] = []

    choice = _choose_profile(source, host, profile)
    if checks is None:
        from kata_snp_tui.checks import run_checks

        from kata_snp_tui.build_state import shown_workspace

        checks = run_checks(host, workspace=shown_workspace(source.kind == "demo"), profile=choice)
    clock = now or (lambda: datetime.now(timezone.utc))
    steps, workspace = _persisted_build(demo=source.kind == "demo", profile=getattr(choice, "profile", None))
    last = load_last(warnings)
    if last is not None:
        last = {k: v for k, v in last.items() if k not in ("format", "version")}
        # A demo verification belongs to a demo report only, and a real one never to the demo's.
        if bool(last.get("demo")) != (source.kind == "demo"):
            last = None
    last = _verification_json(last)
    doc = document(
        SessionData(
            generated_at=clock(),
            source=source,
            host=host,
            checks=checks,
            build=steps,
            build_workspace=workspace,
            # The state folder's configuration change is this machine's; the demo never writes one.
            config=None if source.kind == "demo" else _config_json(_persisted_config()),
            verification=last,
            profile=_profile_json(choice),
        )
    )
    if warnings:
        doc["warnings"] = scrub(warnings)
        if problems is not None:
            problems.extend(warnings)
    return doc


# --------------------------------------------------------------------------------- rendering


def to_json_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"


def _md_escape(text: Any) -> str:
    s = "" if text is None else str(text)
    return s.replace("|", "\\|").replace("\n", " ")


def _code_block(text: str) -> list[str]:
    fence = "```"
    while fence in text:
        fence += "`"
    return [fence, text.rstrip("\n"), fence]


def to_markdown(doc: dict[str, Any]) -> str:
    host = doc.get("host") or {}
    lines: list[str] = ["# kata-snp-tui session report", ""]
    if host.get("demo"):
        lines += ["> **DEMO DATA.** This report describes the bundled demo host (recorded output of a healthy "
                  "SNP host), not this machine.", ""]
    lines += [
        f"- Generated: {doc.get('generated_at')}",
        f"- Tool: kata-snp-tui {doc.get('tool_version')}",
        f"- Host: {host.get('label')}",
        f"- Source: {host.get('source')}",
    ]
    profile = doc.get("profile")
    if isinstance(profile, dict):
        lines.append(f"- Profile: {profile.get('id')} ({profile.get('title')}): {profile.get('reason')}")
    lines.append("")
    for warning in doc.get("warnings") or []:
        lines += [f"> **Warning:** {warning}", ""]

    checks = doc.get("checks")
    lines += ["## Host checks", ""]
    if not checks:
        lines += ["Not run.", ""]
    else:
        counts = checks.get("counts") or {}
        ready = "ready for SNP guests" if checks.get("ready") else "NOT ready for SNP guests"
        summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        lines += [f"**{ready}** ({summary or 'no checks'})", ""]
        if checks.get("checks"):
            lines += ["| Status | Check | Summary |", "|---|---|---|"]
            for c in checks["checks"]:
                lines.append(f"| {_md_escape(c.get('status'))} | {_md_escape(c.get('title'))} (`{c.get('id')}`) "
                             f"| {_md_escape(c.get('summary'))} |")
            lines.append("")
            for c in checks["checks"]:
                if c.get("status") in ("fail", "warn") and (c.get("remedy") or c.get("evidence")):
                    lines += [f"### {c.get('status', '').upper()}: {c.get('title')}", ""]
                    for e in c.get("evidence") or []:
                        lines.append(f"- {e}")
                    if c.get("remedy"):
                        lines += ["", *_code_block(str(c["remedy"]))]
                    lines.append("")

    issues = doc.get("known_issues") or []
    if issues:
        lines += ["## The guide's known issues on this host", ""]
        for i in issues:
            lines += [f"- **{i.get('title')}**: {i.get('status')}: {i.get('summary')}"]
        lines.append("")

    build = doc.get("build") or {}
    steps = build.get("steps") or []
    lines += ["## Build", ""]
    if build.get("workspace"):
        lines += [f"Workspace: `{build['workspace']}`", ""]
    if not steps:
        lines += ["No build step has run.", ""]
    else:
        lines += ["| Step | Status | Exit | Log |", "|---|---|---|---|"]
        for s in steps:
            log = f"`{s['log']}`" if s.get("log") else ""
            exit_code = "" if s.get("exit_code") is None else s["exit_code"]
            lines.append(f"| {_md_escape(s.get('title'))} | {_md_escape(s.get('status'))} | {exit_code} | {log} |")
        lines.append("")
        for s in steps:
            if s.get("message") and s.get("status") in ("failed", "cancelled"):
                lines.append(f"- {s.get('title')}: {s['message']}")
        lines.append("")

    lines += ["## Configuration", ""]
    config = doc.get("config")
    if not config:
        lines += ["No change applied in this session.", ""]
    else:
        lines += _config_markdown(config)

    lines += _verification_markdown(doc.get("verification"), doc.get("report"))
    return "\n".join(lines).rstrip("\n") + "\n"


def _config_entry_markdown(c: dict[str, Any]) -> list[str]:
    out: list[str] = []
    title = f"{c.get('kind') or 'configuration'}: `{c.get('path') or c.get('file') or '?'}`"
    if c.get("restored_from"):
        title += " (restored)"
    out += [f"### {title}", ""]
    facts = []
    if c.get("demo_copy"):
        facts.append("the demo's scratch copy, not a system file")
    if c.get("at") or c.get("applied_at") or c.get("written_at"):
        facts.append(f"written {c.get('at') or c.get('applied_at') or c.get('written_at')}")
    if c.get("via_sudo"):
        facts.append("through sudo")
    if c.get("backup"):
        facts.append(f"backup `{c['backup']}`")
    if c.get("restored_from"):
        facts.append(f"restored from `{c['restored_from']}`")
    out += [f"- {f}" for f in facts]
    changes = c.get("changes")
    if isinstance(changes, list) and changes:
        names = [str(x.get("id") or x.get("key") or x) if isinstance(x, dict) else str(x) for x in changes]
        out.append(f"- changes met: {', '.join(names)}")
    diff = c.get("diff") or c.get("unified_diff")
    if isinstance(diff, str) and diff.strip():
        out += ["", *_code_block(diff)]
    return [*out, ""]


def _config_markdown(config: Any) -> list[str]:
    entries = config if isinstance(config, list) else [config]
    out: list[str] = []
    for c in entries:
        if isinstance(c, dict):
            out += _config_entry_markdown(c)
        else:
            out += [*_code_block(json.dumps(c, indent=2, default=str)), ""]
    return out or ["No change applied in this session.", ""]


def _verification_markdown(v: Any, report: Any) -> list[str]:
    lines = ["## Verification", ""]
    if not isinstance(v, dict):
        return [*lines, "Not run.", ""]
    if v.get("demo"):
        lines += ["_Demo: a replayed recording of the demo host's guest run._", ""]
    from kata_snp_tui.verify.result import NO_VERDICT, outcome_from_json

    outcome = outcome_from_json(v)  # the same result the CLI and the screens show
    if outcome.completed:
        lines += [f"**Verdict: {outcome.verdict}** ({outcome.label})", ""]
    else:
        why = f"{outcome.reason}; " if outcome.reason else ""
        lines += [f"**Result: {outcome.label}** ({why}{NO_VERDICT})", ""]
    for key in ("image", "runtime", "name", "finished_at"):
        if v.get(key):
            lines.append(f"- {key}: `{v[key]}`")
    if v.get("run_failed"):
        lines.append(f"- run failed: {v.get('failure')}")
    lines.append("")
    steps = v.get("steps") or []
    if steps:
        lines += ["| Command | Status | Exit | Log |", "|---|---|---|---|"]
        for s in steps:
            log = f"`{s['log_path']}`" if s.get("log_path") else ""
            rc = "" if s.get("returncode") is None else s["returncode"]
            lines.append(f"| `{_md_escape(s.get('command'))}` | {_md_escape(s.get('status'))} | {rc} | {log} |")
        lines.append("")
    signals = v.get("signals") or []
    if not outcome.completed:
        lines += ["Guest kernel log: not read, so no signal is shown as found or missing.", ""]
    elif signals:
        lines += ["Guest kernel log signals:", ""]
        for s in signals:
            mark = "x" if s.get("found") else " "
            where = f": `{s.get('line')}`" if s.get("found") else ""
            lines.append(f"- [{mark}] {s.get('title')}{where}")
        lines.append("")
    for note in v.get("notes") or []:
        lines.append(f"> {note}")
    att = v.get("attestation") or {}
    if att:
        lines += ["", f"Attestation: **{att.get('status')}**: {att.get('message')}", ""]
    if isinstance(report, dict):
        lines += ["### Attestation report", ""]
        if report.get("demo"):
            lines += ["> **DEMO DATA**: built for the demo host, not obtained from SNP hardware.", ""]
        if att.get("report_data_matches") is not None:
            lines += [f"report_data matches the request: {'yes' if att['report_data_matches'] else 'NO'}", ""]
        mc = v.get("measurement_comparison")
        if isinstance(mc, dict):
            status = str(mc.get("status"))
            why = f": {mc.get('reason')}" if status == "unknown" else ""
            lines += [f"Launch measurement: **{status}**{why}", "",
                      f"- reported: `{mc.get('reported') or '-'}`", f"- expected: `{mc.get('expected') or '-'}`"]
            for a in mc.get("artifacts") or []:
                lines.append(f"- {a.get('role')}: `{a.get('path')}` (sha256 `{a.get('sha256')}`)")
            lines.append("")
        lines += _signature_markdown(v.get("signature_check"))
        lines += ["| Field | Value |", "|---|---|"]
        for key in ("version", "guest_svn", "policy", "vmpl", "signature_algo", "platform_info", "report_data",
                    "measurement", "host_data", "id_key_digest", "author_key_digest", "report_id", "reported_tcb",
                    "chip_id", "committed_tcb", "current_firmware", "committed_firmware", "launch_tcb",
                    "signature_r", "signature_s"):
            if key in report:
                value = report[key]
                if isinstance(value, dict):
                    flags = [k for k, val in value.items() if val is True]
                    rest = [f"{k}={val}" for k, val in value.items() if not isinstance(val, bool)]
                    value = ", ".join(rest + ([f"set: {' '.join(flags)}"] if flags else []))
                lines.append(f"| {key} | `{_md_escape(value)}` |")
        lines.append("")
    return lines


def _signature_markdown(check: Any) -> list[str]:
    """The report's signature against AMD's chain (verify/signature.py), or that it was not checked."""
    if not isinstance(check, dict):
        return ["Signature: **not checked** (the Verify screen's `s`, or "
                "`kata-snp-tui report FILE --verify`, checks it against AMD's chain).", ""]
    lines = [f"Signature: **{check.get('status')}**: {_md_escape(check.get('reason'))}", ""]
    for step in check.get("chain") or []:
        mark = {True: "ok", False: "FAILED", None: "not checked"}.get(step.get("ok"), "?")
        lines.append(f"- {_md_escape(step.get('name'))}: {mark}: {_md_escape(step.get('detail'))}")
    tcb = check.get("tcb") or []
    if tcb:
        spls = ", ".join(f"{c.get('name')} {c.get('report')}" + ("" if c.get("match") else f" (VCEK {c.get('vcek')})")
                         for c in tcb)
        lines.append(f"- reported TCB {'matches' if check.get('tcb_match') else 'does NOT match'} the VCEK: {spls}")
    chip = check.get("chip_id")
    if isinstance(chip, dict):
        lines.append(f"- chip id: {({True: 'matches', False: 'does NOT match'}).get(chip.get('match'), 'not compared')}")
    if check.get("kds_vcek_url"):
        lines.append(f"- KDS VCEK URL ({'fetched' if check.get('fetched') else 'not fetched'}): `{check['kds_vcek_url']}`")
    return [*lines, ""] if len(lines) > 2 else lines


def reports_dir() -> Path:
    from kata_snp_tui.paths import ensure_private_dir, state_dir

    return ensure_private_dir(state_dir() / "reports")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600 (OSError on failure)."""
    import os

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def write_session_files(doc: dict[str, Any], directory: Path | None = None,
                        when: datetime | None = None) -> tuple[Path, Path]:
    """Save the report as Markdown and JSON side by side (``session-YYYYmmdd-HHMMSS.md``/``.json``)."""
    folder = directory or reports_dir()
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    md = folder / f"session-{stamp}.md"
    js = folder / f"session-{stamp}.json"
    write_private(md, to_markdown(doc))
    write_private(js, to_json_text(doc))
    return md, js
