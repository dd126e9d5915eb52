"""Subscription arguments never crash: any text is a subscription or a one-line usage error (issue 13, #9
and the fuzzing row).

Only ASCII digits are numbers: ``subscribe daily ²:30`` and ``unsubscribe ²`` (``str.isdigit`` is true for
"²", which ``int`` refuses) are answered with the usage line, in the core and on Slack. Hypothesis then
feeds arbitrary text to the typed words, the slash-command options and ``unsubscribe``.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.slack.app import SlackBot
from bot.digests.arguments import Spec, Usage, check, parse_price, parse_size, parse_words, request_from
from bot.digests.subscriptions import handle
from bot.values import Question
from tests.digest_support import slack_origin, subscribe
from tests.slack_support import RunningApp, settings_for

NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.timezone.utc)
ADMIN = {"id": "U0001", "name": "ada", "is_admin": True, "tz": "Europe/Berlin"}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DB_FUZZ = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
WORDS = ["instant", "daily", "weekly", "tz", "org", "open-weights", "input", "min-context", "max-price",
         "reasoning", "tool-calling", "licence", "updates", "friday", "09:00", "²:30", "١٢:٣٠", "OpenAI", "Meta",
         "Europe/Berlin", "128k", "1M", "$0.5", ",", "and", "mit", "text", "9" * 400, "1e309", "nan", "\x00",
         "\u202e", "²", "𝟗:𝟘𝟘"]
"""Parts of the language, real values and hostile ones, for Hypothesis to combine."""
texts = st.one_of(st.text(max_size=80), st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=10)
                  .map(" ".join))


def one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "\r" not in message and len(message) < 400


# -- #9: Unicode digits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("words", ["daily ²:30", "daily ١٢:٣٠", "weekly friday 𝟗:𝟘𝟘", "²:³⁰", "daily 9:³⁰",
                                   "min-context ²k", "min-context ١٢٨k", "max-price ²", "min-context " + "9" * 400])
def test_digits_that_are_not_ascii_are_a_usage_error(seeded_kb, words):
    with pytest.raises(Usage) as err:
        check(parse_words(words), seeded_kb.index())
    assert one_line(str(err.value))


def test_the_core_answers_unicode_digits_with_the_usage_line(kb):
    origin = slack_origin()
    reply = handle(Question(text="subscribe daily ²:30", command="subscribe", args={"text": "daily ²:30"},
                            origin=origin), kb, NOW)
    assert reply.intent == "usage" and not reply.found
    assert "'²:30' is not a time of day" in reply.text and "Usage: subscribe" in reply.text
    subscribe(kb, "daily 08:00", origin, NOW)
    for which in ("²", "١", "𝟙", "9" * 5000, "-1", "1.0"):
        reply = handle(Question(text=f"unsubscribe {which}", command="unsubscribe", args={"text": which},
                                origin=origin), kb, NOW)
        assert reply.intent == "usage" and "Give a number from 1 to 1" in reply.text, which
    reply = handle(Question(text="unsubscribe 1", command="unsubscribe", args={"text": "1"}, origin=origin), kb, NOW)
    assert reply.intent == "unsubscribe" and reply.found


@pytest.mark.asyncio
async def test_slack_answers_unicode_digits_with_the_usage_line(kb, fake):
    fake.users["U0001"] = ADMIN
    async with RunningApp(SlackBot(kb, settings_for(fake))) as app:
        for n, text in enumerate(["subscribe daily ²:30", "subscribe daily 08:00", "unsubscribe ²"], 1):
            status, _ = await app.command(text, fake.response_url())
            assert status == 200
            reply = (await fake.wait_for("respond:cmd", count=n))[n - 1]
            if n != 2:
                assert "Usage" in reply["text"] or "Give a number" in reply["text"], reply


# -- properties ----------------------------------------------------------------------------------------------


@FUZZ
@given(size=st.text(max_size=40) | st.integers(), price=st.text(max_size=40) | st.floats() | st.integers())
def test_sizes_and_prices_are_numbers_or_usage(size, price):
    for parse, value in ((parse_size, size), (parse_price, price)):
        try:
            number = parse(value)
        except Usage as err:
            assert one_line(str(err))
        else:
            assert number >= 0 and number < float("inf")
    with contextlib.suppress(Usage):
        assert 1000 <= parse_size(size) <= 2**31 - 1


@FUZZ
@given(text=texts)
@example("daily ²:30")
@example("weekly friday ²:³⁰")
@example("tz \x00")
@example("org \u202e")
@example("min-context " + "9" * 400)
@example("tz " + "x" * 500)
@example("friday daily")
def test_any_typed_words_are_a_subscription_or_one_usage_line(seeded_kb, text):
    try:
        spec = check(parse_words(text), seeded_kb.index())
    except Usage as err:
        assert one_line(str(err)), repr(str(err))
    else:
        assert isinstance(spec, Spec) and spec.cadence.kind in ("instant", "daily", "weekly")


option_values = st.none() | st.text(max_size=30) | st.sampled_from(WORDS)
options = st.fixed_dictionaries({}, optional={
    "cadence": option_values, "time": option_values, "day": option_values, "tz": option_values,
    "orgs": st.lists(st.text(max_size=20), max_size=3), "open_weights": st.booleans(), "input": option_values,
    "updates": st.booleans(), "min_context": option_values | st.integers(), "reasoning": st.booleans(),
    "max_price": option_values | st.floats() | st.integers(), "tool_calling": st.booleans(),
    "licence": option_values})


@FUZZ
@given(args=options)
@example({"time": "²:30"})
@example({"day": "\n", "cadence": "weekly"})
@example({"tz": "a\nb"})
@example({"cadence": "x\ny"})
@example({"min_context": 10**30})
@example({"max_price": float("nan")})
def test_any_slash_command_options_are_a_subscription_or_one_usage_line(seeded_kb, args):
    try:
        spec = check(request_from(args), seeded_kb.index())
    except Usage as err:
        assert one_line(str(err)), repr(str(err))
    else:
        assert isinstance(spec, Spec)


@DB_FUZZ
@given(which=st.text(max_size=20) | st.sampled_from(["²", "١", "0", "1", "all", "9" * 5000, " 1 "]))
def test_any_unsubscribe_argument_is_answered(kb, which):
    origin = slack_origin(channel="CFUZZ")
    subscribe(kb, "instant", origin, NOW)
    reply = handle(Question(text=f"unsubscribe {which}", command="unsubscribe", args={"text": which},
                            origin=origin), kb, NOW)
    assert reply.intent in ("unsubscribe", "usage"), reply
    assert reply.found == (reply.intent == "unsubscribe")
    if reply.found:  # the one subscription is gone: subscribe again for the next example
        assert which.strip().lower() in ("", "all", "1")
