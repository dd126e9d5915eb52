"""What the chat adapters share about chart pictures: a thread pool to render them in, drawing one
(a chart never costs the text answer), and the file name.

Rendering a chart is blocking work (matplotlib, tenths of a second), so the apps render in their own
pool: the event loop stays free, and answering (a single-thread pool) never waits behind a picture.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor

from bot import charts
from bot.values import Answer

FILENAME = "chart.png"
RENDER_THREADS = 2
THREAD_PREFIX = "modelwire-chart"


def executor() -> ThreadPoolExecutor:
    """A small pool for ``bot.charts.render_async`` (charts are drawn thread-safely)."""
    return ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix=THREAD_PREFIX)


async def draw(answer: Answer, pool: Executor, log: logging.Logger) -> bytes | None:
    """The answer's chart as PNG bytes, drawn in ``pool``; None without a chart.

    A picture that cannot be drawn is logged on the adapter's ``log`` and left out: the answer goes
    out without it.
    """
    if answer.chart is None:
        return None
    try:
        return await charts.render_async(answer.chart, pool)
    except Exception as exc:
        log.error("could not draw the chart of %r: %r", answer.title, exc, exc_info=exc)
        return None
