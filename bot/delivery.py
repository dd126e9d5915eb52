"""Sending claimed digests through the platforms' publishers, politely and with retries.

A publisher is what an adapter hands the scheduler: ``publish`` posts an Answer to a channel and
returns the platform's message id, ``find_sent`` looks for a message carrying a delivery key. Both
raise ``DeliveryError``: ``retry`` (429, 5xx, network), ``gone`` (channel deleted, bot removed),
``failed`` (anything else that a retry will not fix).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

from bot.digests import build_digest, items, update_items
from bot.outbox import Claim, Outcome, claim, record
from bot.question import Answer
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.digests")
BACKOFF_BASE = 30.0
BACKOFF_MAX = 3600.0


class DeliveryError(Exception):
    """A publisher could not post: ``kind`` is retry, gone or failed; ``retry_after`` in seconds if the platform said."""

    def __init__(self, kind: str, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.kind, self.detail, self.retry_after = kind, detail, retry_after


@dataclass(frozen=True)
class Target:
    """A channel on a platform."""

    platform: str
    workspace: str
    channel: str


class Publisher(Protocol):
    """Posts digests to one platform."""

    async def publish(self, target: Target, answer: Answer, key: str) -> str:
        """Post ``answer``; the platform's message id."""

    async def find_sent(self, target: Target, key: str, since: dt.datetime) -> str | None:
        """The id of a message carrying ``key`` posted since ``since``, if the platform can tell."""


@dataclass
class DrainStats:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds to wait before the next attempt: the platform's Retry-After, else doubling from 30 s."""
    if retry_after is not None:
        return max(retry_after, 0.0)
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


class Pacer:
    """At most one message per ``interval`` seconds per channel (Slack's posting limit)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._next: dict[tuple[str, str, str], float] = {}

    async def wait(self, target: Target) -> None:
        """Sleep until this channel may get its next message, and book that slot."""
        loop = asyncio.get_running_loop()
        key = (target.platform, target.workspace, target.channel)
        slot = max(loop.time(), self._next.get(key, 0.0))
        self._next[key] = slot + self.interval
        delay = slot - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


class Courier:
    """Claims due deliveries and sends them, many channels at a time, each channel paced."""

    def __init__(self, kb: KnowledgeBase, publishers: dict[str, Publisher], executor: Executor, *,
                 worker: str, clock: Callable[[], dt.datetime], max_attempts: int = 8, batch: int = 200,
                 concurrency: int = 32, per_channel_interval: float = 1.0):
        self.kb, self.publishers, self.executor = kb, publishers, executor
        self.worker, self.clock, self.max_attempts = worker, clock, max_attempts
        self.batch, self.pacer = batch, Pacer(per_channel_interval)
        self._slots = asyncio.Semaphore(concurrency)
        self._rendered: dict[tuple, Answer] = {}

    async def _db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def drain(self) -> DrainStats:
        """Send every delivery that is due now; stop when none is left to claim."""
        stats = DrainStats()
        platforms = sorted(self.publishers)
        self._rendered: dict[tuple, Answer] = {}
        while True:
            claims = await self._db(claim, self.kb.engine, self.worker, self.clock(), self.batch, platforms)
            if not claims:
                return stats
            outcomes = await asyncio.gather(*(self._send(c) for c in claims))
            await self._db(record, self.kb.engine, outcomes, self.worker, self.clock())
            for outcome in outcomes:
                _count(stats, outcome)

    async def _send(self, c: Claim) -> Outcome:
        target = Target(c.platform, c.workspace, c.channel)
        publisher = self.publishers[c.platform]
        try:
            if c.resumed_from is not None:
                async with self._slots:
                    found = await publisher.find_sent(target, c.key, c.resumed_from)
                if found:
                    log.info("digest %s was already posted before a restart (message %s)", c.key, found)
                    return Outcome(c, "sent", message_id=found, error="recovered")
            answer = await self._db(self.render, c.release_ids, c.heading, c.update_ids)
            await self.pacer.wait(target)
            async with self._slots:
                return Outcome(c, "sent", message_id=await publisher.publish(target, answer, c.key))
        except DeliveryError as exc:
            return self._failure(c, target, exc)
        except Exception as exc:  # a bug or an unexpected library error must not stop other deliveries
            log.exception("digest %s to %s failed unexpectedly", c.key, target)
            return self._retry_or_fail(c, f"{type(exc).__name__}: {exc}", None)

    def render(self, release_ids: tuple[int, ...], heading: str, update_ids: tuple[int, ...] = ()) -> Answer:
        """The digest Answer for these records as they are now (the same digest renders once per drain)."""
        key = (release_ids, heading, update_ids)
        if key not in self._rendered:
            changes = update_items(self.kb, self.kb.updates_by_id(update_ids)) if update_ids else []
            self._rendered[key] = build_digest(items(self.kb, self.kb.releases_by_id(release_ids)), heading, changes)
        return self._rendered[key]

    def _failure(self, c: Claim, target: Target, exc: DeliveryError) -> Outcome:
        if exc.kind == "gone":
            log.warning("disabling digest subscription %s: %s is gone or the bot was removed (%s)",
                        c.subscription_id, target, exc.detail)
            return Outcome(c, "gone", error=exc.detail)
        if exc.kind == "retry":
            return self._retry_or_fail(c, exc.detail, exc.retry_after)
        log.error("digest %s to %s failed: %s", c.key, target, exc.detail)
        return Outcome(c, "failed", error=exc.detail)

    def _retry_or_fail(self, c: Claim, detail: str, retry_after: float | None) -> Outcome:
        if c.attempts >= self.max_attempts:
            log.error("gave up on digest %s to %s/%s after %d attempts: %s", c.key, c.platform, c.channel,
                      c.attempts, detail)
            return Outcome(c, "failed", error=f"gave up after {c.attempts} attempts: {detail}")
        at = self.clock() + dt.timedelta(seconds=backoff(c.attempts, retry_after))
        log.info("digest %s will be retried at %s: %s", c.key, at.isoformat(timespec="seconds"), detail)
        return Outcome(c, "retry", error=detail, retry_at=at)


def _count(stats: DrainStats, outcome: Outcome) -> None:
    if outcome.status == "sent":
        stats.sent += 1
        stats.recovered += outcome.error == "recovered"
    elif outcome.status == "retry":
        stats.retried += 1
    elif outcome.status == "gone":
        stats.gone += 1
    else:
        stats.failed += 1
    if outcome.error and outcome.status != "sent":
        stats.errors.append(outcome.error)
