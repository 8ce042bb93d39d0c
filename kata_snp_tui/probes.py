"""The probe commands a host is asked to run, by key.

Checks call ``host.command(key)``; the live host runs the argv below and a snapshot replays what was
recorded under the same key (``commands/<key>.txt`` and ``snapshot.json`` ``commands``).
Keep the keys stable: they are part of the snapshot format.
"""

from __future__ import annotations

PROBE_COMMANDS: dict[str, tuple[str, ...]] = {
    # The kernel log. dmesg needs root when kernel.dmesg_restrict=1; journalctl is the fallback.
    "dmesg": ("dmesg",),
    "journalctl-k": ("journalctl", "-k", "-b", "0", "--no-pager", "-q", "-o", "short"),
    # Toolchain and installed software (version strings).
    "git": ("git", "--version"),
    "make": ("make", "--version"),
    "gcc": ("gcc", "--version"),
    "flex": ("flex", "--version"),
    "bison": ("bison", "--version"),
    "go": ("go", "version"),
    "rustup": ("rustup", "--version"),
    # The agent needs the musl target (Developer Guide: rustup target add x86_64-unknown-linux-musl).
    "rustup-targets": ("rustup", "target", "list", "--installed"),
    "cargo": ("cargo", "--version"),
    "docker": ("docker", "--version"),
    # Daemon version and default runtime (the guide's USE_DOCKER=true builds need runc).
    "docker-info": ("docker", "info", "--format", "{{.ServerVersion}} {{.DefaultRuntime}}"),
    "yq": ("yq", "--version"),
    "containerd": ("containerd", "--version"),
    "ctr": ("ctr", "--version"),
    "kata-runtime": ("kata-runtime", "--version"),
    "qemu-system-x86_64": ("qemu-system-x86_64", "--version"),
    "sudo": ("sudo", "-n", "true"),
}


#: A probe that asks one program, named by its absolute path, for its version: key ``version:<path>``
#: (the QEMU a Kata configuration points at). Recorded in snapshots under that key like any other probe.
VERSION_PREFIX = "version:"


def version_probe(path: str) -> str:
    """The probe key that runs ``<path> --version`` (``path`` must be absolute)."""
    return VERSION_PREFIX + path


def command_argv(key: str) -> tuple[str, ...]:
    """The argv registered for a probe key (KeyError for an unknown key: a programming error)."""
    if key.startswith(VERSION_PREFIX):
        path = key[len(VERSION_PREFIX):]
        if not path.startswith("/") or "\0" in path:
            raise KeyError(key)
        return (path, "--version")
    return PROBE_COMMANDS[key]
