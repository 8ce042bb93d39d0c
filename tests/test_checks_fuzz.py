"""Whatever the host files and command outputs hold, the checks answer and never raise."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hosts_helpers import DMESG_611_HEALTHY, HostBuilder, open_snapshot

from kata_snp_tui.checks import DESIGN_IDS, run_checks
from kata_snp_tui.checks.render import report_text
from kata_snp_tui.checks.runner import INTERNAL_ERROR

junk = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200),
    st.sampled_from(["Y", "N", "1", "0", " Y\n", "", "\x00", "yes", "-1", "Y\nN"]),
)
log_lines = st.lists(st.one_of(
    st.sampled_from(DMESG_611_HEALTHY.splitlines()),
    st.sampled_from([
        "ccp 0000:01:00.5: SEV API:99999999999999999999.1 build:7",
        "SEV-SNP API:1. build:",
        "kvm_amd: SEV-SNP enabled (ASIDs 9 - )",
        "kvm_amd: SEV enabled (ASIDs 17 - 16)",
        "SEV-SNP: failed to INIT rc -5, error 0xzz",
        "SEV-SNP: failed to INIT rc -5, error 0x3",
        "AMD-Vi: SNP: IOMMU is configured with V2 page table mode, SNP cannot be supported.",
        "Linux version 6.11.0",
    ]),
    st.text(max_size=120),
), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sev=junk, sev_es=junk, sev_snp=junk, cpuinfo=junk, release=junk, mounts=junk, cmdline=st.text(max_size=200),
       log=log_lines, log_tail=st.binary(max_size=200), dmesg_rc=st.sampled_from([0, 1, 255]),
       yq=junk, docker_info=junk, kata=junk)
def test_checks_never_raise(sev, sev_es, sev_snp, cpuinfo, release, mounts, cmdline, log, log_tail, dmesg_rc,
                            yq, docker_info, kata) -> None:  # type: ignore[no-untyped-def]
    def raw(v: str | bytes) -> bytes:
        return v.encode("utf-8", "surrogatepass") if isinstance(v, str) else v

    with tempfile.TemporaryDirectory() as tmp:
        b = HostBuilder(Path(tmp))
        b.kvm_amd(sev=raw(sev), sev_es=raw(sev_es), sev_snp=raw(sev_snp))
        b.cpuinfo(raw(cpuinfo)).file("/proc/sys/kernel/osrelease", raw(release)).file("/proc/mounts", raw(mounts))
        b.file("/proc/cmdline", raw(cmdline))
        b.dmesg("\n".join(log).encode("utf-8", "surrogatepass") + log_tail, returncode=dmesg_rc)
        b.command("yq", raw(yq)).command("docker-info", raw(docker_info)).command("kata-runtime", raw(kata))
        report = run_checks(open_snapshot(b.build()), workspace=Path(tmp) / "ws")
    for c in report.checks:
        assert not c.summary.startswith(INTERNAL_ERROR), (c.id, c.summary)
    assert {c.id for c in report.checks} >= set(DESIGN_IDS)
    json.dumps(report.to_json())
    report_text(report)
