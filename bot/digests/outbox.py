"""The digest outbox in the database: plan digests that are due, claim them, record how sending went.

Exactly once, across crashes and several scheduler processes on one PostgreSQL:
- planning locks due subscriptions with ``FOR UPDATE SKIP LOCKED`` and, in the same transaction,
  writes the delivery row, advances the subscription's ``last_release_id`` and schedules its next
  period; ``UNIQUE (subscription_id, period)`` refuses a second digest for one period outright;
- sending claims pending rows with ``FOR UPDATE SKIP LOCKED`` (status ``sending``, a lease);
  a claim whose lease ran out (its process died) is claimed again and the publisher is asked
  first whether the message already went out;
- a scheduler stopped mid-send gives its claims back at once (``release_claims``): what it posted is
  recorded as sent, the rest is pending again; a row whose message may have gone out keeps its
  ``claimed_at`` (with ``claimed_by`` cleared), and whoever claims it next asks the publisher first.
SQLite has no row locks: there, one scheduler process at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, func, insert, literal, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.clock import aware, naive
from bot.digests.builder import Matcher, query_of
from bot.digests.cadence import next_schedule
from knowledge.schema import Delivery, Subscription
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.digests")
PLAN_BATCH = 500
LEASE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Claim:
    """A delivery claimed for sending, with where it goes."""

    delivery_id: int
    subscription_id: int
    platform: str
    workspace: str
    channel: str
    period: str
    release_ids: tuple[int, ...]
    update_ids: tuple[int, ...]
    attempts: int
    heading: str
    resumed_from: dt.datetime | None
    """When an earlier claim of this delivery began (its process died mid-send), else None."""

    @property
    def key(self) -> str:
        """The delivery's idempotency key, carried with the message so a resumed send can find it."""
        return f"mw-digest-{self.delivery_id}"


def plan(kb: KnowledgeBase, now: dt.datetime) -> int:
    """Write the deliveries of every subscription due at ``now``; how many were written."""
    kb.refresh()
    latest = _Latest(kb.latest_release_id(), kb.latest_update_id())
    written, after = 0, 0
    while True:
        with kb.engine.begin() as conn:
            subs = _lock_due(conn, now, latest, after)
            if not subs:
                return written
            new = kb.releases_between(min(s.last_release_id for s in subs), latest.release)
            changes = kb.updates_between(min(s.last_update_id for s in subs), latest.update) \
                if any(s.include_updates for s in subs) else []
            updates, deliveries, disabled = [], [], []
            after = subs[-1].id
            matcher = Matcher(kb, new, changes)
            for sub in subs:
                try:
                    advanced = _advance(sub, latest, now)
                    release_ids, update_ids = _wanted_ids(kb, matcher, sub, new, changes)
                except SQLAlchemyError:
                    raise  # the database's trouble, not this subscription's: the tick is tried again
                except Exception as exc:  # one bad subscription must not stop everyone's digests
                    reason = unplannable(sub, exc)
                    log.warning("disabling digest subscription %s (%s:%s/%s): %s", sub.id, sub.platform,
                                sub.workspace, sub.channel, reason)
                    disabled.append({"b_id": sub.id, "b_reason": reason[:300]})
                    continue
                updates.append(advanced)
                if release_ids or update_ids:
                    period = sub.next_period if sub.cadence != "instant" else f"r{latest.release}u{latest.update}"
                    deliveries.append(dict(subscription_id=sub.id, platform=sub.platform, period=period,
                                           release_ids=release_ids,
                                           update_ids=update_ids, status="pending", attempts=0,
                                           next_attempt_at=naive(now), created_at=naive(now)))
            if updates:
                conn.execute(update(Subscription).where(Subscription.id == bindparam("b_id")).values(
                    last_release_id=bindparam("b_last"), last_update_id=bindparam("b_last_update"),
                    next_period=bindparam("b_period"), next_due_at=bindparam("b_due")), updates)
            if disabled:
                conn.execute(update(Subscription).where(Subscription.id == bindparam("b_id")).values(
                    active=False, disabled_reason=bindparam("b_reason")), disabled)
            if deliveries:
                conn.execute(insert(Delivery), deliveries)
            written += len(deliveries)


