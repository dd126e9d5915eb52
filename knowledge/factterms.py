"""The word index of free-text facts: each fact's word stems (and ``:topic``) in ``fact_terms``.

Questions look facts up by these terms in the database instead of reading every fact. Every path
that writes facts calls ``index_facts`` for the facts it wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from knowledge.matching import normalize
from knowledge.schema import Fact, FactTerm

BATCH = 5000


def stem(word: str) -> str:
    """A crude stem: one common English ending cut, keeping at least four letters."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def topic_term(topic: str) -> str:
    """The term of a fact's topic (a stem never starts with a colon)."""
    return ":" + topic.lower()


def terms(text: str, topic: str | None) -> set[str]:
    """The terms of one fact. Numbers other than years are left out: a question's content words
    never hold them (``bot.intents.Parsed.content_words``)."""
    found = {stem(w) for w in normalize(text).split() if not w.isdigit() or len(w) == 4}
    if topic:
        found.add(topic_term(topic))
    return found


def index_facts(session: Session, fact_ids: Iterable[int], progress=None) -> None:
    """(Re)write the terms of these facts from their stored text and topic."""
    ids = sorted(fact_ids)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        session.execute(delete(FactTerm).where(FactTerm.fact_id.in_(batch)))
        rows = session.execute(select(Fact.id, Fact.text, Fact.topic).where(Fact.id.in_(batch))).all()
        values = [{"stem": term, "fact_id": fact_id} for fact_id, text, topic in rows for term in terms(text, topic)]
        if values:
            session.execute(insert(FactTerm), values)
        if progress:
            progress("fact index", min(start + BATCH, len(ids)), len(ids))
