"""Free-text facts: finding the statements that answer a question, by words, topic and names."""

from __future__ import annotations

from rapidfuzz.distance import OSA

from bot import format as fmt
from bot import vocabulary as V
from bot.intents import Parsed
from bot.question import Answer
from knowledge.matching import Ref, normalize
from knowledge.store import FactInfo, KnowledgeBase


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _same_word(a: str, b: str) -> bool:
    if a == b or _stem(a) == _stem(b):
        return True
    return len(a) >= 8 and len(b) >= 8 and OSA.distance(a, b) <= 1


def fact_score(fact: FactInfo, words: list[str], content: list[str]) -> int:
    """How well a fact answers: content words it shares (2 each), words pointing at its topic (1 each)."""
    text_words = set(fact.norm.split())
    topic = (fact.topic or "").lower()
    topic_words = V.TOPIC_WORDS.get(topic, ())
    score = 0
    for word in set(words):
        if word in content and any(_same_word(word, t) for t in text_words):
            score += 2
        elif word in topic_words or word == topic:
            score += 1
    return score


def best_facts(kb: KnowledgeBase, parsed: Parsed, subjects: list[Ref] | None, minimum: int = 2,
               limit: int = 3) -> list[FactInfo]:
    """The facts that best answer the question, strongest first.

    With ``subjects``, a fact counts when it is about one of them or names one in its text. A fact
    that links two names of the question (its subject and a name in its text) gains 3 per link.
    """
    index = kb.index()
    mentioned = parsed.models + parsed.benchmarks + parsed.orgs
    keys = {r: f" {normalize(index.name(r))} " for r in mentioned}
    ranked = []
    for fact in kb.all_facts():
        text = f" {fact.norm} "
        named = [r for r in mentioned if r != fact.subject and keys[r] in text]
        if subjects and fact.subject not in subjects and not any(r in subjects for r in named):
            continue
        links = len(named) if fact.subject in mentioned else max(len(named) - 1, 0)
        score = fact_score(fact, parsed.words, parsed.content_words) + 3 * links
        if score >= minimum:
            ranked.append((score, fact))
    ranked.sort(key=lambda pair: -pair[0])
    if not ranked:
        return []
    top = ranked[0][0]
    return [fact for score, fact in ranked if score >= max(minimum, top - 1)][:limit]


def fact_lines(facts: list[FactInfo], cites: fmt.Citations) -> list[str]:
    """Each fact as a sentence with its citation marker."""
    return [f"{f.text} {cites.cite(f.source)}".rstrip() for f in facts]


def fact_answer(kb: KnowledgeBase, question: str, parsed: Parsed, subjects: list[Ref] | None,
                minimum: int = 2) -> Answer | None:
    """An answer from free-text facts scoring at least ``minimum``, or None when none does."""
    facts = best_facts(kb, parsed, subjects, minimum)
    if not facts:
        return None
    index = kb.index()
    cites = fmt.Citations()
    about = fmt.join_names([index.name(s) for s in subjects]) if subjects else "the knowledge base"
    return Answer(question, "fact", True, f"About {about}", " ".join(fact_lines(facts, cites)),
                  sources=cites.refs)
