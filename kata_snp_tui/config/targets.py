"""The two files stage 3 edits, what to call them on screen, and how each is patched and checked.

* ``kata``: Kata's configuration.toml, found as Kata finds it (discovery.py) or given with ``--file``;
* ``containerd``: /etc/containerd/config.toml.

On the demo host the editor never touches /etc: it works on scratch copies of a realistic Kata 3.2.0
configuration.toml and containerd 1.7 config.toml placed under the state folder, fresh for each session,
and treats the paths the build stage produces as present.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from kata_snp_tui import paths
from kata_snp_tui.config.changes import Change, ChangeSet, Value, load_change_set
from kata_snp_tui.config.containerd import CONTAINERD_CONFIG, ContainerdSpec, load_spec, patch_containerd, validate_containerd
from kata_snp_tui.config.discovery import Discovery, discover
from kata_snp_tui.config.patcher import PatchResult, patch, revert_change
from kata_snp_tui.config.validate import Validation, validate

KATA = "kata"
CONTAINERD = "containerd"
DEMO_FOLDER = "demo-config"
DEMO_KATA = "configuration.toml"
DEMO_CONTAINERD = "containerd-config.toml"

PathExists = Callable[[str], bool]


@dataclass(frozen=True)
class EditTarget:
    """One file to edit and how."""

    kind: str
    #: The file to edit; None when there is none (the note says why).
    path: Path | None
    #: What the screen calls it.
    label: str
    #: True for the demo's scratch copy.
    demo_copy: bool = False
    #: Shown beside the file: where it came from, what to do first.
    note: str = ""
    discovery: Discovery | None = None
    exists: PathExists = os.path.exists
    #: The path of the real file the demo copy stands for.
    stands_for: str = ""
    #: The Kata changes of the profile in use (None: the guide's, assets/changes.toml).
    change_set: ChangeSet | None = None
    #: The build workspace the proposed QEMU and OVMF paths are in (None: paths.default_workspace();
    #: the demo: the recorded host's).
    workspace: Path | None = None

    @property
    def kata_changes(self) -> ChangeSet:
        return self.change_set or load_change_set()

    @property
    def title(self) -> str:
        return "Kata configuration.toml" if self.kind == KATA else "containerd config.toml"

    # ---- the engine for this kind of file

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.kata_changes.changes if self.kind == KATA else load_spec().changes

    def default_values(self, overrides: Mapping[str, str | None] | None = None, workspace: Path | None = None) -> dict[str, Value]:
        if self.kind == KATA:
            return self.kata_changes.values(overrides, workspace or self.workspace)
        config_path = (overrides or {}).get("config_path")
        return load_spec().values(config_path)

    def patch(self, text: str, accepted: set[str] | None, values: Mapping[str, Value]) -> PatchResult:
        if self.kind == KATA:
            return patch(text, accepted, values, change_set=self.kata_changes)
        return patch_containerd(text, accepted, values)

    def validate(self, text: str) -> Validation:
        if self.kind == KATA:
            return validate(text, exists=self.exists, change_set=self.kata_changes)
        return validate_containerd(text)

    @property
    def can_revert(self) -> bool:
        """Can one change be undone on a hand-edited text? (Kata: yes, key by key; containerd changes
        add whole tables, so rejecting one re-patches the file as loaded.)"""
        return self.kind == KATA

    def revert(self, text: str, original: str, change: Change) -> str:
        return revert_change(text, original, change, self.kata_changes.table)


def _asset_bytes(name: str) -> bytes:
    return (files("kata_snp_tui.assets") / "demo" / "config" / name).read_bytes()


def prepare_demo_copies(state: Path | None = None, fresh: bool = True) -> tuple[Path, Path]:
    """Scratch copies of the demo's Kata and containerd configs under the state folder.

    ``fresh`` (the TUI, once a session) starts over from the bundled files and drops old backups;
    otherwise (the command line) existing copies are kept, so `config apply` then `config check` agree.
    """
    folder = paths.ensure_private_dir((state or paths.state_dir()) / DEMO_FOLDER)
    if fresh:
        for entry in folder.iterdir():
            if entry.is_file():
                entry.unlink()
    kata = folder / DEMO_KATA
    containerd = folder / DEMO_CONTAINERD
    for name, dest in (("configuration.toml", kata), ("containerd-config.toml", containerd)):
        if fresh or not dest.exists():
            dest.write_bytes(_asset_bytes(name))
            os.chmod(dest, 0o640)
    return kata, containerd


def demo_exists(change_set: ChangeSet | None = None, host_exists: PathExists | None = None) -> PathExists:
    """The demo's path check: asked of the recorded demo host only (never of this machine), so the editor,
    `config check --demo` and `check --demo` give the same answer for the same path. The build's outputs
    (the proposed kernel, initrd, QEMU and OVMF) exist there once the demo's build has done the steps that
    make them (kata_snp_tui/demo_host.py)."""

    def exists(path: str) -> bool:
        return bool(host_exists(path)) if host_exists is not None else False

    return exists


@dataclass(frozen=True)
class Targets:
    kata: EditTarget
    containerd: EditTarget

    def get(self, kind: str) -> EditTarget:
        return self.kata if kind == KATA else self.containerd


def resolve_targets(
    source_kind: str,
    *,
    file: Path | None = None,
    containerd_file: Path | None = None,
    root: Path = Path("/"),
    env: Mapping[str, str] | None = None,
    host_exists: PathExists | None = None,
    state: Path | None = None,
    fresh_demo: bool = True,
    change_set: ChangeSet | None = None,
) -> Targets:
    """The files to edit for a host of ``source_kind`` ("live", "demo" or "snapshot"); ``change_set`` is the
    profile's Kata changes (None: the guide's)."""
    targets = _resolve_targets(source_kind, file=file, containerd_file=containerd_file, root=root, env=env,
                               host_exists=host_exists, state=state, fresh_demo=fresh_demo, change_set=change_set)
    if change_set is None:
        return targets
    from dataclasses import replace

    return Targets(replace(targets.kata, change_set=change_set), targets.containerd)


def _resolve_targets(
    source_kind: str,
    *,
    file: Path | None,
    containerd_file: Path | None,
    root: Path,
    env: Mapping[str, str] | None,
    host_exists: PathExists | None,
    state: Path | None,
    fresh_demo: bool,
    change_set: ChangeSet | None,
) -> Targets:
    if source_kind == "demo":
        from kata_snp_tui.build_state import recorded_demo_workspace

        kata, containerd = prepare_demo_copies(state, fresh=fresh_demo)
        exists = demo_exists(change_set, host_exists=host_exists)
        workspace = recorded_demo_workspace()
        return Targets(
            EditTarget(
                KATA,
                kata,
                f"demo copy of /etc/kata-containers/configuration.toml ({kata})",
                demo_copy=True,
                note="Demo: a scratch copy of a Kata 3.2.0 configuration.toml; /etc is never touched.",
                exists=exists,
                stands_for="/etc/kata-containers/configuration.toml",
                workspace=workspace,
            ),
            EditTarget(
                CONTAINERD,
                containerd,
                f"demo copy of /etc/containerd/config.toml ({containerd})",
                demo_copy=True,
                note="Demo: a scratch copy of a containerd 1.7 config.toml; /etc is never touched.",
                exists=exists,
                stands_for="/etc/containerd/config.toml",
            ),
        )
    if source_kind == "snapshot" and file is None:
        note = (
            "A host snapshot holds no configuration files to edit: run the wizard on that host, "
            "or use `kata-snp-tui config diff --file F` on a copy."
        )
        return Targets(
            EditTarget(KATA, None, "no file (snapshot host)", note=note),
            EditTarget(CONTAINERD, None, "no file (snapshot host)", note=note),
        )
    if file is not None:
        kata_target = EditTarget(KATA, Path(os.path.abspath(file)), str(Path(os.path.abspath(file))), note="given with --file")
    else:
        found = discover(env, root)
        path = found.chosen.path if found.chosen else None
        kata_target = EditTarget(KATA, path, str(path) if path else "no configuration.toml found", note=found.explain(), discovery=found)
    cpath = Path(containerd_file) if containerd_file else root / CONTAINERD_CONFIG
    containerd_target = EditTarget(
        CONTAINERD,
        cpath,
        str(cpath),
        note="" if cpath.exists() else f"{cpath} does not exist: `containerd config default | sudo tee {cpath}` creates it",
    )
    return Targets(kata_target, containerd_target)


__all__ = [
    "CONTAINERD",
    "KATA",
    "EditTarget",
    "Targets",
    "ContainerdSpec",
    "demo_exists",
    "prepare_demo_copies",
    "resolve_targets",
]
