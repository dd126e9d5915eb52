"""Free-text facts: finding the statements that answer a question, by words, topic and names."""

from __future__ import annotations

from collections import defaultdict

from bot import format as fmt
from bot import vocabulary as V
from bot.intents import Parsed
from bot.values import Answer
from knowledge.factterms import stem, topic_term
from knowledge.matching import Ref, normalize
from knowledge.store import FactInfo, KnowledgeBase
from knowledge.words import is_foreign

_SAME: dict[str, set[str]] = {}
for _group in V.SYNONYMS:
    for _word in _group:
        _SAME.setdefault(_word, set()).update(_group)

_WORD_TOPICS: dict[str, set[str]] = {}
for _topic, _words in V.TOPIC_WORDS.items():
    for _word in (_topic, *_words):
        _WORD_TOPICS.setdefault(_word, set()).add(_topic)


_stem = stem


def best_facts(kb: KnowledgeBase, parsed: Parsed, subjects: list[Ref] | None, minimum: int = 2,
               limit: int = 3) -> list[FactInfo]:
    """The facts that best answer the question, strongest first.

    A fact scores 2 for each content word of the question it shares (by stem) and 1 for each word
    pointing at its topic. With ``subjects``, a fact counts when it is about one of them, or names one
    in its text and shares a word with the question. A fact that links two names of the question
    gains 3 per link.

    The database's fact index ranks the facts that name none of the question's names
    (``KnowledgeBase.fact_scores``); the few that may name one are read and scored here.
    """
    index = kb.index()
    mentioned = parsed.models + parsed.benchmarks + parsed.orgs
    keys = {r: f" {normalize(index.name(r))} " for r in mentioned}
    content = {_stem(w) for w in parsed.content_words}
    content |= {_stem(s) for w in parsed.content_words for s in _SAME.get(w, ())}
    topics: dict[str, int] = defaultdict(int)
    for word in set(parsed.words):
        for topic in _WORD_TOPICS.get(word, ()):
            topics[topic] += 1
    if not content and not topics:
        return []
    naming = _facts_naming(kb, keys.values())
    ranked = [(-score, i) for i, score in _linked_scores(kb.facts_by_id(naming), mentioned, keys, content, topics,
                                                          subjects) if score >= minimum]
    weights = {s: 2 for s in content} | {topic_term(t): n for t, n in topics.items()}
    ranked += [(-score, i) for i, score in kb.fact_scores(weights, subjects, minimum, limit + len(naming))
               if i not in naming]
    ranked.sort()
    if not ranked:
        return []
    top = -ranked[0][0]
    chosen = [i for score, i in ranked if -score >= max(minimum, top - 1)][:limit]
    found = kb.facts_by_id(chosen)
    return [found[i] for i in chosen]


def _facts_naming(kb: KnowledgeBase, keys) -> set[int]:
    """Facts that may hold one of these names in their text: those with every indexed word of one."""
    found: set[int] = set()
    for key in keys:
        words = [w for w in key.split() if not w.isdigit() or len(w) == 4]
        if words:
            found.update(kb.facts_with_terms(_stem(w) for w in words))
    return found


def _linked_scores(facts: dict[int, FactInfo], mentioned: list[Ref], keys: dict[Ref, str], content: set[str],
                   topics: dict[str, int], subjects: list[Ref] | None) -> list[tuple[int, int]]:
    """``(id, score)`` of facts that may name the question's names, scored word by word."""
    out = []
    for i, fact in facts.items():
        stems = frozenset(_stem(w) for w in fact.norm.split())
        shared = len(content & stems)
        on_topic = topics.get((fact.topic or "").lower(), 0)
        if not shared and not on_topic:
            continue
        text = f" {fact.norm} "
        named = [r for r in mentioned if r != fact.subject and keys[r] in text]
        if subjects and fact.subject not in subjects and not any(r in subjects for r in named):
            continue
        links = len(named) if fact.subject in mentioned else max(len(named) - 1, 0)
        if content and not shared and not on_topic:  # names in common make a fact relevant only to what is asked
            links = 0
        if subjects and fact.subject not in subjects and not shared:
            continue
        out.append((i, 2 * shared + on_topic + 3 * links))
    return out


def fact_lines(facts: list[FactInfo], cites: fmt.Citations) -> list[str]:
    """Each fact as a sentence with its citation marker."""
    return [f"{f.text} {cites.cite(f.source)}".rstrip() for f in facts]


def fact_answer(kb: KnowledgeBase, question: str, parsed: Parsed, subjects: list[Ref] | None,
                minimum: int = 2) -> Answer | None:
    """An answer from free-text facts scoring at least ``minimum``, or None when none does.

    Asked "how many" or "how much", facts without a number are related, not the answer: the answer
    then says first that the knowledge base gives no figure.
    """
    facts = best_facts(kb, parsed, subjects, minimum)
    if not facts:
        return None
    index = kb.index()
    cites = fmt.Citations()
    about = fmt.join_names([index.name(s) for s in subjects]) if subjects else "the knowledge base"
    lines = " ".join(fact_lines(facts, cites))
    if _asks_quantity(parsed) and not any(_has_number(f.norm) for f in facts):
        subject = fmt.join_names([index.name(s) for s in subjects]) if subjects else "that"
        return Answer(question=question, intent="fact", found=False, title=f"About {about}",
                      text=f"The knowledge base gives no figure for that about {subject}. Related: {lines}",
                      sources=cites.refs)
    return Answer(question=question, intent="fact", found=True, title=f"About {about}", text=lines, sources=cites.refs)


def not_held(kb: KnowledgeBase, question: str, subject: Ref, words: list[str]) -> Answer:
    """The knowledge base holds nothing on what was asked about a model or organization."""
    name = kb.index().name(subject)
    asked = fmt.join_names([f"“{w}”" for w in words[:3]])
    text = (f"The knowledge base has nothing on {asked} for {name}. "
            f"Ask for {name} on its own to see what it holds.")
    return Answer(question=question, intent="fact", found=False, title=f"{name}: not known", text=text,
                  suggestions=[name], followups=[name])


def specific_words(parsed: Parsed) -> list[str]:
    """Words of a question that ask for something in particular: no question words, no names. A
    question in another language has none the bot can judge."""
    if parsed.langs:
        return []
    return [w for w in parsed.content_words if w.isalpha() and len(w) > 2 and w not in V.GENERIC_WORDS
            and not is_foreign(w)
            and not any(w in phrase.split() for phrases in V.FIELD_KEYWORDS.values() for phrase in phrases)
            and w not in V.COMPARE_WORDS | V.LEADERBOARD_WORDS | V.RELEASE_WORDS | V.HELP_WORDS]


def _asks_quantity(parsed: Parsed) -> bool:
    words = parsed.words
    return any(a == "how" and b in ("many", "much") for a, b in zip(words, words[1:]))


def _has_number(norm: str) -> bool:
    return any(w.isdigit() or w in V.NUMBER_WORDS for w in norm.split())
