"""The real discord.py client, connected to a fake Discord over loopback, answering from the kb.

Every test asserts on what Discord itself would receive: the REST requests the fake recorded
(interaction callbacks, follow-up webhooks, channel messages, command sync) and their JSON bodies.
"""

from __future__ import annotations

import asyncio

import discord
import pytest
from click.testing import CliRunner

from adapters.discord import render
from adapters.discord.app import DiscordBot, serve
from adapters.discord.settings import DiscordSettings
from bot.cli import cli
from tests.fakes.discord import (
    APP_ID,
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    PERSON,
    TOKEN,
    FakeDiscord,
    embed_size,
)
from tests.polling import eventually, free_port, healthz

pytestmark = pytest.mark.asyncio
NO_PINGS = {"parse": []}
NO_PINGS_REPLY = {"parse": [], "replied_user": False}
"""A reply also names the replied-to author, and does not ping them either."""
QUIET = 0.3


async def start_bot(kb, fake: FakeDiscord, guild_id: int | None = GUILD_ID) -> tuple[DiscordBot, asyncio.Task]:
    settings = DiscordSettings(token=TOKEN, guild_id=guild_id, api_url=fake.api_url, gateway_url=fake.gateway_url)
    bot = DiscordBot(kb, settings, guild_ready_timeout=0.05)  # READY lists no guilds: do not wait 2 s for them
    task = asyncio.create_task(bot.start(TOKEN))
    ready = asyncio.create_task(bot.wait_until_ready())
    await asyncio.wait([task, ready], timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        ready.cancel()
        await stop_bot(bot, task)
        raise AssertionError(f"the client did not become ready: {task.exception() if task.done() else 'timeout'}")
    return bot, task


async def stop_bot(bot: DiscordBot, task: asyncio.Task) -> None:
    await bot.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def bot(kb, fake_discord, urls):
    running, task = await start_bot(kb, fake_discord)
    yield running
    await stop_bot(running, task)


def assert_embed_within_limits(embed: dict) -> None:
    assert 1 <= len(embed["title"]) <= render.MAX_TITLE
    assert len(embed.get("description", "")) <= render.MAX_DESCRIPTION
    assert len(embed.get("fields", [])) <= render.MAX_FIELDS
    for f in embed.get("fields", []):
        assert 1 <= len(f["name"]) <= render.MAX_FIELD_NAME and 1 <= len(f["value"]) <= render.MAX_FIELD_VALUE
    assert len((embed.get("footer") or {}).get("text", "")) <= render.MAX_FOOTER
    assert embed_size(embed) <= render.MAX_EMBED_TOTAL


async def answered(fake: FakeDiscord, interaction: dict) -> tuple[dict, dict]:
    """Dispatch a command interaction; return the callback body and the follow-up body."""
    await fake.dispatch("INTERACTION_CREATE", interaction)
    prefix = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    (callback,) = await fake.wait_for("POST", prefix)
    (followup,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{interaction['token']}")
    return callback.json, followup.json


# -- start-up ------------------------------------------------------------------------------------------


async def test_start_up_logs_in_identifies_and_syncs_to_the_development_guild(bot, fake_discord):
    assert [c.path for c in fake_discord.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    assert fake_discord.calls[0].headers["Authorization"] == f"Bot {TOKEN}"
    (sync,) = fake_discord.calls_to("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert not fake_discord.calls_to("PUT", f"/applications/{APP_ID}/commands")
    names = {c["name"]: c for c in sync.json}
    assert set(names) == {"ask", "compare", "top", "model", "find", "help", "subscribe", "unsubscribe", "subscriptions",
                          "digest", "Ask modelwire"}
    assert [(o["name"], o["required"], o.get("autocomplete", False)) for o in names["compare"]["options"]] == \
        [("model1", True, True), ("model2", True, True), ("model3", False, True), ("model4", False, True),
         ("benchmark", False, True)]
    assert [o["name"] for o in names["top"]["options"]] == ["benchmark", "n"]
    assert names["model"]["options"][0]["autocomplete"] is True
    assert fake_discord.gateway_queries == [{"v": "10", "encoding": "json", "compress": "zlib-stream"}]
    (identify,) = [f for f in fake_discord.gateway_frames if f["op"] == 2]
    assert identify["d"]["token"] == TOKEN
    # guilds (1 << 0), guild_messages (1 << 9), direct_messages (1 << 12); no message_content (1 << 15)
    assert identify["d"]["intents"] == (1 << 0) | (1 << 9) | (1 << 12)


async def test_without_a_guild_commands_sync_globally(kb, fake_discord, urls):
    running, task = await start_bot(kb, fake_discord, guild_id=None)
    try:
        (sync,) = fake_discord.calls_to("PUT", f"/applications/{APP_ID}/commands")
        assert len(sync.json) == 11  # ask, compare, top, model, find, help, the four digest commands, the menu
        assert not fake_discord.calls_to("PUT", f"/applications/{APP_ID}/guilds/")
    finally:
        await stop_bot(running, task)


async def test_a_refused_token_stops_login_and_closes_the_client(kb, fake_discord, urls):
    fake_discord.fail_next("GET", "/users/@me", status=401, message="401: Unauthorized")
    settings = DiscordSettings(token=TOKEN, api_url=fake_discord.api_url, gateway_url=fake_discord.gateway_url)
    bot = DiscordBot(kb, settings)
    with pytest.raises(discord.LoginFailure):
        await asyncio.wait_for(serve(bot), 5)
    assert bot.is_closed()
    assert not fake_discord.gateway_frames


@pytest.mark.parametrize("failure, line", [
    ({"method": "GET", "path_prefix": "/users/@me", "status": 401, "message": "401: Unauthorized"},
     "Error: DISCORD_TOKEN was refused by Discord (check the bot token)\n"),
    ({"method": "PUT", "path_prefix": f"/applications/{APP_ID}/guilds/", "status": 403, "message": "Missing Access"},
     "Error: Discord refused a start-up request: 403 Forbidden (error code: 0): Missing Access\n"),
])
async def test_modelwire_discord_start_up_failures_are_one_line(fake_discord, urls, tmp_path, monkeypatch,
                                                                failure, line):
    fake_discord.fail_next(**failure)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_GUILD_ID", str(GUILD_ID))
    monkeypatch.setenv("DISCORD_API_URL", fake_discord.api_url)
    monkeypatch.setenv("DISCORD_GATEWAY_URL", fake_discord.gateway_url)
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["--db", db, "discord"])
    assert result.exit_code == 1
    assert result.output.endswith(line) and "Traceback" not in result.output


async def test_heartbeats_are_sent_and_acknowledged(kb, fake_discord, urls):
    fake_discord.heartbeat_interval = 50
    running, task = await start_bot(kb, fake_discord)
    try:
        beats = await fake_discord.wait_for_frames(1, count=3)
        assert all(set(b) == {"op", "d"} for b in beats)
        assert beats[-1]["d"] == 1  # the last sequence number seen: READY's
        assert not running.is_closed() and running.latency < 1  # ACKs arrived: no zombie reconnect
    finally:
        await stop_bot(running, task)


# -- application commands ------------------------------------------------------------------------------


async def test_top_defers_then_follows_up_with_an_embed_table(bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command("top", benchmark="GPQA Diamond", n=3))
    assert callback == {"type": 5}
    (embed,) = followup["embeds"]
    assert embed["title"] == "Top 3 on GPQA Diamond"
    assert "```" in embed["description"] and "Gemini 3.1 Pro" in embed["description"]
    assert followup["allowed_mentions"] == NO_PINGS
    assert_embed_within_limits(embed)



async def test_compare_answers_with_a_monospace_table(bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command("compare", model1="Muse Spark",
                                                                           model2="GPT-5.4", benchmark="GPQA Diamond"))
    assert callback == {"type": 5}
    (embed,) = followup["embeds"]
    assert embed["title"] == "Muse Spark vs GPT-5.4 on GPQA Diamond"
    assert embed["description"].endswith("```")
    assert "89.5%" in embed["description"] and "92.8%" in embed["description"]
    assert "2026-04-08" in embed["footer"]["text"] and embed["footer"]["text"].startswith("[1] ")
    assert followup["allowed_mentions"] == NO_PINGS
    assert_embed_within_limits(embed)


async def test_model_card_has_fields_and_sources(bot, fake_discord):
    _, followup = await answered(fake_discord, fake_discord.command("model", name="Muse Spark"))
    (embed,) = followup["embeds"]
    assert embed["title"] == "Muse Spark"
    assert {"name": "Made by", "value": "Meta Superintelligence Labs (Meta)", "inline": False} in embed["fields"] \
        or any(f["name"] == "Made by" for f in embed["fields"])
    assert followup["allowed_mentions"] == NO_PINGS
    assert_embed_within_limits(embed)


async def test_help_in_a_direct_message(bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command("help", guild=False))
    assert callback == {"type": 5, "data": {"flags": 64}}  # help is only for the asker: ephemeral
    assert followup["embeds"][0]["title"]
    assert followup["allowed_mentions"] == NO_PINGS


async def test_a_4000_character_question_is_answered_within_limits(bot, fake_discord):
    question = ("what did Muse Spark score on GPQA? " * 200)[:4000]
    callback, followup = await answered(fake_discord, fake_discord.command("ask", question=question))
    assert callback == {"type": 5}
    assert_embed_within_limits(followup["embeds"][0])


async def test_ping_text_in_a_command_cannot_ping(bot, fake_discord):
    _, followup = await answered(fake_discord, fake_discord.command("model", name="@everyone <@123> <@&456>"))
    (embed,) = followup["embeds"]
    assert followup["allowed_mentions"] == NO_PINGS
    assert "@everyone" not in embed["description"] and "<@123>" not in embed["description"]
    assert "<@&456>" not in embed["description"]
    assert "@\u200beveryone" in embed["description"]


async def test_did_you_mean_buttons_carry_the_followup_and_a_click_answers_it(bot, fake_discord):
    _, followup = await answered(fake_discord, fake_discord.command("ask", question="what did GTP-5 score on GPQA?"))
    (row,) = followup["components"]
    assert row["type"] == 1
    assert [(b["type"], b["label"], b["custom_id"]) for b in row["components"]] == [
        (2, "GPT-5.4 Pro", "modelwire:ask:0:what did GPT-5.4 Pro score on GPQA?"),
        (2, "GPT-5.4", "modelwire:ask:1:what did GPT-5.4 score on GPQA?")]
    click = fake_discord.button("modelwire:ask:1:what did GPT-5.4 score on GPQA?")
    callback, answer = await answered(fake_discord, click)
    assert callback == {"type": 5}
    assert answer["embeds"][0]["title"] == "GPT-5.4 on GPQA Diamond"
    assert answer["allowed_mentions"] == NO_PINGS


async def test_a_foreign_button_is_ignored(bot, fake_discord):
    click = fake_discord.button("someone-else:42")
    await fake_discord.dispatch("INTERACTION_CREATE", click)
    await asyncio.sleep(QUIET)
    assert not fake_discord.calls_to("POST", f"/interactions/{click['id']}")


# -- autocomplete ---------------------------------------------------------------------------------------


async def autocompleted(fake: FakeDiscord, interaction: dict) -> dict:
    await fake.dispatch("INTERACTION_CREATE", interaction)
    (callback,) = await fake.wait_for("POST", f"/interactions/{interaction['id']}/{interaction['token']}/callback")
    return callback.json


async def test_model_names_autocomplete_from_the_core_matcher(bot, fake_discord):
    body = await autocompleted(fake_discord, fake_discord.autocomplete("model", "name", name="G"))
    assert body == {"type": 8, "data": {"choices": [{"name": n, "value": n} for n in
                                                    ["Gemini 3.1 Pro", "Gemini Deep Think", "GPT-5.4", "GPT-5.4 Pro"]]}}


async def test_compare_autocompletes_each_model_option(bot, fake_discord):
    body = await autocompleted(fake_discord, fake_discord.autocomplete("compare", "model2", model1="Muse Spark",
                                                                       model2="gpt"))
    choices = body["data"]["choices"]
    assert body["type"] == 8 and 1 <= len(choices) <= 25
    assert choices[0] == {"name": "GPT-5.4", "value": "GPT-5.4"}


async def test_benchmark_autocomplete_with_nothing_typed_lists_at_most_25(bot, fake_discord):
    body = await autocompleted(fake_discord, fake_discord.autocomplete("top", "benchmark", benchmark=""))
    choices = body["data"]["choices"]
    assert body["type"] == 8 and 1 <= len(choices) <= 25
    assert {"name": "GPQA Diamond", "value": "GPQA Diamond"} in choices


# -- failures --------------------------------------------------------------------------------------------


async def test_unknown_command_gets_an_ephemeral_notice(bot, fake_discord):
    interaction = fake_discord.command("frobnicate", thing="x")
    await fake_discord.dispatch("INTERACTION_CREATE", interaction)
    (callback,) = await fake_discord.wait_for("POST", f"/interactions/{interaction['id']}/")
    assert callback.json["type"] == 4
    assert callback.json["data"]["flags"] == 64
    assert "/help" in callback.json["data"]["content"]
    assert callback.json["data"]["allowed_mentions"] == NO_PINGS


async def test_a_rate_limited_follow_up_is_retried_by_discord_py(bot, fake_discord):
    fake_discord.fail_next("POST", f"/webhooks/{APP_ID}/", status=429, retry_after=0.2)
    interaction = fake_discord.command("top", benchmark="GPQA Diamond", n=3)
    started = asyncio.get_running_loop().time()
    await fake_discord.dispatch("INTERACTION_CREATE", interaction)
    first, second = await fake_discord.wait_for("POST", f"/webhooks/{APP_ID}/{interaction['token']}", count=2)
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert first.json == second.json
    assert second.json["embeds"][0]["title"] == "Top 3 on GPQA Diamond"
    await asyncio.sleep(QUIET)
    assert len(fake_discord.calls_to("POST", f"/webhooks/{APP_ID}/")) == 2


async def test_a_failure_while_answering_is_a_short_follow_up_and_a_log_line(bot, fake_discord, caplog):
    async def broken(_question):
        raise RuntimeError("database went away")

    bot.ask = broken
    callback, followup = await answered(fake_discord, fake_discord.command("help"))
    assert callback == {"type": 5, "data": {"flags": 64}}  # help is ephemeral, and so is its failure
    assert followup["content"] == "Sorry, something went wrong answering that."
    assert followup["allowed_mentions"] == NO_PINGS
    assert "database went away" in caplog.text


# -- mentions and direct messages ------------------------------------------------------------------------


async def test_mention_with_everyone_is_answered_without_pinging(bot, fake_discord):
    content = f"<@{BOT_ID}> @everyone <@&456> what did Muse Spark score on GPQA?"
    message = fake_discord.message(CHANNEL_ID, {"content": content}, guild=True, mentions=[BOT_USER],
                                   mention_everyone=True, mention_roles=["456"])
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (post,) = await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    body = post.json
    assert body["allowed_mentions"] == NO_PINGS_REPLY
    assert int(body["message_reference"]["message_id"]) == int(message["id"])
    assert "content" not in body or not body["content"]
    (embed,) = body["embeds"]
    assert embed["title"] == "Muse Spark on GPQA Diamond"
    assert "89.5%" in embed["description"]
    assert_embed_within_limits(embed)


async def test_a_rate_limited_reply_is_retried_by_discord_py(bot, fake_discord):
    fake_discord.fail_next("POST", f"/channels/{DM_CHANNEL_ID}/messages", status=429, retry_after=0.2)
    message = fake_discord.message(DM_CHANNEL_ID, {"content": "Muse Spark vs GPT-5.4"})
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    first, second = await fake_discord.wait_for("POST", f"/channels/{DM_CHANNEL_ID}/messages", count=2)
    assert first.json == second.json and second.json["embeds"][0]["title"] == "Muse Spark vs GPT-5.4"
    await asyncio.sleep(QUIET)
    assert len(fake_discord.calls_to("POST", "/channels/")) == 2


async def test_everyone_without_mentioning_the_bot_is_not_answered(bot, fake_discord):
    message = fake_discord.message(CHANNEL_ID, {"content": "@everyone what did Muse Spark score on GPQA?"},
                                   guild=True, mention_everyone=True)
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    await asyncio.sleep(QUIET)
    assert not fake_discord.calls_to("POST", "/channels/")


async def test_direct_message_is_answered(bot, fake_discord):
    message = fake_discord.message(DM_CHANNEL_ID, {"content": "top 3 on GPQA Diamond"})
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (post,) = await fake_discord.wait_for("POST", f"/channels/{DM_CHANNEL_ID}/messages")
    assert post.json["embeds"][0]["title"] == "Top 3 on GPQA Diamond"
    assert post.json["allowed_mentions"] == NO_PINGS_REPLY


async def test_a_4000_character_mention_is_answered_within_limits(bot, fake_discord):
    content = f"<@{BOT_ID}> " + ("Muse Spark vs GPT-5.4 @everyone " * 200)[:3970]
    message = fake_discord.message(CHANNEL_ID, {"content": content}, guild=True, mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (post,) = await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    assert post.json["allowed_mentions"] == NO_PINGS_REPLY
    assert_embed_within_limits(post.json["embeds"][0])


async def test_the_bots_own_and_other_bots_messages_are_ignored(bot, fake_discord):
    other_bot = {**PERSON, "id": "900000000000000099", "bot": True}
    for author in (BOT_USER, other_bot):
        await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(
            DM_CHANNEL_ID, {"content": f"<@{BOT_ID}> top 3 on GPQA Diamond"}, author=author, mentions=[BOT_USER]))
    await asyncio.sleep(QUIET)
    assert not fake_discord.calls_to("POST", "/channels/")


async def test_healthz_says_ok_once_the_gateway_session_is_ready(kb, fake_discord, urls):
    port = free_port()
    settings = DiscordSettings(token=TOKEN, guild_id=GUILD_ID, api_url=fake_discord.api_url,
                               gateway_url=fake_discord.gateway_url)
    bot = DiscordBot(kb, settings, guild_ready_timeout=0.05)
    task = asyncio.create_task(serve(bot, health_port=port))
    try:
        answer = await eventually(lambda: _ready(port), timeout=5, interval=0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert answer == (200, {"ok": True})
    assert bot.is_closed()


async def _ready(port: int):
    answer = await healthz(port)
    return answer if answer and answer[0] == 200 else None


async def test_a_sharded_process_identifies_as_its_shard(kb, fake_discord, urls):
    settings = DiscordSettings(token=TOKEN, guild_id=GUILD_ID, api_url=fake_discord.api_url,
                               gateway_url=fake_discord.gateway_url, shard_id=1, shard_count=2)
    bot = DiscordBot(kb, settings, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        (identify,) = await fake_discord.wait_for_frames(2)
        assert identify["d"]["shard"] == [1, 2]
    finally:
        await stop_bot(bot, task)


@pytest.mark.parametrize("env, problem", [
    ({"DISCORD_SHARD_ID": "1"}, "set both (one process per shard) or neither"),
    ({"DISCORD_SHARD_ID": "2", "DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_ID must be below DISCORD_SHARD_COUNT (2)"),
])
async def test_shard_settings_are_checked(monkeypatch, env, problem):
    from adapters.discord.settings import ConfigError, load_settings

    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert problem in str(err.value) and "\n" not in str(err.value)
