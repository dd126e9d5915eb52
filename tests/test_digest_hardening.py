"""Digest hardening (issue 13, rows 4, 5, 12 and 19), on SQLite and PostgreSQL, against the fake Slack and
the fake Discord: one bad subscription does not stop planning, a hostile Retry-After never aborts a run,
a digest bigger than one message is sent in several (nothing cut), and the scheduler's /healthz fails
when ticks stop succeeding.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import types

import aiohttp
import discord
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import bot.digests.scheduler
from adapters.discord.publish import DiscordPublisher
from adapters.discord.publish import as_delivery_error as discord_error
from adapters.health import serve_health
from adapters.scheduler import _status
from adapters.slack import render as slack_render
from adapters.slack.publish import SlackPublisher
from bot.clock import naive
from bot.digests import delivery
from bot.digests.delivery import BACKOFF_MAX, backoff
from bot.digests.outbox import failed_deliveries, status_counts
from bot.digests.scheduler import DigestScheduler
from bot.values import Origin
from knowledge.schema import Delivery, Subscription
from tests.digest_support import Clock, add_releases, ask, slack_origin, subscribe
from tests.fakes.discord import CHANNEL_ID, TOKEN
from tests.test_discord_gateway import assert_embed_within_limits

CUT_SECTION = "_The answer is longer than one message; the rest is cut._"
RETRY_AFTER_MIN = 1.0
UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
ZETA = {"name": "Zeta Two", "org": "Zeta Labs", "open_weights": True, "input": ["text", "image"], "score": 71.5}
OMEGA = {"name": "Omega Chat", "org": "Omega AI", "open_weights": False, "input": ["text"]}


def slack_scheduler(kb, fake, clock, **options) -> DigestScheduler:
    return DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, clock=clock,
                           worker="test-worker", per_channel_interval=0.0, **options)


def deliveries(kb) -> list[Delivery]:
    with Session(kb.engine) as session:
        rows = session.execute(select(Delivery).order_by(Delivery.id)).scalars().all()
        session.expunge_all()
    return rows


def subscriptions(kb) -> list[Subscription]:
    with Session(kb.engine) as session:
        rows = session.execute(select(Subscription).order_by(Subscription.id)).scalars().all()
        session.expunge_all()
    return rows


# -- row 4: a subscription whose time zone this host lacks --------------------------------------------

async def test_a_time_zone_the_host_lacks_disables_that_subscription_and_the_others_get_their_digests(
        kb, fake, tmp_path, caplog, db_url):
    clock = Clock(START)
    subscribe(kb, "daily 09:00 tz Europe/Berlin", slack_origin("C0BAD"), clock())
    subscribe(kb, "daily 09:00 tz Europe/Berlin", slack_origin("C0001"), clock())
    subscribe(kb, "instant", slack_origin("C0002"), clock())
    with kb.engine.begin() as conn:  # as if this host's tz database lacked the zone the channel chose
        conn.execute(update(Subscription).where(Subscription.channel == "C0BAD")
                     .values(timezone="Mars/Olympus_Mons"))
    add_releases(kb, tmp_path, ZETA)
    sched = slack_scheduler(kb, fake, clock)
    clock.advance(days=1)
    with caplog.at_level(logging.WARNING, logger="modelwire.digests"):
        stats = await sched.tick()
    assert stats.sent == 2
    assert sorted(fake.messages) == ["C0001", "C0002"]
    assert "Zeta Two" in fake.messages["C0001"][0]["text"]
    (line,) = [r.getMessage() for r in caplog.records if "disabling digest subscription" in r.getMessage()]
    assert "C0BAD" in line and "Mars/Olympus_Mons" in line
    bad = next(s for s in subscriptions(kb) if s.channel == "C0BAD")
    assert not bad.active and "Mars/Olympus_Mons" in bad.disabled_reason
    assert "time zone database" in bad.disabled_reason
    # shown in `digest status` (the count) and `digest status --failed` (why)
    assert status_counts(kb.engine)["disabled"] == 1
    [row] = [r for r in failed_deliveries(kb.engine) if r.channel == "C0BAD"]
    assert row.period == "subscription disabled" and "Mars/Olympus_Mons" in row.error
    from bot.cli import cli

    result = CliRunner().invoke(cli, ["--db", db_url, "digest", "status", "--failed"])
    assert result.exit_code == 0, result.output
    assert any(line.split() == ["disabled", "1"] for line in result.output.splitlines()), result.output
    assert "slack:T0001/C0BAD subscription disabled: time zone 'Mars/Olympus_Mons'" in result.output
    listing = ask(kb, "subscriptions", slack_origin("C0BAD"))
    assert listing.table.rows[0][2].startswith("disabled: time zone 'Mars/Olympus_Mons'")
    # later ticks carry on for the others and leave the disabled one alone
    add_releases(kb, tmp_path, OMEGA)
    clock.advance(days=1)
    assert (await sched.tick()).sent == 2
    assert "C0BAD" not in fake.messages
    sched.stop()


# -- row 12: Retry-After nan, 1e300 and other garbage ----------------------------------------------------

@pytest.mark.parametrize("header, wait", [("nan", 30.0), ("1e300", BACKOFF_MAX), ("inf", BACKOFF_MAX),
                                          ("-5", RETRY_AFTER_MIN), ("soon", 30.0), ("0", RETRY_AFTER_MIN)])
async def test_a_hostile_retry_after_backs_off_within_range_and_never_aborts_the_run(kb, fake, tmp_path,
                                                                                    header, wait):
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin("C0001"), clock())
    subscribe(kb, "instant", slack_origin("C0002"), clock())
    add_releases(kb, tmp_path, ZETA)
    fake.fail_next("chat.postMessage", retry_after=header)
    sched = slack_scheduler(kb, fake, clock)
    stats = await sched.tick()
    assert (stats.sent, stats.retried) == (1, 1)
    [waiting] = [d for d in deliveries(kb) if d.status != "sent"]
    assert waiting.status == "pending"  # not left `sending`
    assert waiting.next_attempt_at == naive(START + dt.timedelta(seconds=wait))
    clock.advance(seconds=wait)
    assert (await sched.tick()).sent == 1
    assert [d.status for d in deliveries(kb)] == ["sent", "sent"]
    sched.stop()


@pytest.mark.parametrize("value, expected", [
    ("nan", None), ("NaN", None), ("", None), (None, None), ("soon", None), (True, None), ("1" * 500, BACKOFF_MAX),
    ("1e300", BACKOFF_MAX), ("inf", BACKOFF_MAX), ("-inf", RETRY_AFTER_MIN), (float("nan"), None),
    (1e300, BACKOFF_MAX), ("-5", RETRY_AFTER_MIN), ("2.5", 2.5), (" 20 ", 20.0), (7, 7.0),
    ("Fri, 30 Oct 2026 12:01:00 GMT", 60.0), ("Thu, 01 Jan 1970 00:00:00 GMT", RETRY_AFTER_MIN)])
def test_retry_after_is_parsed_and_clamped_without_raising(value, expected):
    assert delivery.RETRY_AFTER_MIN == RETRY_AFTER_MIN
    parse_retry_after = delivery.parse_retry_after
    assert parse_retry_after(value, now=START) == expected
    assert RETRY_AFTER_MIN <= backoff(3, value if not isinstance(value, str) else parse_retry_after(value, START)) \
        <= BACKOFF_MAX
    assert backoff(10**9, float("nan")) == BACKOFF_MAX


@pytest.mark.parametrize("header", ["nan", "1e300", "garbage"])
def test_discord_rate_limit_errors_with_a_hostile_retry_after_become_clamped_retries(header):
    response = types.SimpleNamespace(status=429, reason="Too Many Requests", headers={"Retry-After": header})
    error = discord_error(discord.HTTPException(response, {"message": "slow down", "code": 0}))
    assert error.kind == "retry"
    assert error.retry_after is None or RETRY_AFTER_MIN <= error.retry_after <= BACKOFF_MAX


# -- row 5: a digest bigger than one message ---------------------------------------------------------------

def many(n: int, summary: str = "A synthetic release.") -> list[dict]:
    return [{"name": f"Bulk Model {i:03d}", "org": f"Bulk Org {i % 3}", "summary": summary} for i in range(n)]


async def test_a_slack_digest_too_big_for_fifty_blocks_is_sent_in_several_messages_nothing_cut(kb, fake, tmp_path):
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin(), clock())
    sched = slack_scheduler(kb, fake, clock)
    await sched.tick()
    models = many(70, summary="Long synthetic release notes. " * 60)  # ~1,800 characters each
    add_releases(kb, tmp_path, *models)
    stats = await sched.tick()
    messages = fake.messages["C0001"]
    assert len(messages) >= 2 and stats.sent == len(messages)
    seen = []
    for message in messages:
        assert len(message["blocks"]) <= slack_render.MAX_BLOCKS
        assert all(b["text"]["text"] != CUT_SECTION for b in message["blocks"] if b["type"] == "section")
        assert all(len(b["text"]["text"]) <= slack_render.MAX_SECTION for b in message["blocks"]
                   if b["type"] == "section")
        blocks_text = "\n".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section")
        seen += [m["name"] for m in models if f"{m['name']} —" in blocks_text]
    assert sorted(seen) == sorted(m["name"] for m in models)  # every release once, none lost
    assert "More follows in the next message." in messages[0]["blocks"][1]["text"]["text"]
    assert "(continued)" in messages[1]["blocks"][0]["text"]["text"]
    rows = deliveries(kb)
    assert [d.status for d in rows] == ["sent"] * len(messages)
    assert rows[1].period == rows[0].period + "/2"
    assert sorted(i for d in rows for i in d.release_ids) == sorted({i for d in rows for i in d.release_ids})
    assert (await sched.tick()).sent == 0  # nothing is sent twice
    sched.stop()


@pytest.fixture
async def discord_client(fake_discord, urls):
    rest = discord.Client(intents=discord.Intents.none())
    await rest.login(TOKEN)
    yield rest
    await rest.close()


async def test_a_discord_digest_too_big_for_one_embed_is_sent_in_several_messages_nothing_cut(
        kb, fake_discord, discord_client, tmp_path):
    clock = Clock(START)
    origin = Origin(platform="discord", workspace="900000000000000001", channel=str(CHANNEL_ID), user="1",
                    can_manage=True)
    subscribe(kb, "daily 09:00", origin, clock())
    sched = DigestScheduler(kb, {"discord": DiscordPublisher(discord_client)}, clock=clock, per_channel_interval=0.0,
                            worker="test-worker")
    models = many(90)
    add_releases(kb, tmp_path, *models)
    clock.advance(days=1)
    stats = await sched.tick()
    messages = fake_discord.created.get(CHANNEL_ID, [])
    assert len(messages) >= 2 and stats.sent == len(messages)
    seen = []
    for message in messages:
        [embed] = message["embeds"]
        assert_embed_within_limits(embed)
        assert not any(f["name"] == "…" for f in embed.get("fields", []))
        text = "\n".join(f["value"] for f in embed.get("fields", []))
        seen += [m["name"] for m in models if f"{m['name']} —" in text]
    assert sorted(seen) == sorted(m["name"] for m in models)
    assert "(continued)" in messages[1]["embeds"][0]["title"]
    nonces = [m.get("nonce") for m in messages]
    assert len(set(nonces)) == len(nonces)  # each part has its own delivery key
    assert [d.status for d in deliveries(kb)] == ["sent"] * len(messages)
    assert (await sched.tick()).sent == 0
    sched.stop()


async def test_a_restart_after_the_first_part_went_out_sends_only_the_rest(kb, fake, tmp_path):
    """The first part is recorded with the records it held and its continuation together: a crash before
    that record resends nothing (the key is found in history), after it only the continuation goes out."""
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin(), clock())
    sched = slack_scheduler(kb, fake, clock)
    await sched.tick()
    add_releases(kb, tmp_path, *many(70, summary="Long synthetic release notes. " * 60))
    from bot.digests.outbox import claim, plan

    plan(kb, clock())
    [first] = claim(kb.engine, "dead-worker", clock(), 10, ["slack"])
    publisher = sched.courier.publishers["slack"]
    answer, part = sched.courier.part(first.release_ids, first.heading, first.update_ids, publisher.fits)
    assert part is not None and part.rest_release_ids
    from bot.digests.delivery import Target

    await publisher.publish(Target("slack", "T0001", "C0001"), answer, first.key)  # then the process dies
    clock.advance(minutes=3)  # the lease runs out
    stats = await sched.tick()
    assert stats.recovered == 1
    messages = fake.messages["C0001"]
    assert stats.sent == len(messages)  # the recovered first part plus the rest, nothing twice
    keys = [m["metadata"]["event_payload"]["key"] for m in messages]
    assert len(keys) == len(set(keys))
    assert [d.status for d in deliveries(kb)] == ["sent"] * len(messages)
    sched.stop()


# -- row 19: /healthz answers 503 when ticks stop succeeding ------------------------------------------------

async def test_scheduler_healthz_fails_once_the_last_good_tick_is_older_than_three_intervals(kb, fake, monkeypatch):
    clock = Clock(START)
    sched = slack_scheduler(kb, fake, clock, tick_seconds=30)
    async with contextlib.AsyncExitStack() as stack:
        port = await serve_health(0, lambda: _status(sched), stack, host="127.0.0.1")

        async def healthz() -> tuple[int, dict]:
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
                return response.status, await response.json()

        await sched._safe_tick()
        status, body = await healthz()
        assert status == 200 and body["ok"] is True and body["last_tick"] == START.isoformat()

        def broken(*_args):
            raise RuntimeError("database unreachable")

        monkeypatch.setattr(bot.digests.scheduler, "plan", broken)
        clock.advance(seconds=60)
        await sched._safe_tick()  # fails, but the last good tick is only 60 s old
        assert (await healthz())[0] == 200
        clock.advance(seconds=31)  # 91 s > 3 × 30 s
        await sched._safe_tick()
        status, body = await healthz()
        assert status == 503 and body["ok"] is False
        assert body["last_tick"] == START.isoformat() and "database unreachable" in body["last_error"]
        monkeypatch.undo()
        await sched._safe_tick()  # recovers
        assert (await healthz())[0] == 200
    sched.stop()


async def test_a_scheduler_that_never_ticks_is_unhealthy_after_three_intervals(kb, fake):
    clock = Clock(START)
    sched = slack_scheduler(kb, fake, clock, tick_seconds=10)
    assert sched.health()["ok"] is True  # just started
    clock.advance(seconds=31)
    assert sched.health()["ok"] is False
    sched.stop()
