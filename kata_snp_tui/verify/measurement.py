"""The expected SNP launch measurement, computed from the artifacts Kata boots, compared with a report's.

What goes into the digest depends on how Kata starts the guest (reference/kata-upstream.md 1.5, 3.4):

* Kata 3.2.x (the guide the wizard follows): ``-cpu EPYC-v4``, OVMF.fd through pflash and *no*
  ``kernel-hashes``: the digest covers the OVMF image, its metadata pages and one VMSA per boot vCPU
  only. The kernel, initrd and command line are not measured.
* Kata 3.6.0 and later (commit 62d3d7c58f, authored 2024-02-23): ``kernel-hashes=on`` with the AmdSev
  OVMF (AMDSEV.fd): the SHA-256 of the kernel, the initrd and the command line are placed in OVMF's
  hashes table page and measured with it.

The computation is virtee's ``sev-snp-measure`` (PyPI, module ``sevsnpmeasure``): the AMD SEV-SNP ABI
launch digest (PAGE_INFO chain over SNP_LAUNCH_UPDATE pages, SHA-384). Kata's kernel command line is
rebuilt from the configuration with the rules in ``assets/kata_kernel_cmdline.toml``; every input can
be given instead (``Overrides``).

A result is ``match`` or ``mismatch`` only when a digest was computed; anything that kept it from
being computed (no OVMF, an unreadable configuration, the demo host) is ``unknown`` with the reason.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

MATCH = "match"
MISMATCH = "mismatch"
UNKNOWN = "unknown"

MEASUREMENT_SIZE = 48
DEFAULT_VCPU_TYPE = "EPYC-v4"
#: VMSA SEV_FEATURES: bit 0 SNPActive. 0x21 adds DebugSwap, which some host kernels turn on.
DEFAULT_GUEST_FEATURES = 0x1
#: Artifacts larger than this are refused (a wrong path, not a firmware or kernel).
MAX_ARTIFACT = 1024 * 1024 * 1024
#: Firmware file names that mean "the AmdSev OVMF build, launched with kernel-hashes=on".
KERNEL_HASHES_FIRMWARE = ("AMDSEV.fd",)
DEMO_REASON = ("the demo host has no OVMF image to measure (it recorded only that its build made one) and its "
               "recorded report was made for the demo, not by SNP hardware: there is nothing to compare")


class MeasurementError(Exception):
    """Why no digest could be computed; ``str()`` is one line for the user."""


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class KataSettings:
    """What the launch measurement depends on, as read from a Kata configuration.toml."""

    firmware: str = ""
    kernel: str = ""
    initrd: str = ""
    image: str = ""
    kernel_params: str = ""
    default_vcpus: float = 1
    debug: bool = False
    legacy_serial: bool = False
    iommu: bool = False
    disable_guest_selinux: bool = True
    block_device_driver: str = "virtio-scsi"
    agent_debug: bool = False
    agent_trace: bool = False
    agent_debug_console: bool = False


def _agent_table(data: Mapping[str, Any]) -> Mapping[str, Any]:
    agent = data.get("agent")
    if isinstance(agent, Mapping):
        kata = agent.get("kata")
        if isinstance(kata, Mapping):
            return kata
    return {}


def settings_from_toml(text: str, where: str = "configuration") -> KataSettings:
    """The [hypervisor.qemu] and [agent.kata] values the measurement needs; MeasurementError when the
    text is not TOML or has no [hypervisor.qemu]."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MeasurementError(f"{where} is not valid TOML: {exc}") from None
    hv = data.get("hypervisor", {}).get("qemu") if isinstance(data.get("hypervisor"), Mapping) else None
    if not isinstance(hv, Mapping):
        raise MeasurementError(f"{where} has no [hypervisor.qemu] table")
    agent = _agent_table(data)

    def text_of(table: Mapping[str, Any], key: str, default: str = "") -> str:
        value = table.get(key, default)
        return value if isinstance(value, str) else default

    def flag(table: Mapping[str, Any], key: str, default: bool = False) -> bool:
        value = table.get(key, default)
        return value if isinstance(value, bool) else default

    vcpus = hv.get("default_vcpus", 1)
    if isinstance(vcpus, bool) or not isinstance(vcpus, (int, float)):
        raise MeasurementError(f"{where}: default_vcpus is not a number")
    return KataSettings(
        firmware=text_of(hv, "firmware"),
        kernel=text_of(hv, "kernel"),
        initrd=text_of(hv, "initrd"),
        image=text_of(hv, "image"),
        kernel_params=text_of(hv, "kernel_params"),
        default_vcpus=vcpus,
        debug=flag(hv, "enable_debug"),
        legacy_serial=flag(hv, "use_legacy_serial"),
        iommu=flag(hv, "enable_iommu"),
        disable_guest_selinux=flag(hv, "disable_guest_selinux", True),
        block_device_driver=text_of(hv, "block_device_driver", "virtio-scsi"),
        agent_debug=flag(agent, "enable_debug"),
        agent_trace=flag(agent, "enable_tracing"),
        agent_debug_console=flag(agent, "debug_console_enabled"),
    )


