"""Questions in several parts: "GPQA of Muse Spark and context window of Gemini 2.5 Pro".

A question splits at "and" or ";" when at least two of its clauses each ask something whole (a score
or a field of a model they name, or a benchmark's leaders); each clause is answered on its own and
the answers are joined, their sources numbered once. A clause that points back ("and what's its
GPQA?") does not split the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot import vocabulary as V
from bot.intents import Parsed
from bot.values import Answer, SourceRef

_SPLIT = re.compile(r"\s*(?:;|,?\s+\band\b\s+|,?\s+\balso\b\s+)\s*", re.IGNORECASE)
_MARKER = re.compile(r"\[(\d+)\]")
MAX_PARTS = 3


def may_have_parts(parsed: Parsed) -> bool:
    """Whether a question names enough for two parts: two models, or two benchmarks (families count)."""
    kinds = [f.refs[0].kind for f in parsed.families]
    return len(parsed.models) + kinds.count("model") > 1 or len(parsed.benchmarks) + kinds.count("benchmark") > 1


def clauses(text: str, parse: Callable[[str], Parsed]) -> list[tuple[str, Parsed]]:
    """The clauses of a question that each ask something of a model they name; [] when it has not two."""
    parts = [p for p in _SPLIT.split(text) if p.strip()]
    if len(parts) < 2:
        return []
    parsed = [(part, parse(part)) for part in parts]
    asking = [(t, p) for t, p in parsed if _asks(p)]
    return asking[:MAX_PARTS] if len(asking) >= 2 and len(asking) == len(parsed) else []


def _asks(p: Parsed) -> bool:
    """A clause that asks something whole: of a model it names, or for a benchmark's leaders."""
    if p.problems:
        return False
    kinds = {f.refs[0].kind for f in p.families}
    models, benchmarks = bool(p.models) or "model" in kinds, bool(p.benchmarks) or "benchmark" in kinds
    if models:
        return benchmarks or bool(p.fields)
    return benchmarks and (p.has(V.LEADERBOARD_WORDS) or p.count is not None)


def combine(question: str, answers: list[Answer]) -> Answer:
    """One answer made of several: texts in order, sources numbered once, the first table and chart."""
    sources: list[SourceRef] = []
    texts = []
    for part in answers:
        mapping = {}
        for n, ref in enumerate(part.sources, 1):
            if ref not in sources:
                sources.append(ref)
            mapping[n] = sources.index(ref) + 1
        texts.append(_renumber(part.text, mapping))
        part.table = _renumbered(part.table, mapping)
    first = answers[0]
    table = next((a.table for a in answers if a.table), None)
    fields = [f for a in answers for f in a.fields]
    return Answer(question=question, intent=first.intent, found=all(a.found for a in answers),
                  title=" · ".join(a.title for a in answers), text="\n".join(texts), table=table, fields=fields,
                  sources=sources, chart=first.chart)


def _renumber(text: str, mapping: dict[int, int]) -> str:
    """Citation markers ("[2]") numbered as in the combined answer."""
    return _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", text)


def _renumbered(table, mapping: dict[int, int]):
    if table is None:
        return None
    table.rows = [[_renumber(cell, mapping) for cell in row] for row in table.rows]
    return table
