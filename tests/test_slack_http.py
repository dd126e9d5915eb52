"""The real Bolt app in HTTP mode, driven with signed requests, answering through a fake Slack.

Every test asserts on what Slack itself would receive: the chat.postMessage parameters and the
response_url bodies the fake recorded, and the HTTP status of the app's acknowledgement.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from pathlib import Path

import pytest

from adapters.slack import render
from adapters.slack.app import EVENTS_PATH, SlackBot
from knowledge.db import make_engine
from knowledge.packs import import_file
from knowledge.store import KnowledgeBase
from tests.fakes.slack import FakeSlack
from tests.slack_support import RunningApp, broken_once, settings_for, sign

pytestmark = pytest.mark.asyncio

QUIET = 0.3
"""How long to wait before concluding that the app will not post anything more."""

PARTIAL_ESCAPE = re.compile(r"&(?!amp;|lt;|gt;)")
GPQA_ANSWER = {"type": "header", "text": {"type": "plain_text", "text": "Muse Spark on GPQA Diamond"}}


@pytest.fixture
async def app(kb, fake):
    async with RunningApp(SlackBot(kb, settings_for(fake))) as running:
        yield running


def mention(text: str, ts: str = "1700000000.000100", **extra) -> dict:
    return {"type": "app_mention", "user": "U0001", "channel": "C0001", "ts": ts, "text": text, **extra}


def direct_message(text: str, ts: str = "1700000000.000200", **extra) -> dict:
    return {"type": "message", "channel_type": "im", "user": "U0001", "channel": "D0001", "ts": ts,
            "text": text, **extra}


async def settle(fake: FakeSlack, method: str, count: int) -> list[dict]:
    """Wait a little, then return the calls to ``method``, asserting there are exactly ``count``."""
    await asyncio.sleep(QUIET)
    calls = fake.calls_to(method)
    assert len(calls) == count, calls
    return calls


def mrkdwn_texts(payload: dict) -> list[str]:
    """Every string of a payload that Slack parses as mrkdwn: the fallback text, sections, context."""
    texts = [payload["text"]]
    for block in payload["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [e["text"] for e in block["elements"] if e["type"] == "mrkdwn"]
    return texts


def assert_within_limits(payload: dict) -> None:
    """Block Kit's limits: 50 blocks, 3,000 characters of section text, a header of 150, text set."""
    assert payload["text"].strip()
    assert len(payload["blocks"]) <= render.MAX_BLOCKS
    for block in payload["blocks"]:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= render.MAX_SECTION
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= render.MAX_HEADER
    assert sum(b["type"] == "table" for b in payload["blocks"]) <= 1
    for text in mrkdwn_texts(payload):  # every & starts a whole escape: none was cut in two
        assert not PARTIAL_ESCAPE.search(text), text


def section_text(payload: dict) -> str:
    return "".join(b["text"]["text"] for b in payload["blocks"] if b["type"] == "section")


# -- mentions and direct messages ------------------------------------------------------------------


async def test_mention_is_answered_in_its_thread(app, fake):
    status, _ = await app.event(mention("<@U0BOT> what did Muse Spark score on GPQA?"))
    assert status == 200
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["channel"] == "C0001" and post["thread_ts"] == "1700000000.000100"
    assert "89.5%" in post["text"]
    assert post["blocks"][0] == GPQA_ANSWER
    assert_within_limits(post)


async def test_mention_answer_is_the_exact_block_kit_payload(app, fake):
    await app.event(mention("<@U0BOT> what did Muse Spark score on GPQA?"))
    (post,) = await fake.wait_for("chat.postMessage")
    source = "[1] TNW — Meta’s Muse Spark is here – and it’s closed source (2026-04-08)"
    assert post == {
        "channel": "C0001",
        "thread_ts": "1700000000.000100",
        "text": "Muse Spark on GPQA Diamond\n\nMuse Spark scored 89.5% on GPQA Diamond [1]. That is 4th of 4 models"
                " with a GPQA Diamond score here.\n\n"
                "Benchmark       Score  Setting    Date        Source\n"
                "------------  -------  ---------  ----------  --------\n"
                "GPQA Diamond    89.5%  —          2026-04-08  [1]\n\n"
                f"Sources:\n{source}",
        "blocks": [
            GPQA_ANSWER,
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                "Muse Spark scored 89.5% on GPQA Diamond [1]. "
                "That is 4th of 4 models with a GPQA Diamond score here.")}},
            {"type": "table",
             "rows": [[{"type": "raw_text", "text": t} for t in ("Benchmark", "Score", "Setting", "Date", "Source")],
                      [{"type": "raw_text", "text": t} for t in ("GPQA Diamond", "89.5%", "—", "2026-04-08", "[1]")]],
             "column_settings": [{"align": a} for a in ("left", "right", "left", "left", "left")]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": source}]},
        ],
    }


