"""Follow-up questions on Discord: the real discord.py bot against the fake Discord, on both databases.

A conversation is a person's in a channel (see ``adapters.discord.convert``).
"""

from __future__ import annotations

import pytest

from tests.conversation_support import FOLLOW_UP, SCORE_Q, assert_context_kept
from tests.fakes.discord import BOT_ID, BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, PERSON, USER_ID, FakeDiscord
from tests.test_discord_gateway import answered, start_bot, stop_bot

pytestmark = pytest.mark.asyncio

OTHER_PERSON = {**PERSON, "id": str(USER_ID + 1), "username": "bob", "global_name": "bob"}
KEY = f"discord:{GUILD_ID}:{CHANNEL_ID}:user:{USER_ID}"


@pytest.fixture
async def bot(kb, fake_discord, urls):
    running, task = await start_bot(kb, fake_discord)
    yield running
    await stop_bot(running, task)


async def say(fake: FakeDiscord, text: str, author: dict = PERSON, channel: int = CHANNEL_ID, **extra) -> dict:
    """A message mentioning the bot (in the guild channel; in a DM channel: a direct message); the
    embed of its answer."""
    guild = channel != DM_CHANNEL_ID
    before = len(fake.calls_to("POST", f"/channels/{channel}/messages"))
    message = fake.message(channel, {"content": f"<@{BOT_ID}> {text}" if guild else text}, author=author,
                           guild=guild, mentions=[BOT_USER] if guild else [], **extra)
    await fake.dispatch("MESSAGE_CREATE", message)
    posts = await fake.wait_for("POST", f"/channels/{channel}/messages", count=before + 1)
    return posts[-1].json["embeds"][0]


async def test_a_follow_up_mention_by_the_same_person_continues(bot, fake_discord, kb):
    first = await say(fake_discord, SCORE_Q)
    assert "89.5%" in first["description"]
    assert_context_kept(kb, KEY)
    follow = await say(fake_discord, FOLLOW_UP)
    assert follow["title"] == "GPT-5.4 on GPQA Diamond"
    assert "92.8%" in follow["description"]


async def test_another_person_in_the_channel_does_not_inherit_it(bot, fake_discord, kb):
    await say(fake_discord, SCORE_Q)
    theirs = await say(fake_discord, FOLLOW_UP, author=OTHER_PERSON)
    assert theirs["title"] == "GPT-5.4"  # the model card, not a GPQA Diamond score
    assert (await say(fake_discord, FOLLOW_UP))["title"] == "GPT-5.4 on GPQA Diamond"


async def test_a_reply_to_an_answer_continues(bot, fake_discord, kb):
    await say(fake_discord, SCORE_Q)
    (post,) = fake_discord.created[CHANNEL_ID]
    reference = {"message_id": post["id"], "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID)}
    follow = await say(fake_discord, FOLLOW_UP, type=19, message_reference=reference,
                       referenced_message={**post, "guild_id": str(GUILD_ID)})
    assert follow["title"] == "GPT-5.4 on GPQA Diamond"


async def test_a_direct_message_continues(bot, fake_discord, kb):
    await say(fake_discord, SCORE_Q, channel=DM_CHANNEL_ID)
    assert_context_kept(kb, f"discord:-:{DM_CHANNEL_ID}:user:{USER_ID}")
    assert (await say(fake_discord, FOLLOW_UP, channel=DM_CHANNEL_ID))["title"] == "GPT-5.4 on GPQA Diamond"


async def test_ask_command_continues_the_persons_conversation(bot, fake_discord, kb):
    _, first = await answered(fake_discord, fake_discord.command("ask", question=SCORE_Q))
    assert "89.5%" in first["embeds"][0]["description"]
    assert_context_kept(kb, KEY)
    _, follow = await answered(fake_discord, fake_discord.command("ask", question=FOLLOW_UP))
    assert follow["embeds"][0]["title"] == "GPT-5.4 on GPQA Diamond"
