"""Channel subscriptions to release digests: subscribe, unsubscribe, list, preview.

Commands arrive as Questions (``subscribe``, ``unsubscribe``, ``subscriptions``, ``digest``) from
any adapter; the channel is the question's origin. Adapters say whether the person may change the
channel's subscriptions (``Origin.can_manage``), because each platform has its own rule.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import format as fmt
from bot.clock import aware, naive, utcnow
from bot.digests.arguments import USAGE, Spec, Usage, is_number, spec_from
from bot.digests.builder import Matcher, build_digest, items, query_of, update_items
from bot.digests.cadence import cadence_of, next_schedule
from bot.values import Answer, Origin, Question, Table
from knowledge.matching import Ref
from knowledge.schema import Model, Subscription
from knowledge.store import KnowledgeBase

COMMANDS = ("subscribe", "unsubscribe", "subscriptions", "digest")
WHO_MAY = {
    "discord": "members with the Manage Channels permission",
    "slack": "workspace admins and the people on modelwire's allow-list",
}
PREVIEW_LIMIT = 20


def channel_of(origin: Origin) -> tuple[str, str, str]:
    """(platform, workspace, channel) of the conversation a question came from."""
    return origin.platform, origin.workspace or "", origin.channel or "terminal"


def handle(question: Question, kb: KnowledgeBase, now: dt.datetime | None = None) -> Answer:
    """Run one subscription command and say what happened."""
    now = now or utcnow()
    command, text = question.command, question.text
    if command in ("subscribe", "unsubscribe") and not question.origin.can_manage:
        who = WHO_MAY.get(question.origin.platform, "people who may manage this channel")
        return Answer(question=text, intent="refused", found=False, title="Not allowed",
                      text=f"Only {who} can change this channel's digest subscriptions.")
    if command == "subscribe":
        return _subscribe(question, kb, now)
    if command == "unsubscribe":
        return _unsubscribe(question, kb)
    if command == "subscriptions":
        return _list(question, kb)
    if (question.args.get("text") or "preview").strip().lower() == "preview":
        return preview(question, kb)
    return _usage(text, "digest takes one word: preview.", "Unknown digest command", "digest preview")


def _usage(text: str, problem: str, title: str = "Can't subscribe like that", usage: str = USAGE) -> Answer:
    return Answer(question=text, intent="usage", found=False, title=title, text=f"{problem}\nUsage: {usage}")


def _subscribe(question: Question, kb: KnowledgeBase, now: dt.datetime) -> Answer:
    try:
        spec = spec_from(question.args, kb.index(), known_licences(kb))
    except Usage as problem:
        return _usage(question.text, str(problem))
    platform, workspace, channel = channel_of(question.origin)
    with Session(kb.engine) as session:
        for sub in _channel_subs(session, question.origin):
            if _same(sub, spec) and sub.active:
                return _confirm(question.text, sub, kb, "Already subscribed", "This channel already has")
            if _same(sub, spec):  # disabled when the channel was gone: on again, from now on
                sub.active, sub.disabled_reason = True, None
                sub.last_release_id, sub.last_update_id = kb.latest_release_id(), kb.latest_update_id()
                schedule_next(sub, now)
                session.commit()
                return _confirm(question.text, sub, kb, "Subscribed again", "This channel again gets")
        sub = Subscription(platform=platform, workspace=workspace, channel=channel, cadence=spec.cadence.kind,
                           at_time=spec.cadence.at.strftime("%H:%M") if spec.cadence.at else None,
                           weekday=spec.cadence.weekday, timezone=spec.zone, org_ids=list(spec.org_ids) or None,
                           open_weights_only=spec.open_weights, modality=spec.modality,
                           created_by=question.origin.user, created_at=naive(now), active=True,
                           last_release_id=kb.latest_release_id(), include_updates=spec.updates,
                           last_update_id=kb.latest_update_id(), **finder_columns(spec))
        schedule_next(sub, now)
        session.add(sub)
        session.commit()
        return _confirm(question.text, sub, kb, "Subscribed to release digests", "This channel now gets")


def schedule_next(sub: Subscription, after: dt.datetime) -> None:
    """Set the subscription's next period and due time, the first after ``after``."""
    sub.next_period, sub.next_due_at = next_schedule(sub, after)


