"""Shared helpers for the Slack tests: a running app against the fake Slack, and signed requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from adapters.slack.app import EVENTS_PATH, SlackBot
from adapters.slack.settings import SlackSettings

SIGNING_SECRET = "test-signing-secret-0123456789"


def settings_for(fake, mode: str = "http") -> SlackSettings:
    return SlackSettings(bot_token="xoxb-test-token", app_token="xapp-test-token", signing_secret=SIGNING_SECRET,
                         mode=mode, api_url=fake.base_url)


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict:
    """Slack's v0 request signature headers for a body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class RunningApp:
    """The real Bolt app served over HTTP on loopback."""

    def __init__(self, bot: SlackBot):
        self.bot = bot
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> RunningApp:
        self.runner = web.AppRunner(self.bot.web_app())
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()
        await self.runner.cleanup()

    async def post(self, body: str, content_type: str, headers: dict | None = None, **sign_args):
        all_headers = {"Content-Type": content_type, **sign(body, **sign_args), **(headers or {})}
        async with self.http.post(self.url + EVENTS_PATH, data=body.encode(), headers=all_headers) as resp:
            return resp.status, await resp.text()

    async def event(self, event: dict, event_id: str = "Ev0001", headers: dict | None = None, **sign_args):
        body = json.dumps({"token": "x", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                           "event_id": event_id, "event_time": int(time.time()), "event": event})
        return await self.post(body, "application/json", headers, **sign_args)

    async def command(self, text: str, response_url: str, **sign_args):
        body = urlencode({"token": "x", "team_id": "T0001", "channel_id": "C0001", "user_id": "U0001",
                          "command": "/modelwire", "text": text, "response_url": response_url,
                          "trigger_id": "1.2.3", "api_app_id": "A0001"})
        return await self.post(body, "application/x-www-form-urlencoded", **sign_args)

    async def action(self, value: str, response_url: str, **sign_args):
        payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U0001"},
                   "api_app_id": "A0001", "token": "x", "trigger_id": "1.2.3", "response_url": response_url,
                   "container": {"type": "message", "channel_id": "C0001", "message_ts": "1700000000.000001"},
                   "channel": {"id": "C0001"}, "message": {"ts": "1700000000.000001", "text": "x"},
                   "actions": [{"type": "button", "action_id": "modelwire_ask_0", "block_id": "modelwire_suggestions",
                                "value": value, "action_ts": "1700000001.0"}]}
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded",
                               **sign_args)

    async def interactive(self, payload: dict, **sign_args):
        """Deliver an interaction payload (block_actions, view_submission, block_suggestion, shortcuts) the
        way Slack does over HTTP: a signed form body with the JSON in ``payload``; (status, response text)."""
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded",
                               **sign_args)


def broken_once(app) -> list:
    """Make the app's first answer fail ("database went away"); the questions it was asked."""
    ask, calls = app.bot.ask, []

    async def failing_once(question):
        calls.append(question)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return await ask(question)

    app.bot.ask = failing_once
    return calls