def unplannable(sub, exc: Exception) -> str:
    """Why a subscription's digest could not be planned, as ``digest status`` and the log show it."""
    if isinstance(exc, ZoneInfoNotFoundError):
        return f"time zone {sub.timezone!r} is not in this host's time zone database (subscribe again with another)"
    try:
        ZoneInfo(sub.timezone)
    except Exception:  # any way a key can be unusable
        return f"time zone {sub.timezone!r} is not a usable time zone (subscribe again with another)"
    return f"its digest could not be planned: {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class _Latest:
    release: int
    update: int


def _lock_due(conn, now: dt.datetime, latest: _Latest, after: int) -> list:
    """The next batch of due subscriptions with ids above ``after``, locked; those another scheduler
    has locked are skipped (it is planning them)."""
    scheduled = (Subscription.cadence != "instant") & (Subscription.next_due_at <= naive(now))
    news = (Subscription.last_release_id < latest.release) | \
        (Subscription.include_updates.is_(True) & (Subscription.last_update_id < latest.update))
    instant = (Subscription.cadence == "instant") & news
    query = (select(Subscription.__table__).where(Subscription.active.is_(True), or_(scheduled, instant))
             .where(Subscription.id > after).order_by(Subscription.id).limit(PLAN_BATCH)
             .with_for_update(skip_locked=True))
    return list(conn.execute(query))


def _advance(sub, latest: _Latest, now: dt.datetime) -> dict:
    """The subscription's new high-water marks and, for scheduled ones, its next period."""
    period, due = next_schedule(sub, now) if sub.cadence != "instant" else (None, None)
    return {"b_id": sub.id, "b_last": max(sub.last_release_id, latest.release),
            "b_last_update": max(sub.last_update_id, latest.update), "b_period": period, "b_due": due}


def _wanted_ids(kb: KnowledgeBase, matcher: Matcher, sub, new, changes) -> tuple[list[int], list[int]]:
    """The ids of the releases and updates newer than the subscription's marks that pass its filters."""
    query = query_of(kb, sub)
    releases = matcher.releases(query, [r for r in new if r.id > sub.last_release_id])
    updates = matcher.updates(query, [u for u in changes if u.id > sub.last_update_id]) \
        if sub.include_updates else []
    return [r.id for r in releases], [u.id for u in updates]


def claim(engine: Engine, worker: str, now: dt.datetime, limit: int, platforms: list[str],
          lease: dt.timedelta = LEASE) -> list[Claim]:
    """Claim up to ``limit`` deliveries to ``platforms`` that are due (or whose earlier claim's lease ran out)."""
    stale = naive(now - lease)
    with Session(engine) as session:
        # Deliveries alone are locked and ordered (a join here lets a planner with stale statistics
        # rescan subscriptions per row); their subscriptions are then read by primary key.
        deliveries = session.execute(
            select(Delivery).where(Delivery.platform.in_(platforms))
            .where(or_((Delivery.status == "pending") & (Delivery.next_attempt_at <= naive(now)),
                       (Delivery.status == "sending") & (Delivery.claimed_at < stale)))
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
            .with_for_update(skip_locked=True)).scalars().all()
        subs = {s.id: s for s in session.execute(select(Subscription).where(
            Subscription.id.in_({d.subscription_id for d in deliveries}))).scalars()} if deliveries else {}
        rows = [(d, subs[d.subscription_id]) for d in deliveries]
        claims = []
        for delivery, sub in rows:
            claimed_at = delivery.claimed_at  # never None when "sending" here: the query compares it
            resumed = (aware(claimed_at) if claimed_at is not None
                       and (delivery.status == "sending" or maybe_posted(delivery)) else None)
            delivery.status, delivery.claimed_by, delivery.claimed_at = "sending", worker, naive(now)
            delivery.attempts += 1
            claims.append(Claim(delivery.id, sub.id, sub.platform, sub.workspace, sub.channel, delivery.period,
                                tuple(delivery.release_ids), tuple(delivery.update_ids or ()), delivery.attempts,
                                heading(sub, delivery.period), resumed))
        session.commit()
    return claims


