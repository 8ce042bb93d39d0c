"""The host facts the checks share, each read at most once per check run.

Checks get one :class:`Facts` and ask it; it reads through the :class:`~kata_snp_tui.host.Host`
interface only, so the same code serves the live machine, a snapshot and the demo host.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kata_snp_tui.checks.kernel_log import KernelLog, read_kernel_log
from kata_snp_tui.checks.kernel_kind import KernelKind
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.host import CommandResult, FileRead, Host, Resources

CPUINFO = "/proc/cpuinfo"
CMDLINE = "/proc/cmdline"
OSRELEASE = "/proc/sys/kernel/osrelease"
MOUNTS = "/proc/mounts"
PROC_CONFIG = "/proc/config.gz"
OS_RELEASE_FILE = "/etc/os-release"
KVM_AMD = "/sys/module/kvm_amd"
KVM_AMD_PARAMS = "/sys/module/kvm_amd/parameters"
MODPROBE_D = "/etc/modprobe.d"
IOMMU_CLASS = "/sys/class/iommu"
IOMMU_GROUPS = "/sys/kernel/iommu_groups"
#: How many IOMMU groups to sample for their default domain type.
IOMMU_GROUP_SAMPLE = 4

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")


def parse_bool_param(raw: str) -> bool | None:
    """A kvm_amd parameter: ``Y``/``N`` (bool, since ~5.13) or ``1``/``0`` (int, older and AMD kernels)."""
    value = raw.strip()
    if value in ("Y", "1"):
        return True
    if value in ("N", "0"):
        return False
    return None


def show(raw: str, limit: int = 60) -> str:
    """A value as evidence: trimmed, control characters made visible, long values cut."""
    text = raw.strip()
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Param:
    """One ``/sys/module/kvm_amd/parameters/<name>`` value."""

    name: str
    path: str
    read: FileRead
    #: True (Y/1), False (N/0), None (absent, unreadable or unexpected content).
    value: bool | None

    @property
    def absent(self) -> bool:
        return self.read.absent

    @property
    def unreadable(self) -> bool:
        return not self.read.ok and not self.read.absent

    @property
    def garbage(self) -> bool:
        return self.read.ok and self.value is None

    @property
    def raw(self) -> str:
        return self.read.text.strip() if self.read.text is not None else ""

    def evidence(self) -> Evidence:
        if self.read.ok:
            note = " (undecodable bytes)" if self.read.undecodable else ""
            return Evidence(self.path, (show(self.raw) or "(empty)") + note)
        return Evidence(self.path, "absent" if self.absent else f"cannot read: {self.read.error}")


@dataclass(frozen=True)
class CpuInfo:
    read: FileRead
    vendor: str | None = None
    model_name: str | None = None
    family: int | None = None
    model: int | None = None
    flags: frozenset[str] = frozenset()
    processors: int = 0
    #: Set when the file could be read but not understood.
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.read.ok and self.problem is None

    def evidence(self, what: str = "vendor") -> Evidence:
        if not self.read.ok:
            return Evidence(CPUINFO, f"cannot read: {self.read.error}")
        if self.problem:
            return Evidence(CPUINFO, self.problem)
        if what == "flags":
            wanted = [f for f in ("sme", "sev", "sev_es", "sev_snp", "svm", "hypervisor") if f in self.flags]
            return Evidence(CPUINFO, "flags include: " + (" ".join(wanted) or "none of sme sev sev_es sev_snp svm"))
        fam = f", cpu family {self.family} model {self.model}" if self.family is not None else ""
        return Evidence(CPUINFO, f"vendor_id {self.vendor}, model name {self.model_name or '?'}{fam}")


def parse_cpuinfo(read: FileRead) -> CpuInfo:
    if not read.ok:
        return CpuInfo(read)
    fields: dict[str, str] = {}
    processors = 0
    for line in (read.text or "").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip()
        if key == "processor":
            processors += 1
        if key not in fields:  # the first processor describes them all
            fields[key] = value.strip()
    vendor = fields.get("vendor_id")
    if not vendor:
        what = "undecodable bytes" if read.undecodable else "unexpected content"
        return CpuInfo(read, problem=f"no vendor_id line ({what})")

    def _int(name: str) -> int | None:
        try:
            return int(fields.get(name, ""), 0)
        except ValueError:
            return None

    return CpuInfo(
        read,
        vendor=vendor,
        model_name=fields.get("model name"),
        family=_int("cpu family"),
        model=_int("model"),
        flags=frozenset(fields.get("flags", "").split()),
        processors=processors,
    )


#: A kernel .config is ~250 KiB; /proc/config.gz inflating past this is not one (a decompression bomb).
MAX_KERNEL_CONFIG = 8 * 1024 * 1024


def gunzip_bounded(data: bytes, limit: int) -> bytes | None:
    """The gzip ``data`` inflated, or None when it is not gzip, is cut short or inflates past ``limit`` bytes
    (never more than ``limit`` bytes are held)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit)
    except zlib.error:
        return None
    if inflater.unconsumed_tail or len(out) >= limit or not inflater.eof:  # too large, or cut short
        return None
    return out


