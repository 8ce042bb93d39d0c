"""Firmware: SEV firmware >= 1.51 and SNP firmware initialised.

The version comes from the ``SEV_PLATFORM_STATUS`` ioctl on ``/dev/sev`` when it can be asked
(root), else from the kernel log's ``SEV API:x.y build:z`` / ``SEV-SNP API:x.y build:z`` lines.
Versions compare as the tuple (major, minor), never as a float: 1.9 is older than 1.51.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kata_snp_tui.checks import kernel_log as kl
from kata_snp_tui.checks.common import inferred_from_kvm, unknown
from kata_snp_tui.checks.facts import Facts
from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.checks.remedies import BIOS_SNP, FIRMWARE_UPDATE
from kata_snp_tui.checks.runner import CheckSpec, Outcome, failed, passed, warned

GROUP = "Firmware"
#: SNP_MIN_API_MAJOR / SNP_MIN_API_MINOR in drivers/crypto/ccp/sev-dev.c.
MIN_SNP_FIRMWARE = (1, 51)
IOCTL_SOURCE = "/dev/sev SEV_PLATFORM_STATUS (ioctl)"
SNP_IOCTL_SOURCE = "/dev/sev SNP_PLATFORM_STATUS (ioctl)"

SNP_INIT_FAILED = """\
The SEV firmware refused to start SNP. Usual causes, in order:
  - legacy (CSM) boot instead of UEFI (see host.uefi): error 0x3
  - BIOS: SNP Memory (RMP Table) Coverage not Enabled, SEV-SNP Support off, IOMMU off
  - on-flash SEV firmware too old, or a vendor BIOS bug: update the BIOS
  - 'sev command ... timed out, disabling PSP': some boards need the BIOS IOMMU setting on Auto
""" + BIOS_SNP


@dataclass(frozen=True)
class FirmwareVersion:
    major: int
    minor: int
    build: int | None
    evidence: Evidence
    source: str  # "ioctl" or "log"

    @property
    def ok(self) -> bool:
        return (self.major, self.minor) >= MIN_SNP_FIRMWARE

    def __str__(self) -> str:
        build = f" build {self.build}" if self.build is not None else ""
        return f"{self.major}.{self.minor}{build}"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def ioctl_version(status: dict[str, Any] | None) -> FirmwareVersion | None:
    if not status:
        return None
    major, minor, build = _int(status.get("api_major")), _int(status.get("api_minor")), _int(status.get("build"))
    if major is None or minor is None:
        return None
    state = status.get("state")
    text = f"api {major}.{minor} build {build if build is not None else '?'}" + (f", state {state}" if state else "")
    return FirmwareVersion(major, minor, build, Evidence(IOCTL_SOURCE, text), "ioctl")


def log_version(f: Facts) -> FirmwareVersion | None:
    """The firmware version in the log's last ``SEV-SNP API:`` or ``SEV API:`` line."""
    best = None
    for index, text in enumerate(f.log.lines):
        if "API:" not in text:
            continue
        m = kl.FW_SNP.search(text) or kl.FW_SEV.search(text)
        if m:
            best = (index, text, m)
    if best is None:
        return None
    _, text, m = best
    return FirmwareVersion(int(m.group(1)), int(m.group(2)), int(m.group(3)),
                           Evidence(f.log.evidence_source(), text.strip()), "log")


def ioctl_error_evidence(f: Facts) -> Evidence | None:
    status = f.sev_status
    if status and isinstance(status.get("error"), str):
        return Evidence(IOCTL_SOURCE, status["error"])
    return None


def fw_version(f: Facts) -> Outcome:
    version = ioctl_version(f.sev_status) or log_version(f)
    old_line = f.log.last(kl.FW_OLD)
    if version is not None:
        if version.ok:
            return passed(f"SEV firmware {version} (SNP needs 1.51 or newer).", version.evidence)
        return failed(f"SEV firmware {version} is older than 1.51: SNP cannot start.", version.evidence,
                      f.log.evidence(old_line), remedy=FIRMWARE_UPDATE)
    if old_line is not None:
        return failed(f"The kernel says SNP needs newer SEV firmware (>= {old_line.group(1)}.{old_line.group(2)}).",
                      f.log.evidence(old_line), remedy=FIRMWARE_UPDATE)
    if f.snp_effective:
        return inferred_from_kvm(f, "The firmware version is not in the kernel log; KVM has SEV-SNP on, which needs "
                                    "firmware 1.51 or newer")
    return unknown(f, "The SEV firmware version", ioctl_error_evidence(f),
                   remedy="sudo dmesg | grep -e 'SEV API' -e 'SEV-SNP API'\n" + FIRMWARE_UPDATE)


