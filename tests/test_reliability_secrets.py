"""Injection and secrets: values with spaces, quotes, $(), backticks and ';' reach programs literally
(real processes print their argv), and the sudo password is in none of: the logs, the state, the
session report, any process's arguments, any child's environment.

Covered elsewhere (cited): runner-level argv/shell quoting with a hand-made Step (tests/test_runner_
process.py::test_special_characters_reach_argv_literally_and_shell_steps_get_them_quoted); the recipe
loader refusing placeholders inside shell quotes (tests/test_recipe_load.py); the password on sudo's
stdin only, for one runner step (tests/test_runner_sudo.py::test_password_goes_to_stdin_only); the
verify options refusing shell characters in image, runtime and container name (tests/test_verify_run.py::
test_bad_options_refused); the report's scrubbing (tests/test_export_session_report.py).
"""

from __future__ import annotations

import json
import os
import shlex
import time
import tomllib
from pathlib import Path

import psutil
from config_helpers import upstream
from reliability_helpers import ARGV_PRINTER, PY, files_below, install_recording_sudo, run_cli, write_script

from kata_snp_tui import paths
from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.screens.build import BUILD_OPTIONS_KEY, BuildScreen
from kata_snp_tui.screens.password import PasswordScreen
from kata_snp_tui.sudo import Privilege

# ------------------------------------------------------------------------------ injection


def _nasty(tmp_path: Path) -> tuple[str, list[Path]]:
    canaries = [tmp_path / f"PWNED-{n}" for n in range(4)]
    value = (f"a  b 'single' \"double\" $(touch {canaries[0]}) `touch {canaries[1]}` ; touch {canaries[2]} "
             f"&& touch {canaries[3]} | $HOME ${{HOME}} * ~ \\ end")
    return value, canaries


PRINTER = ARGV_PRINTER + r'''
print("CWD " + json.dumps(os.getcwd()), flush=True)
print("ENV " + json.dumps(os.environ.get("VALUE")), flush=True)
'''


def _recipe(tmp_path: Path) -> Path:
    printer = write_script(tmp_path / "printer.py", PRINTER, interpreter=PY)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(f'''
[variables]
v = "harmless"

[[steps]]
id = "argv-step"
title = "Print argv"
cwd = "{{workspace}}"
argv = [{json.dumps(PY)}, {json.dumps(str(printer))}, "{{v}}", "--then", "{{workspace}}"]
env = {{ VALUE = "{{v}}" }}

[[steps]]
id = "shell-step"
title = "Print in a shell"
cwd = "{{workspace}}"
shell = "printf 'SHELL[%s]\\\\n' {{v}}; printf 'WS[%s]\\\\n' {{workspace}}; printf 'PWD[%s]\\\\n' \\"$PWD\\"; printf 'ENV[%s]\\\\n' \\"$VALUE\\""
env = {{ VALUE = "{{v}}" }}
''')
    return recipe


