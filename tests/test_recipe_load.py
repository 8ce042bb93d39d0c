"""The recipe: the built-in one follows the guide; bad recipes are refused with a message naming the step."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHARED
from kata_snp_tui.recipe import (
    RecipeError,
    TreeCheck,
    display_command,
    load_recipe,
    parse_recipe,
    placeholders_in_quotes,
    tree_warning,
)

GUIDE = SHARED / "upstream" / "how-to-run-kata-containers-with-SNP-VMs.md"
DEV_GUIDE = SHARED / "upstream" / "Developer-Guide-3.2.0.md"
CONTAINERD = SHARED / "upstream" / "containerd-kata-3.2.0.md"


def guide_commands(path: Path) -> set[str]:
    """Every ``$ command`` line of the document's code blocks."""
    return {m.group(1).strip() for m in re.finditer(r"^\$ (.+)$", path.read_text(), re.M)}


# ---------------------------------------------------------------------- the built-in recipe

def test_builtin_recipe_loads_with_every_stage_of_the_guide_in_order() -> None:
    recipe = load_recipe()
    ids = recipe.ids
    order = ["kata-source", "kata-checkout", "runtime-build", "runtime-install", "config-install", "rust-target",
             "agent-build", "rootfs-build", "agent-install", "initrd-build", "initrd-install", "kernel-setup",
             "kernel-build", "kernel-install", "ovmf-build", "ovmf-extract", "qemu-clone", "qemu-checkout",
             "qemu-configure", "qemu-make", "containerd-check", "cni-install", "containerd-kata"]
    positions = [ids.index(i) for i in order]
    assert positions == sorted(positions)
    assert recipe.variables["kata_version"] == "3.2.0"
    for s in load_recipe().resolve(Path("/w")):
        assert s.produces, f"{s.id} should say what it produces"


def _dry_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    from kata_snp_tui import cli

    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # show the commands as a non-root user runs them
    # The guide's recipe is the guide-3.2 profile (a fresh workspace on an upstream kernel would get upstream).
    assert cli.main(["build", "--profile", "guide-3.2", "--dry-run", "--workspace", str(tmp_path / "ws"), *extra]) == 0
    return capsys.readouterr().out


def test_dry_run_prints_the_guides_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = _dry_run(tmp_path, monkeypatch, capsys)
    printed = {line[2:] for line in out.splitlines() if line.startswith("$ ")}
    snp = guide_commands(GUIDE)
    dev = guide_commands(DEV_GUIDE)
    ctd = guide_commands(CONTAINERD)
    # The SNP-specific steps, exactly as the guide writes them (pushd/popd become each step's folder).
    for command in [
        "./kernel/build-kernel.sh -a x86_64 -x snp setup",
        "./kernel/build-kernel.sh -a x86_64 -x snp build",
        'sudo -E PATH="${PATH}" ./kernel/build-kernel.sh -x snp install',
        "./build.sh",
        "tar -xvf edk2-x86_64.tar.gz",
        "source kata-containers/tools/packaging/scripts/lib.sh",
        'qemu_url="$(get_from_kata_deps "assets.hypervisor.qemu-snp-experimental.url")"',
        'qemu_tag="$(get_from_kata_deps "assets.hypervisor.qemu-snp-experimental.tag")"',
        'git clone "${qemu_url}"',
        "pushd qemu",
        'git checkout "${qemu_tag}"',
        "./configure --enable-virtfs --target-list=x86_64-softmmu --enable-debug",
        'make -j "$(nproc)"',
    ]:
        assert command in snp, f"not in the guide: {command}"
        assert command in printed, f"not in the dry run: {command}"
    # The Developer Guide steps the SNP guide points to.
    for command in [
        "git clone https://github.com/kata-containers/kata-containers.git",
        "sudo mkdir -p /etc/kata-containers/",
        "sudo install -o root -g root -m 0640 /usr/share/defaults/kata-containers/configuration.toml /etc/kata-containers",
        'rustup target add "${ARCH}-unknown-linux-${LIBC}"',
        "make -C kata-containers/src/agent SECCOMP=no",
        'commit="$(git log --format=%h -1 HEAD)"',
        'sudo install -o root -g root -m 0640 -D kata-containers-initrd.img "/usr/share/kata-containers/${image}"',
        '(cd /usr/share/kata-containers && sudo ln -sf "$image" kata-containers-initrd.img)',
    ]:
        assert command in dev, f"not in the developer guide: {command}"
        assert command in printed, f"not in the dry run: {command}"
    for inner in ["script -fec 'sudo -E AGENT_INIT=yes USE_DOCKER=true ./rootfs.sh \"${distro}\"'",
                  "script -fec 'sudo -E AGENT_INIT=yes USE_DOCKER=true ./initrd_builder.sh \"${ROOTFS_DIR}\"'"]:
        assert inner in dev
        assert any(inner in line for line in printed), inner
    # make && sudo -E "PATH=$PATH" make install: the same two commands, one step each
    assert 'make && sudo -E "PATH=$PATH" make install' in dev
    assert "make" in printed and 'sudo -E PATH="${PATH}" make install' in printed
    for command in ["git clone https://github.com/containernetworking/plugins.git", "./build_linux.sh",
                    "sudo mkdir /opt/cni", "sudo cp -r bin /opt/cni/",
                    "git clone https://github.com/kubernetes-sigs/cri-tools.git", "sudo -E make install"]:
        assert command in ctd and command in printed, command
    # the 3.2.0 tag is offered, variables are filled in
    assert "git checkout 3.2.0" in printed
    assert f"cd {tmp_path / 'ws'}/kata-containers/tools/packaging" in out
    assert "{" + "workspace}" not in out