def finder_columns(spec: Spec) -> dict:
    """The subscription columns of a spec's finder filters (None where it does not filter)."""
    return {"min_context": spec.min_context, "max_input_price": spec.max_price, "reasoning": spec.reasoning or None,
            "tool_calling": spec.tool_calling or None, "license": spec.licence}


def _same(sub: Subscription, spec: Spec) -> bool:
    return (cadence_of(sub) == spec.cadence and sub.timezone == spec.zone
            and tuple(sub.org_ids or ()) == spec.org_ids and sub.open_weights_only == spec.open_weights
            and sub.modality == spec.modality and sub.include_updates == spec.updates
            and all(getattr(sub, name) == value for name, value in finder_columns(spec).items()))


def known_licences(kb: KnowledgeBase) -> list[str]:
    """The licences models in the knowledge base have (to catch a misspelt licence in ``subscribe``)."""
    def load() -> list[str]:
        with kb.engine.connect() as conn:
            return [v for v in conn.execute(select(Model.license).distinct()).scalars() if v]
    return kb.memo("subscribe-licences", load)


def _channel_subs(session: Session, origin: Origin) -> list[Subscription]:
    platform, workspace, channel = channel_of(origin)
    return list(session.execute(select(Subscription).where(
        Subscription.platform == platform, Subscription.workspace == workspace, Subscription.channel == channel,
    ).order_by(Subscription.id)).scalars())


def describe(sub: Subscription, kb: KnowledgeBase) -> str:
    """A subscription in words: cadence, zone and filters."""
    index = kb.index()
    when = cadence_of(sub).describe()
    parts = [when if sub.cadence == "instant" else f"{when} ({sub.timezone})"]
    if sub.org_ids:
        parts.append("from " + fmt.join_names([index.name(Ref("org", i)) for i in sub.org_ids
                                               if Ref("org", i) in index.names]))
    if sub.open_weights_only:
        parts.append("open weights only")
    if sub.modality:
        parts.append(f"{sub.modality} input")
    parts += _finder_words(sub)
    if sub.include_updates:
        parts.append("with model updates")
    return ", ".join(parts)


def _finder_words(sub: Subscription) -> list[str]:
    """The finder filters of a subscription in words."""
    parts = [f"at least {size_text(sub.min_context)} tokens of context"] if sub.min_context else []
    if sub.max_input_price is not None:
        parts.append(f"input at most ${sub.max_input_price:g} per million tokens")
    if sub.reasoning is not None:
        parts.append("reasoning models" if sub.reasoning else "non-reasoning models")
    if sub.tool_calling is not None:
        parts.append("with tool calling" if sub.tool_calling else "without tool calling")
    if sub.license:
        parts.append(f"licence {sub.license}")
    return parts


