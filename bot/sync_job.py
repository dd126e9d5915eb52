"""The scheduled data sync: every N minutes, bring the knowledge base up to date from models.dev.

It owns its APScheduler job and its thread. A failed sync (network, bad data, a catalogue that
would remove more than MODELWIRE_SYNC_MAX_SHRINK percent of what it brought) is logged and changes
nothing; the next one tries again. New release and update records reach digests on the
digest scheduler's next tick.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import utcnow
from knowledge.store import KnowledgeBase

if TYPE_CHECKING:  # imported when a sync runs, not with this module
    from knowledge.sync import SyncResult

log = logging.getLogger("modelwire.sync")


class ScheduledSync:
    """Runs ``knowledge.sync.sync_models_dev`` every ``minutes`` (the first run at start)."""

    def __init__(self, kb: KnowledgeBase, url: str, minutes: float):
        self.kb, self.url, self.minutes = kb, url, minutes
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modelwire-sync")
        self._apscheduler: AsyncIOScheduler | None = None
        self.last_result: SyncResult | None = None

    async def run_once(self):
        """One sync, off the event loop; the result, or None when it failed (and was logged)."""
        from knowledge.importers.fetch import FetchError
        from knowledge.importers.modelsdev import ModelsDevError
        from knowledge.packformat import PackError
        from knowledge.sync import ShrinkError, sync_models_dev

        try:
            self.last_result = await asyncio.get_running_loop().run_in_executor(
                self._executor, sync_models_dev, self.kb.engine, self.url)
        except ShrinkError as exc:  # a catalogue that lost most of its models: refused until someone looks
            log.error("scheduled sync from %s refused: %s", self.url, exc)
            return None
        except (FetchError, ModelsDevError, PackError) as exc:
            detail = exc.paragraph() if isinstance(exc, PackError) else str(exc)
            log.error("scheduled sync from %s failed, nothing written: %s", self.url, " ".join(detail.split()))
            return None
        except Exception:  # a database outage must not stop later syncs
            log.exception("scheduled sync from %s failed", self.url)
            return None
        log.info("scheduled sync from %s: %s", self.url, self.last_result.status)
        return self.last_result

    def start(self) -> None:
        """Start syncing on the running event loop."""
        self._apscheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
        self._apscheduler.add_job(self.run_once, IntervalTrigger(minutes=self.minutes), id="sync", max_instances=1,
                                  coalesce=True, next_run_time=utcnow())
        self._apscheduler.start()
        log.info("models.dev sync every %s minutes from %s", self.minutes, self.url)

    def stop(self) -> None:
        """Stop syncing and release the thread."""
        if self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.shutdown(wait=False)
        self._executor.shutdown(wait=False, cancel_futures=True)
