"""`kata-snp-tui config diff|apply|check|install`: the guide's changes to Kata's configuration.toml.

    diff     print the unified diff of the guide's changes; writes nothing
    apply    write them (atomically, with a timestamped backup; through sudo for a root-owned file)
    check    list each of the guide's settings as met or not (exit 0 all met, 1 otherwise)
    install  copy the packaged default into /etc as the Developer Guide does

--containerd works on /etc/containerd/config.toml (the Kata runtime for CRI) instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from kata_snp_tui.cli import add_host_arguments, add_profile_argument, host_source
from kata_snp_tui.config.diff import unified_diff, written_labels
from kata_snp_tui.config.discovery import install_default
from kata_snp_tui.config.loader import LoadedFile, load_file
from kata_snp_tui.config.patcher import PatchError, PatchResult
from kata_snp_tui.config.record import AppliedConfig
from kata_snp_tui.config.record import persist as persist_applied
from kata_snp_tui.config.sudo import Sudo
from kata_snp_tui.config.targets import EditTarget, resolve_targets
from kata_snp_tui.config.validate import ERROR, INFO, Validation
from kata_snp_tui.config.writer import read_privileged, save_file
from kata_snp_tui.errors import UserError

HELP = "the guide's changes to configuration.toml: diff, apply, check (or install the /etc copy)"
ACTIONS = ("diff", "apply", "check", "install")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="diff: show; apply: write; check: met or not; install: copy the default into /etc")
    parser.add_argument("--file", metavar="F", help="the file to work on (default: the one Kata reads, or /etc/containerd/config.toml)")
    parser.add_argument("--containerd", action="store_true", help="work on containerd's config.toml (the Kata runtime for CRI)")
    parser.add_argument("--qemu", metavar="P", help="the SNP QEMU binary (default: the build stage's workspace)")
    parser.add_argument("--firmware", metavar="P", help="the SNP OVMF firmware (default: the build stage's workspace)")
    parser.add_argument("--kernel", metavar="P", help="the SNP guest kernel (default: /usr/share/kata-containers/vmlinuz-snp.container)")
    parser.add_argument("--initrd", metavar="P", help="the initrd (default: /usr/share/kata-containers/kata-containers-initrd.img)")
    parser.add_argument("--workspace", metavar="DIR", help="the build stage's workspace the default QEMU and OVMF paths are in (default: ~/kata-snp-workspace)")
    parser.add_argument("--config-path", metavar="P", help="with --containerd: the Kata configuration containerd's kata runtime uses")
    parser.add_argument("--skip", metavar="ID", action="append", default=[], help="leave this change out (repeatable; see `config check`)")
    parser.add_argument("--yes", "-y", action="store_true", help="apply or install without asking")
    add_host_arguments(parser)
    add_profile_argument(parser, subcommand=True)


def _profile(args: argparse.Namespace):  # -> ProfileChoice
    """The profile whose changes apply (chosen like the wizard: --profile, installed Kata, checkout, kernel)."""
    from kata_snp_tui.host import open_host
    from kata_snp_tui.profiles import choose_for, get_profile, refuse_demo_profile

    source = host_source(args)
    override = getattr(args, "profile", None)
    if override and source.kind == "demo":
        refuse_demo_profile(get_profile(override))
    host = open_host(source) if source.kind != "live" else None
    workspace = Path(args.workspace).expanduser() if args.workspace else None
    if workspace is None:
        from kata_snp_tui.paths import default_workspace

        workspace = default_workspace()
    return choose_for(source.kind, host, workspace, override)


def _target(args: argparse.Namespace, choice=None) -> EditTarget:
    from kata_snp_tui.config.changes import load_change_set

    source = host_source(args)
    file = Path(args.file) if args.file else None
    targets = resolve_targets(
        source.kind,
        file=None if args.containerd else file,
        containerd_file=file if args.containerd else None,
        fresh_demo=False,
        host_exists=_demo_host_exists() if source.kind == "demo" else None,
        change_set=load_change_set(choice.profile.changes) if choice is not None else None,
    )
    target = targets.containerd if args.containerd else targets.kata
    if target.path is None:
        raise UserError(f"{target.note} (or pass --file)" if target.note else "no file to work on: pass --file")
    return target


def _demo_host_exists():  # -> PathExists | None
    """The recorded demo host's view of which paths exist (None when it cannot be opened)."""
    try:
        from kata_snp_tui.host import HostSource, open_host

        return open_host(HostSource("demo")).exists
    except Exception:  # the demo host is optional here: build outputs still count as present
        return None