def size_text(tokens: int) -> str:
    """A token count as people write it: 128k, 1M, 1.5M, 131,072."""
    for unit, scale in (("M", 1_000_000), ("k", 1000)):
        if tokens >= scale and tokens % (scale // 10 if unit == "M" else scale) == 0:
            return f"{tokens / scale:g}{unit}"
    return f"{tokens:,}"


def next_text(sub: Subscription) -> str:
    """When the next digest is due, in the channel's time zone."""
    if not sub.active:
        return f"disabled: {sub.disabled_reason or 'unknown reason'}"
    if sub.next_due_at is None:
        return "as soon as a new release arrives"
    local = aware(sub.next_due_at).astimezone(ZoneInfo(sub.timezone))
    return local.strftime("%a %d %b %Y %H:%M ") + sub.timezone


def _confirm(text: str, sub: Subscription, kb: KnowledgeBase, title: str, lead: str) -> Answer:
    body = (f"{lead} a release digest: {describe(sub, kb)}. It covers releases added from now on. "
            f"Next digest: {next_text(sub)}.")
    return Answer(question=text, intent="subscribe", found=True, title=title, text=body)


def _unsubscribe(question: Question, kb: KnowledgeBase) -> Answer:
    which = str(question.args.get("text") or question.args.get("number") or "").strip() if question.args else ""
    with Session(kb.engine) as session:
        subs = _channel_subs(session, question.origin)
        if not subs:
            return Answer(question=question.text, intent="unsubscribe", found=False, title="No subscriptions",
                          text="This channel has no digest subscriptions.")
        if which and which.lower() != "all":
            if not is_number(which) or len(which) > 6 or not 1 <= int(which) <= len(subs):
                return Answer(question=question.text, intent="usage", found=False, title="Which subscription?",
                              text=f"Give a number from 1 to {len(subs)} (see: subscriptions), or nothing for all.")
            subs = [subs[int(which) - 1]]
        gone = [describe(s, kb) for s in subs]
        session.execute(delete(Subscription).where(Subscription.id.in_([s.id for s in subs])))
        session.commit()
    n = len(gone)
    return Answer(question=question.text, intent="unsubscribe", found=True, title="Unsubscribed",
                  text=f"Removed {n} digest subscription{'s' if n != 1 else ''} from this channel: "
                       + "; ".join(gone) + ".")


def listing(origin: Origin, kb: KnowledgeBase) -> list[dict]:
    """A channel's subscriptions as data, numbered as ``subscriptions`` lists them: number, digest (in
    words), cadence, timezone, active, next (in words), next_due_at (UTC, ISO 8601, or None), since
    (the day it was made) and by (who made it, or None)."""
    with Session(kb.engine) as session:
        return [{"number": i, "digest": describe(s, kb), "cadence": s.cadence, "timezone": s.timezone,
                 "active": s.active, "next": next_text(s),
                 "next_due_at": aware(s.next_due_at).isoformat() if s.next_due_at else None,
                 "since": s.created_at.date().isoformat(), "by": s.created_by}
                for i, s in enumerate(_channel_subs(session, origin), 1)]


def _list(question: Question, kb: KnowledgeBase) -> Answer:
    with Session(kb.engine) as session:
        subs = _channel_subs(session, question.origin)
        if not subs:
            return Answer(question=question.text, intent="subscriptions", found=False, title="No subscriptions",
                          text=f"This channel has no digest subscriptions. Usage: {USAGE}")
        rows = [[str(i), describe(s, kb), next_text(s), fmt.day(s.created_at.date()), s.created_by or "—"]
                for i, s in enumerate(subs, 1)]
    n = len(rows)
    return Answer(question=question.text, intent="subscriptions", found=True, title="Digest subscriptions",
                  text=f"This channel has {n} digest subscription{'s' if n != 1 else ''}.",
                  table=Table(["#", "Digest", "Next", "Since", "By"], rows))


def preview(question: Question, kb: KnowledgeBase) -> Answer:
    """What the channel's next digest would say, from the releases waiting for it now."""
    with Session(kb.engine) as session:
        subs = [s for s in _channel_subs(session, question.origin) if s.active]
        if not subs:
            return Answer(question=question.text, intent="digest", found=False, title="No digest here",
                          text=f"This channel has no active digest subscription. Usage: {USAGE}")
        sub = subs[0]
        session.expunge(sub)
    query = query_of(kb, sub)
    releases = kb.releases_between(sub.last_release_id, kb.latest_release_id())
    changes = kb.updates_between(sub.last_update_id, kb.latest_update_id()) if sub.include_updates else []
    matcher = Matcher(kb, releases, changes)
    waiting, changes = matcher.releases(query, releases), matcher.updates(query, changes)
    digest = build_digest(items(kb, waiting[-PREVIEW_LIMIT:]), "Preview of the next digest",
                          update_items(kb, changes[-PREVIEW_LIMIT:]))
    digest.question = question.text
    digest.text += f" Subscription: {describe(sub, kb)}; next digest: {next_text(sub)}."
    return digest
