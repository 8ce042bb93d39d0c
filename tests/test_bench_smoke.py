"""Smoke run of the benchmarks (``python -m kata_snp_tui.bench --quick``) so they cannot rot.

The figures are not judged here (no timing is asserted): only that every section ran, every row
has sane numbers, every streamed line reached the step's log, and the JSON says which machine.
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

SECTIONS = {"startup", "checks", "config", "snapshot", "stream", "attestation"}


def _bench(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kata_snp_tui.bench", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "results.json"
    proc = _bench("--quick", "--json-out", str(out), cwd=tmp)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads(out.read_text())


def _rows(result: dict) -> list[dict]:
    return [row for section in result["sections"].values() for row in section["rows"]]


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value >= 0


def test_quick_run_reports_every_section_and_the_machine(quick_run) -> None:
    proc, result = quick_run
    assert result["format"] == "kata-snp-tui.bench" and result["options"]["quick"] is True
    assert set(result["sections"]) == SECTIONS
    machine = result["machine"]
    assert isinstance(machine["cores"], int) and machine["cores"] >= 1
    assert machine["cpu_model"] and machine["python"].count(".") == 2 and machine["textual"]
    assert "cores" in proc.stdout and "measured" in proc.stdout and "baseline" in proc.stdout
    for status in ("PASS", "MISS", "info", "ERROR"):
        assert isinstance(result["summary"][status], int)
    assert result["summary"]["ERROR"] == 0, [r["error"] for r in _rows(result) if r["error"]]


def test_every_row_has_sane_numbers(quick_run) -> None:
    _, result = quick_run
    rows = _rows(result)
    for row in rows:
        assert row["status"] in ("PASS", "MISS", "info"), row
        assert _finite(row["measured"]), row
        assert row["samples"] and all(_finite(v) for v in row["samples"]), row
        assert row["baseline"] is None or _finite(row["baseline"]), row
        assert row["ratio"] is None or (_finite(row["ratio"]) and row["ratio"] > 0), row
        if row["target"] is not None:
            assert row["target_on"] in ("ratio", "value") and _finite(row["target_limit"])
    names = {row["name"] for row in rows}
    assert {
        "startup.first-screen", "startup.check-json-demo", "checks.demo", "checks.live",
        "checks.live.evaluation", "config.keystroke", "config.scaling", "config.screen-keystroke",
        "snapshot.folder.time", "snapshot.tar.gz.size",
        "stream.headless", "stream.headless.rss", "stream.screen", "stream.screen.stall", "stream.screen.rss",
        "attestation.verify", "attestation.verify.cold",
    } <= names


def test_streams_were_lossless_and_the_wizard_showed_its_welcome(quick_run) -> None:
    _, result = quick_run
    stream = result["sections"]["stream"]["rows"]
    assert len([r for r in stream if r["name"] == "stream.screen"]) == 2  # both line widths
    for row in stream:
        assert not row["failure"], row  # every line reached the step's log, in order
    lines_per_s = [r for r in stream if r["unit"] == "lines/s"]
    assert all(r["baseline"] > 0 and r["measured"] > 0 for r in lines_per_s)
    first = next(r for r in result["sections"]["startup"]["rows"] if r["name"] == "startup.first-screen")
    assert first["extra"]["wizard_screen"] == ["WelcomeScreen"]
    keystroke = [r for r in result["sections"]["config"]["rows"] if r["name"] == "config.keystroke"]
    assert [r["extra"]["bytes"] for r in keystroke][1] > 9 * keystroke[0]["extra"]["bytes"]


def test_only_one_section_and_the_default_output_file(tmp_path: Path) -> None:
    proc = _bench("--quick", "--only", "checks", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "bench-results.json").read_text())
    assert set(result["sections"]) == {"checks"}
    bad = _bench("--repeat", "0", "--only", "checks", cwd=tmp_path)
    assert bad.returncode != 0 and "repeat" in bad.stderr


def _imports_bench(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            names = [str(node.args[0].value)]  # import_module("...") and the like
        if any(name == "kata_snp_tui.bench" or name.startswith("kata_snp_tui.bench.") for name in names):
            return True
    return False


def test_nothing_in_the_product_imports_the_benchmarks() -> None:
    sources = [*(REPO / "kata_snp_tui").rglob("*.py"), *(REPO / "screens").rglob("*.py")]
    offenders = [str(p) for p in sources if "bench" not in p.relative_to(REPO).parts and _imports_bench(p)]
    assert offenders == []
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, kata_snp_tui.cli as c; c.build_parser(); "
         "print(sorted(m for m in sys.modules if m.startswith('kata_snp_tui.bench') or m == 'textual'))"],
        capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode == 0 and probe.stdout.strip() == "[]", probe.stdout + probe.stderr
