"""The question in a long message: chat messages wrap it in greetings, context and asides.

A message longer than ``LONG`` characters is read sentence by sentence. The sentence that names
something and asks (a "?", a field, a comparison) is the question; names in the sentences before it
fill in what it points back to ("I'm testing Muse Spark. What did it score on GPQA?"). Other
questions in the message are listed after the answer, so nothing asked is silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot import followup
from bot import vocabulary as V
from bot.intents import Parsed
from knowledge.matching import AliasIndex

LONG = 200
_SENTENCE_END = re.compile(r"(?<=[.!?。？！])\s+|\s*\n+\s*")
_ASKING = V.COMPARE_WORDS | V.LEADERBOARD_WORDS | V.RELEASE_WORDS


def sentences(text: str) -> list[str]:
    """The sentences of a message, in order, without empty ones."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def question_in(text: str, parse: Callable[[str], Parsed], index: AliasIndex) -> tuple[Parsed, list[str]]:
    """The parsed question of a message, and the other questions it asks (at most two)."""
    parts = sentences(text) if len(text) > LONG else []
    if len(parts) < 2:
        return parse(text), []
    parsed = [parse(s) for s in parts]
    scores = [_weight(s, p) for s, p in zip(parts, parsed)]
    if max(scores) <= 0:
        return parse(text), []
    best = max(range(len(parts)), key=lambda i: (scores[i], i))
    before = _context_before(parsed[:best])
    chosen = followup.continue_from(parsed[best], before, index) if before else parsed[best]
    others = [parts[i] for i in range(len(parts)) if i != best and scores[i] >= 4 and "?" in parts[i]]
    return chosen, others[:2]


def also_asked(others: list[str]) -> str:
    """A line that names the questions of a message left unanswered."""
    quoted = "; ".join(f"“{_clip(o)}”" for o in others)
    return f"You also asked {quoted}: ask {'it' if len(others) == 1 else 'them'} on its own for an answer."


def _weight(sentence: str, p: Parsed) -> int:
    """How much a sentence looks like the question: models and benchmarks it names count most, then a
    question mark, then organizations and families."""
    named = 3 * min(len(p.models) + len(p.benchmarks), 2) + min(len(p.orgs) + len(p.families), 2)
    asks = bool(p.fields) or p.has(_ASKING) or p.since is not None or p.until is not None
    if not (named or asks or p.problems):
        return 0
    return named + bool(p.problems) + 3 * ("?" in sentence or "？" in sentence) + asks


def _context_before(earlier: list[Parsed]) -> dict | None:
    for p in reversed(earlier):
        if p.models or p.benchmarks:
            return {"intent": "model", "models": [r.id for r in p.models],
                    "benchmarks": [r.id for r in p.benchmarks], "fields": list(p.fields)}
    return None


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
