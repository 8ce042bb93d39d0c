"""``kata-snp-tui serve``: the page and everything it loads come from the local server (works offline)."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kata_snp_tui.commands import serve
from serve_helpers import free_port, running_server, serve_command

URL = re.compile(r"""(?:https?|wss?)://[^\s"'<>)]+""")


class _References(HTMLParser):
    """Every resource the page asks for: src=, href= and CSS url(...)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs += re.findall(r"""url\(\s*["']?([^"')]+)["']?\s*\)""", data)


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_page_loads_nothing_from_outside_the_local_server(tmp_path: Path) -> None:
    with running_server(tmp_path) as served:
        status, _headers, body = _get(served.base_url + "/")
        assert status == 200
        page = body.decode()
        assert "<title>kata-snp-tui demo</title>" in page

        # Every absolute URL in the page points at this server; nothing else (fonts.googleapis.com was one).
        urls = URL.findall(page)
        assert urls, "the page should name its script, stylesheet, font and websocket"
        origin = f"127.0.0.1:{served.port}/"
        foreign = [u for u in urls if u.split("://", 1)[1][: len(origin)] != origin]
        assert foreign == []
        assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/ws"' in page

        # What the page loads answers 200 from the same server: stylesheet, script, fonts.
        parser = _References()
        parser.feed(page)
        refs = sorted(set(parser.refs))
        assert any(r.endswith("/js/textual.js") for r in refs)
        fonts = [r for r in refs if r.endswith(".ttf")]
        assert any(r.endswith("fonts/RobotoMono-VariableFont_wght.ttf") for r in fonts)
        for ref in refs:
            assert ref.startswith(served.base_url + "/static/"), ref
            status, headers, content = _get(ref)
            assert status == 200, ref
            assert content, ref
            if ref.endswith(".ttf"):
                assert content[:4] == b"\x00\x01\x00\x00", f"{ref} is not a TrueType font"
            if ref.endswith(".js"):
                assert "javascript" in headers.get("Content-Type", "")
                assert len(content) > 100_000  # the terminal front end, bundled

        # The served page asks for the local font by the family name the terminal uses.
        assert "@font-face" in page and 'font-family: "Roboto Mono"' in page


def test_template_keeps_textual_serves_licence_and_asks_nothing_external() -> None:
    template = (serve.templates_path() / "app_index.html").read_text()
    assert "MIT License" in template and "Copyright (c) 2024 Textualize" in template
    assert "googleapis" not in template
    assert URL.findall(template) == []


def test_wizard_command_is_the_demo_with_this_interpreter() -> None:
    command = serve.wizard_command()
    assert command.endswith(" -m kata_snp_tui --demo")
    assert sys.executable in command


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("::", False), ("192.0.2.10", False), ("demo.example", False)],
)
def test_only_loopback_addresses_are_quiet(host: str, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback
    assert (serve.exposure_warning(host, None) is None) is loopback


def test_wildcard_address_also_asks_for_a_public_url() -> None:
    assert "--public-url" in (serve.exposure_warning("0.0.0.0", None) or "")
    assert "--public-url" not in (serve.exposure_warning("0.0.0.0", "http://demo.example:8000") or "")
    assert serve.default_public_url("::1", 8000) == "http://[::1]:8000"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(serve_command(*args), capture_output=True, text=True, timeout=30)


def test_an_address_not_on_this_machine_is_one_line_before_any_warning() -> None:
    # 192.0.2.1 (TEST-NET-1) is not on this machine: the port check fails first, so nothing is
    # exposed and nothing warns that it is; one line, exit 2 (the warning text: exposure_warning tests).
    result = _run("--host", "192.0.2.1", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("kata-snp-tui: cannot listen on 192.0.2.1")
    assert result.stdout == ""


def test_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with running_server(tmp_path) as served:
        result = _run("--port", str(served.port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"kata-snp-tui: cannot listen on 127.0.0.1:{served.port}")
    assert "Traceback" not in result.stderr + result.stdout
    assert "warning" not in result.stderr  # loopback: nothing exposed


@pytest.mark.parametrize("args", [("--port", "0"), ("--port", "70000"), ("--public-url", "demo.example:8000")])
def test_bad_arguments_exit_2_with_one_line(args: tuple[str, ...]) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("kata-snp-tui: ")


def test_serve_refuses_a_snapshot_it_would_not_show() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kata_snp_tui", "--host", "some-snapshot", "serve", "--port", str(free_port())],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "serve always shows the bundled demo host" in result.stderr
