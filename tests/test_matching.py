"""Table-driven tests of name matching: normalisation, exact and corrected lookups, near misses."""

from __future__ import annotations

import pytest

from bot.vocabulary import QUESTION_WORDS
from knowledge.matching import AliasIndex, Lexicon, compact, normalize, tokenize

NAMES = {
    ("model", 1): ["Muse Spark", "Avocado"],
    ("model", 2): ["GPT-5.4"],
    ("model", 3): ["GPT-5.4 mini"],
    ("model", 4): ["GPT-5.4 Pro"],
    ("model", 5): ["Claude Opus 4.6"],
    ("model", 6): ["Gemini 3.1 Pro", "Gemini 3.1 Pro Preview"],
    ("model", 7): ["Llama 4 Maverick"],
    ("model", 8): ["Claude Sonnet 4.6"],
    ("model", 9): ["GPT-4o"],
    ("model", 10): ["o3"],
    ("model", 11): ["Qwen3 Coder 480B"],
    ("model", 12): ["DeepSeek Chat"],
    ("model", 13): ["Mistral Chat"],
    ("benchmark", 1): ["GPQA Diamond", "GPQA"],
    ("benchmark", 2): ["Terminal-Bench"],
    ("benchmark", 3): ["Terminal-Bench Hard"],
    ("benchmark", 4): ["HealthBench Hard"],
    ("benchmark", 5): ["SWE-bench Verified"],
    ("benchmark", 6): ["ARC-AGI-2"],
    ("benchmark", 7): ["Humanity's Last Exam", "HLE"],
    ("org", 1): ["Meta", "Meta Platforms"],
    ("org", 2): ["Meta Superintelligence Labs", "MSL"],
    ("org", 3): ["OpenAI"],
}


@pytest.fixture(scope="module")
def index() -> AliasIndex:
    rows = [(kind, i, alias, n == 0) for (kind, i), aliases in NAMES.items() for n, alias in enumerate(aliases)]
    return AliasIndex(rows)


@pytest.mark.parametrize("text, key", [
    ("GPT-5.4", "gpt 5 4"),
    ("gpt5.4", "gpt 5 4"),
    ("GPT 5.4", "gpt 5 4"),
    ("claude-opus-4-6", "claude opus 4 6"),
    ("Claude Opus 4.6", "claude opus 4 6"),
    ("  ÉCLAIR   Ünïcode ", "eclair unicode"),
    ("Meta's", "meta"),
    ("Meta’s models", "meta models"),
    ("GPT-4o", "gpt 4 o"),
    ("", ""),
])
def test_normalize(text, key):
    assert normalize(text) == key


def test_compact_joins_words_only():
    assert compact("health bench hard") == "healthbenchhard"
    assert compact("gpt 5 4") == "gpt 5 4"


def test_tokenize_marks_clause_boundaries():
    toks = tokenize("compare GPT-5.4, Muse Spark. Then o3")
    assert [t.norm for t in toks] == ["compare", "gpt", "5", "4", "muse", "spark", "then", "o", "3"]
    assert [t.boundary_before for t in toks] == [False, False, False, False, True, False, True, False, False]


@pytest.mark.parametrize("query, expected", [
    ("Muse Spark", "Muse Spark"),
    ("muse spark", "Muse Spark"),
    ("MUSE-SPARK", "Muse Spark"),
    ("avocado", "Muse Spark"),
    ("gpt5.4", "GPT-5.4"),
    ("GPT 5.4", "GPT-5.4"),
    ("gpt-5.4-mini", "GPT-5.4 mini"),
    ("gpt 5.4 pro", "GPT-5.4 Pro"),
    ("claude-opus-4-6", "Claude Opus 4.6"),
    ("opus 4.6", "Claude Opus 4.6"),
    ("Sonnet 4.6", "Claude Sonnet 4.6"),
    ("gemini 3.1 pro preview", "Gemini 3.1 Pro"),
    ("Muse Sprak", "Muse Spark"),
    ("muse spakr", "Muse Spark"),
    ("Gemnii 3.1 Pro", "Gemini 3.1 Pro"),
    ("gpqa diamnod", "GPQA Diamond"),
    ("GPQA", "GPQA Diamond"),
    ("terminal bench", "Terminal-Bench"),
    ("terminal-bench hard", "Terminal-Bench Hard"),
    ("health bench hard", "HealthBench Hard"),
    ("swebench verified", "SWE-bench Verified"),
    ("arc agi 2", "ARC-AGI-2"),
    ("ARC-AGI2", "ARC-AGI-2"),
    ("humanitys last exam", "Humanity's Last Exam"),
    ("gpt4o", "GPT-4o"),
    ("O3", "o3"),
    ("msl", "Meta Superintelligence Labs"),
])
def test_resolve_finds(index, query, expected):
    result = index.resolve(query)
    assert result.found, result
    assert index.name(result.ref) == expected


