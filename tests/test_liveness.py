"""/healthz of the chat bots says whether they are really working (hardening issue, liveness row).

The real apps run against the loopback fakes: Slack in Socket Mode (with MODELWIRE_HEALTH_PORT) and in
HTTP mode (on its events port), and Discord. Each answers 200 while its connection is up and its inline
digest scheduler is healthy; 503 once the scheduler's last good tick is too old, and 503 once the fake
platform goes away (the socket or gateway drops and cannot come back). The body is ``{"ok": ...}`` with
the scheduler's health under ``digests`` and a ``problem`` naming a connection that is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time

from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.app import DiscordBot, serve, use_urls
from adapters.discord.settings import DiscordSettings
from adapters.settings import DigestSettings
from adapters.slack.app import SlackBot
from tests.fakes.discord import GUILD_ID, TOKEN, FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.polling import eventually, free_port, healthz
from tests.slack_support import settings_for

AN_HOUR = dt.timedelta(hours=1)


async def digest_scheduler(bot):
    """The bot's inline digest scheduler, once the bot has started it."""
    await eventually(lambda: bot.background, timeout=5)
    (scheduler,) = [job for job in bot.background if hasattr(job, "health")]
    return scheduler


async def answers(port: int, status: int, check=lambda body: True, timeout: float = 10.0):
    """Poll /healthz until it answers ``status`` with a body passing ``check``; (status, body, seconds)."""
    began = time.monotonic()

    async def probe():
        answer = await healthz(port)
        return answer if answer and answer[0] == status and check(answer[1]) else None

    answer = await eventually(probe, timeout=timeout, interval=0.05)
    assert answer, f"/healthz never answered {status}: {await healthz(port)}"
    return answer[0], answer[1], time.monotonic() - began


async def stale_digests_fail_the_check(port: int, scheduler) -> None:
    """A scheduler whose last good tick is an hour old makes /healthz 503; back to 200 when it is fresh."""
    await eventually(lambda: scheduler.last_tick is not None, timeout=10)
    status, body, _ = await answers(port, 200)
    assert body["ok"] is True and body["digests"]["ok"] is True and "problem" not in body
    good = scheduler.last_tick
    scheduler.last_tick = good - AN_HOUR
    status, body, _ = await answers(port, 503)
    assert body["ok"] is False and body["digests"]["ok"] is False
    assert "no successful digest tick" in body["digests"]["problem"] and "problem" not in body
    scheduler.last_tick = good
    await answers(port, 200)


async def stop(fake) -> None:
    """Stop a fake platform once (stopping it again would clean its server up twice)."""
    if not getattr(fake, "stopped", False):
        fake.stopped = True
        await fake.stop()


async def finish(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


# -- Slack in Socket Mode: /healthz on MODELWIRE_HEALTH_PORT ---------------------------------------------

async def test_slack_socket_mode_healthz_follows_the_socket_and_the_digest_scheduler(kb):
    slack = await FakeSlack().start()
    port = free_port()
    bot = SlackBot(kb, settings_for(slack, mode="socket"))
    task = asyncio.create_task(bot.run(DigestSettings(), health_port=port))
    try:
        await slack.wait_for("apps.connections.open", timeout=5)
        await stale_digests_fail_the_check(port, await digest_scheduler(bot))
        began = time.monotonic()
        await stop(slack)  # the socket drops, and apps.connections.open no longer answers
        status, body, _ = await answers(port, 503, lambda b: "problem" in b)
        print(f"slack socket: 503 {time.monotonic() - began:.2f} s after the socket dropped")
        assert "Socket Mode" in body["problem"] and body["digests"]["ok"] is True
    finally:
        await finish(task)
        await stop(slack)
    assert await healthz(port) is None  # the health server went with the app


async def test_slack_socket_mode_is_unhealthy_until_the_socket_is_connected(kb):
    slack = await FakeSlack().start()
    slack.fail_next("apps.connections.open", error="internal_error", times=100)
    port = free_port()
    bot = SlackBot(kb, settings_for(slack, mode="socket"))
    task = asyncio.create_task(bot.run(health_port=port))
    try:
        status, body, _ = await answers(port, 503)
        assert body == {"ok": False, "problem": "the Socket Mode connection to Slack is down"}
    finally:
        await finish(task)
        await stop(slack)


# -- Slack in HTTP mode: /healthz on the events port ------------------------------------------------------

async def test_slack_http_mode_healthz_includes_the_digest_scheduler(kb, fake):
    settings = settings_for(fake, mode="http").model_copy(update={"port": free_port()})
    bot = SlackBot(kb, settings)
    task = asyncio.create_task(bot.run(DigestSettings()))
    try:
        await stale_digests_fail_the_check(settings.port, await digest_scheduler(bot))
    finally:
        await finish(task)


async def test_slack_http_mode_without_a_scheduler_is_simply_ok(kb, fake):
    settings = settings_for(fake, mode="http").model_copy(update={"port": free_port()})
    task = asyncio.create_task(SlackBot(kb, settings).run())
    try:
        assert (await answers(settings.port, 200))[1] == {"ok": True}
    finally:
        await finish(task)


# -- Discord -----------------------------------------------------------------------------------------------

async def test_discord_healthz_follows_the_gateway_and_the_digest_scheduler(kb):
    gone = await FakeDiscord().start()
    old = use_urls(gone.api_url, gone.gateway_url)
    port = free_port()
    settings = DiscordSettings(token=TOKEN, guild_id=GUILD_ID, api_url=gone.api_url, gateway_url=gone.gateway_url)
    bot = DiscordBot(kb, settings, DigestSettings(), guild_ready_timeout=0.05)
    task = asyncio.create_task(serve(bot, health_port=port))
    try:
        await gone.wait_identified(timeout=5)
        await stale_digests_fail_the_check(port, await digest_scheduler(bot))
        began = time.monotonic()
        await stop(gone)  # the gateway drops and cannot be reached again
        status, body, _ = await answers(port, 503, lambda b: "problem" in b)
        print(f"discord: 503 {time.monotonic() - began:.2f} s after the gateway dropped")
        assert "gateway" in body["problem"] and body["digests"]["ok"] is True
    finally:
        await finish(task)
        await stop(gone)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old
    assert bot.is_closed()