def boot_vcpus(default_vcpus: float) -> int:
    """The vCPUs Kata boots a confidential guest with (one VMSA each): default_vcpus, rounded up as newer
    releases do with fractional values; 0 means 1. A negative value means "all host CPUs", which only
    the host knows: MeasurementError."""
    if default_vcpus < 0:
        raise MeasurementError("default_vcpus is negative (all of the host's CPUs): give the count with --vcpus")
    return max(1, math.ceil(default_vcpus))


@dataclass(frozen=True)
class CmdlineRules:
    name: str
    title: str
    nr_cpus: bool
    pieces: Mapping[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def _cmdline_data() -> dict[str, Any]:
    return tomllib.loads((files("kata_snp_tui.assets") / "kata_kernel_cmdline.toml").read_text(encoding="utf-8"))


def cmdline_rule_names() -> tuple[str, ...]:
    return tuple(_cmdline_data()["rules"])


def cmdline_rules(name: str) -> CmdlineRules:
    data = _cmdline_data()
    rule = data["rules"][name]
    pieces = {k: tuple(v) for k, v in data.items() if isinstance(v, list)}
    return CmdlineRules(name, str(rule["title"]), bool(rule["nr_cpus"]), pieces)


def kata_cmdline(settings: KataSettings, vcpus: int, rules: CmdlineRules) -> str:
    """The kernel command line Kata's Go runtime passes to QEMU (``-append``) for an initrd boot."""
    p = rules.pieces
    params: list[str] = list(p["arch"])
    if settings.iommu:
        params += p["iommu"]
    params += p["legacy_console"] if settings.legacy_serial else p["console"]
    params += p["debug"] if settings.debug else p["non_debug"]
    params += p["defaults"]
    if rules.nr_cpus:
        params.append(f"nr_cpus={vcpus}")
    params.append("selinux=0" if settings.disable_guest_selinux else "selinux=1")
    if settings.block_device_driver == "virtio-scsi":
        params += p["virtio_scsi"]
    if settings.agent_debug:
        params += p["agent_debug"]
    if settings.agent_trace:
        params += p["agent_trace"]
    if settings.agent_debug_console:
        params += p["agent_debug_console"]
    params += settings.kernel_params.split()
    return " ".join(params)


@dataclass(frozen=True)
class Overrides:
    """Inputs given by the user; None keeps what the configuration says."""

    ovmf: str | None = None
    kernel: str | None = None
    initrd: str | None = None
    append: str | None = None
    vcpus: int | None = None
    vcpu_type: str | None = None
    guest_features: int | None = None
    #: True/False: kernel-hashes on/off; None: from the profile, else inferred from the firmware's name.
    kernel_hashes: bool | None = None
    #: The command-line rules (a name in assets/kata_kernel_cmdline.toml); None: "3.2".
    cmdline_rules: str | None = None
    #: The chosen profile, when the caller has one: its ``kernel_hashes`` decides when not given here.
    profile: Any = None


@dataclass(frozen=True)
class MeasurementInputs:
    """Everything the digest is computed from, and where each value came from."""

    ovmf: str | None
    kernel: str | None
    initrd: str | None
    append: str | None
    vcpus: int | None
    vcpu_type: str
    guest_features: int
    kernel_hashes: bool
    #: input name -> where the value came from ("--ovmf", "configuration firmware", ...).
    origins: dict[str, str] = field(default_factory=dict)
    config_path: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ovmf": self.ovmf,
            "kernel": self.kernel if self.kernel_hashes else None,
            "initrd": self.initrd if self.kernel_hashes else None,
            "append": self.append if self.kernel_hashes else None,
            "vcpus": self.vcpus,
            "vcpu_type": self.vcpu_type,
            "guest_features": f"0x{self.guest_features:x}",
            "kernel_hashes": self.kernel_hashes,
            "config": self.config_path,
            "origins": dict(self.origins),
        }


