"""Worker: the config editor screen's work per keystroke, under ``run_test``.

``python -m kata_snp_tui.bench.config_screen PARAMS_JSON OUT``, PARAMS ``file`` (the configuration;
the parent sets ``KATA_CONF_FILE`` to it, so the live host's discovery picks it), ``keystrokes``.
For each keystroke: ``model.set_text`` then the screen's ``_analyse_now`` (what its debounce timer
calls: analysis and redrawing), beside ``model.analyse()`` alone on the same text.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from kata_snp_tui.bench.config_text import keystrokes
from kata_snp_tui.bench.measure import wait_until, worker_main


async def _run(params: dict[str, Any]) -> dict[str, Any]:
    from kata_snp_tui.app import make_app
    from kata_snp_tui.host import HostSource, open_host
    from kata_snp_tui.screens.config_editor import ConfigEditorScreen

    path = Path(params["file"])
    original = path.read_text(encoding="utf-8")
    app = make_app(HostSource("live"), host=open_host(HostSource("live")), run_checks_on_start=False)
    screen_ms: list[float] = []
    engine_ms: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f5")
        await wait_until(lambda: isinstance(app.screen, ConfigEditorScreen) and app.screen.model is not None, 60)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfigEditorScreen)
        model = screen.model
        assert model is not None
        if model.original != original:
            raise RuntimeError(f"the editor opened {model.loaded.path}, not {path}")
        for text in keystrokes(original, int(params["keystrokes"])):
            model.set_text(text)
            t0 = time.perf_counter()
            model.analyse()
            t1 = time.perf_counter()
            screen._analyse_now(update_editor=False)
            t2 = time.perf_counter()
            engine_ms.append((t1 - t0) * 1000)
            screen_ms.append((t2 - t1) * 1000)
            await pilot.pause()
    return {"screen_ms": screen_ms, "engine_ms": engine_ms}


def main() -> int:
    return worker_main(lambda params: asyncio.run(_run(params)))


if __name__ == "__main__":
    raise SystemExit(main())
