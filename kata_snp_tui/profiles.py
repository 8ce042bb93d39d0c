"""Build profiles: which Kata release, recipe, configuration base and host stack belong together.

The data is ``assets/profiles.toml``. Two profiles ship:

- ``guide-3.2``: the 2023 guide as written (Kata 3.2.x, yq 3, ``-x snp``, OVMF.fd, AMD's
  ``qemu-snp-experimental`` on AMD's 5.19 SNP host branch). Today's built-in recipe and changes.
- ``upstream``: the current Kata release on an upstream 6.11+ host kernel (yq 4, the confidential guest
  kernel, AMDSEV.fd, upstream QEMU), configured from upstream's own ``configuration-qemu-snp.toml``.

:func:`choose_profile` picks one for a host: ``--profile`` wins, then the installed ``kata-runtime``'s
version, then the checked-out tree's ``VERSION``, then a default from the host kernel. It reads the host
only through the :class:`~kata_snp_tui.host.Host` interface, so a snapshot or the demo host never
touches the real machine.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from kata_snp_tui.errors import UserError
from kata_snp_tui.host import Host

PROFILES_ASSET = "profiles.toml"
#: Relative to the workspace: the kata-containers checkout's VERSION file.
TREE_VERSION_REL = "kata-containers/VERSION"
GUIDE_ID = "guide-3.2"
UPSTREAM_ID = "upstream"

_KATA_RUNTIME = re.compile(r"kata-runtime\s*:\s*v?(\d+\.\d+(?:\.\d+)?\S*)")
_TREE_VERSION = re.compile(r"^\s*v?(\d+\.\d+(?:\.\d+)?\S*)")


class ProfileError(UserError):
    """An unknown profile id or a broken profiles file (one line, exit status 2)."""


@dataclass(frozen=True)
class Profile:
    id: str                  # "guide-3.2" | "upstream"
    title: str
    summary: str             # one line: what it builds and for which Kata
    kata_min: str            # lowest Kata release it fits, e.g. "3.2.0"
    kata_below: str | None   # first release it no longer fits, e.g. "3.3.0"; None = open
    kata_version: str        # the release its recipe checks out / installs
    recipe: str              # asset file name, e.g. "recipe.toml" / "recipe-upstream.toml"
    changes: str             # asset file of configuration.toml changes
    config_base: str         # "configuration-qemu.toml" | "configuration-qemu-snp.toml"
    containerd_changes: str  # asset file for containerd's config
    containerd_config_version: int   # 2 (containerd 1.7) or 3 (containerd 2.x)
    yq_major: int            # 3 or 4
    host_kernel: str         # "amd-snp-5.19" (AMD's out-of-tree branch, non-UPM) or "upstream-6.11" (gmem)
    qemu: str                # what QEMU it expects, human text
    qemu_min_upstream: str | None   # e.g. "9.1" for upstream QEMU; None when a fork is built
    kernel_hashes: bool      # Kata passes kernel-hashes=on (AMDSEV.fd) -- False for 3.2.x
    cmdline_rules: str       # the kernel command line rules of its Kata line (assets/kata_kernel_cmdline.toml)

    @property
    def kata_range(self) -> str:
        """The releases it fits, for messages: ``3.2.x`` style when it is one minor, else ``3.14.0 and later``."""
        low = version_tuple(self.kata_min) or ()
        high = version_tuple(self.kata_below) if self.kata_below else None
        if high is not None and len(low) >= 2 and high[:2] == (low[0], low[1] + 1):
            return f"{low[0]}.{low[1]}.x"
        if high is None:
            return f"{self.kata_min} and later"
        return f"{self.kata_min} to before {self.kata_below}"

    def fits(self, version: str) -> bool:
        """Does Kata ``version`` fall in [kata_min, kata_below)?"""
        have = version_tuple(version)
        if have is None:
            return False
        low = version_tuple(self.kata_min) or (0,)
        if have < low:
            return False
        if self.kata_below is not None and have >= (version_tuple(self.kata_below) or (9999,)):
            return False
        return True

    def asset_path(self, name: str) -> Path:
        """An asset file of this profile (``profile.recipe``, ``profile.changes`` ...) as a path."""
        return Path(str(files("kata_snp_tui.assets") / name))

    @property
    def recipe_path(self) -> Path:
        return self.asset_path(self.recipe)


@dataclass(frozen=True)
class ProfileChoice:
    profile: Profile
    source: str              # "option" | "installed" | "checkout" | "default"
    reason: str              # e.g. "kata-runtime 3.2.0 is installed (/usr/local/bin/kata-runtime)"
    kata_version: str | None

    @property
    def line(self) -> str:
        """One line for build/config output, the screens and the report."""
        return f"Profile: {self.profile.id} ({self.profile.title}): {self.reason}"

    @property
    def knows_kata(self) -> bool:
        """The choice rests on a Kata the user named or has (--profile, installed, checkout, the file's
        base), not only on the host kernel's kind: then it may decide how that Kata launches a guest."""
        return self.source != "default"

    @property
    def short(self) -> str:
        """Where the choice came from, in a few words (the screens' small line)."""
        if self.source == "option":
            return "--profile"
        if self.source == "installed":
            return f"installed Kata {self.kata_version}"
        if self.source == "checkout":
            return f"checkout {self.kata_version}"
        if self.source == "file":
            return "the configuration file's base"
        return "default for this host kernel"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.profile.id, "title": self.profile.title, "source": self.source,
                "reason": self.reason, "kata_version": self.kata_version}


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    """``"3.2.0"`` -> ``(3, 2, 0)``; ``"3.5.1-rc0"`` -> ``(3, 5, 1)``; no leading number -> None."""
    if not text:
        return None
    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)", text)
    return tuple(int(p) for p in m.group(1).split(".")) if m else None


