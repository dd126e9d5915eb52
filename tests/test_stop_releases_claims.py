"""A digest scheduler stopped mid-tick gives its unsent claims back at once (hardening issue, claims row).

On SQLite and PostgreSQL, against the fake Slack: a tick is held in the middle of sending (one channel's
post waits on an event), then the scheduler is stopped (``close()``, ``stop()``, or the cancellation
SIGTERM brings). A digest already posted is recorded as sent; the others are pending again, unclaimed,
their attempt not counted, and another scheduler (another worker name) sends each of them at once, once.
The stop is quiet: one INFO line, no error and no traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.slack.publish import SlackPublisher
from bot.clock import utcnow
from bot.digests.scheduler import DigestScheduler
from knowledge.schema import Delivery, Subscription
from tests.digest_support import add_releases, slack_origin, subscribe
from tests.polling import eventually

CHANNELS = ["C0001", "C0002", "C0003", "C0004"]
HELD = "C0002"
ZETA = {"name": "Zeta Two", "org": "Zeta Labs", "open_weights": True}


class HeldPublisher:
    """The real Slack publisher, except that a post to ``held`` waits for ``release`` (before posting, or
    after it when ``post_first``: the message is then out but the publisher has not returned)."""

    def __init__(self, fake, held: str, post_first: bool = False):
        self.real = SlackPublisher("xoxb-test", fake.base_url)
        self.held, self.post_first = held, post_first
        self.posting, self.release = asyncio.Event(), asyncio.Event()

    async def publish(self, target, answer, key):
        if target.channel != self.held:
            return await self.real.publish(target, answer, key)
        sent = await self.real.publish(target, answer, key) if self.post_first else None
        self.posting.set()
        await self.release.wait()
        return sent or await self.real.publish(target, answer, key)

    async def find_sent(self, target, key, since):
        return await self.real.find_sent(target, key, since)

    async def close(self):
        self.release.set()
        await self.real.close()


def by_channel(kb) -> dict[str, Delivery]:
    with Session(kb.engine) as session:
        rows = session.execute(select(Delivery, Subscription.channel)
                               .join(Subscription, Subscription.id == Delivery.subscription_id)).all()
        session.expunge_all()
    return {channel: delivery for delivery, channel in rows}


def released(kb) -> bool:
    return all(d.status != "sending" for d in by_channel(kb).values())


async def held_mid_tick(kb, fake, tmp_path, way: str, post_first: bool = False):
    """A scheduler whose tick has posted to the first channel and is posting to HELD, then stopped ``way``;
    (the publisher, seconds from the stop until no claim is left ``sending``)."""
    for channel in CHANNELS:
        subscribe(kb, "instant", slack_origin(channel), utcnow())
    add_releases(kb, tmp_path, ZETA)
    publisher = HeldPublisher(fake, HELD, post_first)
    sched = DigestScheduler(kb, {"slack": publisher}, worker="stopped-worker", per_channel_interval=0.0,
                            concurrency=1)  # one post at a time: the channels after HELD wait their turn
    if way == "cancel":  # what SIGTERM does: asyncio.run cancels the running tick
        task = asyncio.create_task(sched._safe_tick())
    else:
        sched.start()
    await asyncio.wait_for(publisher.posting.wait(), 10)
    assert [d.status for d in by_channel(kb).values()] == ["sending"] * len(CHANNELS)
    stopped = time.monotonic()
    if way == "cancel":
        task.cancel()
        await task  # the tick ends quietly: the cancellation is handled, not raised to APScheduler
    elif way == "stop":
        sched.stop()
    else:
        await sched.close()
    assert await eventually(lambda: released(kb), timeout=5, interval=0.01)
    took = time.monotonic() - stopped
    await sched.close()
    return publisher, took


@pytest.mark.parametrize("way", ["close", "stop", "cancel"])
async def test_a_stop_mid_tick_releases_the_unsent_claims_and_another_scheduler_sends_them_once(
        kb, fake, tmp_path, caplog, way):
    caplog.set_level(logging.INFO)
    _, took = await held_mid_tick(kb, fake, tmp_path, way)
    print(f"{way}: claims released {took * 1000:.0f} ms after the stop")
    assert took < 1.0
    rows = by_channel(kb)
    first = rows["C0001"]  # posted before the stop: recorded as sent, never released
    assert first.status == "sent" and first.message_id == fake.messages["C0001"][0]["ts"]
    for channel in CHANNELS[1:]:
        row = rows[channel]
        assert (row.status, row.claimed_by, row.attempts, row.error) == ("pending", None, 0, None), channel
        assert row.next_attempt_at <= utcnow().replace(tzinfo=None)
    # HELD was being posted when the stop came: it may have gone out, so its claim time stays as the
    # point from which the next sender looks for it; the two that never started are plainly pending
    assert rows[HELD].claimed_at is not None
    assert rows["C0003"].claimed_at is None and rows["C0004"].claimed_at is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    stop_lines = [r.getMessage() for r in caplog.records if "stopped" in r.getMessage()
                  and r.name.startswith("modelwire.")]
    assert len(stop_lines) == 1 and "3 unsent" in stop_lines[0], stop_lines

    other = DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, worker="other-worker",
                            per_channel_interval=0.0)
    began = time.monotonic()
    stats = await other.tick()
    print(f"{way}: the other scheduler sent them in {(time.monotonic() - began) * 1000:.0f} ms")
    await other.close()
    assert (stats.sent, stats.recovered, stats.retried, stats.failed) == (3, 0, 0, 0)
    assert {c: len(m) for c, m in fake.messages.items()} == {c: 1 for c in CHANNELS}
    assert all(d.status == "sent" and d.attempts == 1 for d in by_channel(kb).values())
    assert len(fake.calls_to("conversations.history")) == 1  # only HELD is looked for before posting


async def test_a_message_that_went_out_while_stopping_is_found_and_not_posted_again(kb, fake, tmp_path):
    """The post to HELD reached Slack but the stop came before the publisher returned: the next sender
    finds it by its key and records it, rather than posting it a second time."""
    await held_mid_tick(kb, fake, tmp_path, "close", post_first=True)
    assert len(fake.messages[HELD]) == 1
    other = DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, worker="other-worker",
                            per_channel_interval=0.0)
    stats = await other.tick()
    await other.close()
    assert (stats.sent, stats.recovered) == (3, 1)
    assert {c: len(m) for c, m in fake.messages.items()} == {c: 1 for c in CHANNELS}
    assert by_channel(kb)[HELD].message_id == fake.messages[HELD][0]["ts"]
