"""Shared helpers for the configuration editor's tests (tests/test_config_*.py)."""

from __future__ import annotations

import os
import stat
import sys
from datetime import datetime, timezone
from pathlib import Path

from conftest import DATA, REPO, SHARED

UPSTREAM = SHARED / "upstream"
CONFIG_DATA = DATA / "config"
GOLDEN = CONFIG_DATA / "golden"
#: Every generated Kata QEMU configuration upstream ships (four releases and the SNP variants).
UPSTREAM_CONFIGS = sorted(p.name for p in UPSTREAM.glob("configuration-qemu*.toml.*"))
#: A fixed workspace so paths in goldens and snapshots do not depend on the test's temporary folder.
FIXED_WORKSPACE = "/home/dev/kata-snp-workspace"
FROZEN = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)
TEST_HOST = CONFIG_DATA / "host"
PYTHON = sys.executable


def frozen_clock() -> datetime:
    return FROZEN


def upstream(name: str) -> str:
    return (UPSTREAM / name).read_text(encoding="utf-8")


def lines_of(text: str) -> list[str]:
    return text.split("\n")


#: A stand-in for sudo: understands -n, -S, -p PROMPT, -k and --; checks the password against
#: $STANDIN_SUDO_PASSWORD (none set: no password needed); like sudo, remembers a good password for a
#: while when $STANDIN_SUDO_CACHE names a file to keep that fact in (-k forgets it); logs each argv to
#: $STANDIN_SUDO_LOG; then runs the command (the tests run as whatever user they are, so "root" is
#: just this user).
STANDIN_SUDO = r"""#!/bin/sh
log="${STANDIN_SUDO_LOG:-/dev/null}"
printf '%s\n' "$*" >> "$log"
nonint=0; stdin_pw=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) nonint=1; shift ;;
    -S) stdin_pw=1; shift ;;
    -k) [ -n "$STANDIN_SUDO_CACHE" ] && rm -f "$STANDIN_SUDO_CACHE"; shift ;;
    -p) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ -n "$STANDIN_SUDO_PASSWORD" ] && ! { [ -n "$STANDIN_SUDO_CACHE" ] && [ -f "$STANDIN_SUDO_CACHE" ]; }; then
  if [ "$stdin_pw" = 1 ]; then
    IFS= read -r given || given=""
    if [ "$given" != "$STANDIN_SUDO_PASSWORD" ]; then
      echo "Sorry, try again." >&2
      echo "sudo: 1 incorrect password attempt" >&2
      exit 1
    fi
    [ -n "$STANDIN_SUDO_CACHE" ] && : > "$STANDIN_SUDO_CACHE"
  else
    echo "sudo: a password is required" >&2
    exit 1
  fi
fi
[ $# -eq 0 ] && exit 0
exec "$@"
"""


def install_standin_sudo(folder: Path) -> Path:
    """Write the stand-in sudo into ``folder`` (which the test puts first on PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    sudo = folder / "sudo"
    sudo.write_text(STANDIN_SUDO)
    sudo.chmod(sudo.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return sudo


def folder_listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for running the command line in a subprocess (the test's isolated dirs kept)."""
    env = dict(os.environ)
    env["KATA_SNP_TUI_WORKSPACE"] = FIXED_WORKSPACE
    env.update(extra or {})
    env["PYTHONPATH"] = str(REPO)
    return env


async def wait_until_ready(pilot, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """After switching to the editor: wait until both files are loaded and analysed (the loads run in
    workers started from another worker, so waiting for the workers alone can return too early)."""
    waited = 0.0
    while not getattr(pilot.app.screen, "ready", False):
        assert waited < timeout, "the configuration editor did not finish loading"
        await pilot.pause(0.02)
        waited += 0.02
    # The footer follows the screen's bindings a refresh later: let it settle before a snapshot.
    await pilot.pause()
    await pilot.app.screen.wait_for_refresh()
    await pilot.pause()
