"""What the wizard found and did in one session: shared by the screens, the CLI and the session report.

The App owns one Session (no global state). Each stage stores its engine results here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from kata_snp_tui.checks.model import CheckReport
from kata_snp_tui.host import Host, HostSource


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Session:
    source: HostSource
    host: Host
    clock: Callable[[], datetime] = utc_now
    started_at: datetime = field(default_factory=utc_now)
    checks: CheckReport | None = None
    #: Stage 2: the build's step states (kata_snp_tui.build_state.StepStates: a dict step id -> record, set by the Build screen).
    build_states: Any = None
    #: Stage 4's last result (kata_snp_tui.verify.result.Verification), set by the Verify screen.
    verification: Any = None
    #: Stage 3's writes (kata_snp_tui.config.record.AppliedConfig: file, backup, unified diff), in order.
    config_applied: list[Any] = field(default_factory=list)
    #: Stage 3's files whose proposed text differs from the file ("kata", "containerd"), set by the
    #: Configure screen after every analysis: the welcome screen says which file still has unsaved changes.
    config_unsaved: tuple[str, ...] = ()
    #: The build profile in use and why (kata_snp_tui.profiles.ProfileChoice), chosen once a session
    #: (KataApp.profile_choice): the Build and Configure stages, the welcome screen and the report show it.
    profile_choice: Any = None
    #: Per-stage options set before a stage opens (the Build screen reads BUILD_OPTIONS_KEY: recipe, workspace).
    extras: dict[str, Any] = field(default_factory=dict)
