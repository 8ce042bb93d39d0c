"""Kata: what is already installed or built (these checks never change ``ready``).

Paths follow the guide (Kata 3.2 era, reference/kata-upstream.md section 3): the SNP guest
kernel and the initrd under ``/usr/share/kata-containers``, OVMF unpacked from
``edk2-x86_64.tar.gz`` under the kata-containers checkout, and QEMU built in ``qemu/build``.
The checkouts live in the workspace: ``<workspace>/kata-containers`` and ``<workspace>/qemu``.
Not built yet is the normal state before stage 2, so a missing artifact is ``info``.
"""

from __future__ import annotations

import re
from pathlib import Path

from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.runner import CheckSpec, Outcome, info, passed, warned
from kata_snp_tui.checks.toolchain import command_evidence, first_line

GROUP = "Kata"
GUIDE_KATA = "3.2"

SNP_KERNEL = "/usr/share/kata-containers/vmlinuz-snp.container"
INITRD = "/usr/share/kata-containers/kata-containers-initrd.img"
#: Relative to the workspace.
OVMF_REL = "kata-containers/tools/packaging/static-build/ovmf/opt/kata/share/ovmf/OVMF.fd"
QEMU_REL = "qemu/build/qemu-system-x86_64"

_KATA_VERSION = re.compile(r"kata-runtime\s*:\s*(\S+)")
_CONTAINERD_VERSION = re.compile(r"\bv?(\d+\.\d+\.\d+\S*)")

CONTAINERD_INSTALL = """\
Install containerd as the guide's containerd-kata.md describes (distribution package or release tarball):
  sudo apt-get install -y containerd      (provides containerd and ctr)
  sudo systemctl enable --now containerd"""


def artifact_paths(workspace: Path) -> dict[str, str]:
    """Where the guide's four build artifacts end up, by check id."""
    return {
        "kata.kernel": SNP_KERNEL,
        "kata.initrd": INITRD,
        "kata.ovmf": str(workspace / OVMF_REL),
        "kata.qemu": str(workspace / QEMU_REL),
    }


def kata_runtime(f: Facts) -> Outcome:
    result = f.command("kata-runtime")
    ev = command_evidence(result)
    if not result.found:
        return info("kata-runtime is not installed yet: the Build stage builds and installs it.", ev,
                    remedy="Build stage: build and install the Kata runtime "
                           "(make -C kata-containers/src/runtime && sudo -E PATH=$PATH make -C "
                           "kata-containers/src/runtime install)")
    m = _KATA_VERSION.search(result.text)
    if not result.ok or m is None:
        return warned("kata-runtime is installed but 'kata-runtime --version' did not report a version.", ev,
                      remedy="kata-runtime --version")
    version = m.group(1)
    profile = getattr(getattr(f, "profile_choice", None), "profile", None)
    if profile is not None:
        from kata_snp_tui.checks.drift import kata_fits

        if kata_fits(profile, version):
            return passed(f"kata-runtime {version}: it fits the '{profile.id}' profile.", ev)
        return warned(f"kata-runtime {version} is installed; the '{profile.id}' profile builds Kata "
                      f"{profile.kata_version} (see profile.kata for what breaks and which profile fits).", ev,
                      remedy=f"Build Kata {profile.kata_version} in the Build stage (it installs over this one), or "
                             "choose the profile that fits (profile.kata).")
    if version == GUIDE_KATA or version.startswith(GUIDE_KATA + "."):
        return passed(f"kata-runtime {version}: the release the guide matches.", ev)
    return warned(f"kata-runtime {version} is installed; the guide's steps match Kata {GUIDE_KATA}.x "
                  "(later releases changed build-kernel.sh -x, the kernel name and yq).", ev,
                  remedy=f"Build Kata {GUIDE_KATA}.x in the Build stage (it installs over this one), or follow the "
                         "guide of your release.")


def _installed(key: str, what: str, remedy: str) -> CheckSpec:
    def check(f: Facts) -> Outcome:
        result = f.command(key)
        ev = command_evidence(result)
        if not result.found:
            return info(f"{what} is not installed yet.", ev, remedy=remedy)
        if not result.ok:
            return warned(f"{what} is installed but '{' '.join(result.argv)}' failed.", ev,
                          remedy=" ".join(result.argv))
        m = _CONTAINERD_VERSION.search(first_line(result))
        return passed(f"{what} {m.group(1) if m else first_line(result)} is installed.", ev)

    return CheckSpec(f"kata.{key}", GROUP, what, check)


def _artifact(check_id: str, title: str, step: str) -> CheckSpec:
    def check(f: Facts) -> Outcome:
        path = artifact_paths(f.workspace)[check_id]
        if f.host.exists(path):
            return passed(f"{title} is built: {path}.", Evidence(path, "exists"))
        return info(f"{title} is not built yet.", Evidence(path, "absent"), remedy=f"Build stage: {step}")

    return CheckSpec(check_id, GROUP, title, check)


SPECS = (
    CheckSpec("kata.runtime", GROUP, "kata-runtime", kata_runtime),
    _installed("containerd", "containerd", CONTAINERD_INSTALL),
    _installed("ctr", "ctr", CONTAINERD_INSTALL),
    _artifact("kata.kernel", "SNP guest kernel",
              "build the SNP guest kernel (tools/packaging/kernel/build-kernel.sh -x snp setup, build, install)"),
    _artifact("kata.initrd", "initrd", "build the rootfs and the initrd (ubuntu, custom agent) and install it"),
    _artifact("kata.ovmf", "OVMF firmware",
              "build OVMF (tools/packaging/static-build/ovmf/build.sh, then tar -xvf edk2-x86_64.tar.gz)"),
    _artifact("kata.qemu", "SNP QEMU", "build QEMU from qemu-snp-experimental (configure --enable-virtfs ..., make)"),
)