def kernel_hashes_from_profile(profile: Any) -> tuple[bool, str] | None:
    """Kernel hashes on/off from a profile (kata_snp_tui.profiles) that says so with a bool
    ``kernel_hashes``; None when there is no profile or it does not say."""
    value = getattr(profile, "kernel_hashes", None)
    if isinstance(value, bool):
        return value, f"profile {getattr(profile, 'id', None) or getattr(profile, 'name', '?')}"
    return None


def _profile_rules(profile: Any) -> str | None:
    """The command line rules a profile names (None: no profile, or a name this file does not know)."""
    name = getattr(profile, "cmdline_rules", None)
    return name if isinstance(name, str) and name in cmdline_rule_names() else None


def infer_kernel_hashes(firmware: str | None) -> tuple[bool, str]:
    """Kernel hashes on/off for a firmware path, and why."""
    name = Path(firmware).name if firmware else ""
    if name in KERNEL_HASHES_FIRMWARE:
        return True, f"firmware is {name}: Kata 3.6.0 and later launch it with kernel-hashes=on"
    return False, (f"firmware is {name or 'not set'}: Kata 3.2.x (the guide) launches without kernel-hashes, "
                   "so the digest covers OVMF and the vCPU states only")


def resolve_inputs(settings: KataSettings | None, overrides: Overrides | None = None,
                   config_path: str | None = None) -> MeasurementInputs:
    """The inputs for the digest: the configuration's values with the user's overrides on top.

    MeasurementError when a needed value is missing (no firmware set and none given, ...)."""
    o = overrides or Overrides()
    s = settings or KataSettings()
    origins: dict[str, str] = {}
    notes: list[str] = []
    where = "configuration" if settings is not None else None

    def pick(name: str, given: Any, configured: Any, key: str) -> Any:
        if given is not None and given != "":
            origins[name] = f"--{name.replace('_', '-')}"
            return given
        if where and configured not in (None, ""):
            origins[name] = f"{where} {key}"
            return configured
        return None

    ovmf = pick("ovmf", o.ovmf, s.firmware, "firmware")
    if ovmf is None:
        if settings is None:
            raise MeasurementError("no OVMF image: give --ovmf PATH (or a Kata configuration with firmware set)")
        raise MeasurementError("the Kata configuration sets no firmware (OVMF): Kata then boots without OVMF; "
                               "give the OVMF path with --ovmf")
    if o.vcpus is not None:
        vcpus = o.vcpus
        origins["vcpus"] = "--vcpus"
    elif settings is not None:
        vcpus = boot_vcpus(s.default_vcpus)
        origins["vcpus"] = "configuration default_vcpus (a confidential guest boots them all; no hotplug)"
    else:
        vcpus = 1
        origins["vcpus"] = "default (1)"
    if vcpus < 1:
        raise MeasurementError(f"--vcpus must be at least 1, not {vcpus}")
    vcpu_type = o.vcpu_type or DEFAULT_VCPU_TYPE
    origins["vcpu_type"] = "--vcpu-type" if o.vcpu_type else "Kata's -cpu EPYC-v4 for SNP guests"
    features = DEFAULT_GUEST_FEATURES if o.guest_features is None else o.guest_features
    origins["guest_features"] = "--guest-features" if o.guest_features is not None else \
        "default 0x1 (SNPActive); 0x21 on hosts whose KVM turns on DebugSwap"

    if o.kernel_hashes is not None:
        hashes = o.kernel_hashes
        origins["kernel_hashes"] = "--kernel-hashes"
    elif (from_profile := kernel_hashes_from_profile(o.profile)) is not None:
        hashes, origins["kernel_hashes"] = from_profile
    else:
        hashes, origins["kernel_hashes"] = infer_kernel_hashes(ovmf)

    kernel = initrd = append = None
    if hashes:
        kernel = pick("kernel", o.kernel, s.kernel, "kernel")
        if kernel is None:
            raise MeasurementError("kernel hashes are on but no kernel is known: give --kernel PATH")
        initrd = pick("initrd", o.initrd, s.initrd, "initrd")
        if o.append is not None:
            append = o.append
            origins["append"] = "--append"
        elif settings is None:
            raise MeasurementError("kernel hashes are on: give the kernel command line with --append "
                                   "(or a Kata configuration to rebuild it from)")
        elif s.image and not s.initrd:
            raise MeasurementError("the guest boots from an image: Kata adds root= (and, in newer releases, "
                                   "dm-verity) parameters this tool does not rebuild; give the command line "
                                   "QEMU got with --append (`-append` in `ps -o args= -C qemu-system-x86_64`)")
        else:
            rules = cmdline_rules(o.cmdline_rules or _profile_rules(o.profile) or "3.2")
            append = kata_cmdline(s, vcpus, rules)
            origins["append"] = f"rebuilt from the configuration with {rules.title} rules"
            notes.append("The kernel command line was rebuilt from the configuration. Kata also adds fips=1 on "
                         "a FIPS host and kernel_params from pod annotations; if the digest differs, pass the "
                         "command line QEMU really got with --append.")
    return MeasurementInputs(ovmf, kernel, initrd, append, vcpus, vcpu_type, features, hashes, origins,
                             config_path, tuple(notes))


