"""Section ``snapshot``: capturing this machine (``kata_snp_tui.snapshot.capture``), folder and ``--tar``.

Time beside the host checks on the same machine (``run_checks``: the reads a capture cannot avoid),
alternately; size beside the bundled demo host's snapshot. No targets: the figures say what a user
waits for and what a bug report weighs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

from kata_snp_tui.bench.measure import MIB
from kata_snp_tui.bench.model import Row, error_row, make_row

SECTION = "snapshot"


def _folder_size(root: Path) -> tuple[int, int]:
    count = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            count += 1
            size += os.lstat(os.path.join(dirpath, name)).st_size
    return count, size


def run(quick: bool, repeat: int, progress: Callable[[str], None]) -> list[Row]:
    from kata_snp_tui.checks import run_checks
    from kata_snp_tui.host import LiveHost
    from kata_snp_tui.snapshot import capture

    samples = max(repeat, 3) if not quick else 1
    with as_file(files("kata_snp_tui.assets") / "demo" / "host") as demo:
        demo_files, demo_bytes = _folder_size(Path(demo))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="kata-snp-tui-bench-snapshot-") as tmp:
        root = Path(tmp)
        workspace = root / "workspace"
        for tar in (False, True):
            kind = "tar.gz" if tar else "folder"
            progress(f"snapshot: capture into a {kind} x {samples}")
            times: list[float] = []
            checks: list[float] = []
            sizes: list[float] = []
            files_written = 0
            try:
                for n in range(samples):
                    t0 = time.perf_counter()
                    run_checks(LiveHost(), workspace)
                    t1 = time.perf_counter()
                    out = root / (f"snap-{n}.tar.gz" if tar else f"snap-{n}")
                    written = capture(out, tar=tar, host=LiveHost(), workspace=workspace)
                    t2 = time.perf_counter()
                    checks.append(t1 - t0)
                    times.append(t2 - t1)
                    sizes.append(written.size / 1024)
                    files_written = written.files
                    if tar:
                        out.unlink()
                    else:
                        shutil.rmtree(out)
            except Exception as exc:  # noqa: BLE001
                rows.append(error_row(SECTION, f"{SECTION}.{kind}", "live host", f"{type(exc).__name__}: {exc}"))
                continue
            rows.append(make_row(SECTION, f"{SECTION}.{kind}.time", "live host", "s", times, checks, "run_checks"))
            rows.append(make_row(
                SECTION, f"{SECTION}.{kind}.size", f"{files_written} files", "KiB", sizes,
                [demo_bytes / 1024] * len(sizes), "demo host folder",
                extra={"demo_files": demo_files, "demo_bytes": demo_bytes, "size_mib": [s * 1024 / MIB for s in sizes]},
            ))
    return rows
