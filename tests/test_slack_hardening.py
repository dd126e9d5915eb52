"""Issue 13 on Slack, through the real Bolt app in HTTP mode and the fake Slack on loopback.

Unsigned garbage is a quiet 401; answering never stalls (a pool of answer workers, an apology when
an answer fails, an event marked seen only once a reply was posted); a structured compare is capped;
digest rights in a direct message only in the person's own IM with the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.slack import app as slack_app
from adapters.slack.app import EVENTS_PATH, SlackBot
from adapters.slack.convert import may_manage
from knowledge.schema import Subscription
from tests.fakes.slack import FakeSlack
from tests.slack_support import RunningApp, broken_once, settings_for, sign

QUIET = 0.3
APOLOGY = "Sorry, something went wrong answering that. Please try again in a moment."
SCORE_Q = "<@U0BOT> what did Muse Spark score on GPQA?"


@pytest.fixture
async def app(kb, fake):
    async with RunningApp(SlackBot(kb, settings_for(fake))) as running:
        yield running


def mention(text: str, ts: str = "1700000000.000100") -> dict:
    return {"type": "app_mention", "user": "U0001", "channel": "C0001", "ts": ts, "text": text}


async def raw(app: RunningApp, body: bytes, headers: dict) -> tuple[int, str]:
    async with app.http.post(app.url + EVENTS_PATH, data=body, headers=headers) as resp:
        return resp.status, await resp.text()


# -- #10: unsigned garbage is a quiet 401 --------------------------------------------------------------

EVENT = json.dumps({"type": "event_callback", "event_id": "EvG", "team_id": "T0001", "event": mention("hi")})
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body, headers", [
    pytest.param(b"\xff\xfe\x00garbage\x80\x81", JSON, id="non-utf8-unsigned"),
    pytest.param(b"\xff\xfe\x00garbage\x80\x81", {**JSON, **sign("x")}, id="non-utf8-signed-other"),
    pytest.param(EVENT.encode(), {"Content-Type": "application/json; charset=x-no-such-charset"}, id="bogus-charset"),
    pytest.param(EVENT.encode(), {"Content-Type": "application/x-www-form-urlencoded; charset=nope",
                                  "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"},
                 id="bogus-charset-form"),
    pytest.param(EVENT.encode(), {**JSON, **sign(EVENT, timestamp=int("9" * 400))}, id="400-digit-timestamp"),
    pytest.param(EVENT.encode(), {**JSON, "X-Slack-Request-Timestamp": "-" + "9" * 400,
                                  "X-Slack-Signature": "v0=abc"}, id="400-digit-negative-timestamp"),
    pytest.param(EVENT.encode(), {**JSON, "X-Slack-Request-Timestamp": "9" * 5000,
                                  "X-Slack-Signature": "v0=abc"}, id="5000-digit-timestamp"),
    pytest.param(EVENT.encode(), {**JSON, "X-Slack-Request-Timestamp": "1e400", "X-Slack-Signature": "v0=abc"},
                 id="float-timestamp"),
])
async def test_unsigned_garbage_is_a_quiet_401(app, fake, caplog, body, headers):
    caplog.set_level(logging.DEBUG)
    status, _ = await raw(app, body, headers)
    assert status == 401
    await asyncio.sleep(0.05)
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]
    assert fake.calls == []


async def test_a_signed_event_with_a_bogus_charset_is_still_answered(app, fake):
    body = json.dumps({"token": "x", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                       "event_id": "EvCharset", "event_time": int(time.time()), "event": mention(SCORE_Q)})
    status, _ = await raw(app, body.encode(), {"Content-Type": "application/json; charset=x-bogus", **sign(body)})
    assert status == 200
    (post,) = await fake.wait_for("chat.postMessage")
    assert "89.5%" in post["text"]


# -- #13: a slow answer does not hold up the others ----------------------------------------------------


@pytest.fixture
def slow_question(monkeypatch):
    """Hold the answer to any question containing "SLOW" in its worker until the test releases it."""
    started, release = threading.Event(), threading.Event()
    real = slack_app.answer_in_conversation

    def held(question, kb):
        if "SLOW" in question.text:
            started.set()
            release.wait(20)
        return real(question, kb)

    monkeypatch.setattr(slack_app, "answer_in_conversation", held)
    yield started, release
    release.set()


async def test_a_slow_answer_does_not_hold_up_other_questions(app, fake, slow_question):
    started, release = slow_question
    await app.event(mention("<@U0BOT> SLOW top 3 on GPQA Diamond", ts="1700000000.000001"), event_id="EvSlow")
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    assert started.is_set()
    began = time.monotonic()
    await app.event(mention(SCORE_Q, ts="1700000000.000002"), event_id="EvQuick")
    (post,) = await fake.wait_for("chat.postMessage", timeout=5)
    assert post["thread_ts"] == "1700000000.000002" and "89.5%" in post["text"]
    assert time.monotonic() - began < 3
    release.set()
    _, slow = await fake.wait_for("chat.postMessage", 2)
    assert slow["thread_ts"] == "1700000000.000001"


async def test_the_pool_of_answer_workers_is_bounded_and_configurable(kb, fake, monkeypatch):
    monkeypatch.setenv("MODELWIRE_ANSWER_WORKERS", "3")
    from adapters.settings import AnswerSettings, load

    bot = SlackBot(kb, settings_for(fake), load(AnswerSettings))
    assert bot._executor._max_workers == 3
    assert SlackBot(kb, settings_for(fake))._executor._max_workers == 3  # read from the environment too
    monkeypatch.setenv("MODELWIRE_ANSWER_WORKERS", "0")
    from adapters.settings import ConfigError

    with pytest.raises(ConfigError, match="MODELWIRE_ANSWER_WORKERS is invalid"):
        load(AnswerSettings)


# -- an answer that fails is still answered; seen only once a reply was posted ---------------------------


async def test_an_answer_that_fails_is_answered_with_an_apology_in_its_thread(app, fake, caplog):
    broken_once(app)
    status, _ = await app.event(mention(SCORE_Q), event_id="EvBroken")
    assert status == 200
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["channel"] == "C0001" and post["thread_ts"] == "1700000000.000100"
    assert post["text"] == APOLOGY and post["blocks"][0]["text"]["text"] == APOLOGY
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("database went away" in e and "EvBroken" in e for e in errors), errors
    # The apology was posted: Slack's retry of that event is not answered again.
    await app.event(mention(SCORE_Q), event_id="EvBroken", headers={"X-Slack-Retry-Num": "1"})
    await asyncio.sleep(QUIET)
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_a_failed_answer_whose_apology_could_not_be_posted_is_answered_on_slacks_retry(app, fake):
    broken_once(app)
    fake.fail_next("chat.postMessage", status=500, error="internal_error")
    await app.event(mention(SCORE_Q), event_id="EvNothingPosted")
    await fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.2)
    await app.event(mention(SCORE_Q), event_id="EvNothingPosted",
                    headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    _, answer = await fake.wait_for("chat.postMessage", 2)
    assert "89.5%" in answer["text"]


async def test_a_failure_before_answering_releases_the_event_for_slacks_retry(app, fake, monkeypatch):
    real, calls = slack_app.convert.question_from_event, []

    def broken(event, team):
        calls.append(event)
        if len(calls) == 1:
            raise ValueError("unreadable event")
        return real(event, team)

    monkeypatch.setattr(slack_app.convert, "question_from_event", broken)
    await app.event(mention(SCORE_Q), event_id="EvEarly")
    await asyncio.sleep(QUIET)
    assert fake.calls_to("chat.postMessage") == []
    await app.event(mention(SCORE_Q), event_id="EvEarly", headers={"X-Slack-Retry-Num": "1"})
    (post,) = await fake.wait_for("chat.postMessage")
    assert "89.5%" in post["text"]


async def test_a_command_whose_answer_fails_gets_an_apology(app, fake, caplog):
    async def broken(question):
        raise RuntimeError("database went away")

    app.bot.ask = broken
    status, _ = await app.command("what did Muse Spark score on GPQA?", fake.response_url())
    assert status == 200
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["text"] == APOLOGY and reply["response_type"] == "ephemeral"
    assert any("database went away" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


async def test_a_button_whose_answer_fails_gets_an_apology(app, fake):
    async def broken(question):
        raise RuntimeError("database went away")

    app.bot.ask = broken
    await app.action("GPT-5.4", fake.response_url())
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["text"] == APOLOGY and post["thread_ts"] == "1700000000.000001"


# -- #14: structured compare capped at 10 models --------------------------------------------------------


async def test_compare_with_300_models_is_refused_quickly_with_the_cap(app, fake):
    names = ", ".join(f"Model {i}" for i in range(300))
    began = time.monotonic()
    await app.command(f"compare {names}", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert time.monotonic() - began < 3
    assert "Compare at most 10 models at a time (you named 300)" in reply["text"]
    await asyncio.sleep(QUIET)
    assert fake.calls_to("files.getUploadURLExternal") == []  # no chart drawn


async def test_compare_of_a_few_models_still_works(app, fake):
    await app.command("compare Muse Spark, GPT-5.4", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["blocks"][0]["text"]["text"].startswith("Muse Spark vs GPT-5.4")


# -- #20: digest rights in a DM only in the person's own IM with the bot --------------------------------


class FakeSlackWithIMs(FakeSlack):
    """The fake Slack, answering conversations.info like Slack does for the bot's token: the bot's own
    IMs are known (is_im, the other member); a DM between two people is channel_not_found."""

    def __init__(self) -> None:
        super().__init__()
        self.ims: dict[str, str] = {}

    def _reply(self, method: str, params: dict) -> dict:
        if method == "conversations.info":
            channel = params.get("channel")
            if channel in self.ims:
                return {"ok": True, "channel": {"id": channel, "is_im": True, "user": self.ims[channel]}}
            return {"ok": False, "error": "channel_not_found"}
        return super()._reply(method, params)


@pytest.fixture
async def ims():
    slack = await FakeSlackWithIMs().start()
    yield slack
    await slack.stop()


MEMBER = {"id": "U0001", "name": "bob", "is_admin": False, "is_owner": False, "tz": "UTC"}


async def command_in(app: RunningApp, channel: str, text: str, response_url: str) -> int:
    body = urlencode({"token": "x", "team_id": "T0001", "channel_id": channel, "channel_name": "directmessage",
                      "user_id": "U0001", "command": "/modelwire", "text": text, "response_url": response_url,
                      "trigger_id": "1.2.3", "api_app_id": "A0001"})
    return (await app.post(body, "application/x-www-form-urlencoded"))[0]


def subscribed_channels(kb) -> list[str]:
    with Session(kb.engine) as session:
        return [s.channel for s in session.execute(select(Subscription)).scalars()]


async def test_a_dm_between_two_people_gives_no_subscription_rights(kb, ims):
    ims.users["U0001"] = MEMBER
    ims.ims["D0BOT"] = "U0001"
    async with RunningApp(SlackBot(kb, settings_for(ims))) as app:
        assert await command_in(app, "D0OTHER", "subscribe daily 09:00", ims.response_url()) == 200
        (refused,) = await ims.wait_for("respond:cmd")
        assert refused["blocks"][0]["text"]["text"] == "Not allowed"
        assert subscribed_channels(kb) == []
        # In the person's own IM with the bot they may.
        assert await command_in(app, "D0BOT", "subscribe daily 09:00", ims.response_url()) == 200
        _, allowed = await ims.wait_for("respond:cmd", 2)
        assert allowed["blocks"][0]["text"]["text"] == "Subscribed to release digests"
        assert subscribed_channels(kb) == ["D0BOT"]
        # Someone else's IM with the bot (the bot sees it, but it is not this person's) gives no rights.
        ims.ims["D0THEIRS"] = "U0002"
        await command_in(app, "D0THEIRS", "subscribe daily 09:00", ims.response_url())
        _, _, theirs = await ims.wait_for("respond:cmd", 3)
        assert theirs["blocks"][0]["text"]["text"] == "Not allowed"
    assert [c["channel"] for c in ims.calls_to("conversations.info")] == ["D0OTHER", "D0BOT", "D0THEIRS"]


async def test_questions_in_a_dm_do_not_look_up_the_conversation(kb, ims):
    async with RunningApp(SlackBot(kb, settings_for(ims))) as app:
        await command_in(app, "D0OTHER", "top 3 on GPQA Diamond", ims.response_url())
        await ims.wait_for("respond:cmd")
    assert ims.calls_to("conversations.info") == []


def test_may_manage_needs_the_own_im_not_just_a_d_id():
    assert not may_manage(None, "U1", "D0123", frozenset())
    assert may_manage(None, "U1", "D0123", frozenset(), own_im=True)
    assert not may_manage(None, "U1", "C0123", frozenset(), own_im=True)  # own_im only means something for a DM