# ----------------------------------------------------------------------------- computing


@dataclass(frozen=True)
class Artifact:
    role: str
    path: str
    sha256: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "path": self.path, "sha256": self.sha256, "size": self.size}


def _artifact(role: str, path: str) -> Artifact:
    p = Path(os.path.abspath(path))
    try:
        if p.is_dir():
            raise MeasurementError(f"{role} {path} is a folder, not a file")
        size = p.stat().st_size
        if size > MAX_ARTIFACT:
            raise MeasurementError(f"{role} {path} is {size} bytes: too large to be a {role}")
        digest = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise MeasurementError(f"{role} not found at {p}") from None
    except PermissionError:
        raise MeasurementError(f"cannot read the {role} {path} (permission denied)") from None
    except OSError as exc:
        raise MeasurementError(f"cannot read the {role} {path}: {exc.strerror or exc}") from None
    return Artifact(role, str(p), digest.hexdigest(), size)


def library_version() -> str:
    try:
        from importlib.metadata import version

        return f"sev-snp-measure {version('sev-snp-measure')}"
    except Exception:  # noqa: BLE001 - the version is only shown
        return "sev-snp-measure"


def vcpu_types() -> tuple[str, ...]:
    from sevsnpmeasure.vcpu_types import CPU_SIGS

    return tuple(CPU_SIGS)


