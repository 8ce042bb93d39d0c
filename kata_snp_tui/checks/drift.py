"""Profile drift: the host's Kata, checkout, yq, kernel, QEMU and containerd against the chosen profile.

A profile (kata_snp_tui.profiles) pins what fits together: the guide's Kata 3.2 tree with yq 3.4.1, AMD's
5.19 SNP host branch and the non-UPM ``qemu-snp-experimental``; or current Kata with yq 4, an upstream
6.11+ host kernel and upstream QEMU 9.1+. Mixing them breaks in known ways (reference/kata-upstream.md
sections 0, 3 and 5); each check here says which part drifts, what breaks, and which profile fits.

Drift is a warning, never a readiness failure (group "Profile" is reported beside the capability checks,
like Toolchain and Kata). A fact that cannot be read is ``skip``, never a verdict.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kata_snp_tui.checks import kernel_kind as kk
from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.facts import Facts, show
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.runner import CheckSpec, Outcome, passed, skipped, warned
from kata_snp_tui.checks.toolchain import YQ_MIKEFARAH, YQ_PYTHON, command_evidence, first_line
from kata_snp_tui.probes import version_probe

GROUP = "Profile"

#: Where the runtime (and ``ctr``) looks for its configuration, in order (kata-upstream.md section 1.1).
KATA_CONFIGS = ("/etc/kata-containers/configuration.toml", "/usr/share/defaults/kata-containers/configuration.toml")
#: Relative to the workspace: the guide's QEMU build and the kata-containers checkout's VERSION file.
GUIDE_QEMU_REL = "qemu/build/qemu-system-x86_64"
TREE_VERSION_REL = "kata-containers/VERSION"

_VERSION = re.compile(r"\bv?(\d+)\.(\d+)(?:\.(\d+))?")
_KATA_RUNTIME = re.compile(r"kata-runtime\s*:\s*v?(\d+\.\d+(?:\.\d+)?\S*)")
_QEMU = re.compile(r"QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?")

#: What goes wrong when the kernel kind and the profile disagree (kata-upstream.md section 5, errors 9 and 13).
_KERNEL_BREAKS = {
    ("amd-snp-5.19", kk.UPSTREAM): (
        "its QEMU (Kata 3.2's qemu-snp-experimental) is the non-UPM QEMU: on a guest_memfd kernel the launch fails "
        "with 'sev_snp_launch_update: SNP_LAUNCH_UPDATE ret=-22' and 'failed to encrypt pflash rom'"),
    ("amd-snp-5.19", kk.AMD_GMEM): (
        "its non-UPM qemu-snp-experimental cannot start SNP guests on a guest_memfd kernel "
        "('SNP_LAUNCH_UPDATE ret=-22', 'failed to encrypt pflash rom')"),
    ("upstream-6.11", kk.AMD_519): (
        "its QEMU (upstream 9.1+, guest_memfd) needs the upstream KVM SNP interface: on this kernel QEMU stops "
        "with 'vm-type snp not supported by KVM'"),
    ("upstream-6.11", kk.AMD_GMEM): (
        "AMD's pre-upstream guest_memfd trees changed the KVM SNP interface before the 6.11 merge; upstream "
        "QEMU 9.1+ expects the 6.11 one"),
}


# ------------------------------------------------------------------------------- profile helpers
def _profiles(f: Facts) -> tuple[Any, ...]:
    return tuple(getattr(f, "profiles", ()) or ())


def _chosen(f: Facts) -> Any | None:
    choice = getattr(f, "profile_choice", None)
    return getattr(choice, "profile", None) if choice is not None else None


def _choice_evidence(f: Facts) -> Evidence:
    choice = f.profile_choice
    how = {"option": "--profile", "installed": "from the installed Kata", "checkout": "from the checkout",
           "default": "the default"}.get(choice.source, choice.source)
    return Evidence("profile", f"{choice.profile.id} ({how}: {choice.reason})")


def _fitting(f: Facts, test: Callable[[Any], bool]) -> Any | None:
    for p in _profiles(f):
        try:
            if test(p):
                return p
        except (AttributeError, TypeError, ValueError):
            continue
    return None


def _switch(fit: Any | None, why: str, alternative: str) -> str:
    """The remedy: the profile that fits (with the commands), or else ``alternative`` alone."""
    if fit is None:
        return alternative
    return (f"The '{fit.id}' profile fits {why} ({fit.title}): use --profile {fit.id}\n"
            f"  kata-snp-tui --profile {fit.id}          (the wizard)\n"
            f"  kata-snp-tui check --profile {fit.id}    (these checks)\n"
            f"Or {alternative[:1].lower()}{alternative[1:]}")


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    m = _VERSION.search(text)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def in_range(version: tuple[int, ...], low: str | None, below: str | None) -> bool:
    lo = version_tuple(low) if low else None
    hi = version_tuple(below) if below else None
    return (lo is None or version >= lo) and (hi is None or version < hi)


def kata_fits(profile: Any, version: str) -> bool:
    v = version_tuple(version)
    return v is not None and in_range(v, profile.kata_min, profile.kata_below)


def _profile_for_kata(f: Facts, version: str) -> Any | None:
    return _fitting(f, lambda p: kata_fits(p, version))


def _no_profile(f: Facts) -> Outcome | None:
    if _chosen(f) is None:
        reason = getattr(f, "profile_reason", None) or "no profile was chosen"
        return skipped(f"Not compared: {reason}.", Evidence("profile", reason),
                       remedy="kata-snp-tui check --profile guide-3.2   (or --profile upstream)")
    return None


# ----------------------------------------------------------------------------------- the checks
def _kata_breaks(profile: Any, version: str) -> str:
    v = version_tuple(version) or (0,)
    if profile.yq_major == 3 and v >= (3, 3):
        parts = ["build-kernel.sh rejects '-x snp' (-x takes no argument since 3.3)",
                 "the kernel installs as vmlinuz-confidential.container, not vmlinuz-snp.container"]
        if v >= (3, 6):
            parts.append("lib.sh needs yq v4, not the profile's 3.4.1")
        return "; ".join(parts)
    if profile.yq_major != 3 and v < (3, 3):
        return ("3.2's build-kernel.sh wants '-x snp', its lib.sh runs 'yq read -X' (yq 3.4.1, not v4), and its "
                "qemu-snp-experimental is the non-UPM QEMU that does not run on a 6.11+ host")
    return f"the profile's recipe and configuration changes were written for Kata {profile.kata_version}"


def profile_kata(f: Facts) -> Outcome:
    if (o := _no_profile(f)) is not None:
        return o
    profile = _chosen(f)
    result = f.command("kata-runtime")
    ev = command_evidence(result)
    if not result.found:
        return skipped("kata-runtime is not installed: nothing to compare yet (the Build stage installs the "
                       f"profile's Kata {profile.kata_version}).", ev, _choice_evidence(f),
                       remedy="Nothing to do before the Build stage.")
    m = _KATA_RUNTIME.search(result.text)
    if not result.ok or m is None:
        return skipped("kata-runtime did not report a version: cannot compare it with the profile.", ev,
                       _choice_evidence(f), remedy="kata-runtime --version")
    version = m.group(1)
    if kata_fits(profile, version):
        return passed(f"Installed Kata {version} fits the '{profile.id}' profile.", ev, _choice_evidence(f))
    fit = _profile_for_kata(f, version)
    return warned(f"Installed Kata {version} does not match the '{profile.id}' profile (Kata "
                  f"{profile.kata_version}): {_kata_breaks(profile, version)}.", ev, _choice_evidence(f),
                  remedy=_switch(fit, f"Kata {version}", f"Build and install Kata {profile.kata_version} in the "
                                 "Build stage (it installs over this one)."))


def profile_tree(f: Facts) -> Outcome:
    if (o := _no_profile(f)) is not None:
        return o
    profile = _chosen(f)
    path = str(Path(f.workspace) / TREE_VERSION_REL)
    read = f.host.read(path)
    if not read.ok:
        why = "no kata-containers checkout yet" if read.absent else f"cannot read it: {read.error}"
        return skipped(f"The checkout's VERSION is unknown ({why}).", Evidence(path, read.error or "absent"),
                       _choice_evidence(f), remedy="Nothing to do before the Build stage clones kata-containers.")
    version = (read.text or "").strip().splitlines()[0].strip() if (read.text or "").strip() else ""
    ev = Evidence(path, show(version) or "(empty)")
    if version_tuple(version) is None:
        return skipped(f"The checkout's VERSION ({show(version) or 'empty'}) is not a version.", ev,
                       _choice_evidence(f), remedy=f"cat {path}")
    if kata_fits(profile, version):
        return passed(f"The kata-containers checkout is {version}: it fits the '{profile.id}' profile.", ev,
                      _choice_evidence(f))
    fit = _profile_for_kata(f, version)
    tree = str(Path(f.workspace) / "kata-containers")
    tag = profile.kata_version
    return warned(f"The kata-containers checkout is {version}, the '{profile.id}' profile builds "
                  f"{profile.kata_version}: {_kata_breaks(profile, version)}.", ev, _choice_evidence(f),
                  remedy=_switch(fit, f"a {version} tree", f"Check out the profile's release:\n"
                                 f"  git -C {tree} fetch --tags\n  git -C {tree} checkout {tag}"))


def yq_major(text: str) -> tuple[str, int | None, str | None]:
    """(flavour, major, version) of ``yq --version``: flavour "mikefarah", "python" or "unknown"."""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    m = YQ_MIKEFARAH.match(line)
    if m:
        return "mikefarah", int(m.group(1).split(".")[0]), m.group(1)
    m = YQ_PYTHON.match(line)
    if m:
        return "python", None, m.group(1)
    return "unknown", None, None


def _yq_breaks(profile: Any, version: str, major: int) -> str:
    if profile.yq_major == 3 and major >= 4:
        return (f"Kata {profile.kata_version}'s lib.sh runs 'yq read -X' (v3 syntax), which yq {version} rejects: "
                "get_from_kata_deps returns nothing and the QEMU step's git clone gets an empty URL")
    if profile.yq_major >= 4 and major == 3:
        return (f"Kata {profile.kata_version}'s lib.sh calls yq '.assets...' (v4 syntax); yq {version} does not "
                "understand it, get_from_kata_deps returns nothing and the QEMU clone step fails with an empty URL")
    return f"the profile expects mikefarah's yq v{profile.yq_major}"


def profile_yq(f: Facts) -> Outcome:
    if (o := _no_profile(f)) is not None:
        return o
    profile = _chosen(f)
    result = f.command("yq")
    ev = command_evidence(result)
    if not result.found or not result.ok:
        return skipped("yq's version cannot be read (see tool.yq).", ev, _choice_evidence(f),
                       remedy="yq --version")
    flavour, major, version = yq_major(result.text)
    if flavour == "python":
        return warned(f"This yq is the Python jq wrapper (yq {version}), not mikefarah's: no Kata release's "
                      "lib.sh works with it ('jq: Unknown option -X' or 'jq: error: snp/0 is not defined').", ev,
                      _choice_evidence(f), remedy=f"Install mikefarah's yq v{profile.yq_major} (see tool.yq).")
    if major is None or version is None:
        return skipped(f"Unrecognised yq ({show(first_line(result), 60)}): cannot compare it.", ev,
                       _choice_evidence(f), remedy="yq --version")
    if major == profile.yq_major:
        return passed(f"mikefarah's yq {version} (v{major}) fits the '{profile.id}' profile.", ev, _choice_evidence(f))
    fit = _fitting(f, lambda p: p.yq_major == major)
    return warned(f"yq {version} is v{major}, the '{profile.id}' profile needs v{profile.yq_major}: "
                  f"{_yq_breaks(profile, version, major)}.", ev, _choice_evidence(f),
                  remedy=_switch(fit, f"yq v{major}", "Install the profile's yq (see tool.yq)."))


def profile_host_kernel(f: Facts) -> Outcome:
    if (o := _no_profile(f)) is not None:
        return o
    profile = _chosen(f)
    kind = f.kernel_kind
    ev = list(kind.evidence[:3])
    if kind.kind is None:
        return skipped(f"The host kernel's kind is unknown: {kind.reason}.", *ev, _choice_evidence(f),
                       remedy="uname -r; cat /sys/module/kvm_amd/parameters/sev_snp")
    if kind.kind == kk.NO_SNP:
        return skipped("The host kernel has no SNP host support (see host.kernel): nothing to compare.", *ev,
                       _choice_evidence(f), remedy="Fix host.kernel first.")
    if kind.kind == profile.host_kernel:
        return passed(f"The host kernel is {kind.description}: it fits the '{profile.id}' profile.", *ev,
                      _choice_evidence(f))
    breaks = _KERNEL_BREAKS.get((profile.host_kernel, kind.kind), "the profile's QEMU was built for another kernel")
    fit = _fitting(f, lambda p: p.host_kernel == kind.kind)
    want = kk.DESCRIPTIONS.get(profile.host_kernel, profile.host_kernel)
    return warned(f"The host kernel is {kind.description}; the '{profile.id}' profile needs {want}, and {breaks}.",
                  *ev, _choice_evidence(f),
                  remedy=_switch(fit, "this kernel", "Boot the kernel the profile needs:\n" +
                                 _kernel_remedy(profile.host_kernel)))


def _kernel_remedy(kind: str) -> str:
    if kind == kk.AMD_519:
        return ("  AMD's SNP host branch the guide names: sev-snp-iommu-avic_5.19-rc6_v3 of https://github.com/AMDESE/linux\n"
                "  (built as https://github.com/AMDESE/AMDSEV/tree/sev-snp-devel describes), then reboot into it.")
    return ("  Linux 6.11 or newer built with CONFIG_KVM_AMD_SEV=y (it selects guest_memfd), for example\n"
            "  sudo apt-get install linux-generic-hwe-24.04 on Ubuntu 24.04, then reboot (uname -r shows it).")


@dataclass(frozen=True)
class Qemu:
    """The QEMU the Kata configuration points at, and what it says it is."""

    path: str
    source: Evidence
    version: tuple[int, int, int] | None
    line: str
    evidence: Evidence

    @property
    def fork(self) -> bool:
        """The guide's non-UPM SNP QEMU: built from qemu-snp-experimental, or named so."""
        return "snp-experimental" in self.path or self.path.endswith("/" + GUIDE_QEMU_REL) or "snp" in self.line.lower()


