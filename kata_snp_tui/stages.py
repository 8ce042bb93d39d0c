"""The wizard's stages: one table the welcome screen, the key bindings, the help and the palette share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    #: The Textual mode name and the id used in the session report.
    id: str
    #: "1".."4" for the guide's stages, "" for the extra views.
    number: str
    title: str
    key: str
    description: str


STAGES: tuple[Stage, ...] = (
    Stage("welcome", "", "Welcome", "f2", "Where this host stands and what the wizard will do."),
    Stage(
        "checks",
        "1",
        "Host checks",
        "f3",
        "CPU, BIOS, kernel, kvm_amd, SEV firmware >= 1.51, devices, cgroups, toolchain and installed Kata.",
    ),
    Stage(
        "build",
        "2",
        "Build",
        "f4",
        "Every build command of the guide, in order, with live logs: runtime, agent, initrd, SNP kernel, OVMF, QEMU.",
    ),
    Stage(
        "config",
        "3",
        "Configure",
        "f5",
        "The guide's eleven changes to configuration.toml, side by side, each accepted or rejected, saved safely.",
    ),
    Stage(
        "verify",
        "4",
        "Run and verify",
        "f6",
        "Start busybox in an SNP VM, read the guest's dmesg, then get and decode an attestation report.",
    ),
    Stage(
        "troubleshoot",
        "",
        "Troubleshoot",
        "f7",
        "The guide's known issues with this host's state, and the error knowledge base.",
    ),
)


def stage(stage_id: str) -> Stage:
    for s in STAGES:
        if s.id == stage_id:
            return s
    raise KeyError(stage_id)


def next_stage(stage_id: str) -> Stage:
    ids = [s.id for s in STAGES]
    return STAGES[(ids.index(stage_id) + 1) % len(STAGES)]
