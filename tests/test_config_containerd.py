"""containerd's config.toml: the Kata runtime for config versions 1, 2 (containerd 1.7) and 3 (2.x)."""

from __future__ import annotations

import tomllib

import pytest
from config_helpers import CONFIG_DATA, GOLDEN

from kata_snp_tui.config.containerd import patch_containerd, validate_containerd
from kata_snp_tui.config.lexer import split_lines
from kata_snp_tui.config.patcher import PatchError

SAMPLES = sorted(p.name for p in (CONFIG_DATA / "containerd").glob("*.toml"))
PLUGIN = {1: "cri", 2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime"}


def sample(name: str) -> str:
    return (CONFIG_DATA / "containerd" / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SAMPLES)
def test_golden(name: str) -> None:
    assert patch_containerd(sample(name)).text == (GOLDEN / f"containerd-{name}.patched").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SAMPLES)
def test_runtime_is_there_afterwards_and_patching_again_changes_nothing(name: str) -> None:
    text = sample(name)
    result = patch_containerd(text)
    doc = tomllib.loads(result.text)
    version = doc.get("version", 1)
    kata = doc["plugins"][PLUGIN[version]]["containerd"]["runtimes"]["kata"]
    assert kata["runtime_type"] == "io.containerd.kata.v2"
    assert kata["options"]["ConfigPath"] == "/etc/kata-containers/configuration.toml"
    assert "cri" not in doc.get("disabled_plugins", [])
    assert patch_containerd(result.text).text == result.text
    assert all(r.met for r in patch_containerd(result.text).changes)
    # every line the changes do not target is kept
    applied = [r for r in result.changes if r.status == "apply"]
    skip_b = {i for r in applied for i in range(*r.before)}
    skip_a = {i for r in applied for i in range(*r.after)}
    assert [x for i, x in enumerate(split_lines(text)) if i not in skip_b] == [
        x for i, x in enumerate(split_lines(result.text)) if i not in skip_a
    ]


def test_runtime_goes_after_the_other_runtimes_with_their_indentation() -> None:
    result = patch_containerd(sample("containerd-1.7-default.toml"), {"kata-runtime"})
    lines = result.text.split("\n")
    i = lines.index('        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]')
    assert lines[i - 2] == "            SystemdCgroup = false"
    assert lines[i + 1] == '          runtime_type = "io.containerd.kata.v2"'
    assert "ConfigPath" not in result.text


def test_existing_runtime_with_a_wrong_type_is_fixed_in_place() -> None:
    text = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\n  runtime_type = "io.containerd.runc.v2"  # oops\n'
    result = patch_containerd(text, {"kata-runtime"})
    assert result.text == 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\n  runtime_type = "io.containerd.kata.v2"  # oops\n'


def test_config_path_needs_the_runtime_table() -> None:
    result = patch_containerd("version = 2\n", {"kata-config-path"})
    assert result.get("kata-config-path").status == "failed"
    assert result.text == "version = 2\n"


def test_config_path_value_is_overridable() -> None:
    result = patch_containerd(sample("containerd-1.7-default.toml"), None, {"kata-config-path": "/opt/kata/configuration.toml"})
    doc = tomllib.loads(result.text)
    assert doc["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["kata"]["options"]["ConfigPath"] == "/opt/kata/configuration.toml"


def test_unknown_version_and_bad_toml_are_refused() -> None:
    with pytest.raises(PatchError, match="version"):
        patch_containerd("version = 9\n")
    with pytest.raises(PatchError, match="not valid TOML"):
        patch_containerd("version = \n")


def test_validation_flags_a_table_of_the_other_version() -> None:
    text = "version = 2\n[plugins.'io.containerd.cri.v1.runtime'.containerd]\n  x = 1\n"
    codes = {f.code for f in validate_containerd(text).findings}
    assert "wrong-version-table" in codes
    assert not validate_containerd("version = ").parses
