"""The host's kernel log, read once per check run, and the patterns the checks look for in it.

Where the log comes from, in order (reference/sev-snp-host-and-guest.md, section 2.3):

1. ``dmesg`` (needs root when ``kernel.dmesg_restrict=1``),
2. ``journalctl -k -b 0`` (members of the ``systemd-journal`` or ``adm`` groups),
3. ``/var/log/kern.log`` (``adm`` group on Debian and Ubuntu), cut to the last boot.

When none can be read, :attr:`KernelLog.reason` says why (for instance ``dmesg_restrict=1``) and
the checks that need the log report ``skip`` or ``warn`` with that reason, never ``fail``.
A line that is missing from a readable log is "unknown" too: the ring buffer rolls over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kata_snp_tui.checks.model import Evidence
from kata_snp_tui.host import CommandResult, FileRead, Host

# --------------------------------------------------------------------------- patterns (section 2.3)
# Tested against every real host sample in shared/samples (tests/data/checks/).

#: The BIOS reserved the RMP table (mainline >= 6.8 "range", AMD pre-upstream "address", segmented RMP).
RMP_OK = re.compile(r"SEV-SNP: (?:Segmented )?RMP (?:base )?table physical (?:range|address)")
#: SNP memory coverage off in the BIOS.
RMP_BIOS = re.compile(r"SEV-SNP: Memory for the RMP table has not been reserved by BIOS")
#: The BIOS reserved an RMP table that does not fit (for instance a "Custom" coverage size).
RMP_INVALID = re.compile(
    r"SEV-SNP: (?:RMP configuration not valid|Memory reserved for the RMP table does not cover full system RAM)"
)
#: The IOMMU refused SNP: disabled, passthrough, no SNP feature or V2 page tables.
IOMMU_BAD = re.compile(
    r"AMD-Vi: (?:SEV-)?SNP: IOMMU (?:is )?(?:either )?disabled or configured in passthrough mode"
    r"|AMD-Vi: SNP: IOMMU SNP feature not enabled"
    r"|AMD-Vi: SNP: IOMMU is configured with V2"
)
IOMMU_OK = re.compile(r"AMD-Vi: IOMMU SNP support enabled")
#: SNP firmware initialised (and its version).
FW_SNP = re.compile(r"SEV-SNP API:(\d+)\.(\d+) build:(\d+)")
#: Firmware version, printed even when SNP is not initialised.
FW_SEV = re.compile(r"\bSEV API:(\d+)\.(\d+) build:(\d+)")
#: The firmware refused SNP_INIT (error 0x3 = INVALID_CONFIG, 0x1 = INVALID_PLATFORM_STATE ...).
SNP_FAIL = re.compile(
    r"SEV-SNP: (?:failed to INIT|SNP_INIT(?:_EX)? failed|SNP_DF_FLUSH failed).*?error (0x[0-9a-fA-F]+)"
)
#: AMD's out-of-tree kernels say this when the firmware is older than 1.51 (mainline: dev_dbg, invisible).
FW_OLD = re.compile(r"SEV-SNP support requires firmware version >= (\d+):(\d+)")
#: kvm_amd since 2023 (~6.5): ``SEV-SNP enabled (ASIDs 1 - 509)``.
KVM_NEW = re.compile(r"kvm_amd: (SEV|SEV-ES|SEV-SNP) (enabled|disabled|unusable) \(ASIDs (\d+) - (\d+)\)")
#: Older kvm_amd and AMD's branches: ``SEV supported: 410 ASIDs``, ``SEV-ES and SEV-SNP supported: 99 ASIDs``.
KVM_OLD = re.compile(r"(?:kvm_amd: |SVM: )?(SEV|SEV-ES(?: and SEV-SNP)?|SEV-SNP) supported: (\d+) ASIDs")
#: ccp found the PSP but the BIOS left memory encryption (SMEE) off.
NO_BIOS = re.compile(r"SEV: memory encryption not enabled by BIOS")
#: The default IOMMU domain is passthrough (``iommu=pt`` or a distribution default).
PT_MODE = re.compile(r"iommu: Default domain type: Passthrough")
TRANSLATED_MODE = re.compile(r"iommu: Default domain type: Translated")
#: The PSP stopped answering.
PSP_TIMEOUT = re.compile(r"sev command (0x[0-9a-fA-F]+) timed out, disabling PSP")
#: Legacy SEV INIT failed (older and newer wording).
SEV_INIT_FAIL = re.compile(r"SEV: (?:failed to INIT error (0x[0-9a-fA-F]+)|\S+ failed (0x[0-9a-fA-F]+))")
#: A gmem (guest_memfd) SNP host kernel refused a launch whose memory was not guest_memfd: a VMM without
#: guest_memfd support, such as Kata 3.2's non-UPM qemu-snp-experimental, tried to start an SNP guest here.
#: (kvm_amd, AMD's pre-upstream gmem trees: snp_launch_update(); kata-upstream.md section 5, error 13.)
GMEM_REQUIRED = re.compile(r"SEV-SNP requires private memory support via guest_memfd")
#: The kernel banner: where a boot starts in a log that holds several (kern.log).
BOOT_BANNER = re.compile(r"\bLinux version \d+\.\d+")

#: The PSP error codes a failed SNP_INIT reports, and what they usually mean on a host.
PSP_ERRORS: dict[int, str] = {
    0x0: "no firmware status (the PSP command timed out)",
    0x1: "INVALID_PLATFORM_STATE",
    0x3: "INVALID_CONFIG: the BIOS or boot mode is not set up for SNP (UEFI boot, SNP memory coverage, IOMMU)",
    0x16: "INVALID_PARAM",
    0x1A: "INVALID_PAGE_STATE",
    0x20: "RMP_INIT_REQUIRED",
}

KERN_LOG_PATH = "/var/log/kern.log"
DMESG_RESTRICT_PATH = "/proc/sys/kernel/dmesg_restrict"


@dataclass(frozen=True)
class LogLine:
    """One line of the kernel log that matched a pattern."""

    text: str
    match: re.Match[str]
    #: Position in the log (later lines have higher numbers).
    index: int = -1

    def group(self, index: int) -> str:
        return self.match.group(index) or ""


@dataclass(frozen=True)
class KernelLog:
    """The kernel log of the current boot, or why it could not be read."""

    #: Human name of where it came from ("dmesg", "journalctl -k -b 0", "/var/log/kern.log"); None if unread.
    source: str | None
    lines: tuple[str, ...] = ()
    #: Why no log could be read (None when one was).
    reason: str | None = None
    #: The raw bytes held invalid UTF-8 or NUL bytes (replaced before matching).
    undecodable: bool = False
    #: What each tried source said, for the evidence ("dmesg: Operation not permitted" ...).
    attempts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def readable(self) -> bool:
        return self.source is not None

    def find(self, pattern: re.Pattern[str]) -> list[LogLine]:
        """Every line matching ``pattern``, in log order."""
        out: list[LogLine] = []
        for index, line in enumerate(self.lines):
            m = pattern.search(line)
            if m:
                out.append(LogLine(line, m, index))
        return out

    def first(self, pattern: re.Pattern[str]) -> LogLine | None:
        for index, line in enumerate(self.lines):
            m = pattern.search(line)
            if m:
                return LogLine(line, m, index)
        return None

    def last(self, pattern: re.Pattern[str]) -> LogLine | None:
        for index in range(len(self.lines) - 1, -1, -1):
            m = pattern.search(self.lines[index])
            if m:
                return LogLine(self.lines[index], m, index)
        return None

    def evidence(self, line: LogLine | None) -> Evidence | None:
        """A matched line as evidence: the exact line, labelled with where the log came from."""
        if line is None:
            return None
        return Evidence(self.evidence_source(), line.text.strip())

    def status_evidence(self) -> Evidence:
        """Where the log came from, or why there is none."""
        if self.readable:
            note = ", undecodable bytes replaced" if self.undecodable else ""
            return Evidence("kernel log", f"read from {self.source} ({len(self.lines)} lines{note})")
        return Evidence("kernel log", f"unreadable: {self.reason}")

    def evidence_source(self) -> str:
        """How evidence lines from this log are labelled."""
        return f"kernel log ({self.source})" if self.source else "kernel log"

    def unknown_reason(self) -> str:
        """Why a missing line means "unknown": the log is unreadable, or the line may have rolled over."""
        if not self.readable:
            return f"the kernel log cannot be read ({self.reason})"
        note = "; it holds undecodable bytes, replaced" if self.undecodable else ""
        return (f"the kernel log ({self.source}, {len(self.lines)} lines{note}) has no such line; "
                "it may have rolled over")


def _is_undecodable(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _split(data: bytes) -> tuple[str, ...]:
    text = data.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return tuple(line.rstrip("\r") for line in text.splitlines())


def _command_reason(result: CommandResult) -> str:
    if not result.found:
        return "not installed"
    if result.error:
        return result.error
    first = next((ln.strip() for ln in result.text.splitlines() if ln.strip()), "")
    detail = f": {first}" if first else ""
    return f"exit status {result.returncode}{detail}"


def _journal_has_kernel_lines(lines: tuple[str, ...]) -> bool:
    """journalctl exits 0 with no entries (or only a hint) when the user may not read the journal."""
    return any(ln.strip() and not ln.startswith(("-- ", "Hint:", "No journal files")) for ln in lines)


def _last_boot(lines: tuple[str, ...]) -> tuple[str, ...]:
    """kern.log keeps several boots: keep the lines from the last kernel banner on."""
    for index in range(len(lines) - 1, -1, -1):
        if BOOT_BANNER.search(lines[index]):
            return lines[index:]
    return lines


def read_kernel_log(host: Host) -> KernelLog:
    """Get the kernel log once: dmesg, else ``journalctl -k``, else /var/log/kern.log."""
    attempts: list[str] = []

    dmesg = host.command("dmesg")
    if dmesg.ok and dmesg.output.strip():
        return KernelLog("dmesg", _split(dmesg.output), undecodable=_is_undecodable(dmesg.output),
                         attempts=("dmesg: read",))
    attempts.append(f"dmesg: {_command_reason(dmesg) if not dmesg.ok else 'empty output'}")

    journal = host.command("journalctl-k")
    if journal.ok:
        lines = _split(journal.output)
        if _journal_has_kernel_lines(lines):
            return KernelLog("journalctl -k -b 0", lines, undecodable=_is_undecodable(journal.output),
                             attempts=(*attempts, "journalctl -k -b 0: read"))
        attempts.append("journalctl -k -b 0: no entries (no permission to read the journal, or no journal)")
    else:
        attempts.append(f"journalctl -k -b 0: {_command_reason(journal)}")

    kern = host.read(KERN_LOG_PATH)
    if kern.ok and kern.data and kern.data.strip():
        return KernelLog(KERN_LOG_PATH, _last_boot(_split(kern.data)), undecodable=_is_undecodable(kern.data),
                         attempts=(*attempts, f"{KERN_LOG_PATH}: read"))
    attempts.append(f"{KERN_LOG_PATH}: {_file_reason(kern)}")

    # dmesg_restrict explains the failure only when dmesg ran and refused (not a timeout or a missing dmesg).
    refused = dmesg.returncode not in (None, 0)
    return KernelLog(None, reason=_why_unreadable(host, attempts, refused), attempts=tuple(attempts))


def _file_reason(read: FileRead) -> str:
    if read.ok:
        return "empty"
    return "does not exist" if read.absent else str(read.error)


def _why_unreadable(host: Host, attempts: list[str], dmesg_refused: bool = True) -> str:
    restrict = host.read(DMESG_RESTRICT_PATH)
    restricted = dmesg_refused and restrict.ok and (restrict.text or "").strip() == "1"
    head = "kernel.dmesg_restrict=1 and this user may not read the journal" if restricted else "no source could be read"
    return f"{head} ({'; '.join(attempts)})"
