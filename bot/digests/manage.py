"""A workspace's digest subscriptions as data, for adapters that show and edit them (Slack's App Home).

``handle`` in ``subscriptions`` works on one channel (the question's); these work across a workspace
and on one subscription by id, always within its platform and workspace, so an id from another
workspace is never touched. Who may change them is the adapter's to decide (``Origin.can_manage``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.digests.arguments import USAGE, Usage, spec_from
from bot.digests.cadence import DAYS
from bot.digests.subscriptions import describe, handle, known_licences, next_text
from bot.values import Answer, Question
from knowledge.matching import Ref
from knowledge.schema import Subscription
from knowledge.store import KnowledgeBase


def _find(session: Session, platform: str, workspace: str, sub_id: int) -> Subscription | None:
    return session.execute(select(Subscription).where(
        Subscription.id == sub_id, Subscription.platform == platform, Subscription.workspace == workspace,
    )).scalar_one_or_none()


def workspace_subscriptions(kb: KnowledgeBase, platform: str, workspace: str) -> list[dict]:
    """Every subscription of one workspace, by channel then age: id, channel, digest (in words), next
    (in words) and active."""
    with Session(kb.engine) as session:
        subs = session.execute(select(Subscription).where(
            Subscription.platform == platform, Subscription.workspace == workspace,
        ).order_by(Subscription.channel, Subscription.id)).scalars()
        return [{"id": s.id, "channel": s.channel, "digest": describe(s, kb), "next": next_text(s),
                 "active": s.active} for s in subs]


def settings_of(kb: KnowledgeBase, platform: str, workspace: str, sub_id: int) -> dict | None:
    """One subscription's settings as ``subscribe`` takes them (None when there is none with that id in
    the workspace): channel, cadence, time ("HH:MM" or None), day (a day name or None), tz, orgs (names),
    open_weights, input, min_context, max_price, reasoning, tool_calling, licence, updates."""
    index = kb.index()
    with Session(kb.engine) as session:
        sub = _find(session, platform, workspace, sub_id)
        if sub is None:
            return None
        return {"channel": sub.channel, "cadence": sub.cadence, "time": sub.at_time,
                "day": DAYS[sub.weekday] if sub.weekday is not None else None, "tz": sub.timezone,
                "orgs": [index.name(Ref("org", i)) for i in sub.org_ids or () if Ref("org", i) in index.names],
                "open_weights": sub.open_weights_only, "input": sub.modality, "min_context": sub.min_context,
                "max_price": sub.max_input_price, "reasoning": bool(sub.reasoning),
                "tool_calling": bool(sub.tool_calling), "licence": sub.license, "updates": sub.include_updates}


def remove(kb: KnowledgeBase, platform: str, workspace: str, sub_id: int) -> str | None:
    """Delete one subscription of the workspace; what it was (in words), or None when there was none."""
    with Session(kb.engine) as session:
        sub = _find(session, platform, workspace, sub_id)
        if sub is None:
            return None
        gone = describe(sub, kb)
        session.execute(delete(Subscription).where(Subscription.id == sub.id))
        session.commit()
    return gone


def replace(question: Question, kb: KnowledgeBase, sub_id: int, now: dt.datetime | None = None) -> Answer:
    """Edit a subscription: check the new ``subscribe`` arguments first (a usage answer leaves the old one
    as it was), then remove the old subscription and subscribe the question's channel anew."""
    if not question.origin.can_manage:
        return handle(question, kb, now)  # the refusal
    try:
        spec_from(question.args, kb.index(), known_licences(kb))
    except Usage as problem:
        return Answer(question=question.text, intent="usage", found=False, title="Can't subscribe like that",
                      text=f"{problem}\nUsage: {USAGE}")
    origin = question.origin
    remove(kb, origin.platform, origin.workspace or "", sub_id)
    return handle(question, kb, now or utcnow())
