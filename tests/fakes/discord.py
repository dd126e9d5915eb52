"""A fake Discord on loopback: the REST API (v10) and a gateway websocket.

It speaks Discord's real wire formats closely enough for the real discord.py client: REST calls
with JSON in and out (429 with Retry-After, X-RateLimit-* headers and {"retry_after": ...}), and the
gateway's HELLO / IDENTIFY / READY / heartbeat / dispatch protocol as plain JSON text frames. It
records every REST request and every gateway frame the client sends, and lets a test make the next
requests to a route fail.

A message with files arrives as multipart/form-data: a ``payload_json`` part (the JSON body, whose
``attachments`` list each file's id, filename and description) and one ``files[n]`` part per file.
The fake records the payload as the call's ``json`` and the parts as its ``files``, and the message
it returns lists the attachments the way Discord does (id, filename, size, url, proxy_url).

Interactions carry their ``context`` (0 a server, 1 the bot's DM, 2 another DM or group DM) and
``authorizing_integration_owners`` (who installed the app: "0" a server, "1" a person). Command sync
(``PUT .../commands``) is recorded whole, so a test reads each command's options, ``contexts`` and
``integration_types`` (``synced``); an interaction callback's answer says whether the response is
ephemeral (flags 64), and deleting the original response (``DELETE .../messages/@original``) works.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiohttp import WSMsgType, web

from tests.fakes.loopback import Failure, LoopbackServer

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
USER_ID = 900000000000000010
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
DM_CHANNEL_ID = 900000000000000300
GROUP_DM_ID = 900000000000000400
"""A group DM the bot is not in: only a person who installed the app can use its commands there."""
EPHEMERAL = 64
TOKEN = "fake-bot-token.0123456789abcdef"
API_PREFIX = "/api/v10"


@dataclass
class Upload:
    """One file part of a multipart request."""

    field: str  # files[0], files[1]...
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One REST request the fake received."""

    method: str
    path: str  # without /api/v10, e.g. /interactions/1/tok/callback
    query: dict
    json: dict | list | None  # the JSON body, or a multipart request's payload_json
    headers: dict
    files: list[Upload] = field(default_factory=list)

    @property
    def multipart(self) -> bool:
        """Whether the request came as multipart/form-data (a message with files)."""
        return self.headers.get("Content-Type", "").startswith("multipart/form-data")


def embed_size(data: dict) -> int:
    """The characters Discord counts towards the 6,000 of a message's embeds."""
    return (len(data.get("title", "")) + len(data.get("description", ""))
            + len((data.get("footer") or {}).get("text", ""))
            + sum(len(f["name"]) + len(f["value"]) for f in data.get("fields", []))
            + len((data.get("author") or {}).get("name", "")))


