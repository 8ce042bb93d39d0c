"""The known-errors knowledge base: error messages of the field, their causes and fixes, as data.

The data is ``assets/knowledge.toml``::

    [[error]]
    id = "yq-wrong"                        # unique, lower-case
    title = "yq is missing or the wrong yq"
    patterns = ['yq command is not in your \\$PATH', 'jq: Unknown option -X']   # Python regexes
    ignore_case = false                    # optional
    cause = "why it happens"
    fix = "what to do, in words"
    commands = ["go install github.com/mikefarah/yq/v3@latest"]   # exact commands; {workspace} is filled in
    stages = ["build"]                     # checks, build, config, verify (empty: any)
    steps = ["qemu-clone"]                 # optional: recipe steps it usually comes from
    source = "issue #..."                  # where the knowledge comes from

API (stable; the troubleshooting view and the build failure banner use it)::

    from kata_snp_tui.knowledge import default_knowledge, load_knowledge, match

    kb = default_knowledge()               # the built-in file, loaded once (immutable)
    kb.match(text, stage="build", step="kernel-setup") -> list[KnownError]   # best first
    kb.find(text, ...) -> list[Hit]        # the same, with the line that matched
    match(text) -> list[KnownError]        # default_knowledge().match(text)
    load_knowledge(path) -> KnowledgeBase  # another file; kb.problems lists what was skipped

A bad entry (a regex that does not compile, a missing field, a repeated id) never stops loading: it
is skipped and described in ``KnowledgeBase.problems``. Only an unreadable file or invalid TOML is
an error (:class:`KnowledgeError`, a UserError).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from kata_snp_tui.errors import UserError

STAGES = ("checks", "build", "config", "verify")
ENTRY_KEYS = frozenset(
    {"id", "title", "patterns", "ignore_case", "cause", "fix", "commands", "stages", "steps", "source"}
)
REQUIRED = ("id", "title", "patterns", "cause", "fix")
#: Only this much of the end of a long text is searched (errors sit near the end of a log).
MAX_SEARCH_CHARS = 512 * 1024


class KnowledgeError(UserError):
    """The knowledge base file cannot be read at all."""


@dataclass(frozen=True)
class KnownError:
    id: str
    title: str
    patterns: tuple[re.Pattern[str], ...]
    cause: str
    fix: str
    commands: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    source: str = ""

    def applies_to(self, stage: str | None) -> bool:
        return stage is None or not self.stages or stage in self.stages

    def commands_for(self, workspace: str | Path | None = None) -> list[str]:
        """The fix commands with ``{workspace}`` filled in (default: ``~/kata-snp-workspace``)."""
        ws = str(workspace) if workspace is not None else "~/kata-snp-workspace"
        return [c.replace("{workspace}", ws) for c in self.commands]

    def first_hit(self, text: str) -> re.Match[str] | None:
        """The last place (nearest the end) any pattern matches."""
        best: re.Match[str] | None = None
        for pattern in self.patterns:
            for m in pattern.finditer(text):
                if best is None or m.start() > best.start():
                    best = m
        return best


@dataclass(frozen=True)
class Hit:
    error: KnownError
    #: The whole line the match is on.
    line: str
    #: 1-based line number in the searched text.
    line_number: int


@dataclass(frozen=True)
class KnowledgeBase:
    errors: tuple[KnownError, ...]
    source: str = "knowledge base"
    problems: tuple[str, ...] = field(default=())

    def get(self, error_id: str) -> KnownError:
        for e in self.errors:
            if e.id == error_id:
                return e
        raise KeyError(error_id)

    def find(self, text: str, *, stage: str | None = None, step: str | None = None) -> list[Hit]:
        """Every known error whose patterns occur in ``text``, best first.

        Best means: errors known to come from ``step`` first, then the one matching nearest the end
        of the text (the last error printed is usually the one that stopped the step).
        """
        offset_chars = max(0, len(text) - MAX_SEARCH_CHARS)
        haystack = text[offset_chars:]
        base_line = text.count("\n", 0, offset_chars) if offset_chars else 0
        found: list[tuple[int, int, Hit]] = []
        for error in self.errors:
            if not error.applies_to(stage):
                continue
            m = error.first_hit(haystack)
            if m is None:
                continue
            start = haystack.rfind("\n", 0, m.start()) + 1
            end = haystack.find("\n", m.end())
            line = haystack[start : end if end != -1 else len(haystack)]
            line_number = base_line + haystack.count("\n", 0, m.start()) + 1
            from_step = 0 if (step is not None and step in error.steps) else 1
            found.append((from_step, -m.start(), Hit(error, line.strip(), line_number)))
        found.sort(key=lambda t: (t[0], t[1]))
        return [h for _, _, h in found]

    def match(self, text: str, *, stage: str | None = None, step: str | None = None) -> list[KnownError]:
        """The known errors in ``text`` (any pasted text or a step's output), best first."""
        return [h.error for h in self.find(text, stage=stage, step=step)]

    def match_lines(self, lines: Sequence[str], **kw: Any) -> list[KnownError]:
        return self.match("\n".join(lines), **kw)

    def match_log(self, path: Path | str, **kw: Any) -> list[KnownError]:
        """Search the end of a log file."""
        try:
            with open(path, "rb") as fh:
                fh.seek(0, 2)
                size = fh.tell()
                fh.seek(max(0, size - MAX_SEARCH_CHARS))
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            return []
        return self.match(text, **kw)


def builtin_knowledge_path() -> Path:
    return Path(str(files("kata_snp_tui.assets") / "knowledge.toml"))


def load_knowledge(path: Path | str | None = None) -> KnowledgeBase:
    """Load a knowledge base file (the built-in one when ``path`` is None)."""
    src = Path(path) if path is not None else builtin_knowledge_path()
    label = "built-in knowledge base" if path is None else str(src)
    try:
        text = src.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{label}: cannot read it ({exc})") from None
    return parse_knowledge(text, label)


def parse_knowledge(text: str, source: str = "knowledge base") -> KnowledgeBase:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{source}: not valid TOML ({exc})") from None
    return knowledge_from_data(data, source)


def knowledge_from_data(data: Mapping[str, Any], source: str = "knowledge base") -> KnowledgeBase:
    problems: list[str] = []
    raw_entries = data.get("error", [])
    if not isinstance(raw_entries, list):
        raise KnowledgeError(f"{source}: expected [[error]] tables")
    for key in sorted(set(data) - {"error"}):
        problems.append(f"{source}: unknown top-level key {key!r} ignored")
    errors: list[KnownError] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_entries, start=1):
        entry = _entry(raw, index, source, problems)
        if entry is None:
            continue
        if entry.id in seen:
            problems.append(f"{source}: entry {index} repeats id {entry.id!r}; skipped")
            continue
        seen.add(entry.id)
        errors.append(entry)
    return KnowledgeBase(tuple(errors), source, tuple(problems))


