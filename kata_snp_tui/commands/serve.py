"""``kata-snp-tui serve``: the demo wizard in a web browser, through textual-serve.

Every browser tab that opens the page gets its own wizard process (``python -m kata_snp_tui
--demo``, run with this interpreter). The page loads nothing from outside this server: the page
template is our copy of textual-serve's (``assets/serve/app_index.html``) with the font served
locally, so a demo works with no network. The server listens on 127.0.0.1 unless told otherwise;
any other address exposes the demo (and textual-serve's static file listing) to the network.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys
from importlib.resources import files
from pathlib import Path

from kata_snp_tui.errors import UserError

HELP = "serve the demo wizard in a web browser (this machine only unless --host says otherwise)"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
TITLE = "kata-snp-tui demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        dest="listen_host",
        metavar="ADDRESS",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: only this machine can connect)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use to reach this server, if not http://ADDRESS:PORT "
        "(behind a proxy, or when listening on 0.0.0.0)",
    )


def wizard_command() -> str:
    """The command textual-serve runs for each browser session (a shell command line, quoted)."""
    return shlex.join([sys.executable, "-m", "kata_snp_tui", "--demo"])


def templates_path() -> Path:
    """The folder holding our copy of textual-serve's page template."""
    return Path(str(files("kata_snp_tui.assets") / "serve"))


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (a name other than localhost counts as not)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_public_url(host: str, port: int) -> str:
    bare = host.strip("[]")
    shown = f"[{bare}]" if ":" in bare else bare
    return f"http://{shown}:{port}"


def exposure_warning(host: str, public_url: str | None) -> str | None:
    """What to tell the user when the demo is reachable from the network, else None."""
    if is_loopback(host):
        return None
    text = (
        f"warning: listening on {host}: anyone who can reach this address can open the demo wizard "
        "(each visit starts a process on this machine) and list the server's static files. "
        f"Use --host {DEFAULT_HOST} to keep it on this machine."
    )
    try:
        wildcard = ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        wildcard = False
    if wildcard and public_url is None:
        text += " Browsers on other machines also need --public-url http://NAME-OF-THIS-MACHINE:PORT."
    return text


def check_can_listen(host: str, port: int) -> None:
    """Raise UserError (one line) unless every address ``host`` names can listen on ``port`` now.

    Binds and closes a socket on each address the way asyncio's server will (SO_REUSEADDR, IPv6
    only on IPv6 addresses), so a busy port is reported before anything says "serving".
    """
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    for family, kind, proto, _name, address in dict.fromkeys(infos):
        try:
            probe = socket.socket(family, kind, proto)
        except OSError:
            continue  # an address family this machine lacks; the server skips it as well
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
                probe.listen(1)
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise UserError(f"cannot listen on {host}:{port}: {reason.lower()}"
                                + (" (another program is using the port; choose one with --port)"
                                   if exc.errno == errno.EADDRINUSE else "")) from None


def run(args: argparse.Namespace) -> int:
    if getattr(args, "host", None):
        raise UserError("serve always shows the bundled demo host; --host SNAPSHOT cannot be used with it")
    port = int(args.port)
    if not 0 < port < 65536:
        raise UserError(f"--port must be between 1 and 65535, not {port}")
    host = str(args.listen_host)
    public_url = args.public_url or default_public_url(host, port)
    if args.public_url and not args.public_url.startswith(("http://", "https://")):
        raise UserError(f"--public-url must start with http:// or https://, not {args.public_url!r}")

    from kata_snp_tui.host import HostSource, open_host

    open_host(HostSource("demo"))  # a missing or broken demo host is a UserError here, not in every tab

    from textual_serve.server import Server

    check_can_listen(host.strip("[]"), port)
    warning = exposure_warning(host, args.public_url)
    if warning:
        print(f"kata-snp-tui: {warning}", file=sys.stderr)
    server = Server(
        wizard_command(),
        host=host.strip("[]"),
        port=port,
        title=TITLE,
        public_url=public_url.rstrip("/"),
        templates_path=templates_path(),
    )
    print(f"kata-snp-tui: serving the demo wizard at {public_url.rstrip('/')}/ (Ctrl+C stops)", flush=True)
    try:
        server.serve()
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return 0
