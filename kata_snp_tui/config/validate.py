"""Is a configuration.toml what Kata will accept, and what the guide needs?

``validate(text, exists=...)`` parses the text and reports, each with its line:

* errors Kata itself would stop on: not TOML, no ``[hypervisor.qemu]``, a guide key with the wrong type,
  ``image`` and ``initrd`` both set (or neither), virtio-fs without a daemon, an unknown ``shared_fs``;
* warnings: keys and tables Kata does not know (it ignores them silently, so a typo has no effect),
  settings that contradict the SNP setup (a confidential guest without firmware, virtio-fs with SNP ...),
  paths that do not exist or are not absolute;
* notes: keys newer Kata releases dropped.

Only the first kind stops a save when the text does not parse at all; the rest is shown to the user.
The ``exists`` function is injectable so the demo and the tests decide which paths exist.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kata_snp_tui.config.changes import ChangeSet, load_change_set
from kata_snp_tui.config.known_keys import KnownKeys, load_known_keys
from kata_snp_tui.config.lexer import Lexed, find_key, header_text, lex

ERROR = "error"
WARNING = "warning"
INFO = "info"

#: The values Kata accepts for shared_fs (configuration template comment, 2023 and later).
SHARED_FS_VALUES = ("virtio-fs", "virtio-9p", "virtio-fs-nydus", "none")

_TYPE_CHECKS: dict[str, Callable[[object], bool]] = {
    "string": lambda v: isinstance(v, str),
    "path": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
}
_TOML_TYPE = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Finding:
    level: str
    code: str
    message: str
    #: 0-based line in the text, when the finding is about one line.
    line: int | None = None
    key: str | None = None

    def located(self) -> str:
        return f"line {self.line + 1}: {self.message}" if self.line is not None else self.message


@dataclass(frozen=True)
class Validation:
    findings: tuple[Finding, ...]
    #: The parsed document, or None when the text is not valid TOML.
    document: dict[str, object] | None

    @property
    def parses(self) -> bool:
        return self.document is not None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.parses:
            return "not valid TOML"
        e, w = len(self.errors), len(self.warnings)
        if not e and not w:
            return "valid"
        parts = []
        if e:
            parts.append(f"{e} error{'s' if e != 1 else ''}")
        if w:
            parts.append(f"{w} warning{'s' if w != 1 else ''}")
        return ", ".join(parts)


def toml_type(value: object) -> str:
    return _TOML_TYPE.get(type(value), type(value).__name__)


def parse_error_finding(exc: tomllib.TOMLDecodeError) -> Finding:
    message = str(exc)
    m = _AT_LINE.search(message)
    line = int(m.group(1)) - 1 if m else None
    return Finding(ERROR, "parse", f"not valid TOML: {message}", line)


def validate(
    text: str,
    *,
    exists: Callable[[str], bool] | None = os.path.exists,
    known: KnownKeys | None = None,
    change_set: ChangeSet | None = None,
    lexed: Lexed | None = None,
) -> Validation:
    """Check ``text``; ``exists=None`` skips the path checks."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Validation((parse_error_finding(exc),), None)
    cs = change_set or load_change_set()
    known = known or load_known_keys()
    lexed = lexed or lex(text)
    table = cs.table
    findings: list[Finding] = []
    node: object = doc
    for part in table:
        node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        findings.append(Finding(ERROR, "no-table", f"no [{header_text(table)}] table: this is not a Kata QEMU configuration"))
        return Validation(tuple(findings), doc)
    qemu: Mapping[str, object] = node

    def line_of(key: str) -> int | None:
        st = find_key(lexed, table, key)
        return st.first if st else None

    findings.extend(_unknown_names(lexed, known))
    findings.extend(_types(qemu, table, cs, known, line_of))
    findings.extend(_contradictions(qemu, line_of))
    if exists is not None:
        findings.extend(_paths(qemu, cs, exists, line_of))
    for key, note in known.removed.items():
        if key in qemu:
            findings.append(Finding(INFO, "removed-key", f"{key}: {note}", line_of(key), key))
    findings.sort(key=lambda f: (f.line if f.line is not None else -1, {ERROR: 0, WARNING: 1, INFO: 2}[f.level]))
    return Validation(tuple(findings), doc)


def _unknown_names(lexed: Lexed, known: KnownKeys) -> list[Finding]:
    out: list[Finding] = []
    for st in lexed.statements:
        if st.kind == "header":
            if not known.table_known(st.key):
                hint = known.suggest_table(st.key)
                extra = f" (did you mean [{hint}]?)" if hint else ""
                out.append(
                    Finding(WARNING, "unknown-table", f"[{header_text(st.key)}] is not a table Kata reads; it is ignored{extra}", st.first)
                )
        elif st.kind == "keyval" and known.checks_keys_of(st.table):
            key = st.key[0]
            if known.type_of(st.table, key) is None:
                hint = known.suggest(st.table, key)
                extra = f" (did you mean {hint}?)" if hint else ""
                out.append(
                    Finding(
                        WARNING,
                        "unknown-key",
                        f"{key} is not a key Kata knows in [{header_text(st.table)}]; Kata ignores it silently{extra}",
                        st.first,
                        key,
                    )
                )
    return out


