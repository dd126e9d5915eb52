"""The digest scheduler: APScheduler ticks, each tick plans due digests and drains the outbox.

It imports no adapter: whoever runs it (``modelwire slack``, ``modelwire discord`` or the dedicated
``modelwire scheduler``) hands it one publisher per platform it can post to. Several schedulers may
run against one PostgreSQL database; the outbox makes each digest go out once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import utcnow
from bot.digests.delivery import GIVE_BACK_SECONDS, Courier, DrainStats, Publisher
from bot.digests.outbox import plan
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.scheduler")


def worker_name() -> str:
    """This process's name in claims: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


class DigestScheduler:
    """Plans and sends digests every ``tick_seconds``; owns its APScheduler and its database thread.

    ``per_channel_interval`` keeps Slack's one message per second per channel, with a margin for
    the jitter between sending a request and Slack receiving it.
    """

    def __init__(self, kb: KnowledgeBase, publishers: dict[str, Publisher], *, tick_seconds: float = 30,
                 max_attempts: int = 8, clock: Callable[[], dt.datetime] = utcnow, worker: str | None = None,
                 per_channel_interval: float = 1.1, concurrency: int = 32):
        self.kb, self.clock, self.tick_seconds = kb, clock, tick_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modelwire-digests")
        self.courier = Courier(kb, publishers, self._executor, worker=worker or worker_name(), clock=clock,
                               max_attempts=max_attempts, per_channel_interval=per_channel_interval,
                               concurrency=concurrency)
        self._apscheduler: AsyncIOScheduler | None = None
        self._ticking: asyncio.Task | None = None
        self.last_tick: dt.datetime | None = None
        """When the last successful tick began (a tick that raised leaves it as it was)."""
        self.started_at: dt.datetime | None = clock()
        self.last_error: str | None = None

    def health(self, now: dt.datetime | None = None) -> dict:
        """Liveness for /healthz: ``ok`` while the last successful tick (or, before the first one, the
        start) is at most three tick intervals old."""
        now = now or self.clock()
        since = self.last_tick or self.started_at
        limit = dt.timedelta(seconds=3 * self.tick_seconds)
        ok = since is not None and now - since <= limit
        body = {"ok": ok, "last_tick": self.last_tick.isoformat() if self.last_tick else None}
        if not ok:
            body["problem"] = ("no tick has run" if since is None else
                               f"no successful digest tick for {int((now - since).total_seconds())} s "
                               f"(limit {int(limit.total_seconds())} s)")
            if self.last_error:
                body["last_error"] = self.last_error
        return body

    async def tick(self) -> DrainStats:
        """Plan what is due now, then send everything claimable."""
        now = self.clock()
        planned = await asyncio.get_running_loop().run_in_executor(self._executor, plan, self.kb, now)
        stats = await self.courier.drain()
        self.last_tick = now
        if planned or stats.sent or stats.retried or stats.failed or stats.gone:
            log.info("digests: %d planned, %d sent, %d to retry, %d failed, %d channels gone", planned,
                     stats.sent, stats.retried, stats.failed, stats.gone)
        return stats

    async def _safe_tick(self) -> None:
        self._ticking = asyncio.current_task()
        try:
            await self.tick()
            self.last_error = None
        except asyncio.CancelledError:  # stopped: the job ends here, quietly (APScheduler would log a traceback)
            given_back = self.courier.given_back
            log.info("digest tick stopped%s", f"; {given_back} unsent digest claims released for the next tick"
                     if given_back else "")
        except Exception as exc:  # a database outage must not stop later ticks
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("digest tick failed; the next tick tries again")
        finally:
            self._ticking = None

    def start(self) -> None:
        """Start ticking on the running event loop (the first tick at once)."""
        self.started_at = self.clock()
        self._apscheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
        self._apscheduler.add_job(self._safe_tick, IntervalTrigger(seconds=self.tick_seconds), id="digests",
                                  max_instances=1, coalesce=True, next_run_time=utcnow())
        self._apscheduler.start()
        log.info("digest scheduler started (every %s s)", self.tick_seconds)

    async def close(self) -> None:
        """Stop, wait for a tick under way to give back its claims, and close the publishers that hold
        connections."""
        ticking = self._ticking
        self.stop()
        if ticking is not None:
            await asyncio.wait({ticking}, timeout=GIVE_BACK_SECONDS + 1)
        for publisher in self.courier.publishers.values():
            if hasattr(publisher, "close"):
                await publisher.close()

    def stop(self) -> None:
        """Stop ticking and release the database thread. A tick under way is cancelled: it records what it
        posted and gives back the claims it did not send (see ``Courier.drain``), then the thread goes."""
        if self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.shutdown(wait=False)
        ticking = self._ticking
        if ticking is not None and not ticking.done():
            ticking.cancel()
            ticking.add_done_callback(lambda _task: self._release_thread())
        else:
            self._release_thread()

    def _release_thread(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