def configured_qemu_path(f: Facts) -> tuple[str | None, Evidence]:
    """``[hypervisor.qemu] path`` of the configuration the runtime reads; else the guide's QEMU build."""
    for config in KATA_CONFIGS:
        read = f.host.read(config)
        if not read.ok:
            continue
        try:
            data = tomllib.loads(read.text or "")
        except tomllib.TOMLDecodeError as exc:
            return None, Evidence(config, f"does not parse: {exc}")
        path = ((data.get("hypervisor") or {}).get("qemu") or {}).get("path")
        if isinstance(path, str) and path.startswith("/"):
            return path, Evidence(config, f'[hypervisor.qemu] path = "{show(path, 100)}"')
        return None, Evidence(config, "no absolute [hypervisor.qemu] path")
    built = str(Path(f.workspace) / GUIDE_QEMU_REL)
    if f.host.exists(built):
        return built, Evidence(built, "exists (no Kata configuration yet)")
    return None, Evidence(KATA_CONFIGS[0], "absent (no Kata configuration yet, no QEMU built)")


def read_qemu(f: Facts) -> Qemu | Outcome:
    path, source = configured_qemu_path(f)
    if path is None:
        return skipped("The QEMU Kata would start is unknown: no Kata configuration names one yet.", source,
                       _choice_evidence(f), remedy="Nothing to do before the Build and Configuration stages.")
    result = f.command(version_probe(path))
    ev = command_evidence(result)
    if not result.found:
        return skipped(f"The configured QEMU {path} is not there.", source, ev, _choice_evidence(f),
                       remedy="Build QEMU in the Build stage, or fix [hypervisor.qemu] path in the configuration.")
    m = _QEMU.search(result.text)
    if not result.ok or m is None:
        return skipped(f"{path} --version did not say which QEMU it is.", source, ev, _choice_evidence(f),
                       remedy=f"{path} --version")
    version = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    return Qemu(path, source, version, first_line(result), ev)


