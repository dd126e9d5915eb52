"""An answer that takes longer than MODELWIRE_ANSWER_TIMEOUT_SECONDS gets a short apology (hardening issue).

The real Slack app (against the fake Slack) and the real Discord bot (against the fake Discord) answer
with a 1 s budget; the core's answer function is made to sleep for questions containing SLOW (the
database is real). The person gets the apology within the budget plus a margin, a WARNING gives the time
taken, the slow work finishes in its thread and its late answer is never posted, and on Slack the event
counts as replied (a retry of it is not answered again).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from adapters.discord import app as discord_app
from adapters.settings import AnswerSettings, ConfigError, load
from adapters.slack import app as slack_app
from adapters.slack.app import SlackBot
from tests.fakes.discord import APP_ID, BOT_USER, CHANNEL_ID
from tests.slack_support import RunningApp, settings_for
from tests.test_discord_gateway import start_bot, stop_bot

BUDGET = 1.0
MARGIN = 1.5
TOO_SLOW = "That question took too long to answer; please try again or narrow it down."
QUIET = 0.3


def slowed(monkeypatch, module) -> tuple[threading.Event, list]:
    """Make ``module``'s answer function sleep (until released, at most 5 s) for questions with SLOW; the
    release event and the questions whose slow work finished."""
    real, release, finished = module.answer_in_conversation, threading.Event(), []

    def slow(question, kb):
        if "SLOW" in question.text:
            release.wait(5)
            finished.append(question)
        return real(question, kb)

    monkeypatch.setattr(module, "answer_in_conversation", slow)
    return release, finished


def warned(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "took" in r.getMessage()]


async def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


# -- the setting ----------------------------------------------------------------------------------------

def test_the_budget_defaults_to_15_seconds_and_is_checked(monkeypatch):
    monkeypatch.delenv("MODELWIRE_ANSWER_TIMEOUT_SECONDS", raising=False)
    assert load(AnswerSettings).timeout_seconds == 15
    monkeypatch.setenv("MODELWIRE_ANSWER_TIMEOUT_SECONDS", "2.5")
    assert load(AnswerSettings).timeout_seconds == 2.5
    for bad in ("0", "301", "soon"):
        monkeypatch.setenv("MODELWIRE_ANSWER_TIMEOUT_SECONDS", bad)
        with pytest.raises(ConfigError) as err:
            load(AnswerSettings)
        assert str(err.value).startswith("MODELWIRE_ANSWER_TIMEOUT_SECONDS is invalid")


# -- Slack ---------------------------------------------------------------------------------------------

@pytest.fixture
async def slack(kb, fake):
    bot = SlackBot(kb, settings_for(fake), AnswerSettings(timeout_seconds=BUDGET))
    async with RunningApp(bot) as running:
        yield running
    bot._executor.shutdown(wait=False, cancel_futures=True)


def mention(text: str, ts: str = "1700000000.000100") -> dict:
    return {"type": "app_mention", "user": "U0001", "channel": "C0001", "ts": ts, "event_ts": ts,
            "text": f"<@U0BOT> {text}"}


async def test_a_slack_mention_answered_too_slowly_gets_the_apology_in_time_and_counts_as_replied(
        slack, fake, monkeypatch, caplog):
    release, finished = slowed(monkeypatch, slack_app)
    began = time.monotonic()
    assert (await slack.event(mention("SLOW what did Muse Spark score on GPQA?"), event_id="EvSlow"))[0] == 200
    (post,) = await fake.wait_for("chat.postMessage", timeout=BUDGET + MARGIN)
    took = time.monotonic() - began
    print(f"slack mention: apology after {took:.2f} s (budget {BUDGET} s)")
    assert BUDGET <= took < BUDGET + MARGIN
    assert post["text"] == TOO_SLOW and post["thread_ts"] == "1700000000.000100"
    (line,) = warned(caplog)
    assert f"{BUDGET:g} s" in line
    # Slack retries the event: it was replied to, so it is not answered again
    await slack.event(mention("SLOW what did Muse Spark score on GPQA?"), event_id="EvSlow",
                      headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    release.set()
    await until(lambda: finished)  # the slow work ran to its end in its thread...
    await asyncio.sleep(QUIET)
    assert len(fake.calls_to("chat.postMessage")) == 1  # ...and its late answer was dropped
    # a question within the budget is answered as usual
    await slack.event(mention("what did Muse Spark score on GPQA?", ts="1700000000.000200"), event_id="EvFast")
    _, answer = await fake.wait_for("chat.postMessage", count=2)
    assert "89.5%" in answer["text"]


async def test_a_slash_command_answered_too_slowly_gets_the_apology_through_response_url(
        slack, fake, monkeypatch, caplog):
    release, finished = slowed(monkeypatch, slack_app)
    began = time.monotonic()
    assert (await slack.command("SLOW compare Muse Spark, GPT-5.4", fake.response_url("cmd")))[0] == 200
    (reply,) = await fake.wait_for("respond:cmd", timeout=BUDGET + MARGIN)
    print(f"slack command: apology after {time.monotonic() - began:.2f} s")
    assert reply["text"] == TOO_SLOW and reply["response_type"] == "ephemeral"  # /modelwire replies are private
    assert len(warned(caplog)) == 1 and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    release.set()
    await until(lambda: finished)


# -- Discord -------------------------------------------------------------------------------------------

@pytest.fixture
async def discord_bot(kb, fake_discord, urls, monkeypatch):
    monkeypatch.setenv("MODELWIRE_ANSWER_TIMEOUT_SECONDS", str(BUDGET))  # DiscordBot reads AnswerSettings
    running, task = await start_bot(kb, fake_discord)
    yield running
    await stop_bot(running, task)


async def test_a_discord_command_answered_too_slowly_gets_the_apology_as_its_follow_up(
        discord_bot, fake_discord, monkeypatch, caplog):
    release, finished = slowed(monkeypatch, discord_app)
    command = fake_discord.command("ask", question="SLOW what did Muse Spark score on GPQA?")
    began = time.monotonic()
    await fake_discord.dispatch("INTERACTION_CREATE", command)
    (followup,) = await fake_discord.wait_for("POST", f"/webhooks/{APP_ID}/{command['token']}",
                                              timeout=BUDGET + MARGIN)
    took = time.monotonic() - began
    print(f"discord command: apology after {took:.2f} s (budget {BUDGET} s)")
    assert took < BUDGET + MARGIN
    assert followup.json["content"] == TOO_SLOW and not followup.json.get("embeds")
    assert len(warned(caplog)) == 1
    release.set()
    await until(lambda: finished)
    await asyncio.sleep(QUIET)
    assert len(fake_discord.calls_to("POST", f"/webhooks/{APP_ID}/{command['token']}")) == 1


async def test_a_discord_mention_answered_too_slowly_gets_the_apology_as_a_reply(
        discord_bot, fake_discord, monkeypatch):
    release, finished = slowed(monkeypatch, discord_app)
    message = fake_discord.message(CHANNEL_ID, {"content": f"<@{BOT_USER['id']}> SLOW top 3 on GPQA Diamond"},
                                   guild=True, mentions=[BOT_USER])
    began = time.monotonic()
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (reply,) = await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", timeout=BUDGET + MARGIN)
    print(f"discord mention: apology after {time.monotonic() - began:.2f} s")
    assert reply.json["content"] == TOO_SLOW
    assert str(reply.json["message_reference"]["message_id"]) == message["id"]
    release.set()
    await until(lambda: finished)
    await asyncio.sleep(QUIET)
    assert len(fake_discord.calls_to("POST", f"/channels/{CHANNEL_ID}/messages")) == 1
