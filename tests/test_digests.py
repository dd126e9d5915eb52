"""Release digests end to end against the fake Slack, with a controlled clock.

Subscriptions are made through the core commands, release records arrive by pack import, and the
real scheduler (plan + outbox + Slack publisher over HTTP) posts to the fake Slack.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.slack.publish import SlackPublisher
from bot.digests.delivery import Target
from bot.digests.outbox import claim, plan
from bot.digests.scheduler import DigestScheduler
from bot.digests.subscriptions import handle
from bot.values import Origin, Question
from knowledge.schema import Delivery, Subscription
from tests.digest_support import Clock, add_releases, ask, slack_origin, subscribe

pytestmark = pytest.mark.asyncio
UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
ZETA = {"name": "Zeta Two", "org": "Zeta Labs", "open_weights": True, "input": ["text", "image"], "score": 71.5}
OMEGA = {"name": "Omega Chat", "org": "Omega AI", "open_weights": False, "input": ["text"]}


def scheduler_for(kb, fake, clock, **options) -> DigestScheduler:
    options.setdefault("per_channel_interval", 0.0)
    return DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, clock=clock,
                           worker=options.pop("worker", "test-worker"), **options)


def posted(fake, channel: str = "C0001") -> list[dict]:
    return fake.messages.get(channel, [])


def digest_text(message: dict) -> str:
    return message["text"]


async def test_instant_digest_posts_new_releases_once_grouped_by_organization(kb, fake, tmp_path):
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin(), clock())
    sched = scheduler_for(kb, fake, clock)
    assert (await sched.tick()).sent == 0
    add_releases(kb, tmp_path, ZETA, OMEGA)
    stats = await sched.tick()
    assert stats.sent == 1
    [message] = posted(fake)
    text = digest_text(message)
    assert "2 new releases" in text
    assert text.index("Omega AI") < text.index("Zeta Labs")  # grouped by organization
    assert "Zeta Two — 2026-11-20" in text and "A synthetic release." in text
    assert "GPQA Diamond 71.5%" in text  # key scores
    assert "https://example.invalid/launch/" in text  # the source link
    assert message["metadata"]["event_payload"]["key"].startswith("mw-digest-")
    headers = [b for b in message["blocks"] if b["type"] == "header"]
    assert headers[0]["text"]["text"] == "New releases: 2 new releases"
    assert (await sched.tick()).sent == 0
    assert len(posted(fake)) == 1
    sched.stop()


async def test_a_new_subscriber_gets_no_backlog(kb, fake, tmp_path):
    clock = Clock(START)
    add_releases(kb, tmp_path, ZETA)
    subscribe(kb, "instant", slack_origin(), clock())
    sched = scheduler_for(kb, fake, clock)
    assert (await sched.tick()).sent == 0
    add_releases(kb, tmp_path, OMEGA)
    await sched.tick()
    [message] = posted(fake)
    assert "Omega Chat" in message["text"] and "Zeta Two" not in message["text"]
    sched.stop()


async def test_daily_digest_across_the_end_of_daylight_saving(kb, fake, tmp_path):
    # New York: 09:00 is 13:00 UTC on 2026-10-31 and 14:00 UTC from 2026-11-01 (clocks go back).
    clock = Clock(dt.datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    subscribe(kb, "daily 09:00 tz America/New_York", slack_origin(), clock())
    sched = scheduler_for(kb, fake, clock)
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
    first, second = posted(fake)
    assert "Daily release digest, 2026-10-31" in first["text"] and "Zeta Two" in first["text"]
    assert "Daily release digest, 2026-11-01" in second["text"] and "Omega Chat" in second["text"]
    assert "Zeta Two" not in second["text"]
    sched.stop()


async def test_daily_digest_when_the_local_time_is_skipped_and_repeated(kb, fake, tmp_path):
    clock = Clock(dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    subscribe(kb, "daily 02:30 tz Europe/Berlin", slack_origin(), clock())
    sched = scheduler_for(kb, fake, clock)
    add_releases(kb, tmp_path, ZETA)
    clock.now = dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST: 02:30 did not exist that night
    assert (await sched.tick()).sent == 1
    # The night 02:30 happens twice: one digest, at the first.
    clock.now = dt.datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    add_releases(kb, tmp_path, OMEGA)
    clock.now = dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert (await sched.tick()).sent == 1
    add_releases(kb, tmp_path, {"name": "Late Model", "org": "Omega AI"})
    clock.now = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the second 02:30
    assert (await sched.tick()).sent == 0
    clock.now = dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    assert (await sched.tick()).sent == 1
    assert [("Late Model" in m["text"]) for m in posted(fake)] == [False, False, True]
    sched.stop()


async def test_weekly_digest_waits_for_its_day(kb, fake, tmp_path):
    clock = Clock(dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # a Wednesday
    subscribe(kb, "weekly monday 09:00 tz Europe/Berlin", slack_origin(), clock())
    sched = scheduler_for(kb, fake, clock)
    add_releases(kb, tmp_path, ZETA)
    clock.now = dt.datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 00:00 in Berlin
    assert (await sched.tick()).sent == 0
    clock.now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert (await sched.tick()).sent == 1
    assert "Weekly release digest, week of 2026-11-30" in posted(fake)[0]["text"]
    sched.stop()


async def test_a_missed_period_is_caught_up_with_one_digest(kb, fake, tmp_path):
    clock = Clock(START)
    subscribe(kb, "daily 09:00", slack_origin(), clock())
    sched = scheduler_for(kb, fake, clock)
    add_releases(kb, tmp_path, ZETA)
    clock.advance(days=3)  # the scheduler was down for three days
    assert (await sched.tick()).sent == 1
    assert (await sched.tick()).sent == 0
    sched.stop()


async def test_filters_organization_open_weights_and_input(kb, fake, tmp_path):
    clock = Clock(START)
    add_releases(kb, tmp_path, {"name": "Zeta Zero", "org": "Zeta Labs"}, {"name": "Omega Zero", "org": "Omega AI"})
    subscribe(kb, "instant org Zeta Labs", slack_origin("C_ORG"), clock())
    subscribe(kb, "instant open-weights", slack_origin("C_OPEN"), clock())
    subscribe(kb, "instant input image", slack_origin("C_IMAGE"), clock())
    subscribe(kb, "instant org Omega AI input image", slack_origin("C_NONE"), clock())
    add_releases(kb, tmp_path, {"name": "Meta Mini", "org": "Meta"}, ZETA, OMEGA)
    sched = scheduler_for(kb, fake, clock)
    assert (await sched.tick()).sent == 3
    names = {c: [n for n in ("Zeta Two", "Omega Chat", "Meta Mini") if n in posted(fake, c)[0]["text"]]
             for c in ("C_ORG", "C_OPEN", "C_IMAGE")}
    assert names == {"C_ORG": ["Zeta Two"], "C_OPEN": ["Zeta Two"], "C_IMAGE": ["Zeta Two"]}
    assert posted(fake, "C_NONE") == []
    sched.stop()


async def test_an_organization_filter_includes_its_units(kb, fake, tmp_path):
    clock = Clock(START)
    subscribe(kb, "instant org Meta", slack_origin(), clock())
    add_releases(kb, tmp_path, {"name": "MSL Nano", "org": "Meta Superintelligence Labs"}, OMEGA)
    sched = scheduler_for(kb, fake, clock)
    await sched.tick()
    [message] = posted(fake)
    assert "MSL Nano" in message["text"] and "Omega Chat" not in message["text"]
    sched.stop()


async def test_rate_limited_then_delivered_once(kb, fake, tmp_path):
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    fake.fail_next("chat.postMessage", error="ratelimited", retry_after=20)
    sched = scheduler_for(kb, fake, clock)
    stats = await sched.tick()
    assert (stats.sent, stats.retried) == (0, 1)
    clock.advance(seconds=10)
    assert (await sched.tick()).sent == 0  # Retry-After is 20 s
    clock.advance(seconds=11)
    assert (await sched.tick()).sent == 1
    assert len(posted(fake)) == 1 and len(fake.calls_to("chat.postMessage")) == 2
    with Session(kb.engine) as session:
        delivery = session.execute(select(Delivery)).scalar_one()
        assert (delivery.status, delivery.attempts) == ("sent", 2)
        assert delivery.message_id == posted(fake)[0]["ts"]
    sched.stop()


async def test_server_errors_back_off_then_give_up_and_report(kb, fake, tmp_path, caplog):
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    fake.fail_next("chat.postMessage", status=503, error="service_unavailable", times=3)
    sched = scheduler_for(kb, fake, clock, max_attempts=3)
    assert (await sched.tick()).retried == 1
    clock.advance(seconds=29)
    assert (await sched.tick()).retried == 0  # the first backoff is 30 s
    clock.advance(seconds=2)
    assert (await sched.tick()).retried == 1
    clock.advance(seconds=61)  # then 60 s
    with caplog.at_level(logging.ERROR, logger="modelwire.digests"):
        stats = await sched.tick()
    assert stats.failed == 1
    assert any("gave up" in r.getMessage() and "after 3 attempts" in r.getMessage() for r in caplog.records)
    clock.advance(days=1)
    assert (await sched.tick()).sent == 0
    assert posted(fake) == []
    sched.stop()


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel"])
async def test_a_gone_channel_disables_its_subscription_and_others_carry_on(kb, fake, tmp_path, caplog, error):
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin("C_GONE"), clock())
    subscribe(kb, "instant", slack_origin("C_OK"), clock())
    fake.gone["C_GONE"] = error
    add_releases(kb, tmp_path, ZETA)
    sched = scheduler_for(kb, fake, clock)
    with caplog.at_level(logging.WARNING, logger="modelwire.digests"):
        stats = await sched.tick()
    assert (stats.sent, stats.gone) == (1, 1)
    assert any("disabling digest subscription" in r.getMessage() and error in r.getMessage()
               for r in caplog.records)
    assert len(posted(fake, "C_OK")) == 1
    with Session(kb.engine) as session:
        gone = session.execute(select(Subscription).where(Subscription.channel == "C_GONE")).scalar_one()
        assert not gone.active and error in gone.disabled_reason
    add_releases(kb, tmp_path, OMEGA)
    await sched.tick()
    assert len(fake.calls_to("chat.postMessage")) == 3  # the disabled channel was not tried again
    listing = ask(kb, "subscriptions", slack_origin("C_GONE"))
    assert "disabled" in listing.table.rows[0][2]
    # The bot is invited back and someone subscribes again: the same subscription is on, from now on.
    del fake.gone["C_GONE"]
    again = subscribe(kb, "instant", slack_origin("C_GONE"), clock())
    assert again.title == "Subscribed again"
    assert (await sched.tick()).sent == 0  # no backlog of what was missed while it was off
    add_releases(kb, tmp_path, {"name": "Comeback", "org": "Omega AI"})
    assert (await sched.tick()).sent == 2
    assert "Comeback" in posted(fake, "C_GONE")[-1]["text"]
    assert len(ask(kb, "subscriptions", slack_origin("C_GONE")).table.rows) == 1
    sched.stop()


async def test_a_crash_after_the_claim_delivers_once_after_restart(kb, fake, tmp_path):
    clock = Clock(START)
    subscribe(kb, "instant", slack_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    assert plan(kb, clock()) == 1
    [claimed] = claim(kb.engine, "crashed-worker", clock(), 10, ["slack"])  # ... and the process dies here
    restarted = scheduler_for(kb, fake, clock, worker="restarted-worker")
    assert (await restarted.tick()).sent == 0  # the dead worker's lease has not run out
    clock.advance(minutes=3)
    stats = await restarted.tick()
    assert (stats.sent, stats.recovered) == (1, 0)
    assert (await restarted.tick()).sent == 0
    assert len(posted(fake)) == 1
    restarted.stop()


async def test_a_crash_after_sending_before_recording_does_not_double(kb, fake, tmp_path):
    clock = Clock(START)
    fake.clock = lambda: clock().timestamp()
    subscribe(kb, "instant", slack_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    plan(kb, clock())
    [claimed] = claim(kb.engine, "crashed-worker", clock(), 10, ["slack"])
    first = scheduler_for(kb, fake, clock)
    answer = first.courier.render(claimed.release_ids, claimed.heading)
    ts = await SlackPublisher("xoxb-test", fake.base_url).publish(Target("slack", "T0001", "C0001"), answer,
                                                                  claimed.key)  # ... and the process dies here
    clock.advance(minutes=3)
    restarted = scheduler_for(kb, fake, clock, worker="restarted-worker")
    stats = await restarted.tick()
    assert (stats.sent, stats.recovered) == (1, 1)
    assert len(posted(fake)) == 1
    with Session(kb.engine) as session:
        assert session.execute(select(Delivery.message_id)).scalar_one() == ts
    first.stop()
    restarted.stop()


async def test_a_lost_claim_is_not_overwritten_by_the_worker_that_lost_it(kb, fake, tmp_path):
    from bot.digests.outbox import Outcome, record

    clock = Clock(START)
    subscribe(kb, "instant", slack_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    plan(kb, clock())
    [slow] = claim(kb.engine, "slow-worker", clock(), 10, ["slack"])
    clock.advance(minutes=3)
    [taken] = claim(kb.engine, "new-worker", clock(), 10, ["slack"])
    assert taken.resumed_from == START
    record(kb.engine, [Outcome(taken, "sent", message_id="1.1")], "new-worker", clock())
    record(kb.engine, [Outcome(slow, "retry", error="late", retry_at=clock())], "slow-worker", clock())
    with Session(kb.engine) as session:
        delivery = session.execute(select(Delivery)).scalar_one()
        assert (delivery.status, delivery.message_id) == ("sent", "1.1")


async def test_only_people_who_may_manage_the_channel_change_subscriptions(kb):
    refused = handle(Question(text="subscribe daily 09:00", command="subscribe", args={"text": "daily 09:00"},
                              origin=slack_origin(can_manage=False)), kb)
    assert (refused.intent, refused.found) == ("refused", False)
    assert "workspace admins" in refused.text
    assert ask(kb, "subscriptions", slack_origin(can_manage=False)).found is False  # nothing was created
    subscribe(kb, "daily 09:00", slack_origin(), START)
    refused = ask(kb, "unsubscribe", slack_origin(can_manage=False))
    assert refused.intent == "refused"
    assert ask(kb, "subscriptions", slack_origin(can_manage=False)).found  # anyone may look


async def test_subscribe_twice_unsubscribe_one_and_preview(kb, tmp_path):
    origin = slack_origin()
    subscribe(kb, "daily 09:00 tz Europe/Berlin", origin, START)
    again = subscribe(kb, "daily 09:00 tz Europe/Berlin", origin, START)
    assert again.title == "Already subscribed"
    subscribe(kb, "weekly friday 17:00", origin, START)
    listing = ask(kb, "subscriptions", origin)
    assert [row[1] for row in listing.table.rows] == ["daily 09:00 (Europe/Berlin)", "weekly Friday 17:00 (UTC)"]
    assert listing.table.rows[0][2] == "Sat 31 Oct 2026 09:00 Europe/Berlin"
    empty = ask(kb, "digest", origin, "preview")
    assert empty.intent == "digest" and not empty.found and "Nothing new" in empty.text
    add_releases(kb, tmp_path, ZETA)
    preview = ask(kb, "digest", origin, "preview")
    assert preview.found and preview.fields[0][0] == "Zeta Labs" and "Zeta Two" in preview.fields[0][1]
    gone = ask(kb, "unsubscribe", origin, "2")
    assert gone.found and "weekly Friday 17:00" in gone.text
    assert [row[1] for row in ask(kb, "subscriptions", origin).table.rows] == ["daily 09:00 (Europe/Berlin)"]
    assert ask(kb, "unsubscribe", origin, "7").intent == "usage"
    assert ask(kb, "unsubscribe", origin).found
    assert not ask(kb, "subscriptions", origin).found


async def test_the_scheduler_runs_on_apscheduler_until_stopped(kb, fake, tmp_path):
    subscribe(kb, "instant", slack_origin(), dt.datetime.now(UTC))
    add_releases(kb, tmp_path, ZETA)
    sched = DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, tick_seconds=1,
                            per_channel_interval=0.0)
    sched.start()
    try:
        await fake.wait_for("chat.postMessage", timeout=10)
        add_releases(kb, tmp_path, OMEGA)
        await fake.wait_for("chat.postMessage", count=2, timeout=10)
    finally:
        sched.stop()
    assert sched.last_tick is not None
    await asyncio.sleep(1.5)
    assert len(fake.calls_to("chat.postMessage")) == 2


async def test_one_message_per_second_per_channel(kb, fake, tmp_path):
    clock = Clock(START)
    fake.channel_interval = 1.0
    for words in ("instant", "instant org Meta", "instant open-weights", "instant input image"):
        subscribe(kb, words, slack_origin(), clock())
    add_releases(kb, tmp_path, ZETA)
    sched = DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, clock=clock)
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert (await sched.tick()).sent == 3  # Zeta Two is not Meta's
    assert loop.time() - began >= 2.0
    assert fake.rate_limited == 0
    sched.stop()


async def test_only_platforms_this_process_can_post_to_are_claimed(kb, fake, tmp_path):
    clock = Clock(START)
    subscribe(kb, "instant", Origin(platform="discord", workspace="1", channel="123", can_manage=True), clock())
    add_releases(kb, tmp_path, ZETA)
    sched = scheduler_for(kb, fake, clock)
    assert (await sched.tick()).sent == 0
    with Session(kb.engine) as session:
        assert session.execute(select(Delivery.status, Delivery.attempts)).one() == ("pending", 0)
    sched.stop()


async def test_build_digest_groups_by_organization_and_numbers_sources_in_reading_order():
    from bot.digests.builder import DigestItem, UpdateItem, build_digest
    from knowledge.store import SourceInfo

    a = SourceInfo(1, "a", "Launch post A", "Pub", "https://example.invalid/a", dt.date(2026, 5, 1))
    b = SourceInfo(2, "b", "Launch post B", "Pub", None, None)
    digest = build_digest([
        DigestItem("Zeta Labs", "Zeta One", dt.date(2026, 5, 1), "First.", ("Bench 50%",), a),
        DigestItem("Alpha AI", "Alpha 2", dt.date(2026, 5, 2), None, (), b),
        DigestItem("Zeta Labs", "Zeta Two", dt.date(2026, 5, 3), "Second.", (), b),
    ], "Daily release digest, 2026-05-04", [UpdateItem("Alpha AI", "Alpha 1", "marked deprecated", None)])
    assert digest.title == "Daily release digest, 2026-05-04: 3 new releases, 1 update"
    assert [name for name, _ in digest.fields] == ["Alpha AI", "Zeta Labs", "Updates · Alpha AI"]
    assert digest.fields[0][1] == "• Alpha 2 — 2026-05-02 [1]"
    assert digest.fields[1][1] == ("• Zeta One — 2026-05-01 [2]\n  First.\n  Key scores: Bench 50%\n"
                                   "• Zeta Two — 2026-05-03 [1]\n  Second.")
    assert digest.fields[2][1] == "• Alpha 1: marked deprecated"
    assert [s.title for s in digest.sources] == ["Pub — Launch post B", "Pub — Launch post A"]
    assert digest.sources[1].url == "https://example.invalid/a"
    empty = build_digest([], "New releases")
    assert (empty.found, empty.title, empty.fields) == (False, "New releases: nothing new", [])


async def test_digest_takes_only_preview(kb):
    reply = ask(kb, "digest", slack_origin(), "send now")
    assert (reply.intent, reply.title) == ("usage", "Unknown digest command")
    assert reply.text == "digest takes one word: preview.\nUsage: digest preview"


async def test_options_with_a_day_and_no_cadence_mean_weekly(kb):
    reply = handle(Question(text="/subscribe", command="subscribe", args={"day": "friday", "time": "17:00"},
                            origin=slack_origin()), kb, START)
    assert reply.found and "weekly Friday 17:00 (UTC)" in reply.text