def _sudo() -> Sudo:
    return Sudo(interactive=sys.stdin.isatty())


def _load(target: EditTarget) -> LoadedFile:
    assert target.path is not None
    return load_file(target.path, privileged_reader=lambda p: read_privileged(p, _sudo()))


def _overrides(args: argparse.Namespace) -> dict[str, str | None]:
    return {"qemu": args.qemu, "firmware": args.firmware, "kernel": args.kernel, "initrd": args.initrd, "config_path": args.config_path}


def _accepted(target: EditTarget, skip: list[str]) -> set[str]:
    ids = [c.id for c in target.changes]
    unknown = [s for s in skip if s not in ids]
    if unknown:
        raise UserError(f"--skip {unknown[0]}: no such change (changes: {', '.join(ids)})")
    return {i for i in ids if i not in skip}


def _print_findings(validation: Validation, stream=None) -> None:  # noqa: ANN001 - a text stream
    stream = stream if stream is not None else sys.stderr  # at call time, not when the module was imported
    for f in validation.findings:
        level = {ERROR: "error", INFO: "note"}.get(f.level, "warning")
        print(f"{level}: {f.located()}", file=stream)


def _patch(args: argparse.Namespace, choice=None):  # -> (EditTarget, LoadedFile, PatchResult, ProfileChoice)
    from kata_snp_tui.profiles import refine_for_file

    target = _target(args, choice)
    loaded = _load(target)
    if choice is not None and target.kind == "kata":
        refined = refine_for_file(choice, loaded.text, str(loaded.path))
        if refined is not choice:
            choice, target = refined, _target(args, refined)
    values = target.default_values(_overrides(args), Path(args.workspace).expanduser().resolve() if args.workspace else None)
    try:
        result = target.patch(loaded.text, _accepted(target, args.skip), values)
    except PatchError as exc:
        raise UserError(f"{loaded.path}: {exc}") from None
    return target, loaded, result, choice


def run(args: argparse.Namespace) -> int:
    if args.containerd and any((args.qemu, args.firmware, args.kernel, args.initrd)):
        raise UserError("--qemu, --firmware, --kernel and --initrd are for the Kata configuration, not with --containerd")
    choice = _profile(args)
    if args.action == "install":
        return _install(args, choice)
    target, loaded, result, choice = _patch(args, choice)
    # The diff goes to standard output (for patch(1)); the profile line then goes to standard error.
    print(_profile_line(choice, target), file=sys.stderr if args.action == "diff" else sys.stdout)
    if args.action == "check":
        return _check(target, loaded, result)
    if args.action == "diff":
        return _diff(target, loaded, result)
    return _apply(args, target, loaded, result)


def _profile_line(choice, target: EditTarget) -> str:
    if target.kind != "kata":
        return f"{choice.line} (containerd's tables follow the file's own config version)"
    return f"{choice.line}; changes for {choice.profile.config_base}"


def _label(target: EditTarget, loaded: LoadedFile) -> str:
    return f"{loaded.path} (demo copy of {target.stands_for})" if target.demo_copy else str(loaded.path)


def _check(target: EditTarget, loaded: LoadedFile, result: PatchResult) -> int:
    print(f"{target.title}: {_label(target, loaded)}")
    width = max(len(r.id) for r in result.changes)
    for r in result.changes:
        mark = "met    " if r.met else "not met"
        if r.met:
            print(f"  [{mark}] {r.id:<{width}}  {r.current}")
        else:
            print(f"  [{mark}] {r.id:<{width}}  {r.current}; wants {r.wanted}")
    met = sum(1 for r in result.changes if r.met)
    print(f"{met} of {len(result.changes)} settings met")
    _print_findings(target.validate(loaded.text))
    return 0 if result.all_met else 1


