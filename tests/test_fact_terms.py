"""The fact-term index (``fact_terms``) finds the same facts as reading every fact did."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.answers import facts as F
from bot.intents import parse
from knowledge.db import ensure_ready
from knowledge.packs import import_file
from knowledge.schema import Fact, FactTerm
from knowledge.store import KnowledgeBase

PACK = """\
pack: fact-terms
organizations:
  - {name: Acme Labs, aliases: [Acme]}
models:
  - {name: Roadrunner 1, org: Acme}
  - {name: Coyote 2, org: Acme}
facts:
  - {subject: Roadrunner 1, text: Roadrunner 1 was trained on 12 trillion tokens of licensed data., topic: training}
  - {subject: Roadrunner 1, text: Roadrunner 1 was delayed by 3 months after a safety review., topic: history}
  - {subject: Coyote 2, text: Coyote 2 beats Roadrunner 1 at long-horizon planning and tool use., topic: capabilities}
  - {subject: Acme, text: Acme raised 2.5 billion dollars in its latest funding round in 2025., topic: business}
  - {subject: Acme, text: Acme trained Coyote 2 on a cluster of 40000 GPUs., topic: compute}
  - {subject: Coyote 2, text: The weights of Coyote 2 can be downloaded for research use., topic: licensing}
"""

QUESTIONS = [
    "How many tokens was Roadrunner 1 trained on?", "Was Roadrunner 1 delayed?", "who raised money in 2025",
    "how much did Acme raise", "Is Coyote 2 better than Roadrunner 1 at planning?", "what GPUs trained Coyote 2",
    "can I download the weights of Coyote 2", "which models were delayed after a safety review",
    "tell me about training data", "funding round", "Acme licensing", "Muse Spark training compute",
    "How was Muse Spark trained?", "who makes Muse Spark", "GPT-5.4 availability", "nothing relevant here",
]


def old_best_facts(kb, parsed, subjects, minimum=2, limit=3):
    """best_facts as it was: every fact read and indexed in memory."""
    facts = kb.all_facts()
    stems = [frozenset(F._stem(w) for w in f.norm.split()) for f in facts]
    by_stem, by_topic = defaultdict(list), defaultdict(list)
    for i, fact in enumerate(facts):
        for s in stems[i]:
            by_stem[s].append(i)
        by_topic[(fact.topic or "").lower()].append(i)
    index = kb.index()
    mentioned = parsed.models + parsed.benchmarks + parsed.orgs
    keys = {r: f" {F.normalize(index.name(r))} " for r in mentioned}
    content = {F._stem(w) for w in parsed.content_words}
    content |= {F._stem(s) for w in parsed.content_words for s in F._SAME.get(w, ())}
    topics = defaultdict(int)
    for word in set(parsed.words):
        for topic in F._WORD_TOPICS.get(word, ()):
            topics[topic] += 1
    candidates = set()
    for s in content:
        candidates.update(by_stem.get(s, ()))
    for topic in topics:
        candidates.update(by_topic.get(topic, ()))
    ranked = []
    for i in candidates:
        fact = facts[i]
        text = f" {fact.norm} "
        named = [r for r in mentioned if r != fact.subject and keys[r] in text]
        if subjects and fact.subject not in subjects and not any(r in subjects for r in named):
            continue
        shared = len(content & stems[i])
        links = len(named) if fact.subject in mentioned else max(len(named) - 1, 0)
        on_topic = topics.get((fact.topic or "").lower(), 0)
        if content and not shared and not on_topic:
            links = 0
        if subjects and fact.subject not in subjects and not shared:
            continue
        score = 2 * shared + on_topic + 3 * links
        if score >= minimum:
            ranked.append((-score, i))
    ranked.sort()
    if not ranked:
        return []
    top = -ranked[0][0]
    return [facts[i] for score, i in ranked if -score >= max(minimum, top - 1)][:limit]


@pytest.fixture
def kb(engine, tmp_path):
    ensure_ready(engine)
    path = tmp_path / "facts.yaml"
    path.write_text(PACK, encoding="utf-8")
    import_file(engine, path)
    return KnowledgeBase(engine)


def test_the_index_finds_the_same_facts_as_the_scan(kb):
    compared = 0
    for question in QUESTIONS:
        parsed = parse(question, kb.index())
        for subjects in (None, parsed.models or None, parsed.orgs or None):
            for minimum in (1, 2, 3):
                assert F.best_facts(kb, parsed, subjects, minimum) == old_best_facts(kb, parsed, subjects, minimum), \
                    (question, subjects, minimum)
                compared += 1
    assert compared == len(QUESTIONS) * 9


def test_every_fact_is_indexed_and_deleting_a_fact_drops_its_terms(kb, engine):
    with Session(engine) as session:
        facts = session.execute(select(func.count()).select_from(Fact)).scalar()
        indexed = session.execute(select(func.count(func.distinct(FactTerm.fact_id)))).scalar()
        assert facts and indexed == facts
        assert session.execute(select(func.count()).select_from(FactTerm).where(FactTerm.stem == ":training")).scalar()
        victim = session.execute(select(Fact.id).limit(1)).scalar()
        session.execute(delete(Fact).where(Fact.id == victim))
        session.commit()
        assert not session.execute(select(FactTerm).where(FactTerm.fact_id == victim)).first()


def test_facts_about_a_subject_are_in_the_order_written(kb):
    everything = kb.all_facts()
    subjects = {f.subject for f in everything}
    assert len(subjects) >= 3
    for subject in subjects:
        assert kb.facts_about(subject) == [f for f in everything if f.subject == subject]
