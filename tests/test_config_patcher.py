"""The patcher: goldens for every upstream configuration, agreement with upstream's SNP file, and the
line-level promises (uncomment in place, comment out, insert, keep every other byte)."""

from __future__ import annotations

import tomllib

import pytest
from config_helpers import FIXED_WORKSPACE, GOLDEN, UPSTREAM_CONFIGS, upstream

from kata_snp_tui.config.changes import load_change_set
from kata_snp_tui.config.lexer import lex, split_lines
from kata_snp_tui.config.patcher import PatchError, patch, revert_change


@pytest.fixture(autouse=True)
def _fixed_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATA_SNP_TUI_WORKSPACE", FIXED_WORKSPACE)


def test_every_upstream_configuration_is_covered() -> None:
    assert UPSTREAM_CONFIGS == [
        "configuration-qemu-snp.toml.2026-08",
        "configuration-qemu-snp.toml.3.2.0",
        "configuration-qemu.toml.2022-09",
        "configuration-qemu.toml.2023-10",
        "configuration-qemu.toml.2026-08",
        "configuration-qemu.toml.3.2.0",
    ]


@pytest.mark.parametrize("name", UPSTREAM_CONFIGS)
def test_golden(name: str) -> None:
    result = patch(upstream(name))
    assert result.text == (GOLDEN / f"{name}.patched").read_text(encoding="utf-8")
    assert all(r.status in ("apply", "met") for r in result.changes), [(r.id, r.status, r.detail) for r in result.changes]


@pytest.mark.parametrize("name", UPSTREAM_CONFIGS)
def test_patching_a_patched_file_changes_nothing(name: str) -> None:
    once = patch(upstream(name))
    twice = patch(once.text)
    assert twice.text == once.text
    assert twice.all_met


@pytest.mark.parametrize("name", UPSTREAM_CONFIGS)
def test_patched_file_meets_every_setting(name: str) -> None:
    doc = tomllib.loads(patch(upstream(name)).text)
    qemu = doc["hypervisor"]["qemu"]
    values = load_change_set().values()
    for change in load_change_set().changes:
        if change.action == "comment":
            assert change.key not in qemu
        else:
            assert qemu[change.key] == values[change.id] and type(qemu[change.key]) is type(values[change.id])


@pytest.mark.parametrize("name", UPSTREAM_CONFIGS)
def test_only_target_lines_change(name: str) -> None:
    text = upstream(name)
    result = patch(text)
    before = split_lines(text)
    after = split_lines(result.text)
    touched_before = set()
    touched_after = set()
    for r in result.changes:
        if r.status == "apply":
            touched_before.update(range(*r.before))
            touched_after.update(range(*r.after))
    kept_before = [line for i, line in enumerate(before) if i not in touched_before]
    kept_after = [line for i, line in enumerate(after) if i not in touched_after]
    assert kept_before == kept_after


def test_agrees_with_upstream_snp_file_on_the_guides_settings() -> None:
    """Upstream's own configuration-qemu-snp.toml (3.2.0) is an independent oracle for the values."""
    ours = tomllib.loads(patch(upstream("configuration-qemu.toml.3.2.0")).text)["hypervisor"]["qemu"]
    theirs = tomllib.loads(upstream("configuration-qemu-snp.toml.3.2.0"))["hypervisor"]["qemu"]
    # paths (kernel, initrd, path, firmware, virtio_fs_daemon) are where this host puts things
    for key in ("shared_fs", "disable_image_nvdimm", "file_mem_backend", "confidential_guest", "sev_snp_guest"):
        assert ours[key] == theirs[key], key
    assert "image" not in ours and "image" not in theirs
    assert "initrd" in ours and "initrd" in theirs
    # the guide also comments virtio_fs_daemon out; upstream leaves it set (harmless with virtio-9p)
    assert "virtio_fs_daemon" not in ours


