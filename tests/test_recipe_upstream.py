"""The upstream profile's recipe (assets/recipe-upstream.toml): `build --profile upstream --dry-run` prints
exactly these commands, and the archive check it runs before unpacking to / refuses a foreign path."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from kata_snp_tui import profiles as prof
from kata_snp_tui.recipe import load_recipe

WS = "/home/dev/kata-snp-workspace"
URL = "https://github.com/kata-containers/kata-containers/releases/download/4.1.0/kata-go-static-4.1.0-amd64.tar.zst"
ARCHIVE = f"{WS}/downloads/kata-go-static-4.1.0-amd64.tar.zst"
CNI = f"{WS}/downloads/cni-plugins-linux-amd64-v1.2.0.tgz"

#: (step id, the one-line commands of its dry run; a shell step's first lines).
EXPECTED = [
    ("kata-download", [f"curl -fL --retry 3 --create-dirs -o {ARCHIVE}.part {URL}", f"mv {ARCHIVE}.part {ARCHIVE}"]),
    ("kata-inspect", [f"listing=$(tar --zstd -tf {ARCHIVE})"]),
    ("kata-install", [f"tar --zstd -C / -xf {ARCHIVE}"]),
    ("kata-links", ["ln -sf /opt/kata/bin/containerd-shim-kata-v2 /opt/kata/bin/kata-runtime "
                    "/opt/kata/bin/kata-collect-data.sh /usr/local/bin/"]),
    ("config-dir", ["mkdir -p /etc/kata-containers/"]),
    ("snp-config-install", ["install -o root -g root -m 0640 "
                            "/opt/kata/share/defaults/kata-containers/configuration-qemu-snp.toml "
                            "/etc/kata-containers/configuration.toml"]),
    ("containerd-check", ['command -v containerd || { echo "containerd: not found on PATH; install containerd 2.x '
                          '(or 1.7) with the CRI plugin first" >&2; exit 1; }', "containerd --version"]),
    ("cni-download", [f"curl -fL --retry 3 --create-dirs -o {CNI}.part "
                      "https://github.com/containernetworking/plugins/releases/download/v1.2.0/"
                      "cni-plugins-linux-amd64-v1.2.0.tgz", f"mv {CNI}.part {CNI}"]),
    ("cni-install", ["mkdir -p /opt/cni/bin", f"tar -C /opt/cni/bin -xzf {CNI}"]),
    ("cni-config", ["mkdir -p /etc/cni/net.d", "cat > /etc/cni/net.d/10-mynet.conf <<'EOF'"]),
    ("containerd-kata-v3", ["config=/etc/containerd/config.toml", "mkdir -p /etc/containerd"]),
    ("containerd-restart", ["systemctl restart containerd"]),
]
ROOT_STEPS = {"kata-install", "kata-links", "config-dir", "snp-config-install", "cni-install", "cni-config",
              "containerd-kata-v3", "containerd-restart"}


def dry_run(*extra: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "kata_snp_tui", "build", "--profile", "upstream", "--dry-run",
                           "--workspace", WS, *extra], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def blocks(out: str) -> dict[str, list[str]]:
    """Step id -> its '$ ' command lines, from the dry run."""
    result: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("# [") and "] " in line:
            current = line.split("] ", 1)[1].split(":", 1)[0]
            result[current] = []
        elif current and line.startswith("$ "):
            result[current].append(line[2:])
    return result


def test_dry_run_prints_the_exact_commands_in_order() -> None:
    out = dry_run()
    head = out.splitlines()[:4]
    assert head == [
        "# Kata Containers 4.1.0 with AMD SEV-SNP VMs (upstream profile: release artifacts, Go runtime)",
        f"# workspace: {WS}",
        "# Profile: upstream (Current Kata (4.1.0) on an upstream SNP host): --profile upstream",
        "# 12 steps; nothing is run (dry run)",
    ]
    got = blocks(out)
    assert list(got) == [step for step, _ in EXPECTED]
    for step, commands in EXPECTED:
        assert got[step][: len(commands)] == commands, step
    for line in out.splitlines():
        if line.startswith("# [") and "] " in line:
            step = line.split("] ", 1)[1].split(":", 1)[0]
            assert ("[as root]" in line) == (step in ROOT_STEPS), line
    # containerd 2.x: configuration version 3 and its CRI runtime plugin.
    kata_v3 = "\n".join(got["containerd-kata-v3"])
    assert "if grep -Eq '^version *= *3' \"$config\"; then" in kata_v3
    assert "  plugin='io.containerd.cri.v1.runtime'" in kata_v3
    assert '[plugins."${plugin}".containerd.runtimes.kata]' in kata_v3
    assert '  runtime_type = "io.containerd.kata.v2"' in kata_v3


def test_nothing_of_the_guides_source_build() -> None:
    out = dry_run()
    for old in ("-x snp", "edk2-x86_64.tar.gz", "OVMF.fd", "qemu-snp-experimental", "yq", "git clone"):
        assert old not in out


def test_workspace_and_version_are_variables() -> None:
    out = dry_run("--set", "kata_version=4.0.0", "--only", "kata-download")
    assert "https://github.com/kata-containers/kata-containers/releases/download/4.0.0/" \
           "kata-go-static-4.0.0-amd64.tar.zst" in out


def test_step_ids_do_not_reuse_the_guides_for_other_work() -> None:
    """The build state is kept per workspace and step id: a step id both recipes use must leave the same
    thing behind (its ``creates``), however it gets there (the guide builds the CNI plugins, upstream
    unpacks the release), so a step done under one profile is truly done under the other."""
    guide = {s.id: s for s in load_recipe(prof.get_profile("guide-3.2").recipe_path).resolve(Path(WS), {})}
    upstream = {s.id: s for s in load_recipe(prof.get_profile("upstream").recipe_path).resolve(Path(WS), {})}
    shared = set(guide) & set(upstream)
    assert shared  # the two recipes do share the host's CNI and containerd steps
    for step_id in shared:
        assert (guide[step_id].creates, guide[step_id].sudo) == (upstream[step_id].creates, upstream[step_id].sudo) \
            or step_id == "containerd-check", step_id
    # and no id of the guide's source build is reused for the release download
    assert not shared & {"kata-source", "kata-checkout", "kernel-build", "qemu-make", "ovmf-build", "rootfs-build"}


# --------------------------------------------------------- the archive check, run for real

needs_zstd = pytest.mark.skipif(shutil.which("zstd") is None, reason="zstd is not installed")


def _inspect_script(archive: Path) -> str:
    steps = load_recipe(prof.get_profile("upstream").recipe_path).resolve(archive.parent.parent, {})
    step = next(s for s in steps if s.id == "kata-inspect")
    assert step.shell is not None
    return step.shell


def _archive(tmp_path: Path, members: list[str]) -> Path:
    root = tmp_path / "tree"
    for m in members:
        path = root / m
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    downloads = tmp_path / "ws" / "downloads"
    downloads.mkdir(parents=True)
    plain = tmp_path / "a.tar"
    with tarfile.open(plain, "w") as tar:
        tar.add(root, arcname=".")
    target = downloads / "kata-go-static-4.1.0-amd64.tar.zst"
    subprocess.run(["zstd", "-q", "-o", str(target), str(plain)], check=True)
    return target


@needs_zstd
def test_inspect_passes_an_opt_kata_archive(tmp_path: Path) -> None:
    archive = _archive(tmp_path, ["opt/kata/bin/containerd-shim-kata-v2", "opt/kata/share/ovmf/AMDSEV.fd",
                                  "opt/kata/share/defaults/kata-containers/configuration-qemu-snp.toml"])
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", _inspect_script(archive)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "./opt/kata/share/ovmf/AMDSEV.fd" in proc.stdout


@needs_zstd
def test_inspect_refuses_a_path_outside_opt_kata(tmp_path: Path) -> None:
    archive = _archive(tmp_path, ["opt/kata/bin/containerd-shim-kata-v2", "etc/passwd"])
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", _inspect_script(archive)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert "the archive holds paths outside ./opt/kata" in proc.stderr and "./etc/passwd" in proc.stderr