def profile_qemu(f: Facts) -> Outcome:
    if (o := _no_profile(f)) is not None:
        return o
    profile = _chosen(f)
    q = read_qemu(f)
    if isinstance(q, Outcome):
        return q
    shown = ".".join(str(n) for n in q.version or ())
    gmem_line = f.log.last(kl.GMEM_REQUIRED)
    log_ev = f.log.evidence(gmem_line)
    minimum = profile.qemu_min_upstream
    upstream_snp = q.version is not None and q.version[:2] >= (9, 1)
    if minimum:  # the profile wants upstream QEMU with SNP (9.1+)
        need = version_tuple(minimum) or (9, 1)
        if q.version is not None and q.version[: len(need)] >= need and not q.fork:
            return passed(f"The configured QEMU is upstream {shown}: it fits the '{profile.id}' profile "
                          f"({profile.qemu}).", q.source, q.evidence, _choice_evidence(f))
        if q.fork:
            breaks = ("it is the non-UPM qemu-snp-experimental: on a guest_memfd host it fails with "
                      "'SNP_LAUNCH_UPDATE ret=-22' and 'failed to encrypt pflash rom'")
        else:
            breaks = (f"QEMU {shown} has no SEV-SNP (upstream added it in 9.1): Kata fails with \"Parameter "
                      "'qom-type' does not accept value 'sev-snp-guest'\"")
        fit = _fitting(f, lambda p: not p.qemu_min_upstream) if q.fork else None
        return warned(f"The configured QEMU ({q.path}, {shown}) does not fit the '{profile.id}' profile, which "
                      f"needs {profile.qemu}: {breaks}.", q.source, q.evidence, log_ev, _choice_evidence(f),
                      remedy=_switch(fit, "this QEMU", f"Install QEMU {minimum} or newer (for example Ubuntu 24.10+, "
                                     "Debian 13: sudo apt-get install qemu-system-x86) and point [hypervisor.qemu] "
                                     "path at it."))
    # the profile builds its own QEMU fork (the guide's non-UPM qemu-snp-experimental)
    if q.fork and not upstream_snp:
        return passed(f"The configured QEMU is the profile's own build ({q.path}, {shown}): it fits the "
                      f"'{profile.id}' profile.", q.source, q.evidence, log_ev, _choice_evidence(f))
    fit = _fitting(f, lambda p: bool(p.qemu_min_upstream)) if upstream_snp else None
    if upstream_snp:
        breaks = ("it is a guest_memfd QEMU: on AMD's 5.19 SNP host kernel it stops with 'vm-type snp not "
                  "supported by KVM'; and Kata 3.2 loads the firmware as pflash, which Kata replaced by -bios "
                  "(2025-01) for upstream QEMU")
    else:
        breaks = ("it is not the guide's SNP build: a QEMU without SNP fails with \"Parameter 'qom-type' does not "
                  "accept value 'sev-snp-guest'\"")
    built = str(Path(f.workspace) / GUIDE_QEMU_REL)
    return warned(f"The configured QEMU ({q.path}, {shown}) is not the '{profile.id}' profile's {profile.qemu}: "
                  f"{breaks}.", q.source, q.evidence, log_ev, _choice_evidence(f),
                  remedy=_switch(fit, f"QEMU {shown}", "Build the profile's QEMU in the Build stage and set "
                                 f"[hypervisor.qemu] path = \"{built}\"."))