def maybe_posted(delivery: Delivery) -> bool:
    """Whether a pending delivery was given back by a stopped scheduler while its message may have been
    going out (see ``release_claims``): the next claim then asks the publisher first."""
    return delivery.status == "pending" and delivery.claimed_by is None and delivery.claimed_at is not None


def heading(sub: Subscription, period: str) -> str:
    """The digest's title: what kind of digest, for which period (a continuation says so)."""
    base, part = split_period(period)
    more = " (continued)" if part > 1 else ""
    if sub.cadence == "instant":
        return "New releases" + more
    if sub.cadence == "daily":
        return f"Daily release digest, {base}{more}"
    return f"Weekly release digest, week of {base}{more}"


def split_period(period: str) -> tuple[str, int]:
    """A delivery's period and part number: ``2026-11-20/3`` is part 3 of that day's digest (part 1
    has no suffix)."""
    base, sep, number = period.rpartition("/")
    if sep and number.isascii() and number.isdigit():
        return base, int(number)
    return period, 1


def continuation_period(period: str) -> str:
    """The period of the delivery that carries on where this one's message ended."""
    base, part = split_period(period)
    return f"{base}/{part + 1}"


@dataclass(frozen=True)
class Split:
    """A digest too big for one message: the records its first message holds, and those left over for a
    continuation delivery (pending at once, sent as the next message)."""

    release_ids: tuple[int, ...]
    update_ids: tuple[int, ...]
    rest_release_ids: tuple[int, ...]
    rest_update_ids: tuple[int, ...]


OutcomeStatus = Literal["sent", "retry", "gone", "failed"]


@dataclass(frozen=True)
class Outcome:
    """How sending one claimed delivery went: ``sent`` (with message id), ``retry`` (at), ``gone`` or ``failed``."""

    claim: Claim
    status: OutcomeStatus
    message_id: str | None = None
    error: str | None = None
    retry_at: dt.datetime | None = None
    part: Split | None = None
    """For a digest sent in parts: what this message held and what a continuation delivery carries."""


def record(engine: Engine, outcomes: list[Outcome], worker: str, now: dt.datetime) -> None:
    """Store what happened to claimed deliveries, in one transaction.

    Only rows still claimed by ``worker`` are changed, so a claim taken over after its lease ran out
    is never overwritten by the process that lost it.
    """
    with engine.begin() as conn:
        _record(conn, outcomes, worker, now)


def release_claims(engine: Engine, outcomes: list[Outcome], worker: str, now: dt.datetime,
                   unstarted: set[int], since: dict[int, dt.datetime]) -> int:
    """Give back what a stopped ``worker`` still holds, in one transaction; how many claims went back.

    ``outcomes`` (the sends that finished) are recorded as ``record`` does. Every other delivery this
    worker has claimed becomes pending again, due as it was, its claim cleared and its attempt not
    counted. Those in ``unstarted`` (never handed to a publisher) lose their claim time; any other may
    have been posted, so it keeps a claim time (``since`` for a resumed claim: when the first claim
    began) and the next claim asks the publisher whether it went out (see ``maybe_posted``).
    """
    with engine.begin() as conn:
        _record(conn, outcomes, worker, now)
        held = conn.execute(select(Delivery.id, Delivery.claimed_at).where(
            Delivery.claimed_by == worker, Delivery.status == "sending").with_for_update()).all()
        back = [{"b_id": row.id, "b_at": _kept_claim_time(row, unstarted, since)} for row in held]
        if back:
            conn.execute(update(Delivery).where(Delivery.id == bindparam("b_id")).values(
                status="pending", claimed_by=None, claimed_at=bindparam("b_at"), attempts=Delivery.attempts - 1),
                back)
    return len(back)


def _kept_claim_time(row, unstarted: set[int], since: dict[int, dt.datetime]) -> dt.datetime | None:
    """A given-back delivery's claim time: none when no publisher had it, else the earliest moment its
    message may have been posted from."""
    if row.id in unstarted:
        return None
    return naive(since[row.id]) if row.id in since else row.claimed_at


def _retry_at(outcome: Outcome) -> dt.datetime:
    """When a ``retry`` outcome is to be tried again (every retry outcome has the time)."""
    if outcome.retry_at is None:
        raise ValueError(f"retry outcome for {outcome.claim.key} has no retry time")
    return outcome.retry_at


