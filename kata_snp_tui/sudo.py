"""Privileges for steps marked ``sudo``: nothing when root, ``sudo -n`` when it needs no password,
otherwise ``sudo -S -p ''`` with the password written to the step's standard input.

The password is never logged, stored, put in an argv or in a child's environment: the caller keeps
it in memory and hands it to :meth:`kata_snp_tui.runner.Runner.run_step`.

Everything that depends on the machine is injectable (``euid`` and ``search_path``), so tests run
the non-root path with a stand-in ``sudo`` script on a PATH of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from kata_snp_tui.recipe import Step

PROBE_TIMEOUT = 15.0


class PrivilegeMode(str, Enum):
    ROOT = "root"
    #: ``sudo -n true`` works: no password needed.
    SUDO_NOPASSWD = "sudo-nopasswd"
    #: sudo is there but wants a password.
    SUDO_PASSWORD = "sudo-password"
    #: not root and no sudo on PATH.
    NO_SUDO = "no-sudo"


@dataclass
class Privilege:
    """How this process gets root for a step. Probing ``sudo`` happens once and is cached."""

    euid: Callable[[], int] = field(default=lambda: os.geteuid())
    #: PATH used to find ``sudo`` (default: this process's PATH).
    search_path: str | None = None
    _mode: PrivilegeMode | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def is_root(self) -> bool:
        return self.euid() == 0

    def sudo_path(self) -> str | None:
        path = self.search_path if self.search_path is not None else os.environ.get("PATH", os.defpath)
        return shutil.which("sudo", path=path)

    def mode(self, refresh: bool = False) -> PrivilegeMode:
        """Root, passwordless sudo, sudo with a password, or no sudo (probed once, in a new session
        with no terminal, exactly as a step runs)."""
        with self._lock:
            if self._mode is None or refresh:
                self._mode = self._probe()
            return self._mode

    def _probe(self) -> PrivilegeMode:
        if self.is_root():
            return PrivilegeMode.ROOT
        sudo = self.sudo_path()
        if sudo is None:
            return PrivilegeMode.NO_SUDO
        try:
            result = subprocess.run(
                [sudo, "-n", "true"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                timeout=PROBE_TIMEOUT,
                env=self._env(),
            )
        except (OSError, subprocess.TimeoutExpired):
            return PrivilegeMode.SUDO_PASSWORD
        return PrivilegeMode.SUDO_NOPASSWD if result.returncode == 0 else PrivilegeMode.SUDO_PASSWORD

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.search_path is not None:
            env["PATH"] = self.search_path
        return env

    def needs_password(self, steps: Sequence[Step] = ()) -> bool:
        """True when one of ``steps`` (or any step, when none are given) needs a sudo password."""
        if steps and not any(s.sudo for s in steps):
            return False
        return self.mode() is PrivilegeMode.SUDO_PASSWORD

    def check_password(self, password: str) -> bool:
        """Does sudo accept this password? (``sudo -k -S -p '' true``; cached credentials ignored.)"""
        sudo = self.sudo_path()
        if sudo is None:
            return False
        try:
            result = subprocess.run(
                [sudo, "-k", "-S", "-p", "", "true"],
                input=(password + "\n").encode(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                timeout=PROBE_TIMEOUT,
                env=self._env(),
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return result.returncode == 0

    def wrap(
        self, step: Step, argv: Sequence[str], caller_env: Mapping[str, str], with_password: bool
    ) -> tuple[list[str], bool]:
        """The argv that runs ``argv`` for ``step`` with the privileges it needs.

        Returns ``(argv, wrapped)``; ``wrapped`` is True when sudo was put in front. Raises
        :class:`PrivilegeError` when the step needs root and there is no way to get it.
        """
        if not step.sudo or self.is_root():
            return list(argv), False
        mode = self.mode()
        sudo = self.sudo_path()
        if mode is PrivilegeMode.NO_SUDO or sudo is None:
            raise PrivilegeError(f"step {step.id!r} needs root: run kata-snp-tui as root or install sudo")
        words = [sudo]
        if mode is PrivilegeMode.SUDO_NOPASSWD and not with_password:
            words.append("-n")
        elif with_password:
            words += ["-S", "-p", ""]
        else:
            raise PasswordRequired(f"step {step.id!r} needs root and sudo asks for a password")
        if step.preserve_env:
            words.append("-E")
        # sudo reads VAR=value words between its options and the command (not after "--").
        for name in step.pass_env:
            if name in caller_env:
                words.append(f"{name}={caller_env[name]}")
        words += [f"{k}={v}" for k, v in step.env.items()]
        return words + list(argv), True

    def kill_as_root(self, pids: Sequence[int], with_password: str | None) -> None:
        """Send SIGKILL to processes this user may not signal (root children of sudo)."""
        sudo = self.sudo_path()
        if not pids or sudo is None or self.is_root():
            return
        argv = [sudo, "-S", "-p", ""] if with_password else [sudo, "-n"]
        argv += ["kill", "-KILL", *(str(p) for p in pids)]
        try:
            subprocess.run(
                argv,
                input=((with_password + "\n").encode() if with_password else None),
                stdin=None if with_password else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                timeout=PROBE_TIMEOUT,
                env=self._env(),
            )
        except (OSError, subprocess.TimeoutExpired):
            pass


class PrivilegeError(Exception):
    """A step needs root and there is no way to get it."""


class PasswordRequired(PrivilegeError):
    """sudo needs a password and none was given (the TUI asks for it; the CLI prompts)."""