@pytest.mark.parametrize("query", [
    "GPT-5.9",
    "GPT-5",
    "GPT 5.4 nano",
    "Llama 5",
    "Llama 4",
    "Claude Opus 4.7",
    "Gemini 3.1",
    "Gemini 3.2 Pro",
    "o4",
    "Terminal-Bench Pro",
    "HealthBench",
    "ARC-AGI-3",
    "Grok 4",
    "spark",
    "",
])
def test_resolve_refuses_near_misses(index, query):
    result = index.resolve(query)
    assert not result.found, (query, index.name(result.ref) if result.ref else None)


def test_numbers_are_never_corrected(index):
    assert index.resolve("GPT-5.3").status == "unknown"
    assert "GPT-5.4" in index.resolve("GPT-5.3").suggestions


def test_shared_short_names_are_ambiguous_not_guessed():
    index = AliasIndex([("model", 1, "Acme Nova 2", True), ("model", 2, "Zenith Nova 2", True)])
    result = index.resolve("Nova 2")
    assert result.status == "ambiguous"
    assert sorted(result.suggestions) == ["Acme Nova 2", "Zenith Nova 2"]


def test_a_typo_two_names_are_equally_close_to_is_not_a_winner():
    index = AliasIndex([("model", 1, "Nova Stark", True), ("model", 2, "Nova Spark", True)])
    result = index.resolve("Nova Sparkk")
    assert result.found and index.name(result.ref) == "Nova Spark"
    result = index.resolve("Nova Starkk")
    assert result.found and index.name(result.ref) == "Nova Stark"
    tie = index.resolve("Nova Sbark")
    assert tie.status == "ambiguous" and sorted(tie.suggestions) == ["Nova Spark", "Nova Stark"]


def test_kinds_filter(index):
    assert index.resolve("GPQA", ["model"]).status == "unknown"
    assert index.resolve("Meta", ["org"]).found


@pytest.mark.parametrize("query, suggestion", [
    ("GPT-5.9", "GPT-5.4"),
    ("Llama 5", "Llama 4 Maverick"),
    ("gemini 3.1", "Gemini 3.1 Pro"),
    ("healthbench", "HealthBench Hard"),
    ("Muse", "Muse Spark"),
])
def test_suggestions(index, query, suggestion):
    suggestions = index.suggest(query)
    assert suggestion in suggestions
    assert len(suggestions) <= 3


def test_no_suggestions_for_nonsense(index):
    assert index.suggest("zorblax") == []


def test_complete_prefix_then_fuzzy(index):
    assert index.complete("gpt", ["model"])[:4] == ["GPT-4o", "GPT-5.4", "GPT-5.4 mini", "GPT-5.4 Pro"]
    assert "Claude Opus 4.6" in index.complete("opus", ["model"])
    assert all(n in ("GPQA Diamond",) for n in index.complete("gpq", ["benchmark"]))
    assert len(index.complete("", None, limit=5)) == 5


def mentions(index, text):
    return [(m.text, m.status, [index.name(r) for r in m.refs]) for m in index.find_mentions(text, QUESTION_WORDS)]


@pytest.mark.parametrize("text, expected", [
    ("What did Muse Spark score on GPQA Diamond?",
     [("Muse Spark", "exact", ["Muse Spark"]), ("GPQA Diamond", "exact", ["GPQA Diamond"])]),
    ("gpt5.4 vs claude-opus-4-6",
     [("gpt5.4", "exact", ["GPT-5.4"]), ("claude-opus-4-6", "exact", ["Claude Opus 4.6"])]),
    ("compare GPT-5.4, GPT-5.4 mini and opus 4.6 on terminal bench hard",
     [("GPT-5.4", "exact", ["GPT-5.4"]), ("GPT-5.4 mini", "exact", ["GPT-5.4 mini"]),
      ("opus 4.6", "exact", ["Claude Opus 4.6"]), ("terminal bench hard", "exact", ["Terminal-Bench Hard"])]),
    ("how did muse sprak do on gpqa", [("muse sprak", "fuzzy", ["Muse Spark"]), ("gpqa", "exact", ["GPQA Diamond"])]),
    ("What did GPT-5.4 nano score?", [("GPT-5.4 nano", "extended", ["GPT-5.4"])]),
    ("GPT-5.4 turbo on GPQA", [("GPT-5.4 turbo", "extended", ["GPT-5.4"]), ("GPQA", "exact", ["GPQA Diamond"])]),
    ("Muse Spark 2 on GPQA", [("Muse Spark 2", "extended", ["Muse Spark"]), ("GPQA", "exact", ["GPQA Diamond"])]),
    ("what did GPT-5.9 score on GPQA",
     [("GPT-5.9", "extended", ["GPT-5.4", "GPT-5.4 mini", "GPT-5.4 Pro", "GPT-4o"]),
      ("GPQA", "exact", ["GPQA Diamond"])]),
    ("Grok 4 vs Muse Spark", [("Grok 4", "unknown", []), ("Muse Spark", "exact", ["Muse Spark"])]),
    ("Meta's models", [("Meta", "exact", ["Meta"])]),
    ("muse spark healthbench", [("muse spark", "exact", ["Muse Spark"]),
                                ("healthbench", "family", ["HealthBench Hard"])]),
    ("Is Muse Spark, or GPT-5.4, better?", [("Muse Spark", "exact", ["Muse Spark"]),
                                            ("GPT-5.4", "exact", ["GPT-5.4"])]),
])
def test_find_mentions(index, text, expected):
    assert mentions(index, text) == expected