def test_dry_run_follows_the_recipe_order_and_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = _dry_run(tmp_path, monkeypatch, capsys, "--only", "qemu-make", "kernel-setup")
    headers = [line for line in out.splitlines() if line.startswith("# [")]
    assert headers == ["# [1/2] kernel-setup: Set up the SNP guest kernel source", "# [2/2] qemu-make: Build QEMU"]
    assert not (tmp_path / "ws").exists()  # a dry run creates nothing


def test_dry_run_with_set_overrides_a_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = _dry_run(tmp_path, monkeypatch, capsys, "--only", "kata-checkout", "--set", "kata_version=3.2.1")
    assert "$ git checkout 3.2.1" in out


def test_tree_warning_for_a_checkout_newer_than_the_guide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = load_recipe()
    ws = tmp_path / "ws"
    (ws / "kata-containers").mkdir(parents=True)
    (ws / "kata-containers" / "VERSION").write_text("3.2.0\n")
    assert recipe.check_tree(ws).warning is None
    (ws / "kata-containers" / "VERSION").write_text("3.5.0\n")
    status = recipe.check_tree(ws)
    assert status.version == "3.5.0" and "-x snp" in status.warning
    from kata_snp_tui import cli

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert cli.main(["build", "--profile", "guide-3.2", "--dry-run", "--workspace", str(ws), "--only", "kernel-setup"]) == 0
    assert "newer than the guide's 3.2.x" in capsys.readouterr().err


def test_tree_warning_versions() -> None:
    tree = TreeCheck(version_file="", matches="3.2", incompatible_from="3.3.0", warning="W")
    assert tree_warning("3.2.0", tree) is None
    assert tree_warning("3.2.1-alpha0", tree) is None
    assert "W" in tree_warning("3.3.0", tree)
    assert "W" in tree_warning("3.12.0", tree)
    assert "written for 3.2.x" in tree_warning("3.1.0", tree)
    assert "cannot tell" in tree_warning("main", tree)


# ------------------------------------------------------------------------- variables and quoting

def test_argv_is_literal_and_shell_is_quoted() -> None:
    recipe = parse_recipe('''
[variables]
name = "it's $(x) `y`; z"
[[steps]]
id = "a"
title = "argv {name}"
argv = ["echo", "{name}", "${HOME}"]
[[steps]]
id = "b"
title = "shell"
shell = "echo {name} ${HOME}"
''')
    a, b = recipe.resolve(Path("/w w"))
    assert a.argv == ("echo", "it's $(x) `y`; z", "${HOME}")
    assert a.cwd == Path("/w w") and a.title == "argv it's $(x) `y`; z"
    assert b.shell == "echo " + shlex.quote("it's $(x) `y`; z") + " ${HOME}"
    assert display_command(a) == ["echo " + shlex.quote("it's $(x) `y`; z") + " '${HOME}'"]