def _entry(raw: Any, index: int, source: str, problems: list[str]) -> KnownError | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{source}: entry {index} is not a table; skipped")
        return None
    name = f"entry {raw.get('id')!r}" if isinstance(raw.get("id"), str) else f"entry {index}"
    where = f"{source}: {name}"
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        problems.append(f"{where}: lacks {', '.join(missing)}; skipped")
        return None
    for key in sorted(set(raw) - ENTRY_KEYS):
        problems.append(f"{where}: unknown key {key!r} ignored")
    for key in ("id", "title", "cause", "fix"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            problems.append(f"{where}: {key!r} must be a non-empty string; skipped")
            return None

    def str_list(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where}: {key!r} must be a list of strings; ignored")
            return ()
        return tuple(value)

    flags = re.MULTILINE | (re.IGNORECASE if raw.get("ignore_case") is True else 0)
    compiled: list[re.Pattern[str]] = []
    for pattern in str_list("patterns"):
        if not pattern:
            problems.append(f"{where}: an empty pattern would match everything; ignored")
            continue
        try:
            rx = re.compile(pattern, flags)
        except re.error as exc:
            problems.append(f"{where}: pattern {pattern!r} is not a valid regex ({exc}); ignored")
            continue
        if rx.search("") is not None:
            problems.append(f"{where}: pattern {pattern!r} matches empty text; ignored")
            continue
        compiled.append(rx)
    if not compiled:
        problems.append(f"{where}: no usable pattern; skipped")
        return None
    stages = str_list("stages")
    for s in stages:
        if s not in STAGES:
            problems.append(f"{where}: unknown stage {s!r} (known: {', '.join(STAGES)})")
    return KnownError(
        id=raw["id"],
        title=raw["title"].strip(),
        patterns=tuple(compiled),
        cause=raw["cause"].strip(),
        fix=raw["fix"].strip(),
        commands=str_list("commands"),
        stages=stages,
        steps=str_list("steps"),
        source=str(raw.get("source", "")),
    )


@lru_cache(maxsize=1)
def default_knowledge() -> KnowledgeBase:
    """The built-in knowledge base (loaded once; the result is immutable)."""
    return load_knowledge()


def match(text: str, *, stage: str | None = None, step: str | None = None) -> list[KnownError]:
    """Known errors in ``text``, from the built-in knowledge base, best first."""
    return default_knowledge().match(text, stage=stage, step=step)
