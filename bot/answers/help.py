"""Help, and the plain "I don't know" with its did-you-mean suggestions."""

from __future__ import annotations

from bot import format as fmt
from bot.values import Answer
from knowledge.matching import Mention
from knowledge.store import KnowledgeBase

EXAMPLES = [
    "What did Muse Spark score on GPQA Diamond?",
    "Muse Spark vs GPT-5.4",
    "Compare Muse Spark, GPT-5.4 and Claude Opus 4.6 on HealthBench Hard",
    "Is Muse Spark better than Claude Opus 4.6 at CharXiv Reasoning?",
    "Top 5 on GPQA Diamond",
    "Is Muse Spark open source?",
    "What does ARC-AGI-2 measure?",
    "How much compute did Muse Spark use?",
    "Latest releases by Meta",
]


def help_answer(kb: KnowledgeBase, question: str) -> Answer:
    """What modelwire answers, with examples and the size of the knowledge base."""
    counts = kb.counts()
    text = (
        "I answer questions about AI models from a curated knowledge base, always with sources: "
        "scores on benchmarks, comparisons, leaderboards, model facts (maker, release date, open weights, "
        "modalities, context window, pricing, modes, aliases), what a benchmark measures, business and "
        "training facts, and recent releases. I never guess a number: when I don't know, I say so.\n"
        f"The knowledge base holds {counts['models']} models, {counts['benchmarks']} benchmarks, "
        f"{counts['scores']} scores and {counts['releases']} release records.\n"
        "Try:\n" + "\n".join(f"  {e}" for e in EXAMPLES)
    )
    return Answer(question=question, intent="help", found=True, title="What modelwire answers", text=text)


def not_known(question: str, names: list[tuple[str, str, list[str]]]) -> Answer:
    """Names that resolved to nothing or to several things: say so, never answer for a neighbour.

    ``names`` are (the name as asked, "ambiguous" or "unknown", closest known names). Each
    suggestion comes with the question asked again with that name in place of the one asked.
    """
    parts, suggestions, followups = [], [], []
    for asked, status, closest in names:
        parts.append(f"'{asked}' could be {fmt.join_names(closest)}" if status == "ambiguous"
                     else f"I don't know '{asked}'")
        for name in closest:
            if name not in suggestions:
                suggestions.append(name)
                followups.append(question.replace(asked, name, 1) if asked and asked in question else name)
    text = "; ".join(parts) + "."
    if not suggestions:
        text += " It is not in the knowledge base."
    return Answer(question=question, intent="unknown", found=False, title="Not in the knowledge base", text=text,
                  suggestions=suggestions[:3], followups=followups[:3])


MAX_UNKNOWN = 3


def unknown_names(question: str, mentions: list[Mention]) -> Answer:
    """Names in running text that matched nothing, or several things: the three most name-like."""
    ranked = sorted(mentions, key=_name_likeness, reverse=True)[:MAX_UNKNOWN]
    shown = [m for m in mentions if m in ranked]
    answer = not_known(question, [(m.text, m.status, m.suggestions) for m in shown])
    if len(mentions) > len(shown):
        answer.text += f" ({fmt.count(len(mentions) - len(shown), 'other unknown word')} left out.)"
    return answer


def _name_likeness(mention: Mention) -> tuple[int, int, int]:
    digits = sum(ch.isdigit() for ch in mention.text)
    return (mention.status != "unknown", int(mention.namey) + bool(mention.suggestions), min(digits, 1))


def cannot_answer(question: str, reason: str, suggestions: list[str] | None = None) -> Answer:
    """A plain "I can't answer that", with an optional hint and suggestions."""
    return Answer(question=question, intent="unknown", found=False, title="I don't know", text=reason,
                  suggestions=suggestions or [])
