"""Build profiles: which one a host and a workspace get, and why; --profile; unknown ids.

Hosts are snapshots built here (hosts_helpers.HostBuilder: an upstream 6.11 SNP host by default) with a
recorded ``kata-runtime --version`` of 3.2.0, 3.5.x, the current release or none, and workspaces whose
kata-containers/VERSION is 3.2.0 or the current release. The live-host cases put a stand-in kata-runtime
on PATH (a real process).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hosts_helpers import HostBuilder, open_snapshot
from kata_snp_tui import profiles as prof
from kata_snp_tui.config.changes import load_change_set
from kata_snp_tui.errors import UserError
from kata_snp_tui.host import LiveHost, SnapshotHost
from kata_snp_tui.recipe import load_recipe

CURRENT = prof.get_profile("upstream").kata_version
AMD_519 = "5.19.0-rc6-snp-host-3a885471cf89"


def kata_output(version: str) -> str:
    return (f"kata-runtime  : {version}\n   commit   : 0123456789abcdef\n   OCI specs: 1.1.0\n")


def host(tmp_path: Path, kata: str | None = None, kernel: str | None = None,
         tree: str | None = None, workspace: Path | None = None) -> SnapshotHost:
    builder = HostBuilder(tmp_path / "snap")
    if kernel:
        builder.kernel(kernel)
    if kata:
        builder.command("kata-runtime", kata_output(kata))
    if tree is not None:
        assert workspace is not None
        builder.file(str(workspace / "kata-containers" / "VERSION"), tree + "\n")
    return open_snapshot(builder.build())


# ----------------------------------------------------------------------------- the data


def test_two_profiles_with_their_assets() -> None:
    ids = [p.id for p in prof.load_profiles()]
    assert ids == ["guide-3.2", "upstream"]
    guide, upstream = prof.get_profile("guide-3.2"), prof.get_profile("upstream")
    # guide-3.2 is today's behaviour: the built-in recipe and the guide's changes.
    assert (guide.recipe, guide.changes, guide.config_base) == ("recipe.toml", "changes.toml", "configuration-qemu.toml")
    assert (guide.kata_min, guide.kata_below, guide.yq_major, guide.host_kernel) == ("3.2.0", "3.3.0", 3, "amd-snp-5.19")
    assert guide.containerd_config_version == 2 and guide.qemu_min_upstream is None and guide.kernel_hashes is False
    assert upstream.config_base == "configuration-qemu-snp.toml" and upstream.kata_below is None
    assert (upstream.yq_major, upstream.host_kernel, upstream.containerd_config_version) == (4, "upstream-6.11", 3)
    assert upstream.qemu_min_upstream == "9.1" and upstream.kernel_hashes is True
    for p in (guide, upstream):
        recipe = load_recipe(p.recipe_path)  # validated by recipe.py
        assert recipe.steps
        assert load_change_set(p.changes).changes


@pytest.mark.parametrize(("version", "expected"), [
    ("3.2.0", "guide-3.2"), ("3.2.2", "guide-3.2"), ("3.3.0", None), ("3.5.1", None), ("3.13.0", None),
    ("3.14.0", "upstream"), (CURRENT, "upstream"), ("4.1.0-rc0", "upstream"), ("nonsense", None),
])
def test_profile_for_kata_version(version: str, expected: str | None) -> None:
    found = prof.profile_for_kata_version(version)
    assert (found.id if found else None) == expected


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(prof.ProfileError) as info:
        prof.get_profile("guide-3.3")
    assert isinstance(info.value, UserError)
    assert str(info.value) == "unknown profile 'guide-3.3': known profiles are guide-3.2, upstream"


# ----------------------------------------------------------------- installed kata-runtime


@pytest.mark.parametrize(("kata", "kernel", "profile", "source", "words"), [
    ("3.2.0", None, "guide-3.2", "installed", ["kata-runtime 3.2.0 is installed (recorded in the snapshot)"]),
    (CURRENT, AMD_519, "upstream", "installed", [f"kata-runtime {CURRENT} is installed"]),
    ("3.5.1", None, "upstream", "default", ["the installed kata-runtime 3.5.1 fits no profile",
                                           "guide-3.2: 3.2.x, upstream: 3.14.0 and later", "6.11 or newer"]),
    ("3.5.1", AMD_519, "guide-3.2", "default", ["3.5.1 fits no profile", "AMD's 5.19 SNP host branch"]),
    (None, None, "upstream", "default", ["no kata-runtime is installed", "6.11 or newer"]),
    (None, AMD_519, "guide-3.2", "default", ["no kata-runtime is installed", AMD_519, "AMD's 5.19 SNP host branch"]),
])
def test_choice_from_the_installed_kata(tmp_path: Path, kata: str | None, kernel: str | None, profile: str,
                                        source: str, words: list[str]) -> None:
    choice = prof.choose_profile(host(tmp_path, kata, kernel), tmp_path / "ws")
    assert (choice.profile.id, choice.source, choice.kata_version) == (profile, source, kata)
    for word in words:
        assert word in choice.reason
    assert choice.line.startswith(f"Profile: {profile} (")


# ------------------------------------------------------------------------- checked-out tree


@pytest.mark.parametrize(("tree", "profile"), [("3.2.0", "guide-3.2"), (CURRENT, "upstream")])
def test_choice_from_the_checkout(tmp_path: Path, tree: str, profile: str) -> None:
    ws = tmp_path / "ws"
    choice = prof.choose_profile(host(tmp_path, tree=tree, workspace=ws, kernel=AMD_519 if tree != "3.2.0" else None), ws)
    assert (choice.profile.id, choice.source, choice.kata_version) == (profile, "checkout", tree)
    assert choice.reason == f"the kata-containers checkout is {tree} ({ws}/kata-containers/VERSION)"


def test_installed_kata_comes_before_the_checkout(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    choice = prof.choose_profile(host(tmp_path, kata=CURRENT, tree="3.2.0", workspace=ws), ws)
    assert (choice.profile.id, choice.source) == ("upstream", "installed")


def test_an_installed_kata_that_fits_nothing_falls_to_the_checkout(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    choice = prof.choose_profile(host(tmp_path, kata="3.5.1", tree="3.2.0", workspace=ws), ws)
    assert (choice.profile.id, choice.source) == ("guide-3.2", "checkout")
    assert "the installed kata-runtime 3.5.1 fits no profile" in choice.reason


def test_a_snapshot_reads_the_tree_of_the_snapshot_not_of_this_machine(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "kata-containers").mkdir(parents=True)
    (ws / "kata-containers" / "VERSION").write_text("3.2.0\n")  # on this machine: not the snapshot's
    choice = prof.choose_profile(host(tmp_path), ws)
    assert (choice.profile.id, choice.source) == ("upstream", "default")


# ---------------------------------------------------------------------------- --profile


def test_option_wins(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    snap = host(tmp_path, kata="3.2.0", tree="3.2.0", workspace=ws)
    choice = prof.choose_profile(snap, ws, "upstream")
    assert (choice.profile.id, choice.source, choice.reason, choice.kata_version) == (
        "upstream", "option", "--profile upstream", "3.2.0")
    with pytest.raises(prof.ProfileError):
        prof.choose_profile(snap, ws, "nope")


def test_the_demo_host_picks_guide_32_and_says_why() -> None:
    choice = prof.choose_for("demo", None, Path("/nonexistent/ws"))
    assert (choice.profile.id, choice.source) == ("guide-3.2", "default")
    assert "AMD's 5.19 SNP host branch" in choice.reason
    with pytest.raises(prof.ProfileError, match="the demo host replays the guide-3.2 build"):
        prof.choose_for("demo", None, None, "upstream")


# ------------------------------------------------------------ the live host (real processes)


STANDIN = """#!/bin/sh
echo ran >> "{marker}"
echo "kata-runtime  : {version}"
echo "   commit   : 0123456789abcdef"
"""


def standin_kata(bin_dir: Path, version: str, marker: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "kata-runtime"
    script.write_text(STANDIN.format(version=version, marker=marker))
    script.chmod(0o755)


def test_live_host_reads_kata_runtime_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    standin_kata(tmp_path / "bin", "3.2.0", marker)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    choice = prof.choose_profile(LiveHost(), tmp_path / "ws")
    assert (choice.profile.id, choice.source) == ("guide-3.2", "installed")
    assert choice.reason == f"kata-runtime 3.2.0 is installed ({tmp_path / 'bin' / 'kata-runtime'})"
    assert marker.read_text() == "ran\n"


def test_live_host_3_5_falls_to_the_real_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    standin_kata(tmp_path / "bin", "3.5.0", tmp_path / "ran")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    ws = tmp_path / "ws"
    (ws / "kata-containers").mkdir(parents=True)
    (ws / "kata-containers" / "VERSION").write_text("3.2.0\n")
    choice = prof.choose_profile(LiveHost(), ws)
    assert (choice.profile.id, choice.source) == ("guide-3.2", "checkout")


def test_a_snapshot_never_runs_this_machines_kata_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    standin_kata(tmp_path / "bin", "3.2.0", marker)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    choice = prof.choose_profile(host(tmp_path), tmp_path / "ws")
    assert choice.source == "default" and not marker.exists()
    prof.choose_for("demo", None, tmp_path / "ws")
    assert not marker.exists()


# ------------------------------------------------------------------------- the command line


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kata_snp_tui", *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, env=env)


@pytest.mark.parametrize("args", [
    ["build", "--profile", "nope", "--dry-run"],
    ["config", "check", "--profile", "nope", "--demo"],
    ["--profile", "nope"],
])
def test_unknown_profile_exits_2_with_one_line(args: list[str]) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stderr == "kata-snp-tui: unknown profile 'nope': known profiles are guide-3.2, upstream\n"
    assert proc.stdout == ""


@pytest.mark.parametrize("args", [
    ["--demo", "build", "--profile", "upstream", "--dry-run"],
    ["config", "check", "--demo", "--profile", "upstream"],
    ["--demo", "--profile", "upstream"],
])
def test_demo_with_the_upstream_profile_is_refused(args: list[str]) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stderr == ("kata-snp-tui: the demo host replays the guide-3.2 build; --profile upstream cannot be "
                           "combined with --demo\n")


def test_build_says_which_profile_and_why(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "kata-containers").mkdir(parents=True)
    (ws / "kata-containers" / "VERSION").write_text("3.2.0\n")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    standin_kata(tmp_path / "bin", "3.5.0", tmp_path / "ran")  # fits no profile: the checkout decides
    listing = run("build", "--list", "--workspace", str(ws), env=env)
    assert listing.returncode == 0, listing.stderr
    first = listing.stdout.splitlines()[0]
    assert first.startswith("Profile: guide-3.2 (The 2023 guide (Kata 3.2.x)): the kata-containers checkout is 3.2.0 (")
    assert "the installed kata-runtime 3.5.0 fits no profile" in first
    dry = run("build", "--dry-run", "--workspace", str(ws), "--profile", "upstream", env=env)
    assert "# Profile: upstream (Current Kata (4.1.0) on an upstream SNP host): --profile upstream\n" in dry.stdout


def test_config_says_which_profile_and_why(tmp_path: Path) -> None:
    proc = run("config", "check", "--demo")
    assert proc.stdout.splitlines()[0].startswith("Profile: guide-3.2 (The 2023 guide (Kata 3.2.x)): no kata-runtime")
    assert proc.stdout.splitlines()[0].endswith("; changes for configuration-qemu.toml")
