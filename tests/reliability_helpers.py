"""Helpers for the reliability tests (tests/test_reliability_*.py): real processes, kill loops,
folder walks, stand-in commands on PATH.

    from reliability_helpers import run_cli, kill_loop, private_modes, tree_state

Everything here starts real processes or forks; nothing mocks the code under test.
"""

from __future__ import annotations

import os
import random
import select
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from conftest import DATA, REPO

RELIABILITY_DATA = DATA / "reliability"
PY = sys.executable
#: A secret with every character a shell or a log scrubber could trip on.
SECRET = "Pw d$(id)`x`;'q\"z\\!#%"


# ------------------------------------------------------------------------------ command line


def cli_env(extra: dict[str, str] | None = None, drop: Iterable[str] = ()) -> dict[str, str]:
    """This test's environment (its own XDG_STATE_HOME and workspace) for a CLI subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    for name in drop:
        env.pop(name, None)
    env.update(extra or {})
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: bytes | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """``python -m kata_snp_tui ARGS`` as a real process; bytes in, bytes out (nothing decoded for us)."""
    return subprocess.run(
        [PY, "-m", "kata_snp_tui", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        env=env if env is not None else cli_env(),
        cwd=cwd,
        timeout=timeout,
    )


def one_line_error(proc: subprocess.CompletedProcess[bytes]) -> str:
    """The single ``kata-snp-tui: ...`` line of a refused command (asserts exit 2, one line, no traceback)."""
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], err[-2000:])
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kata-snp-tui: "), lines
    return lines[0]


# ------------------------------------------------------------------------------- folders


def tree_state(root: Path) -> dict[str, tuple[str, int, bytes | None]]:
    """Every entry below ``root``: kind, mode and (for files) content; to prove nothing was written."""
    out: dict[str, tuple[str, int, bytes | None]] = {}
    if not root.exists():
        return out
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = str(path.relative_to(root))
            if stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode), None)
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", 0, os.readlink(path).encode())
            else:
                out[rel] = ("file", stat.S_IMODE(st.st_mode), path.read_bytes() if st.st_size < 1 << 20 else b"<big>")
    return out


def private_modes(root: Path) -> list[str]:
    """Entries below (and including) ``root`` that are not private: folders must be 0700, files 0600.

    Returns the offenders as ``"path mode"`` strings (an empty list means all private).
    """
    bad: list[str] = []
    st = root.stat()
    if stat.S_IMODE(st.st_mode) != 0o700:
        bad.append(f"{root} {oct(stat.S_IMODE(st.st_mode))}")
    for dirpath, dirs, files in os.walk(root):
        for name in dirs:
            mode = stat.S_IMODE((Path(dirpath) / name).lstat().st_mode)
            if mode != 0o700:
                bad.append(f"{Path(dirpath) / name} {oct(mode)}")
        for name in files:
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                bad.append(f"{path} is a symlink")
            elif stat.S_IMODE(st.st_mode) != 0o600:
                bad.append(f"{path} {oct(stat.S_IMODE(st.st_mode))}")
    return bad


def files_below(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- kill loops


@dataclass
class KillStats:
    """What a kill loop did: how many writers were killed, and how many kills landed mid-write
    (a temporary file was left behind, so the kill came between creating it and the rename)."""

    iterations: int = 0
    killed: int = 0
    mid_write: int = 0
    #: Seconds one write took (measured before the loop).
    per_write: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)


def kill_loop(
    base: Path,
    iterations: int,
    seed: int,
    prepare: Callable[[Path], Path],
    write: Callable[[Path, int], None],
    check: Callable[[Path, Path], str],
) -> KillStats:
    """Fork a writer that calls ``write(folder, n)`` for n = 0, 1, 2 ... until it is SIGKILLed at a random
    moment; then ``check(folder, target)`` must accept what is on disk and name it ("old"/"new").

    ``prepare(folder)`` creates the target (the old content) and returns its path; each iteration uses a
    fresh folder under ``base``. The moment is random but spread over whole writes whatever the
    machine's speed: the writer reports each finished write on a pipe, and the kill comes after 0 to 3
    finished writes plus a random part of one write's duration (measured first, in this process).
    """
    rng = random.Random(seed)
    calib = base / "calibrate"
    calib.mkdir(parents=True)
    prepare(calib)
    t0 = time.monotonic()
    for n in range(6):
        write(calib, n)
    per_write = (time.monotonic() - t0) / 6
    stats = KillStats(per_write=per_write)
    for i in range(iterations):
        folder = base / f"k{i:04d}"
        folder.mkdir(parents=True)
        target = prepare(folder)
        before = set(os.listdir(target.parent))
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the writer: write until killed (never returns into pytest)
            os.close(read_fd)
            code = 0
            try:
                n = 0
                while True:
                    write(folder, n)
                    os.write(write_fd, b".")
                    n += 1
            except BaseException:  # noqa: BLE001 - reported through the exit status only
                code = 3
            finally:
                os._exit(code)
        os.close(write_fd)
        finished = rng.randrange(4)
        seen = 0
        while seen < finished:
            ready, _, _ = select.select([read_fd], [], [], 30)
            chunk = os.read(read_fd, 64) if ready else b""
            if not chunk:
                break
            seen += len(chunk)
        time.sleep(rng.uniform(0.0, per_write * 1.2))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(read_fd)
        assert not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3), "the writer raised instead of writing"
        stats.iterations += 1
        stats.killed += int(os.WIFSIGNALED(status))
        outcome = check(folder, target)
        stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1
        left = set(os.listdir(target.parent)) - before
        if any(name.endswith(".tmp") or ".tmp-" in name for name in left):
            stats.mid_write += 1
    return stats


# ------------------------------------------------------------------------------ scripts


def write_script(path: Path, body: str, interpreter: str = "/bin/sh") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{interpreter}\n" + textwrap.dedent(body).lstrip("\n"))
    path.chmod(0o755)
    return path


#: Prints its argv as JSON (one word per element) and, with ARGV_LOG set, appends it there too.
ARGV_PRINTER = r"""
import json, os, sys
line = json.dumps(sys.argv[1:])
print("ARGV " + line, flush=True)
log = os.environ.get("ARGV_LOG")
if log:
    with open(log, "a") as fh:
        fh.write(line + "\n")
