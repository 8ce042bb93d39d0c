"""The shell script the verify run executes inside the container (``ctr run ... IMAGE NAME sh -c SCRIPT``).

One container, one VM boot, three sections, each opened by a marker line the host reads back:

1. ``dmesg``: the guest kernel log, whole (the guide greps it for ``sev``; the parser reads all of it).
2. ``/dev/sev-guest``: created as the guide shows, from ``/sys/devices/virtual/misc/sev-guest/dev``
   (major and minor), ``mknod -m 600 /dev/sev-guest c MAJOR MINOR``. The guide splits the pair with
   ``awk -F:``; the script uses the shell's own ``${dev%%:*}``/``${dev##*:}`` (same result, no awk needed).
3. The attestation report: ``snpguest report`` when the image has it, else the stdlib client
   (:mod:`guest_report_client`) piped into ``python3 -`` when the image has python3, else a plain
   "neither" line. The report comes back as hex between BEGIN/END markers.

Busybox (the guide's image) has neither snpguest nor python3: the script says so and the host reports it.
Every value put into the script is generated here (hex digits, octal escapes, small integers): no user
text is interpolated into the shell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files

from kata_snp_tui.verify.report import BEGIN_MARKER, END_MARKER

SECTION_PREFIX = "### kata-snp-tui:"
SECTION_DMESG = "dmesg"
SECTION_DEVICE = "sev-guest"
SECTION_ATTESTATION = "attestation"
#: The line the script prints to say which way it took ("snpguest", "python3", "none", "skipped").
METHOD_PREFIX = "kata-snp-tui: attestation method:"
HEREDOC_END = "KATA_SNP_TUI_CLIENT_EOF"
SEV_GUEST_SYSFS = "/sys/devices/virtual/misc/sev-guest/dev"
SEV_GUEST_DEVICE = "/dev/sev-guest"
_SAFE_PATH = re.compile(r"^/[\w./-]+$")

_SECTION_LINE = re.compile(r"^### kata-snp-tui: (?P<name>[\w-]+)(?: (?P<rest>.*))?$")
_METHOD_LINE = re.compile(r"^kata-snp-tui: attestation method: (?P<method>\w+)(?: \((?P<why>.*)\))?\s*$")


@dataclass(frozen=True)
class GuestScriptOptions:
    #: 64 bytes the report must carry in report_data.
    report_data: bytes
    #: Try to get an attestation report after dmesg (False: dmesg only).
    attest: bool = True
    #: VMPL to request (None: the tool's default; 0 for the Python client).
    vmpl: int | None = None
    #: Where the guest exposes the device number and where the node is made (the guide's paths; tests change them).
    sysfs_dev: str = SEV_GUEST_SYSFS
    device: str = SEV_GUEST_DEVICE


def client_source() -> str:
    """The stdlib report client, as text to feed ``python3 -``."""
    return files("kata_snp_tui.verify").joinpath("guest_report_client.py").read_text(encoding="utf-8")


def _octal_escapes(data: bytes) -> str:
    return "".join(f"\\{b:03o}" for b in data)


def build_script(options: GuestScriptOptions) -> str:
    if len(options.report_data) != 64:
        raise ValueError("report data must be 64 bytes")
    if options.vmpl is not None and not 0 <= options.vmpl <= 3:
        raise ValueError("vmpl must be 0..3")
    for path in (options.sysfs_dev, options.device):
        if not _SAFE_PATH.match(path):
            raise ValueError(f"unsafe path for the guest script: {path!r}")
    sysfs, device = options.sysfs_dev, options.device
    hex_data = options.report_data.hex()
    vmpl_py = options.vmpl if options.vmpl is not None else 0
    snpguest_vmpl = f" --vmpl {options.vmpl}" if options.vmpl is not None else ""
    lines = [
        f"echo '{SECTION_PREFIX} {SECTION_DMESG}'",
        "dmesg 2>&1",
        "rc=$?",
        f"echo \"{SECTION_PREFIX} end-{SECTION_DMESG} exit=$rc\"",
    ]
    if options.attest:
        source = client_source()
        if HEREDOC_END in source:  # pragma: no cover - guarded so the heredoc can never end early
            raise ValueError("the client source contains the heredoc delimiter")
        lines += [
            f"echo '{SECTION_PREFIX} {SECTION_DEVICE}'",
            f"if [ -r {sysfs} ]; then",
            f"  dev=$(cat {sysfs})",
            '  SNP_MAJOR="${dev%%:*}"',
            '  SNP_MINOR="${dev##*:}"',
            '  echo "sev-guest device number: ${SNP_MAJOR}:${SNP_MINOR}"',
            f'  if [ ! -e {device} ]; then mknod -m 600 {device} c "${{SNP_MAJOR}}" "${{SNP_MINOR}}" 2>&1; fi',
            f"  ls -l {device} 2>&1",
            "else",
            f"  echo 'kata-snp-tui: {sysfs} is absent: the sev-guest driver is not loaded in this guest'",
            "fi",
            f"echo '{SECTION_PREFIX} {SECTION_ATTESTATION}'",
            f"if [ ! -e {device} ]; then",
            f"  echo '{METHOD_PREFIX} skipped (no {device})'",
            "elif command -v snpguest >/dev/null 2>&1; then",
            f"  echo '{METHOD_PREFIX} snpguest'",
            f"  echo 'report_data: {hex_data}'",
            f"  printf '{_octal_escapes(options.report_data)}' > /tmp/kata-snp-tui-request.bin",
            f"  if snpguest report /tmp/kata-snp-tui-report.bin /tmp/kata-snp-tui-request.bin{snpguest_vmpl} 2>&1; then",
            f"    echo '{BEGIN_MARKER}'",
            "    od -An -v -tx1 /tmp/kata-snp-tui-report.bin",
            f"    echo '{END_MARKER}'",
            "  else",
            "    echo 'kata-snp-tui: snpguest report failed'",
            "  fi",
            "elif command -v python3 >/dev/null 2>&1; then",
            f"  echo '{METHOD_PREFIX} python3'",
            f"  python3 - --report-data {hex_data} --vmpl {vmpl_py} --device {device} 2>&1 <<'{HEREDOC_END}'",
            source.rstrip("\n"),
            HEREDOC_END,
            "else",
            f"  echo '{METHOD_PREFIX} none (this image has neither snpguest nor python3)'",
            "fi",
        ]
    lines.append(f"echo '{SECTION_PREFIX} done'")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class GuestOutput:
    """A run's output split back into its sections."""

    #: The dmesg section (or the whole text when the markers are absent: a pasted log, a plain run).
    dmesg: str
    dmesg_exit: int | None
    device: str
    attestation: str
    #: "snpguest", "python3", "none", "skipped" or None when the section never started.
    method: str | None
    method_reason: str | None
    #: The script reached its last line.
    completed: bool
    #: The guest printed markers at all.
    structured: bool


