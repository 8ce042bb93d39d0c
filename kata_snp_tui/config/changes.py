"""The guide's change set, read from ``assets/changes.toml``, and the values it resolves to on this machine."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from kata_snp_tui import paths

#: A value a change may set (the guide's values are strings and booleans).
Value = str | bool | int


@dataclass(frozen=True)
class Change:
    id: str
    key: str
    #: "set" or "comment".
    action: str
    type: str
    title: str
    guide: str
    source: str = ""
    #: The guide's value, possibly with a ``{workspace}`` placeholder (None for "comment").
    value: Value | None = None
    #: The override option name (``--qemu``) for path values.
    option: str | None = None
    insert_after: tuple[str, ...] = ()
    insert_before: tuple[str, ...] = ()
    #: What the change wants, in words, when a TOML line cannot say it (containerd tables).
    want: str = ""

    @property
    def verb(self) -> str:
        """What the guide says to do, in a word or two."""
        return "comment out" if self.action == "comment" else "set"

    def default_value(self, workspace: Path | None = None) -> Value | None:
        if isinstance(self.value, str):
            ws = workspace if workspace is not None else paths.default_workspace()
            return self.value.replace("{workspace}", str(ws))
        return self.value


@dataclass(frozen=True)
class ChangeSet:
    table: tuple[str, ...]
    changes: tuple[Change, ...]

    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.changes)

    def get(self, change_id: str) -> Change:
        for change in self.changes:
            if change.id == change_id:
                return change
        raise KeyError(change_id)

    def by_option(self) -> dict[str, Change]:
        return {c.option: c for c in self.changes if c.option}

    def values(self, overrides: Mapping[str, str | None] | None = None, workspace: Path | None = None) -> dict[str, Value]:
        """The value each "set" change writes: the guide's default, or an override keyed by option name."""
        overrides = overrides or {}
        result: dict[str, Value] = {}
        for change in self.changes:
            if change.action != "set":
                continue
            value = change.default_value(workspace)
            if change.option and overrides.get(change.option):
                value = str(overrides[change.option])
            assert value is not None
            result[change.id] = value
        return result

    def default_paths(self, workspace: Path | None = None) -> list[str]:
        """The paths the build stage produces (the demo treats them as present)."""
        return [str(v) for c in self.changes if c.type == "path" and isinstance(v := c.default_value(workspace), str) and v]


def _change_from(data: Mapping[str, Any]) -> Change:
    return Change(
        id=str(data["id"]),
        key=str(data["key"]),
        action=str(data["action"]),
        type=str(data.get("type", "string")),
        title=str(data.get("title", data["id"])),
        guide=str(data.get("guide", "")),
        source=str(data.get("source", "")),
        value=data.get("value"),
        option=data.get("option"),
        insert_after=tuple(data.get("insert_after", ())),
        insert_before=tuple(data.get("insert_before", ())),
    )


def parse_change_set(text: str) -> ChangeSet:
    data = tomllib.loads(text)
    table = tuple(str(data.get("table", "hypervisor.qemu")).split("."))
    changes = tuple(_change_from(item) for item in data.get("change", []))
    for change in changes:
        if change.action not in ("set", "comment"):
            raise ValueError(f"change {change.id}: unknown action {change.action!r}")
        if change.action == "set" and change.value is None:
            raise ValueError(f"change {change.id}: 'set' needs a value")
    return ChangeSet(table=table, changes=changes)


@lru_cache(maxsize=4)
def load_change_set(name: str = "changes.toml") -> ChangeSet:
    """A built-in change set: by default the guide's eleven changes (the guide-3.2 profile); a profile names
    its own (``Profile.changes``, e.g. ``changes-upstream.toml``)."""
    return parse_change_set((files("kata_snp_tui.assets") / name).read_text(encoding="utf-8"))