def test_unknown_runs_know_whether_they_look_like_names(index):
    found = {m.text: m.namey for m in index.find_mentions("what did grok and llama 9 score", QUESTION_WORDS)}
    assert found == {"grok": False, "llama 9": True}


def test_lexicon_one_edit_corrections():
    words = Lexicon(["score", "spark", "gpqa"])
    assert words.near("socre") == ["score"]
    assert words.near("sparks") == ["spark"]
    assert words.near("gqpa") == ["gpqa"]
    assert words.near("xyzzy") == []
    assert words.near("spark") == []


# -- what names look like ----------------------------------------------------------------------------

MORE = AliasIndex([(kind, i, alias, True) for (kind, i), alias in {
    ("model", 1): "Muse Spark", ("model", 2): "GPT-5.4", ("model", 3): "GPT-5.4 mini",
    ("model", 4): "Llama 4 Scout 17B Instruct", ("model", 5): "Gemini 2.5 Pro", ("model", 6): "Gemini 2.5 Flash",
    ("model", 7): "Command R", ("model", 8): "Command R+", ("model", 9): "GPT-4o (2024-11-20)",
    ("model", 10): "GPT-4o (2024-08-06)", ("model", 11): "Mistral Medium 3",
    ("benchmark", 1): "CharXiv Reasoning", ("benchmark", 2): "Humanity's Last Exam", ("benchmark", 3): "GPQA Diamond",
    ("org", 1): "DeepSeek", ("org", 2): "Mistral",
}.items()])


def found(text):
    return [(m.text, m.status, [MORE.name(r) for r in m.refs]) for m in MORE.find_mentions(text, QUESTION_WORDS)]


@pytest.mark.parametrize("text, expected", [
    # an ordinary word ends a name; a tier word or a number continues it
    ("when did Mistral Medium 3 come out", [("Mistral Medium 3", "exact", ["Mistral Medium 3"])]),
    ("GPT-5.4 heavy on GPQA Diamond", [("GPT-5.4 heavy", "extended", ["GPT-5.4"]),
                                        ("GPQA Diamond", "exact", ["GPQA Diamond"])]),
    ("DeepSeek V9 context window", [("DeepSeek V9", "extended", ["DeepSeek"])]),
    # "+" and snapshots are part of the name
    ("Command R+ context", [("Command R+", "exact", ["Command R+"])]),
    ("GPT-4o (2024-11-20) on GPQA", [("GPT-4o (2024-11-20)", "exact", ["GPT-4o (2024-11-20)"]),
                                      ("GPQA", "short", ["GPQA Diamond"])]),
    # short forms, acronyms, families, names said in short after another
    ("Muse Spark CharXiv", [("Muse Spark", "exact", ["Muse Spark"]), ("CharXiv", "short", ["CharXiv Reasoning"])]),
    ("context window of Llama 4 Scout", [("Llama 4 Scout", "short", ["Llama 4 Scout 17B Instruct"])]),
    ("HLE score of muse spark", [("HLE", "short", ["Humanity's Last Exam"]), ("muse spark", "exact", ["Muse Spark"])]),
    ("gemini context", [("gemini", "family", ["Gemini 2.5 Flash", "Gemini 2.5 Pro"])]),
    ("GPT-4o on GPQA", [("GPT-4o", "family", ["GPT-4o (2024-08-06)", "GPT-4o (2024-11-20)"]),
                        ("GPQA", "short", ["GPQA Diamond"])]),
    ("Gemini 2.5 Pro vs Flash", [("Gemini 2.5 Pro", "exact", ["Gemini 2.5 Pro"]),
                                 ("Flash", "short", ["Gemini 2.5 Flash"])]),
    # another script, and a message in another language
    ("Muse SparkのGPQA Diamondのスコアは？", [("Muse Spark", "exact", ["Muse Spark"]),
                                          ("GPQA Diamond", "exact", ["GPQA Diamond"])]),
    ("Wie hat Muse Spark bei GPQA Diamond abgeschnitten?", [("Muse Spark", "exact", ["Muse Spark"]),
                                                           ("GPQA Diamond", "exact", ["GPQA Diamond"])]),
])
def test_names_end_where_they_stop_looking_like_names(text, expected):
    assert found(text) == expected


def test_a_typed_number_is_never_continued_by_another():
    assert MORE.resolve("GPT-5").status != "exact" and not MORE.resolve("GPT-4").found
    assert not MORE.resolve("GPT-4o (2024-05-13)").found
    assert MORE.name(MORE.resolve("Command R+").ref) == "Command R+"