# ------------------------------------------------------------------------------------- loading
_REQUIRED = {f.name for f in fields(Profile)} - {"kata_below", "qemu_min_upstream"}
_TYPES: dict[str, type] = {"containerd_config_version": int, "yq_major": int, "kernel_hashes": bool}


def _profile_from(raw: Any, index: int) -> Profile:
    if not isinstance(raw, dict):
        raise ProfileError(f"{PROFILES_ASSET}: profile #{index + 1} is not a table")
    known = {f.name for f in fields(Profile)}
    unknown = sorted(set(raw) - known)
    missing = sorted(_REQUIRED - set(raw))
    if unknown or missing:
        raise ProfileError(f"{PROFILES_ASSET}: profile #{index + 1}: "
                           + (f"unknown field(s) {', '.join(unknown)}" if unknown else
                              f"missing field(s) {', '.join(missing)}"))
    values: dict[str, Any] = {}
    for name in known:
        value = raw.get(name)
        want = _TYPES.get(name, str)
        if value is None and name in ("kata_below", "qemu_min_upstream"):
            values[name] = None
            continue
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise ProfileError(f"{PROFILES_ASSET}: profile {raw.get('id', index + 1)!s}: {name} must be a "
                               f"{want.__name__}")
        values[name] = value
    return Profile(**values)


