"""What the chat adapters share about chart pictures: a thread pool to render them in, and the file name.

Rendering a chart is blocking work (matplotlib, tenths of a second), so the apps render in their own
pool: the event loop stays free, and answering (a single-thread pool) never waits behind a picture.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


FILENAME = "chart.png"
RENDER_THREADS = 2
THREAD_PREFIX = "modelwire-chart"


def executor() -> ThreadPoolExecutor:
    """A small pool for ``bot.charts.render_async`` (charts are drawn thread-safely)."""
    return ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix=THREAD_PREFIX)
