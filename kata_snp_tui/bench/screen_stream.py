"""Worker: stream one step's output through the real runner into the Build screen, under ``run_test``.

``python -m kata_snp_tui.bench.screen_stream PARAMS_JSON OUT`` (a fresh process per run, so its RSS
is this run's alone). PARAMS: ``dir`` (a private folder; ``XDG_STATE_HOME`` points inside it),
``lines``, ``width``, ``idle`` (seconds of idle app used as the stall baseline), ``timeout``.

The app is the wizard itself (``make_app``, live host, no start-up checks), on the Build stage (F4)
with a one-step recipe whose command is :mod:`gen_lines`. Timed: from pressing ``r`` until the
screen says the run finished (the last lines are in the Log by then). Meanwhile a 10 ms asyncio
timer in the app's event loop records its lateness, and a thread samples this process's RSS.
Afterwards every line of the step's log file is checked, and the Log's last line compared.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from kata_snp_tui.bench.measure import (
    RssSampler,
    StallMonitor,
    check_lines,
    expected_line,
    ru_maxrss_bytes,
    wait_until,
    worker_main,
    write_stream_recipe,
)

STEP = "stream"


async def _run(params: dict[str, Any]) -> dict[str, Any]:
    from textual.widgets import Log

    from kata_snp_tui.app import make_app
    from kata_snp_tui.host import HostSource, open_host
    from kata_snp_tui.screens.build import BUILD_OPTIONS_KEY, LOG_MAX_LINES, BuildScreen

    folder = Path(params["dir"])
    lines, width = int(params["lines"]), int(params["width"])
    timeout = float(params.get("timeout", 600))
    recipe = write_stream_recipe(folder, lines, width, STEP)
    app = make_app(HostSource("live"), host=open_host(HostSource("live")), run_checks_on_start=False)
    app.session.extras[BUILD_OPTIONS_KEY] = {"recipe_path": recipe, "workspace": folder / "ws"}
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await wait_until(lambda: isinstance(app.screen, BuildScreen) and app.screen.build is not None, 60)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BuildScreen) and screen.build is not None

        idle = StallMonitor()
        idle.start()
        await asyncio.sleep(float(params.get("idle", 1.0)))
        await idle.stop()

        sampler = RssSampler()
        sampler.sample()
        sampler.start()
        stalls = StallMonitor()
        stalls.start()
        t0 = time.perf_counter()
        await pilot.press("r")
        await wait_until(lambda: not screen.running, timeout, poll=0.01)
        wall = time.perf_counter() - t0
        await stalls.stop()
        sampler.stop()

        record = screen.build.state.get(STEP)
        log_widget = screen.query_one("#build-log", Log)
        shown = list(log_widget.lines)
        log_path = screen.build.paths.log_file(STEP)
        result.update(
            wall=wall,
            lines_per_s=lines / wall if wall > 0 else None,
            status=record.status.value,
            step_duration=record.duration,
            stall_max_ms=stalls.max_ms,
            stall_p99_ms=stalls.percentile_ms(99),
            stalls_over_100ms=stalls.over_ms(100),
            timer_wakeups=len(stalls.lateness),
            idle_stall_max_ms=idle.max_ms,
            rss_base=sampler.base,
            rss_peak=max(sampler.peak, ru_maxrss_bytes()),
            rss_peak_sampled=sampler.peak,
            widget_lines=len(shown),
            widget_max_lines=LOG_MAX_LINES,
            widget_last_ok=bool(shown) and shown[-1] == expected_line(lines - 1, width),
            log_path=str(log_path),
        )
    check = check_lines(Path(result["log_path"]), lines)
    result.update(found=check.found, complete=check.complete, problem=check.problem(),
                  runner_lines=check.runner_lines)
    if not result["widget_last_ok"] and not result["problem"]:
        result["problem"] = "the screen's Log does not end with the step's last line"
    expected_shown = min(lines, LOG_MAX_LINES)
    if result["widget_lines"] != expected_shown and not result["problem"]:
        result["problem"] = f"the Log shows {result['widget_lines']} lines, expected {expected_shown}"
    Path(result["log_path"]).unlink(missing_ok=True)
    return result


def main() -> int:
    return worker_main(lambda params: asyncio.run(_run(params)))


if __name__ == "__main__":
    raise SystemExit(main())
