"""Signature verification (verify/attestation.py, `kata-snp-tui report FILE --verify`): real public reports
and their VCEK chains (tests/data/attestation/SOURCES.md) verify; one flipped bit, a wrong chain, a
self-made root, another chip's VCEK or TCB do not; missing certificates leave it unverifiable and why;
nothing is fetched without --fetch, and --fetch asks a local KDS stand-in at the URL it prints."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from attestation_helpers import NOW, REAL, cert_dir, flip_bit, make_chain, real_chain_pems, real_report
from kata_snp_tui.cli import main
from kata_snp_tui.verify.attestation import (
    INVALID,
    UNVERIFIABLE,
    VALID,
    CertError,
    bundled_ca,
    kds_vcek_url,
    load_cert_dir,
    parse_certificate,
    verify_report,
)
from kata_snp_tui.verify.report import decode_report
from verify_helpers import ReportFields, build_report

MILAN_HWID = ("a3fdc2c64dc299ab90d4238973864b586378e2e5ef9c9d4dc608f3bdaa89a969"
              "a03f1b5752cad55a0c1547ade800dbd7404e9cb3f9738da3b280d1df69cf82e4")
MILAN_QUERY = "blSPL=04&teeSPL=00&snpSPL=24&ucodeSPL=219"


def _no_network(url: str) -> bytes:
    raise AssertionError(f"fetched {url} although nobody asked for a fetch")


def _verify(raw: bytes, folder: Path | None = None, **kwargs):
    kwargs.setdefault("fetcher", _no_network)
    kwargs.setdefault("now", NOW)
    return verify_report(decode_report(raw), load_cert_dir(folder) if folder else None, **kwargs)


# ------------------------------------------------------------------------------------ real reports


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_report_with_its_vcek_is_valid(tmp_path: Path, name: str) -> None:
    pems = real_chain_pems(name)
    result = _verify(real_report(name), cert_dir(tmp_path / "certs", vcek=pems["vcek"]))
    assert result.status == VALID, result.problems
    assert result.exit_code == 0 and result.signature_ok is True and not result.problems
    assert result.product == name and result.product_source == "the report's CPUID"
    assert [s.name for s in result.chain] == ["ARK self-signed", f"ARK is AMD's {name.title()} root",
                                              "ASK signed by the ARK", "VCEK signed by the ASK"]
    assert all(s.ok for s in result.chain)
    assert result.tcb and all(c.match for c in result.tcb)
    assert [c.name for c in result.tcb][-1] == "ucodeSPL" and ("fmcSPL" in [c.name for c in result.tcb]) == (name == "turin")
    assert result.chip_id is not None and result.chip_id.match is True
    assert result.sources == {"vcek": str(tmp_path / "certs" / "vcek.pem"), "ark": "bundled", "ask": "bundled"}
    assert result.fetched is False and result.kds_vcek_url.startswith(f"https://kdsintf.amd.com/vcek/v1/{name.title()}/")
    json.dumps(result.to_json())


def test_the_bundled_certificates_are_the_real_chains(tmp_path: Path) -> None:
    """AMD's ARK and ASK shipped in assets/ are the ones the real VCEKs chain to (and a full folder of
    the real chain, DER or PEM, verifies too)."""
    for name in REAL:
        pems = real_chain_pems(name)
        ark, ask = bundled_ca(name)
        assert ark == x509.load_pem_x509_certificate(pems["ark"].encode())
        assert ask == x509.load_pem_x509_certificate(pems["ask"].encode())
        ark.verify_directly_issued_by(ark)
        ask.verify_directly_issued_by(ark)
    pems = real_chain_pems("genoa")
    der = parse_certificate(pems["vcek"].encode(), "vcek").public_bytes(Encoding.DER)
    folder = cert_dir(tmp_path / "full", ark=pems["ark"], ask=pems["ask"], vcek=der)
    result = _verify(real_report("genoa"), folder)
    assert result.status == VALID and result.sources["vcek"].endswith("vcek.der")
    assert result.sources["ark"].endswith("ark.pem")


def test_kds_urls_as_snpguest_builds_them() -> None:
    milan = decode_report(real_report("milan"))
    assert kds_vcek_url(milan, "milan") == f"https://kdsintf.amd.com/vcek/v1/Milan/{MILAN_HWID}?{MILAN_QUERY}"
    turin = decode_report(real_report("turin"))  # Turin: the first 8 bytes of the chip id, fmcSPL first
    assert kds_vcek_url(turin, "turin") == ("https://kdsintf.amd.com/vcek/v1/Turin/3b42092f69c656d3"
                                            "?fmcSPL=00&blSPL=01&teeSPL=00&snpSPL=02&ucodeSPL=71")


# ------------------------------------------------------------------------------------ invalid


@pytest.mark.parametrize("offset", [0x050, 0x090, 0x1A0, 0x29F])
def test_one_flipped_bit_in_the_signed_area_is_invalid(tmp_path: Path, offset: int) -> None:
    folder = cert_dir(tmp_path, vcek=real_chain_pems("milan")["vcek"])
    result = _verify(flip_bit(real_report("milan"), offset, 3), folder)
    assert result.status == INVALID and result.exit_code == 1
    assert result.signature_ok is False and all(s.ok for s in result.chain)
    assert "signature does not verify" in result.reason


def test_a_flipped_bit_in_the_reported_tcb_fails_both_the_signature_and_the_tcb(tmp_path: Path) -> None:
    folder = cert_dir(tmp_path, vcek=real_chain_pems("milan")["vcek"])
    result = _verify(flip_bit(real_report("milan"), 0x180, 0), folder)  # boot loader SPL 4 -> 5
    assert result.status == INVALID and result.signature_ok is False
    assert any("blSPL report 5, VCEK 4" in p for p in result.problems)


@pytest.mark.parametrize("offset, why", [(0x2A0, "signature does not verify"), (0x2E8 + 47, "signature does not verify"),
                                         (0x2A0 + 60, "longer than a P-384 value")])
def test_a_flipped_bit_in_the_signature_is_invalid(tmp_path: Path, offset: int, why: str) -> None:
    folder = cert_dir(tmp_path, vcek=real_chain_pems("turin")["vcek"])
    result = _verify(flip_bit(real_report("turin"), offset, 7), folder)
    assert result.status == INVALID and result.signature_ok is False and why in result.reason


def test_a_genoa_ask_for_a_milan_vcek_is_invalid(tmp_path: Path) -> None:
    folder = cert_dir(tmp_path, ask=real_chain_pems("genoa")["ask"], vcek=real_chain_pems("milan")["vcek"])
    result = _verify(real_report("milan"), folder)
    assert result.status == INVALID
    steps = {s.name: s for s in result.chain}
    assert steps["ARK is AMD's Milan root"].ok is True  # the bundled Milan ARK
    assert steps["ASK signed by the ARK"].ok is False and steps["VCEK signed by the ASK"].ok is False
    assert result.reason.startswith("ASK signed by the ARK: ")
    assert result.signature_ok is True  # the report itself is intact: only the chain is wrong


def test_another_products_root_is_named(tmp_path: Path) -> None:
    genoa = real_chain_pems("genoa")
    folder = cert_dir(tmp_path, ark=genoa["ark"], ask=genoa["ask"], vcek=real_chain_pems("milan")["vcek"])
    result = _verify(real_report("milan"), folder)
    assert result.status == INVALID
    assert result.reason == "this is AMD's Genoa root, not the Milan one"


def test_a_self_made_root_is_not_amds_root(tmp_path: Path) -> None:
    chain = make_chain(hwid=ReportFields().chip_id)
    raw = chain.sign(build_report(ReportFields(version=3)))
    result = _verify(raw, cert_dir(tmp_path, **chain.pems()))
    assert result.status == INVALID
    assert result.reason.startswith("not AMD's root: ARK-Milan differs from the bundled ARK-Milan")
    steps = {s.name: s.ok for s in result.chain}
    assert steps == {"ARK self-signed": True, "ARK is AMD's Milan root": False, "ASK signed by the ARK": True,
                     "VCEK signed by the ASK": True}
    assert result.signature_ok is True and all(c.match for c in result.tcb) and result.chip_id.match is True
    # the same chain is valid only when its root is the one trusted (as the tests below do)
    assert _verify(raw, cert_dir(tmp_path, **chain.pems()), roots={"milan": chain.ark}).status == VALID


def test_a_self_made_vcek_under_amds_bundled_chain_is_invalid(tmp_path: Path) -> None:
    chain = make_chain(hwid=ReportFields().chip_id)
    raw = chain.sign(build_report(ReportFields(version=3)))
    result = _verify(raw, cert_dir(tmp_path, vcek=chain.pems()["vcek"]))
    assert result.status == INVALID and result.reason.startswith("VCEK signed by the ASK: ")


def test_tcb_mismatch_with_a_valid_signature_is_invalid(tmp_path: Path) -> None:
    chain = make_chain(spls={"blSPL": 4, "teeSPL": 0, "snpSPL": 8, "ucodeSPL": 115}, hwid=ReportFields().chip_id)
    raw = chain.sign(build_report(ReportFields(version=3)))  # reported TCB: boot loader 3
    result = _verify(raw, cert_dir(tmp_path, **chain.pems()), roots={"milan": chain.ark})
    assert result.status == INVALID and result.signature_ok is True and all(s.ok for s in result.chain)
    assert result.reason == "the report's reported TCB does not match the VCEK's: blSPL report 3, VCEK 4"
    assert [(c.name, c.match) for c in result.tcb] == [("blSPL", False), ("teeSPL", True), ("snpSPL", True),
                                                       ("ucodeSPL", True)]


def test_chip_id_mismatch_with_a_valid_signature_is_invalid(tmp_path: Path) -> None:
    chain = make_chain(hwid=bytes(range(64)))
    raw = chain.sign(build_report(ReportFields(version=3)))
    result = _verify(raw, cert_dir(tmp_path, **chain.pems()), roots={"milan": chain.ark})
    assert result.status == INVALID and result.signature_ok is True
    assert result.reason == "the report's chip id is not the VCEK's hwID (a VCEK of another chip)"
    assert result.chip_id.match is False and result.chip_id.vcek == bytes(range(64)).hex()


def test_a_masked_chip_id_is_not_compared_and_says_so(tmp_path: Path) -> None:
    chain = make_chain(hwid=ReportFields().chip_id)
    raw = chain.sign(build_report(ReportFields(version=3, chip_id=bytes(64))))
    result = _verify(raw, cert_dir(tmp_path, **chain.pems()), roots={"milan": chain.ark})
    assert result.status == VALID and result.chip_id.match is None and result.kds_vcek_url is None
    assert any("masked" in n for n in result.notes)


def test_an_expired_vcek_is_invalid(tmp_path: Path) -> None:
    chain = make_chain(hwid=ReportFields().chip_id)
    raw = chain.sign(build_report(ReportFields(version=3)))
    later = chain.vcek.not_valid_after_utc + timedelta(days=1)
    result = _verify(raw, cert_dir(tmp_path, **chain.pems()), roots={"milan": chain.ark}, now=later)
    assert result.status == INVALID and result.reason.startswith("VCEK in its validity dates: expired on ")


# ------------------------------------------------------------------------------------ unverifiable


def test_no_certificates_is_unverifiable_and_says_how_to_get_them(tmp_path: Path) -> None:
    result = _verify(real_report("milan"))
    assert result.status == UNVERIFIABLE and result.exit_code == 3
    assert result.reason.startswith("no VCEK: give a folder with vcek.pem or vcek.der")
    assert "--fetch" in result.reason and result.kds_vcek_url.endswith(MILAN_QUERY)
    empty = _verify(real_report("milan"), cert_dir(tmp_path / "empty", ark=real_chain_pems("milan")["ark"]))
    assert empty.status == UNVERIFIABLE and f"no VCEK in {tmp_path / 'empty'}" in empty.reason


def test_a_version_2_report_needs_the_product(tmp_path: Path) -> None:
    chain = make_chain(hwid=ReportFields().chip_id, product_name="Milan-B0")
    raw = chain.sign(build_report(ReportFields(version=2)))
    result = _verify(raw)
    assert result.status == UNVERIFIABLE and result.reason.startswith("unknown processor: the report (version 2)")
    assert "--product" in result.reason
    told = _verify(raw, product="milan")
    assert told.status == UNVERIFIABLE and told.product == "milan" and told.product_source == "--product"
    # the VCEK's productName tells it when the report cannot
    named = _verify(raw, cert_dir(tmp_path, **chain.pems()), roots={"milan": chain.ark})
    assert named.status == VALID and named.product_source == "the VCEK's productName"


@pytest.mark.parametrize("key_info, why", [(1 << 2, "VLEK"), (7 << 2, "did not sign")])
def test_vlek_and_unsigned_reports_are_unverifiable(key_info: int, why: str) -> None:
    result = _verify(build_report(ReportFields(version=3, key_info=key_info)))
    assert result.status == UNVERIFIABLE and why in result.reason


def test_the_demo_report_is_never_called_valid_or_invalid(tmp_path: Path) -> None:
    from verify_helpers import demo_report

    result = _verify(demo_report(), cert_dir(tmp_path, vcek=real_chain_pems("milan")["vcek"]), fetch=True)
    assert result.status == UNVERIFIABLE and "demo" in result.reason


def test_unusable_folders_and_files_raise_cert_error(tmp_path: Path) -> None:
    with pytest.raises(CertError, match="certificate folder not found"):
        load_cert_dir(tmp_path / "nope")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "vcek.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(CertError, match="vcek.pem is not an X.509 certificate"):
        load_cert_dir(tmp_path / "bad")


# ------------------------------------------------------------------------------------ command line


def _report_file(tmp_path: Path, raw: bytes, name: str = "report.bin") -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    return str(path)


def test_cli_exit_codes_and_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _report_file(tmp_path, real_report("milan"))
    certs = cert_dir(tmp_path / "certs", vcek=real_chain_pems("milan")["vcek"])
    assert main(["report", good, "--certs", str(certs)]) == 0
    out = capsys.readouterr().out
    assert "Signature: VALID: signed by a VCEK that AMD's Milan root certifies" in out
    assert "VCEK signed by the ASK: ok" in out and "chip id matches the VCEK's hwID" in out

    bad = _report_file(tmp_path, flip_bit(real_report("milan"), 0x90), "flipped.bin")
    assert main(["report", bad, "--verify", "--certs", str(certs)]) == 1
    assert "Signature: INVALID: the report's signature does not verify" in capsys.readouterr().out

    assert main(["report", good, "--verify"]) == 3
    out = capsys.readouterr().out
    assert "Signature: UNVERIFIABLE: no VCEK" in out and f"KDS VCEK URL (not fetched): https://kdsintf.amd.com" in out

    assert main(["report", good, "--certs", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "certificate folder not found" in err and "Traceback" not in err
    broken = cert_dir(tmp_path / "broken", vcek="junk")
    assert main(["report", good, "--verify", "--certs", str(broken)]) == 2
    assert "is not an X.509 certificate" in capsys.readouterr().err


def test_cli_json_carries_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _report_file(tmp_path, real_report("turin"))
    certs = cert_dir(tmp_path / "certs", vcek=real_chain_pems("turin")["vcek"])
    assert main(["report", good, "--json", "--certs", str(certs)]) == 0
    data = json.loads(capsys.readouterr().out)
    check = data["signature_check"]
    assert check["status"] == "valid" and check["product"] == "turin" and check["tcb_match"] is True
    assert check["chip_id"]["vcek"] == "3b42092f69c656d3" and check["fetched"] is False
    assert [s["ok"] for s in check["chain"]] == [True, True, True, True]
    assert main(["report", good, "--json"]) == 0
    assert "signature_check" not in json.loads(capsys.readouterr().out)  # no check unless asked


def test_cli_worst_of_measurement_and_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = real_report("milan")
    good = _report_file(tmp_path, raw)
    certs = cert_dir(tmp_path / "certs", vcek=real_chain_pems("milan")["vcek"])
    same = raw[0x90:0xC0].hex()
    other = "00" * 48
    assert main(["report", good, "--certs", str(certs), "--expected-measurement", same]) == 0
    assert main(["report", good, "--certs", str(certs), "--expected-measurement", other]) == 1
    assert main(["report", good, "--verify", "--expected-measurement", same]) == 3
    assert main(["report", good, "--verify", "--expected-measurement", other]) == 1
    capsys.readouterr()


def test_cli_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit 0 valid, 1 invalid, 3 unverifiable" in out and "--fetch" in out and "KATA_SNP_TUI_KDS_URL" in out


# ------------------------------------------------------------------------------------ --fetch


class _Kds(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, vcek_der: bytes) -> None:
        self.vcek_der = vcek_der
        self.paths: list[str] = []
        self.status = 200
        super().__init__(("127.0.0.1", 0), _KdsHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _KdsHandler(BaseHTTPRequestHandler):
    server: _Kds

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.paths.append(self.path)
        if self.server.status != 200:
            self.send_error(self.server.status)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(self.server.vcek_der)))
        self.end_headers()
        self.wfile.write(self.server.vcek_der)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def kds() -> Iterator[_Kds]:
    vcek = parse_certificate(real_chain_pems("milan")["vcek"].encode(), "vcek")
    server = _Kds(vcek.public_bytes(Encoding.DER))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _cli(*args: str, base: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "KATA_SNP_TUI_KDS_URL": base, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1"}
    return subprocess.run([sys.executable, "-m", "kata_snp_tui", "report", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_fetch_asks_the_kds_at_the_url_it_prints(tmp_path: Path, kds: _Kds) -> None:
    good = _report_file(tmp_path, real_report("milan"))
    proc = _cli(good, "--fetch", base=kds.url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = f"/vcek/v1/Milan/{MILAN_HWID}?{MILAN_QUERY}"
    assert kds.paths == [path]
    assert proc.stderr.strip() == f"fetching the VCEK from {kds.url}{path}"
    assert "Signature: VALID" in proc.stdout and f"KDS VCEK URL (fetched): {kds.url}{path}" in proc.stdout


def test_fetch_failure_is_unverifiable_with_the_reason(tmp_path: Path, kds: _Kds) -> None:
    kds.status = 404
    proc = _cli(_report_file(tmp_path, real_report("milan")), "--fetch", "--json", base=kds.url)
    assert proc.returncode == 3, proc.stderr
    check = json.loads(proc.stdout)["signature_check"]
    assert check["status"] == "unverifiable" and "HTTP 404" in check["reason"] and check["fetched"] is False


def test_nothing_is_fetched_without_fetch(tmp_path: Path, kds: _Kds) -> None:
    good = _report_file(tmp_path, real_report("milan"))
    proc = _cli(good, "--verify", base=kds.url)
    assert proc.returncode == 3 and "no VCEK" in proc.stdout and proc.stderr == ""
    certs = cert_dir(tmp_path / "certs", vcek=real_chain_pems("milan")["vcek"])
    proc = _cli(good, "--certs", str(certs), "--fetch", base=kds.url)  # the folder has the VCEK: no need to ask
    assert proc.returncode == 0 and proc.stderr == ""
    assert kds.paths == []
