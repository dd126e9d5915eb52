"""Release digests on Discord end to end: the real discord.py client against the fake Discord.

Slash commands travel the gateway and the interaction flow (defer, then a follow-up embed); digests
go out through the REST API from the real scheduler (plan + outbox + DiscordPublisher on a logged-in
discord.py client) with a controlled clock. Assertions are on what Discord itself would receive.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import types
from zoneinfo import ZoneInfo

import discord
import discord.http
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.discord.app import DiscordBot
from adapters.discord.publish import DiscordPublisher
from adapters.discord.settings import DiscordSettings
from adapters.settings import DigestSettings
from bot.digests.delivery import Target
from bot.digests.outbox import claim, plan
from bot.digests.scheduler import DigestScheduler
from bot.values import Origin
from knowledge.schema import Delivery, Subscription
from tests.digest_support import Clock, add_releases, ask, subscribe
from tests.fakes.discord import APP_ID, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, TOKEN, USER_ID, FakeDiscord
from tests.test_discord_gateway import NO_PINGS, answered, assert_embed_within_limits, start_bot, stop_bot

pytestmark = pytest.mark.asyncio
UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
MANAGE_CHANNELS = 1 << 4
OTHER_CHANNEL_ID = 900000000000000201
ZETA = {"name": "Zeta Two", "org": "Zeta Labs", "open_weights": True, "input": ["text", "image"], "score": 71.5}
OMEGA = {"name": "Omega Chat", "org": "Omega AI", "open_weights": False, "input": ["text"]}
USAGE_LINE = "Usage: subscribe [instant | daily HH:MM | weekly DAY HH:MM]"


def discord_origin(channel: int = CHANNEL_ID, can_manage: bool = True) -> Origin:
    return Origin(platform="discord", workspace=str(GUILD_ID), channel=str(channel), user=str(USER_ID),
                  can_manage=can_manage)


def stored(kb) -> list[Subscription]:
    with Session(kb.engine) as session:
        subs = list(session.execute(select(Subscription).order_by(Subscription.id)).scalars())
        session.expunge_all()
    return subs


def org_id(kb, name: str) -> int:
    return kb.index().resolve(name, ["org"]).ref[1]


# -- slash commands through the gateway ------------------------------------------------------------------


@pytest.fixture
async def bot(kb, fake_discord, urls):
    running, task = await start_bot(kb, fake_discord)
    yield running
    await stop_bot(running, task)


async def test_digest_commands_are_synced_and_subscribing_needs_manage_channels(bot, fake_discord):
    (sync,) = fake_discord.calls_to("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    commands = {c["name"]: c for c in sync.json}
    assert {"subscribe", "unsubscribe", "subscriptions", "digest"} <= set(commands)
    # Discord documents the bit set as a string; discord.py sends the integer, which Discord accepts too.
    assert int(commands["subscribe"]["default_member_permissions"]) == MANAGE_CHANNELS == 16
    assert int(commands["unsubscribe"]["default_member_permissions"]) == MANAGE_CHANNELS
    assert commands["subscriptions"]["default_member_permissions"] is None  # anyone may look
    assert commands["digest"]["default_member_permissions"] is None
    options = {o["name"]: o for o in commands["subscribe"]["options"]}
    assert list(options) == ["cadence", "time", "day", "tz", "orgs", "open_weights", "input", "updates",
                             "min_context", "max_price", "reasoning", "tool_calling", "licence"]
    assert not any(o["required"] for o in options.values())
    assert [c["value"] for c in options["cadence"]["choices"]] == ["instant", "daily", "weekly"]
    assert options["tz"]["autocomplete"] is True and options["orgs"]["autocomplete"] is True
    assert options["open_weights"]["type"] == 5  # boolean
    assert options["input"]["choices"][0] == {"name": "text", "value": "text"}
    (preview,) = commands["digest"]["options"]
    assert (preview["type"], preview["name"]) == (1, "preview")  # a sub-command of the /digest group


async def test_subscribe_list_preview_and_unsubscribe_in_a_guild_channel(kb, bot, fake_discord, tmp_path):
    callback, followup = await answered(fake_discord, fake_discord.command(
        "subscribe", cadence="daily", time="09:00", tz="Europe/Berlin", orgs="Meta, OpenAI", open_weights=True,
        updates=True))
    assert callback == {"type": 5}
    assert followup["allowed_mentions"] == NO_PINGS
    (embed,) = followup["embeds"]
    assert embed["title"] == "Subscribed to release digests"
    assert "daily 09:00 (Europe/Berlin), from Meta and OpenAI, open weights only, with model updates" in \
        embed["description"]
    assert_embed_within_limits(embed)

    (sub,) = stored(kb)
    assert (sub.platform, sub.workspace, sub.channel) == ("discord", str(GUILD_ID), str(CHANNEL_ID))
    assert (sub.cadence, sub.at_time, sub.timezone) == ("daily", "09:00", "Europe/Berlin")
    assert sub.org_ids == [org_id(kb, "Meta"), org_id(kb, "OpenAI")]
    assert sub.open_weights_only is True and sub.modality is None and sub.include_updates is True
    assert (sub.created_by, sub.active) == (str(USER_ID), True)
    due = sub.next_due_at.replace(tzinfo=UTC)
    local = due.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (9, 0)
    assert dt.timedelta(0) < due - dt.datetime.now(UTC) <= dt.timedelta(days=1)
    assert f"Next digest: {local.strftime('%a %d %b %Y %H:%M')} Europe/Berlin." in embed["description"]

    _, listing = await answered(fake_discord, fake_discord.command("subscriptions"))
    (embed,) = listing["embeds"]
    assert embed["title"] == "Digest subscriptions"
    assert embed["description"].startswith("This channel has 1 digest subscription.")
    assert "daily 09:00 (Europe/Berlin)" in embed["description"] and "```" in embed["description"]

    _, empty = await answered(fake_discord, fake_discord.subcommand("digest", "preview"))
    assert empty["embeds"][0]["title"] == "Preview of the next digest: nothing new"

    add_releases(kb, tmp_path, {"name": "Meta Mini", "org": "Meta", "open_weights": True}, OMEGA)
    callback, preview = await answered(fake_discord, fake_discord.subcommand("digest", "preview"))
    assert callback == {"type": 5}
    (embed,) = preview["embeds"]
    assert embed["title"] == "Preview of the next digest: 1 new release"
    assert [f["name"] for f in embed["fields"]] == ["Meta"]
    assert "Meta Mini — 2026-11-20" in embed["fields"][0]["value"]
    assert "Omega Chat" not in str(embed)  # not Meta's or OpenAI's
    assert "Next digest:" not in embed["title"] and "next digest: " in embed["description"]
    assert_embed_within_limits(embed)

    _, gone = await answered(fake_discord, fake_discord.command("unsubscribe"))
    (embed,) = gone["embeds"]
    assert embed["title"] == "Unsubscribed"
    assert embed["description"].startswith("Removed 1 digest subscription from this channel: daily 09:00")
    assert stored(kb) == []
    _, listing = await answered(fake_discord, fake_discord.command("subscriptions"))
    assert listing["embeds"][0]["title"] == "No subscriptions"


async def test_a_member_without_manage_channels_is_refused_and_nothing_is_stored(kb, bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command(
        "subscribe", permissions="0", cadence="instant"))
    assert callback == {"type": 5}
    (embed,) = followup["embeds"]
    assert embed["title"] == "Not allowed"
    assert embed["description"] == ("Only members with the Manage Channels permission can change this "
                                    "channel's digest subscriptions.")
    assert stored(kb) == []

    subscribe(kb, "instant", discord_origin(), START)
    _, followup = await answered(fake_discord, fake_discord.command("unsubscribe", permissions="0"))
    assert followup["embeds"][0]["title"] == "Not allowed"
    assert len(stored(kb)) == 1
    _, listing = await answered(fake_discord, fake_discord.command("subscriptions", permissions="0"))
    assert listing["embeds"][0]["title"] == "Digest subscriptions"  # anyone may look

    # Manage Channels alone is enough.
    _, followup = await answered(fake_discord, fake_discord.command(
        "subscribe", permissions=str(MANAGE_CHANNELS), cadence="weekly", day="friday", time="17:00"))
    assert followup["embeds"][0]["title"] == "Subscribed to release digests"
    assert [s.cadence for s in stored(kb)] == ["instant", "weekly"]


async def test_subscribing_in_a_direct_message_is_allowed(kb, bot, fake_discord):
    _, followup = await answered(fake_discord, fake_discord.command("subscribe", guild=False, cadence="instant"))
    assert followup["embeds"][0]["title"] == "Subscribed to release digests"
    (sub,) = stored(kb)
    assert (sub.platform, sub.workspace, sub.channel, sub.cadence) == ("discord", "", str(DM_CHANNEL_ID), "instant")
    _, listing = await answered(fake_discord, fake_discord.command("subscriptions", guild=False))
    assert listing["embeds"][0]["title"] == "Digest subscriptions"


async def test_bad_arguments_get_the_usage_line_with_did_you_mean(kb, bot, fake_discord):
    cases = [({"time": "25:00"}, "'25:00' is not a time of day: use 24-hour HH:MM, e.g. 09:00 or 17:30."),
             ({"tz": "Europe/Berln"}, "'Europe/Berln' is not a time zone I know. Did you mean Europe/Berlin?"),
             ({"orgs": "Meta, OpenAI Labs"}, "I don't know the organization 'OpenAI Labs'. Did you mean OpenAI")]
    for options, problem in cases:
        callback, followup = await answered(fake_discord, fake_discord.command("subscribe", cadence="daily",
                                                                               **options))
        assert callback == {"type": 5}, options
        (embed,) = followup["embeds"]
        assert embed["title"] == "Can't subscribe like that", options
        first, usage = embed["description"].split("\n")
        assert first.startswith(problem), (options, first)
        assert usage.startswith(USAGE_LINE)
    assert stored(kb) == []


async def test_a_day_without_a_cadence_means_weekly(kb, bot, fake_discord):
    # As typed words do ("subscribe friday 17:00"): the day is not dropped for the default daily cadence.
    _, followup = await answered(fake_discord, fake_discord.command("subscribe", day="friday", time="17:00"))
    assert followup["embeds"][0]["title"] == "Subscribed to release digests"
    assert "weekly Friday 17:00 (UTC)" in followup["embeds"][0]["description"]
    (sub,) = stored(kb)
    assert (sub.cadence, sub.weekday, sub.at_time) == ("weekly", 4, "17:00")


async def test_time_zones_autocomplete(bot, fake_discord):
    interaction = fake_discord.autocomplete("subscribe", "tz", tz="berl")
    await fake_discord.dispatch("INTERACTION_CREATE", interaction)
    (callback,) = await fake_discord.wait_for("POST", f"/interactions/{interaction['id']}/{interaction['token']}/")
    assert callback.json["type"] == 8
    assert callback.json["data"]["choices"][0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}


# -- delivery through the REST API ------------------------------------------------------------------------


@pytest.fixture
async def client(fake_discord, urls):
    """A discord.py client logged in over REST only (no gateway), as the scheduler's publisher needs."""
    rest = discord.Client(intents=discord.Intents.none())
    await rest.login(TOKEN)
    yield rest
    await rest.close()


