"""README stays true: its two commands are the ones CI runs, and every screenshot it shows exists."""

from __future__ import annotations

import re
from urllib.parse import unquote

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_screenshot_in_readme_exists() -> None:
    links = re.findall(r"\]\((tests/__snapshots__/[^)]+\.svg)\)", README)
    assert len(links) >= 6
    for link in links:
        assert (REPO / unquote(link)).is_file(), link


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in README and "pip install -q -e '.[test]'" in ci
    assert ".venv/bin/pytest -q" in README and ".venv/bin/pytest -q" in ci
    assert "kata-snp-tui --demo" in README
