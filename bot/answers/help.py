"""Help, and the plain "I don't know" with its did-you-mean suggestions."""

from __future__ import annotations

from bot import format as fmt
from bot.intents import Parsed
from bot.question import Answer
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
    return Answer(question, "help", True, "What modelwire answers", text)


def _describe(mention: Mention) -> str:
    if mention.status == "ambiguous":
        return f"'{mention.text}' could be {fmt.join_names(mention.suggestions)}"
    return f"I don't know '{mention.text}'"


def unknown_names(kb: KnowledgeBase, question: str, parsed: Parsed, mentions: list[Mention]) -> Answer:
    """Names that resolved to nothing (or to several things): say so, never answer for a neighbour."""
    suggestions: list[str] = []
    followups: list[str] = []
    for mention in mentions:
        for name in mention.suggestions:
            if name not in suggestions:
                suggestions.append(name)
                followups.append(question.replace(mention.text, name, 1))
    text = "; ".join(_describe(m) for m in mentions) + "."
    if not suggestions:
        text += " It is not in the knowledge base."
    return Answer(question, "unknown", False, "Not in the knowledge base", text, suggestions=suggestions[:3],
                  followups=followups[:3])


def cannot_answer(question: str, reason: str, suggestions: list[str] | None = None) -> Answer:
    """A plain "I can't answer that", with an optional hint and suggestions."""
    return Answer(question, "unknown", False, "I don't know", reason, suggestions=suggestions or [])
