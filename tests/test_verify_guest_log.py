"""The guest log parser: every wording of the reference, every sample, and decoys that must not count."""

from __future__ import annotations

import pytest

from conftest import DATA, SHARED
from kata_snp_tui.verify.guest_log import message, parse

SAMPLES = SHARED / "samples"


def test_guide_sample_is_snp_with_every_5_19_signal() -> None:
    text = (SAMPLES / "guest-dmesg-snp-active-and-snpguest-report.txt").read_text()
    log = parse(text)
    assert log.verdict == "sev-snp"
    assert log.features == ("SEV", "SEV-ES", "SEV-SNP")
    found = {s.id: s for s in log.found}
    assert set(found) == {"memory-encryption", "snp-cpuid-table", "snp-platform-device", "sev-guest-driver"}
    assert found["snp-cpuid-table"].detail == "31 entries"
    assert found["sev-guest-driver"].detail == "VMPCK0"
    # each signal carries its own line, as printed, and its line number in the text
    lines = text.splitlines()
    for s in log.found:
        assert s.line is not None and s.line_number is not None
        assert lines[s.line_number - 1].strip() == s.line
    assert found["memory-encryption"].line == "[    0.527729] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"
    assert {s.id for s in log.missing} == {"sev-status", "snp-vmpl"}
    assert all(not s.expected_for_snp for s in log.missing)
    assert log.notes == ()


def test_sev_es_sample() -> None:
    log = parse((SAMPLES / "guest-dmesg-sev-and-sev-es-only-variants.txt").read_text())
    assert log.verdict == "sev-es"
    assert log.features == ("SEV", "SEV-ES")
    assert log.signal("memory-encryption").line == "[    0.374549] AMD Memory Encryption Features active: SEV SEV-ES"
    assert not log.signal("sev-guest-driver").found
    assert any("not SEV-SNP" in n for n in log.notes)


def test_out_of_tree_sample_guest_check_is_snp_without_driver() -> None:
    log = parse((SAMPLES / "host-dmesg-working-snp-amd-outoftree-5.19.txt").read_text())
    assert log.verdict == "sev-snp"
    assert log.signal("memory-encryption").line == "AMD Memory Encryption Features active: SEV SEV-ES SEV-SNP"
    assert any("sev-guest driver" in n for n in log.notes)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in SAMPLES.glob("host-*.txt") if "outoftree" not in p.name),
)
def test_host_samples_are_not_guest_snp(name: str) -> None:
    """Host logs mention SEV-SNP everywhere (RMP table, API, ASIDs, failed INIT) but hold no guest feature list."""
    text = (SAMPLES / name).read_text()
    assert "SEV-SNP" in text or "SNP" in text
    log = parse(text)
    assert log.verdict == "none"
    assert log.features == ()
    assert not log.signal("memory-encryption").found


@pytest.mark.parametrize(
    ("line", "verdict", "features", "detail"),
    [
        ("AMD Secure Encrypted Virtualization (SEV) active", "sev", ("SEV",), "SEV"),
        ("[    0.1] AMD Memory Encryption Features active: SEV", "sev", ("SEV",), "SEV"),
        ("[    0.1] AMD Memory Encryption Features active: SEV SEV-ES", "sev-es", ("SEV", "SEV-ES"), "SEV SEV-ES"),
        ("AMD Memory Encryption Features active: SEV SEV-ES SEV-SNP", "sev-snp", ("SEV", "SEV-ES", "SEV-SNP"), None),
        ("Memory Encryption Features active: AMD SEV", "sev", ("SEV",), None),
        ("Memory Encryption Features active: AMD SEV SEV-ES", "sev-es", ("SEV", "SEV-ES"), None),
        ("[    0.299242] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP", "sev-snp",
         ("SEV", "SEV-ES", "SEV-SNP"), "SEV SEV-ES SEV-SNP"),
        # the transient 5.19-rc spacing bug
        ("Memory Encryption Features active:AMD  SEV SEV-ES", "sev-es", ("SEV", "SEV-ES"), None),
        # syslog priority and a journal prefix
        ("<6>[    0.3] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP", "sev-snp",
         ("SEV", "SEV-ES", "SEV-SNP"), None),
        ("Jan 07 10:00:01 guest kernel: Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP", "sev-snp",
         ("SEV", "SEV-ES", "SEV-SNP"), None),
        ("[Tue Jan  7 10:00:01 2025] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP\r", "sev-snp",
         ("SEV", "SEV-ES", "SEV-SNP"), None),
    ],
)
def test_feature_list_wordings(line: str, verdict: str, features: tuple[str, ...], detail: str | None) -> None:
    log = parse(line + "\n")
    assert log.verdict == verdict
    assert log.features == features
    sig = log.signal("memory-encryption")
    assert sig.found and sig.line_number == 1 and sig.line == line.strip()
    if detail is not None:
        assert sig.detail == detail