async def test_mention_inside_a_thread_is_answered_in_that_thread(app, fake):
    await app.event(mention("<@U0BOT> Muse Spark vs GPT-5.4", ts="1700000000.000300",
                            thread_ts="1700000000.000100"))
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["thread_ts"] == "1700000000.000100"
    assert post["blocks"][0]["text"]["text"] == "Muse Spark vs GPT-5.4"


async def test_direct_message_is_answered_in_a_thread(app, fake):
    status, _ = await app.event(direct_message("top 3 on GPQA Diamond"))
    assert status == 200
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["channel"] == "D0001" and post["thread_ts"] == "1700000000.000200"
    assert post["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Top 3 on GPQA Diamond"}}
    (table,) = [b for b in post["blocks"] if b["type"] == "table"]
    assert [row[1]["text"] for row in table["rows"]] == ["Model", "Gemini 3.1 Pro", "GPT-5.4", "Claude Opus 4.6"]
    assert [row[2]["text"] for row in table["rows"][1:]] == ["94.3%", "92.8%", "92.7%"]
    # The fallback text carries the leaderboard as monospace text for clients without tables.
    assert "  1  Gemini 3.1 Pro            94.3%" in post["text"]


@pytest.mark.parametrize("event", [
    direct_message("top 3 on GPQA Diamond", bot_id="B0001", user="U0BOT"),
    direct_message("top 3 on GPQA Diamond", subtype="message_changed"),
    direct_message("top 3 on GPQA Diamond", subtype="bot_message", bot_id="B0002"),
    direct_message("top 3 on GPQA Diamond", channel_type="channel", channel="C0001"),
], ids=["own-bot", "edited", "other-bot", "channel-message"])
async def test_bot_messages_subtypes_and_channel_messages_are_ignored(app, fake, event):
    status, _ = await app.event(event, event_id="EvIgnored")
    assert status == 200
    await settle(fake, "chat.postMessage", 0)
    # The app is still listening: an ordinary direct message is answered.
    await app.event(direct_message("top 3 on GPQA Diamond"), event_id="EvAfter")
    await fake.wait_for("chat.postMessage")


# -- the slash command -----------------------------------------------------------------------------


async def test_slash_command_is_acknowledged_before_the_answer_is_worked_out(app, fake):
    gate = asyncio.Event()
    ask = app.bot.ask

    async def slow_ask(question):
        await gate.wait()  # the answer cannot be ready before the acknowledgement arrived
        return await ask(question)

    app.bot.ask = slow_ask
    started = time.monotonic()
    status, body = await app.command("what did Muse Spark score on GPQA?", fake.response_url())
    assert status == 200 and body == ""
    assert time.monotonic() - started < 3
    assert fake.calls_to("respond:cmd") == []
    gate.set()
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0] == GPQA_ANSWER
    assert "89.5%" in reply["text"]
    assert set(reply) == {"response_type", "text", "blocks"}
    assert reply["blocks"][-1]["elements"][0]["text"]["text"] == "Share in channel"
    assert fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(("text", "header"), [
    ("what did Muse Spark score on GPQA?", "Muse Spark on GPQA Diamond"),
    ("ask what did Muse Spark score on GPQA?", "Muse Spark on GPQA Diamond"),
    ("compare Muse Spark, GPT-5.4 on GPQA Diamond", "Muse Spark vs GPT-5.4 on GPQA Diamond"),
    ("compare Muse Spark, GPT-5.4", "Muse Spark vs GPT-5.4"),
    ("top GPQA Diamond 2", "Top 2 on GPQA Diamond"),
    ("model Muse Spark", "Muse Spark"),
    ("help", "What modelwire answers"),
    ("", "What modelwire answers"),
])
async def test_slash_sub_commands(app, fake, text, header):
    status, _ = await app.command(text, fake.response_url())
    assert status == 200
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": header}}
    assert_within_limits(reply)


