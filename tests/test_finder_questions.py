"""Finder questions in free text, by phrasing family, on SQLite and PostgreSQL.

Each question goes through ``bot.engine.answer`` on the pack of ``tests/test_finder.py`` (with the bundled
packs, as the ``kb`` fixture loads them), asked on 2026-11-30. Its meaning is written here as a spec of
ModelQuery fields, and the rows it must show are computed by that module's ``reference`` (plain Python over
the pack's data, never the code under test). An answer passes when it is found, its intent is "find", its
table's model column holds exactly the expected names in order, no model in it fails the filter, and its
first line states how many models match.

Readings chosen here where English allows two: "under", "below" and "less than" a price or size are strict
("under $1" leaves out a $1.00 model), "at most" and "or less" include the bound; "between March and May
2026" is 1 March to 31 May 2026; a superlative shows the ranking (the bot's first 15 rows), a benchmark
ranking its first 10.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.engine import answer
from bot.values import Question
from tests.test_finder import load, reference

TODAY = dt.date(2026, 11, 30)
D = dt.date
SHOWN = 15
"""Rows a finder answer shows at most."""
RANKED = 10
"""Rows a benchmark ranking shows when no number is asked for."""

QUESTIONS = [
    # superlatives
    ("superlative", "which model has the largest context window", {"sort": "context"}),
    ("superlative", "which model has the smallest context window", {"sort": "context", "descending": False}),
    ("superlative", "cheapest model with at least 1M context",
     {"min_context": 1_000_000, "sort": "input_price", "descending": False}),
    ("superlative", "newest model from Zanthos", {"orgs": ("Zanthos",), "sort": "released"}),
    ("superlative", "newest model from Orinoco", {"orgs": ("Orinoco AI",), "sort": "released"}),
    ("superlative", "oldest model from Quorra", {"orgs": ("Quorra Systems",), "sort": "released", "descending": False}),
    ("superlative", "what is the oldest Orinoco AI model",
     {"orgs": ("Orinoco AI",), "sort": "released", "descending": False}),
    ("superlative", "which model has the lowest output price", {"sort": "output_price", "descending": False}),
    ("superlative", "most expensive model", {"sort": "input_price"}),
    # sizes
    ("size", "models with at least 1M context", {"min_context": 1_000_000}),
    ("size", "models with a context window of at least 200k", {"min_context": 200_000}),
    ("size", "models with at least 128K tokens of context", {"min_context": 128_000}),
    ("size", "models with a context window of a million tokens or more", {"min_context": 1_000_000}),
    ("size", "models with at least 1,000,000 tokens of context", {"min_context": 1_000_000}),
    ("size", "open-weights models with at least 128k context", {"open_weights": True, "min_context": 128_000}),
    ("size", "models with 10k context or less", {"max_context": 10_000}),
    ("size", "models with a context window under 64k", {"max_context": 63_999}),
    # prices
    ("price", "models under $1 per million input tokens", {"max_input_price": 0.99}),
    ("price", "models at most $1 per million input tokens", {"max_input_price": 1.0}),
    ("price", "models with output price below $2", {"max_output_price": 1.99}),
    ("price", "reasoning models under $1 per million input tokens", {"reasoning": True, "max_input_price": 0.99}),
    ("price", "cheapest open-weights model", {"open_weights": True, "sort": "input_price", "descending": False}),
    # modalities
    ("modality", "Quorra models that take audio", {"orgs": ("Quorra Systems",), "input_modalities": ("audio",)}),
    ("modality", "Orinoco models that take audio", {"orgs": ("Orinoco AI",), "input_modalities": ("audio",)}),
    ("modality", "Orinoco models that take video", {"orgs": ("Orinoco AI",), "input_modalities": ("video",)}),
    ("modality", "models that can generate images", {"output_modalities": ("image",)}),
    ("modality", "which models can read PDFs", {"input_modalities": ("pdf",)}),
    ("modality", "models that output audio", {"output_modalities": ("audio",)}),
    # counts
    ("count", "how many open-weights models does Zanthos have", {"orgs": ("Zanthos",), "open_weights": True,
                                                                 "count_only": True}),
    ("count", "how many open-weights models does Orinoco have", {"orgs": ("Orinoco AI",), "open_weights": True,
                                                                 "count_only": True}),
    ("count", "how many models does Quorra have", {"orgs": ("Quorra Systems",), "count_only": True}),
    ("count", "how many reasoning models are there", {"reasoning": True, "count_only": True}),
    # periods
    ("period", "models released between March and May 2026",
     {"released_since": D(2026, 3, 1), "released_until": D(2026, 5, 31)}),
    ("period", "open-weights models released in June 2026",
     {"open_weights": True, "released_since": D(2026, 6, 1), "released_until": D(2026, 6, 30)}),
    ("period", "models released in 2025", {"released_since": D(2025, 1, 1), "released_until": D(2025, 12, 31)}),
    ("period", "models released in December 2025",
     {"released_since": D(2025, 12, 1), "released_until": D(2025, 12, 31)}),
    ("period", "open-weights models released in 2026",
     {"open_weights": True, "released_since": D(2026, 1, 1), "released_until": D(2026, 12, 31)}),
    ("period", "closed models released since 2026-06-01", {"open_weights": False, "released_since": D(2026, 6, 1)}),
    # top N
    ("top", "top 5 models by context window", {"sort": "context", "limit": 5}),
    ("top", "top 3 models by output limit", {"sort": "output", "limit": 3}),
    ("top", "longest output limit among open-weights models", {"open_weights": True, "sort": "output"}),
    # a benchmark ranking with a filter
    ("benchmark", "which open-weights model is best on Glimmer Bench",
     {"open_weights": True, "sort": "score", "benchmark": "Glimmer Bench", "limit": RANKED}),
    ("benchmark", "which open-weights model is best on Driftloss",
     {"open_weights": True, "sort": "score", "benchmark": "Driftloss", "descending": False, "limit": RANKED}),
    ("benchmark", "best Zanthos model on Glimmer Bench",
     {"orgs": ("Zanthos",), "sort": "score", "benchmark": "Glimmer Bench", "limit": RANKED}),
]

KNOWN_GAPS: dict[str, str] = {}
"""Phrasings the bot still gets wrong, each with why (strict expected failures: they are the spec)."""


def _param(family: str, text: str, spec: dict):
    gap = KNOWN_GAPS.get(text)
    marks = pytest.mark.xfail(reason=gap, strict=True) if gap else ()
    return pytest.param(text, spec, id=f"{family}: {text}", marks=marks)


def _expected(spec: dict) -> tuple[list[str], list[str], int]:
    """The rows the answer must show, every model that passes the filter, and how many match."""
    limit = spec.get("limit", SHOWN)
    shown, total, _ = reference({**spec, "limit": min(limit, SHOWN)})
    passing, _, _ = reference({**spec, "count_only": False, "limit": None})
    return shown, passing, total


def _model_column(result) -> list[str]:
    table = result.table
    if table is None:
        return []
    at = table.columns.index("Model") if "Model" in table.columns else 0
    return [row[at] for row in table.rows]


def _states_number(line: str, number: int) -> bool:
    return re.search(rf"(?<![\d.,]){number}(?![\d,]|\.\d)", line) is not None


@pytest.mark.parametrize("text, spec", [_param(*q) for q in QUESTIONS])
def test_finder_question(kb, write_pack, text, spec):
    load(kb, write_pack)
    result = answer(Question(text=text), kb, today=TODAY)
    shown, passing, total = _expected(spec)
    first_line = result.text.splitlines()[0] if result.text else ""
    problems = []
    if not result.found or result.intent != "find":
        problems.append(f"found={result.found!r}, intent={result.intent!r} (expected True, 'find')")
    if not _states_number(first_line, total):
        problems.append(f"the first line does not say {total} models match")
    if spec.get("count_only"):
        if result.table is not None and result.table.rows:
            problems.append("a count came with a table")
    else:
        rows = _model_column(result)
        wrong = [name for name in rows if name not in passing]
        if wrong:
            problems.append(f"models that fail the filter: {wrong}")
        if rows != shown:
            problems.append(f"rows {rows}, expected {shown}")
    assert not problems, (f"\nquestion: {text}\nmeant: {spec}\nanswer: {result.text}\nproblems: "
                          + "; ".join(problems))


def test_every_known_gap_names_a_question():
    assert set(KNOWN_GAPS) <= {text for _, text, _ in QUESTIONS}


def test_every_question_finds_something():
    """No phrasing is vacuous on the pack: each has a model to find (or, for a count, a number above 0)."""
    assert [text for _, text, spec in QUESTIONS if _expected(spec)[2] == 0] == []