def _diff(target: EditTarget, loaded: LoadedFile, result: PatchResult) -> int:
    text = unified_diff(loaded.text, result.text, str(loaded.path))
    if text:
        sys.stdout.write(text)
    else:
        print(f"nothing to change in {_label(target, loaded)}: every accepted change is already there", file=sys.stderr)
    _report_failed(result)
    _print_findings(target.validate(result.text))
    return 0


def _report_failed(result: PatchResult) -> None:
    for r in result.changes:
        if r.status == "failed":
            print(f"warning: {r.id}: {r.detail}", file=sys.stderr)


def _confirm(question: str) -> bool:
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _apply(args: argparse.Namespace, target: EditTarget, loaded: LoadedFile, result: PatchResult) -> int:
    if target.discovery is not None and target.discovery.offer_install and not args.file:
        raise UserError(f"{target.discovery.explain()}: run `kata-snp-tui config install` first")
    if not result.changed:
        print(f"nothing to change in {_label(target, loaded)}: every accepted change is already there")
        return 0
    validation = target.validate(result.text)
    if not validation.parses:
        raise UserError(f"refusing to write {loaded.path}: the result would not parse")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("not applying without confirmation: no terminal to ask on; pass --yes")
        sys.stdout.write(unified_diff(loaded.text, result.text, str(loaded.path)))
        _print_findings(validation)
        applied = sum(1 for r in result.changes if r.status == "apply")
        if not _confirm(f"Apply {applied} change{'s' if applied != 1 else ''} to {loaded.path}? [y/N] "):
            print("not applied; nothing was written")
            return 1
    saved = save_file(loaded.target, result.text.encode("utf-8"), expected=loaded.fingerprint, sudo=Sudo(interactive=sys.stdin.isatty()))
    persist_applied(
        AppliedConfig(
            kind=target.kind,
            path=str(saved.path),
            backup=str(saved.backup) if saved.backup else None,
            diff=unified_diff(loaded.text, result.text, str(loaded.path), labels=written_labels(saved.backup)),
            changes=tuple(r.change.id for r in result.changes if r.status in ("apply", "met")),
            at=datetime.now(timezone.utc),
            via_sudo=saved.via_sudo,
        )
    )
    print(f"wrote {saved.path}{' (through sudo)' if saved.via_sudo else ''}")
    print(f"backup: {saved.backup}" if saved.backup else "backup: none (the file was new)")
    _report_failed(result)
    if args.yes:
        _print_findings(validation)
    return 0


def _install(args: argparse.Namespace, choice=None) -> int:
    source = host_source(args)
    if source.kind != "live":
        raise UserError("install works on this machine only (not with --demo or --host)")
    if choice is not None and choice.profile.config_base != "configuration-qemu.toml":
        raise UserError(f"the {choice.profile.id} profile installs its {choice.profile.config_base} as "
                        "/etc/kata-containers/configuration.toml in the build stage (step snp-config-install); "
                        "`config install` copies the guide's configuration.toml (--profile guide-3.2)")
    targets = resolve_targets("live")
    found = targets.kata.discovery
    assert found is not None
    if not found.offer_install:
        if found.etc_path.exists():
            print(f"{found.etc_path} already exists; nothing to install")
            return 0
        raise UserError(found.explain())
    commands = [" ".join(argv) for argv in found.install_commands()]
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("not installing without confirmation: no terminal to ask on; pass --yes")
        print("This runs, as root:\n  " + "\n  ".join(commands))
        if not _confirm("Go ahead? [y/N] "):
            print("not installed")
            return 1
    path = install_default(found, _sudo() if os.geteuid() != 0 else None)
    print(f"installed {path}; `kata-snp-tui config apply` edits it now")
    return 0
