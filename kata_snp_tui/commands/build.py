"""`kata-snp-tui build`: the guide's build steps, headless, with streamed output.

Each step gets a header, its output streams as it comes, and the run stops at the first failure,
naming the step and its exit status (exit 1), with the known error's cause and fix when its output
matches the knowledge base. Ctrl-C ends the running step's whole process tree (exit 130). A bad
recipe is refused before anything runs (exit 2). ``--dry-run`` prints the commands, in order, with
the variables filled in, and runs nothing.
"""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from kata_snp_tui.build_state import StepStatus
from kata_snp_tui.errors import UserError
from kata_snp_tui.recipe import Step, display_command, root_mark, select_steps
from kata_snp_tui.runner import Build, RunEvent, StepOutcome, open_build
from kata_snp_tui.sudo import PrivilegeMode

HELP = "run the guide's build steps (runtime, agent, initrd, SNP kernel, OVMF, QEMU, containerd) with live output"
PASSWORD_TRIES = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipe", metavar="FILE", help="a recipe file instead of the profile's built-in one")
    parser.add_argument("--only", metavar="ID", nargs="+", action="extend", help="run only these steps (in recipe order)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands that would run, in order; run nothing")
    parser.add_argument("--force", action="store_true", help="run steps again even when they are done")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--workspace", metavar="DIR", help="where to clone and build (default: ~/kata-snp-workspace)")
    parser.add_argument(
        "--set", metavar="NAME=VALUE", action="append", default=[], dest="set_vars",
        help="override a recipe variable, e.g. --set kata_version=3.2.0",
    )
    parser.add_argument("--list", action="store_true", dest="list_steps", help="list the steps and their state; run nothing")
    from kata_snp_tui.cli import add_profile_argument

    add_profile_argument(parser, subcommand=True)
    # Like cli.add_host_arguments' --demo, but when it is not given here the top-level one
    # (`kata-snp-tui --demo build`) is kept: argparse copies a subcommand's defaults over it.
    parser.add_argument(
        "--demo", action="store_true", default=argparse.SUPPRESS,
        help="the demo host: every step replays a recorded log (nothing is built; own state and workspace)",
    )


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UserError(f"--set expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def run(args: argparse.Namespace) -> int:
    if getattr(args, "host", None):
        raise UserError("build runs on this machine; --host is only for reading a snapshot in checks")
    demo = bool(getattr(args, "demo", False))
    choice = _profile(args, demo)
    build = open_build(
        demo=demo,
        recipe_path=args.recipe,
        workspace=args.workspace,
        overrides=_overrides(args.set_vars),
        profile=choice,
    )
    plan = select_steps(build.steps, args.only)
    out = sys.stdout
    if build.demo:
        print(
            f"Demo host: every step replays a recorded log (nothing is built on this machine); "
            f"workspace {build.workspace}",
            file=out,
        )
    for problem in build.state.problems:
        print(f"kata-snp-tui: warning: {problem}", file=sys.stderr)
    for step_id in build.runner.interrupted:
        print(f"kata-snp-tui: step {step_id!r} was interrupted by an earlier run; it will run again", file=sys.stderr)
    tree = build.tree_status()
    if tree.warning:
        print(f"kata-snp-tui: warning: {tree.warning}", file=sys.stderr)

    if not args.dry_run:
        print(profile_line(build, bool(args.recipe)), file=out)
    if args.list_steps:
        print_list(build, plan, out)
        return 0
    if args.dry_run:
        print_dry_run(build, plan, args.force, out, bool(args.recipe))
        return 0

    to_run = build.steps_to_run(plan, args.force)
    if not to_run:
        print("Nothing to do: every step is done or skipped (--force runs them again).", file=out)
        return 0
    _check_needs(build, plan, to_run)
    password = _privileges(build, to_run)
    _confirm(build, to_run, args.yes)
    if password is None:
        password = _ask_password(build, to_run)
    build.ensure_workspace()
    return _run(build, plan, args.force, password, out)


# ------------------------------------------------------------------------------ printing


def print_dry_run(build: Build, plan: Sequence[Step], force: bool, out: TextIO, recipe_given: bool = False) -> None:
    as_root = build.runner.privilege.is_root()
    print(f"# {build.recipe.name}", file=out)
    print(f"# workspace: {build.workspace}", file=out)
    if build.profile is not None:
        print(f"# {profile_line(build, recipe_given)}", file=out)
    print(f"# {len(plan)} steps; nothing is run (dry run)", file=out)
    total = len(plan)
    for n, step in enumerate(plan, start=1):
        skip = build.runner.decide(step, force, record=False)
        note = f"  [{skip}: would be skipped]" if skip else ""
        mark = root_mark(step, as_root=as_root)
        root = f"  [{mark}]" if mark else ""
        print("", file=out)
        print(f"# [{n}/{total}] {step.id}: {step.title}{root}{note}", file=out)
        print(f"cd {_q(step.cwd)}", file=out)
        if step.stands_for:
            for line in step.stands_for:
                print(f"# stands for: {line}", file=out)
        for line in display_command(step, as_root=as_root):
            print(line if line.startswith("#") else f"$ {line}", file=out)


def _profile(args: argparse.Namespace, demo: bool):  # -> ProfileChoice
    from kata_snp_tui.build_state import workspace_for
    from kata_snp_tui.profiles import choose_for

    return choose_for("demo" if demo else "live", None, workspace_for(demo, args.workspace), getattr(args, "profile", None))


def profile_line(build: Build, recipe_given: bool = False) -> str:
    """Which profile the build uses and why; with --recipe, that the steps are the given recipe's."""
    choice = build.profile
    if choice is None:
        return "Profile: none chosen"
    return choice.line + (f"; the steps are {build.recipe.source} (--recipe)" if recipe_given else "")


def print_list(build: Build, plan: Sequence[Step], out: TextIO) -> None:
    width = max((len(s.id) for s in plan), default=10)
    for n, step in enumerate(plan, start=1):
        rec = build.state.get(step.id)
        detail = rec.message if rec.status is not StepStatus.PENDING else ""
        print(f"{n:2d}. {step.id:<{width}}  {rec.status.value:<9}  {step.title}" + (f"  ({detail})" if detail else ""), file=out)


def _q(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


# ------------------------------------------------------------------------ before running


def _check_needs(build: Build, plan: Sequence[Step], to_run: Sequence[Step]) -> None:
    planned = {s.id for s in to_run}
    for step in to_run:
        for need in step.needs:
            if need in planned:
                continue
            if not build.state.status(need).finished:
                raise UserError(
                    f"step {step.id!r} needs {need!r}, which is {build.state.status(need).value}: "
                    f"run it first (or add it: --only {need} {step.id})"
                )


def _privileges(build: Build, to_run: Sequence[Step]) -> str | None:
    """Refuse early when a step needs root and there is no way to get it."""
    sudo_steps = [s.id for s in to_run if s.sudo]
    if not sudo_steps or build.runner.privilege.is_root():
        return None
    mode = build.runner.privilege.mode()
    if mode is PrivilegeMode.NO_SUDO:
        raise UserError(f"steps {', '.join(sudo_steps)} need root: run as root or install sudo")
    return None


def _ask_password(build: Build, to_run: Sequence[Step]) -> str | None:
    sudo_steps = [s.id for s in to_run if s.sudo]
    privilege = build.runner.privilege
    if not sudo_steps or privilege.mode() is not PrivilegeMode.SUDO_PASSWORD:
        return None
    if not sys.stdin.isatty():
        raise UserError(
            f"steps {', '.join(sudo_steps)} run as root and sudo asks for a password: "
            "run kata-snp-tui build from a terminal (it asks once) or as root"
        )
    for _ in range(PASSWORD_TRIES):
        password = getpass.getpass("[sudo] password for the steps that run as root: ")
        if privilege.check_password(password):
            return password
        print("Sorry, try again.", file=sys.stderr)
    raise UserError("sudo did not accept the password")


def _confirm(build: Build, to_run: Sequence[Step], yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise UserError("refusing to run build steps without confirmation: pass --yes (there is no terminal to ask on)")
    as_root = build.runner.privilege.is_root()
    root = [s.id for s in to_run if root_mark(s, as_root)]
    print(f"About to run {len(to_run)} steps in {build.workspace}:", file=sys.stdout)
    for step in to_run:
        mark = root_mark(step, as_root)
        print(f"  - {step.id}: {step.title}" + (f"  ({mark})" if mark else ""))
    if root:
        print(f"{len(root)} of them run as root or call sudo.")
    try:
        answer = input("Go ahead? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise UserError("cancelled: nothing was run")


# ------------------------------------------------------------------------------ running


class _Printer:
    """Streams a step's output and remembers whether the last character was a newline."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.at_line_start = True

    def write(self, chunk: str) -> None:
        if not chunk:
            return
        self.out.write(chunk)
        self.out.flush()
        self.at_line_start = chunk.endswith("\n")

    def line(self, text: str) -> None:
        if not self.at_line_start:
            self.out.write("\n")
        self.out.write(text + "\n")
        self.out.flush()
        self.at_line_start = True


def _run(build: Build, plan: Sequence[Step], force: bool, password: str | None, out: TextIO) -> int:
    printer = _Printer(out)
    total = len(plan)
    index = {s.id: n for n, s in enumerate(plan, start=1)}
    runner = build.runner
    interrupts: list[int] = []
    warned: set[str] = {w for w in [build.tree_status().warning] if w}

    def on_signal(signum: int, _frame: object) -> None:
        interrupts.append(signum)
        step = runner.running_step_id
        if len(interrupts) == 1:
            print(
                f"\nkata-snp-tui: stopping{f' step {step!r}' if step else ''} (again to kill it at once)",
                file=sys.stderr, flush=True,
            )
            runner.cancel()
        else:
            runner.cancel(force=True)

    def on_event(event: RunEvent) -> None:
        step = event.step
        n = index.get(step.id, 0)
        if event.kind == "skip":
            printer.line(f"--- [{n}/{total}] {step.id}: {event.message} (skipped; --force runs it again)")
        elif event.kind == "start":
            printer.line(f"==> [{n}/{total}] {step.id}: {step.title}")
            printer.line(f"    in {step.cwd}")
            for line in step.stands_for:
                printer.line(f"    stands for: $ {line}")
            for line in display_command(step, as_root=runner.privilege.is_root()):
                printer.line(f"    {line}" if line.startswith("#") else f"    $ {line}")
        elif event.kind == "end" and event.outcome is not None:
            o = event.outcome
            printer.line(f"<== {step.id}: {o.status.value} ({o.message}, {o.duration:.1f} s)")
            tree = build.tree_status()  # a checkout step may just have put a newer tree in place
            if tree.warning and tree.warning not in warned:
                warned.add(tree.warning)
                print(f"kata-snp-tui: warning: {tree.warning}", file=sys.stderr, flush=True)

    handlers = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            handlers[sig] = signal.signal(sig, on_signal)
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        result = runner.run_steps(plan, force=force, password=password, on_event=on_event, on_output=printer.write)
    finally:
        for sig, old in handlers.items():
            signal.signal(sig, old)

    if result.blocked is not None:
        print(f"kata-snp-tui: {result.blocked.message}", file=sys.stderr)
        return 1
    stopped = result.stopped
    if stopped is not None and stopped.status is StepStatus.CANCELLED or (result.cancelled and stopped is None):
        if stopped is not None:
            print(f"kata-snp-tui: step {stopped.step_id!r} cancelled; its processes were ended (log: {stopped.log_path})",
                  file=sys.stderr)
        else:
            print("kata-snp-tui: cancelled", file=sys.stderr)
        return 143 if interrupts and interrupts[0] == signal.SIGTERM else 130
    if stopped is not None:
        report_failure(build, stopped, sys.stderr)
        return 1
    done = sum(1 for o in result.outcomes if o.status is StepStatus.DONE)
    printer.line(f"All steps finished ({done} run now). Logs: {build.paths.logs}")
    if build.demo:
        printer.line("(demo: the output above was replayed from recordings)")
    return 0


def report_failure(build: Build, outcome: StepOutcome, err: TextIO) -> None:
    """The failure message, with the known error's cause and fix when the output matches one."""
    from kata_snp_tui.knowledge import default_knowledge

    print(
        f"kata-snp-tui: step {outcome.step_id!r} failed with {outcome.message} (log: {outcome.log_path})",
        file=err,
    )
    if outcome.needs_password:
        print("kata-snp-tui: run from a terminal so the password can be asked, or as root", file=err)
    text = "\n".join(outcome.tail)
    if outcome.log_path is not None:
        hits = default_knowledge().match_log(outcome.log_path, stage="build", step=outcome.step_id)
    else:
        hits = default_knowledge().match(text, stage="build", step=outcome.step_id)
    for error in hits[:2]:
        print(f"\nKnown error: {error.title}", file=err)
        print(f"  Cause: {error.cause}", file=err)
        print(f"  Fix:   {error.fix}", file=err)
        for command in error.commands_for(build.workspace if not build.demo else None):
            print(f"    $ {command}", file=err)
    err.flush()