def scheduler_for(kb, client, clock, **options) -> DigestScheduler:
    return DigestScheduler(kb, {"discord": DiscordPublisher(client)}, clock=clock, per_channel_interval=0.0,
                           worker=options.pop("worker", "test-worker"), **options)


def posted(fake: FakeDiscord, channel: int = CHANNEL_ID) -> list[dict]:
    return fake.created.get(channel, [])


def posts(fake: FakeDiscord, channel: int = CHANNEL_ID):
    """Every message request to the channel, including refused and repeated ones."""
    return fake.calls_to("POST", f"/channels/{channel}/messages")


def the_delivery(kb) -> Delivery:
    with Session(kb.engine) as session:
        delivery = session.execute(select(Delivery)).scalar_one()
        session.expunge(delivery)
    return delivery


async def test_instant_digest_is_one_embed_grouped_by_organization_with_the_delivery_key_as_nonce(
        kb, fake_discord, client, tmp_path):
    clock = Clock(START)
    subscribe(kb, "instant", discord_origin(), clock())
    sched = scheduler_for(kb, client, clock)
    assert (await sched.tick()).sent == 0
    add_releases(kb, tmp_path, ZETA, OMEGA)
    assert (await sched.tick()).sent == 1
    (call,) = posts(fake_discord)
    (message,) = posted(fake_discord)
    body = call.json
    (embed,) = body["embeds"]
    assert embed["title"] == "New releases: 2 new releases"
    assert [f["name"] for f in embed["fields"]] == ["Omega AI", "Zeta Labs"]
    zeta = embed["fields"][1]["value"]
    assert "Zeta Two — 2026-11-20" in zeta and "A synthetic release." in zeta and "GPQA Diamond 71.5%" in zeta
    assert embed["description"].startswith("New in the knowledge base, from Omega AI and Zeta Labs.")
    assert "https://example.invalid/launch/" in embed["description"]  # the source link
    assert "Synthetic launch post" in embed["footer"]["text"]
    assert_embed_within_limits(embed)
    delivery = the_delivery(kb)
    assert body["nonce"] == f"mw-digest-{delivery.id}" and body["enforce_nonce"] is True
    assert body["allowed_mentions"] == NO_PINGS
    assert "content" not in body or not body["content"]
    assert (delivery.status, delivery.message_id) == ("sent", message["id"])
    assert (await sched.tick()).sent == 0
    assert len(posts(fake_discord)) == 1
    sched.stop()