def profile_containerd(f: Facts) -> Outcome:
    if (o := _no_profile(f)) is not None:
        return o
    profile = _chosen(f)
    result = f.command("containerd")
    ev = command_evidence(result)
    if not result.found or not result.ok:
        return skipped("containerd's version cannot be read (not installed yet?).", ev, _choice_evidence(f),
                       remedy="containerd --version")
    m = re.search(r"\s(?:v)?(\d+)\.(\d+)\.(\d+)", first_line(result))
    if m is None:
        return skipped(f"containerd did not report a version ({show(first_line(result), 60)}).", ev,
                       _choice_evidence(f), remedy="containerd --version")
    major = int(m.group(1))
    shown = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
    wants = 3 if major >= 2 else 2
    if wants == profile.containerd_config_version:
        return passed(f"containerd {shown} reads configuration version {wants}, which the '{profile.id}' profile "
                      "writes.", ev, _choice_evidence(f))
    fit = _fitting(f, lambda p: p.containerd_config_version == wants)
    table = {2: 'plugins."io.containerd.grpc.v1.cri"', 3: 'plugins."io.containerd.cri.v1.runtime"'}
    return warned(f"containerd {shown} uses configuration version {wants} ({table[wants]}), the '{profile.id}' "
                  f"profile writes version {profile.containerd_config_version} "
                  f"({table.get(profile.containerd_config_version, '?')}): "
                  + ("containerd 2.x migrates a version 2 file on every start (containerd config migrate converts "
                     "it for good)" if wants == 3 else
                     "containerd 1.7 does not read version 3 tables, so the Kata runtime entry is not found")
                  + ".", ev, _choice_evidence(f),
                  remedy=_switch(fit, f"containerd {shown}", "Install the containerd the profile expects "
                                 f"(configuration version {profile.containerd_config_version}: containerd "
                                 f"{'1.7' if profile.containerd_config_version == 2 else '2.x'})."))


SPECS = (
    CheckSpec("profile.kata", GROUP, "Installed Kata release", profile_kata),
    CheckSpec("profile.tree", GROUP, "Checkout VERSION", profile_tree),
    CheckSpec("profile.yq", GROUP, "yq major version", profile_yq),
    CheckSpec("profile.host-kernel", GROUP, "Host kernel kind", profile_host_kernel),
    CheckSpec("profile.qemu", GROUP, "Configured QEMU", profile_qemu),
    CheckSpec("profile.containerd", GROUP, "containerd version", profile_containerd),
)