"""


#: A sudo that reads the password from stdin (-S), records its own argv and environment and its
#: child's, then runs the command. Password in ``sudo-password`` beside it.
RECORDING_SUDO = r"""
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
with open(os.path.join(here, "sudo-record.jsonl"), "a") as fh:
    fh.write(json.dumps({"argv": sys.argv, "env": dict(os.environ)}) + "\n")
expected = open(os.path.join(here, "sudo-password")).read().rstrip("\n")
read_stdin = non_interactive = False
env_add = {}
i = 0
while i < len(args):
    a = args[i]
    if a == "-n": non_interactive = True
    elif a == "-S": read_stdin = True
    elif a in ("-E", "-k", "-v"): pass
    elif a == "-p": i += 1
    elif a == "--": i += 1; break
    elif "=" in a and not a.startswith(("/", "-")):
        k, v = a.split("=", 1); env_add[k] = v
    else: break
    i += 1
cmd = args[i:]
if non_interactive:
    print("sudo: a password is required", file=sys.stderr); sys.exit(1)
if not read_stdin:
    print("sudo: a terminal is required to read the password", file=sys.stderr); sys.exit(1)
line = b""
while not line.endswith(b"\n"):
    ch = os.read(0, 1)
    if not ch: break
    line += ch
if line.rstrip(b"\n").decode() != expected:
    print("Sorry, try again.", file=sys.stderr); print("sudo: 1 incorrect password attempt", file=sys.stderr); sys.exit(1)
env = dict(os.environ); env.update(env_add); env["RECORDING_SUDO"] = "1"
if not cmd: sys.exit(0)
os.execvpe(cmd[0], cmd, env)
"""


def install_recording_sudo(bin_dir: Path, password: str) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "sudo-password").write_text(password + "\n")
    return write_script(bin_dir / "sudo", RECORDING_SUDO, interpreter=PY)


def drop_privileges_and_run(func: Callable[[], object], preload: Iterable[str] = (), uid: int = 65534,
                            gid: int = 65534) -> object:
    """Run ``func`` in a forked child as an unprivileged user (when we are root), return its result.

    Permission denied cannot be shown to root, so a root test run asks a child that gave up root.
    ``preload`` names modules to import first (the interpreter's own files may not be readable by that
    user). The result comes back pickled through a pipe; an exception in the child is re-raised here.
    """
    import importlib
    import pickle

    for name in preload:
        importlib.import_module(name)

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            try:
                payload = pickle.dumps(("ok", func()))
            except BaseException as exc:  # noqa: BLE001 - carried back to the parent
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "error":
        raise AssertionError(f"in the unprivileged child: {value}")
    return value
