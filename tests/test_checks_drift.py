"""Drift checks (group Profile): hosts of each era against each profile.

Hosts are snapshots built here: a Kata 3.2-era host (Kata 3.2.0, yq 3.4.1, AMD's 5.19 SNP branch, the
guide's qemu-snp-experimental build, containerd 1.7), a current one (the upstream profile's Kata, yq 4,
an upstream 6.11+ kernel, QEMU 9.2, containerd of the profile's configuration version) and mixed
ones. Drift is a warning that names what breaks and the profile that fits; it never changes ``ready``.
The live machine comes out as skip where nothing is installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA
from hosts_helpers import DMESG_519_HEALTHY, HostBuilder, open_snapshot

from kata_snp_tui.checks import run_checks
from kata_snp_tui.checks.model import CheckReport, Status
from kata_snp_tui.host import HostSource, LiveHost, open_host

profiles = pytest.importorskip("kata_snp_tui.profiles")

DRIFT = ("profile.kata", "profile.tree", "profile.yq", "profile.host-kernel", "profile.qemu", "profile.containerd")
SAMPLES = DATA / "checks"
#: The guide's QEMU build, as `qemu-system-x86_64 --version` prints a build from a git checkout of
#: AMDESE/qemu at the qemu-snp-experimental commit (3b6a2b6b).
FORK_QEMU = "QEMU emulator version 7.2.50 (v7.2.0-2331-g3b6a2b6b74)\nCopyright (c) 2003-2022 Fabrice Bellard\n"
QEMU_92 = "QEMU emulator version 9.2.0 (Debian 1:9.2.0+ds-1)\nCopyright (c) 2003-2024 Fabrice Bellard\n"
YQ_V4 = "yq (https://github.com/mikefarah/yq/) version v4.44.5\n"
CONTAINERD_17 = "containerd github.com/containerd/containerd 1.7.12 71909c1814c544ac47ab91d2e8b84718e517bb99\n"
CONTAINERD_2 = "containerd github.com/containerd/containerd/v2 v2.1.4 75cb2b7193e4e490e9fbdc236c0e811ccaba3376\n"


def guide() -> object:
    return profiles.get_profile("guide-3.2")


def upstream() -> object:
    return profiles.get_profile("upstream")


def kata_out(version: str) -> str:
    return f"kata-runtime  : {version}\n   commit   : 47a3e2a\n   OCI specs: 1.0.2-dev\n"


def qemu_config(path: str) -> str:
    return f'[hypervisor.qemu]\npath = "{path}"\nkernel = "/usr/share/kata-containers/vmlinuz-snp.container"\n'


def containerd_for(profile: object) -> str:
    return CONTAINERD_2 if profile.containerd_config_version == 3 else CONTAINERD_17


def era_32(tmp_path: Path, ws: Path) -> HostBuilder:
    """Kata 3.2.0 + yq 3.4.1 + AMD's 5.19 SNP branch + the guide's snp-experimental QEMU + containerd 1.7."""
    qemu = str(ws / "qemu/build/qemu-system-x86_64")
    return (HostBuilder(tmp_path).kernel("5.19.0-rc6-snp-host-3a885471cf89").kvm_amd(sev="Y", sev_es="Y", sev_snp="Y")
            .dmesg(DMESG_519_HEALTHY).command("kata-runtime", kata_out("3.2.0")).command("yq", "yq version 3.4.1\n")
            .command("containerd", containerd_for(guide())).file(str(ws / "kata-containers/VERSION"), "3.2.0\n")
            .file("/etc/kata-containers/configuration.toml", qemu_config(qemu))
            .command(f"version:{qemu}", FORK_QEMU))


def era_current(tmp_path: Path, ws: Path) -> HostBuilder:
    """The upstream profile's Kata + yq 4 + upstream 6.11 (the builder's default kernel) + QEMU 9.2."""
    version = upstream().kata_version
    return (HostBuilder(tmp_path).command("kata-runtime", kata_out(version)).command("yq", YQ_V4)
            .command("containerd", containerd_for(upstream())).file(str(ws / "kata-containers/VERSION"), version + "\n")
            .file("/etc/kata-containers/configuration.toml", qemu_config("/usr/bin/qemu-system-x86_64"))
            .command("version:/usr/bin/qemu-system-x86_64", QEMU_92))


def check(builder: HostBuilder, ws: Path, profile: str | None) -> CheckReport:
    return run_checks(open_snapshot(builder.build()), workspace=ws, profile=profile)


def drift(report: CheckReport) -> dict[str, Status]:
    return {i: report.by_id(i).status for i in DRIFT}


def text(report: CheckReport, check_id: str) -> str:
    c = report.by_id(check_id)
    return "\n".join([c.summary, *(str(e) for e in c.evidence), c.remedy or ""])


def test_drift_checks_are_reported_beside_readiness(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    report = check(era_current(tmp_path, ws), ws, "guide-3.2")
    for check_id in DRIFT:
        c = report.by_id(check_id)
        assert c.group == "Profile" and not c.affects_readiness
        assert c.status in (Status.PASS, Status.WARN, Status.SKIP), check_id
        assert c.evidence, check_id
        if c.status is not Status.PASS:
            assert c.remedy, check_id
    assert report.ready  # every drift check warns here, and the host is still ready
    assert report.to_json()["host"]["profile"]["id"] == "guide-3.2"


def test_kata_32_era_host_fits_guide_32(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    report = check(era_32(tmp_path, ws), ws, "guide-3.2")
    assert drift(report) == {i: Status.PASS for i in DRIFT}, {i: report.by_id(i).summary for i in DRIFT}
    assert "kata-runtime  : 3.2.0" in text(report, "profile.kata")
    assert "yq version 3.4.1" in text(report, "profile.yq")
    assert "without guest_memfd" in text(report, "profile.host-kernel")
    assert "QEMU emulator version 7.2.50" in text(report, "profile.qemu")
    assert report.by_id("tool.yq").status is Status.PASS
    assert report.ready


def test_current_host_fits_upstream(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    report = check(era_current(tmp_path, ws), ws, "upstream")
    assert drift(report) == {i: Status.PASS for i in DRIFT}, {i: report.by_id(i).summary for i in DRIFT}
    assert "QEMU emulator version 9.2.0" in text(report, "profile.qemu")
    assert "guest_memfd" in text(report, "profile.host-kernel")
    assert report.by_id("tool.yq").status is Status.PASS  # v4 is right for this profile
    assert report.ready


def test_current_host_with_guide_32_says_what_breaks_and_names_upstream(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    report = check(era_current(tmp_path, ws), ws, "guide-3.2")
    got = drift(report)
    for check_id in ("profile.kata", "profile.tree", "profile.yq", "profile.host-kernel", "profile.qemu"):
        assert got[check_id] is Status.WARN, (check_id, report.by_id(check_id).summary)
        assert "--profile upstream" in (report.by_id(check_id).remedy or ""), check_id
    assert "yq read -X" in report.by_id("profile.yq").summary
    assert "empty URL" in report.by_id("profile.yq").summary
    assert "-x snp" in report.by_id("profile.tree").summary
    assert "git -C" in report.by_id("profile.tree").remedy and "checkout 3.2.0" in report.by_id("profile.tree").remedy
    assert "SNP_LAUNCH_UPDATE ret=-22" in report.by_id("profile.host-kernel").summary
    assert report.ready


def test_kata_32_host_with_upstream_says_what_breaks_and_names_guide(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    report = check(era_32(tmp_path, ws), ws, "upstream")
    for check_id in ("profile.kata", "profile.tree", "profile.yq", "profile.host-kernel", "profile.qemu"):
        c = report.by_id(check_id)
        assert c.status is Status.WARN, (check_id, c.summary)
        assert "--profile guide-3.2" in (c.remedy or ""), check_id
    assert "v4 syntax" in report.by_id("profile.yq").summary
    assert "vm-type snp not supported by KVM" in report.by_id("profile.host-kernel").summary
    assert "non-UPM" in report.by_id("profile.qemu").summary
    assert report.ready


def test_mixed_kata_36_with_yq_341(tmp_path: Path) -> None:
    """The issue's example: a newer tree with the guide's yq."""
    ws = tmp_path / "ws"
    b = era_current(tmp_path, ws).command("yq", "yq version 3.4.1\n")
    report = check(b, ws, "upstream")
    c = report.by_id("profile.yq")
    assert c.status is Status.WARN
    assert "yq '.assets...'" in c.summary and "get_from_kata_deps returns nothing" in c.summary
    assert "QEMU clone step fails with an empty URL" in c.summary
    assert "yq version 3.4.1" in text(report, "profile.yq")
    assert "--profile guide-3.2" in c.remedy
    assert drift(report)["profile.kata"] is Status.PASS


def test_mixed_guide_kata_on_an_upstream_kernel_with_upstream_qemu(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    b = (HostBuilder(tmp_path).command("kata-runtime", kata_out("3.2.0")).command("containerd", CONTAINERD_17)
         .file("/etc/kata-containers/configuration.toml", qemu_config("/usr/bin/qemu-system-x86_64"))
         .command("version:/usr/bin/qemu-system-x86_64", QEMU_92))
    report = check(b, ws, "guide-3.2")
    got = drift(report)
    assert got["profile.kata"] is Status.PASS and got["profile.yq"] is Status.PASS
    assert got["profile.host-kernel"] is Status.WARN and got["profile.qemu"] is Status.WARN
    assert "9.2.0" in report.by_id("profile.qemu").summary
    assert "--profile upstream" in report.by_id("profile.qemu").remedy


def test_upstream_profile_with_an_old_distribution_qemu(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    b = era_current(tmp_path, ws).command(
        "version:/usr/bin/qemu-system-x86_64", "QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.4)\n")
    report = check(b, ws, "upstream")
    c = report.by_id("profile.qemu")
    assert c.status is Status.WARN and "qom-type" in c.summary and "8.2.2" in c.summary
    assert upstream().qemu_min_upstream in c.remedy


def test_the_gmem_refusal_line_is_shown_beside_the_qemu(tmp_path: Path) -> None:
    """Real wording (kata-upstream.md section 5, error 13): the kernel refused a non-gmem SNP launch."""
    ws = tmp_path / "ws"
    qemu = str(ws / "qemu/build/qemu-system-x86_64")
    log = (SAMPLES / "host-dmesg-working-snp-turin-segmented-rmp.txt").read_text()
    log += "[  812.114203] kvm_amd: SEV-SNP requires private memory support via guest_memfd.\n"
    b = (HostBuilder(tmp_path).dmesg(log).file("/etc/kata-containers/configuration.toml", qemu_config(qemu))
         .command(f"version:{qemu}", FORK_QEMU))
    report = check(b, ws, "upstream")
    assert report.by_id("profile.qemu").status is Status.WARN
    assert "requires private memory support via guest_memfd" in text(report, "profile.qemu")


def test_containerd_major_against_the_profile(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    for out in (CONTAINERD_17, CONTAINERD_2):
        report = check(era_32(tmp_path, ws).command("containerd", out), ws, "guide-3.2")
        wants = 3 if out is CONTAINERD_2 else 2
        c = report.by_id("profile.containerd")
        expected = Status.PASS if wants == guide().containerd_config_version else Status.WARN
        assert c.status is expected, c.summary
        assert ("2.1.4" if wants == 3 else "1.7.12") in c.summary


def test_unreadable_facts_are_skips_not_verdicts(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    b = (HostBuilder(tmp_path).command("yq", "", returncode=None, error="timed out after 10 s")
         .unreadable_file(str(ws / "kata-containers/VERSION"))
         .file("/etc/kata-containers/configuration.toml", qemu_config("/opt/qemu/bin/qemu-system-x86_64"))
         .missing_command("version:/opt/qemu/bin/qemu-system-x86_64")
         .command("kata-runtime", "segmentation fault\n", returncode=139))
    report = check(b, ws, "guide-3.2")
    for check_id in ("profile.kata", "profile.tree", "profile.yq", "profile.qemu", "profile.containerd"):
        assert report.by_id(check_id).status is Status.SKIP, (check_id, report.by_id(check_id).summary)


def test_default_choice_and_an_explicit_option(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    report = check(era_32(tmp_path, ws), ws, None)
    chosen = report.to_json()["host"]["profile"]
    assert chosen["id"] == "guide-3.2" and chosen["source"] in ("installed", "checkout", "default")
    report = check(era_current(tmp_path, ws), ws, None)
    assert report.to_json()["host"]["profile"]["id"] == "upstream"
    report = check(era_current(tmp_path, ws), ws, "guide-3.2")
    assert report.to_json()["host"]["profile"] == {**report.to_json()["host"]["profile"], "id": "guide-3.2",
                                                   "source": "option"}


def test_demo_host_fits_guide_32(tmp_path: Path) -> None:
    host = open_host(HostSource("demo"))
    report = run_checks(host, workspace=tmp_path / "ws", profile="guide-3.2")
    got = drift(report)
    assert got["profile.yq"] is Status.PASS and got["profile.host-kernel"] is Status.PASS
    assert got["profile.containerd"] is Status.PASS
    # Kata is not built yet on the recorded host: nothing installed to compare, honestly
    assert got["profile.kata"] is Status.SKIP and got["profile.qemu"] is Status.SKIP
    assert not any(s is Status.WARN for s in got.values())


def test_live_machine_is_honest(tmp_path: Path) -> None:
    """This machine is not an SNP host: whatever is not installed is skip, never pass or warn by guess."""
    report = run_checks(LiveHost(), workspace=tmp_path / "ws", profile="guide-3.2")
    for check_id in DRIFT:
        c = report.by_id(check_id)
        assert c.status in (Status.PASS, Status.WARN, Status.SKIP)
        assert c.evidence, check_id
    for key, check_id in (("kata-runtime", "profile.kata"), ("containerd", "profile.containerd"), ("yq", "profile.yq")):
        if not LiveHost().command(key).found:
            assert report.by_id(check_id).status is Status.SKIP, check_id
    assert report.by_id("profile.tree").status is Status.SKIP  # a fresh workspace has no checkout
    if not Path("/etc/kata-containers/configuration.toml").exists() and not \
            Path("/usr/share/defaults/kata-containers/configuration.toml").exists():
        assert report.by_id("profile.qemu").status is Status.SKIP


def test_check_command_takes_profile(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    snap = era_32(tmp_path, ws).build()
    env_ws = {"KATA_SNP_TUI_WORKSPACE": str(ws)}
    import os

    env = {**os.environ, **env_ws}
    out = subprocess.run([sys.executable, "-m", "kata_snp_tui", "check", "--json", "--host", str(snap),
                          "--profile", "upstream"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["host"]["profile"]["id"] == "upstream"
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["profile.yq"]["status"] == "warn"
    bad = subprocess.run([sys.executable, "-m", "kata_snp_tui", "check", "--host", str(snap), "--profile", "nope"],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "unknown profile 'nope'" in bad.stderr and "Traceback" not in bad.stderr
