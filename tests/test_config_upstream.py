"""The upstream profile's configuration patch on upstream's own configuration-qemu-snp.toml (2026-08):
a golden, byte-for-byte promises, the values it sets, and `config diff|check --profile upstream`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from config_helpers import FIXED_WORKSPACE, GOLDEN, upstream

from kata_snp_tui import profiles as prof
from kata_snp_tui.cli import main
from kata_snp_tui.config.changes import load_change_set
from kata_snp_tui.config.lexer import split_lines
from kata_snp_tui.config.patcher import patch

BASE = "configuration-qemu-snp.toml.2026-08"
GOLDEN_FILE = GOLDEN / "upstream-profile" / f"{BASE}.patched"


@pytest.fixture(autouse=True)
def _fixed_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", FIXED_WORKSPACE)


def _changes():  # type: ignore[no-untyped-def]
    return load_change_set(prof.get_profile("upstream").changes)


def test_the_profile_names_its_own_change_set_and_base() -> None:
    upstream_profile = prof.get_profile("upstream")
    assert upstream_profile.changes == "changes-upstream.toml"
    assert upstream_profile.config_base == "configuration-qemu-snp.toml"
    assert prof.get_profile("guide-3.2").changes == "changes.toml"


def test_golden() -> None:
    result = patch(upstream(BASE), change_set=_changes())
    assert result.text == GOLDEN_FILE.read_text(encoding="utf-8")
    statuses = {r.id: r.status for r in result.changes}
    # what upstream's SNP file already has is met, not rewritten
    assert statuses["confidential_guest"] == statuses["sev_snp_guest"] == "met"
    assert {statuses[k] for k in ("path", "kernel", "image", "firmware", "shared_fs", "virtio_fs_daemon")} == {"apply"}


def test_patched_file_holds_every_value_of_the_profile() -> None:
    doc = tomllib.loads(patch(upstream(BASE), change_set=_changes()).text)
    qemu = doc["hypervisor"]["qemu"]
    assert qemu["path"] == "/opt/kata/bin/qemu-system-x86_64"
    assert qemu["kernel"] == "/opt/kata/share/kata-containers/vmlinuz.container"
    assert qemu["image"] == "/opt/kata/share/kata-containers/kata-containers-confidential.img"
    assert qemu["firmware"] == "/opt/kata/share/ovmf/AMDSEV.fd"
    assert qemu["shared_fs"] == "virtio-9p"
    assert "virtio_fs_daemon" not in qemu
    assert qemu["confidential_guest"] is True and qemu["sev_snp_guest"] is True
    # the 2023 guide's changes that 4.1.0 removed are not added
    assert "initrd" not in qemu and "snp_certs_path" not in qemu and "file_mem_backend" not in qemu


def test_only_target_lines_change_and_a_second_patch_is_a_no_op() -> None:
    text = upstream(BASE)
    result = patch(text, change_set=_changes())
    touched_before: set[int] = set()
    touched_after: set[int] = set()
    for r in result.changes:
        if r.status == "apply":
            touched_before.update(range(*r.before))
            touched_after.update(range(*r.after))
    before, after = split_lines(text), split_lines(result.text)
    assert [ln for i, ln in enumerate(before) if i not in touched_before] == \
           [ln for i, ln in enumerate(after) if i not in touched_after]
    again = patch(result.text, change_set=_changes())
    assert again.text == result.text and again.all_met


def test_guide_changes_on_the_upstream_file_differ() -> None:
    """The two profiles' patches of the same file are not the same: the profile is not cosmetic."""
    assert patch(upstream(BASE)).text != patch(upstream(BASE), change_set=_changes()).text


def test_cli_diff_and_check_with_the_upstream_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "configuration.toml"
    target.write_text(upstream(BASE), encoding="utf-8")
    assert main(["config", "diff", "--profile", "upstream", "--file", str(target)]) == 0
    out = capsys.readouterr()
    assert "Profile: upstream" in out.out + out.err
    assert '+path = "/opt/kata/bin/qemu-system-x86_64"' in out.out
    assert '+# virtio_fs_daemon = "/usr/libexec/virtiofsd"' in out.out
    assert "sev_snp_guest" not in "".join(ln for ln in out.out.splitlines(True) if ln.startswith(("+", "-")))
    target.write_text(GOLDEN_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["config", "check", "--profile", "upstream", "--file", str(target)]) == 0
    out = capsys.readouterr()
    assert "9 of 9 settings met" in out.out and "[not met]" not in out.out
    # nothing is installed under /opt/kata here: the paths are warned about, not called valid
    assert "/opt/kata/bin/qemu-system-x86_64 does not exist" in out.err
    target.write_text(upstream(BASE), encoding="utf-8")
    assert main(["config", "check", "--profile", "upstream", "--file", str(target)]) == 1
    out = capsys.readouterr()
    assert "3 of 9 settings met" in out.out
    assert "[met    ] sev_snp_guest" in out.out and "[not met] shared_fs" in out.out
