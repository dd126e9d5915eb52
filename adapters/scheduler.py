"""``modelwire scheduler``: the dedicated digest scheduler, posting through the platforms' APIs.

It posts to Slack when SLACK_BOT_TOKEN is set, to Discord when DISCORD_TOKEN is set (REST only,
no gateway connection), and prints terminal subscriptions' digests. Run several against one
PostgreSQL database for redundancy: the outbox delivers each digest once. With SQLite, run one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import click

from adapters.background import scheduled_sync
from adapters.health import serve_health
from adapters.service import run_service
from adapters.settings import ConfigError, DigestSettings, ServiceSettings, SyncSettings, load
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.scheduler")


async def _publishers(stack: contextlib.AsyncExitStack) -> dict:
    """A publisher for each platform configured in the environment, plus the terminal."""
    from adapters.console.publish import ConsolePublisher

    publishers: dict = {"console": ConsolePublisher()}
    if os.environ.get("SLACK_BOT_TOKEN"):
        from adapters.slack.publish import SlackPublisher
        from adapters.slack.settings import SlackWebSettings

        slack = load(SlackWebSettings)
        publishers["slack"] = SlackPublisher(slack.bot_token, slack.api_url)
    if os.environ.get("DISCORD_TOKEN"):
        publishers["discord"] = await _discord_publisher(stack)
    return publishers


async def _discord_publisher(stack: contextlib.AsyncExitStack):
    import discord

    from adapters.discord.app import use_urls
    from adapters.discord.publish import DiscordPublisher
    from adapters.discord.settings import DiscordSettings

    settings = load(DiscordSettings)
    use_urls(settings.api_url, settings.gateway_url)
    client = discord.Client(intents=discord.Intents.none())
    stack.push_async_callback(client.close)
    try:
        await client.login(settings.token)
    except discord.LoginFailure:
        raise ConfigError("DISCORD_TOKEN was refused by Discord (check the bot token)") from None
    return DiscordPublisher(client)


def _status(scheduler) -> dict:
    """/healthz: 503 once the last successful tick is older than three tick intervals."""
    return scheduler.health()


async def run(kb: KnowledgeBase, digests: DigestSettings, service: ServiceSettings, sync: SyncSettings,
              once: bool) -> None:
    """Tick until cancelled (or once), posting through every configured platform; sync models.dev
    every MODELWIRE_SYNC_INTERVAL_MINUTES when that is set."""
    from bot.digests.scheduler import DigestScheduler

    async with contextlib.AsyncExitStack() as stack:
        publishers = await _publishers(stack)
        scheduler = DigestScheduler(kb, publishers, tick_seconds=digests.tick_seconds,
                                    max_attempts=digests.max_attempts)
        stack.push_async_callback(scheduler.close)  # a tick under way gives back its claims, then publishers close
        if once:
            stats = await scheduler.tick()
            log.info("one tick: %d sent, %d to retry, %d failed", stats.sent, stats.retried, stats.failed)
            return
        if service.health_port:
            await serve_health(service.health_port, lambda: _status(scheduler), stack)
        syncing = scheduled_sync(kb, sync)
        if syncing is not None:
            stack.callback(syncing.stop)
        log.info("posting digests to: %s", ", ".join(sorted(publishers)))
        scheduler.start()
        await asyncio.Event().wait()


@click.command()
@click.option("--once", is_flag=True, help="Plan and send what is due now, then exit (for cron or a test).")
@click.pass_context
def scheduler(ctx: click.Context, once: bool) -> None:
    """Post release digests to subscribed channels (Slack, Discord, this terminal)."""

    def settings() -> tuple[DigestSettings, ServiceSettings, SyncSettings]:
        return load(DigestSettings), load(ServiceSettings), load(SyncSettings)

    async def main(kb: KnowledgeBase, loaded: tuple[DigestSettings, ServiceSettings, SyncSettings]) -> None:
        await run(kb, *loaded, once)

    run_service(ctx, settings, main)