def test_placeholder_inside_quotes_in_a_shell_step_is_refused() -> None:
    assert placeholders_in_quotes('echo "{workspace}/x"') == ["workspace"]
    assert placeholders_in_quotes("echo '{workspace}'") == ["workspace"]
    assert placeholders_in_quotes('echo {workspace} "${HOME}" \'${x}\' \\"{y}') == []
    with pytest.raises(RecipeError, match=r"step 'q'.*inside quotes"):
        parse_recipe('[[steps]]\nid = "q"\ntitle = "q"\nshell = \'cd "{workspace}"\'\n')


# ------------------------------------------------------------------------------ bad recipes

BAD = {
    "unknown-key": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\nsudoo = true\n', r"step 'a': unknown key 'sudoo'"),
    "duplicate-id": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\n[[steps]]\nid = "a"\ntitle = "B"\nargv = ["true"]\n',
                     r"step 'a' \(step 2\) repeats the id of step 1"),
    "missing-need": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\nneeds = ["ghost"]\n', r"step 'a' needs 'ghost', which is not a step"),
    "cycle": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\nneeds = ["b"]\n'
              '[[steps]]\nid = "b"\ntitle = "B"\nargv = ["true"]\nneeds = ["a"]\n', r"cycle: a -> b -> a"),
    "self-need": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\nneeds = ["a"]\n', r"step 'a' needs itself"),
    "later-need": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\nneeds = ["b"]\n[[steps]]\nid = "b"\ntitle = "B"\nargv = ["true"]\n',
                   r"step 'a' needs 'b', which comes after it"),
    "no-command": ('[[steps]]\nid = "a"\ntitle = "A"\n', r"step 'a': has no command"),
    "both-commands": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\nshell = "true"\n', r"step 'a': has both 'argv' and 'shell'"),
    "empty-argv": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = []\n', r"step 'a': 'argv' must be a non-empty list"),
    "unknown-variable": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["echo", "{nope}"]\n', r"step 'a': uses unknown variable \{nope\}"),
    "bad-id": ('[[steps]]\nid = "Not OK"\ntitle = "A"\nargv = ["true"]\n', r"step 'Not OK': id must be"),
    "no-steps": ('[variables]\nx = "1"\n', r"no steps"),
    "not-toml": ('[[steps]\nid = ', r"not valid TOML"),
    "bad-sudo-type": ('[[steps]]\nid = "a"\ntitle = "A"\nargv = ["true"]\nsudo = "yes"\n', r"step 'a': 'sudo' must be true or false"),
    "unknown-top-key": ('[[step]]\nid = "a"\n', r"unknown top-level key: 'step'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_recipes_raise_a_clear_error(case: str) -> None:
    text, pattern = BAD[case]
    with pytest.raises(RecipeError, match=pattern):
        parse_recipe(text, "my.toml")


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_recipes_exit_2_before_anything_runs(tmp_path: Path, case: str) -> None:
    text, _ = BAD[case]
    recipe = tmp_path / "bad.toml"
    recipe.write_text(text)
    marker = tmp_path / "ws"
    proc = subprocess.run(
        [sys.executable, "-m", "kata_snp_tui", "build", "--recipe", str(recipe), "--yes", "--workspace", str(marker)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("kata-snp-tui: ") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not marker.exists()


def test_missing_recipe_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="no such file"):
        load_recipe(tmp_path / "nope.toml")


def test_unknown_set_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="unknown recipe variable 'kata_versoin'"):
        load_recipe().resolve(tmp_path, {"kata_versoin": "3.3.0"})


# ------------------------------------------------------------ any value survives the shell

from hypothesis import given, settings, HealthCheck  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_any_variable_value_reaches_a_shell_step_literally(value: str) -> None:
    recipe = parse_recipe('''
[variables]
v = "placeholder"
[[steps]]
id = "echo"
title = "echo"
shell = "printf '%s' {v}"
''')
    step = recipe.resolve(Path("/"), {"v": value})[0]
    out = subprocess.run(list(step.command()), capture_output=True, timeout=30).stdout
    assert out.decode("utf-8", "surrogateescape") == value
