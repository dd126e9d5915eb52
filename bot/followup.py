"""Follow-up questions: a question that names less than it needs continues the conversation's last one.

"and GPT-5.4?" after a score keeps the benchmark, "and on ARC-AGI-2?" after a comparison keeps the
models, "which is cheaper?" asks the last models for their prices. A question that names what it
needs, or that has nothing to take from the last one, is answered on its own. The context is
plain data (ids and words), kept by ``bot.conversation`` per conversation.
"""

from __future__ import annotations

from typing import Any

from bot import vocabulary as V
from bot.intents import Parsed
from bot.values import Answer
from knowledge.matching import AliasIndex, Ref

_KEPT_INTENTS = frozenset({"score", "compare", "leaderboard", "model", "model_fact", "benchmark", "fact", "org",
                           "fields", "releases"})
_RECENT = 4


def context_of(parsed: Parsed, answer: Answer, previous: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """What a follow-up may take from this answer: the entities it was about, what was asked, and the
    models of the last few questions ("which one is cheaper?" after asking about two, one at a time).

    An answer that knew none of the names still passes on what was asked ("grok 4 heavy gpqa", then
    "and plain grok 4?").
    """
    asked = bool(parsed.benchmarks or parsed.fields)
    if answer.intent not in _KEPT_INTENTS and not (answer.intent == "unknown" and asked):
        return None
    models = [ref.id for ref in parsed.models]
    earlier = previous.get("recent") if isinstance(previous, dict) else None
    recent = list(dict.fromkeys(models + [i for i in earlier or [] if isinstance(i, int)]))[:_RECENT]
    return {
        "intent": answer.intent,
        "models": models,
        "benchmarks": [ref.id for ref in parsed.benchmarks],
        "orgs": [ref.id for ref in parsed.orgs],
        "fields": list(parsed.fields),
        "count": parsed.count,
        "recent": recent,
    }


def continue_from(parsed: Parsed, context: dict[str, Any] | None, index: AliasIndex) -> Parsed:
    """The question with what it leaves out taken from the last one, when it reads as a follow-up."""
    if not context or parsed.problems or not _reads_as_followup(parsed):
        return parsed
    last = _Last(context, index)
    if last.intent == "releases" and not parsed.models and not parsed.benchmarks and not parsed.fields:
        parsed.releases = True
        parsed.orgs = parsed.orgs or last.orgs
        return parsed
    if parsed.orgs:
        return parsed
    kinds = {family.refs[0].kind for family in parsed.families}
    models = bool(parsed.models) or "model" in kinds
    benchmarks = bool(parsed.benchmarks) or "benchmark" in kinds
    if models and not benchmarks and not parsed.fields:
        _new_models(parsed, last)
    elif benchmarks and not models:
        if last.intent == "leaderboard" or parsed.has(V.LEADERBOARD_WORDS):
            parsed.leaderboard = True
            parsed.count = parsed.count or last.count
        else:
            parsed.models = list(last.models)
    elif not models and not benchmarks:
        _nothing_named(parsed, last)
    return parsed


def _new_models(parsed: Parsed, last: _Last) -> None:
    """Other models, the same question: "and GPT-5.4?"; "how does that compare to GPT-5.4?" adds them."""
    if parsed.has(V.COMPARE_WORDS):
        parsed.models = [m for m in last.models if m not in parsed.models] + parsed.models
    parsed.benchmarks = list(last.benchmarks)
    if not last.benchmarks:
        parsed.fields = list(last.fields)


def _nothing_named(parsed: Parsed, last: _Last) -> None:
    if (parsed.has(V.LEADERBOARD_WORDS) or last.intent == "leaderboard") and last.benchmarks \
            and not parsed.fields:
        parsed.benchmarks = list(last.benchmarks)
        parsed.leaderboard = True
        return
    parsed.models = list(last.models)
    if len(last.models) < 2 and (parsed.has(V.COMPARE_WORDS) or "which" in parsed.words) and len(last.recent) > 1:
        parsed.models = last.recent[:2]
    if not parsed.fields and not _asks_its_own(parsed):
        parsed.benchmarks = list(last.benchmarks)
        parsed.fields = [] if last.benchmarks else list(last.fields)


def _asks_its_own(parsed: Parsed) -> bool:
    """A question with words of its own ("where can I use it?") asks something new of the same models."""
    return any(w not in V.FUNCTION_WORDS and w not in V.FOLLOWUP_POINTERS and w not in V.FOLLOWUP_OPENERS
               and w not in V.COMPARE_WORDS and w not in V.LEADERBOARD_WORDS and w.isalpha()
               for w in parsed.words)


def _reads_as_followup(parsed: Parsed) -> bool:
    """A follow-up begins like one ("and", "what about"), points back ("there", "it"), or is a few words."""
    words = parsed.words
    if not words:
        return False
    if words[0] in V.FOLLOWUP_OPENERS or " ".join(words[:2]) in V.FOLLOWUP_OPENERS:
        return True
    if any(w in V.FOLLOWUP_POINTERS for w in words):
        return True
    named = bool(parsed.models or parsed.benchmarks)
    if not named:
        return bool(parsed.fields) or parsed.has(V.COMPARE_WORDS) or parsed.has(V.LEADERBOARD_WORDS)
    return len(words) <= 3 and not parsed.fields


class _Last:
    """The last question's entities, dropping any the knowledge base no longer has."""

    def __init__(self, context: dict[str, Any], index: AliasIndex):
        self.intent = context.get("intent")
        self.models = _refs("model", context.get("models"), index)
        self.recent = _refs("model", context.get("recent"), index)
        self.benchmarks = _refs("benchmark", context.get("benchmarks"), index)
        self.orgs = _refs("org", context.get("orgs"), index)
        self.fields = [f for f in context.get("fields") or [] if isinstance(f, str) and f in V.FIELD_KEYWORDS]
        count = context.get("count")
        self.count = count if isinstance(count, int) and not isinstance(count, bool) else None


def _refs(kind: str, ids: Any, index: AliasIndex) -> list[Ref]:
    if not isinstance(ids, list):
        return []
    return [Ref(kind, i) for i in ids if isinstance(i, int) and Ref(kind, i) in index.names]
