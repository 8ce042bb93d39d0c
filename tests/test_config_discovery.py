"""Discovery as Kata does it ($KATA_CONF_FILE, /etc, the packaged default) and the install offer."""

from __future__ import annotations

import getpass
import grp
import os
import stat
from pathlib import Path

import pytest
from config_helpers import upstream

from kata_snp_tui.config.discovery import DEFAULT_CONFIG, ETC_CONFIG, discover, install_default
from kata_snp_tui.errors import UserError


def _put(root: Path, rel: Path, text: str = "[hypervisor.qemu]\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nothing_found(tmp_path: Path) -> None:
    found = discover({}, tmp_path)
    assert found.chosen is None and not found.offer_install
    assert "no Kata configuration found" in found.explain()


def test_etc_wins_over_the_default(tmp_path: Path) -> None:
    etc = _put(tmp_path, ETC_CONFIG)
    _put(tmp_path, DEFAULT_CONFIG)
    found = discover({}, tmp_path)
    assert found.chosen is not None and found.chosen.path == etc and found.chosen.origin == "etc"
    assert not found.offer_install


def test_only_the_default_offers_install(tmp_path: Path) -> None:
    default = _put(tmp_path, DEFAULT_CONFIG)
    found = discover({}, tmp_path)
    assert found.chosen is not None and found.chosen.path == default
    assert found.offer_install
    assert found.install_commands() == [
        ["mkdir", "-p", str(tmp_path / "etc/kata-containers")],
        ["install", "-o", "root", "-g", "root", "-m", "0640", str(default), str(tmp_path / "etc/kata-containers")],
    ]


def test_kata_conf_file_wins(tmp_path: Path) -> None:
    _put(tmp_path, ETC_CONFIG)
    mine = _put(tmp_path, Path("mine.toml"))
    found = discover({"KATA_CONF_FILE": str(mine)}, tmp_path)
    assert found.chosen is not None and found.chosen.origin == "env" and found.chosen.path == mine
    missing = discover({"KATA_CONF_FILE": str(tmp_path / "nope.toml")}, tmp_path)
    assert missing.chosen is not None and not missing.chosen.exists and "does not exist" in missing.explain()


def test_install_default_copies_with_mode_0640(tmp_path: Path) -> None:
    """Runs the Developer Guide's real `install` command (as this user: the owner is injectable)."""
    default = _put(tmp_path, DEFAULT_CONFIG, upstream("configuration-qemu.toml.3.2.0"))
    found = discover({}, tmp_path)
    user = getpass.getuser()
    group = grp.getgrgid(os.getgid()).gr_name
    if os.geteuid() != 0:
        pytest.skip("install_default runs the commands directly only as root; the sudo path is tested with the stand-in")
    installed = install_default(found, owner=user, group=group)
    assert installed == tmp_path / ETC_CONFIG
    assert installed.read_bytes() == default.read_bytes()
    assert stat.S_IMODE(installed.stat().st_mode) == 0o640
    after = discover({}, tmp_path)
    assert after.chosen is not None and after.chosen.origin == "etc"
    with pytest.raises(UserError, match="already exists"):
        install_default(after)
