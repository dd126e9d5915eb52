"""Property tests: no question, follow-up context or command arguments make the engine raise.

Hypothesis builds questions from random text, known names (whole, cut, misspelt), numbers, dates and
punctuation, in several scripts; contexts from arbitrary JSON. Every answer must be a complete answer.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.engine import answer
from bot.values import Answer, Question

NAMES = ["Muse Spark", "GPT-5.4", "GPT-5.4 Pro", "Claude Opus 4.6", "Gemini 3.1 Pro", "Llama 4 Maverick",
         "GPQA Diamond", "ARC-AGI-2", "HealthBench Hard", "CharXiv Reasoning", "SWE-bench Verified",
         "Artificial Analysis Intelligence Index", "Meta", "Meta Superintelligence Labs", "OpenAI", "Avocado"]
WORDS = ["what", "did", "score", "on", "vs", "and", "top", "best", "context", "window", "price", "released",
         "since", "before", "in", "last", "days", "open", "source", "who", "made", "how", "many", "the", "of",
         "come", "out", "take", "generate", "images", "mini", "pro", "max", "(2024-11-20)", "+", "R+", "v9",
         "的", "分数", "что", "لماذا", "¿", "?", "!", ",", ".", "\n", "'s", "HLE", "AA", "index", "there", "it"]


def _mangle(name: str, cut: int, swap: int) -> str:
    if cut:
        name = name[: max(1, len(name) - cut)]
    if swap and len(name) > 2:
        i = swap % (len(name) - 1)
        name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name


names = st.builds(_mangle, st.sampled_from(NAMES), st.integers(0, 4), st.integers(0, 6))
dates = st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 13),
                  st.integers(0, 32))
numbers = st.one_of(st.integers(-10**30, 10**30).map(str), st.floats(allow_nan=True).map(str))
periods = st.builds("{} {} {}".format,
                    st.sampled_from(["in the last", "past", "since", "before", "until", "in", "top"]),
                    st.one_of(st.integers(0, 10**12).map(str), dates, st.sampled_from(["January", "sept", "Feb."])),
                    st.one_of(st.sampled_from(["days", "weeks", "months", "years", "0000", "2026", "10000"]), dates))
pieces = st.one_of(names, st.sampled_from(WORDS), dates, numbers, periods, st.text(max_size=12))
questions = st.lists(pieces, max_size=25).map(" ".join)
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
contexts = st.one_of(st.none(), st.fixed_dictionaries({}, optional={
    "intent": st.sampled_from(["score", "compare", "leaderboard", "model", "fields", "x"]),
    "models": st.lists(st.one_of(st.integers(-3, 50), st.text(max_size=3)), max_size=4),
    "benchmarks": st.lists(st.integers(-3, 50), max_size=4),
    "fields": st.lists(st.sampled_from(["pricing", "context_window", "nope", 7]), max_size=3),
    "count": st.one_of(st.none(), st.integers(-5, 10**6), st.booleans()),
}), st.dictionaries(st.text(max_size=8), json_values, max_size=5))

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _complete(result: Answer) -> None:
    assert isinstance(result, Answer)
    assert isinstance(result.found, bool) and result.intent
    data = result.to_dict()
    assert isinstance(data["text"], str) and data["text"]


@SETTINGS
@given(text=questions, context=contexts, today=st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
def test_any_question_gets_an_answer(seeded_kb, text, context, today):
    _complete(answer(Question(text=text), seeded_kb, today=today, context=context))


@SETTINGS
@given(text=st.text(max_size=300), context=contexts)
def test_any_unicode_gets_an_answer(seeded_kb, text, context):
    _complete(answer(Question(text=text), seeded_kb, context=context))


@SETTINGS
@given(command=st.sampled_from(["compare", "top", "model", "benchmark", "help", "ask", "bogus"]),
       args=st.fixed_dictionaries({}, optional={
           "models": st.lists(st.one_of(names, st.text(max_size=20)), max_size=5),
           "benchmark": st.one_of(names, st.text(max_size=20)),
           "name": st.one_of(names, st.text(max_size=20)),
           "n": st.one_of(st.none(), st.integers(-5, 10**9))}))
def test_any_command_arguments_get_an_answer(seeded_kb, command, args):
    """Arguments as the adapters send them (lists of names, names, a count), with any content."""
    _complete(answer(Question(text="", command=command, args=args), seeded_kb))


@SETTINGS
@given(verb=st.sampled_from(["releases", "new models", "what came out", "open models released"]),
       period=st.one_of(
           st.builds("in the last {} {}".format, st.integers(0, 10**7), st.sampled_from(["days", "weeks", "years"])),
           st.builds("{} {}".format, st.sampled_from(["since", "before", "until", "after", "in"]), dates),
           st.builds("in {} {}".format, st.sampled_from(["January", "Feb", "sept"]), st.integers(0, 99999))))
@example(verb="releases", period="in the last 9999 years")
@example(verb="releases", period="before 0001-01-01")
@example(verb="releases", period="in January 0000")
def test_any_period_gets_an_answer(seeded_kb, verb, period):
    """Periods past either end of the calendar, or impossible dates, are answered, not raised."""
    _complete(answer(Question(text=f"{verb} {period}"), seeded_kb, today=dt.date(2026, 11, 30)))
