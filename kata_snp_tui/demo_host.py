"""The demo host: the recorded host snapshot, plus what that host had after each of its build steps.

The recording (assets/demo/host) was taken before the recorded host's build. ``assets/demo/after-build.toml``
lists the files and command outputs the host had once a step of the guide's recipe had run; the demo host
shows each of them only while that step is done in the demo's own build state, so every stage (host
checks, the Configure stage's path checks, ``check --demo``, ``config check --demo``) follows the demo
build as it is replayed. Nothing here asks this machine.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from kata_snp_tui.build_state import StepStatus, demo_state_file, read_step_records
from kata_snp_tui.host import CommandResult, FileRead, Resources, SnapshotHost

#: Why the demo host cannot give the bytes of a file its build made (only that it exists).
NOT_RECORDED = "not recorded (the demo host recorded only that its build made this file)"


@dataclass(frozen=True)
class BuiltFile:
    """A file the recorded host had after ``step``; ``text`` when its contents were recorded."""

    step: str
    path: str
    text: str | None = None


@dataclass(frozen=True)
class BuiltCommand:
    """A probe command's output on the recorded host after ``step``."""

    step: str
    key: str
    argv: tuple[str, ...]
    stdout: str
    returncode: int = 0


@dataclass(frozen=True)
class AfterBuild:
    """Everything assets/demo/after-build.toml records."""

    files: tuple[BuiltFile, ...]
    commands: tuple[BuiltCommand, ...]


def load_after_build(workspace: Path) -> AfterBuild:
    """Read the bundled recording, with ``{workspace}`` resolved."""
    raw = (files("kata_snp_tui.assets") / "demo" / "after-build.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(raw)

    def fill(value: str) -> str:
        return value.replace("{workspace}", str(workspace))

    built_files = tuple(BuiltFile(str(e["step"]), fill(str(e["path"])), e.get("text"))
                        for e in data.get("file", []))
    commands = tuple(BuiltCommand(str(e["step"]), fill(str(e["key"])), tuple(fill(str(a)) for a in e["argv"]),
                                  str(e["stdout"]), int(e.get("returncode", 0)))
                     for e in data.get("command", []))
    return AfterBuild(built_files, commands)


class DoneSteps:
    """The ids of the steps that are done in a build state file, re-read only when the file changes
    (the editor asks on every keystroke)."""

    def __init__(self, state_file: Path) -> None:
        self._file = state_file
        self._seen: tuple[int, int] | None = None
        self._done: frozenset[str] = frozenset()

    def __call__(self) -> frozenset[str]:
        try:
            st = os.stat(self._file)
        except OSError:
            self._seen, self._done = None, frozenset()
            return self._done
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._seen:
            records = read_step_records(self._file) or {}
            self._seen = stamp
            self._done = frozenset(k for k, r in records.items() if r.status is StepStatus.DONE)
        return self._done


class DemoHost:
    """A :class:`~kata_snp_tui.host.SnapshotHost` of the recorded demo host, with its build's outputs
    appearing as the demo's build steps are done (``done`` says which are)."""

    kind = "demo"

    def __init__(self, base: SnapshotHost, after: AfterBuild, done: Callable[[], frozenset[str]]) -> None:
        self.base = base
        self.label = base.label
        self._after = after
        self._done = done

    def _built_files(self) -> list[BuiltFile]:
        done = self._done()
        return [b for b in self._after.files if b.step in done]

    def _built_file(self, path: str) -> BuiltFile | None:
        return next((b for b in self._built_files() if b.path == path), None)

    def read(self, path: str) -> FileRead:
        built = self._built_file(path)
        if built is None:
            return self.base.read(path)
        if built.text is None:
            return FileRead(path, None, NOT_RECORDED)
        return FileRead(path, built.text.encode())

    def exists(self, path: str) -> bool:
        if self.base.exists(path):
            return True
        prefix = path.rstrip("/") + "/"  # a folder exists when a built file is in it
        return any(b.path == path or b.path.startswith(prefix) for b in self._built_files())

    def listdir(self, path: str) -> list[str] | None:
        return self.base.listdir(path)

    def device(self, path: str) -> str | None:
        return self.base.device(path)

    def command(self, key: str) -> CommandResult:
        done = self._done()
        for built in self._after.commands:
            if built.key == key and built.step in done:
                return CommandResult(key, built.argv, built.returncode, built.stdout.encode())
        return self.base.command(key)

    def sev_platform_status(self) -> dict[str, Any] | None:
        return self.base.sev_platform_status()

    def resources(self, paths: Sequence[str] = ()) -> Resources:
        return self.base.resources(paths)

    def close(self) -> None:
        self.base.close()


def open_demo_host(snapshot: Path, workspace: Path) -> DemoHost:
    """The demo host over the recording at ``snapshot``, following the demo build's state file."""
    base = SnapshotHost(snapshot, kind="demo")
    return DemoHost(base, load_after_build(workspace), DoneSteps(demo_state_file()))
