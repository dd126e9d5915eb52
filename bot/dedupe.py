"""Handle each chat event once, across retries and replicas: the first to record its id wins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.clock import naive_utcnow
from knowledge.schema import SeenEvent

KEEP = dt.timedelta(days=2)


def first_sighting(engine: Engine, platform: str, event_id: str) -> bool:
    """Record an event id; True the first time it is seen, False for every repeat."""
    now = naive_utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(insert(SeenEvent).values(platform=platform, event_id=event_id, seen_at=now))
    except IntegrityError:
        return False
    return True


def release(engine: Engine, platform: str, event_id: str) -> None:
    """Forget one event id, so that the platform's retry of an event that failed is handled again."""
    with engine.begin() as conn:
        conn.execute(delete(SeenEvent).where(SeenEvent.platform == platform, SeenEvent.event_id == event_id))


def forget_old(engine: Engine) -> int:
    """Delete event ids older than the platforms' retry window; how many went."""
    cutoff = naive_utcnow() - KEEP
    with engine.begin() as conn:
        return conn.execute(delete(SeenEvent).where(SeenEvent.seen_at < cutoff)).rowcount
