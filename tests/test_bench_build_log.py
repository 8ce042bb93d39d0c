"""The Build screen's BuildLog (a fix the benchmarks led to) measures exactly the width Textual's Log does.

BuildLog skips Log's per-line thread worker for batches without tabs or control characters;
fed the same batches, both must end up with the same virtual size and lines, whatever the text
(ASCII, accented, wide CJK, emoji, tabs, escape sequences).
"""

from __future__ import annotations

import random

from textual.app import App, ComposeResult
from textual.widgets import Log

from kata_snp_tui.screens.build import BuildLog

PIECES = ["make[2]: Entering directory", "  CC      kernel/fork.o", "warning: ‘foo’ defined but not used",
          "编译完成", "✅ done", "\ttabbed", "\x1b[31mred\x1b[0m", "x" * 120, "", "é" * 40, "\x7f", "日本語" * 30]


class _TwoLogs(App[None]):
    def compose(self) -> ComposeResult:
        yield Log(id="plain", max_lines=50)
        yield BuildLog(id="fast", max_lines=50)


async def test_build_log_width_matches_textual_log() -> None:
    rnd = random.Random(7)
    app = _TwoLogs()
    async with app.run_test(size=(100, 30)) as pilot:
        plain = app.query_one("#plain", Log)
        fast = app.query_one("#fast", BuildLog)
        widths: set[int] = set()
        for _ in range(60):
            batch = [" ".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 3))) for _ in range(rnd.randint(1, 20))]
            plain.clear()  # the width is a running maximum: start each batch from nothing
            fast.clear()
            plain.write_lines(batch)
            fast.write_lines(batch)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert fast.virtual_size == plain.virtual_size, batch
            assert list(fast.lines) == list(plain.lines)
            widths.add(plain.virtual_size.width)
        assert len(widths) > 15  # many different widths were compared