def test_sev_status_line_alone_gives_the_verdict() -> None:
    log = parse("[    0.0] SEV: Status: SEV SEV-ES SEV-SNP DebugSwap SecureTSC\n")
    assert log.verdict == "sev-snp"
    assert log.signal("sev-status").detail == "SEV SEV-ES SEV-SNP DebugSwap SecureTSC"
    assert not log.signal("memory-encryption").found
    assert parse("SEV: Status: SEV SEV-ES\n").verdict == "sev-es"


def test_every_newer_wording_from_a_6_11_guest() -> None:
    log = parse((DATA / "verify" / "guest-dmesg-6.11-vmpl.txt").read_text())
    assert log.verdict == "sev-snp"
    assert [s.id for s in log.missing] == []
    assert log.signal("snp-vmpl").detail == "VMPL0"
    assert log.signal("snp-vmpl").line_number == 6
    assert log.signal("snp-platform-device").line.endswith("SNP guest platform devices initialized.")
    assert log.signal("sev-guest-driver").detail == "VMPCK0"
    assert log.signal("sev-status").line_number == 3


@pytest.mark.parametrize(
    "line",
    [
        "sev-guest sev-guest: Initialized SEV guest driver (using vmpck_id 2)",
        "[ 1.5] sev-guest sev-guest: Initialized SEV guest driver (using VMPCK2 communication key)",
    ],
)
def test_driver_wordings(line: str) -> None:
    sig = parse(line).signal("sev-guest-driver")
    assert sig.found and sig.detail == "VMPCK2"


def test_decoys_do_not_count() -> None:
    log = parse((DATA / "verify" / "guest-dmesg-decoys.txt").read_text())
    assert log.verdict == "none"
    assert log.features == ()
    assert log.found == ()
    assert any("host" in n for n in log.notes)  # the SME-only line


@pytest.mark.parametrize(
    "line",
    [
        "SEV-SNP: failed to INIT error 0x3",
        "[    5.1] SEV-SNP: RMP table physical range [0x0000000035600000 - 0x0000000075bfffff]",
        "kvm_amd: SEV-SNP enabled (ASIDs 1 - 99)",
        "ccp 0000:23:00.1: SEV-SNP API:1.51 build:1",
        "SEV-ES and SEV-SNP supported: 99 ASIDs",
        "error: Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP",
        "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP-ish",
        "/ # dmesg | grep 'SEV: Status: SEV SEV-ES SEV-SNP'",
    ],
)
def test_lines_that_merely_mention_snp(line: str) -> None:
    log = parse(line)
    assert log.verdict == "none"
    assert log.features == ()


def test_strongest_feature_list_wins_and_sme_is_not_a_guest_feature() -> None:
    text = "\n".join([
        "[0.1] Memory Encryption Features active: AMD SME",
        "[0.2] Memory Encryption Features active: AMD SEV",
        "[0.3] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP",
        "[0.4] Memory Encryption Features active: AMD SEV SEV-ES",
    ])
    log = parse(text)
    assert log.verdict == "sev-snp"
    assert log.signal("memory-encryption").line_number == 3


def test_snp_lines_without_feature_list_do_not_make_snp() -> None:
    log = parse("SEV: Using SNP CPUID table, 31 entries present.\nSEV: SNP guest platform device initialized.\n")
    assert log.verdict == "none"
    assert log.signal("snp-cpuid-table").found
    assert any("incomplete" in n for n in log.notes)


def test_empty_and_json() -> None:
    log = parse("")
    assert log.verdict == "none" and log.line_count == 0
    data = parse("Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP\n").to_json()
    assert data["verdict"] == "sev-snp"
    assert {s["id"] for s in data["signals"]} >= {"memory-encryption", "sev-guest-driver"}
    assert data["signals"][0]["line"] == "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"


def test_message_strips_prefixes() -> None:
    assert message("  [    0.374549] AMD Memory Encryption Features active: SEV\r\n") == (
        "AMD Memory Encryption Features active: SEV"
    )
    assert message("<6>[T1] [ 1.0] SEV: Status: SEV") == "SEV: Status: SEV"


def test_control_characters_in_a_guest_log_are_made_visible() -> None:
    from kata_snp_tui.verify.guest_log import visible

    hostile = "\x1b]0;owned\x07\x1b[2J"
    log = parse(f"[ 0.1] SEV: Status: SEV SEV-ES SEV-SNP {hostile}\n"
                f"[ 0.2] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP\n")
    assert log.verdict == "sev-snp"
    status = log.signal("sev-status")
    assert "\x1b" not in (status.line or "") and "\\x1b[2J" in (status.line or "")
    assert "\x07" not in (status.detail or "")
    assert visible("plain text\tok") == "plain text\tok"
