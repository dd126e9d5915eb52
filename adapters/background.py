"""The background work a chat bot or scheduler process runs beside its main work: the inline digest
scheduler and the scheduled models.dev sync, each started when its settings ask for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.settings import DigestSettings, SyncSettings
from knowledge.store import KnowledgeBase

if TYPE_CHECKING:
    from bot.digests.scheduler import DigestScheduler
    from bot.sync_job import ScheduledSync


def scheduled_sync(kb: KnowledgeBase, settings: SyncSettings) -> ScheduledSync | None:
    """A started scheduled sync, or None when no interval is set."""
    if not settings.interval_minutes:
        return None
    from bot.sync_job import ScheduledSync

    job = ScheduledSync(kb, settings.url, settings.interval_minutes)
    job.start()
    return job


def digest_scheduler(kb: KnowledgeBase, publishers: dict, settings: DigestSettings) -> DigestScheduler | None:
    """A started digest scheduler for ``publishers``, or None when this process leaves digests to another."""
    if settings.scheduler == "off":
        return None
    from bot.digests.scheduler import DigestScheduler

    scheduler = DigestScheduler(kb, publishers, tick_seconds=settings.tick_seconds,
                                max_attempts=settings.max_attempts)
    scheduler.start()
    return scheduler


def start_background(kb: KnowledgeBase, publishers: dict, digests: DigestSettings | None,
                     sync: SyncSettings | None) -> list:
    """The background work a chat bot process runs beside answering: the inline digest scheduler and
    the scheduled sync, each when its settings ask for it. Stop them with ``stop_background``."""
    jobs = [digest_scheduler(kb, publishers, digests) if digests else None,
            scheduled_sync(kb, sync) if sync else None]
    return [job for job in jobs if job is not None]


async def stop_background(jobs: list) -> None:
    """Stop what ``start_background`` started (closing publishers' connections)."""
    for job in jobs:
        if hasattr(job, "close"):
            await job.close()
        else:
            job.stop()
