"""Pilot tests of the Verify screen's signature check: a run (the stand-in ctr printing a guest's output
with a real Milan report) brings a report back; `s` opens the dialog, which shows the KDS URL before
anything is fetched; a certificate folder (pasted) gives "signature valid", a fetch from a local KDS
stand-in too, a broken folder an error and no verdict; the session report carries the verdict."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Checkbox, Input, Static

from attestation_helpers import cert_dir, flip_bit, real_chain_pems, real_report
from conftest import REPO
from kata_snp_tui import export
from kata_snp_tui.app import make_app
from kata_snp_tui.host import HostSource, open_host
from kata_snp_tui.screens.verify import VerifyScreen
from kata_snp_tui.screens.verify_rows import Row
from kata_snp_tui.screens.verify_signature_dialog import SignatureDialog
from kata_snp_tui.verify.attestation import parse_certificate
from kata_snp_tui.verify.report import hexdump_rows
from screens_helpers import frozen_clock
from test_report_verify import MILAN_HWID, _Kds
from verify_helpers import install_fake_ctr

DEMO_OUTPUT = REPO / "assets" / "demo" / "guest" / "ctr-run-python.txt"


def _guest_output(raw: bytes) -> str:
    """The demo's recorded guest output with its report replaced by ``raw`` (a real one)."""
    lines = DEMO_OUTPUT.read_text().splitlines()
    start = lines.index("-----BEGIN SNP ATTESTATION REPORT-----")
    end = lines.index("-----END SNP ATTESTATION REPORT-----")
    head = [f"report_data: {raw[0x50:0x90].hex()}" if line.startswith("report_data:") else line
            for line in lines[:start + 1]]
    return "\n".join(head + hexdump_rows(raw) + lines[end:]) + "\n"


def _app():
    return make_app(HostSource("live"), host=open_host(HostSource("demo")), clock=frozen_clock,
                    run_checks_on_start=False)


def _report_text(screen: VerifyScreen) -> str:
    return "\n".join(f"{r.data.title} {' '.join(r.data.details)}" for r in screen.query("#verify-report Row").results(Row))


@pytest.fixture
def canned_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def install(raw: bytes) -> None:
        output = tmp_path / "guest-output.txt"
        output.write_text(_guest_output(raw))
        fake = install_fake_ctr(tmp_path, "canned", output=output)
        for k, v in fake.env.items():
            monkeypatch.setenv(k, v)
    return install


async def _run(pilot) -> VerifyScreen:
    await pilot.press("f6")
    await pilot.pause()
    await pilot.press("r")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, VerifyScreen) and screen.verification is not None
    assert screen.verification.report is not None
    return screen


async def _check(pilot, folder: str | None = None, fetch: bool = False) -> SignatureDialog:
    """Press s, paste the folder, tick the fetch box (keyboard), read the dialog, press Enter."""
    await pilot.press("s")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, SignatureDialog)
    field = dialog.query_one("#signature-certs", Input)
    field.focus()
    await pilot.pause()
    await pilot.press("ctrl+a", "ctrl+k")  # clear what the last check left there
    if folder:
        field.post_message(events.Paste(folder))
        await pilot.pause()
    if fetch:
        box = dialog.query_one("#signature-fetch", Checkbox)
        box.focus()
        await pilot.press("space")
        await pilot.pause()
        field.focus()
        await pilot.pause()
    dialog.url_text = str(dialog.query_one("#signature-url", Static).render())
    await pilot.press("enter")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return dialog


async def test_folder_check_shows_valid_and_the_session_report_carries_it(tmp_path: Path, canned_run) -> None:
    canned_run(real_report("milan"))
    folder = cert_dir(tmp_path / "certs", vcek=real_chain_pems("milan")["vcek"])
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _run(pilot)
        before = _report_text(screen)
        assert "[b]signature[/b] ECDSA P-384 with SHA-384, VCEK: [b]not checked[/b]" in before and "press s" in before

        dialog = await _check(pilot, str(folder))
        assert "Not fetched (offline). The URL would be:" in dialog.url_text
        assert f"https://kdsintf.amd.com/vcek/v1/Milan/{MILAN_HWID}" in dialog.url_text.replace("\n", "")
        assert app.screen is screen
        check = screen.verification.signature
        assert check is not None and check.status == "valid" and check.fetched is False
        text = _report_text(screen)
        assert "[b]signature valid[/b]: signed by a VCEK that AMD's Milan root certifies" in text
        assert "VCEK signed by the ASK: ok" in text
        assert app.session.verification.signature is check

        doc = export.from_session(app.session)
        markdown = export.to_markdown(doc)
        assert "Signature: **valid**: signed by a VCEK that AMD's Milan root certifies" in markdown
        assert doc["verification"]["signature_check"]["status"] == "valid"
        from kata_snp_tui.verify.result import load_last

        assert load_last()["signature_check"]["status"] == "valid"  # `kata-snp-tui export` sees it too


async def test_a_changed_report_is_invalid_and_a_broken_folder_gives_no_verdict(tmp_path: Path, canned_run) -> None:
    canned_run(flip_bit(real_report("milan"), 0x90))
    folder = cert_dir(tmp_path / "certs", vcek=real_chain_pems("milan")["vcek"])
    broken = cert_dir(tmp_path / "broken", vcek="not a certificate")
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _run(pilot)
        await _check(pilot, str(broken))
        assert screen.verification.signature is None  # the user's mistake: said, not judged
        assert any("is not an X.509 certificate" in n.message for n in app._notifications)
        await _check(pilot, str(folder))
        check = screen.verification.signature
        assert check.status == "invalid" and "signature does not verify" in check.reason
        assert "[b $text-error]signature INVALID[/]" in _report_text(screen)


async def test_fetch_only_when_ticked_and_the_url_is_shown_first(tmp_path: Path, canned_run,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    canned_run(real_report("milan"))
    vcek = parse_certificate(real_chain_pems("milan")["vcek"].encode(), "vcek")
    from cryptography.hazmat.primitives.serialization import Encoding

    kds = _Kds(vcek.public_bytes(Encoding.DER))
    thread = threading.Thread(target=kds.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("KATA_SNP_TUI_KDS_URL", kds.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        app = _app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _run(pilot)
            await _check(pilot)  # nothing given, nothing ticked: unverifiable, and nothing asked of the KDS
            assert screen.verification.signature.status == "unverifiable" and kds.paths == []
            assert "[b]signature unverifiable[/b]: no VCEK" in _report_text(screen)

            dialog = await _check(pilot, fetch=True)
            assert "Will fetch (only when the folder has no VCEK):" in dialog.url_text
            assert f"{kds.url}/vcek/v1/Milan/{MILAN_HWID}" in dialog.url_text.replace("\n", "")
            assert kds.paths == [f"/vcek/v1/Milan/{MILAN_HWID}?blSPL=04&teeSPL=00&snpSPL=24&ucodeSPL=219"]
            check = screen.verification.signature
            assert check.status == "valid" and check.fetched is True and check.sources["vcek"].startswith(kds.url)
            assert "KDS VCEK URL (fetched)" in _report_text(screen)
    finally:
        kds.shutdown()
        kds.server_close()