def test_each_change_can_be_accepted_alone() -> None:
    text = upstream("configuration-qemu.toml.3.2.0")
    everything = patch(text)
    for change in load_change_set().changes:
        alone = patch(text, {change.id})
        applied = [r for r in alone.changes if r.status == "apply"]
        assert [r.id for r in applied] == [change.id]
        # the change's own lines are exactly what the full patch produces for it
        full = everything.get(change.id)
        assert alone.get(change.id).new_text == full.new_text
        assert len(split_lines(alone.text)) == len(split_lines(text))  # 3.2.0 needs no inserts


def test_rejecting_everything_changes_nothing() -> None:
    text = upstream("configuration-qemu.toml.2026-08")
    result = patch(text, set())
    assert result.text == text
    assert {r.status for r in result.changes} <= {"rejected", "met"}


def test_inserts_missing_keys_beside_related_keys() -> None:
    result = patch(upstream("configuration-qemu.toml.2026-08"))
    lines = result.text.split("\n")
    i = lines.index('initrd = "/usr/share/kata-containers/kata-containers-initrd.img"')
    assert lines[i - 1].startswith("# image = ")
    j = lines.index("confidential_guest = true")
    assert lines[j - 1] == 'rootfs_type = "ext4"' and lines[j + 1] == "sev_snp_guest = true"
    assert result.get("initrd").action == "insert"
    span = result.get("initrd").after
    assert span == (i, i + 1)


def test_inserted_key_follows_the_first_anchor_present_when_an_earlier_change_is_rejected() -> None:
    text = upstream("configuration-qemu.toml.2026-08")
    ids = set(load_change_set().ids()) - {"initrd"}
    result = patch(text, ids)
    assert "initrd" not in tomllib.loads(result.text)["hypervisor"]["qemu"]
    assert result.get("confidential_guest").status == "apply"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("#confidential_guest = true", "confidential_guest = true"),
        ("# confidential_guest = true", "confidential_guest = true"),
        ("#    confidential_guest=true", "confidential_guest=true"),
        ("  # confidential_guest = false  # keep this note", "  confidential_guest = true  # keep this note"),
        ("\t#\tconfidential_guest = true", "\tconfidential_guest = true"),
    ],
)
def test_uncomments_in_place_with_any_spacing(line: str, expected: str) -> None:
    text = f'[hypervisor.qemu]\npath = "/q"\nimage = "/i"\n{line}\n'
    result = patch(text, {"confidential_guest"})
    assert result.text == f'[hypervisor.qemu]\npath = "/q"\nimage = "/i"\n{expected}\n'


def test_sets_value_keeping_spacing_quotes_and_inline_comment() -> None:
    text = "[hypervisor.qemu]\nimage = '/i'\n  kernel   =   '/old/vmlinux'   # the stock kernel\n"
    result = patch(text, {"kernel"})
    assert result.text == "[hypervisor.qemu]\nimage = '/i'\n  kernel   =   '/usr/share/kata-containers/vmlinuz-snp.container'   # the stock kernel\n"


def test_comment_out_keeps_the_rest_of_the_line() -> None:
    text = '[hypervisor.qemu]\n    image = "/i"  # rootfs\ninitrd = "/r"\n'
    result = patch(text, {"image"})
    assert result.text == '[hypervisor.qemu]\n    # image = "/i"  # rootfs\ninitrd = "/r"\n'


def test_multi_line_value_is_replaced_as_a_whole() -> None:
    text = '[hypervisor.qemu]\nimage = "/i"\nkernel = """\n/old/kernel"""\nmachine_type = "q35"\n'
    result = patch(text, {"kernel"})
    assert result.text == '[hypervisor.qemu]\nimage = "/i"\nkernel = "/usr/share/kata-containers/vmlinuz-snp.container"\nmachine_type = "q35"\n'


