"""The known-errors knowledge base: the 22 errors of the reference, matching, robustness."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kata_snp_tui.knowledge import (
    KnowledgeError,
    builtin_knowledge_path,
    default_knowledge,
    load_knowledge,
    match,
    parse_knowledge,
)

#: One real message for each of reference/kata-upstream.md section 5 (in order) and the entry it must find.
REFERENCE_22 = [
    ("-x                           : All the confidential guest protection type for a specific architecture.", "kernel-x-snp-newer-tree"),
    ("ERROR: Confidential guest type 'sev-snp' not supported", "kernel-x-type-unsupported"),
    ("ERROR: yq command is not in your $PATH", "yq-wrong"),
    ("qemu-system-x86_64: -device virtio-9p-pci,disable-modern=false,fsdev=extra-9p-kataShared: 'virtio-9p-pci' is not a valid device model name", "qemu-no-virtio-9p"),
    ("level=error msg=\"This system doesn't support Confidential Computing (Guest Protection)\"", "no-guest-protection"),
    ("sev_snp_guest = false\n...\n-object sev-snp-guest,id=snp,cbitpos=51,reduced-phys-bits=1", "sev-starts-as-snp"),
    ("qemu-system-x86_64: sev_snp_launch_start: SNP_LAUNCH_START ret=-5 fw_error=7 'Policy is not allowed'", "snp-policy-not-allowed"),
    ("qemu-system-x86_64: sev_kvm_init: failed to initialize ret=-22 fw_error=0 ''", "sev-kvm-init-failed"),
    ("qemu-system-x86_64-snp-experimental: sev_snp_launch_update: SNP_LAUNCH_UPDATE ret=-22 fw_error=0 ''\nfailed to encrypt pflash rom", "snp-launch-update-pflash"),
    ("qemu-system-x86_64: SEV information block/Firmware GUID Table block not found in pflash rom", "not-sev-ovmf"),
    ("qemu-system-x86_64: ../target/i386/sev.c:1927: snp_launch_update_kernel_hashes: Assertion `sev_snp->kernel_hashes_data' failed.", "kernel-hashes-assertion"),
    ("qemu-system-x86_64: -object sev-snp-guest,id=snp: Parameter 'qom-type' does not accept value 'sev-snp-guest'", "qemu-no-sev-snp-guest"),
    ("qemu-system-x86_64: vm-type snp not supported by KVM", "kvm-no-snp-vm-type"),
    ("[    5.1] ccp 0000:01:00.5: SEV-SNP support requires firmware version >= 1:51", "sev-firmware-too-old"),
    ("ctr: failed to create shim: Could not add runtime PID 4242 to sandbox cgroup: not implemented for cgroup v2 unified hierarchy: unknown", "cgroups-v2"),
    ("level=error msg=\"Image and initrd path cannot be both set\"", "image-and-initrd"),
    ("cannot enable virtio-fs without daemon path in configuration file", "virtio-fs-without-daemon"),
    ("file /usr/share/kata-containers/vmlinuz-snp.container does not exist", "file-does-not-exist"),
    ("ctr: failed to create shim task: failed to launch qemu: exit status 1, error messages from qemu log: ...", "qemu-launch-failed"),
    ("Failed to check if grpc server is working: rpc error: code = DeadlineExceeded desc = timed out", "agent-never-up"),
    ("cat: can't open '/dev/sev-guest': No such file or directory", "no-dev-sev-guest"),
    ("qemu-system-x86_64: kvm_create_guest_memfd: Operation not permitted", "guest-memfd-eperm"),
]


def test_builtin_loads_without_problems_and_holds_the_22_reference_errors() -> None:
    kb = load_knowledge()
    assert kb.problems == ()
    ids = [e.id for e in kb.errors]
    assert len(ids) == len(set(ids))
    for _, error_id in REFERENCE_22:
        assert error_id in ids
    assert ids[:22] == [error_id for _, error_id in REFERENCE_22]  # the reference's order
    for e in kb.errors:
        assert e.title and e.cause and e.fix and e.patterns and e.source, e.id


@pytest.mark.parametrize("text,error_id", REFERENCE_22, ids=[e for _, e in REFERENCE_22])
def test_each_reference_error_is_recognised(text: str, error_id: str) -> None:
    found = [e.id for e in match(text)]
    assert found and found[0] == error_id, found


@pytest.mark.parametrize("text,error_id", [
    ("jq: Unknown option -X\nUse jq --help for help with command-line options,", "yq-wrong"),
    ("jq: error: snp/0 is not defined at <top-level>, line 1:", "yq-wrong"),
    ("/bin/bash: line 1: docker: command not found", "docker-missing"),
    ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", "docker-missing"),
    ("../meson.build:1549:4: ERROR: Problem encountered: virtio-9p (virtfs) requires libcap-ng-devel and libattr-devel", "qemu-virtfs-deps"),
    ("/bin/sh: 1: flex: not found", "kernel-build-tools-missing"),
    ("fatal: not a git repository (or any of the parent directories): .git", "not-a-git-checkout"),
    ("sudo: a password is required", "sudo-password"),
    ("mkdir: cannot create directory '/opt/cni': File exists", "cni-dir-exists"),
    ("error[E0463]: can't find crate for `std`\n  = note: the `x86_64-unknown-linux-musl` target may not be installed", "rust-target-missing"),
    ("containerd: not found on PATH; install containerd (with the CRI plugin) first", "containerd-missing"),
    ("ctr: failed to dial \"/run/containerd/containerd.sock\": context deadline exceeded", "containerd-not-running"),
    ("write error: No space left on device", "disk-full"),
])
def test_build_time_errors_of_the_guides_steps(text: str, error_id: str) -> None:
    assert error_id in [e.id for e in match(text)]


def test_ordinary_output_matches_nothing() -> None:
    for name in ("kernel-build", "qemu-make", "qemu-configure", "ovmf-build", "agent-build", "rootfs-build", "runtime-build"):
        text = (builtin_knowledge_path().parent / "demo" / "build" / f"{name}.log").read_text()
        assert match(text) == [], name


def test_best_match_first_by_step_then_by_position() -> None:
    text = "fatal: not a git repository\n...\nERROR: yq command is not in your $PATH\n"
    assert [e.id for e in match(text)] == ["yq-wrong", "not-a-git-checkout"]  # the later error first
    assert [e.id for e in match(text, step="ovmf-build")][0] == "yq-wrong"  # both come from it: position decides
    # step-specific entries win over position
    assert match(text, step="initrd-install")[0].id == "not-a-git-checkout"


def test_stage_filter() -> None:
    text = "sudo: a password is required\nImage and initrd path cannot be both set"
    assert {e.id for e in match(text, stage="build")} == {"sudo-password"}
    assert "image-and-initrd" in {e.id for e in match(text, stage="config")}


def test_hits_carry_the_line_and_its_number() -> None:
    hits = default_knowledge().find("one\ntwo\nERROR: yq command is not in your $PATH\nfour")
    assert hits[0].line == "ERROR: yq command is not in your $PATH" and hits[0].line_number == 3


def test_fix_commands_get_the_workspace() -> None:
    e = default_knowledge().get("qemu-no-virtio-9p")
    assert any(c.startswith("cd /srv/ws/qemu && ./configure --enable-virtfs") for c in e.commands_for("/srv/ws"))


def test_bad_regexes_and_bad_entries_are_skipped_not_fatal() -> None:
    kb = parse_knowledge(r'''
[[error]]
id = "half-good"
title = "One bad pattern, one good"
patterns = ['(unclosed', 'good \d+']
cause = "c"
fix = "f"

[[error]]
id = "all-bad"
title = "Only bad patterns"
patterns = ['[a-', '*oops']
cause = "c"
fix = "f"

[[error]]
id = "empty-match"
title = "Matches everything"
patterns = ['x*']
cause = "c"
fix = "f"

[[error]]
title = "no id"
patterns = ['z']
cause = "c"
fix = "f"

[[error]]
id = "half-good"
title = "duplicate"
patterns = ['dup']
cause = "c"
fix = "f"

[[error]]
id = "extra"
title = "Unknown key and stage"
patterns = ['extra']
cause = "c"
fix = "f"
stages = ["nowhere"]
colour = "red"
''', "test kb")
    assert [e.id for e in kb.errors] == ["half-good", "extra"]
    problems = "\n".join(kb.problems)
    assert "'(unclosed' is not a valid regex" in problems
    assert "entry 'all-bad': no usable pattern; skipped" in problems
    assert "matches empty text" in problems
    assert "lacks id" in problems
    assert "repeats id 'half-good'" in problems
    assert "unknown key 'colour'" in problems and "unknown stage 'nowhere'" in problems
    assert [e.id for e in kb.match("good 42")] == ["half-good"]


def test_unreadable_or_invalid_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError):
        load_knowledge(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[error]\n")
    with pytest.raises(KnowledgeError, match="not valid TOML"):
        load_knowledge(bad)


def test_the_data_file_is_plain_toml_with_known_steps() -> None:
    from kata_snp_tui.recipe import load_recipe

    data = tomllib.loads(builtin_knowledge_path().read_text())
    step_ids = set(load_recipe().ids)
    for entry in data["error"]:
        for s in entry.get("steps", []):
            assert s in step_ids, f"{entry['id']} names unknown step {s}"


def test_a_long_log_is_searched_at_its_end() -> None:
    text = "noise line\n" * 200_000 + "ERROR: yq command is not in your $PATH\n"
    assert match(text)[0].id == "yq-wrong"
