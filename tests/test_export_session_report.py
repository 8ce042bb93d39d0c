"""The session report: gathered from a Session (TUI) or headless (CLI), as Markdown and JSON, with no secret."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import SHARED
from kata_snp_tui.build_state import BuildPaths, BuildState, StepRecord, StepStatus
from kata_snp_tui.cli import main
from kata_snp_tui.config.record import AppliedConfig
from kata_snp_tui.export import from_session, scrub, to_json_text, to_markdown
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.session import Session
from kata_snp_tui.verify.result import from_dmesg_text, save_last
from kata_snp_tui.verify.run import VerifyOptions, VerifyRun
from screens_helpers import FROZEN, frozen_clock, sample_report

SECRET = "hunter2-very-secret"
SNP_SAMPLE = SHARED / "samples" / "guest-dmesg-snp-active-and-snpguest-report.txt"


def _session() -> Session:
    source = HostSource("demo")
    session = Session(source=source, host=open_host(source), clock=frozen_clock, started_at=FROZEN)
    session.checks = sample_report()
    session.build_states = {  # type: ignore[attr-defined]
        "kernel-build": StepRecord(StepStatus.DONE, 0, "2026-11-26T09:00:00+00:00", 812.5, "/s/logs/kernel-build.log",
                                   "exit status 0"),
        "qemu-build": StepRecord(StepStatus.FAILED, 2, "2026-11-26T09:20:00+00:00", 30.0, "/s/logs/qemu-build.log",
                                 f"exit status 2 (password={SECRET})"),
    }
    session.config_applied = [AppliedConfig(  # type: ignore[attr-defined]
        kind="kata", path="/etc/kata-containers/configuration.toml", backup="/etc/kata-containers/configuration.toml.bak",
        diff='-shared_fs = "virtio-fs"\n+shared_fs = "virtio-9p"\n', changes=("shared-fs",),
        at=datetime(2026, 11, 26, 9, 25, tzinfo=timezone.utc), via_sudo=True)]
    session.extras["sudo_password"] = SECRET
    return session


def test_from_session_every_section() -> None:
    session = _session()
    session.verification = from_dmesg_text(SNP_SAMPLE.read_text())
    doc = from_session(session)
    assert doc["format"] == "kata-snp-tui.session-report"
    assert doc["generated_at"] == FROZEN.isoformat()
    assert doc["host"]["demo"] is True
    assert [c["id"] for c in doc["checks"]["checks"]][:2] == ["cpu.amd", "cpu.sev-snp"]
    assert doc["checks"]["ready"] is False
    assert doc["checks"]["counts"]["pass"] == 2  # a count named "pass" is not a password
    steps = {s["id"]: s for s in doc["build"]["steps"]}
    assert steps["kernel-build"]["status"] == "done" and steps["kernel-build"]["log"] == "/s/logs/kernel-build.log"
    assert steps["qemu-build"]["exit_code"] == 2
    assert doc["config"][0]["path"] == "/etc/kata-containers/configuration.toml"
    assert doc["verification"]["verdict"] == "sev-snp"
    assert [i["id"] for i in doc["known_issues"]] == ["cgroups-v2", "sev-and-snp"]
    md = to_markdown(doc)
    for heading in ("# kata-snp-tui session report", "## Host checks", "## Build", "## Configuration",
                    "## Verification", "## The guide's known issues on this host"):
        assert heading in md
    assert "DEMO DATA" in md
    assert "| fail | SNP memory coverage (RMP) reserved by BIOS (`bios.snp`)" in md
    assert "`/s/logs/qemu-build.log`" in md
    assert '+shared_fs = "virtio-9p"' in md and "backup `/etc/kata-containers/configuration.toml.bak`" in md
    assert "**Verdict: sev-snp**" in md and "- [x] Memory encryption features active" in md
    json.loads(to_json_text(doc))


def test_build_state_object_from_the_build_screen(tmp_path: Path) -> None:
    session = _session()
    state = BuildState.open(BuildPaths(root=tmp_path / "b", logs=tmp_path / "l"), tmp_path / "ws")
    state.set("qemu-build", StepRecord(StepStatus.FAILED, 2, log="/l/qemu-build.log", message="exit status 2"))
    state.set("kata-checkout", StepRecord(StepStatus.DONE, 0, log="/l/kata-checkout.log"))
    session.build_states = state  # type: ignore[attr-defined]
    doc = from_session(session)
    assert doc["build"]["workspace"] == str(tmp_path / "ws")
    ids = [s["id"] for s in doc["build"]["steps"]]
    assert ids == ["kata-checkout", "qemu-build"]  # in the recipe's order
    assert doc["build"]["steps"][0]["title"] != "kata-checkout"  # titles come from the recipe


def test_no_secret_in_either_format() -> None:
    session = _session()
    doc = from_session(session)
    for text in (to_markdown(doc), to_json_text(doc)):
        assert SECRET not in text
        assert "sudo_password" not in text
    assert "password=[redacted]" in to_json_text(doc)


def test_scrub_by_key_and_text() -> None:
    data = {"password": "x", "api_token": "y", "id_key_digest": "00ff", "nested": [{"secret": "z"}], "pass": 3,
            "msg": "https://user:pw@example.com/x and token: abc123", "empty_password": ""}
    out = scrub(data)
    assert out["password"] == "[redacted]" and out["api_token"] == "[redacted]"
    assert out["id_key_digest"] == "00ff"
    assert out["nested"][0]["secret"] == "[redacted]"
    assert "pw@" not in out["msg"] and "abc123" not in out["msg"]
    assert out["empty_password"] == ""
    assert out["pass"] == 3


def test_report_fields_in_the_session_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    session = _session()
    session.verification = VerifyRun(VerifyOptions(demo=True, image="docker.io/library/python:3.12-alpine")).execute()
    doc = from_session(session)
    report = doc["report"]
    assert report["demo"] is True and report["current_firmware"] == "1.55.21"
    md = to_markdown(doc)
    assert "### Attestation report" in md and f"| measurement | `{report['measurement']}` |" in md
    assert "report_data matches the request: yes" in md
    assert "| policy | `raw=0000000000030000, abi_major=0, abi_minor=0, set: smt reserved_must_be_one` |" in md


def test_empty_session_says_not_run() -> None:
    source = HostSource("demo")
    doc = from_session(Session(source=source, host=open_host(source), clock=frozen_clock))
    md = to_markdown(doc)
    assert "## Host checks\n\nNot run." in md
    assert "No build step has run." in md
    assert "No change applied in this session." in md
    assert "## Verification\n\nNot run." in md


# ------------------------------------------------------------------------------- the command


def test_cli_export_headless_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    VerifyRun(VerifyOptions(demo=True)).execute()  # saved as the last verification (demo)
    from kata_snp_tui.build_state import workspace_for

    state = BuildState.open(BuildPaths.default(demo=True), workspace_for(True, None))
    state.set("kata-checkout", StepRecord(StepStatus.DONE, 0, log="/x/logs/kata-checkout.log"))
    out = tmp_path / "report.json"
    assert main(["export", "--demo", "--format", "json", "-o", str(out)]) == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    doc = json.loads(out.read_text())
    assert doc["host"]["demo"] is True
    assert doc["checks"]["checks"] and "ready" in doc["checks"]
    assert doc["verification"]["verdict"] == "sev-snp" and doc["verification"]["demo"] is True
    assert any(s["id"] == "kata-checkout" and s["status"] == "done" for s in doc["build"]["steps"])
    assert main(["export", "--demo"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# kata-snp-tui session report") and "**Verdict: sev-snp**" in md


def test_cli_export_keeps_demo_and_real_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v = from_dmesg_text(SNP_SAMPLE.read_text())
    object.__setattr__(v, "demo", True)
    save_last(v)
    host = Path(tmp_path)  # a snapshot host that is not the demo
    from hosts_helpers import HostBuilder

    snap = HostBuilder(host).build()
    assert main(["export", "--host", str(snap), "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "## Verification\n\nNot run." in md


def test_cli_export_bad_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--demo", "-o", str(tmp_path / "missing" / "r.md")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", "--demo", "-o", str(tmp_path)]) == 2
    assert "directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["export", "--demo", "--format", "xml"])
    assert exc.value.code == 2


def test_export_files_private_from_suffix(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert main(["export", "--demo", "-o", str(out)]) == 0
    json.loads(out.read_text())
    assert os.stat(out).st_mode & 0o077 == 0


def test_corrupt_saved_verification_is_set_aside_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    from kata_snp_tui.verify.result import load_last, results_dir

    path = results_dir() / "last.json"
    path.write_bytes(b'{"format": "kata-snp-tui.verification", "verdict": "sev-\xff')
    problems: list[str] = []
    assert load_last(problems) is None
    assert problems and "moved aside" in problems[0]
    assert (results_dir() / "last.json.corrupt").exists() and not path.exists()
    path.write_text('{"format": "something else"}')
    assert main(["export", "--demo"]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "last.json" in captured.err
    assert "> **Warning:**" in captured.out