def compute(inputs: MeasurementInputs) -> tuple[bytes, tuple[Artifact, ...]]:
    """The expected launch digest (48 bytes) and the files it was computed from; MeasurementError when
    a file is missing or unusable."""
    from sevsnpmeasure import guest
    from sevsnpmeasure.sev_mode import SevMode
    from sevsnpmeasure.vcpu_types import CPU_SIGS
    from sevsnpmeasure.vmm_types import VMMType

    if inputs.vcpu_type not in CPU_SIGS:
        raise MeasurementError(f"unknown vCPU type {inputs.vcpu_type!r} (known: {', '.join(CPU_SIGS)})")
    if inputs.ovmf is None:
        raise MeasurementError("no OVMF image")
    artifacts = [_artifact("OVMF", inputs.ovmf)]
    if artifacts[0].size == 0 or artifacts[0].size % 4096:
        raise MeasurementError(f"OVMF {inputs.ovmf} is {artifacts[0].size} bytes, not whole 4 KiB pages: "
                               "not an OVMF image")
    kernel = initrd = append = None
    if inputs.kernel_hashes:
        if inputs.kernel is None:
            raise MeasurementError("kernel hashes are on but no kernel is known")
        kernel = inputs.kernel
        artifacts.append(_artifact("kernel", kernel))
        if inputs.initrd:
            initrd = inputs.initrd
            artifacts.append(_artifact("initrd", initrd))
        append = inputs.append or ""
    try:
        digest = guest.calc_launch_digest(SevMode.SEV_SNP, inputs.vcpus, CPU_SIGS[inputs.vcpu_type], inputs.ovmf,
                                          kernel, initrd, append, inputs.guest_features, "", VMMType.QEMU)
    except RuntimeError as exc:
        detail = str(exc)
        if "SNP_KERNEL_HASHES" in detail:
            detail += (" (this OVMF is not the AmdSev build: with kernel hashes on Kata needs AMDSEV.fd; "
                       "for Kata 3.2.x pass --kernel-hashes off)")
        raise MeasurementError(f"OVMF {inputs.ovmf}: {detail}") from None
    except (ValueError, AssertionError, OSError, UnicodeError) as exc:
        raise MeasurementError(f"OVMF {inputs.ovmf} cannot be measured: {exc or type(exc).__name__}") from None
    return bytes(digest), tuple(artifacts)


