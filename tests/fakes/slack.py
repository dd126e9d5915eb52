"""A fake Slack on loopback: the Web API, response_url endpoints and a Socket Mode websocket.

It speaks Slack's real wire formats (form or JSON bodies in, {"ok": ...} JSON out, 429 with
Retry-After, the Socket Mode hello/envelope/ack protocol), records every call, and lets a test
make the next calls to a method fail.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.loopback import Failure, LoopbackServer


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict
    headers: dict


class FakeSlack(LoopbackServer):
    """Start with ``await fake.start()``; point the app at ``fake.base_url``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.socket_messages: list[dict] = []
        self._failures: dict[str, list[Failure]] = {}
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._socket_ready = asyncio.Event()

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post("/api/{method}", self._api), web.post("/respond/{name}", self._respond),
                web.get("/socket", self._socket)]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    # -- test controls ------------------------------------------------------------------------

    def fail_next(self, method: str, status: int | None = None, error: str = "ratelimited", retry_after: int = 1,
                  times: int = 1) -> None:
        """Make the next ``times`` calls to ``method`` fail (a 429 carries Retry-After).

        Without ``status`` the failure looks like real Slack's: HTTP 429 for ``ratelimited``, and
        HTTP 200 with ``{"ok": false, "error": ...}`` for any other Web API error. ``method`` may also
        be ``respond:<name>``: that response_url then answers ``status`` (default 404) with the error
        as plain text, as Slack does for an expired or used URL.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 404 if method.startswith("respond:") else 200
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        self._failures.setdefault(method, []).extend(
            Failure(status, {"ok": False, "error": error}, headers) for _ in range(times))

    def calls_to(self, method: str) -> list[dict]:
        """The parameters of every call to ``method``, in order."""
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Wait until ``method`` was called ``count`` times; return those calls."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.calls_to(method)) >= count), timeout)
        return self.calls_to(method)

    async def send_envelope(self, envelope: dict, timeout: float = 10.0) -> None:
        """Push a Socket Mode envelope to the connected app."""
        await asyncio.wait_for(self._socket_ready.wait(), timeout)
        await self._sockets[-1].send_str(json.dumps(envelope))

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict:
        """Wait for the app's acknowledgement of an envelope."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: any(m.get("envelope_id") == envelope_id for m in self.socket_messages)), timeout)
        return next(m for m in self.socket_messages if m.get("envelope_id") == envelope_id)

    # -- handlers -----------------------------------------------------------------------------

    async def _record(self, method: str, request: web.Request) -> dict:
        raw = await request.text()
        if request.content_type == "application/json":
            params = json.loads(raw or "{}")
        else:
            params = dict(parse_qsl(raw))
            for key in ("blocks", "attachments"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
        async with self._changed:
            self.calls.append(Call(method, params, dict(request.headers)))
            self._changed.notify_all()
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._record(method, request)
        pending = self._failures.get(method)
        if pending:
            failure = pending.pop(0)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        return web.json_response(self._reply(method, params))

    def _reply(self, method: str, params: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake Team", "user": "modelwire",
                    "team_id": "T0001", "user_id": "U0BOT", "bot_id": "B0001"}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            return {"ok": True, "channel": params.get("channel"), "ts": f"1700000000.{next(self._ts):06d}",
                    "message": {"text": params.get("text")}}
        return {"ok": True}

    async def _respond(self, request: web.Request) -> web.Response:
        method = f"respond:{request.match_info['name']}"
        await self._record(method, request)
        pending = self._failures.get(method)
        if pending:
            failure = pending.pop(0)
            return web.Response(status=failure.status, text=failure.body["error"], headers=failure.headers)
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "fake", "approximate_connection_time": 3600}}))
        self._socket_ready.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                async with self._changed:
                    self.socket_messages.append(json.loads(msg.data))
                    self._changed.notify_all()
        return ws