def test_crlf_line_endings_are_kept_everywhere() -> None:
    text = upstream("configuration-qemu.toml.2026-08").replace("\n", "\r\n")
    result = patch(text)
    assert "\n" not in result.text.replace("\r\n", "")
    expected = (GOLDEN / "configuration-qemu.toml.2026-08.patched").read_text(encoding="utf-8").replace("\n", "\r\n")
    assert result.text == expected


def test_keys_in_other_tables_are_never_touched() -> None:
    text = '[hypervisor.qemu]\nimage = "/i"\n\n[agent.kata]\n#kernel = "/x"\n[runtime]\nshared_fs = "virtio-fs"\n'
    result = patch(text)
    assert '[agent.kata]\n#kernel = "/x"\n[runtime]\nshared_fs = "virtio-fs"\n' in result.text
    qemu = tomllib.loads(result.text)["hypervisor"]["qemu"]
    assert qemu["kernel"].endswith("vmlinuz-snp.container")


def test_file_without_trailing_newline() -> None:
    text = '[hypervisor.qemu]\nimage = "/i"'
    result = patch(text)
    assert tomllib.loads(result.text)["hypervisor"]["qemu"]["initrd"]
    assert patch(result.text).text == result.text


def test_values_override_paths() -> None:
    text = upstream("configuration-qemu.toml.3.2.0")
    result = patch(text, None, {"path": "/opt/qemu/bin/qemu-system-x86_64", "firmware": '/odd "dir"/OVMF.fd'})
    qemu = tomllib.loads(result.text)["hypervisor"]["qemu"]
    assert qemu["path"] == "/opt/qemu/bin/qemu-system-x86_64"
    assert qemu["firmware"] == '/odd "dir"/OVMF.fd'


@pytest.mark.parametrize(
    "text, message",
    [
        ("x = [", "not valid TOML"),
        ("[runtime]\nenable_debug = true\n", r"no \[hypervisor\.qemu\]"),
    ],
)
def test_refuses_what_it_cannot_patch(text: str, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        patch(text)


def test_revert_change_keeps_hand_edits() -> None:
    original = upstream("configuration-qemu.toml.3.2.0")
    proposed = patch(original).text.replace("machine_type = \"q35\"", "machine_type = \"q35\"  # edited")
    image = load_change_set().get("image")
    reverted = revert_change(proposed, original, image)
    assert 'machine_type = "q35"  # edited' in reverted
    assert '\nimage = "/usr/share/kata-containers/kata-containers.img"\n' in reverted
    # an inserted key is removed again
    original26 = upstream("configuration-qemu.toml.2026-08")
    proposed26 = patch(original26).text
    reverted26 = revert_change(proposed26, original26, load_change_set().get("sev_snp_guest"))
    assert "sev_snp_guest" not in reverted26
    assert "confidential_guest = true" in reverted26


def test_lexer_statements_cover_every_key_tomllib_sees() -> None:
    for name in UPSTREAM_CONFIGS:
        text = upstream(name)
        lexed = lex(text)
        assert "".join(lexed.lines) == text
        keys = sorted((s.table, s.key) for s in lexed.statements if s.kind == "keyval")
        doc = tomllib.loads(text)
        expected = []
        for table, body in (((), doc),):
            stack = [(table, body)]
            while stack:
                prefix, node = stack.pop()
                for k, v in node.items():
                    if isinstance(v, dict):
                        stack.append(((*prefix, k), v))
                    else:
                        expected.append((prefix, (k,)))
        assert keys == sorted(expected)


def test_patch_result_flags_unknown_keys_and_contradictions() -> None:
    text = '[hypervisor.qemu]\nimage = "/i"\nsev_snp_quest = true\nshared_fs = "virtio-fs"\n'
    # reject the changes that would resolve the contradictions
    result = patch(text, {"kernel", "initrd", "virtio_fs_daemon"})
    codes = {f.code for f in result.flags()}
    assert {"unknown-key", "image-and-initrd", "virtio-fs-without-daemon"} <= codes
    assert not patch(upstream("configuration-qemu.toml.3.2.0")).flags()
