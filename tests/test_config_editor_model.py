"""The editor's state, without Textual: toggles, hand edits, per-change states and the aligned diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import CONFIG_DATA, FIXED_WORKSPACE, upstream

from kata_snp_tui.config.diff import side_by_side, unified_diff
from kata_snp_tui.config.editor import ALREADY, NOT_APPLIED, REJECTED, UNKNOWN, WILL_CHANGE, EditorModel
from kata_snp_tui.config.loader import load_file
from kata_snp_tui.config.targets import CONTAINERD, KATA, EditTarget


@pytest.fixture(autouse=True)
def _fixed_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", FIXED_WORKSPACE)


def model_for(tmp_path: Path, text: str, kind: str = KATA) -> EditorModel:
    path = tmp_path / "file.toml"
    path.write_text(text)
    target = EditTarget(kind, path, str(path), exists=lambda p: True)
    return EditorModel(target, load_file(path))


def states(model: EditorModel) -> dict[str, str]:
    return {v.change.id: v.state for v in model.analyse().changes}


def test_states_follow_toggles_and_hand_edits(tmp_path: Path) -> None:
    # the demo file: initrd already in use, the rest still to do
    model = model_for(tmp_path, (Path(__file__).parent.parent / "assets/demo/config/configuration.toml").read_text())
    s = states(model)
    assert s["initrd"] == s["image"] == ALREADY
    assert s["kernel"] == WILL_CHANGE
    model.toggle("kernel")
    assert states(model)["kernel"] == REJECTED
    model.toggle("kernel")
    # a hand edit that undoes an accepted change shows as "not applied"
    model.set_text(model.proposed.replace("\nsev_snp_guest = true\n", "\n# sev_snp_guest = true\n"))
    assert model.hand_edited
    assert states(model)["sev_snp_guest"] == NOT_APPLIED
    # text that does not parse: states are unknown, the validation says why
    model.set_text(model.proposed + "[broken\n")
    analysis = model.analyse()
    assert not analysis.validation.parses and {v.state for v in analysis.changes} == {UNKNOWN}
    model.discard_edits()
    assert not model.hand_edited and states(model)["sev_snp_guest"] == WILL_CHANGE


def test_rejecting_after_a_hand_edit_keeps_the_edit(tmp_path: Path) -> None:
    model = model_for(tmp_path, upstream("configuration-qemu.toml.2026-08"))
    model.set_text(model.proposed.replace('machine_type = "q35"', 'machine_type = "q35" # mine'))
    assert not model.toggle("confidential_guest")
    assert 'machine_type = "q35" # mine' in model.proposed
    assert "\nconfidential_guest = true\n" not in model.proposed
    assert not model.toggle("confidential_guest")
    assert "\nconfidential_guest = true\n" in model.proposed and 'machine_type = "q35" # mine' in model.proposed


def test_containerd_reject_after_a_hand_edit_starts_over(tmp_path: Path) -> None:
    model = model_for(tmp_path, (CONFIG_DATA / "containerd" / "containerd-1.7-default.toml").read_text(), CONTAINERD)
    model.set_text(model.proposed.replace("oom_score = 0", "oom_score = -999"))
    assert model.toggle("kata-config-path")  # hand edits dropped, and the caller says so
    assert "oom_score = 0" in model.proposed and "ConfigPath" not in model.proposed


def test_values_change_the_proposal(tmp_path: Path) -> None:
    model = model_for(tmp_path, upstream("configuration-qemu.toml.3.2.0"))
    model.set_values({"path": "/opt/qemu/qemu-system-x86_64"})
    assert '\npath = "/opt/qemu/qemu-system-x86_64"\n' in model.proposed
    assert model.unified_diff().startswith(f"--- {model.loaded.path} (current)")


def test_side_by_side_rows_pad_the_shorter_side() -> None:
    diff = side_by_side("a\nb\nc\n", "a\nB\nB2\nc\n")
    assert [(r.tag, r.left, r.right) for r in diff.rows] == [
        ("equal", 0, 0),
        ("replace", 1, 1),
        ("replace", None, 2),
        ("equal", 2, 3),
    ]
    assert diff.stats == (1, 2)
    assert unified_diff("a\n", "a\n", "f") == ""
    assert "only line endings" in unified_diff("a\n", "a\r\n", "f")
