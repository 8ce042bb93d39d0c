"""The verify run against a stand-in ``ctr`` on PATH (a script): real processes through the shared runner."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from conftest import DATA, REPO, SHARED
from kata_snp_tui.cli import main
from kata_snp_tui.sudo import Privilege
from kata_snp_tui.verify.result import NO_DEVICE, NO_TOOL, NOT_ATTEMPTED, OBTAINED, load_last
from kata_snp_tui.verify.run import (
    DEFAULT_IMAGE,
    DEFAULT_RUNTIME,
    RunEvent,
    VerifyOptions,
    VerifyRun,
    demo_recordings,
    make_plan,
)
from verify_helpers import DEMO_REPORT_DATA, install_fake_ctr, pid_alive

SNP_DMESG = (SHARED / "samples" / "guest-dmesg-snp-active-and-snpguest-report.txt").read_text()
SEV_ES_DMESG = "[    0.374549] AMD Memory Encryption Features active: SEV SEV-ES\n"
GUEST = REPO / "assets" / "demo" / "guest"


def _use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)


@pytest.fixture(params=["as-root", "as-user"])
def who(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test as root (ctr directly) and as a user (through the stand-in passwordless sudo)."""
    if request.param == "as-user":
        monkeypatch.setattr(Privilege, "is_root", lambda self: False)
    else:
        monkeypatch.setattr(Privilege, "is_root", lambda self: True)
    return str(request.param)


def test_plan_is_the_guides_commands_without_a_terminal() -> None:
    plan = make_plan(VerifyOptions(report_data=bytes(64)))
    assert plan.pull is not None
    assert plan.pull.argv == ("ctr", "image", "pull", DEFAULT_IMAGE)
    argv = plan.run.argv
    assert argv[:6] == ("ctr", "run", "--cni", "--runtime", DEFAULT_RUNTIME, "--rm")
    assert "-t" not in argv and "--tty" not in argv
    assert argv[6:10] == (DEFAULT_IMAGE, "kata-snp-tui-verify", "sh", "-c")
    assert "mknod -m 600 /dev/sev-guest c" in argv[10]
    assert plan.pull.sudo and plan.run.sudo
    assert plan.guide_commands[0] == f"sudo ctr image pull {DEFAULT_IMAGE}"


@pytest.mark.parametrize(
    ("field", "value"),
    [("image", "-rf"), ("image", "busybox latest"), ("name", "a b"), ("name", "../x"), ("runtime", "x;y"),
     ("timeout", 0.0)],
)
def test_bad_options_refused(field: str, value: object) -> None:
    from dataclasses import replace

    from kata_snp_tui.errors import UserError

    with pytest.raises(UserError):
        make_plan(replace(VerifyOptions(), **{field: value}))


def test_snp_guest_run_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, who: str) -> None:
    fake = install_fake_ctr(tmp_path, "exec", dmesg_text=SNP_DMESG)
    _use(monkeypatch, fake.env)
    sudo_log = tmp_path / "sudo.log"
    monkeypatch.setenv("FAKE_SUDO_LOG", str(sudo_log))
    chunks: list[str] = []
    events: list[RunEvent] = []
    run = VerifyRun(VerifyOptions(image="docker.io/library/busybox:1.36", name="t1", runtime="io.x.v2"),
                    on_output=chunks.append, on_event=events.append)
    v = run.execute()
    assert v.verdict == "sev-snp" and v.exit_code == 0
    assert not v.run_failed
    # the stand-in ran the real guest script: no /dev/sev-guest on this machine
    assert v.attestation.status == NO_DEVICE
    calls = fake.call_list()
    assert calls[0] == ["image", "pull", "docker.io/library/busybox:1.36"]
    assert calls[1][:7] == ["run", "--cni", "--runtime", "io.x.v2", "--rm", "docker.io/library/busybox:1.36", "t1"]
    assert [e.kind for e in events] == ["start", "end", "start", "end"]
    # streamed in chunks, never line by line, and kept whole in a log file per step
    text = "".join(chunks)
    assert "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP" in text
    assert len(chunks) < text.count("\n")
    assert [s.status for s in v.steps] == ["done", "done"]
    for step in v.steps:
        assert step.log_path and Path(step.log_path).is_file()
    assert "SEV: Using SNP CPUID table" in Path(v.steps[1].log_path).read_text()
    assert Path(v.steps[0].log_path).parent.parent.name == "verify"
    saved = load_last()
    assert saved is not None and saved["verdict"] == "sev-snp" and saved["name"] == "t1"
    sudo_lines = sudo_log.read_bytes().decode(errors="replace") if sudo_log.exists() else ""
    if who == "as-user":
        assert f"sudo {fake.bin_dir}/ctr image pull docker.io/library/busybox:1.36" in sudo_lines
    else:
        assert sudo_lines == ""


