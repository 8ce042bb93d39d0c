"""Worker: time one app's first screen under ``run_test`` in a fresh process.

``python -m kata_snp_tui.bench.startup_app PARAMS_JSON OUT`` with PARAMS ``app`` = ``wizard`` (the
real wizard, ``make_app`` on the demo host, host checks starting in the background as they do for a
user) or ``minimal`` (Header + Label + Footer, the baseline), and ``dir``.

Reported: ``imports`` (seconds to import what the app needs), ``first_screen`` (from constructing
the app until ``run_test`` hands over a pilot with the app's first real screen mounted: the wizard's
welcome screen, the minimal app's default screen), ``shutdown``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from kata_snp_tui.bench.measure import wait_until, worker_main


def _minimal_app():  # type: ignore[no-untyped-def]
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Label

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Label("Hello from a minimal Textual app")
            yield Footer()

    return Minimal


async def _measure(kind: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    if kind == "wizard":
        from kata_snp_tui.app import make_app
        from kata_snp_tui.host import HostSource
        from kata_snp_tui.screens.welcome import WelcomeScreen

        imported = time.perf_counter()
        start = time.perf_counter()
        app = make_app(HostSource("demo"))
        expected = WelcomeScreen
    else:
        cls = _minimal_app()
        imported = time.perf_counter()
        start = time.perf_counter()
        app = cls()
        expected = None
    async with app.run_test(size=(120, 40)) as pilot:
        if expected is not None:
            await wait_until(lambda: isinstance(app.screen, expected), 30, poll=0.001)
            await pilot._wait_for_screen()
        first = time.perf_counter()
        screen = type(app.screen).__name__
        t_exit = time.perf_counter()
    done = time.perf_counter()
    return {
        "imports": imported - t0,
        "first_screen": first - start,
        "shutdown": done - t_exit,
        "screen": screen,
    }


def _body(params: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_measure(params["app"]))


def main() -> int:
    return worker_main(_body)


if __name__ == "__main__":
    raise SystemExit(main())