def split_output(text: str) -> GuestOutput:
    sections: dict[str, list[str]] = {}
    current: str | None = None
    dmesg_exit: int | None = None
    completed = False
    method: str | None = None
    why: str | None = None
    for line in text.splitlines():
        m = _SECTION_LINE.match(line.rstrip("\r"))
        if m:
            name = m.group("name")
            if name == f"end-{SECTION_DMESG}":
                ex = re.search(r"exit=(\d+)", m.group("rest") or "")
                dmesg_exit = int(ex.group(1)) if ex else None
                current = None
            elif name == "done":
                completed = True
                current = None
            else:
                current = name
                sections.setdefault(name, [])
            continue
        mm = _METHOD_LINE.match(line.rstrip("\r"))
        if mm and method is None:
            method, why = mm.group("method"), mm.group("why")
        if current is not None:
            sections[current].append(line)
    structured = bool(sections) or completed
    dmesg = "\n".join(sections.get(SECTION_DMESG, [])) if structured else text
    return GuestOutput(
        dmesg=dmesg,
        dmesg_exit=dmesg_exit,
        device="\n".join(sections.get(SECTION_DEVICE, [])),
        attestation="\n".join(sections.get(SECTION_ATTESTATION, [])),
        method=method,
        method_reason=why,
        completed=completed,
        structured=structured,
    )


_REPORT_DATA_LINE = re.compile(r"^report_data: (?P<hex>[0-9a-f]{128})\s*$", re.MULTILINE)


def echoed_report_data(attestation_text: str) -> bytes | None:
    m = _REPORT_DATA_LINE.search(attestation_text)
    return bytes.fromhex(m.group("hex")) if m else None