def test_sev_es_guest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "exec", dmesg_text=SEV_ES_DMESG)
    _use(monkeypatch, fake.env)
    v = VerifyRun(VerifyOptions(attest=False)).execute()
    assert v.verdict == "sev-es" and v.exit_code == 1
    assert v.attestation.status == NOT_ATTEMPTED
    assert "python3" not in fake.call_list()[1][-1]  # no attestation part in the script


def test_report_obtained_from_the_guest_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "canned", output=GUEST / "ctr-run-python.txt")
    _use(monkeypatch, fake.env)
    v = VerifyRun(VerifyOptions(image="docker.io/library/python:3.12-alpine",
                                report_data=DEMO_REPORT_DATA)).execute()
    assert v.verdict == "sev-snp"
    assert v.attestation.status == OBTAINED and v.attestation.method == "python3"
    assert v.report is not None and v.report.is_demo
    assert v.attestation.report_data_matches is True
    data = v.to_json()
    assert data["report"]["current_firmware"] == "1.55.21"
    # asked for other data than the recording carries: the mismatch is reported, not hidden
    other = VerifyRun(VerifyOptions(image="docker.io/library/python:3.12-alpine", report_data=bytes(64))).execute()
    assert other.attestation.report_data_matches is False
    assert "does NOT match" in other.attestation.message


def test_busybox_has_no_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "canned", output=GUEST / "ctr-run-busybox.txt")
    _use(monkeypatch, fake.env)
    v = VerifyRun(VerifyOptions()).execute()
    assert v.verdict == "sev-snp"
    assert v.attestation.status == NO_TOOL
    assert "neither snpguest nor python3" in v.attestation.message


def test_failed_run_has_a_known_error_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, who: str) -> None:
    fake = install_fake_ctr(tmp_path, "fail")
    _use(monkeypatch, fake.env)
    v = VerifyRun(VerifyOptions()).execute()
    assert v.verdict == "none" and v.exit_code == 1
    assert v.run_failed and "the container run failed (exit status 1)" in (v.failure or "")
    assert [s.status for s in v.steps] == ["done", "failed"]
    ids = [h["id"] for h in v.extra["hints"]]
    assert "sev-kvm-init-failed" in ids
    hint = next(h for h in v.extra["hints"] if h["id"] == "sev-kvm-init-failed")
    assert "sev_kvm_init" in hint["line"]
    assert v.to_json()["hints"][0]["id"] in ids


def test_failed_pull_stops_before_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "pull-fail")
    _use(monkeypatch, fake.env)
    v = VerifyRun(VerifyOptions()).execute()
    assert [c[0] for c in fake.call_list()] == ["image"]
    assert v.run_failed and "pull" in (v.failure or "")
    assert [s.status for s in v.steps] == ["failed", "not run"]
    assert v.attestation.status == NOT_ATTEMPTED
    assert [h["id"] for h in v.extra["hints"]] == ["ctr-pull-unreachable"]


def test_missing_ctr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    v = VerifyRun(VerifyOptions()).execute()
    assert v.run_failed and "command not found: ctr" in (v.failure or "")


