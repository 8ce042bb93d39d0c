"""Validation: parse errors with their line, types, contradictions, unknown keys, missing paths."""

from __future__ import annotations

import pytest
from config_helpers import FIXED_WORKSPACE, UPSTREAM_CONFIGS, upstream

from kata_snp_tui.config.known_keys import load_known_keys
from kata_snp_tui.config.lexer import commented_key, lex, uncommented
from kata_snp_tui.config.patcher import patch
from kata_snp_tui.config.targets import demo_exists
from kata_snp_tui.config.validate import ERROR, INFO, WARNING, validate

BASE = '[hypervisor.qemu]\npath = "/q"\nkernel = "/k"\ninitrd = "/r"\nshared_fs = "virtio-9p"\n'


def codes(text: str, exists=None) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for f in validate(text, exists=exists).findings}


def test_parse_error_has_its_line() -> None:
    v = validate(BASE + "firmware = \n")
    assert not v.parses
    assert v.findings[0].level == ERROR and v.findings[0].line == 5


def test_missing_table() -> None:
    v = validate("[runtime]\nenable_debug = true\n")
    assert [f.code for f in v.errors] == ["no-table"]


def test_guide_keys_must_have_their_types() -> None:
    v = validate(BASE + 'confidential_guest = "true"\ndisable_image_nvdimm = 1\n', exists=None)
    bad = {f.key: f for f in v.findings if f.code == "type"}
    assert set(bad) == {"confidential_guest", "disable_image_nvdimm"}
    assert all(f.level == ERROR for f in bad.values())
    assert bad["confidential_guest"].line == 5


def test_other_known_keys_are_type_checked_as_warnings() -> None:
    v = validate(BASE + 'default_vcpus = "two"\n', exists=None)
    (f,) = [f for f in v.findings if f.code == "type"]
    assert f.level == WARNING and f.key == "default_vcpus"


def test_contradictions_are_flagged() -> None:
    assert "image-and-initrd" in codes(BASE + 'image = "/i"\n')
    assert "no-image-or-initrd" in codes(BASE.replace('initrd = "/r"\n', ""))
    assert "virtio-fs-without-daemon" in codes(BASE.replace("virtio-9p", "virtio-fs"))
    assert "virtio-fs-without-daemon" not in codes(BASE.replace("virtio-9p", "virtio-fs") + 'virtio_fs_daemon = "/d"\n')
    assert "shared-fs" in codes(BASE.replace("virtio-9p", "virtio-10p"))
    assert "snp-without-confidential" in codes(BASE + "sev_snp_guest = true\n")
    confidential = BASE + "confidential_guest = true\nsev_snp_guest = true\n"
    assert "confidential-without-firmware" in codes(confidential)
    assert "confidential-without-firmware" not in codes(confidential + 'firmware = "/f"\n')
    assert "confidential-file-mem" in codes(confidential + 'file_mem_backend = "/dev/shm"\n')


def test_unknown_keys_and_tables_are_flagged_with_a_suggestion() -> None:
    v = validate(BASE + "sev_snp_quest = true\n\n[hypervisr.qemu]\nx = 1\n", exists=None)
    unknown = [f for f in v.findings if f.code == "unknown-key"]
    assert len(unknown) == 1 and "sev_snp_guest" in unknown[0].message and unknown[0].line == 5
    tables = [f for f in v.findings if f.code == "unknown-table"]
    assert len(tables) == 1 and "hypervisor.qemu" in tables[0].message


@pytest.mark.parametrize("name", UPSTREAM_CONFIGS)
def test_upstream_files_have_no_unknown_keys(name: str) -> None:
    for text in (upstream(name), patch(upstream(name)).text):
        found = {f.code for f in validate(text, exists=None).findings}
        assert not found & {"unknown-key", "unknown-table", "type", "parse"}


def test_known_keys_list_covers_every_key_upstream_shows() -> None:
    known = load_known_keys()
    for name in UPSTREAM_CONFIGS:
        lexed = lex(upstream(name))
        for st in lexed.statements:
            if st.kind == "keyval":
                assert known.type_of(st.table, st.key[0]), (name, st.key)
            elif st.kind == "comment" and (key := commented_key(lexed.line_body(st.first))) and len(key) == 1:
                rest = uncommented(lexed.line_body(st.first))
                if rest and " " not in rest[1].split("=", 1)[0].strip() and not rest[1].startswith("root_hash"):
                    assert known.type_of(st.table, key[0]), (name, key)


def test_paths_go_through_the_injected_exists() -> None:
    text = BASE + 'firmware = "/f"\n'
    asked: list[str] = []

    def exists(path: str) -> bool:
        asked.append(path)
        return path != "/k"

    v = validate(text, exists=exists)
    missing = [f for f in v.findings if f.code == "path-missing"]
    assert [f.key for f in missing] == ["kernel"]
    assert set(asked) == {"/q", "/k", "/r", "/f"}
    assert "path-missing" not in codes(text, exists=None)


def test_relative_paths_are_flagged() -> None:
    assert "path-relative" in codes(BASE.replace('"/k"', '"vmlinuz"'), exists=lambda p: True)


def test_demo_answers_from_the_recorded_host_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11 item 8: the demo's path check is the recorded host's, never a guess and never this machine:
    a proposed QEMU the recording does not have is missing, like `config check` says it."""
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", FIXED_WORKSPACE)
    exists = demo_exists(host_exists=lambda p: p == "/usr/share/ovmf/OVMF.fd")
    patched = patch(upstream("configuration-qemu.toml.3.2.0")).text
    missing = [f.message for f in validate(patched, exists=exists).findings if f.code == "path-missing"]
    assert any("qemu-system-x86_64 does not exist" in m for m in missing)
    assert exists("/usr/share/ovmf/OVMF.fd") and not exists("/usr/bin/qemu-system-x86_64")
    assert not demo_exists()("/")  # without a recorded host nothing exists, whatever this machine has


def test_removed_key_is_a_note() -> None:
    v = validate(BASE + 'file_mem_backend = ""\n', exists=None)
    assert [f.level for f in v.findings if f.code == "removed-key"] == [INFO]
    assert v.ok
