"""Start the Textual wizard (the only command that imports Textual)."""

from __future__ import annotations

import argparse
import asyncio
import signal


def run(args: argparse.Namespace) -> int:
    from kata_snp_tui.app import make_app
    from kata_snp_tui.cli import host_source
    from kata_snp_tui.host import open_host

    from kata_snp_tui.profiles import get_profile, refuse_demo_profile

    source = host_source(args)
    override = getattr(args, "profile", None)
    if override:  # an unknown id or a demo with another profile: one line before the screen takes over
        profile = get_profile(override)
        if source.kind == "demo":
            refuse_demo_profile(profile)
    open_host(source)  # a bad snapshot is a UserError before the screen takes over the terminal
    app = make_app(source, profile=override)
    return run_app(app)


def run_app(app) -> int:  # app: KataApp
    """Run the app until it quits. SIGTERM (kill) and SIGHUP (the terminal closed) quit it like ctrl+q,
    so a running step is cancelled and recorded and the terminal is restored; the exit status is then
    128 + the signal. Without this, either signal killed the process at once: the step stayed
    'running' in the state and its processes ran on until the next start."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(sig, lambda s=sig: app.exit(return_code=128 + s))
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such signal
                pass
        await app.run_async()

    asyncio.run(main())
    return int(app.return_code or 0)