def kernel_version(release: str) -> tuple[int, int, int] | None:
    m = _VERSION.match(release.strip())
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


@dataclass(frozen=True)
class Mount:
    device: str
    point: str
    fstype: str
    options: str


class Facts:
    """Lazily read host facts; one instance per check run."""

    def __init__(self, host: Host, workspace: Path, profile_choice: Any = None, profiles: tuple[Any, ...] = (),
                 profile_reason: str | None = None) -> None:
        self.host = host
        self.workspace = workspace
        #: The profile the drift checks compare against (a profiles.ProfileChoice), every known profile,
        #: and why there is no choice when there is none.
        self.profile_choice = profile_choice
        self.profiles = profiles
        self.profile_reason = profile_reason
        self._params: dict[str, Param] = {}

    # ------------------------------------------------------------------ files
    @cached_property
    def cpuinfo(self) -> CpuInfo:
        return parse_cpuinfo(self.host.read(CPUINFO))

    @cached_property
    def cmdline_read(self) -> FileRead:
        return self.host.read(CMDLINE)

    @cached_property
    def cmdline(self) -> list[str]:
        """The kernel command line's words ([] when unreadable)."""
        return (self.cmdline_read.text or "").split()

    def cmdline_param(self, name: str) -> list[str]:
        """Every value given to ``name=`` on the kernel command line (``-`` and ``_`` are the same)."""
        want = name.replace("-", "_")
        out = []
        for word in self.cmdline:
            key, sep, value = word.partition("=")
            if sep and key.replace("-", "_") == want:
                out.append(value)
        return out

    @cached_property
    def osrelease_read(self) -> FileRead:
        return self.host.read(OSRELEASE)

    @cached_property
    def release(self) -> str | None:
        text = self.osrelease_read.text
        return text.strip() if text and text.strip() else None

    @cached_property
    def kernel_version(self) -> tuple[int, int, int] | None:
        return kernel_version(self.release) if self.release else None

    @cached_property
    def kernel_config(self) -> tuple[str, dict[str, str]] | None:
        """(file, {CONFIG_X: value}) from /boot/config-<release> or /proc/config.gz; None if neither reads.

        A ``# CONFIG_X is not set`` line gives the value "n"; an option with no line is absent from
        the dict. :attr:`kernel_config_lines` has the lines as written, for evidence."""
        parsed = self._kernel_config_parsed
        return (parsed[0], parsed[1]) if parsed is not None else None

    @cached_property
    def kernel_config_lines(self) -> dict[str, str]:
        """{CONFIG_X: the line of the kernel configuration that sets it, as written}; empty if none reads."""
        parsed = self._kernel_config_parsed
        return parsed[2] if parsed is not None else {}

    def kernel_config_quote(self, option: str) -> str:
        """The configuration's own line for ``option`` ("CONFIG_X=y", "# CONFIG_X is not set"), or
        "CONFIG_X absent from the config" when the file has no line for it."""
        return self.kernel_config_lines.get(option) or f"{option} absent from the config"

    @cached_property
    def _kernel_config_parsed(self) -> tuple[str, dict[str, str], dict[str, str]] | None:
        candidates = [f"/boot/config-{self.release}"] if self.release and "/" not in self.release else []
        for path in (*candidates, PROC_CONFIG):
            read = self.host.read(path)
            if not read.ok or read.data is None:
                continue
            data = read.data
            if path.endswith(".gz"):
                inflated = gunzip_bounded(data, MAX_KERNEL_CONFIG)
                if inflated is None:
                    continue
                data = inflated
            options: dict[str, str] = {}
            lines: dict[str, str] = {}
            for line in data.decode("utf-8", errors="replace").splitlines():
                line = line.rstrip()
                if line.startswith("CONFIG_"):
                    key, _, value = line.partition("=")
                    options[key] = value
                    lines[key] = line
                elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
                    key = line[2:-len(" is not set")]
                    options[key] = "n"
                    lines[key] = line
            if options:
                return path, options, lines
        return None

    @cached_property
    def kernel_kind(self) -> KernelKind:
        """AMD's out-of-tree SNP branch (no guest_memfd), upstream 6.11+ (gmem), ... (see checks.kernel_kind)."""
        from kata_snp_tui.checks.kernel_kind import classify

        return classify(self)

    @cached_property
    def os_name(self) -> str | None:
        read = self.host.read(OS_RELEASE_FILE)
        for line in (read.text or "").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.partition("=")[2].strip().strip('"') or None
        return None

    @cached_property
    def mounts_read(self) -> FileRead:
        return self.host.read(MOUNTS)

    @cached_property
    def mounts(self) -> list[Mount]:
        out = []
        for line in (self.mounts_read.text or "").splitlines():
            parts = line.split()
            if len(parts) >= 4:
                out.append(Mount(parts[0], parts[1], parts[2], parts[3]))
        return out

    # ---------------------------------------------------------------- kvm_amd
    @cached_property
    def kvm_amd_loaded(self) -> bool:
        return self.host.exists(KVM_AMD)

    def param(self, name: str) -> Param:
        if name not in self._params:
            path = f"{KVM_AMD_PARAMS}/{name}"
            read = self.host.read(path)
            value = parse_bool_param(read.text) if read.ok and read.text is not None else None
            self._params[name] = Param(name, path, read, value)
        return self._params[name]

    @property
    def snp_effective(self) -> bool:
        """KVM's effective SNP state is on: the strongest non-root sign that SNP works."""
        return self.kvm_amd_loaded and self.param("sev_snp").value is True

    # ------------------------------------------------------------ kernel log
    @cached_property
    def log(self) -> KernelLog:
        return read_kernel_log(self.host)

    # --------------------------------------------------------------- devices
    @cached_property
    def sev_status(self) -> dict[str, Any] | None:
        status = self.host.sev_platform_status()
        return status if isinstance(status, dict) else None

    # --------------------------------------------------------------- iommu
    @cached_property
    def iommu_units(self) -> list[str] | None:
        """Entries of /sys/class/iommu (``ivhd0`` ...), None when the folder cannot be listed."""
        return self.host.listdir(IOMMU_CLASS)

    @cached_property
    def iommu_group_types(self) -> list[tuple[str, str]]:
        """(path, type) of a few IOMMU groups: ``identity`` is passthrough, ``DMA``/``DMA-FQ`` translated."""
        groups = self.host.listdir(IOMMU_GROUPS) or []
        numeric = sorted((g for g in groups if g.isdigit()), key=int)[:IOMMU_GROUP_SAMPLE]
        out = []
        for g in numeric:
            path = f"{IOMMU_GROUPS}/{g}/type"
            read = self.host.read(path)
            if read.ok and read.text is not None and read.text.strip():
                out.append((path, read.text.strip()))
        return out

    # ----------------------------------------------------------- modprobe.d
    @cached_property
    def modprobe_options(self) -> list[tuple[str, str]]:
        """(file, line) of every ``options kvm_amd`` line in /etc/modprobe.d/*.conf."""
        out = []
        for name in (self.host.listdir(MODPROBE_D) or [])[:64]:
            if not name.endswith(".conf"):
                continue
            path = f"{MODPROBE_D}/{name}"
            for line in (self.host.read(path).text or "").splitlines():
                words = line.split()
                if len(words) >= 2 and words[0] == "options" and words[1].replace("-", "_") == "kvm_amd":
                    out.append((path, line.strip()))
        return out

    # ------------------------------------------------------------- commands
    def command(self, key: str) -> CommandResult:
        return self.host.command(key)

    @cached_property
    def resources(self) -> Resources:
        return self.host.resources(paths=(str(self.workspace),))

    def prefetch(self) -> None:
        """Read every fact (a snapshot captures them all, whatever the tree skipped)."""
        _ = (self.cpuinfo, self.cmdline, self.release, self.kernel_config, self.os_name, self.mounts,
             self.kvm_amd_loaded, self.log, self.sev_status, self.iommu_units, self.iommu_group_types,
             self.modprobe_options, self.resources)
        for name in ("sev", "sev_es", "sev_snp"):
            self.param(name)