def _json(data, status: int = 200, headers: dict | None = None) -> web.Response:
    """JSON exactly as Discord sends it: discord.py parses only ``Content-Type: application/json``."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={**(headers or {}), "Content-Type": "application/json"})


def _user(user_id: int, name: str, bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name, "avatar": None,
            "bot": bot, "flags": 0, "public_flags": 0}


BOT_USER = _user(BOT_ID, "modelwire", bot=True)
PERSON = _user(USER_ID, "alice")


def _options(options: dict) -> list[dict]:
    """Command options as Discord sends them: type 5 boolean, 4 integer, 3 string; None is left out."""
    return [{"name": k, "type": 5 if isinstance(v, bool) else 4 if isinstance(v, int) else 3, "value": v}
            for k, v in options.items() if v is not None]


async def _multipart(request: web.Request) -> tuple[dict | None, list[Upload]]:
    """A multipart body as Discord reads it: payload_json (the message) and files[n] parts."""
    payload, files = None, []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        else:
            files.append(Upload(part.name, part.filename, part.headers.get("Content-Type"), bytes(await part.read())))
    return payload, files


class FakeDiscord(LoopbackServer):
    """Start with ``await fake.start()``; point discord.py at ``fake.api_url`` and ``fake.gateway_url``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.gateway_frames: list[dict] = []
        self.gateway_queries: list[dict] = []
        """The query string of each gateway connection (discord.py adds v, encoding, compress)."""
        self._failures: dict[str, list[Failure]] = {}
        self._ids = itertools.count(910000000000000000)
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._identified = asyncio.Event()
        self.gone: dict[int, int] = {}
        """Channels the bot cannot post to: channel id -> 404 (Unknown Channel) or 403 (Missing Access)."""
        self._nonces: dict[tuple[int, str], tuple[float, dict]] = {}
        self.created: dict[int, list[dict]] = {}
        """Messages created per channel (a message returned again for a repeated nonce counts once)."""
        self.nonce_window: float | None = None
        """Seconds a nonce is remembered (Discord: "the past few minutes"); None: for ever."""
        self.clock = time.time
        """Seconds now, for ``nonce_window``; a test with a controlled clock may replace it."""
        self.heartbeat_interval = 41250
        """Milliseconds, sent in HELLO; a test may shorten it to see heartbeats."""

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.get("/gateway", self._gateway), web.route("*", API_PREFIX + "/{tail:.*}", self._rest)]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- test controls ------------------------------------------------------------------------

    def fail_next(self, method: str, path_prefix: str, status: int = 429, retry_after: float = 0.2,
                  times: int = 1, message: str = "You are being rate limited.") -> None:
        """Make the next ``times`` requests ``METHOD /path...`` fail like Discord does.

        A 429 carries Retry-After, X-RateLimit-* and Via headers and the JSON body
        {"message", "retry_after", "global": false}; other statuses get {"message", "code": 0}.
        """
        if status == 429:
            body = {"message": message, "retry_after": retry_after, "global": False}
            headers = {"Retry-After": str(retry_after), "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset-After": str(retry_after), "X-RateLimit-Bucket": "fakebucket",
                       "X-RateLimit-Scope": "user", "Via": "1.1 google"}
        else:
            body, headers = {"message": message, "code": 0}, {}
        self._failures.setdefault(f"{method} {path_prefix}", []).extend(
            Failure(status, body, headers) for _ in range(times))

    def calls_to(self, method: str, path_prefix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.startswith(path_prefix)]

    async def wait_for(self, method: str, path_prefix: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``count`` requests ``METHOD /path...`` arrived; return them."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: len(self.calls_to(method, path_prefix)) >= count), timeout)
        return self.calls_to(method, path_prefix)

    async def wait_for_frames(self, op: int, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """Wait until the client sent ``count`` gateway frames with opcode ``op``; return them."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: sum(f.get("op") == op for f in self.gateway_frames) >= count), timeout)
        return [f for f in self.gateway_frames if f.get("op") == op]

    async def wait_identified(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._identified.wait(), timeout)

    async def dispatch(self, event: str, data: dict) -> None:
        """Send a gateway dispatch (op 0) to the connected client."""
        await self.wait_identified()
        await self._sockets[-1].send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    def snowflake(self) -> str:
        return str(next(self._ids))

    # -- event builders -----------------------------------------------------------------------

    def interaction(self, kind: int, data: dict, guild: bool = True, message: dict | None = None,
                    permissions: str = "2147483647", group_dm: bool = False) -> dict:
        """An INTERACTION_CREATE payload (kind 2 command, 3 component, 4 autocomplete).

        In a guild, the member has ``permissions`` in the channel (a bit set as a string, like
        Discord sends; the default is every permission, "0" is none). Outside one, the interaction
        comes from the bot's DM, or with ``group_dm`` from a group DM through the person's own install.
        """
        payload = {"id": self.snowflake(), "application_id": str(APP_ID), "type": kind, "data": data,
                   "token": f"itoken-{self.snowflake()}", "version": 1, "locale": "en-US",
                   "attachment_size_limit": 8388608, "app_permissions": "0", "entitlements": [],
                   "context": 0 if guild else 2 if group_dm else 1,
                   "authorizing_integration_owners": {"1": str(USER_ID)} if group_dm else
                   {"0": str(GUILD_ID)} if guild else {"0": "0"}}
        if group_dm:
            payload.update(channel_id=str(GROUP_DM_ID), channel={"id": str(GROUP_DM_ID), "type": 3,
                                                                 "recipients": [PERSON]}, user=PERSON)
        elif guild:
            payload.update(guild_id=str(GUILD_ID), channel_id=str(CHANNEL_ID),
                           channel={"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "general",
                                    "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None},
                           member={"user": PERSON, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
                                   "deaf": False, "mute": False, "flags": 0, "permissions": permissions},
                           guild_locale="en-US")
        else:
            payload.update(channel_id=str(DM_CHANNEL_ID), channel={"id": str(DM_CHANNEL_ID), "type": 1,
                                                                   "recipients": [PERSON]}, user=PERSON)
        if message is not None:
            payload["message"] = message
        return payload

    def command(self, name: str, /, guild: bool = True, permissions: str = "2147483647", group_dm: bool = False,
                **options) -> dict:
        """An application command interaction with string, integer and boolean options."""
        data = {"id": self.snowflake(), "name": name, "type": 1, "options": _options(options)}
        if guild and not group_dm:
            data["guild_id"] = str(GUILD_ID)
        return self.interaction(2, data, guild and not group_dm, permissions=permissions, group_dm=group_dm)

    def message_command(self, name: str, target: dict, /, guild: bool = True, group_dm: bool = False) -> dict:
        """A message context menu command (type 3) used on ``target`` (a message object), which Discord
        sends resolved, with its content."""
        data = {"id": self.snowflake(), "name": name, "type": 3, "target_id": target["id"],
                "resolved": {"messages": {target["id"]: target}}}
        if guild and not group_dm:
            data["guild_id"] = str(GUILD_ID)
        return self.interaction(2, data, guild and not group_dm, group_dm=group_dm)

    def subcommand(self, group: str, name: str, /, guild: bool = True, permissions: str = "2147483647",
                   **options) -> dict:
        """A sub-command of a command group (``/group name``): Discord sends the group as the command
        and the sub-command as its one option of type 1, carrying the options."""
        data = {"id": self.snowflake(), "name": group, "type": 1,
                "options": [{"type": 1, "name": name, "options": _options(options)}]}
        if guild:
            data["guild_id"] = str(GUILD_ID)
        return self.interaction(2, data, guild, permissions=permissions)

    def autocomplete(self, name: str, focused: str, /, **options) -> dict:
        opts = [{"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
                for k, v in options.items()]
        return self.interaction(4, {"id": self.snowflake(), "name": name, "type": 1, "options": opts,
                                    "guild_id": str(GUILD_ID)})

    def button(self, custom_id: str, ephemeral: bool = False) -> dict:
        """A click on a button of the bot's message (``ephemeral``: one only the person sees): like Discord,
        the interaction carries that message, with its buttons."""
        row = {"type": 1, "components": [{"type": 2, "style": 2, "label": "Ask", "custom_id": custom_id}]}
        message = self.message(CHANNEL_ID, {"content": "", "embeds": [], "components": [row],
                                            "flags": EPHEMERAL if ephemeral else 0}, author=BOT_USER)
        return self.interaction(3, {"custom_id": custom_id, "component_type": 2}, message=message)

    def select(self, component: dict, values: list[str], ephemeral: bool = True) -> dict:
        """A pick in a string select (``component``, as the bot sent it) of the bot's message: the
        interaction carries that message and the values picked."""
        row = {"type": 1, "components": [component]}
        message = self.message(CHANNEL_ID, {"content": "", "embeds": [], "components": [row],
                                            "flags": EPHEMERAL if ephemeral else 0}, author=BOT_USER)
        return self.interaction(3, {"custom_id": component["custom_id"], "component_type": 3, "values": values},
                                message=message)

    def synced(self) -> dict[str, dict]:
        """The commands of the last sync (global or guild) by name, as the client sent them."""
        (last, *_) = [c for c in reversed(self.calls) if c.method == "PUT" and c.path.endswith("/commands")]
        return {c["name"]: c for c in last.json or []}

    def message(self, channel_id: int, body: dict, author: dict = PERSON, guild: bool = False,
                mentions: list[dict] | None = None, **extra) -> dict:
        """A message object as Discord returns and dispatches it."""
        data = {"id": self.snowflake(), "channel_id": str(channel_id), "author": author,
                "content": body.get("content") or "", "timestamp": datetime.now(timezone.utc).isoformat(),
                "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": mentions or [],
                "mention_roles": [], "attachments": body.get("attachments") or [], "embeds": body.get("embeds") or [],
                "pinned": False,
                "type": 0, "flags": body.get("flags", 0), "components": body.get("components") or []}
        if guild:
            data["guild_id"] = str(GUILD_ID)
        data.update(extra)
        return data

    # -- REST ---------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        if request.content_type == "multipart/form-data":
            body, files = await _multipart(request)
        else:
            raw = await request.text()
            body, files = (json.loads(raw) if raw and request.content_type == "application/json" else None), []
        async with self._changed:
            self.calls.append(Call(request.method, path, dict(request.query), body, dict(request.headers), files))
            self._changed.notify_all()
        for key, pending in self._failures.items():
            method, prefix = key.split(" ", 1)
            if pending and request.method == method and path.startswith(prefix):
                failure = pending.pop(0)
                return _json(failure.body, failure.status, failure.headers)
        reply = self._reply(request.method, path, self._with_attachments(body, files))
        if isinstance(reply, web.Response):
            return reply
        if reply is None:
            return _json({"message": "404: Not Found", "code": 10000}, 404)
        if reply == 204:
            return web.Response(status=204)
        return _json(reply)

    def _with_attachments(self, body, files: list[Upload]):
        """The message body with ``attachments`` completed as Discord returns them (id, size, urls)."""
        if not files or not isinstance(body, dict):
            return body
        sent = {f.field: f for f in files}
        listed = body.get("attachments") or [{"id": i} for i in range(len(files))]
        attachments = []
        for item in listed:
            upload = sent.get(f"files[{item.get('id')}]")
            if upload is None:
                continue
            name = item.get("filename") or upload.filename or "file"
            attachment_id = self.snowflake()
            url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{name}"
            attachments.append({**item, "id": attachment_id, "filename": name, "size": len(upload.data), "url": url,
                                "proxy_url": url, "content_type": mimetypes.guess_type(name)[0]})
        return {**body, "attachments": attachments}

    def _reply(self, method: str, path: str, body):
        parts = path.strip("/").split("/")
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return {"url": self.gateway_url, "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}
        if method == "GET" and path == "/users/@me":
            return BOT_USER
        if method == "GET" and path in ("/oauth2/applications/@me", "/applications/@me"):
            return {"id": str(APP_ID), "name": "modelwire", "description": "", "icon": None, "bot_public": True,
                    "bot_require_code_grant": False, "owner": PERSON, "verify_key": "00" * 32, "flags": 0,
                    "summary": "", "rpc_origins": [], "bot": BOT_USER}
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            guild = parts[3] if len(parts) == 5 else None
            # Discord returns every command with a description ("" for a context menu).
            return [{"description": "", **c, "id": self.snowflake(), "application_id": str(APP_ID),
                     "version": self.snowflake(), **({"guild_id": guild} if guild else {})} for c in body or []]
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            kind = (body or {}).get("type")
            flags = ((body or {}).get("data") or {}).get("flags") or 0
            return {"interaction": {"id": parts[1], "type": 2, "response_message_loading": kind == 5,
                                    "response_message_ephemeral": bool(flags & EPHEMERAL)},
                    "resource": {"type": kind}}
        if parts[0] == "webhooks" and method == "DELETE" and parts[-2:] == ["messages", "@original"]:
            return 204
        if parts[0] == "webhooks" and method in ("POST", "PATCH"):
            return self.message(CHANNEL_ID, body or {}, author=BOT_USER, webhook_id=str(APP_ID))
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            return self._create_message(int(parts[1]), body or {})
        if method == "POST" and parts[0] == "channels" and parts[-1] == "typing":
            return 204
        return None

    def _create_message(self, channel: int, body: dict):
        """A new message; with ``enforce_nonce``, a nonce already used in the channel returns that message."""
        if channel in self.gone:
            status = self.gone[channel]
            code, text = (10003, "Unknown Channel") if status == 404 else (50001, "Missing Access")
            return _json({"message": text, "code": code}, status)
        nonce = body.get("nonce")
        now = self.clock()
        seen = self._nonces.get((channel, str(nonce))) if nonce is not None else None
        if seen and body.get("enforce_nonce") and (self.nonce_window is None or now - seen[0] <= self.nonce_window):
            return seen[1]
        message = self.message(channel, body, author=BOT_USER, **({"nonce": nonce} if nonce is not None else {}))
        if nonce is not None:
            self._nonces[(channel, str(nonce))] = (now, message)
        self.created.setdefault(channel, []).append(message)
        return message

    # -- gateway ------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        self.gateway_queries.append(dict(request.query))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            async with self._changed:
                self.gateway_frames.append(frame)
                self._changed.notify_all()
            if frame.get("op") == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif frame.get("op") == 2:
                ready = {"v": 10, "user": BOT_USER, "session_id": "fake-session", "guilds": [],
                         "resume_gateway_url": self.gateway_url, "shard": frame["d"].get("shard") or [0, 1],
                         "application": {"id": str(APP_ID), "flags": 0}}
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
                self._identified.set()
        return ws
