"""Progress of long imports and syncs: a callback, and a reporter that draws it on a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)``: how many records of a stage (e.g. "models") are done; total None
when it is not known yet (a pack being read)."""


class _Line:
    """One line of stderr rewritten in place, at most ten times a second."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.last = 0.0
        self.shown = False

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done != total:
            return
        self.last = now
        count = f"{done:,}/{total:,}" if total else (f"{done:,}" if done else "")
        self.stream.write(f"\r\x1b[K{stage} {count}".rstrip())
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


@contextmanager
def terminal_progress(stream: TextIO | None = None) -> Iterator[Progress | None]:
    """A reporter drawing on ``stream`` (stderr) when it is a terminal, else None; the line is cleared
    at the end, so what the command prints next starts on a clean line."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield None
        return
    line = _Line(stream)
    try:
        yield line
    finally:
        line.clear()
