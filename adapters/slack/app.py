"""The Slack app: wiring of slack-bolt (async) to the bot core, in Socket Mode or HTTP mode.

Listeners only convert (``convert``: Slack -> Question, ``render``: Answer -> Block Kit) and post.
Slow work runs after the acknowledgement: events are acknowledged by Bolt before the listener runs,
and the slash command and buttons use lazy listeners that answer through response_url or the Web API.
"""

from __future__ import annotations

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import click
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert, render
from adapters.slack.settings import ConfigError, SlackSettings, load_settings
from bot.dedupe import first_sighting
from bot.engine import answer
from bot.question import Answer, Question
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.slack")
EVENTS_PATH = "/slack/events"


class SlackBot:
    """One knowledge base answering one Slack workspace's questions."""

    def __init__(self, kb: KnowledgeBase, settings: SlackSettings):
        self.kb = kb
        self.settings = settings
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modelwire-answer")
        self.client = AsyncWebClient(token=settings.bot_token, base_url=settings.api_url,
                                     retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)])
        self.app = AsyncApp(client=self.client, signing_secret=settings.signing_secret or "",
                            request_verification_enabled=settings.mode == "http")
        self._register()

    async def ask(self, question: Question) -> Answer:
        """Answer off the event loop (database and matching are blocking work)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, answer, question, self.kb)

    def _seen(self, body: dict) -> bool:
        event_id = body.get("event_id")
        return bool(event_id) and not first_sighting(self.kb.engine, "slack", event_id)

    async def _post(self, question: Question) -> None:
        reply = render.message(await self.ask(question))
        origin = question.origin
        try:
            await self.client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread, **reply)
        except SlackApiError as exc:
            log.error("chat.postMessage failed: %s (channel=%s thread=%s user=%s)", exc.response.get("error"),
                      origin.channel, origin.thread, origin.user)

    def _register(self) -> None:
        app = self.app

        @app.event("app_mention")
        async def on_mention(body, event):
            if not self._seen(body):
                await self._post(convert.question_from_event(event, body.get("team_id")))

        @app.event("message")
        async def on_message(body, event):
            if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
                return
            if not self._seen(body):
                await self._post(convert.question_from_event(event, body.get("team_id")))

        async def ack_only(ack):
            await ack()

        async def run_command(body, respond):
            reply = render.message(await self.ask(convert.question_from_command(body)))
            await respond(response_type="in_channel", **reply)

        async def run_action(body):
            await self._post(convert.question_from_action(body))

        app.command(re.compile(r"^/modelwire$"))(ack=ack_only, lazy=[run_command])
        app.action(re.compile(rf"^{render.ASK_ACTION}_\d+$"))(ack=ack_only, lazy=[run_action])

        @app.error
        async def on_error(error, body):
            kind = body.get("type") or body.get("command") or "request"
            log.error("error handling Slack %s (team=%s): %r", kind, body.get("team_id"), error)

    def web_app(self) -> web.Application:
        """The HTTP-mode server: Slack's requests at /slack/events, a health check at /healthz."""

        async def events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await self.app.async_dispatch(await to_bolt_request(request)))

        async def healthz(_request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        server = web.Application()
        server.add_routes([web.post(EVENTS_PATH, events), web.get("/healthz", healthz)])
        return server

    async def run(self) -> None:
        """Serve until cancelled, in the configured mode."""
        if self.settings.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            await AsyncSocketModeHandler(self.app, self.settings.app_token).start_async()
            return
        runner = web.AppRunner(self.web_app())
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", self.settings.port).start()
        log.info("listening on port %s at %s", self.settings.port, EVENTS_PATH)
        await asyncio.Event().wait()


@click.command()
@click.pass_context
def slack(ctx: click.Context) -> None:
    """Run the Slack app (SLACK_MODE=socket or http; settings in .env.example)."""
    from bot.cli import open_kb

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    bot = SlackBot(open_kb(ctx), settings)
    try:
        asyncio.run(bot.run())
    except KeyboardInterrupt:
        pass
