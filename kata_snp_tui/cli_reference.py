"""The command line reference in Markdown, rendered from the parser itself (``cli.build_parser()``).

README.md holds it between ``<!-- CLI-REFERENCE:START -->`` and ``<!-- CLI-REFERENCE:END -->``;
a test fails when the two differ. Regenerate with::

    python -m kata_snp_tui.cli_reference --write README.md

The rendering reads argparse's actions itself instead of using ``format_help()``, so the text does
not depend on the terminal width or on the Python version's help layout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

START = "<!-- CLI-REFERENCE:START -->"
END = "<!-- CLI-REFERENCE:END -->"
REGENERATE = "python -m kata_snp_tui.cli_reference --write README.md"


@dataclass(frozen=True)
class Command:
    """One parser to document: its full name (``kata-snp-tui config``) and its argparse parser."""

    name: str
    parser: argparse.ArgumentParser
    summary: str


def commands(parser: argparse.ArgumentParser, name: str | None = None, summary: str = "") -> Iterator[Command]:
    """The parser and every subcommand under it (depth first, in the order they were added)."""
    name = name or parser.prog
    yield Command(name, parser, summary or (parser.description or ""))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for sub_name, sub in action.choices.items():
                yield from commands(sub, f"{name} {sub_name}", helps.get(sub_name, "") or sub.description or "")


def _documented(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and a.help is not argparse.SUPPRESS
    ]


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return action.metavar if isinstance(action.metavar, str) else " ".join(action.metavar)
    if action.choices is not None and not isinstance(action.choices, range):
        return "|".join(str(c) for c in action.choices)
    return action.dest if not action.option_strings else action.dest.upper()


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def _with_nargs(action: argparse.Action, metavar: str) -> str:
    nargs = action.nargs
    if nargs == "?":
        return f"[{metavar}]"
    if nargs == "*":
        return f"[{metavar} ...]"
    if nargs == "+":
        return f"{metavar} [{metavar} ...]"
    if isinstance(nargs, int) and nargs > 1:
        return " ".join([metavar] * nargs)
    if nargs == argparse.REMAINDER:
        return "..."
    return metavar


def _usage_part(action: argparse.Action) -> str:
    """``--recipe F`` for an option, ``OUT`` for a positional."""
    if not action.option_strings:
        return _with_nargs(action, _metavar(action))
    long_flags = [o for o in action.option_strings if o.startswith("--")]
    flag = long_flags[0] if long_flags else action.option_strings[0]
    return f"{flag} {_with_nargs(action, _metavar(action))}" if _takes_value(action) else flag


def usage(command: Command) -> str:
    """One usage line: options (mutually exclusive ones grouped), then positionals, then COMMAND."""
    parser = command.parser
    in_group: dict[int, argparse._MutuallyExclusiveGroup] = {}
    for group in parser._mutually_exclusive_groups:
        for action in group._group_actions:
            in_group[id(action)] = group
    parts: list[str] = []
    seen_groups: set[int] = set()
    actions = _documented(parser)
    for action in [a for a in actions if a.option_strings]:
        group = in_group.get(id(action))
        if group is not None:
            if id(group) in seen_groups:
                continue
            seen_groups.add(id(group))
            members = [a for a in group._group_actions if a.help is not argparse.SUPPRESS]
            inner = " | ".join(_usage_part(a) for a in members)
            parts.append(f"({inner})" if group.required else f"[{inner}]")
        else:
            part = _usage_part(action)
            parts.append(part if action.required else f"[{part}]")
    parts += [_usage_part(a) for a in actions if not a.option_strings]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parts.append("COMMAND" if action.required else "[COMMAND]")
    return " ".join([command.name, *parts])


def _help_text(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if "%" in text:
        params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
        params["prog"] = prog
        if params.get("choices") is not None:
            params["choices"] = ", ".join(str(c) for c in params["choices"])
        try:
            text = text % params
        except (KeyError, TypeError, ValueError):
            pass
    return " ".join(text.split())


def _option_cell(action: argparse.Action) -> str:
    if not action.option_strings:
        return _with_nargs(action, _metavar(action))
    flags = ", ".join(action.option_strings)
    return f"{flags} {_with_nargs(action, _metavar(action))}" if _takes_value(action) else flags


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_command(command: Command) -> str:
    lines = [f"#### `{command.name}`", ""]
    if command.summary:
        lines += [command.summary[:1].upper() + command.summary[1:].rstrip(".") + ".", ""]
    lines += ["```", usage(command), "```", ""]
    actions = _documented(command.parser)
    if actions:
        lines += ["| Argument | What it does |", "| --- | --- |"]
        for action in actions:
            lines.append(f"| `{_cell(_option_cell(action))}` | {_cell(_help_text(action, command.parser.prog))} |")
        lines.append("")
    subs = [a for a in command.parser._actions if isinstance(a, argparse._SubParsersAction)]
    for action in subs:
        lines += ["| Command | What it does |", "| --- | --- |"]
        helps = {a.dest: a.help or "" for a in action._choices_actions}
        for sub_name in action.choices:
            lines.append(f"| `{_cell(command.name + ' ' + sub_name)}` | {_cell(' '.join(helps.get(sub_name, '').split()))} |")
        lines.append("")
    return "\n".join(lines)


def render(parser: argparse.ArgumentParser | None = None) -> str:
    """The whole reference (without the markers)."""
    if parser is None:
        from kata_snp_tui.cli import build_parser

        parser = build_parser()
    header = [
        f"<!-- Generated from the argument parser by `{REGENERATE}`: edit the parser, not this text. -->",
        "",
        "### Reference",
        "",
        "Every command and option, generated from the program's own argument parser.",
        "",
    ]
    body = [render_command(c) for c in commands(parser)]
    return "\n".join(header + body).rstrip("\n") + "\n"


def section(text: str) -> str | None:
    """The text between the markers in ``text``, or None when the markers are missing."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < 0 or end < start:
        return None
    return text[start + len(START) : end].strip("\n") + "\n"


def replace_section(text: str, reference: str) -> str:
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < 0 or end < start:
        raise ValueError(f"the markers {START} and {END} are missing")
    return text[: start + len(START)] + "\n" + reference.rstrip("\n") + "\n" + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m kata_snp_tui.cli_reference",
        description="Print the command line reference in Markdown, or write it into a file between "
        f"{START} and {END}.",
    )
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", metavar="FILE", help="replace the reference section in FILE (README.md)")
    mode.add_argument("--check", metavar="FILE", help="exit 1 when FILE's reference section is out of date")
    args = ap.parse_args(argv)
    reference = render()
    target = args.write or args.check
    if target is None:
        sys.stdout.write(reference)
        return 0
    path = Path(target)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cli_reference: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if section(text) is None:
        print(f"cli_reference: {path} has no {START} ... {END} section", file=sys.stderr)
        return 2
    if args.check:
        if section(text) == reference:
            return 0
        print(f"cli_reference: {path} is out of date; run: {REGENERATE}", file=sys.stderr)
        return 1
    updated = replace_section(text, reference)
    if updated != text:
        from kata_snp_tui.atomic import atomic_write

        atomic_write(path, updated.encode("utf-8"), backup=False)
        print(f"cli_reference: updated {path}")
    else:
        print(f"cli_reference: {path} is up to date")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