async def test_compare_command_sends_a_table_block_and_sources(app, fake):
    await app.command("compare Muse Spark, GPT-5.4 on GPQA Diamond", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert [b["type"] for b in reply["blocks"]] == ["header", "section", "table", "context", "actions"]  # + share
    assert reply["blocks"][1]["text"]["text"] == ("GPT-5.4 leads on GPQA Diamond with 92.8%, "
                                                  "ahead of Muse Spark (89.5%) by 3.3 percentage points.")
    table = reply["blocks"][2]
    assert [[c["text"] for c in row[:2]] for row in table["rows"]] == [
        ["Model", "GPQA Diamond"], ["GPT-5.4", "92.8%"], ["Muse Spark", "89.5%"]]
    assert table["column_settings"][1] == {"align": "right"}
    assert reply["blocks"][3] == {"type": "context", "elements": [{
        "type": "mrkdwn", "text": "[1] TNW — Meta’s Muse Spark is here – and it’s closed source (2026-04-08)"}]}


async def test_top_command_limits_the_leaderboard(app, fake):
    await app.command("top GPQA Diamond 2", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    (table,) = [b for b in reply["blocks"] if b["type"] == "table"]
    assert [[c["text"] for c in row[:3]] for row in table["rows"]] == [
        ["#", "Model", "GPQA Diamond"], ["1", "Gemini 3.1 Pro", "94.3%"], ["2", "GPT-5.4", "92.8%"]]


# -- "did you mean" buttons ------------------------------------------------------------------------


async def test_unknown_model_offers_suggestions_as_buttons(app, fake):
    await app.command("What did GPT-5.9 score on GPQA?", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply == {
        "response_type": "ephemeral",
        "text": "Not in the knowledge base\n\nI don't know 'GPT-5.9'.\n\nDid you mean: GPT-5.4, GPT-5.4 Pro",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Not in the knowledge base"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "I don't know 'GPT-5.9'."}},
            {"type": "actions", "block_id": "modelwire_suggestions", "elements": [
                {"type": "button", "action_id": "modelwire_ask_0", "value": "What did GPT-5.4 score on GPQA?",
                 "text": {"type": "plain_text", "text": "GPT-5.4"}},
                {"type": "button", "action_id": "modelwire_ask_1", "value": "What did GPT-5.4 Pro score on GPQA?",
                 "text": {"type": "plain_text", "text": "GPT-5.4 Pro"}},
            ]},
        ],
    }


async def test_suggestion_button_outside_a_joined_channel_answers_through_response_url(app, fake):
    fake.fail_next("chat.postMessage", error="not_in_channel")
    await app.action("What did GPT-5.4 score on GPQA?", fake.response_url("button"))
    (reply,) = await fake.wait_for("respond:button")
    assert reply["response_type"] == "in_channel" and reply["replace_original"] is False
    assert "92.8%" in reply["text"]


async def test_suggestion_button_asks_again_in_the_messages_thread(app, fake):
    started = time.monotonic()
    status, body = await app.action("GPT-5.4 Pro", fake.response_url("button"))
    assert status == 200 and body == ""
    assert time.monotonic() - started < 3
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["channel"] == "C0001" and post["thread_ts"] == "1700000000.000001"
    assert post["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "GPT-5.4 Pro"}}
    assert post["blocks"][1]["text"]["text"] == "GPT-5.4 Pro is a model by OpenAI."


# -- request signatures ----------------------------------------------------------------------------


def event_body(event_id: str = "EvSigned") -> str:
    return json.dumps({"token": "x", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()),
                       "event": mention("<@U0BOT> what did Muse Spark score on GPQA?")})


async def raw_post(app, body: str, headers: dict, content_type: str = "application/json"):
    async with app.http.post(app.url + EVENTS_PATH, data=body.encode(),
                             headers={"Content-Type": content_type, **headers}) as resp:
        return resp.status, await resp.text()


def _one_digit_off(signature: str) -> str:
    return signature[:-1] + ("1" if signature[-1] == "0" else "0")


@pytest.mark.parametrize("headers", [
    pytest.param(lambda body: {}, id="unsigned"),
    pytest.param(lambda body: sign(body, secret="another-workspace-secret"), id="wrong-secret"),
    pytest.param(lambda body: sign(body.replace("GPQA", "ARC-AGI-2")), id="other-body"),
    pytest.param(lambda body: sign(body, timestamp=int(time.time()) - 301), id="stale"),
    pytest.param(lambda body: sign(body, timestamp=int(time.time()) + 301), id="future"),
    pytest.param(lambda body: {**sign(body), "X-Slack-Signature": _one_digit_off(sign(body)["X-Slack-Signature"])},
                 id="one-digit-off"),
    pytest.param(lambda body: {**sign(body),
                               "X-Slack-Signature": sign(body)["X-Slack-Signature"].replace("v0=", "v1=")},
                 id="other-version"),
    pytest.param(lambda body: {**sign(body), "X-Slack-Request-Timestamp": "yesterday"}, id="garbage-timestamp"),
])
async def test_badly_signed_events_are_rejected_with_401(app, fake, headers):
    body = event_body()
    status, _ = await raw_post(app, body, headers(body))
    assert status == 401
    await settle(fake, "chat.postMessage", 0)


async def test_signature_within_five_minutes_is_accepted(app, fake):
    status, _ = await app.event(mention("<@U0BOT> what did Muse Spark score on GPQA?"),
                                timestamp=int(time.time()) - 240)
    assert status == 200
    await fake.wait_for("chat.postMessage")


async def test_badly_signed_command_and_action_are_rejected(app, fake):
    status, _ = await app.command("what did Muse Spark score on GPQA?", fake.response_url(),
                                  timestamp=int(time.time()) - 600)
    assert status == 401
    status, _ = await app.action("GPT-5.4", fake.response_url(), secret="another-workspace-secret")
    assert status == 401
    await asyncio.sleep(QUIET)
    assert fake.calls == []


async def test_garbage_body_without_signature_is_rejected(app, fake):
    status, _ = await raw_post(app, "{not json", {})
    assert status == 401
    status, _ = await raw_post(app, "payload=%7Bnot+json", {}, "application/x-www-form-urlencoded")
    assert status == 401
    assert fake.calls == []


async def test_url_verification_challenge_is_answered(app):
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    status, text = await raw_post(app, body, sign(body))
    assert status == 200 and json.loads(text) == {"challenge": "c-123"}
    status, _ = await raw_post(app, body, sign(body, secret="another-workspace-secret"))
    assert status == 401


# -- retries and deduplication ---------------------------------------------------------------------


async def test_the_same_event_delivered_twice_is_answered_once(app, fake):
    event = mention("<@U0BOT> what did Muse Spark score on GPQA?")
    assert (await app.event(event, event_id="EvTwice"))[0] == 200
    await fake.wait_for("chat.postMessage")
    assert (await app.event(event, event_id="EvTwice"))[0] == 200
    await settle(fake, "chat.postMessage", 1)


async def test_slack_retry_of_an_event_is_acknowledged_and_not_answered_again(app, fake):
    event = direct_message("top 3 on GPQA Diamond")
    assert (await app.event(event, event_id="EvRetried"))[0] == 200
    for attempt in ("1", "2"):
        status, _ = await app.event(event, event_id="EvRetried",
                                    headers={"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"})
        assert status == 200
    await settle(fake, "chat.postMessage", 1)
    # A different event with the same text is a new question.
    await app.event(event, event_id="EvNew")
    await fake.wait_for("chat.postMessage", 2)


async def test_concurrent_deliveries_to_two_replicas_are_answered_once(kb, fake):
    event = mention("<@U0BOT> what did Muse Spark score on GPQA?")
    other_engine = make_engine(kb.engine.url.render_as_string(hide_password=False))  # its own connections
    try:
        async with RunningApp(SlackBot(kb, settings_for(fake))) as one, \
                RunningApp(SlackBot(KnowledgeBase(other_engine), settings_for(fake))) as two:
            results = await asyncio.gather(one.event(event, event_id="EvRace"), two.event(event, event_id="EvRace"),
                                           two.event(event, event_id="EvRace", headers={"X-Slack-Retry-Num": "1"}))
            assert [status for status, _ in results] == [200, 200, 200]
            await fake.wait_for("chat.postMessage", 1, timeout=10)
            await settle(fake, "chat.postMessage", 1)
    finally:
        other_engine.dispose()


async def test_rate_limited_post_is_retried_after_retry_after(app, fake):
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    await app.event(mention("<@U0BOT> what did Muse Spark score on GPQA?"))
    first, second = await fake.wait_for("chat.postMessage", 2, timeout=5)
    assert time.monotonic() - started >= 1
    assert first == second  # the very same message, sent again
    assert second["blocks"][0] == GPQA_ANSWER
    await settle(fake, "chat.postMessage", 2)


# -- failures --------------------------------------------------------------------------------------


async def test_failed_post_is_logged_and_the_app_keeps_answering(app, fake, caplog):
    fake.fail_next("chat.postMessage", error="channel_not_found")
    await app.event(mention("<@U0BOT> what did Muse Spark score on GPQA?"), event_id="EvLost")
    await fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.1)
    (record,) = [r for r in caplog.records if r.name == "modelwire.slack" and r.levelno == logging.ERROR]
    assert "channel_not_found" in record.getMessage() and "C0001" in record.getMessage()
    await app.event(mention("<@U0BOT> Muse Spark vs GPT-5.4", ts="1700000000.000900"), event_id="EvNext")
    _, post = await fake.wait_for("chat.postMessage", 2)
    assert post["thread_ts"] == "1700000000.000900"
    assert post["blocks"][0]["text"]["text"] == "Muse Spark vs GPT-5.4"


async def test_server_error_from_slack_is_logged_and_the_app_keeps_answering(app, fake, caplog):
    fake.fail_next("chat.postMessage", status=500, error="internal_error")
    await app.event(direct_message("top 3 on GPQA Diamond"), event_id="Ev500")
    await fake.wait_for("chat.postMessage")
    await app.event(direct_message("top 3 on GPQA Diamond", ts="1700000000.000901"), event_id="EvAfter500")
    await fake.wait_for("chat.postMessage", 2)
    assert any("internal_error" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


async def test_an_event_whose_answer_failed_is_answered_on_slacks_retry(app, fake):
    fake.fail_next("chat.postMessage", status=500, error="internal_error")
    await app.event(direct_message("top 3 on GPQA Diamond"), event_id="EvRetryMe")
    await fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.2)
    await app.event(direct_message("top 3 on GPQA Diamond"), event_id="EvRetryMe",
                    headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    first, second = await fake.wait_for("chat.postMessage", 2)
    assert first == second and "94.3%" in second["text"]


async def test_failure_inside_the_bot_is_logged_with_context(app, fake, caplog):
    broken_once(app)
    await app.event(mention("<@U0BOT> what did Muse Spark score on GPQA?"), event_id="EvBroken")
    await settle(fake, "chat.postMessage", 1)  # the apology
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("database went away" in e and "EvBroken" in e for e in errors), errors
    await app.event(mention("<@U0BOT> what did Muse Spark score on GPQA?"), event_id="EvFine")
    await fake.wait_for("chat.postMessage", 2)


async def test_failure_answering_a_command_is_logged_with_context(app, fake, caplog):
    async def broken(question):
        raise RuntimeError("database went away")

    app.bot.ask = broken
    status, _ = await app.command("what did Muse Spark score on GPQA?", fake.response_url())
    assert status == 200
    await asyncio.sleep(QUIET)
    errors = [r.getMessage() for r in caplog.records if r.name == "modelwire.slack" and r.levelno >= logging.ERROR]
    assert any("database went away" in e and "/modelwire" in e and "C0001" in e for e in errors), errors


async def test_rejected_response_url_is_logged_with_context(app, fake, caplog):
    fake.fail_next("respond:cmd", status=404, error="expired_url")
    await app.command("what did Muse Spark score on GPQA?", fake.response_url())
    await fake.wait_for("respond:cmd")
    await asyncio.sleep(0.1)
    errors = [r.getMessage() for r in caplog.records if r.name == "modelwire.slack" and r.levelno >= logging.ERROR]
    assert any("expired_url" in e and "C0001" in e for e in errors), errors


# -- escaping, long questions and long answers ------------------------------------------------------


async def test_mentions_typed_into_a_question_cannot_ping_anyone(app, fake):
    # Slack sends special mentions as <!channel>, and what a person typed literally escaped.
    await app.command("model <!channel> <!here|here> &lt;!everyone&gt; &lt;@U123&gt; <#C999|general>",
                      fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    for text in mrkdwn_texts(reply):
        assert "<" not in text and ">" not in text, text
    assert "&lt;!channel&gt;" in section_text(reply)
    assert "&lt;!everyone&gt;" in section_text(reply) and "&lt;@U123&gt;" in section_text(reply)
    assert reply["blocks"][0]["text"]["type"] == "plain_text"


async def test_mentions_in_a_mention_are_not_echoed_as_pings(app, fake):
    await app.event(mention("<@U0BOT> <!channel> <!here> <@U123> what did Muse Spark score on GPQA? &lt;!everyone&gt;"))
    (post,) = await fake.wait_for("chat.postMessage")
    for text in mrkdwn_texts(post):
        assert "<!" not in text and "<@" not in text, text
    assert_within_limits(post)


async def test_a_3000_character_question(app, fake):
    question = "What did Muse Spark score on GPQA? " + "x" * 2965
    assert len(question) == 3000
    await app.command(question, fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert_within_limits(reply)
    assert reply["blocks"][0] == GPQA_ANSWER


async def test_a_3000_character_question_echoed_back_is_split_into_sections(app, fake):
    name = ("<!channel> & " * 250)[:2994]
    await app.command("model " + name, fake.response_url())
    (post,) = await fake.wait_for("respond:cmd")
    assert_within_limits(post)
    sections = [b for b in post["blocks"] if b["type"] == "section"]
    assert len(sections) > 1  # escaping makes the echo longer than one section
    assert render.escape(name.strip()) in section_text(post)
    for text in mrkdwn_texts(post):
        assert "<" not in text and ">" not in text


def long_pack(write_pack, sentences: int) -> tuple[Path, str]:
    """A pack whose one model has a description of ``sentences`` sentences, with mentions in it."""
    description = " ".join(f"Sentence {i} of a long description, with <!channel> & <@U999> inside."
                           for i in range(sentences))
    return write_pack({
        "pack": "long-answer-test",
        "sources": [{"id": "long-src", "title": "A <long> & winding source", "url": "https://example.invalid/long",
                     "published": "2026-05-01"}],
        "organizations": [{"name": "Longform Labs"}],
        "models": [{"name": "Longform One", "org": "Longform Labs", "description": description,
                    "source": "long-src"}],
    }, name="long.json"), description


async def test_answer_longer_than_one_section_is_split(app, fake, kb, write_pack):
    path, description = long_pack(write_pack, 120)
    import_file(kb.engine, path)
    await app.command("model Longform One", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert_within_limits(reply)
    sections = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    assert len(sections) >= 4
    assert render.escape(description) in "".join(sections)  # nothing lost between sections
    assert reply["blocks"][-2] == {"type": "context", "elements": [{  # the last one is the share button
        "type": "mrkdwn",
        "text": "[1] <https://example.invalid/long|A &lt;long&gt; &amp; winding source> (2026-05-01)"}]}
    for text in mrkdwn_texts(reply):
        assert "<!" not in text and "<@" not in text
    assert len(reply["text"]) <= render.MAX_FALLBACK


async def test_answer_longer_than_fifty_blocks_is_cut_with_a_note(app, fake, kb, write_pack):
    path, _ = long_pack(write_pack, 2500)
    import_file(kb.engine, path)
    await app.event(mention("<@U0BOT> tell me about Longform One"), event_id="EvHuge")
    (post,) = await fake.wait_for("chat.postMessage")
    assert_within_limits(post)
    assert len(post["blocks"]) == render.MAX_BLOCKS
    assert post["blocks"][-2] == {"type": "section", "text": {
        "type": "mrkdwn", "text": "_The answer is longer than one message; the rest is cut._"}}
    assert post["blocks"][-1]["type"] == "context"
