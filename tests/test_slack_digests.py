"""Digest commands on Slack (/modelwire subscribe ...), through the real Bolt app and the fake Slack.

Who may change a channel's subscriptions is decided from users.info (admins and owners), the
SLACK_SUBSCRIPTION_MANAGERS allow-list and direct messages; the user's time zone is the default.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.settings import DigestSettings
from adapters.slack.app import SlackBot
from knowledge.schema import Subscription
from tests.digest_support import add_releases
from tests.polling import eventually
from tests.slack_support import RunningApp, settings_for

pytestmark = pytest.mark.asyncio
ADMIN = {"id": "U0001", "name": "ada", "is_admin": True, "tz": "Europe/Berlin"}
MEMBER = {"id": "U0001", "name": "bob", "is_admin": False, "is_owner": False, "tz": "America/New_York"}


@pytest.fixture
async def app(kb, fake):
    async with RunningApp(SlackBot(kb, settings_for(fake))) as running:
        yield running


async def command(app, fake, text: str, n: int) -> dict:
    """Run a slash command; the n-th response_url answer (1-based)."""
    status, _ = await app.command(text, fake.response_url())
    assert status == 200
    return (await fake.wait_for("respond:cmd", count=n))[n - 1]


def header(reply: dict) -> str:
    return reply["blocks"][0]["text"]["text"]


def subscriptions(kb) -> list[Subscription]:
    with Session(kb.engine) as session:
        return list(session.execute(select(Subscription)).scalars())


async def test_an_admin_subscribes_previews_and_unsubscribes(app, fake, kb, tmp_path):
    fake.users["U0001"] = ADMIN
    reply = await command(app, fake, "subscribe daily 08:00 org Meta", 1)
    assert header(reply) == "Subscribed to release digests"
    assert "daily 08:00 (Europe/Berlin), from Meta" in reply["text"]  # the admin's own time zone by default
    [sub] = subscriptions(kb)
    assert (sub.platform, sub.workspace, sub.channel, sub.created_by) == ("slack", "T0001", "C0001", "U0001")
    assert sub.timezone == "Europe/Berlin" and sub.at_time == "08:00"
    add_releases(kb, tmp_path, {"name": "Meta Micro", "org": "Meta"})
    preview = await command(app, fake, "digest preview", 2)
    assert header(preview) == "Preview of the next digest: 1 new release"
    assert "Meta Micro" in preview["text"]
    listing = await command(app, fake, "subscriptions", 3)
    assert "daily 08:00 (Europe/Berlin), from Meta" in listing["text"]
    gone = await command(app, fake, "unsubscribe", 4)
    assert header(gone) == "Unsubscribed"
    assert subscriptions(kb) == []
    assert [c["user"] for c in fake.calls_to("users.info")] == ["U0001", "U0001", "U0001", "U0001"]


async def test_a_member_is_refused_and_nothing_is_stored(app, fake, kb):
    fake.users["U0001"] = MEMBER
    reply = await command(app, fake, "subscribe daily 09:00", 1)
    assert header(reply) == "Not allowed"
    assert "Only workspace admins and the people on modelwire's allow-list" in reply["text"]
    assert subscriptions(kb) == []
    listing = await command(app, fake, "subscriptions", 2)  # looking is for everyone
    assert "no digest subscriptions" in listing["text"]


async def test_people_on_the_allow_list_may_subscribe(kb, fake):
    fake.users["U0001"] = MEMBER
    settings = settings_for(fake).model_copy(update={"subscription_managers": "U0001, U0002"})
    async with RunningApp(SlackBot(kb, settings)) as app:
        reply = await command(app, fake, "subscribe instant", 1)
    assert header(reply) == "Subscribed to release digests"
    assert subscriptions(kb)[0].timezone == "America/New_York"


async def test_who_may_manage_a_slack_channel():
    from adapters.slack.convert import may_manage

    assert may_manage({"is_admin": True}, "U1", "C1", frozenset())
    assert may_manage({"is_owner": True}, "U1", "C1", frozenset())
    assert may_manage({}, "U1", "C1", frozenset({"U1"}))
    assert may_manage(None, "U1", "D0123", frozenset(), own_im=True)  # the bot's own DM with this person
    assert not may_manage(None, "U1", "D0123", frozenset())  # a D… id alone is no proof
    assert not may_manage({"is_admin": False}, "U1", "C1", frozenset({"U2"}))
    assert not may_manage(None, "U1", "C1", frozenset())


async def test_a_failed_user_lookup_refuses_rather_than_errs(app, fake, kb):
    reply = await command(app, fake, "subscribe daily 09:00", 1)  # users.info answers user_not_found
    assert header(reply) == "Not allowed"
    assert subscriptions(kb) == []


@pytest.mark.parametrize("text, problem", [
    ("subscribe daily 25:00", "'25:00' is not a time of day"),
    ("subscribe daily 09:00 tz Europe/Berln", "Did you mean Europe/Berlin?"),
    ("subscribe org Antropic Labs", "I don't know the organization 'Antropic Labs'. Did you mean"),
])
async def test_bad_arguments_get_the_usage_line(app, fake, kb, text, problem):
    fake.users["U0001"] = ADMIN
    reply = await command(app, fake, text, 1)
    assert header(reply) == "Can't subscribe like that"
    assert problem in reply["text"]
    assert "Usage: subscribe [instant | daily HH:MM | weekly DAY HH:MM]" in reply["text"]
    assert subscriptions(kb) == []


async def test_the_app_runs_the_digest_scheduler_and_stops_it(kb, fake, tmp_path):
    """``modelwire slack`` in HTTP mode with the inline scheduler: a digest is posted while it serves."""
    import asyncio

    fake.users["U0001"] = ADMIN
    settings = settings_for(fake).model_copy(update={"port": 0})
    bot = SlackBot(kb, settings)
    from bot.digests.subscriptions import handle
    from bot.values import Origin, Question

    handle(Question(text="subscribe instant", command="subscribe", args={"text": "instant"},
                    origin=Origin(platform="slack", workspace="T0001", channel="C0042", can_manage=True)), kb,
           dt.datetime.now(dt.timezone.utc))
    add_releases(kb, tmp_path, {"name": "Meta Micro", "org": "Meta"})
    task = asyncio.create_task(bot.run(DigestSettings(scheduler="inline", tick_seconds=1)))
    try:
        [message] = await fake.wait_for("chat.postMessage", timeout=15)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert message["channel"] == "C0042" and "Meta Micro" in message["text"]


async def test_the_app_runs_the_scheduled_sync_when_an_interval_is_set(kb, fake):
    """``modelwire slack`` with MODELWIRE_SYNC_INTERVAL_MINUTES syncs at start (from a loopback server)."""
    import asyncio
    from pathlib import Path

    from adapters.settings import SyncSettings
    from knowledge.sync import read_state
    from tests.fakes.httpfile import HttpFile

    server = await HttpFile((Path(__file__).parent / "data" / "models.dev.json").read_bytes()).start()
    bot = SlackBot(kb, settings_for(fake).model_copy(update={"port": 0}))
    task = asyncio.create_task(bot.run(DigestSettings(scheduler="off"),
                                       SyncSettings(url=server.url, interval_minutes=60)))
    try:
        await eventually(lambda: read_state(kb.engine).get("etag"))
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await server.stop()
    assert read_state(kb.engine)["url"] == server.url and server.count == 1
