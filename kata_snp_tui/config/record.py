"""What stage 3 wrote, kept on the session for the session report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AppliedConfig:
    #: "kata" or "containerd".
    kind: str
    path: str
    #: The backup of the previous content (None when the file was new).
    backup: str | None
    #: Unified diff of what changed.
    diff: str
    #: Ids of the changes the written file meets.
    changes: tuple[str, ...]
    at: datetime
    via_sudo: bool = False
    #: True when the file was the demo's scratch copy.
    demo_copy: bool = False
    #: Set when this was a restore: the backup that was put back.
    restored_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "backup": self.backup,
            "diff": self.diff,
            "changes": list(self.changes),
            "at": self.at.isoformat(),
            "via_sudo": self.via_sudo,
            "demo_copy": self.demo_copy,
            "restored_from": self.restored_from,
        }


def persist(record: AppliedConfig) -> None:
    """Keep the last real change in the state folder, so a headless ``export`` can report it.

    The demo's scratch copy is never persisted: the state folder describes this machine.
    Failing to persist never fails the save itself (the file is already written)."""
    import json

    from kata_snp_tui.atomic import atomic_write
    from kata_snp_tui.paths import ensure_private_dir, state_dir

    if record.demo_copy:
        return
    try:
        folder = ensure_private_dir(state_dir() / "config")
        data = json.dumps(record.to_json(), indent=2).encode("utf-8")
        atomic_write(folder / "last-apply.json", data, backup=False, mode=0o600)
    except OSError:
        pass
