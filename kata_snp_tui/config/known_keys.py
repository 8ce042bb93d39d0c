"""The keys Kata reads from configuration.toml (``assets/kata_known_keys.toml``)."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True)
class KnownKeys:
    #: Table names Kata reads ("hypervisor.qemu", "runtime", ...).
    tables: frozenset[str]
    #: table name -> key -> TOML type ("string", "boolean", "integer", "float", "array").
    keys: dict[str, dict[str, str]]
    #: key -> note, for keys upstream removed later.
    removed: dict[str, str]

    def table_known(self, name: tuple[str, ...]) -> bool:
        dotted = ".".join(name)
        return dotted in self.tables or any(t.startswith(dotted + ".") for t in self.tables)

    def checks_keys_of(self, name: tuple[str, ...]) -> bool:
        return ".".join(name) in self.keys

    def type_of(self, table: tuple[str, ...], key: str) -> str | None:
        return self.keys.get(".".join(table), {}).get(key)

    def suggest(self, table: tuple[str, ...], key: str) -> str | None:
        match = difflib.get_close_matches(key, list(self.keys.get(".".join(table), {})), n=1, cutoff=0.75)
        return match[0] if match else None

    def suggest_table(self, name: tuple[str, ...]) -> str | None:
        match = difflib.get_close_matches(".".join(name), sorted(self.tables), n=1, cutoff=0.75)
        return match[0] if match else None


def parse_known_keys(text: str) -> KnownKeys:
    data = tomllib.loads(text)
    return KnownKeys(
        tables=frozenset(str(t) for t in data.get("known_tables", [])),
        keys={str(t): {str(k): str(v) for k, v in keys.items()} for t, keys in data.get("tables", {}).items()},
        removed={str(k): str(v) for k, v in data.get("removed", {}).items()},
    )


@lru_cache(maxsize=1)
def load_known_keys() -> KnownKeys:
    return parse_known_keys((files("kata_snp_tui.assets") / "kata_known_keys.toml").read_text(encoding="utf-8"))
