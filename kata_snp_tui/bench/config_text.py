"""The configuration files the ``config`` section edits: Kata 3.2.0's, and one ten times longer."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib.resources import files

#: The line the simulated typing lengthens (a comment inside [hypervisor.qemu], as a user adding a note).
TYPING_ANCHOR = "[hypervisor.qemu]"


@dataclass(frozen=True)
class ConfigText:
    name: str
    text: str

    @property
    def lines(self) -> int:
        return self.text.count("\n")


def kata_320() -> ConfigText:
    """The demo's copy of Kata 3.2.0's generated configuration-qemu.toml (shipped in assets)."""
    text = (files("kata_snp_tui.assets") / "demo" / "config" / "configuration.toml").read_text(encoding="utf-8")
    return ConfigText("Kata 3.2.0", text)


def ten_times(base: ConfigText, factor: int = 10) -> ConfigText:
    """``base`` followed by commented-out copies of every table after [hypervisor.qemu] until the file
    has ``factor`` times as many lines. Still valid TOML with the same keys (checked)."""
    lines = base.text.split("\n")
    qemu = next(i for i, line in enumerate(lines) if line.strip() == TYPING_ANCHOR)
    rest = next(i for i in range(qemu + 1, len(lines)) if lines[i].startswith("["))
    block = [f"# {line}" if line else "#" for line in lines[rest:]]
    missing = base.lines * (factor - 1)
    copies = math.ceil(missing / (len(block) + 1))
    extra: list[str] = []
    for n in range(copies):
        extra.append(f"# --- benchmark: copy {n + 1} of the tables after [hypervisor.qemu], commented out ---")
        extra.extend(block)
    extra = extra[:missing]
    text = base.text.rstrip("\n") + "\n" + "\n".join(extra) + "\n"
    if tomllib.loads(text) != tomllib.loads(base.text):
        raise AssertionError("the longer file must hold the same settings")
    return ConfigText(f"{base.name} x{factor}", text)


def keystrokes(text: str, count: int) -> list[str]:
    """The text after each of ``count`` keystrokes typing a word at the end of the first comment line
    of [hypervisor.qemu] (each keystroke's text differs, so no cache can answer)."""
    lines = text.split("\n")
    qemu = next(i for i, line in enumerate(lines) if line.strip() == TYPING_ANCHOR)
    at = next(i for i in range(qemu + 1, len(lines)) if lines[i].startswith("#"))
    word = "benchmark-typing-" * (count // 17 + 1)
    out = []
    for k in range(1, count + 1):
        edited = list(lines)
        edited[at] = lines[at] + " " + word[:k]
        out.append("\n".join(edited))
    return out