def _types(
    qemu: Mapping[str, object], table: tuple[str, ...], cs: ChangeSet, known: KnownKeys, line_of: Callable[[str], int | None]
) -> list[Finding]:
    out: list[Finding] = []
    guide_types = {c.key: c.type for c in cs.changes}
    for key, value in qemu.items():
        want = guide_types.get(key) or known.type_of(table, key)
        if want is None or want not in _TYPE_CHECKS:
            continue
        if not _TYPE_CHECKS[want](value):
            want_name = "string" if want == "path" else want
            level = ERROR if key in guide_types else WARNING
            out.append(
                Finding(level, "type", f"{key} must be a {want_name}, not a {toml_type(value)}: Kata cannot load this file", line_of(key), key)
            )
    return out


def _truthy(value: object) -> bool:
    return value is True


def _set_path(qemu: Mapping[str, object], key: str) -> bool:
    value = qemu.get(key)
    return isinstance(value, str) and value != ""


def _contradictions(qemu: Mapping[str, object], line_of: Callable[[str], int | None]) -> list[Finding]:
    out: list[Finding] = []
    image, initrd = _set_path(qemu, "image"), _set_path(qemu, "initrd")
    if image and initrd:
        out.append(
            Finding(
                ERROR,
                "image-and-initrd",
                "image and initrd are both set: Kata refuses to start (\"Image and initrd path cannot be both set\")",
                line_of("initrd"),
                "initrd",
            )
        )
    elif not image and not initrd:
        out.append(Finding(ERROR, "no-image-or-initrd", "neither image nor initrd is set (\"Missing image and initrd path\")", None, "initrd"))
    shared_fs = qemu.get("shared_fs")
    if isinstance(shared_fs, str):
        if shared_fs not in SHARED_FS_VALUES:
            out.append(
                Finding(
                    ERROR,
                    "shared-fs",
                    f"shared_fs = {shared_fs!r} is not supported (one of {', '.join(SHARED_FS_VALUES)})",
                    line_of("shared_fs"),
                    "shared_fs",
                )
            )
        elif shared_fs in ("virtio-fs", "virtio-fs-nydus") and not _set_path(qemu, "virtio_fs_daemon"):
            out.append(
                Finding(
                    ERROR,
                    "virtio-fs-without-daemon",
                    f"shared_fs is {shared_fs} but virtio_fs_daemon is not set (\"cannot enable virtio-fs without daemon path\")",
                    line_of("shared_fs"),
                    "shared_fs",
                )
            )
    confidential = _truthy(qemu.get("confidential_guest"))
    if _truthy(qemu.get("sev_snp_guest")) and not confidential:
        out.append(
            Finding(WARNING, "snp-without-confidential", "sev_snp_guest has no effect without confidential_guest = true", line_of("sev_snp_guest"), "sev_snp_guest")
        )
    if confidential:
        if not _set_path(qemu, "firmware"):
            out.append(
                Finding(
                    WARNING,
                    "confidential-without-firmware",
                    "confidential_guest is on but firmware is empty: the SNP guest object is dropped and QEMU cannot start the VM",
                    line_of("firmware"),
                    "firmware",
                )
            )
        if shared_fs in ("virtio-fs", "virtio-fs-nydus"):
            out.append(
                Finding(
                    WARNING,
                    "confidential-virtio-fs",
                    "virtio-fs does not work with the SNP QEMU the guide builds: use shared_fs = \"virtio-9p\"",
                    line_of("shared_fs"),
                    "shared_fs",
                )
            )
        fmb = qemu.get("file_mem_backend")
        if isinstance(fmb, str) and fmb:
            out.append(
                Finding(
                    WARNING,
                    "confidential-file-mem",
                    "file_mem_backend is set: SNP guest memory cannot be file-backed (the guide sets it to \"\")",
                    line_of("file_mem_backend"),
                    "file_mem_backend",
                )
            )
        if qemu.get("disable_image_nvdimm") is not True:
            out.append(
                Finding(
                    INFO,
                    "confidential-nvdimm",
                    "disable_image_nvdimm is not true: the runtime turns NVDIMM off itself for confidential guests",
                    line_of("disable_image_nvdimm"),
                    "disable_image_nvdimm",
                )
            )
    return out


def _paths(qemu: Mapping[str, object], cs: ChangeSet, exists: Callable[[str], bool], line_of: Callable[[str], int | None]) -> list[Finding]:
    out: list[Finding] = []
    for change in cs.changes:
        if change.type != "path":
            continue
        value = qemu.get(change.key)
        if not isinstance(value, str) or not value:
            continue
        if not os.path.isabs(value):
            out.append(Finding(WARNING, "path-relative", f"{change.key} = {value!r} is not an absolute path", line_of(change.key), change.key))
        elif not exists(value):
            out.append(Finding(WARNING, "path-missing", f"{change.key}: {value} does not exist", line_of(change.key), change.key))
    return out
