"""The expected launch measurement: published vectors, Kata's command line, the CLI and the Verify panel.

Vectors: virtee/sev-snp-measure tests/test_guest.py at 4a02bf0434624f720697931cbebcb11b107a847c, over
that project's two 4 KiB OVMF fixtures (tests/data/measurement/SOURCES.md says where each byte comes
from). Each vector below names the upstream test it is taken from.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.content import Content

from conftest import REPO
from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.screens.verify import VerifyScreen
from kata_snp_tui.screens.verify_report_panel import ReportPanel
from kata_snp_tui.screens.verify_rows import Row
from kata_snp_tui.verify import measurement as m
from kata_snp_tui.verify.measurement import (
    KataSettings,
    MeasurementError,
    Overrides,
    compare_inputs,
    compare_with_config,
    kata_cmdline,
    resolve_inputs,
    settings_from_toml,
)
from kata_snp_tui.verify.report import decode_report
from kata_snp_tui.verify.result import OBTAINED, Attestation
from screens_helpers import frozen_clock
from verify_helpers import ReportFields, build_report

DATA = Path(__file__).parent / "data" / "measurement"
FIXTURE_SHA256 = {
    "ovmf_AmdSev_suffix": "8f765dfabc127fc0a938a0744a3103ec15864d7d794eb4c398aa976b6d6ab16c",
    "ovmf_OvmfX64_suffix": "b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da",
}
#: The guide's Kata 3.2 setup (OVMF.fd, no kernel hashes), 1 vCPU EPYC-v4, features 0x1:
#: upstream test_snp_with_ovmfx64_without_kernel_feature_snp_only.
X64_1VCPU = ("da0296de8193586a5512078dcd719eccecbd87e2b825ad41"
             "48c44f665dc87df21e5b49e21523a9ad993afdb6a30b4005")


def fixture(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    data = bytes.fromhex("".join((DATA / f"{name}.hex").read_text().split()))
    assert len(data) == 4096 and hashlib.sha256(data).hexdigest() == FIXTURE_SHA256[name]
    path = tmp_path / (as_name or f"{name}.bin")
    path.write_bytes(data)
    return path


# (upstream test, fixture, vcpus, with an (empty) kernel and initrd, append, guest features, digest)
VECTORS = [
    ("test_snp_default", "ovmf_AmdSev_suffix", 1, True, "console=ttyS0 loglevel=7", 0x21,
     "803f691094946e42068aaa3a8f9e26a5c89f36f7b73ecfb28c653360fe4b3aba7e534442e7e1e17895dfe778d0228977"),
    ("test_snp_guest_feature_snp_only", "ovmf_AmdSev_suffix", 1, True, "console=ttyS0 loglevel=7", 0x1,
     "6d287813eb5222d770f75005c664e34c204f385ce832cc2ce7d0d6f354454362f390ef83a92046c042e706363b4b08fa"),
    ("test_snp_without_kernel_default", "ovmf_AmdSev_suffix", 1, False, None, 0x21,
     "e1e1ca029dd7973ab9513295be68198472dcd4fc834bd9af9b63f6e8a1674dbf281a9278a4a2ebe0eed9f22adbcd0e2b"),
    ("test_snp_without_kernel_feature_snp_only", "ovmf_AmdSev_suffix", 1, False, None, 0x1,
     "19358ba9a7615534a9a1e2f0dfc29384dcd4dcb7062ff9c6013b26869a5fc6ecabe033c48dd6f6db5d6d76e7c5df632d"),
    ("test_snp_with_multiple_vcpus_default", "ovmf_AmdSev_suffix", 4, True, "", 0x21,
     "4953b1fb416fa874980e8442b3706d345926d5f38879134e00813c5d7abcbe78eafe7b422907be0b4698e2414a631942"),
    ("test_snp_with_multiple_vcpus_feature_snp_only", "ovmf_AmdSev_suffix", 4, True, "", 0x1,
     "5061fffb019493a903613d56d54b94912a1a2f9e4502385f5c194616753720a92441310ba6c4933de877c36e23046ad5"),
    ("test_snp_with_ovmfx64_without_default", "ovmf_OvmfX64_suffix", 1, False, None, 0x21,
     "28797ae0afaba4005a81e629acebfb59e6687949d6be44007cd5506823b0dd66f146aaae26ff291eed7b493d8a64c385"),
    ("test_snp_with_ovmfx64_without_kernel_feature_snp_only", "ovmf_OvmfX64_suffix", 1, False, None, 0x1,
     X64_1VCPU),
]


@pytest.mark.parametrize("upstream,fw,vcpus,with_kernel,append,features,digest", VECTORS, ids=[v[0] for v in VECTORS])
def test_published_vectors(tmp_path: Path, upstream: str, fw: str, vcpus: int, with_kernel: bool,
                           append: str | None, features: int, digest: str) -> None:
    ovmf = fixture(tmp_path, fw)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")  # upstream passes /dev/null: zero bytes
    o = Overrides(ovmf=str(ovmf), vcpus=vcpus, guest_features=features, kernel_hashes=with_kernel,
                  kernel=str(empty) if with_kernel else None, initrd=str(empty) if with_kernel else None,
                  append=append)
    result = compare_inputs(bytes.fromhex(digest), resolve_inputs(None, o))
    assert (result.status, result.expected) == ("match", digest), result.reason
    assert result.artifacts[0].sha256 == FIXTURE_SHA256[fw]


def test_published_ovmf_hash(tmp_path: Path) -> None:
    """upstream test_snp_ovmf_hash_full_default: the OVMF pages alone."""
    from sevsnpmeasure import guest

    assert guest.calc_snp_ovmf_hash(str(fixture(tmp_path, "ovmf_AmdSev_suffix"))).hex() == (
        "086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a50da6d466b74")


def test_plain_ovmf_with_kernel_hashes_is_unknown_with_why(tmp_path: Path) -> None:
    """upstream test_snp_with_ovmfx64_and_kernel_should_fail: no verdict, the reason instead."""
    ovmf = fixture(tmp_path, "ovmf_OvmfX64_suffix")
    empty = tmp_path / "k"
    empty.write_bytes(b"")
    result = compare_inputs(bytes(48), resolve_inputs(None, Overrides(ovmf=str(ovmf), kernel_hashes=True,
                                                                      kernel=str(empty), append="")))
    assert result.status == "unknown" and result.expected is None
    assert "SNP_KERNEL_HASHES" in str(result.reason) and "--kernel-hashes off" in str(result.reason)


def test_each_measured_input_reaches_the_digest(tmp_path: Path) -> None:
    ovmf = fixture(tmp_path, "ovmf_AmdSev_suffix", "AMDSEV.fd")
    kernel, initrd = tmp_path / "vmlinuz", tmp_path / "initrd"
    kernel.write_bytes(b"kernel bytes")
    initrd.write_bytes(b"initrd bytes")
    base = Overrides(ovmf=str(ovmf), kernel=str(kernel), initrd=str(initrd), append="quiet")

    def digest(o: Overrides) -> str | None:
        return compare_inputs(bytes(48), resolve_inputs(None, o)).expected

    first = digest(base)
    assert first is not None
    assert digest(Overrides(**{**base.__dict__, "append": "quiet panic=1"})) != first
    assert digest(Overrides(**{**base.__dict__, "vcpus": 2})) != first
    assert digest(Overrides(**{**base.__dict__, "vcpu_type": "EPYC-Milan"})) != first
    initrd.write_bytes(b"other initrd")
    assert digest(base) != first
    # AMDSEV.fd turns kernel hashes on by itself; forcing them off leaves the files out.
    assert resolve_inputs(None, base).kernel_hashes is True
    off = compare_inputs(bytes(48), resolve_inputs(None, Overrides(**{**base.__dict__, "kernel_hashes": False})))
    assert [a.role for a in off.artifacts] == ["OVMF"]


# ----------------------------------------------------------------------------- Kata's command line

GUIDE_CMDLINE = ("tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 "
                 "i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 "
                 "pci=lastbus=0 console=hvc0 console=hvc1 quiet panic=1 nr_cpus=1 selinux=0 scsi_mod.scan=none")


def test_cmdline_of_the_demo_configuration() -> None:
    """Kata 3.2.0's generated configuration-qemu.toml (the demo's): initrd boot, not debug, virtio-scsi."""
    s = settings_from_toml((REPO / "assets" / "demo" / "config" / "configuration.toml").read_text())
    assert (s.default_vcpus, s.kernel_params, s.block_device_driver, s.disable_guest_selinux) == (1, "", "virtio-scsi", True)
    assert kata_cmdline(s, 1, m.cmdline_rules("3.2")) == GUIDE_CMDLINE


def test_cmdline_options_in_kata_order() -> None:
    s = KataSettings(kernel_params="agent.log=info  vsyscall=emulate", debug=True, legacy_serial=True, iommu=True,
                     disable_guest_selinux=False, block_device_driver="virtio-blk", agent_debug=True,
                     agent_trace=True, agent_debug_console=True)
    got = kata_cmdline(s, 2, m.cmdline_rules("3.32")).split()
    assert got[12:] == ["intel_iommu=on", "iommu=pt", "console=ttyS0", "debug", "panic=1", "selinux=1",
                        "agent.log=debug", "agent.trace=true", "agent.debug_console",
                        "agent.debug_console_vport=1026", "agent.log=info", "vsyscall=emulate"]
    assert "nr_cpus=2" in kata_cmdline(s, 2, m.cmdline_rules("3.2"))


def test_inputs_from_a_configuration(tmp_path: Path) -> None:
    ovmf = fixture(tmp_path, "ovmf_AmdSev_suffix", "AMDSEV.fd")
    text = (f'[hypervisor.qemu]\nfirmware = "{ovmf}"\nkernel = "/k"\ninitrd = "/i"\n'
            'kernel_params = "x=1"\ndefault_vcpus = 1.5\n')
    i = resolve_inputs(settings_from_toml(text), Overrides())
    assert (i.vcpus, i.kernel_hashes, i.kernel, i.initrd) == (2, True, "/k", "/i")
    assert i.append is not None and i.append.endswith("nr_cpus=2 selinux=0 scsi_mod.scan=none x=1")
    assert "rebuilt" in i.origins["append"] and i.notes
    image = settings_from_toml(f'[hypervisor.qemu]\nfirmware = "{ovmf}"\nkernel = "/k"\nimage = "/img"\n')
    with pytest.raises(MeasurementError, match="--append"):
        resolve_inputs(image, Overrides())
    assert resolve_inputs(image, Overrides(append="root=/dev/vda1")).append == "root=/dev/vda1"
    with pytest.raises(MeasurementError, match="no firmware"):
        resolve_inputs(settings_from_toml('[hypervisor.qemu]\nfirmware = ""\n'), Overrides())
    with pytest.raises(MeasurementError, match="--vcpus"):
        resolve_inputs(settings_from_toml(f'[hypervisor.qemu]\nfirmware = "{ovmf}"\ndefault_vcpus = -1\n'))


def test_configuration_not_found_or_unreadable_is_unknown(tmp_path: Path) -> None:
    result = compare_with_config(bytes(48), env={}, root=tmp_path)
    assert result.status == "unknown" and "no Kata configuration found" in str(result.reason)
    bad = tmp_path / "configuration.toml"
    bad.write_text("[hypervisor.qemu\n")
    assert "not valid TOML" in str(compare_with_config(bytes(48), config=bad).reason)


def test_demo_is_unknown_never_a_verdict() -> None:
    report = decode_report((REPO / "assets" / "demo" / "guest" / "report.bin").read_bytes())
    result = m.for_report(report, demo=True)
    assert result is not None and result.status == "unknown" and result.expected is None
    assert "demo host has no OVMF image to measure" in str(result.reason)
    assert result.reported == report.measurement.hex()


# ----------------------------------------------------------------------------- the command line


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kata_snp_tui", "report", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def _report(tmp_path: Path, measurement: str | bytes) -> Path:
    value = bytes.fromhex(measurement) if isinstance(measurement, str) else measurement
    path = tmp_path / "report.bin"
    path.write_bytes(build_report(ReportFields(measurement=value)))
    return path


def test_cli_match_from_the_configuration(tmp_path: Path) -> None:
    ovmf = fixture(tmp_path, "ovmf_OvmfX64_suffix", "OVMF.fd")
    config = tmp_path / "configuration.toml"
    config.write_text(f'[hypervisor.qemu]\nfirmware = "{ovmf}"\ndefault_vcpus = 1\n')
    done = _cli(_report(tmp_path, X64_1VCPU), "--measure", "--config", config)
    assert done.returncode == 0, done.stderr
    assert "Launch measurement: MATCH" in done.stdout and f"expected  {X64_1VCPU}" in done.stdout
    assert f"OVMF {ovmf} (sha256 {FIXTURE_SHA256['ovmf_OvmfX64_suffix']})" in done.stdout
    assert "kernel hashes off (firmware is OVMF.fd" in done.stdout


def test_cli_mismatch_shows_both_values_and_json(tmp_path: Path) -> None:
    ovmf = fixture(tmp_path, "ovmf_OvmfX64_suffix")
    other = "ab" * 48
    report = _report(tmp_path, other)
    done = _cli(report, "--measure", "--ovmf", ovmf, "--vcpus", "1")
    assert done.returncode == 1, done.stderr
    assert "MISMATCH" in done.stdout and f"reported  {other}" in done.stdout and f"expected  {X64_1VCPU}" in done.stdout
    done = _cli(report, "--json", "--measure", "--ovmf", ovmf, "--guest-features", "0x21")
    assert done.returncode == 1
    out = json.loads(done.stdout)
    mc = out["measurement_comparison"]
    assert (mc["status"], mc["reported"], out["measurement"]) == ("mismatch", other, other)
    assert mc["expected"] == VECTORS[6][6]  # upstream test_snp_with_ovmfx64_without_default (0x21)
    assert mc["inputs"]["guest_features"] == "0x21" and mc["inputs"]["vcpu_type"] == "EPYC-v4"


def test_cli_missing_ovmf_is_unknown_with_why(tmp_path: Path) -> None:
    report = _report(tmp_path, X64_1VCPU)
    missing = tmp_path / "nowhere" / "OVMF.fd"
    done = _cli(report, "--json", "--measure", "--ovmf", missing)
    assert done.returncode == 3, done.stderr
    mc = json.loads(done.stdout)["measurement_comparison"]
    assert (mc["status"], mc["expected"], mc["reason"]) == ("unknown", None, f"OVMF not found at {missing}")
    done = _cli(report, "--measure", "--ovmf", missing)
    assert done.returncode == 3 and f"UNKNOWN: OVMF not found at {missing}" in done.stdout


def test_cli_expected_measurement_and_bad_arguments(tmp_path: Path) -> None:
    report = _report(tmp_path, X64_1VCPU)
    assert _cli(report, "--expected-measurement", X64_1VCPU.upper()).returncode == 0
    spaced = " ".join(X64_1VCPU[i:i + 2] for i in range(0, 96, 2))
    assert _cli(report, "--expected-measurement", "0x" + X64_1VCPU).returncode == 0
    assert _cli(report, "--expected-measurement", spaced).returncode == 0
    done = _cli(report, "--expected-measurement", "00" * 48)
    assert done.returncode == 1 and f"reported  {X64_1VCPU}" in done.stdout and f"expected  {'00' * 48}" in done.stdout
    for bad in (("--expected-measurement", "abcd"), ("--expected-measurement", "zz" * 48),
                ("--vcpus", "2"), ("--measure", "--config", tmp_path / "none.toml"),
                ("--measure", "--vcpus", "0", "--ovmf", "x"), ("--measure", "--kernel-hashes", "maybe"),
                ("--measure", "--expected-measurement", X64_1VCPU)):
        done = _cli(report, *bad)
        assert done.returncode == 2, (bad, done.stdout)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2, done.stderr
    assert _cli(report).returncode == 0  # no comparison asked: decoding only, as before


# ----------------------------------------------------------------------------- the Verify screen


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ReportPanel(id="verify-report")


def _plain(rows: list[Row]) -> str:
    """The rows as the user reads them (markup rendered to plain text)."""
    return "\n".join(Content.from_markup(part).plain for r in rows for part in (r.data.title, *r.data.details))


def _panel_text(app: App[None]) -> str:
    return _plain(list(app.query("#verify-report Row").results(Row)))


async def test_panel_line_shows_match_mismatch_and_both_values(tmp_path: Path) -> None:
    ovmf = fixture(tmp_path, "ovmf_OvmfX64_suffix")
    report = decode_report(build_report(ReportFields(measurement=bytes(48))))
    att = Attestation(OBTAINED, "python3", "Attestation report obtained with python3.", None, report)
    mismatch = compare_inputs(report.measurement, resolve_inputs(None, Overrides(ovmf=str(ovmf))))
    assert mismatch.status == "mismatch"
    app = PanelApp()
    async with app.run_test(size=(100, 60)) as pilot:
        panel = app.query_one(ReportPanel)
        panel.show(att, None, mismatch)
        await pilot.pause()
        text = _panel_text(app)
        assert "launch measurement does NOT match the expected one" in text
        assert f"reported {'00' * 48}" in text and f"expected {X64_1VCPU}" in text
        assert "kernel hashes off" in text
        await pilot.resize_terminal(60, 40)
        panel.show(att, None, compare_inputs(bytes.fromhex(X64_1VCPU), mismatch.inputs))
        await pilot.pause()
        assert "launch measurement matches the expected one" in _panel_text(app)
        panel.show(att, None, None)
        await pilot.pause()
        assert "launch measurement" not in _panel_text(app)


async def test_demo_verify_screen_says_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_DEMO_SPEED", "40")
    app = make_app(HostSource("demo"), host=open_host(HostSource("demo")), clock=frozen_clock, run_checks_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6", "r")  # one burst: open the Verify stage and start the recorded run
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("i")  # again with the python image: the recorded report
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, VerifyScreen) and screen.verification is not None
        v = screen.verification
        assert v.report is not None and v.measurement is not None and v.measurement.status == "unknown"
        text = _plain(list(screen.query("#verify-report Row").results(Row)))
        assert "launch measurement: unknown: the demo host has no OVMF image to measure" in text
        assert v.to_json()["measurement_comparison"]["status"] == "unknown"


def test_kernel_hashes_from_a_profile_then_the_firmware_name(tmp_path: Path) -> None:
    ovmf = fixture(tmp_path, "ovmf_AmdSev_suffix", "AMDSEV.fd")
    kernel = tmp_path / "vmlinuz"
    kernel.write_bytes(b"k")

    class Guide:
        id = "guide-3.2"
        kernel_hashes = False

    i = resolve_inputs(None, Overrides(ovmf=str(ovmf), kernel=str(kernel), append="", profile=Guide()))
    assert i.kernel_hashes is False and i.origins["kernel_hashes"] == "profile guide-3.2"
    i = resolve_inputs(None, Overrides(ovmf=str(ovmf), kernel=str(kernel), append="", profile=object()))
    assert i.kernel_hashes is True and "AMDSEV.fd" in i.origins["kernel_hashes"]
    i = resolve_inputs(None, Overrides(ovmf=str(ovmf), kernel_hashes=False, profile=Guide()))
    assert i.origins["kernel_hashes"] == "--kernel-hashes"


# ------------------------------------------------------------------ the session's profile decides


def test_the_real_profiles_decide_hashes_and_command_line_rules(tmp_path: Path) -> None:
    """guide-3.2 (Kata 3.2: no kernel hashes, nr_cpus=) and upstream (4.1.0: kernel hashes, no nr_cpus=)."""
    from kata_snp_tui.profiles import get_profile

    ovmf = fixture(tmp_path, "ovmf_AmdSev_suffix", "AMDSEV.fd")
    text = f'[hypervisor.qemu]\nfirmware = "{ovmf}"\nkernel = "/k"\ninitrd = "/i"\ndefault_vcpus = 2\n'
    guide = resolve_inputs(settings_from_toml(text), Overrides(profile=get_profile("guide-3.2")))
    assert guide.kernel_hashes is False and guide.origins["kernel_hashes"] == "profile guide-3.2"
    upstream = resolve_inputs(settings_from_toml(text), Overrides(profile=get_profile("upstream")))
    assert upstream.kernel_hashes is True and upstream.origins["kernel_hashes"] == "profile upstream"
    assert upstream.append is not None and "nr_cpus" not in upstream.append
    assert "Kata 3.32.0 and later" in upstream.origins["append"]
    # without a profile: the firmware name, and the 3.2 rules
    plain = resolve_inputs(settings_from_toml(text), Overrides())
    assert plain.append is not None and "nr_cpus=2" in plain.append and "AMDSEV.fd" in plain.origins["kernel_hashes"]


def test_cli_profile_option_decides_kernel_hashes(tmp_path: Path) -> None:
    """`report --measure --profile guide-3.2` on AMDSEV.fd: the guide's Kata 3.2 passes no kernel hashes, so
    the expected digest is the firmware's alone (the published vector), though the file name says AmdSev."""
    ovmf = fixture(tmp_path, "ovmf_AmdSev_suffix", "AMDSEV.fd")
    config = tmp_path / "configuration.toml"
    config.write_text(f'[hypervisor.qemu]\nfirmware = "{ovmf}"\nkernel = "/k"\ndefault_vcpus = 1\n')
    expected = VECTORS[3][6]  # test_snp_without_kernel_feature_snp_only
    done = _cli(_report(tmp_path, expected), "--measure", "--config", config, "--profile", "guide-3.2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kernel hashes off (profile guide-3.2)" in done.stdout
    done = _cli(_report(tmp_path, expected), "--measure", "--config", config, "--profile", "nope")
    assert done.returncode == 2 and "nope" in done.stderr


def test_verify_options_carry_the_profile_to_the_measurement() -> None:
    from kata_snp_tui.verify.run import VerifyOptions

    assert VerifyOptions(profile="upstream").problems() == []
    assert "unknown profile" in VerifyOptions(profile="nope").problems()[0]
