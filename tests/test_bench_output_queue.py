"""The bounded OutputQueue (a fix the benchmarks led to) shows a screen exactly what an unbounded one would.

A screen that keeps the last ``M`` lines (``Log(max_lines=M)``, a ``deque(maxlen=M)``) must end up
with the same lines whether its queue drops old chunks (``OutputQueue(max_lines=M)``) or not,
however the output is chunked and whenever the screen drains.
"""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from kata_snp_tui.runner import OutputQueue

LINE = st.text(alphabet="ab \r", max_size=6)


def _feed(queue: OutputQueue, text: str, cuts: list[int], drains: set[int], keep: int) -> list[str]:
    shown: deque[str] = deque(maxlen=keep)
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    for n, (a, b) in enumerate(zip(points, points[1:])):
        queue.put(text[a:b])
        if n in drains:
            shown.extend(queue.drain())
    shown.extend(queue.drain(final=True))
    return list(shown)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(LINE, max_size=60),
    tail=LINE,
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30),
    drains=st.sets(st.integers(min_value=0, max_value=30)),
    keep=st.integers(min_value=1, max_value=8),
)
def test_bounded_queue_leaves_the_screen_the_same_lines(lines: list[str], tail: str, cuts: list[int],
                                                         drains: set[int], keep: int) -> None:
    text = "".join(line + "\n" for line in lines) + tail
    unbounded = _feed(OutputQueue(), text, cuts, drains, keep)
    bounded_queue = OutputQueue(max_lines=keep)
    bounded = _feed(bounded_queue, text, cuts, drains, keep)
    assert bounded == unbounded


def test_bounded_queue_holds_little_however_late_the_drain() -> None:
    queue = OutputQueue(max_lines=100)
    for i in range(100_000):
        queue.put(f"{i:09d} some build output\n")
    held = sum(len(c) for c in queue._chunks)
    assert held < 100 * 30 * 2
    lines = queue.drain()
    assert len(lines) == 100 and lines[-1].startswith("000099999") and lines[0].startswith("000099900")
    assert queue.dropped_chunks > 0


def test_unbounded_queue_keeps_everything_and_cleans_carriage_returns() -> None:
    queue = OutputQueue()
    queue.put("10%\r50%\r100%\ndone\npart")
    assert queue.drain() == ["100%", "done"]
    queue.put("ial\n")
    assert queue.drain() == ["partial"]
    assert queue.dropped_chunks == 0