def _assert_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 5
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids and not any(pid_alive(p) for p in pids), "a process of the run was left behind"


def test_hang_times_out_and_leaves_no_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, who: str) -> None:
    fake = install_fake_ctr(tmp_path, "hang")
    _use(monkeypatch, fake.env)
    run = VerifyRun(VerifyOptions(timeout=1.5), cleanup_timeout=10)
    run.runner.grace = 1.0
    v = run.execute()
    assert v.run_failed and "timed out after 1.5 s" in (v.failure or "")
    assert [s.status for s in v.steps][:2] == ["done", "timed out"]
    _assert_gone(fake.recorded_pids())
    # what ctr run --rm would have removed is removed
    assert ["task", "rm", "-f", "kata-snp-tui-verify"] in fake.call_list()
    assert ["container", "rm", "kata-snp-tui-verify"] in fake.call_list()
    assert v.steps[2].id == "verify.cleanup" and v.steps[2].status == "done"


def test_cancel_from_another_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "hang")
    _use(monkeypatch, fake.env)
    started = threading.Event()

    def on_output(chunk: str) -> None:
        if "starting the VM" in chunk:
            started.set()

    run = VerifyRun(VerifyOptions(timeout=60), on_output=on_output)
    run.runner.grace = 1.0
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(run.execute()))
    t.start()
    assert started.wait(20)
    run.cancel()
    t.join(30)
    assert not t.is_alive()
    v = result[0]
    assert v.run_failed and v.failure == "the container run was cancelled"  # type: ignore[attr-defined]
    _assert_gone(fake.recorded_pids())


def test_sudo_password_goes_to_stdin_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = install_fake_ctr(tmp_path, "exec", dmesg_text=SNP_DMESG, sudo_password=True)
    _use(monkeypatch, fake.env)
    sudo_log = tmp_path / "sudo.log"
    monkeypatch.setenv("FAKE_SUDO_LOG", str(sudo_log))
    monkeypatch.setenv("FAKE_SUDO_PASSWORD", "hunter2-secret")
    privilege = Privilege(euid=lambda: 1000, search_path=str(fake.bin_dir))
    run = VerifyRun(VerifyOptions(), privilege=privilege)
    assert run.needs_password()
    v = run.execute(password="hunter2-secret")
    assert v.verdict == "sev-snp"
    log = sudo_log.read_bytes().decode(errors="replace")
    assert "sudo-with-password ctr image pull" in log.replace(str(fake.bin_dir) + "/", "")
    for step in v.steps:
        assert "hunter2" not in Path(step.log_path).read_text()  # type: ignore[arg-type]
    assert "hunter2" not in json.dumps(v.to_json())
    assert "hunter2" not in json.dumps(load_last())
    # without a password nothing starts
    v2 = VerifyRun(VerifyOptions(), privilege=Privilege(euid=lambda: 1000, search_path=str(fake.bin_dir))).execute()
    assert v2.run_failed and "password" in (v2.failure or "")


# ----------------------------------------------------------------------------------- the demo


def test_demo_recordings_are_consistent() -> None:
    recs = demo_recordings()
    assert set(recs) == {"docker.io/library/busybox:latest", "docker.io/library/python:3.12-alpine"}
    for rec in recs.values():
        assert rec.pull.is_file() and rec.run.is_file()
    assert recs["docker.io/library/python:3.12-alpine"].report_data == DEMO_REPORT_DATA


def test_demo_report_asset_is_the_documented_demo_report() -> None:
    from kata_snp_tui.verify.report import decode_any
    from verify_helpers import demo_report

    raw = (GUEST / "report.bin").read_bytes()
    assert raw == demo_report()
    r = decode_any(raw).report
    assert r.is_demo and r.report_data.startswith(b"KATA-SNP-TUI DEMO DATA")
    assert str(r.current_firmware) == "1.55.21" and r.policy.raw == 0x30000
    assert r.reported_tcb.raw == 0x4815000000000007 and r.reported_tcb.snp == 21