def _shell_words(line: str) -> list[str]:
    """What a POSIX shell would see as words (and ';' as its own token)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    return list(lexer)


def test_recipe_variables_and_paths_reach_processes_literally(tmp_path: Path) -> None:
    """A variable (``--set``) and the workspace path full of shell syntax: the argv step receives each as
    one argument, the shell step prints them unchanged, the environment holds them as is, and none of
    the embedded commands ran. The dry run shows them quoted so that a shell gives back the value."""
    value, canaries = _nasty(tmp_path)
    workspace = tmp_path / f"ws with 'quotes' \"dq\" $(touch {canaries[0]}) `x` ; &"
    recipe = _recipe(tmp_path)
    proc = run_cli("build", "--recipe", str(recipe), "--yes", "--workspace", str(workspace), "--set", f"v={value}")
    out = proc.stdout.decode()
    assert proc.returncode == 0, (out, proc.stderr)
    argv_line = next(line for line in out.splitlines() if line.startswith("ARGV "))
    assert json.loads(argv_line[5:]) == [value, "--then", str(workspace)]
    assert f"CWD {json.dumps(str(workspace))}" in out
    assert f"ENV {json.dumps(value)}" in out
    assert f"SHELL[{value}]" in out.splitlines()
    assert f"WS[{workspace}]" in out.splitlines() and f"PWD[{workspace}]" in out.splitlines()
    assert f"ENV[{value}]" in out.splitlines()
    assert not any(c.exists() for c in canaries), "a command inside a value ran"

    dry = run_cli("build", "--recipe", str(recipe), "--dry-run", "--workspace", str(workspace), "--set", f"v={value}")
    lines = [line[2:] for line in dry.stdout.decode().splitlines() if line.startswith("$ ")]
    words = shlex.split(lines[0])  # quoted so that a shell gives every value back unchanged
    assert words[0] == f"VALUE={value}" and words[-3:] == [value, "--then", str(workspace)]
    shell_line = next(line for line in lines if line.startswith("printf 'SHELL[%s]"))
    assert _shell_words(shell_line)[2] == value and _shell_words(shell_line)[3] == ";", shell_line
    assert not any(c.exists() for c in canaries)


def test_paths_with_quotes_become_valid_toml_strings(tmp_path: Path) -> None:
    """``config apply --qemu/--firmware`` with quotes, backslashes and $(): the written file parses and holds
    exactly those paths (no TOML injection of extra keys)."""
    config = tmp_path / "configuration.toml"
    config.write_text(upstream("configuration-qemu.toml.3.2.0"))
    qemu = '/opt/q "x"\\y\nkernel = "/evil"'
    firmware = "/opt/o'v$(touch /tmp/PWNED)mf.fd"
    proc = run_cli("config", "apply", "--yes", "--file", str(config), "--qemu", qemu, "--firmware", firmware)
    assert proc.returncode == 0, proc.stderr
    table = tomllib.loads(config.read_text())["hypervisor"]["qemu"]
    assert table["path"] == qemu and table["firmware"] == firmware
    assert table["kernel"] != "/evil"


# -------------------------------------------------------------------------------- secrets

#: Typed key by key into the password dialog: a space, shell syntax, quotes.
PASSWORD = "Pw d$(id)`x`;|&<>'q\"z"

DUMP = r'''
import json, os, sys, time
out = os.environ["DUMP_DIR"]
with open(os.path.join(out, f"env-{os.getpid()}.json"), "w") as fh:
    json.dump({"argv": sys.argv, "env": dict(os.environ)}, fh)
print("step output; stdin holds " + repr(sys.stdin.read()), flush=True)
time.sleep(float(sys.argv[1]))
'''


def _leaks(needle: str) -> list[str]:
    """Every process this test can see: is the password in its arguments or its environment?"""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(needle in part for part in (proc.info["cmdline"] or [])):
                found.append(f"argv of {proc.info['pid']}: {proc.info['cmdline']}")
            env = proc.environ()
            if any(needle in f"{k}={v}" for k, v in env.items()):
                found.append(f"environment of {proc.info['pid']}")
        except (psutil.Error, OSError):
            continue
    return found


async def test_the_sudo_password_is_in_no_log_state_report_argv_or_environment(tmp_path: Path, monkeypatch) -> None:
    """The Build screen asks for the password (typed key by key), two root steps run through a stand-in
    sudo that records its argv and environment, and the session report is exported. While the steps run
    every process is scanned (arguments and environment); afterwards every file in the state folder
    (logs, state, reports), sudo's records and the steps' own environment dumps are searched."""
    bin_dir = tmp_path / "bin"
    install_recording_sudo(bin_dir, PASSWORD)
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    monkeypatch.setenv("DUMP_DIR", str(dumps))
    dump = write_script(tmp_path / "dump.py", DUMP, interpreter=PY)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(f'''
[[steps]]
id = "root-one"
title = "As root"
argv = [{json.dumps(str(dump))}, "1.5"]
sudo = true
env = {{ STEP_VAR = "plain" }}

[[steps]]
id = "root-two"
title = "As root again"
argv = [{json.dumps(str(dump))}, "0.2"]
sudo = true
preserve_env = true
''')
    privilege = Privilege(euid=lambda: 1000, search_path=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    app = make_app(HostSource("live"), host=open_host(HostSource("live")), run_checks_on_start=False)
    app.session.extras[BUILD_OPTIONS_KEY] = dict(recipe_path=recipe, workspace=tmp_path / "ws", privilege=privilege)
    seen_leaks: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        while not (isinstance(app.screen, BuildScreen) and app.screen.build is not None):
            await pilot.pause(0.05)
        screen = app.screen
        await pilot.press("r")
        while not isinstance(app.screen, PasswordScreen):
            await pilot.pause(0.05)
        for ch in PASSWORD:
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("enter")
        deadline = time.monotonic() + 60
        scans = 0
        while screen.records().get("root-two") != "done":
            assert time.monotonic() < deadline, screen.records()
            if screen.running:
                seen_leaks += _leaks(PASSWORD)
                scans += 1
            await pilot.pause(0.1)
        assert scans >= 3  # the scan really ran while root steps were alive
        assert "step output; stdin holds ''" in screen.shown_log_text()  # sudo took the password line
        await pilot.press("f6")
        await pilot.pause(0.3)
        await pilot.press("e")  # export the session report (Markdown and JSON)
        await pilot.pause(0.5)
    assert seen_leaks == []
    reports = sorted((paths.state_dir() / "reports").glob("session-*"))
    assert {p.suffix for p in reports} == {".md", ".json"}
    assert "root-one" in reports[0].read_text()
    secret = PASSWORD.encode()
    searched = files_below(paths.state_dir())
    assert any(p.suffix == ".log" for p in searched) and any(p.name.startswith("state-") for p in searched)
    for path in searched:
        assert secret not in path.read_bytes(), f"the password is in {path}"
    records = [json.loads(line) for line in (bin_dir / "sudo-record.jsonl").read_text().splitlines()]
    assert len(records) >= 3  # the password check, then both steps
    for rec in records:
        assert not any(PASSWORD in a for a in rec["argv"]), rec["argv"]
        assert not any(PASSWORD in f"{k}={v}" for k, v in rec["env"].items())
    step_dumps = list(dumps.glob("env-*.json"))
    assert len(step_dumps) == 2
    for path in step_dumps:
        data = json.loads(path.read_text())
        assert data["env"].get("RECORDING_SUDO") == "1"  # it really ran under the stand-in sudo
        assert PASSWORD not in json.dumps(data)
