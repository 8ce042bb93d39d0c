"""The launch-measurement options of `kata-snp-tui report FILE`: compare the report's ``measurement``
with a value given (``--expected-measurement HEX``) or computed from the Kata configuration and the
build's artifacts (``--measure``, every input overridable)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kata_snp_tui.errors import UserError
from kata_snp_tui.verify.measurement import (
    MeasurementResult,
    Overrides,
    cmdline_rule_names,
    compare_given,
    compare_with_config,
    parse_measurement_hex,
    vcpu_types,
)
from kata_snp_tui.verify.report import AttestationReport


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _on_off(text: str) -> bool:
    if text in ("on", "off"):
        return text == "on"
    raise argparse.ArgumentTypeError(f"expected on or off, not {text!r}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "launch measurement",
        "compare the report's measurement with the expected one (exit 0 match, 1 mismatch, 3 unknown)")
    which = group.add_mutually_exclusive_group()
    which.add_argument("--expected-measurement", metavar="HEX",
                       help="the expected measurement (96 hex digits)")
    which.add_argument("--measure", action="store_true",
                       help="compute the expected measurement from the Kata configuration and the files it names")
    group.add_argument("--config", metavar="FILE", type=Path,
                       help="the Kata configuration.toml to read (default: the one Kata uses)")
    group.add_argument("--ovmf", metavar="PATH", help="the OVMF image (default: the configuration's firmware)")
    group.add_argument("--kernel", metavar="PATH", help="the guest kernel (measured with kernel hashes on)")
    group.add_argument("--initrd", metavar="PATH", help="the initrd (measured with kernel hashes on)")
    group.add_argument("--append", metavar="CMDLINE",
                       help="the kernel command line QEMU got (default: rebuilt as Kata builds it)")
    group.add_argument("--vcpus", metavar="N", type=_int, help="boot vCPUs (default: the configuration's default_vcpus)")
    group.add_argument("--vcpu-type", metavar="TYPE", choices=vcpu_types(),
                       help="QEMU CPU model (default EPYC-v4, what Kata uses for SNP)")
    group.add_argument("--guest-features", metavar="VALUE", type=_int,
                       help="VMSA SEV features (default 0x1; 0x21 where KVM turns on DebugSwap)")
    group.add_argument("--kernel-hashes", metavar="on|off", type=_on_off,
                       help="QEMU kernel-hashes (default: on for AMDSEV.fd firmware, off otherwise)")
    group.add_argument("--cmdline-rules", choices=cmdline_rule_names(),
                       help="the Kata release line whose command-line rules to use (default 3.2)")


_INPUT_OPTIONS = ("config", "ovmf", "kernel", "initrd", "append", "vcpus", "vcpu_type", "guest_features",
                  "kernel_hashes", "cmdline_rules")


def wanted(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "measure", False) or getattr(args, "expected_measurement", None))


def check_arguments(args: argparse.Namespace) -> None:
    """Input options without --measure would be ignored silently: refuse them."""
    if getattr(args, "measure", False):
        return
    given = [f"--{name.replace('_', '-')}" for name in _INPUT_OPTIONS if getattr(args, name, None) is not None]
    if given:
        raise UserError(f"{', '.join(given)} only apply with --measure")


def compare(args: argparse.Namespace, report: AttestationReport) -> MeasurementResult | None:
    """The comparison the options ask for (None when none is asked)."""
    check_arguments(args)
    if getattr(args, "expected_measurement", None):
        try:
            expected = parse_measurement_hex(args.expected_measurement)
        except ValueError as exc:
            raise UserError(f"--expected-measurement: {exc}") from None
        return compare_given(report.measurement, expected)
    if not getattr(args, "measure", False):
        return None
    if args.config is not None and not args.config.is_file():
        raise UserError(f"Kata configuration not found: {args.config}")
    if args.vcpus is not None and args.vcpus < 1:
        raise UserError(f"--vcpus must be at least 1, not {args.vcpus}")
    overrides = Overrides(ovmf=args.ovmf, kernel=args.kernel, initrd=args.initrd, append=args.append,
                          vcpus=args.vcpus, vcpu_type=args.vcpu_type, guest_features=args.guest_features,
                          kernel_hashes=args.kernel_hashes, cmdline_rules=args.cmdline_rules,
                          profile=_profile(args))
    return compare_with_config(report.measurement, overrides, args.config)


def _profile(args: argparse.Namespace):  # -> Profile | None
    """The profile whose Kata launches the guest (kernel hashes, command line rules): --profile, else
    chosen as build and config choose it; not needed when both are given as options."""
    if args.kernel_hashes is not None and args.cmdline_rules is not None and getattr(args, "profile", None) is None:
        return None
    from kata_snp_tui.build_state import workspace_for
    from kata_snp_tui.profiles import choose_for

    choice = choose_for("live", None, workspace_for(False), getattr(args, "profile", None))
    # A profile guessed from the kernel alone says nothing of the Kata that launched the guest: then kernel
    # hashes are inferred from the configured firmware instead.
    return choice.profile if choice.knows_kata else None


def text_lines(result: MeasurementResult) -> list[str]:
    """The comparison for the terminal: status, both values, how the expected one was obtained."""
    lines = [f"Launch measurement: {result.status.upper()}: {result.headline()}",
             f"  reported  {result.reported or '-'}",
             f"  expected  {result.expected or '- (not computed)'}"]
    lines += [f"  {line}" for line in result.input_lines()]
    lines += [f"  note: {note}" for note in result.notes]
    return lines
