"""A configuration change applied on the command line reaches a later headless export."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import SHARED
from kata_snp_tui.cli import main


def test_config_apply_then_export_shows_the_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "configuration.toml"
    shutil.copy(SHARED / "upstream" / "configuration-qemu.toml.3.2.0", conf)
    assert main(["config", "apply", "--file", str(conf), "--yes"]) == 0
    saved = Path(os.environ["XDG_STATE_HOME"]) / "kata-snp-tui" / "config" / "last-apply.json"
    assert saved.stat().st_mode & 0o777 == 0o600
    capsys.readouterr()
    out = tmp_path / "report.json"
    assert main(["export", "--format", "json", "-o", str(out)]) in (0, 1)
    text = json.dumps(json.loads(out.read_text())["config"])
    assert str(conf) in text and "sev_snp_guest = true" in text
    # The demo's report never shows this machine's change.
    assert main(["export", "--demo", "--format", "json", "-o", str(out)]) in (0, 1)
    assert str(conf) not in json.dumps(json.loads(out.read_text())["config"])


def test_the_demo_copy_is_not_persisted(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from kata_snp_tui.config.record import AppliedConfig, persist

    persist(AppliedConfig("kata", "/x", None, "diff", (), datetime.now(timezone.utc), demo_copy=True))
    assert not (Path(os.environ["XDG_STATE_HOME"]) / "kata-snp-tui" / "config" / "last-apply.json").exists()