async def test_a_new_subscriber_gets_no_backlog(kb, fake_discord, client, tmp_path):
    clock = Clock(START)
    add_releases(kb, tmp_path, ZETA)
    subscribe(kb, "instant", discord_origin(), clock())
    sched = scheduler_for(kb, client, clock)
    assert (await sched.tick()).sent == 0
    add_releases(kb, tmp_path, OMEGA)
    assert (await sched.tick()).sent == 1
    (message,) = posted(fake_discord)
    assert [f["name"] for f in message["embeds"][0]["fields"]] == ["Omega AI"]
    assert "Zeta Two" not in str(message["embeds"])
    sched.stop()


async def test_daily_digest_across_the_end_of_daylight_saving(kb, fake_discord, client, tmp_path):
    # New York: 09:00 is 13:00 UTC on 2026-10-31 and 14:00 UTC from 2026-11-01 (clocks go back).
    clock = Clock(dt.datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    subscribe(kb, "daily 09:00 tz America/New_York", discord_origin(), clock())
    sched = scheduler_for(kb, client, clock)
    add_releases(kb, tmp_path, ZETA)
    clock.now = dt.datetime(2026, 10, 31, 12, 59, tzinfo=UTC)
    assert (await sched.tick()).sent == 0
    clock.now = dt.datetime(2026, 10, 31, 13, 0, tzinfo=UTC)
    assert (await sched.tick()).sent == 1
    add_releases(kb, tmp_path, OMEGA)
    clock.now = dt.datetime(2026, 11, 1, 13, 30, tzinfo=UTC)  # 08:30 EST: not yet, although 09:00 EDT has passed
    assert (await sched.tick()).sent == 0
    clock.now = dt.datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert (await sched.tick()).sent == 1
    clock.now = dt.datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
    assert (await sched.tick()).sent == 0
    first, second = (m["embeds"][0] for m in posted(fake_discord))
    assert first["title"] == "Daily release digest, 2026-10-31: 1 new release"
    assert [f["name"] for f in first["fields"]] == ["Zeta Labs"]
    assert second["title"] == "Daily release digest, 2026-11-01: 1 new release"
    assert [f["name"] for f in second["fields"]] == ["Omega AI"] and "Zeta Two" not in str(second)
    sched.stop()


async def test_a_server_error_backs_off_in_the_outbox_then_delivers_once(kb, fake_discord, client, tmp_path):
    # discord.py does not retry a 503 itself (only 500, 502, 504 and 524): the outbox backs off.
    clock = Clock(START)
    subscribe(kb, "instant", discord_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    fake_discord.fail_next("POST", f"/channels/{CHANNEL_ID}/messages", status=503, message="upstream overloaded")
    sched = scheduler_for(kb, client, clock)
    stats = await sched.tick()
    assert (stats.sent, stats.retried) == (0, 1)
    assert stats.errors == ["503 upstream overloaded"]
    assert len(posts(fake_discord)) == 1
    clock.advance(seconds=29)
    assert (await sched.tick()).sent == 0  # the first backoff is 30 s
    clock.advance(seconds=2)
    assert (await sched.tick()).sent == 1
    assert len(posted(fake_discord)) == 1 and len(posts(fake_discord)) == 2
    delivery = the_delivery(kb)
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, None)
    sched.stop()


@pytest.fixture
def discord_py_sleeps(monkeypatch) -> list[float]:
    """discord.py's own waits between its retries, recorded instead of slept (only inside discord.http)."""
    slept: list[float] = []

    class Asyncio(types.ModuleType):
        def __getattr__(self, name):
            return getattr(asyncio, name)

    async def sleep(delay, result=None):
        slept.append(delay)
        await asyncio.sleep(0)
        return result

    shim = Asyncio("asyncio")
    shim.sleep = sleep
    monkeypatch.setattr(discord.http, "asyncio", shim)
    return slept


async def test_500s_are_retried_by_discord_py_then_by_the_outbox(kb, fake_discord, client, tmp_path,
                                                                 discord_py_sleeps):
    # discord.py tries a 500 five times, sleeping 1, 3, 5, 7 and 9 s (25 s in all, recorded here, not slept),
    # then raises DiscordServerError: one outbox attempt, retried 30 s later.
    clock = Clock(START)
    subscribe(kb, "instant", discord_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    fake_discord.fail_next("POST", f"/channels/{CHANNEL_ID}/messages", status=500, message="boom", times=6)
    sched = scheduler_for(kb, client, clock)
    stats = await sched.tick()
    assert (stats.sent, stats.retried) == (0, 1)
    assert len(posts(fake_discord)) == 5
    assert [s for s in discord_py_sleeps if s] == [1, 3, 5, 7, 9]  # (its rate limiter also waits 0 s)
    clock.advance(seconds=31)
    assert (await sched.tick()).sent == 1  # the sixth 500, then a success inside discord.py's retries
    assert len(posts(fake_discord)) == 7 and len(posted(fake_discord)) == 1
    assert the_delivery(kb).attempts == 2
    sched.stop()


async def test_rate_limits_are_waited_out_by_discord_py_then_by_the_outbox(kb, fake_discord, client, tmp_path,
                                                                         discord_py_sleeps):
    # discord.py sleeps Retry-After and tries again, five times in all; a sixth 429 reaches the outbox,
    # which waits the Retry-After Discord gave.
    clock = Clock(START)
    subscribe(kb, "instant", discord_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    fake_discord.fail_next("POST", f"/channels/{CHANNEL_ID}/messages", status=429, retry_after=20.0, times=5)
    sched = scheduler_for(kb, client, clock)
    stats = await sched.tick()
    assert (stats.sent, stats.retried) == (0, 1)
    assert len(posts(fake_discord)) == 5 and [s for s in discord_py_sleeps if s] == [20.0] * 5
    clock.advance(seconds=19)
    assert (await sched.tick()).sent == 0  # Retry-After is 20 s
    clock.advance(seconds=2)
    assert (await sched.tick()).sent == 1
    assert len(posts(fake_discord)) == 6 and len(posted(fake_discord)) == 1
    assert the_delivery(kb).attempts == 2
    sched.stop()


@pytest.mark.parametrize("status, reason", [(404, "Unknown Channel"), (403, "Missing Access")])
async def test_a_gone_channel_disables_its_subscription_and_others_carry_on(kb, fake_discord, client, tmp_path,
                                                                           caplog, status, reason):
    clock = Clock(START)
    subscribe(kb, "instant", discord_origin(OTHER_CHANNEL_ID), clock())
    subscribe(kb, "instant", discord_origin(CHANNEL_ID), clock())
    fake_discord.gone[OTHER_CHANNEL_ID] = status
    add_releases(kb, tmp_path, ZETA)
    sched = scheduler_for(kb, client, clock)
    with caplog.at_level(logging.WARNING, logger="modelwire.digests"):
        stats = await sched.tick()
    assert (stats.sent, stats.gone) == (1, 1)
    (line,) = [r.getMessage() for r in caplog.records if "disabling digest subscription" in r.getMessage()]
    assert str(OTHER_CHANNEL_ID) in line and f"{status} {reason}" in line
    assert len(posted(fake_discord, CHANNEL_ID)) == 1 and posted(fake_discord, OTHER_CHANNEL_ID) == []
    gone, ok = stored(kb)
    assert (gone.channel, gone.active) == (str(OTHER_CHANNEL_ID), False)
    assert gone.disabled_reason == f"{status} {reason}"
    assert ok.active
    add_releases(kb, tmp_path, OMEGA)
    assert (await sched.tick()).sent == 1
    assert len(posts(fake_discord, OTHER_CHANNEL_ID)) == 1  # the disabled channel was not tried again
    assert len(posted(fake_discord, CHANNEL_ID)) == 2
    listing = ask(kb, "subscriptions", discord_origin(OTHER_CHANNEL_ID))
    assert listing.table.rows[0][2] == f"disabled: {status} {reason}"
    sched.stop()


def dedupe_within(fake: FakeDiscord, clock: Clock, seconds: float = 300) -> None:
    """The fake forgets nonces after ``seconds`` of the test's clock, like Discord after a few minutes."""
    fake.nonce_window = seconds
    fake.clock = lambda: clock().timestamp()


async def test_a_crash_after_the_claim_delivers_once_after_restart(kb, fake_discord, client, tmp_path):
    clock = Clock(START)
    dedupe_within(fake_discord, clock)
    subscribe(kb, "instant", discord_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    assert plan(kb, clock()) == 1
    [claimed] = claim(kb.engine, "crashed-worker", clock(), 10, ["discord"])  # ... and the process dies here
    restarted = scheduler_for(kb, client, clock, worker="restarted-worker")
    assert (await restarted.tick()).sent == 0  # the dead worker's lease has not run out
    clock.advance(minutes=3)
    stats = await restarted.tick()
    assert (stats.sent, stats.recovered) == (1, 0)
    assert (await restarted.tick()).sent == 0
    (message,) = posted(fake_discord)
    assert message["nonce"] == claimed.key
    assert the_delivery(kb).message_id == message["id"]
    restarted.stop()


async def test_a_crash_after_sending_is_deduplicated_by_the_nonce(kb, fake_discord, client, tmp_path):
    clock = Clock(START)
    dedupe_within(fake_discord, clock)
    subscribe(kb, "instant", discord_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    plan(kb, clock())
    [claimed] = claim(kb.engine, "crashed-worker", clock(), 10, ["discord"])
    first = scheduler_for(kb, client, clock, worker="crashed-worker")
    answer = first.courier.render(claimed.release_ids, claimed.heading)
    sent_id = await DiscordPublisher(client).publish(Target("discord", str(GUILD_ID), str(CHANNEL_ID)), answer,
                                                     claimed.key)  # ... and the process dies here
    clock.advance(minutes=3)  # the lease (2 min) ran out; Discord still remembers the nonce
    restarted = scheduler_for(kb, client, clock, worker="restarted-worker")
    stats = await restarted.tick()
    assert stats.sent == 1
    assert [c.json["nonce"] for c in posts(fake_discord)] == [claimed.key, claimed.key]
    (message,) = posted(fake_discord)
    assert message["id"] == sent_id
    delivery = the_delivery(kb)
    assert (delivery.status, delivery.message_id, delivery.attempts) == ("sent", sent_id, 2)
    first.stop()
    restarted.stop()


# -- the scheduler inside the bot --------------------------------------------------------------------------


async def test_the_bot_runs_its_digest_scheduler_from_setup_hook_until_close(kb, fake_discord, urls, tmp_path):
    subscribe(kb, "instant", discord_origin(), dt.datetime.now(UTC))
    add_releases(kb, tmp_path, ZETA)
    settings = DiscordSettings(token=TOKEN, guild_id=GUILD_ID, api_url=fake_discord.api_url,
                               gateway_url=fake_discord.gateway_url)
    running = DiscordBot(kb, settings, DigestSettings(scheduler="inline", tick_seconds=1), guild_ready_timeout=0.05)
    assert running.background == []
    task = asyncio.create_task(running.start(TOKEN))
    try:
        await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", timeout=10)
        [scheduler] = running.background
        assert scheduler._apscheduler.running
        assert scheduler.tick_seconds == 1
        add_releases(kb, tmp_path, OMEGA)
        await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", count=2, timeout=10)
    finally:
        await stop_bot(running, task)
    assert running.background == [] and not scheduler._apscheduler.running
    titles = [[f["name"] for f in m["embeds"][0]["fields"]] for m in posted(fake_discord)]
    assert titles == [["Zeta Labs"], ["Omega AI"]]
    add_releases(kb, tmp_path, {"name": "Late Model", "org": "Omega AI"})
    await asyncio.sleep(1.5)
    assert len(posts(fake_discord)) == 2  # stopped: nothing more is sent


async def test_without_inline_digests_the_bot_runs_no_scheduler(kb, fake_discord, urls):
    settings = DiscordSettings(token=TOKEN, guild_id=GUILD_ID, api_url=fake_discord.api_url,
                               gateway_url=fake_discord.gateway_url)
    running = DiscordBot(kb, settings, DigestSettings(scheduler="off"), guild_ready_timeout=0.05)
    task = asyncio.create_task(running.start(TOKEN))
    try:
        await asyncio.wait_for(running.wait_until_ready(), 5)
        assert running.background == []
    finally:
        await stop_bot(running, task)
