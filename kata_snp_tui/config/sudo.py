"""Running a command as root through sudo, with the password (when one is needed) on standard input.

The password is passed to ``sudo -S`` on stdin only: it never appears in argv, the environment, a log
or a file, and nothing here keeps it. ``needs_password()`` asks ``sudo -n true`` first, so a user with
cached credentials or NOPASSWD is never asked.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from kata_snp_tui.errors import UserError

SUDO_TIMEOUT = 120.0


class SudoError(UserError):
    """sudo is missing, refused, or the command it ran failed."""


class SudoAuthFailed(SudoError):
    """The password was wrong or missing."""


_AUTH_MARKERS = ("incorrect password", "a password is required", "no password was provided", "sorry, try again", "authentication failure")


@dataclass(frozen=True)
class Sudo:
    """How to reach root: the sudo program (found on PATH) and how to authenticate."""

    program: str = "sudo"
    #: The password to pass on stdin (``sudo -S``); None to rely on cached credentials or a terminal.
    password: str | None = None
    #: Let sudo prompt on the controlling terminal itself (the command line).
    interactive: bool = False

    def __repr__(self) -> str:  # never show the password
        return f"Sudo(program={self.program!r}, password={'***' if self.password is not None else None}, interactive={self.interactive})"

    def executable(self) -> str:
        found = shutil.which(self.program)
        if not found:
            raise SudoError("sudo is not installed: run kata-snp-tui as root or install sudo to write root-owned files")
        return found

    def with_password(self, password: str | None) -> Sudo:
        return Sudo(self.program, password, self.interactive)

    def needs_password(self) -> bool:
        """True when ``sudo -n true`` fails (no cached credentials, no NOPASSWD)."""
        try:
            proc = subprocess.run([self.executable(), "-n", "true"], stdin=subprocess.DEVNULL, capture_output=True, timeout=SUDO_TIMEOUT)
        except subprocess.TimeoutExpired:
            return True
        return proc.returncode != 0

    def command(self, argv: Sequence[str]) -> list[str]:
        exe = self.executable()
        if self.password is not None:
            return [exe, "-S", "-p", "", "--", *argv]
        if self.interactive:
            return [exe, "--", *argv]
        return [exe, "-n", "--", *argv]

    def run(self, argv: Sequence[str], timeout: float = SUDO_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` as root; stdout and stderr captured. Raises SudoAuthFailed when sudo refuses."""
        cmd = self.command(argv)
        stdin: int | None
        data: bytes | None
        if self.password is not None:
            stdin, data = subprocess.PIPE, (self.password + "\n").encode("utf-8")
        elif self.interactive:
            stdin, data = None, None
        else:
            stdin, data = subprocess.DEVNULL, None
        try:
            if data is not None:
                proc = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout)
            else:
                proc = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SudoError(f"sudo {argv[0]} did not finish within {timeout:.0f} s") from None
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").lower()
            if any(marker in err for marker in _AUTH_MARKERS) and not proc.stdout:
                raise SudoAuthFailed("sudo refused: wrong or missing password")
        return proc
