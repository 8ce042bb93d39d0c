"""README's command line reference is generated from the parser and must match it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from kata_snp_tui import cli_reference
from kata_snp_tui.cli import SUBCOMMANDS, build_parser
from kata_snp_tui.cli_reference import END, REGENERATE, START, commands, render, section, usage

README = REPO / "README.md"


def test_readme_reference_matches_the_parser() -> None:
    text = README.read_text(encoding="utf-8")
    current = section(text)
    assert current is not None, f"README.md lacks the {START} ... {END} markers"
    expected = render()
    assert current == expected, (
        "README.md's command line reference is out of date with the parser. Regenerate it with:\n"
        f"    {REGENERATE}"
    )


def test_reference_names_every_subcommand_and_every_option() -> None:
    reference = render()
    parser = build_parser()
    documented = {c.name for c in commands(parser)}
    for name in SUBCOMMANDS:
        assert f"kata-snp-tui {name}" in documented
        assert f"#### `kata-snp-tui {name}`" in reference
    for command in commands(parser):
        for action in command.parser._actions:
            if action.help is argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            for flag in action.option_strings:
                assert flag in reference, f"{command.name} {flag}"
        assert f"\n{usage(command)}\n" in reference


def test_rendering_does_not_depend_on_the_terminal_width(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    narrow = render()
    monkeypatch.setenv("COLUMNS", "250")
    assert render() == narrow


def _sample_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tool", description="A tool.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--demo", action="store_true", help="the demo")
    group.add_argument("--host", metavar="S", help="a snapshot")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run things")
    run.add_argument("action", choices=("diff", "apply"), help="what to do")
    run.add_argument("--only", metavar="ID", nargs="+", help="only these (%(metavar)s ...)")
    run.add_argument("-o", "--output", metavar="FILE", required=True, help="where | to write")
    run.add_argument("--hidden", help=argparse.SUPPRESS)
    nested = run.add_subparsers(dest="what")
    nested.add_parser("deep", help="a nested command")
    return parser


def test_renderer_on_a_known_parser() -> None:
    parser = _sample_parser()
    names = [c.name for c in commands(parser)]
    assert names == ["tool", "tool run", "tool run deep"]
    by_name = {c.name: c for c in commands(parser)}
    assert usage(by_name["tool"]) == "tool [--demo | --host S] [COMMAND]"
    assert usage(by_name["tool run"]) == "tool run [--only ID [ID ...]] --output FILE diff|apply [COMMAND]"
    text = render(parser)
    assert "| `diff\\|apply` | what to do |" in text
    assert "| `--only ID [ID ...]` | only these (ID ...) |" in text
    assert "| `-o, --output FILE` | where \\| to write |" in text
    assert "--hidden" not in text
    assert "| `tool run deep` | a nested command |" in text
    assert "#### `tool run deep`" in text


def _module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kata_snp_tui.cli_reference", *args],
        capture_output=True, text=True, cwd=cwd, timeout=60,
    )


def test_write_and_check_on_a_copy(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(f"# Title\n\n## Command line\n\n{START}\nold text\n{END}\n\n## After\nkept\n")
    stale = _module("--check", "README.md", cwd=tmp_path)
    assert stale.returncode == 1 and REGENERATE in stale.stderr
    written = _module("--write", "README.md", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    text = doc.read_text()
    assert "old text" not in text and text.endswith(f"{END}\n\n## After\nkept\n") and text.startswith("# Title\n")
    assert section(text) == render()
    assert _module("--check", "README.md", cwd=tmp_path).returncode == 0
    assert "up to date" in _module("--write", "README.md", cwd=tmp_path).stdout


def test_missing_markers_or_file_exit_2(tmp_path: Path) -> None:
    (tmp_path / "plain.md").write_text("# nothing here\n")
    result = _module("--write", "plain.md", cwd=tmp_path)
    assert result.returncode == 2 and START in result.stderr
    assert (tmp_path / "plain.md").read_text() == "# nothing here\n"
    assert _module("--check", "missing.md", cwd=tmp_path).returncode == 2


def test_printing_the_reference() -> None:
    assert cli_reference.main([]) == 0