def _psp_meaning(code: str) -> str:
    try:
        value = int(code, 16)
    except ValueError:
        return code
    meaning = kl.PSP_ERRORS.get(value)
    return f"{code} ({meaning})" if meaning else code


def fw_snp_init(f: Facts) -> Outcome:
    status = f.sev_status or {}
    state = status.get("snp_state")
    if state == "INIT":
        return passed("SNP firmware is initialised (SNP_PLATFORM_STATUS state INIT).",
                      Evidence(SNP_IOCTL_SOURCE, f"state INIT, rmp_initialized {status.get('rmp_initialized')}"))
    if state == "UNINIT":
        return failed("SNP firmware is not initialised (SNP_PLATFORM_STATUS state UNINIT).",
                      Evidence(SNP_IOCTL_SOURCE, "state UNINIT"), f.log.evidence(f.log.last(kl.SNP_FAIL)),
                      remedy=SNP_INIT_FAILED)
    snp_error = status.get("snp_status_error")
    log = f.log
    ok_line, fail_line = log.last(kl.FW_SNP), log.last(kl.SNP_FAIL)
    if fail_line is not None and (ok_line is None or fail_line.index > ok_line.index):
        return failed(f"The SEV firmware refused SNP_INIT (error {_psp_meaning(fail_line.group(1))}).",
                      log.evidence(fail_line), log.evidence(log.last(kl.PSP_TIMEOUT)), remedy=SNP_INIT_FAILED)
    if ok_line is not None:
        return passed(f"SNP firmware is initialised (SEV-SNP API {ok_line.group(1)}.{ok_line.group(2)} "
                      f"build {ok_line.group(3)}).", log.evidence(ok_line))
    old_line = log.last(kl.FW_OLD)
    if old_line is not None:
        return failed("SNP firmware could not start: the SEV firmware is older than 1.51 (see fw.version).",
                      log.evidence(old_line), remedy=FIRMWARE_UPDATE)
    timeout = log.last(kl.PSP_TIMEOUT)
    if timeout is not None:
        return failed("The PSP stopped answering (a SEV command timed out), so SNP firmware is not running.",
                      log.evidence(timeout), remedy=SNP_INIT_FAILED)
    if isinstance(snp_error, str) and "Invalid argument" in snp_error:
        # Kernels before 6.15 answer EINVAL exactly when SNP is not initialised (reference section 3).
        return failed("SNP firmware is not initialised (SNP_PLATFORM_STATUS: Invalid argument).",
                      Evidence(SNP_IOCTL_SOURCE, snp_error), log.status_evidence(), remedy=SNP_INIT_FAILED)
    if f.snp_effective:
        return inferred_from_kvm(f, "No SEV-SNP API line in the kernel log; KVM has SEV-SNP on, which needs the SNP "
                                    "firmware initialised")
    sev_line = log.last(kl.FW_SEV)
    if sev_line is not None:
        return warned("The kernel log shows the SEV firmware (SEV API) but no 'SEV-SNP API' line: SNP firmware "
                      "does not look initialised.", log.evidence(sev_line),
                      Evidence(SNP_IOCTL_SOURCE, snp_error) if isinstance(snp_error, str) else None,
                      remedy=SNP_INIT_FAILED)
    return unknown(f, "Whether SNP firmware is initialised", ioctl_error_evidence(f),
                   remedy="sudo dmesg | grep -e 'SEV-SNP API' -e 'SEV-SNP:'\n" + SNP_INIT_FAILED)


SPECS = (
    CheckSpec("fw.version", GROUP, "SEV firmware >= 1.51", fw_version, parent="cpu.sev-snp"),
    CheckSpec("fw.snp-init", GROUP, "SNP firmware initialised", fw_snp_init, parent="fw.version"),
)
