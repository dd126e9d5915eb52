"""Follow-up questions: each conversation keeps the context of its last answer for a while.

A conversation is named by a key (``key_for``): the platform, the workspace or guild, the channel,
and the thread when there is one, else the person. Its context (the last ``Answer.context`` that set
one) lives in the ``conversations`` table for ``TTL`` after the answer, so every replica of a bot
sees it. Storage never costs an answer: when the database fails, the question is answered on its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
from typing import Any

from sqlalchemy import Insert, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import naive, utcnow
from bot.engine import answer
from bot.values import Answer, Origin, Question
from knowledge.schema import Conversation
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.conversation")
TTL = dt.timedelta(minutes=30)
"""How long after its last answer a conversation's context is still used."""
PRUNE_EVERY = 200
"""Every this many saves (per process, the first included), contexts older than TTL are deleted."""
MAX_KEY = 255
_saves = itertools.count()


def key_for(origin: Origin) -> str:
    """The key of the conversation a question belongs to.

    ``platform:workspace:channel:thread:THREAD`` when the question is in a thread (everyone in the
    thread shares it), else ``platform:workspace:channel:user:USER``; a missing part is ``-``.
    """
    where = ":".join(part or "-" for part in (origin.platform, origin.workspace, origin.channel))
    if origin.thread:
        return f"{where}:thread:{origin.thread}"
    return f"{where}:user:{origin.user or '-'}"


def _stored(key: str) -> str:
    """The key as stored: one longer than the column keeps its head and a digest of the whole."""
    if len(key) <= MAX_KEY:
        return key
    return f"{key[:MAX_KEY - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"


def _naive_utc(now: dt.datetime | None) -> dt.datetime:
    now = now or utcnow()
    return naive(now) if now.tzinfo else now


def load(engine: Engine, key: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The conversation's context, or None when it has none, it is older than TTL or it is not readable."""
    with engine.connect() as conn:
        row = conn.execute(select(Conversation.context, Conversation.updated_at)
                           .where(Conversation.key == _stored(key))).first()
    if row is None or row.updated_at < _naive_utc(now) - TTL:
        return None
    try:
        context = json.loads(row.context)
    except (TypeError, ValueError):
        log.warning("unreadable context of conversation %s: ignored", key)
        return None
    return context if isinstance(context, dict) else None


def save(engine: Engine, key: str, context: dict[str, Any], now: dt.datetime | None = None) -> None:
    """Store the conversation's context (insert or replace, safe when replicas save at once); now and
    then delete the contexts that have expired."""
    now = _naive_utc(now)
    values = {"key": _stored(key), "context": json.dumps(context, ensure_ascii=False), "updated_at": now}
    with engine.begin() as conn:
        conn.execute(_upsert(engine.dialect.name, values))
    if next(_saves) % PRUNE_EVERY == 0:
        prune(engine, now)


def _upsert(dialect: str, values: dict[str, Any]) -> Insert:
    """Insert the row, or replace its context and time when the key is there (PostgreSQL's upsert, else SQLite's)."""
    replaced = {"context": values["context"], "updated_at": values["updated_at"]}
    if dialect == "postgresql":
        return postgresql.insert(Conversation).values(**values).on_conflict_do_update(
            index_elements=[Conversation.key], set_=replaced)
    return sqlite.insert(Conversation).values(**values).on_conflict_do_update(
        index_elements=[Conversation.key], set_=replaced)


def prune(engine: Engine, now: dt.datetime | None = None) -> int:
    """Delete the contexts older than TTL; how many went."""
    with engine.begin() as conn:
        return conn.execute(delete(Conversation).where(Conversation.updated_at < _naive_utc(now) - TTL)).rowcount


def answer_in_conversation(question: Question, kb: KnowledgeBase, today: dt.date | None = None,
                           now: dt.datetime | None = None) -> Answer:
    """Answer a question in its conversation: with the context of the conversation's last answer, and
    keep this answer's context for the next question (an answer without one, such as help or an
    error, leaves it as it was). Without ``question.conversation``, just ``bot.engine.answer``."""
    key = question.conversation
    if key is None:
        return answer(question, kb, today)
    now = _naive_utc(now)
    result = answer(question, kb, today, context=_load_safely(kb.engine, key, now))
    if result.context is not None:
        _save_safely(kb.engine, key, result.context, now)
    return result


def _load_safely(engine: Engine, key: str, now: dt.datetime) -> dict[str, Any] | None:
    try:
        return load(engine, key, now)
    except SQLAlchemyError as exc:
        log.error("could not load the context of conversation %s: %r; answering without it", key, exc)
        return None


def _save_safely(engine: Engine, key: str, context: dict[str, Any], now: dt.datetime) -> None:
    try:
        save(engine, key, context, now)
    except (SQLAlchemyError, TypeError, ValueError) as exc:
        log.error("could not save the context of conversation %s: %r", key, exc)
