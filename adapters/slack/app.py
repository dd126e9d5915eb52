"""The Slack app: wiring of slack-bolt (async) to the bot core, in Socket Mode or HTTP mode.

Listeners only convert (``convert``: Slack -> Question, ``render``: Answer -> Block Kit) and post.
Slow work runs after the acknowledgement: events are acknowledged by Bolt before the listener runs,
and the slash command and buttons use lazy listeners that answer through response_url or the Web API.
A ``/modelwire`` reply is ephemeral; an answer worth sharing carries a "Share in channel" button.
A comparison's or leaderboard's chart is rendered in a thread pool and uploaded (files_upload_v2)
after the text answer: into the answer's thread, or with a shared answer into its channel.
The App Home tab, the subscribe modal, the share and "did you mean" buttons and the message
shortcut are ``interactive``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import TYPE_CHECKING

import click
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters import pictures
from adapters.answering import TOO_SLOW, AnswerPool, TooSlow
from adapters.background import start_background, stop_background
from adapters.health import connection, health_response, serve_health, with_digests
from adapters.service import run_service
from adapters.settings import AnswerSettings, DigestSettings, ServiceSettings, SyncSettings, load
from adapters.slack import convert, render, share
from adapters.slack.interactive import Interactions
from adapters.slack.settings import SlackSettings, load_settings
from bot.conversation import answer_in_conversation
from bot.dedupe import first_sighting, forget_old, release
from bot.values import Answer, Question
from knowledge.store import KnowledgeBase

if TYPE_CHECKING:
    from slack_sdk.socket_mode.aiohttp import SocketModeClient

log = logging.getLogger("modelwire.slack")
EVENTS_PATH = "/slack/events"
FORGET_EVERY = 1000
"""Every this many events, event ids older than the retry window are deleted."""
NOT_THERE = ("not_in_channel", "channel_not_found")
"""Web API errors meaning the bot cannot post to (or upload into) the conversation."""
APOLOGY = "Sorry, something went wrong answering that. Please try again in a moment."
SOCKET_DOWN = "the Socket Mode connection to Slack is down"
"""The reply when working out an answer failed: a question is never left without one."""


def describe(body: dict) -> str:
    """Context for a log line about any Slack request (event, slash command or button press).

    The kind of request and the team, channel, user and event id it names, so a failure can be
    traced back to a conversation without logging what the person wrote.
    """
    event = body.get("event") or {}
    kind = event.get("type") or body.get("command") or body.get("type") or "request"
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    channel = event.get("channel") or body.get("channel_id") or (body.get("channel") or {}).get("id")
    user = event.get("user") or body.get("user_id") or (body.get("user") or {}).get("id")
    return f"{kind} (team={team} channel={channel} user={user} event_id={body.get('event_id')})"


class SlackBot:
    """One knowledge base answering one Slack workspace's questions."""

    def __init__(self, kb: KnowledgeBase, settings: SlackSettings, answers: AnswerSettings | None = None):
        """``answers`` sizes the pool of answer workers and sets each answer's time budget
        (MODELWIRE_ANSWER_WORKERS, MODELWIRE_ANSWER_TIMEOUT_SECONDS)."""
        self.kb = kb
        self.settings = settings
        self._executor = AnswerPool(answers)
        self._charts = pictures.executor()
        self.client = AsyncWebClient(token=settings.bot_token, base_url=settings.api_url,
                                     retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)])
        self.app = AsyncApp(client=self.client, signing_secret=settings.signing_secret or "",
                            request_verification_enabled=settings.mode == "http")
        self._verifier = SignatureVerifier(settings.signing_secret) if settings.signing_secret else None
        self._sightings = 0
        self._socket: SocketModeClient | None = None
        """The Socket Mode client while one runs (its connection is this app's liveness)."""
        self.background: list = []
        """The inline digest scheduler and the scheduled sync, while ``run`` runs them."""
        self.interactions = Interactions(self)
        self._register()

    async def health(self) -> dict:
        """/healthz: ok while the app can hear Slack (in Socket Mode, while its socket is connected) and
        its inline digest scheduler, when it runs one, is healthy (under ``digests``)."""
        up = True  # in HTTP mode, this answer came through the server that receives Slack's requests
        if self.settings.mode == "socket":
            up = self._socket is not None and await self._socket.is_connected()
        return with_digests(connection(up, SOCKET_DOWN), self.background)

    async def ask(self, question: Question) -> Answer:
        """Answer off the event loop (database and matching are blocking work), in the question's
        conversation (see ``convert`` for which messages share one); TooSlow past the time budget."""
        return await self._executor.answer(answer_in_conversation, question, self.kb)

    async def _seen(self, body: dict) -> bool:
        """True when this event id was handled before (a Slack retry, or another replica's delivery).

        The database write runs off the event loop, like answering, so a slow database never delays
        the acknowledgement of other requests.
        """
        event_id = body.get("event_id")
        if not event_id:
            return False
        self._sightings += 1
        if self._sightings % FORGET_EVERY == 1:
            await self._executor.run(forget_old, self.kb.engine)
        return not await self._executor.run(first_sighting, self.kb.engine, "slack", event_id)

    def signed_by_slack(self, body: str | bytes, headers) -> bool:
        """Whether a request carries Slack's v0 signature of ``body`` made at most five minutes ago.

        A missing or malformed header (a timestamp that is not a number, or one of 400 digits, a
        signature with non-ASCII characters) is a bad signature, never an error; without a signing
        secret nothing is trusted.
        """
        if self._verifier is None:
            return False
        try:
            return self._verifier.is_valid_request(body, dict(headers))
        except Exception:  # ValueError, OverflowError (a timestamp past float), TypeError (non-ASCII)...
            return False

    async def _own_im(self, body: dict) -> bool:
        """Whether a slash command was typed in the person's own direct message with this bot.

        A channel id starting with D is any direct message (two people, or the person and another
        app); only conversations.info, asked with the bot's token, tells the bot's own IM: it is an
        IM whose other member is the person. A failed lookup is no DM, never an error.
        """
        channel, user_id = body.get("channel_id"), body.get("user_id")
        words = (body.get("text") or "").split()
        if not words or words[0].lower() not in convert.DIGEST_COMMANDS:
            return False  # only digest commands need rights: no lookup for the others
        return await self.own_im(channel, user_id)

    async def own_im(self, channel: str | None, user_id: str | None) -> bool:
        """Whether ``channel`` is the person's own IM with the bot (conversations.info; a failure is no)."""
        if not convert.is_direct_message(channel) or not user_id:
            return False
        try:
            info = (await self.client.conversations_info(channel=channel)).get("channel") or {}
        except SlackApiError as exc:
            log.warning("conversations.info failed for %s: %s", channel, exc.response.get("error"))
            return False
        return bool(info.get("is_im")) and info.get("user") == user_id

    async def _user_for(self, body: dict) -> dict | None:
        """users.info's user for a digest command (who may change subscriptions, their time zone); else None.

        A failed lookup is no permission, never an error: the person is told who may subscribe.
        """
        words = (body.get("text") or "").split()
        if not words or words[0].lower() not in convert.DIGEST_COMMANDS or not body.get("user_id"):
            return None
        try:
            return (await self.client.users_info(user=body["user_id"])).get("user")
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", body.get("user_id"), exc.response.get("error"))
            return None

    async def upload_chart(self, result: Answer, channel: str | None, thread: str | None = None) -> bool:
        """Upload the answer's chart (when it has one) into a channel, or a thread of it.

        The picture is rendered off the event loop. A failure is logged and never raised: the text
        answer has already gone out. True when a chart was uploaded.
        """
        if result.chart is None or not channel:
            return False
        png = await pictures.draw(result, self._charts, log)
        if png is None:
            return False
        try:
            await self.client.files_upload_v2(channel=channel, thread_ts=thread, file=png, **render.chart_file(result))
        except SlackApiError as exc:
            error = exc.response.get("error")
            level = logging.WARNING if error in NOT_THERE else logging.ERROR
            log.log(level, "chart upload failed: %s (channel=%s thread=%s)", error, channel, thread)
            return False
        except Exception as exc:  # the upload URL refused the bytes, a network error
            log.error("chart upload failed: %r (channel=%s thread=%s)", exc, channel, thread, exc_info=exc)
            return False
        return True

    async def _post(self, question: Question, respond=None, context: str = "") -> bool:
        """Answer in the question's thread, then upload the chart (if any) into it. Where the bot may
        not post (a channel it is not in, after a slash command), answer through the response_url
        instead when there is one, without the chart (it could not be uploaded there either).
        When working out the answer fails, the failure is logged (with ``context``) and an apology
        is posted instead (a shorter one when the answer took too long). False when no reply could be
        posted."""
        origin = question.origin
        result, apology = None, APOLOGY
        try:
            result = await self.ask(question)
        except TooSlow:  # logged with the time taken where it was given up
            apology = TOO_SLOW
        except Exception as exc:
            log.error("could not answer Slack %s: %r", context or f"question (channel={origin.channel} "
                      f"thread={origin.thread} user={origin.user})", exc, exc_info=exc)
        reply = render.message(result) if result is not None else render.apology(apology)
        try:
            await self.client.chat_postMessage(channel=origin.channel or "", thread_ts=origin.thread, **reply)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if respond is not None and error in NOT_THERE:
                await respond(response_type="in_channel", replace_original=False, **reply)
                return True
            log.error("chat.postMessage failed: %s (channel=%s thread=%s user=%s)", error,
                      origin.channel, origin.thread, origin.user)
            return False
        if result is not None:
            await self.upload_chart(result, origin.channel, origin.thread)
        return True

    async def _answer_event(self, body: dict, event: dict) -> None:
        """Answer an event once, with the answer or an apology. Unless a reply was posted, the event
        is not left marked as seen, so Slack's retry of it is answered."""
        if await self._seen(body):
            return
        posted = False
        try:
            posted = await self._post(convert.question_from_event(event, body.get("team_id")), context=describe(body))
        except Exception as exc:
            log.error("could not answer Slack %s: %r", describe(body), exc, exc_info=exc)
        finally:
            if not posted and body.get("event_id"):
                await self._release(body["event_id"])

    async def _release(self, event_id: str) -> None:
        """Forget a sighting of an event (its reply was never posted); a failure is logged, not raised."""
        try:
            await self._executor.run(release, self.kb.engine, "slack", event_id)
        except Exception as exc:
            log.error("could not release Slack event %s for a retry: %r", event_id, exc, exc_info=exc)

    def _register(self) -> None:
        app = self.app
        self.interactions.register(app)

        @app.event("app_mention")
        async def on_mention(body, event):
            await self._answer_event(body, event)

        @app.event("message")
        async def on_message(body, event):
            if event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id"):
                await self._answer_event(body, event)

        async def ack_only(ack):
            await ack()

        async def run_command(body, respond):
            """Answer through response_url. Lazy listeners run after the acknowledgement, where Bolt
            would log a failure without context, and a refused response_url (expired, used) is a
            status code rather than an exception: both are logged here with the request's context."""
            result = None
            text = convert.clean_text(body.get("text", ""))
            if text.lower() == "subscribe":  # no arguments: the form
                await self.interactions.open_subscribe(body, respond)
                return
            try:
                user = await self._user_for(body)
                own_im = await self._own_im(body)
                question = convert.question_from_command(body, user, self.settings.managers, own_im=own_im)
                result = await self.ask(question)
                reply = render.message(result)
            except TooSlow:
                result, reply = None, render.apology(TOO_SLOW)
            except Exception as exc:
                log.error("could not answer Slack %s: %r", describe(body), exc, exc_info=exc)
                result, reply = None, render.apology(APOLOGY)
            try:
                response = await respond(**share.ephemeral(reply, text if share.shareable(result, text) else None))
            except Exception as exc:
                log.error("could not answer Slack %s: %r", describe(body), exc, exc_info=exc)
                return
            if response.status_code != 200:
                log.error("response_url refused the answer: %s %s for Slack %s", response.status_code,
                          response.body, describe(body))
                return
            # An ephemeral message cannot carry a file: the chart goes out with the answer when it is shared.

        async def run_action(body, respond):
            try:
                await self.interactions.on_suggestion(body, respond)
            except Exception as exc:
                log.error("could not answer Slack %s: %r", describe(body), exc, exc_info=exc)

        app.command(re.compile(r"^/modelwire$"))(ack=ack_only, lazy=[run_command])
        app.action(re.compile(rf"^{render.ASK_ACTION}_\d+$"))(ack=ack_only, lazy=[run_action])

        @app.error
        async def on_error(error, body):
            log.error("error handling Slack %s: %r", describe(body), error, exc_info=error)

    def web_app(self) -> web.Application:
        """The HTTP-mode server: Slack's requests at /slack/events, a health check at /healthz."""

        async def events(request: web.Request) -> web.Response:
            # The signature is checked over the raw bytes before anything reads the body as text: a
            # body that is not UTF-8, a bogus charset or a malformed header is a quiet 401, not a 500.
            raw = await request.read()
            if not self.signed_by_slack(raw, request.headers):
                return web.json_response({"error": "invalid request"}, status=401)
            try:
                text = raw.decode("utf-8")  # Slack always sends UTF-8, whatever the header says
            except UnicodeDecodeError:
                return web.json_response({"error": "invalid request"}, status=400)
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string,
                                            headers=dict(request.headers.items()))
            return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

        async def healthz(_request: web.Request) -> web.Response:
            return await health_response(self.health)

        server = web.Application()
        server.add_routes([web.post(EVENTS_PATH, events), web.get("/healthz", healthz)])
        return server

    def publishers(self) -> dict:
        """The digest publishers this app can offer a scheduler."""
        from adapters.slack.publish import SlackPublisher

        return {"slack": SlackPublisher(self.settings.bot_token, self.settings.api_url)}

    async def run(self, digests: DigestSettings | None = None, sync: SyncSettings | None = None,
                  health_port: int | None = None) -> None:
        """Serve until cancelled, in the configured mode, with the digest scheduler and the scheduled
        sync when their settings ask for them, and GET /healthz on ``health_port`` when given (in HTTP
        mode it is also on the events port)."""
        self.background = start_background(self.kb, self.publishers(), digests, sync)
        try:
            async with contextlib.AsyncExitStack() as stack:
                if health_port and not (self.settings.mode == "http" and health_port == self.settings.port):
                    await serve_health(health_port, self.health, stack)
                await self._serve()
        finally:
            jobs, self.background = self.background, []
            await stop_background(jobs)

    async def _serve(self) -> None:
        if self.settings.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            handler = AsyncSocketModeHandler(self.app, self.settings.app_token)
            self._socket = handler.client
            try:
                await handler.start_async()
            finally:
                self._socket = None
                await handler.close_async()
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

    def settings() -> tuple[SlackSettings, DigestSettings, SyncSettings, AnswerSettings, ServiceSettings]:
        return load_settings(), load(DigestSettings), load(SyncSettings), load(AnswerSettings), load(ServiceSettings)

    async def main(kb: KnowledgeBase, loaded: tuple) -> None:
        slack_settings, digests, sync, answers, service = loaded
        await SlackBot(kb, slack_settings, answers).run(digests, sync, service.health_port)

    run_service(ctx, settings, main)
