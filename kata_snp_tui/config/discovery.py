"""Which configuration.toml Kata reads, found the way Kata finds it.

Kata's runtime (``GetDefaultConfigFilePaths``, pkg/katautils/config.go) and its containerd shim use
``$KATA_CONF_FILE`` when set, else ``/etc/kata-containers/configuration.toml``, else
``/usr/share/defaults/kata-containers/configuration.toml`` (what ``make install`` puts there). When only
the default exists, the Developer Guide copies it into /etc before editing it::

    sudo mkdir -p /etc/kata-containers/
    sudo install -o root -g root -m 0640 /usr/share/defaults/kata-containers/configuration.toml /etc/kata-containers

The search roots are injectable (``root``), so tests never look at this machine's /etc.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kata_snp_tui.config.sudo import Sudo, SudoError
from kata_snp_tui.errors import UserError

ETC_CONFIG = Path("etc/kata-containers/configuration.toml")
DEFAULT_CONFIG = Path("usr/share/defaults/kata-containers/configuration.toml")
ENV_VAR = "KATA_CONF_FILE"


@dataclass(frozen=True)
class Candidate:
    path: Path
    #: "env" ($KATA_CONF_FILE), "etc" or "default".
    origin: str
    exists: bool

    @property
    def label(self) -> str:
        return {"env": f"${ENV_VAR}", "etc": "the /etc copy", "default": "the packaged default"}[self.origin]


@dataclass(frozen=True)
class Discovery:
    candidates: tuple[Candidate, ...]
    #: The file Kata reads (None when there is none).
    chosen: Candidate | None
    etc_path: Path
    default_path: Path

    @property
    def offer_install(self) -> bool:
        """Only the packaged default exists: offer to copy it into /etc as the Developer Guide does."""
        return self.chosen is not None and self.chosen.origin == "default"

    def explain(self) -> str:
        if self.chosen is None:
            return (
                f"no Kata configuration found ({self.etc_path} and {self.default_path} are both missing): "
                "build and install the runtime first (stage 2), or point KATA_CONF_FILE at a configuration"
            )
        if self.chosen.origin == "env":
            state = "" if self.chosen.exists else " (it does not exist)"
            return f"{ENV_VAR} points at {self.chosen.path}{state}"
        if self.chosen.origin == "etc":
            return f"Kata reads {self.chosen.path}"
        return (
            f"only the packaged default {self.chosen.path} exists; the guide edits a copy in "
            f"{self.etc_path.parent}: install it first"
        )

    def install_commands(self, owner: str = "root", group: str = "root") -> list[list[str]]:
        """The Developer Guide's two commands that copy the default into /etc (run as root)."""
        return [
            ["mkdir", "-p", str(self.etc_path.parent)],
            ["install", "-o", owner, "-g", group, "-m", "0640", str(self.default_path), str(self.etc_path.parent)],
        ]


def discover(env: Mapping[str, str] | None = None, root: Path = Path("/")) -> Discovery:
    """Find the configuration Kata reads. ``root`` replaces ``/`` (tests); ``env`` replaces os.environ."""
    env = os.environ if env is None else env
    etc = root / ETC_CONFIG
    default = root / DEFAULT_CONFIG
    candidates: list[Candidate] = []
    value = env.get(ENV_VAR)
    if value:
        candidates.append(Candidate(Path(value), "env", Path(value).exists()))
    candidates.append(Candidate(etc, "etc", etc.exists()))
    candidates.append(Candidate(default, "default", default.exists()))
    chosen: Candidate | None = None
    if value:
        chosen = candidates[0]
    else:
        chosen = next((c for c in candidates if c.exists), None)
    return Discovery(tuple(candidates), chosen, etc, default)


def install_default(discovery: Discovery, sudo: Sudo | None = None, owner: str = "root", group: str = "root") -> Path:
    """Copy the packaged default into /etc (mode 0640, ``owner``:``group``), as root.

    Runs the commands directly when this process is root, else through ``sudo``. Never overwrites an
    existing /etc file. Returns the installed path.
    """
    if discovery.etc_path.exists():
        raise UserError(f"{discovery.etc_path} already exists; not overwriting it")
    if not discovery.default_path.exists():
        raise UserError(f"{discovery.default_path} does not exist: nothing to install")
    for argv in discovery.install_commands(owner, group):
        if os.geteuid() == 0:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        elif sudo is not None:
            proc = sudo.run(argv)
        else:
            raise SudoError(f"installing {discovery.etc_path} needs root: run `sudo {' '.join(argv)}`")
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise UserError(f"`{' '.join(argv)}` failed: {message[-1] if message else f'exit {proc.returncode}'}")
    return discovery.etc_path