def parse_profiles(text: str) -> tuple[Profile, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{PROFILES_ASSET}: not valid TOML: {exc}") from None
    raw = data.get("profile")
    if not isinstance(raw, list) or not raw:
        raise ProfileError(f"{PROFILES_ASSET}: no [[profile]] tables")
    profiles = tuple(_profile_from(p, i) for i, p in enumerate(raw))
    ids = [p.id for p in profiles]
    if len(set(ids)) != len(ids):
        raise ProfileError(f"{PROFILES_ASSET}: duplicate profile ids")
    return profiles


@lru_cache(maxsize=1)
def load_profiles() -> tuple[Profile, ...]:
    """Every built-in profile, in the file's order (read once: the asset never changes at run time)."""
    return parse_profiles((files("kata_snp_tui.assets") / PROFILES_ASSET).read_text(encoding="utf-8"))


def profile_ids() -> tuple[str, ...]:
    return tuple(p.id for p in load_profiles())


def get_profile(profile_id: str) -> Profile:
    for p in load_profiles():
        if p.id == profile_id:
            return p
    raise ProfileError(f"unknown profile {profile_id!r}: known profiles are {', '.join(profile_ids())}")


def profile_for_kata_version(version: str) -> Profile | None:
    """The profile whose Kata range holds ``version``, or None when none does (e.g. 3.5.x)."""
    for p in load_profiles():
        if p.fits(version):
            return p
    return None


# ------------------------------------------------------------------------------------- choosing
def installed_kata(host: Host) -> tuple[str | None, str]:
    """(version, where) of the host's ``kata-runtime``: version None when absent or unreadable;
    ``where`` says which (the path on the live host, "recorded" on a snapshot)."""
    result = host.command("kata-runtime")
    if not result.found:
        return None, "not installed"
    m = _KATA_RUNTIME.search(result.text)
    if not result.ok or m is None:
        return None, "installed, but 'kata-runtime --version' reported no version"
    where = "recorded in the snapshot" if host.kind != "live" else (shutil.which("kata-runtime") or "on PATH")
    return m.group(1), where


def checkout_kata(host: Host, workspace: Path | None) -> tuple[str | None, str | None]:
    """(version, path) of the workspace's kata-containers checkout (its VERSION file), read through ``host``."""
    if workspace is None:
        return None, None
    path = str(Path(workspace) / TREE_VERSION_REL)
    read = host.read(path)
    if not read.ok or read.text is None:
        return None, path
    m = _TREE_VERSION.match(read.text)
    return (m.group(1) if m else None), path


def _kernel_default(host: Host, workspace: Path | None) -> tuple[Profile, str]:
    """The default profile from the host kernel: AMD's 5.19 branch runs only the guide's stack."""
    from kata_snp_tui.checks import kernel_kind as kk
    from kata_snp_tui.checks.facts import Facts

    facts = Facts(host, Path(workspace) if workspace is not None else Path.home())
    kind = kk.classify(facts)
    release = facts.release or "unreadable"
    if kind.kind == kk.AMD_519:
        return get_profile(GUIDE_ID), (f"the host kernel {release} is AMD's 5.19 SNP host branch (no guest_memfd), "
                                       "which only the guide's Kata 3.2 stack runs")
    if kind.kind == kk.UPSTREAM:
        return get_profile(UPSTREAM_ID), (f"the host kernel {release} is 6.11 or newer, the upstream kernels with SNP "
                                          "host support")
    return get_profile(UPSTREAM_ID), (f"a fresh workstation runs the current Kata release (host kernel {release}: "
                                      f"{kind.description})")


def choose_profile(host: Host, workspace: Path | None, override: str | None = None) -> ProfileChoice:
    """The profile for this host and workspace, and why (see the module docstring)."""
    installed, where = installed_kata(host)
    tree, tree_path = checkout_kata(host, workspace)
    if override:
        profile = get_profile(override)
        return ProfileChoice(profile, "option", f"--profile {override}", installed or tree)
    notes: list[str] = []
    if installed is not None:
        fit = profile_for_kata_version(installed)
        if fit is not None:
            return ProfileChoice(fit, "installed", f"kata-runtime {installed} is installed ({where})", installed)
        notes.append(f"the installed kata-runtime {installed} fits no profile ({_ranges()})")
    if tree is not None:
        fit = profile_for_kata_version(tree)
        if fit is not None:
            reason = f"the kata-containers checkout is {tree} ({tree_path})"
            return ProfileChoice(fit, "checkout", "; ".join([reason, *notes]), installed or tree)
        notes.append(f"the kata-containers checkout {tree} fits no profile ({_ranges()})")
    if not notes:
        notes.append("no kata-runtime is installed and no kata-containers checkout is in the workspace")
    profile, why = _kernel_default(host, workspace)
    return ProfileChoice(profile, "default", "; ".join([*notes, why]), installed or tree)


def _ranges() -> str:
    return ", ".join(f"{p.id}: {p.kata_range}" for p in load_profiles())


# ------------------------------------------------------------------------- the CLI and the stages
#: The demo host's recordings are this profile's build.
DEMO_PROFILE = GUIDE_ID


def refuse_demo_profile(profile: Profile) -> None:
    """The demo replays recorded guide-3.2 steps: another profile cannot be combined with it."""
    if profile.id != DEMO_PROFILE:
        raise ProfileError(f"the demo host replays the {DEMO_PROFILE} build; --profile {profile.id} cannot be "
                           "combined with --demo")


def choose_for(source_kind: str, host: Host | None, workspace: Path | None, override: str | None = None) -> ProfileChoice:
    """The profile for a command or the wizard: ``host`` (opened by the caller) or, when None, this machine
    (live) or the demo host. A demo with another profile is refused (ProfileError)."""
    if override:
        profile = get_profile(override)  # an unknown id fails before any host is read
        if source_kind == "demo":
            refuse_demo_profile(profile)
    if host is None:
        from kata_snp_tui.host import HostSource, open_host

        host = open_host(HostSource("demo" if source_kind == "demo" else "live"))
    return choose_profile(host, workspace, override)


_SOURCE_FILE = re.compile(r'^#\s*XXX:\s*Source file:\s*"?(?:.*/)?([\w.-]+?)\.in"?\s*$', re.MULTILINE)


def config_base_of(text: str) -> str | None:
    """Which upstream template a generated configuration.toml came from (its ``# XXX: Source file:`` header):
    ``configuration-qemu.toml``, ``configuration-qemu-snp.toml`` ...; None when it does not say."""
    m = _SOURCE_FILE.search(text[:4096])
    return m.group(1) if m else None


def refine_for_file(choice: ProfileChoice, text: str, path: str) -> ProfileChoice:
    """When nothing but the default chose the profile, the configuration file being edited says more: a file
    generated from another profile's base picks that profile (source "file"). Otherwise ``choice`` as is."""
    if choice.source != "default":
        return choice
    base = config_base_of(text)
    if base is None or base == choice.profile.config_base:
        return choice
    fit = next((p for p in load_profiles() if p.config_base == base), None)
    if fit is None:
        return choice
    return ProfileChoice(fit, "file", f"{path} is generated from {base}.in, the {fit.id} profile's base "
                                      f"(nothing installed or checked out says otherwise)", choice.kata_version)