def _record(conn, outcomes: list[Outcome], worker: str, now: dt.datetime) -> None:
    mine = update(Delivery).where(Delivery.id == bindparam("b_id"), Delivery.claimed_by == worker,
                                  Delivery.status == "sending")
    sent = [{"b_id": o.claim.delivery_id, "b_message": o.message_id} for o in outcomes
            if o.status == "sent" and o.part is None]
    parts = [(o, o.part) for o in outcomes if o.status == "sent" and o.part is not None]
    retry = [{"b_id": o.claim.delivery_id, "b_at": naive(_retry_at(o)), "b_error": (o.error or "")[:500]}
             for o in outcomes if o.status == "retry"]
    failed = [{"b_id": o.claim.delivery_id, "b_error": (o.error or o.status)[:500]}
              for o in outcomes if o.status in ("failed", "gone")]
    if sent:
        conn.execute(mine.values(status="sent", message_id=bindparam("b_message"), sent_at=naive(now),
                                 error=None), sent)
    for o, part in parts:  # this message held part of the digest: the rest becomes the next delivery
        done = conn.execute(mine.values(status="sent", message_id=o.message_id, sent_at=naive(now), error=None,
                                        release_ids=list(part.release_ids),
                                        update_ids=list(part.update_ids)),
                            {"b_id": o.claim.delivery_id})
        if done.rowcount:
            conn.execute(insert(Delivery).values(
                subscription_id=o.claim.subscription_id, platform=o.claim.platform,
                period=continuation_period(o.claim.period), release_ids=list(part.rest_release_ids),
                update_ids=list(part.rest_update_ids), status="pending", attempts=0,
                next_attempt_at=naive(now), created_at=naive(now)))
            log.info("digest %s was too big for one message: %d releases and %d updates follow in the next",
                     o.claim.key, len(part.rest_release_ids), len(part.rest_update_ids))
    if retry:
        conn.execute(mine.values(status="pending", next_attempt_at=bindparam("b_at"),
                                 error=bindparam("b_error")), retry)
    if failed:
        conn.execute(mine.values(status="failed", error=bindparam("b_error")), failed)
    for o in outcomes:
        if o.status == "gone":
            conn.execute(update(Subscription).where(Subscription.id == o.claim.subscription_id)
                         .values(active=False, disabled_reason=(o.error or "channel gone")[:300]))


def status_counts(engine: Engine) -> dict[str, int]:
    """How many deliveries are pending, sending, sent and failed, and how many subscriptions are disabled."""
    with engine.connect() as conn:
        counts = dict(conn.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        disabled = conn.execute(select(func.count()).select_from(Subscription)
                                .where(Subscription.active.is_(False))).scalar_one()
    return {s: counts.get(s, 0) for s in ("pending", "sending", "sent", "failed")} | {"disabled": disabled}


def failed_deliveries(engine: Engine, limit: int = 50):
    """The newest deliveries that were given up: channel, period and the last error; then the disabled
    subscriptions, each with why (period ``subscription disabled``)."""
    with engine.connect() as conn:
        failed = conn.execute(
            select(Subscription.platform, Subscription.workspace, Subscription.channel, Delivery.period,
                   Delivery.error).join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.status == "failed").order_by(Delivery.id.desc()).limit(limit)).all()
        disabled = conn.execute(
            select(Subscription.platform, Subscription.workspace, Subscription.channel,
                   literal("subscription disabled").label("period"),
                   func.coalesce(Subscription.disabled_reason, "unknown reason").label("error"))
            .where(Subscription.active.is_(False)).order_by(Subscription.id.desc()).limit(limit)).all()
    return [*failed, *disabled]


def disabled_subscriptions(engine: Engine, limit: int = 50):
    """The disabled subscriptions, newest first: platform, workspace, channel and why (``reason``)."""
    with engine.connect() as conn:
        return conn.execute(
            select(Subscription.id, Subscription.platform, Subscription.workspace, Subscription.channel,
                   Subscription.disabled_reason.label("reason"))
            .where(Subscription.active.is_(False)).order_by(Subscription.id.desc()).limit(limit)).all()
