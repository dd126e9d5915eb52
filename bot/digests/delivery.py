"""Sending claimed digests through the platforms' publishers, politely and with retries.

A publisher is what an adapter hands the scheduler: ``publish`` posts an Answer to a channel and
returns the platform's message id, ``find_sent`` looks for a message carrying a delivery key. Both
raise ``DeliveryError``: ``retry`` (429, 5xx, network), ``gone`` (channel deleted, bot removed),
``failed`` (anything else that a retry will not fix).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import logging
import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from bot.clock import utcnow
from bot.digests.builder import DigestItem, UpdateItem, build_digest, items, update_items
from bot.digests.outbox import Claim, Outcome, Split, claim, record, release_claims
from bot.values import Answer
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.digests")
BACKOFF_BASE = 30.0
BACKOFF_MAX = 3600.0
RETRY_AFTER_MIN = 1.0
"""The shortest wait a Retry-After can ask for: a drain claims again what is due at once, so a 0 would
spend every attempt in one drain."""
GIVE_BACK_SECONDS = 5.0
"""How long a stopped drain may spend giving back its claims (a stop has 9 s in all); past it, the
claims wait for their lease to run out."""


FailureKind = Literal["retry", "gone", "failed"]


class DeliveryError(Exception):
    """A publisher could not post: ``kind`` is retry, gone or failed; ``retry_after`` in seconds if the platform
    said."""

    def __init__(self, kind: FailureKind, detail: str, retry_after: float | None = None):
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

    # Optional: ``fits(answer) -> bool``, whether the answer goes out in one message without anything cut.
    # A digest that does not fit is split: the first part is posted, the rest becomes a continuation
    # delivery (pending at once), so no release is ever cut from a digest and lost.


CONTINUED = "More follows in the next message."


@dataclass
class DrainStats:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)


def parse_retry_after(value, now: dt.datetime | None = None) -> float | None:
    """A Retry-After header (or body value) as seconds within RETRY_AFTER_MIN..BACKOFF_MAX; None when it
    says nothing usable.

    Never raises: ``nan``, ``inf``, ``1e300``, garbage, booleans and negative numbers are all handled
    (NaN and garbage as no value, huge values clamped to BACKOFF_MAX, small and negative ones raised to
    RETRY_AFTER_MIN). An HTTP date is read as the seconds until then.
    """
    try:
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            seconds = float(value)
        else:
            text = str(value).strip()[:100]
            if not text:
                return None
            try:
                seconds = float(text)
            except ValueError:
                when = email.utils.parsedate_to_datetime(text)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=dt.timezone.utc)
                seconds = (when - (now or utcnow())).total_seconds()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, RETRY_AFTER_MIN), BACKOFF_MAX)


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds to wait before the next attempt: the platform's Retry-After (clamped, see parse_retry_after),
    else doubling from 30 s up to BACKOFF_MAX. Never raises."""
    if retry_after is not None:
        clamped = parse_retry_after(retry_after)
        if clamped is not None:
            return clamped
    try:
        return min(BACKOFF_BASE * 2 ** min(max(int(attempts) - 1, 0), 32), BACKOFF_MAX)
    except (TypeError, ValueError, OverflowError):
        return BACKOFF_MAX


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
        self._parts: dict[tuple, Answer | tuple[Answer, Split | None]] = {}
        self._batch: list[Claim] = []
        self._outcomes: dict[int, Outcome] = {}
        self._posting: set[int] = set()
        self.given_back: int | None = None
        """How many claims the last drain gave back when it was cancelled (None: it was not, or it could not)."""

    async def _db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def drain(self) -> DrainStats:
        """Send every delivery that is due now; stop when none is left to claim.

        Cancelled (the scheduler or the process stops), it first gives back what it has not sent (see
        ``_give_back``), then raises the cancellation.
        """
        stats = DrainStats()
        platforms = sorted(self.publishers)
        self._rendered = {}
        self._parts = {}
        self.given_back = None
        try:
            while True:
                self._batch, self._outcomes, self._posting = [], {}, set()
                self._batch = await self._db(claim, self.kb.engine, self.worker, self.clock(), self.batch, platforms)
                if not self._batch:
                    return stats
                outcomes = await asyncio.gather(*(self._send(c) for c in self._batch))
                await self._db(record, self.kb.engine, outcomes, self.worker, self.clock())
                for outcome in outcomes:
                    _count(stats, outcome)
        except asyncio.CancelledError:
            self.given_back = await self._give_back()
            raise

    async def _give_back(self) -> int | None:
        """Record the sends that finished and give this worker's other claims back (``release_claims``), so
        another tick sends them at once rather than after their lease; how many went back, None on failure.

        It runs on the database thread, after whatever database work the cancellation interrupted (that
        work cannot be stopped in its thread), so a batch claimed or recorded meanwhile is seen too.
        """
        unstarted = {c.delivery_id for c in self._batch if c.resumed_from is None
                     and c.delivery_id not in self._outcomes and c.delivery_id not in self._posting}
        since = {c.delivery_id: c.resumed_from for c in self._batch if c.resumed_from is not None}
        give_back = functools.partial(release_claims, self.kb.engine, list(self._outcomes.values()), self.worker,
                                      self.clock(), unstarted, since)
        loop = asyncio.get_running_loop()
        try:
            work = loop.run_in_executor(self.executor, give_back)
        except RuntimeError:  # the database thread is gone already: a thread of its own
            work = loop.run_in_executor(None, give_back)
        try:
            return await _outlast(work, GIVE_BACK_SECONDS)
        except Exception as exc:  # the database is down: the leases run out as after a crash
            log.warning("could not give back unsent digest claims (taken again when their lease runs out): %r",
                        exc)
            return None

    async def _send(self, c: Claim) -> Outcome:
        try:
            outcome = await self._attempt(c)
        except Exception as exc:  # pragma: no cover - last resort: an outcome for every claim, never a raise
            log.exception("digest %s failed unexpectedly while handling a failure", c.key)
            at = self.clock() + dt.timedelta(seconds=BACKOFF_MAX)
            outcome = Outcome(c, "retry", error=f"{type(exc).__name__}: {exc}"[:500], retry_at=at)
        self._outcomes[c.delivery_id] = outcome
        return outcome

    async def _attempt(self, c: Claim) -> Outcome:
        target = Target(c.platform, c.workspace, c.channel)
        publisher = self.publishers[c.platform]
        try:
            answer, part = await self._db(self.part, c.release_ids, c.heading, c.update_ids,
                                          getattr(publisher, "fits", None))
            if c.resumed_from is not None:
                async with self._slots:
                    found = await publisher.find_sent(target, c.key, c.resumed_from)
                if found:
                    log.info("digest %s was already posted before a restart (message %s)", c.key, found)
                    return Outcome(c, "sent", message_id=found, error="recovered", part=part)
            await self.pacer.wait(target)
            async with self._slots:
                self._posting.add(c.delivery_id)  # from here on, a stop cannot tell whether it went out
                return Outcome(c, "sent", message_id=await publisher.publish(target, answer, c.key), part=part)
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

    def part(self, release_ids: tuple[int, ...], heading: str, update_ids: tuple[int, ...],
             fits: Callable[[Answer], bool] | None) -> tuple[Answer, Split | None]:
        """What to post for this delivery: the whole digest when it fits the platform's message (or the
        publisher cannot tell), else its largest leading part that fits (at least one record), with the
        ids it holds and the ids left for a continuation delivery."""
        whole = self.render(release_ids, heading, update_ids)
        if fits is None:
            return whole, None
        key = (release_ids, heading, update_ids, fits)
        if key not in self._parts:  # many channels often get the same digest: split it once per drain
            self._parts[key] = whole if fits(whole) else self._split(release_ids, heading, update_ids, fits)
        done = self._parts[key]
        return (done, None) if isinstance(done, Answer) else done

    def _split(self, release_ids: tuple[int, ...], heading: str, update_ids: tuple[int, ...],
               fits: Callable[[Answer], bool]) -> tuple[Answer, Split | None]:
        whole = self.render(release_ids, heading, update_ids)
        releases = self.kb.releases_by_id(release_ids)
        releases.sort(key=lambda r: (r.date, r.id))
        changes = self.kb.updates_by_id(update_ids) if update_ids else []
        # The order the digest shows them in: releases by organization (then date), then updates.
        shown = sorted(zip(items(self.kb, releases), (r.id for r in releases)), key=lambda p: p[0].org)
        shown_updates = sorted(zip(update_items(self.kb, changes), (u.id for u in changes)), key=lambda p: p[0].org)
        sequence = [("r", *p) for p in shown] + [("u", *p) for p in shown_updates]
        if len(sequence) <= 1:
            return whole, None

        def build(n: int) -> Answer:
            head = sequence[:n]
            answer = build_digest([i for _, i, _ in head if isinstance(i, DigestItem)], heading,  # the "r" entries
                                  [i for _, i, _ in head if isinstance(i, UpdateItem)])  # the "u" entries
            return replace(answer, text=f"{answer.text} {CONTINUED}")

        low, high = 1, len(sequence) - 1  # the largest n in low..high whose part fits (1 when none does)
        while low < high:
            mid = (low + high + 1) // 2
            if fits(build(mid)):
                low = mid
            else:
                high = mid - 1
        head, rest = sequence[:low], sequence[low:]
        split = Split(tuple(sorted(i for kind, _, i in head if kind == "r")),
                      tuple(sorted(i for kind, _, i in head if kind == "u")),
                      tuple(sorted(i for kind, _, i in rest if kind == "r")),
                      tuple(sorted(i for kind, _, i in rest if kind == "u")))
        return build(low), split

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
        try:
            at = self.clock() + dt.timedelta(seconds=backoff(c.attempts, retry_after))
        except (OverflowError, ValueError, TypeError):  # defensive: backoff is clamped already
            at = self.clock() + dt.timedelta(seconds=BACKOFF_MAX)
        log.info("digest %s will be retried at %s: %s", c.key, at.isoformat(timespec="seconds"), detail)
        return Outcome(c, "retry", error=detail, retry_at=at)


async def _outlast(work: asyncio.Future, seconds: float):
    """``work``'s result, waiting for it at most ``seconds`` however often this task is cancelled meanwhile
    (the work is a stop's cleanup: a second stop must not cut it short); None when it takes longer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not work.done() and loop.time() < deadline:
        try:
            await asyncio.wait({work}, timeout=deadline - loop.time())
        except asyncio.CancelledError:
            continue
    return work.result() if work.done() else None


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
