"""Questions typed the way people type in chat (tests/data/understanding.yaml), on SQLite and PostgreSQL.

Two knowledge bases per backend, shared by the module: "seed" (the bundled packs) and "catalog" (the
bundled packs plus the synthetic models.dev catalogue tests/data/chat-catalog.json, imported the way
``modelwire kb import --format models.dev`` does, on TODAY). Each case is one test; a conversation asks
its turns in order, each with the previous answer's context. ``bench/eval_understanding.py`` runs the
same cases and reports accuracy per class.
"""

from __future__ import annotations

import pytest

from bench.eval_understanding import CASES, CATALOG, CATALOG_URL, TODAY, check, load_cases, phrasings
from bot.engine import answer
from bot.question import Question
from knowledge.db import ensure_ready, make_engine
from knowledge.store import KnowledgeBase
from knowledge.sync import apply_catalogue
from tests.conftest import _fresh_url

ALL_CASES = load_cases(CASES)
MIN_PHRASINGS = 300


@pytest.fixture(scope="module")
def catalog_kb(seeded_kb, request, tmp_path_factory) -> KnowledgeBase:
    """The bundled packs plus the chat catalogue, on the backend of ``seeded_kb``."""
    backend = "sqlite" if seeded_kb.engine.dialect.name == "sqlite" else "postgresql"
    eng = make_engine(_fresh_url(backend, request, tmp_path_factory))
    ensure_ready(eng)
    apply_catalogue(eng, CATALOG.read_bytes(), source_url=CATALOG_URL, today=TODAY)
    yield KnowledgeBase(eng)
    eng.dispose()


@pytest.fixture(scope="module")
def kbs(seeded_kb, catalog_kb) -> dict[str, KnowledgeBase]:
    return {"seed": seeded_kb, "catalog": catalog_kb}


def _describe(turn: dict) -> str:
    return ", ".join(f"{key}={turn[key]!r}" for key in ("found", "intent", "has", "not", "max_len") if key in turn)


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_understanding(kbs, case):
    kb = kbs[case.kb]
    context = None
    for n, turn in enumerate(case.turns, 1):
        result = answer(Question(text=turn["q"]), kb, today=TODAY, context=context)
        text = result.to_dict()["text"]
        problems = check(turn, result.found, result.intent, text)
        where = f"turn {n} of {len(case.turns)}: " if len(case.turns) > 1 else ""
        assert not problems, (
            f"\n{where}question ({case.kb} KB): {turn['q']}\n"
            f"expected: {_describe(turn)}\n"
            f"got: found={result.found!r}, intent={result.intent!r}\n"
            f"problems: {'; '.join(problems)}\n"
            f"answer:\n{text}")
        context = result.context


def test_the_set_is_big_and_covers_every_class():
    assert phrasings(ALL_CASES) >= MIN_PHRASINGS
    classes = {case.cls for case in ALL_CASES}
    assert classes == {"running_text", "short_forms", "families", "snapshots_symbols", "near_misses",
                       "long_messages", "multi_part", "other_languages", "facts_by_meaning", "not_known_first",
                       "typos_casual", "basics", "followups", "plain_english"}
    conversations = [case for case in ALL_CASES if len(case.turns) > 1]
    assert len(conversations) >= 20
    for case in ALL_CASES:
        if case.cls == "long_messages":
            assert 300 <= len(case.turns[0]["q"]) <= 2500, case.id


def test_the_questions_are_not_repeated():
    seen = {}
    for case in ALL_CASES:
        if len(case.turns) > 1:
            continue
        key = (case.kb, case.turns[0]["q"])
        assert key not in seen, f"{case.id} asks the same as {seen[key]}"
        seen[key] = case.id
