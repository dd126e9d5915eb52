"""Follow-up questions in Slack: the real Bolt app (HTTP mode) against the fake Slack, on both databases.

A mention's conversation is its thread (the one its answer starts); a ``/modelwire`` command's is the
person's in that channel. See ``adapters.slack.convert``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from adapters.slack.app import SlackBot
from tests.conversation_support import FOLLOW_UP, SCORE_Q, assert_context_kept, stored
from tests.slack_support import RunningApp, settings_for

pytestmark = pytest.mark.asyncio

TOP = "1700000000.000100"


@pytest.fixture
async def app(kb, fake):
    async with RunningApp(SlackBot(kb, settings_for(fake))) as running:
        yield running


class Asker:
    """Sends mentions and commands with fresh event ids, each after the previous answer arrived."""

    def __init__(self, app: RunningApp, fake):
        self.app, self.fake, self.sent = app, fake, 0

    async def mention(self, text: str, ts: str, thread_ts: str | None = None, channel: str = "C0001",
                      user: str = "U0001", kind: str = "app_mention") -> dict:
        event = {"type": kind, "user": user, "channel": channel, "ts": ts, "text": f"<@U0BOT> {text}"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        if kind == "message":
            event["channel_type"] = "im"
        self.sent += 1
        status, _ = await self.app.event(event, event_id=f"EvConv{self.sent}")
        assert status == 200
        return (await self.fake.wait_for("chat.postMessage", count=self.sent))[-1]

    async def command(self, text: str, user: str = "U0001") -> dict:
        self.sent += 1
        name = f"conv{self.sent}"
        body = urlencode({"token": "x", "team_id": "T0001", "channel_id": "C0001", "user_id": user,
                          "command": "/modelwire", "text": text, "response_url": self.fake.response_url(name),
                          "trigger_id": "1.2.3", "api_app_id": "A0001"})
        status, _ = await self.app.post(body, "application/x-www-form-urlencoded")
        assert status == 200
        return (await self.fake.wait_for(f"respond:{name}"))[0]


def header(payload: dict) -> str:
    return payload["blocks"][0]["text"]["text"]


async def test_a_mention_in_the_thread_of_an_answer_continues_it(app, fake, kb):
    ask = Asker(app, fake)
    first = await ask.mention(SCORE_Q, TOP)
    assert first["thread_ts"] == TOP and "89.5%" in first["text"]
    assert_context_kept(kb, f"slack:T0001:C0001:thread:{TOP}")
    follow = await ask.mention(FOLLOW_UP, "1700000050.000200", thread_ts=TOP, user="U0002")
    assert follow["thread_ts"] == TOP
    assert header(follow) == "GPT-5.4 on GPQA Diamond"
    assert "92.8%" in follow["text"] and "89.5%" not in follow["text"]


async def test_the_same_follow_up_elsewhere_is_answered_on_its_own(app, fake, kb):
    ask = Asker(app, fake)
    await ask.mention(SCORE_Q, TOP)
    elsewhere = [await ask.mention(FOLLOW_UP, "1700000060.000300"),  # a new top-level mention: a new thread
                 await ask.mention(FOLLOW_UP, "1700000070.000400", thread_ts="1700000065.000000"),
                 await ask.mention(FOLLOW_UP, "1700000080.000500", thread_ts=TOP, channel="C0002")]
    assert [header(p) for p in elsewhere] == ["GPT-5.4"] * 3  # the model card, not a GPQA Diamond score


async def test_a_direct_message_continues_in_its_thread(app, fake, kb):
    ask = Asker(app, fake)
    first = await ask.mention(SCORE_Q, TOP, channel="D0001", kind="message")
    assert first["channel"] == "D0001" and first["thread_ts"] == TOP
    assert_context_kept(kb, f"slack:T0001:D0001:thread:{TOP}")
    follow = await ask.mention(FOLLOW_UP, "1700000050.000200", thread_ts=TOP, channel="D0001", kind="message")
    assert header(follow) == "GPT-5.4 on GPQA Diamond" and "92.8%" in follow["text"]


async def test_slash_commands_continue_the_persons_conversation_in_the_channel(app, fake, kb):
    ask = Asker(app, fake)
    first = await ask.command(SCORE_Q)
    assert "89.5%" in first["text"]
    assert_context_kept(kb, "slack:T0001:C0001:user:U0001")
    other = await ask.command(FOLLOW_UP, user="U0002")
    assert header(other) == "GPT-5.4"
    mine = await ask.command(FOLLOW_UP)
    assert header(mine) == "GPT-5.4 on GPQA Diamond" and "92.8%" in mine["text"]


async def test_help_in_a_thread_does_not_end_its_conversation(app, fake, kb):
    ask = Asker(app, fake)
    await ask.mention(SCORE_Q, TOP)
    before = stored(kb, f"slack:T0001:C0001:thread:{TOP}")
    await ask.mention("help", "1700000040.000150", thread_ts=TOP)
    assert stored(kb, f"slack:T0001:C0001:thread:{TOP}") == before
    follow = await ask.mention(FOLLOW_UP, "1700000050.000200", thread_ts=TOP)
    assert header(follow) == "GPT-5.4 on GPQA Diamond"
