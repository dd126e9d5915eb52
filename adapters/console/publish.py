"""Digests for the terminal: the console publisher prints them (``modelwire scheduler`` on a terminal)."""

from __future__ import annotations

import datetime as dt
import itertools
import sys

from adapters.console.render import render
from bot.digests.delivery import Target
from bot.values import Answer


class ConsolePublisher:
    """Prints each digest to standard output, with the channel it is for."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self._ids = itertools.count(1)

    async def publish(self, target: Target, answer: Answer, key: str) -> str:
        """Print the digest; a local message id."""
        self.stream.write(f"--- digest for {target.channel} ({key}) ---\n{render(answer)}\n\n")
        self.stream.flush()
        return f"console-{next(self._ids)}"

    async def find_sent(self, target: Target, key: str, since: dt.datetime) -> str | None:
        """A terminal keeps no history to search."""
        return None