def test_demo_plan_replays_with_the_real_machinery() -> None:
    plan = make_plan(VerifyOptions(demo=True))
    assert plan.run.argv[1:3] == ("-m", "kata_snp_tui.replay")
    assert not plan.run.sudo
    assert plan.run.stands_for[0].startswith("sudo ctr run --cni --runtime io.containerd.run.kata.v2 --rm")
    from kata_snp_tui.errors import UserError

    with pytest.raises(UserError, match="recorded runs only"):
        make_plan(VerifyOptions(demo=True, image="docker.io/library/alpine:latest"))


def test_demo_replays_through_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "30")
    chunks: list[str] = []
    busybox = VerifyRun(VerifyOptions(demo=True), on_output=chunks.append).execute()
    assert busybox.verdict == "sev-snp" and busybox.demo and busybox.source == "demo"
    assert busybox.attestation.status == NO_TOOL
    assert "[demo] replaying a recorded log" in "".join(chunks)
    assert all(Path(s.log_path).is_file() for s in busybox.steps)  # type: ignore[arg-type]
    assert "/demo/verify/logs/" in busybox.steps[0].log_path  # type: ignore[operator]
    python = VerifyRun(VerifyOptions(demo=True, image="docker.io/library/python:3.12-alpine")).execute()
    assert python.attestation.status == OBTAINED and python.report is not None and python.report.is_demo
    assert python.attestation.report_data_matches is True


def test_demo_fault_injection_shows_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "30")
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_FAIL", "verify.run")
    v = VerifyRun(VerifyOptions(demo=True)).execute()
    assert v.run_failed and v.verdict == "none"
    assert [h["id"] for h in v.extra["hints"]][:1] == ["snp-launch-update-pflash"]


# ----------------------------------------------------------------------------------- the CLI


def test_cli_verify_dmesg_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = SHARED / "samples" / "guest-dmesg-snp-active-and-snpguest-report.txt"
    assert main(["verify", "--dmesg-file", str(sample), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "sev-snp"
    assert {s["id"] for s in out["signals"] if s["found"]} >= {"memory-encryption", "sev-guest-driver"}
    assert "report" not in out
    es = SHARED / "samples" / "guest-dmesg-sev-and-sev-es-only-variants.txt"
    assert main(["verify", "--dmesg-file", str(es)]) == 1
    text = capsys.readouterr().out
    assert "verdict: sev-es" in text and "[missing]" in text
    assert main(["verify", "--dmesg-file", str(DATA / "verify" / "guest-dmesg-decoys.txt")]) == 1


def test_cli_verify_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--dmesg-file", str(tmp_path / "none.txt")]) == 2
    assert "not found" in capsys.readouterr().err
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\x00\x01" * 100)
    assert main(["verify", "--dmesg-file", str(binary)]) == 2
    assert main(["verify", "--name", "bad name"]) == 2
    err = capsys.readouterr().err
    assert "container name" in err and "Traceback" not in err
    assert main(["verify", "--report-data", "zz"]) == 2


def test_cli_verify_run_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    fake = install_fake_ctr(tmp_path, "canned", output=GUEST / "ctr-run-python.txt")
    _use(monkeypatch, fake.env)
    code = main(["verify", "--json", "--image", "docker.io/library/python:3.12-alpine",
                 "--report-data", DEMO_REPORT_DATA.hex()])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["verdict"] == "sev-snp" and out["attestation"]["status"] == "obtained"
    assert out["report"]["measurement"] and out["attestation"]["report_data_matches"] is True


def test_cli_verify_run_failure_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    fake = install_fake_ctr(tmp_path, "fail")
    _use(monkeypatch, fake.env)
    assert main(["verify"]) == 1
    captured = capsys.readouterr()
    assert "result: run failed (the guest's dmesg was not read to its end, so there is no verdict)" in captured.out
    assert "verdict:" not in captured.out
    assert "known error:" in captured.out and "fix:" in captured.out
    assert "sev_kvm_init" in captured.err  # the run's output is echoed as it comes
