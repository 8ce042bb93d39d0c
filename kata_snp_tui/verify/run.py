"""The verify run (being built): ``ctr image pull`` then ``ctr run`` through the shared runner."""

from __future__ import annotations

from dataclasses import dataclass

from kata_snp_tui.errors import UserError

DEFAULT_IMAGE = "docker.io/library/busybox:latest"
DEFAULT_RUNTIME = "io.containerd.run.kata.v2"
DEFAULT_NAME = "kata-snp-tui-verify"


@dataclass(frozen=True)
class VerifyOptions:
    image: str = DEFAULT_IMAGE
    runtime: str = DEFAULT_RUNTIME
    name: str = DEFAULT_NAME
    attest: bool = True
    report_data: bytes | None = None
    vmpl: int | None = None
    timeout: float = 600.0
    cni: bool = True
    demo: bool = False

    def validate(self) -> None:
        pass


def run_headless(options: VerifyOptions, echo: bool = True):  # noqa: ANN201
    raise UserError("the verify run waits for the shared runner; use --dmesg-file for now")