# ----------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class MeasurementResult:
    status: str
    #: Hex of the expected digest; None when it could not be computed.
    expected: str | None
    #: Hex of the report's measurement field.
    reported: str | None
    #: Why the status is unknown (one line), else None.
    reason: str | None = None
    #: "computed" (from artifacts), "given" (--expected-measurement), "demo", "not computed".
    source: str = "computed"
    method: str = ""
    inputs: MeasurementInputs | None = None
    artifacts: tuple[Artifact, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 match, 1 mismatch, 3 unknown (the report command's statuses)."""
        return {MATCH: 0, MISMATCH: 1}.get(self.status, 3)

    @property
    def mode(self) -> str:
        if self.inputs is None:
            return self.source
        return "snp, kernel hashes on" if self.inputs.kernel_hashes else "snp, kernel hashes off"

    def headline(self) -> str:
        if self.status == MATCH:
            return "the report's measurement matches the expected one"
        if self.status == MISMATCH:
            return "the report's measurement does NOT match the expected one"
        return str(self.reason)

    def input_lines(self) -> list[str]:
        """How the expected value was obtained, one fact a line."""
        if self.source == "given":
            return ["expected value given with --expected-measurement"]
        i = self.inputs
        if i is None:
            return []
        lines = [f"{self.method}: mode {self.mode}, {i.vcpus} vCPU(s) {i.vcpu_type}, "
                 f"guest features 0x{i.guest_features:x}"]
        for a in self.artifacts:
            lines.append(f"{a.role} {a.path} (sha256 {a.sha256})")
        if not self.artifacts and i.ovmf:
            lines.append(f"OVMF {i.ovmf}")
        if i.kernel_hashes:
            lines.append(f"append {i.append!r} ({i.origins.get('append', '?')})")
        lines.append(f"kernel hashes {'on' if i.kernel_hashes else 'off'} ({i.origins.get('kernel_hashes', '?')})")
        if i.config_path:
            lines.append(f"configuration {i.config_path}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "expected": self.expected,
            "reported": self.reported,
            "reason": self.reason,
            "source": self.source,
            "method": self.method,
            "mode": self.mode,
            "inputs": self.inputs.to_json() if self.inputs else None,
            "artifacts": [a.to_json() for a in self.artifacts],
            "notes": list(self.notes),
        }


def _verdict(reported: bytes, expected: bytes) -> str:
    return MATCH if reported == expected else MISMATCH


def compare_inputs(reported: bytes, inputs: MeasurementInputs) -> MeasurementResult:
    """Compute the expected digest from ``inputs`` and compare it with the report's measurement."""
    try:
        expected, artifacts = compute(inputs)
    except MeasurementError as exc:
        return MeasurementResult(UNKNOWN, None, reported.hex(), str(exc), "not computed", library_version(),
                                 inputs, (), inputs.notes)
    return MeasurementResult(_verdict(reported, expected), expected.hex(), reported.hex(), None, "computed",
                             library_version(), inputs, artifacts, inputs.notes)


_HEX_JUNK = re.compile(r"[\s:]")


def parse_measurement_hex(text: str) -> bytes:
    """48 bytes from hex (``0x``, spaces and colons allowed); ValueError with a one-line message."""
    cleaned = _HEX_JUNK.sub("", text.strip())
    if cleaned[:2].lower() == "0x":
        cleaned = cleaned[2:]
    try:
        value = bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError(f"not hexadecimal: {text!r}") from None
    if len(value) != MEASUREMENT_SIZE:
        raise ValueError(f"a launch measurement is {MEASUREMENT_SIZE} bytes ({2 * MEASUREMENT_SIZE} hex digits), "
                         f"not {len(value)}")
    return value


def compare_given(reported: bytes, expected: bytes) -> MeasurementResult:
    return MeasurementResult(_verdict(reported, expected), expected.hex(), reported.hex(), None, "given",
                             "given with --expected-measurement")


def unknown(reported: bytes | None, reason: str, source: str = "not computed") -> MeasurementResult:
    return MeasurementResult(UNKNOWN, None, reported.hex() if reported is not None else None, reason, source)


def demo_result(reported: bytes) -> MeasurementResult:
    """The demo host's comparison: never a verdict, there is no OVMF image behind its recorded report."""
    return unknown(reported, DEMO_REASON, "demo")


def for_report(report: Any, demo: bool = False, profile: Any = None) -> MeasurementResult | None:
    """The comparison for a report the Verify stage obtained (an AttestationReport, or None): the demo's is
    unknown by design; a live one is computed from the configuration Kata uses on this machine, with the
    session's profile (kata_snp_tui.profiles.Profile) deciding kernel hashes and command line rules."""
    if report is None:
        return None
    if demo or getattr(report, "is_demo", False):
        return demo_result(report.measurement)
    return compare_with_config(report.measurement, Overrides(profile=profile))


def load_settings(path: Path) -> KataSettings:
    """Read a Kata configuration through the config loader; MeasurementError when it cannot be read."""
    from kata_snp_tui.config.loader import load_file
    from kata_snp_tui.errors import UserError

    try:
        loaded = load_file(path)
    except UserError as exc:
        raise MeasurementError(f"cannot read the Kata configuration: {exc}") from None
    return settings_from_toml(loaded.text, str(path))


def find_config(env: Mapping[str, str] | None = None, root: Path = Path("/")) -> Path:
    """The configuration.toml Kata reads on this machine; MeasurementError when there is none."""
    from kata_snp_tui.config.discovery import discover

    found = discover(env if env is not None else os.environ, root)
    if found.chosen is None:
        raise MeasurementError(found.explain())
    return found.chosen.path


def compare_with_config(reported: bytes, overrides: Overrides | None = None, config: Path | None = None,
                        env: Mapping[str, str] | None = None, root: Path = Path("/")) -> MeasurementResult:
    """Expected digest from the Kata configuration (``config``, else the one Kata finds) and the build's
    artifacts it names, with ``overrides`` on top. Unknown, with the reason, when it cannot be computed."""
    o = overrides or Overrides()
    settings: KataSettings | None = None
    config_path: str | None = None
    try:
        try:
            path = config if config is not None else find_config(env, root)
            settings = load_settings(path)
            config_path = str(path)
        except MeasurementError:
            # Everything may be given on the command line instead; then the configuration is not needed.
            if config is not None or o.ovmf is None:
                raise
        inputs = resolve_inputs(settings, o, config_path)
    except MeasurementError as exc:
        return unknown(reported, str(exc))
    return compare_inputs(reported, inputs)


__all__ = [
    "MATCH",
    "MISMATCH",
    "UNKNOWN",
    "Artifact",
    "KataSettings",
    "MeasurementError",
    "MeasurementInputs",
    "MeasurementResult",
    "Overrides",
    "compare_given",
    "compare_inputs",
    "compare_with_config",
    "compute",
    "demo_result",
    "kata_cmdline",
    "parse_measurement_hex",
    "resolve_inputs",
    "settings_from_toml",
]
