"""A fake Slack on loopback: the Web API, response_url endpoints and a Socket Mode websocket.

It speaks Slack's real wire formats (form or JSON bodies in, {"ok": ...} JSON out, 429 with
Retry-After, the Socket Mode hello/envelope/ack protocol), records every call, and lets a test
make the next calls to a method fail.

File uploads follow Slack's external upload flow, as slack_sdk's ``files_upload_v2`` drives it:
files.getUploadURLExternal (``filename`` and ``length`` as query parameters) returns an upload_url
on this server and a file id; the app POSTs the raw bytes there (recorded as method "upload"; the
answer is the plain text "OK - <length>"); files.completeUploadExternal (``files`` a JSON list of
{"id", "title"}, ``channel_id``, ``thread_ts``, ``initial_comment``) shares them. ``files`` holds
every file by id: its bytes, name, title, alt text and where it was shared.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
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
        self.clock = time.time
        """Seconds since the epoch; message ts come from it (a test with a controlled clock replaces it)."""
        self.gone: dict[str, str] = {}
        """Channels that are gone: channel id -> the error chat.postMessage answers (channel_not_found...)."""
        self.users: dict[str, dict] = {}
        """users.info answers: user id -> user object (is_admin, is_owner, tz...)."""
        self.messages: dict[str, list[dict]] = {}
        """Posted messages per channel, newest last, as conversations.history returns them."""
        self.channel_interval: float | None = None
        """When set, a second message to one channel within this many seconds is refused with a 429."""
        self.rate_limited = 0
        self.post_delay = 0.0
        """Seconds chat.postMessage takes to answer (a slow Slack)."""
        self._last_post: dict[str, float] = {}
        self.files: dict[str, dict] = {}
        """Uploaded files by id: name, title, alt_txt, length, data (the bytes), channel, thread_ts..."""
        self._file_ids = itertools.count(1)
        self.views: dict[str, dict] = {}
        """Views by id as Slack holds them: modals opened (views.open, views.update) and Home tabs."""
        self.home: dict[str, dict] = {}
        """The Home tab each user sees: user id -> the view last published (views.publish)."""
        self._view_ids = itertools.count(1)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [web.post("/api/{method}", self._api), web.get("/api/{method}", self._api),
                web.post("/respond/{name}", self._respond), web.post("/upload/{file_id}", self._upload),
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
        as plain text, as Slack does for an expired or used URL; or ``upload``: the next POSTs of file
        bytes to an upload_url answer ``status`` (default 500) with the error as plain text.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 404 if method.startswith("respond:") else \
                500 if method == "upload" else 200
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
        if request.method == "GET":  # the SDK sends some reads (conversations.history) as GET with a query
            params = dict(request.query)
        elif request.content_type == "application/json":
            params = json.loads(raw or "{}")
        else:  # a form body; the SDK sends some methods (the files.* upload steps) as a POST with a query
            params = {**request.query, **dict(parse_qsl(raw))}
            for key in ("blocks", "attachments", "files", "view"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
        async with self._changed:
            self.calls.append(Call(method, params, dict(request.headers)))
            self._changed.notify_all()
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._record(method, request)
        if method == "chat.postMessage" and self.post_delay:
            await asyncio.sleep(self.post_delay)
        pending = self._failures.get(method)
        if pending:
            failure = pending.pop(0)
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        return self._rate_limit(method, params) or web.json_response(self._reply(method, params))

    def _reply(self, method: str, params: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake Team", "user": "modelwire",
                    "team_id": "T0001", "user_id": "U0BOT", "bot_id": "B0001"}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method == "chat.postMessage":
            return self._post(params)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._new_ts()}
        if method == "conversations.history":
            return self._history(params)
        if method == "files.getUploadURLExternal":
            return self._upload_url(params)
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        if method in ("views.open", "views.publish", "views.update"):
            return self._view(method, params)
        if method == "users.info":
            user = self.users.get(params.get("user"))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        return {"ok": True}

    def _new_ts(self) -> str:
        return f"{int(self.clock())}.{next(self._ts):06d}"

    def _post(self, params: dict) -> dict:
        channel = params.get("channel")
        if channel in self.gone:
            return {"ok": False, "error": self.gone[channel]}
        message = {"type": "message", "ts": self._new_ts(), "text": params.get("text"), "user": "U0BOT",
                   "bot_id": "B0001", "blocks": params.get("blocks")}
        if params.get("metadata"):
            meta = params["metadata"]
            message["metadata"] = json.loads(meta) if isinstance(meta, str) else meta
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _view(self, method: str, params: dict) -> dict:
        """views.open (a modal, needs a trigger_id), views.publish (a Home tab, needs a user_id), views.update
        (a view by id): the view as Slack stores it, with an id and an empty state."""
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or not isinstance(view.get("blocks"), list):
            return {"ok": False, "error": "invalid_arguments"}
        if method == "views.open" and (not params.get("trigger_id") or view.get("type") != "modal"):
            return {"ok": False, "error": "invalid_trigger_id" if view.get("type") == "modal" else "invalid_arguments"}
        if method == "views.publish" and (not params.get("user_id") or view.get("type") != "home"):
            return {"ok": False, "error": "invalid_arguments"}
        if method == "views.update" and params.get("view_id") not in self.views:
            return {"ok": False, "error": "not_found"}
        view_id = params.get("view_id") or f"V{next(self._view_ids):09d}"
        stored = {**view, "id": view_id, "state": {"values": {}}, "hash": f"h{view_id}"}
        self.views[view_id] = stored
        if method == "views.publish":
            self.home[params["user_id"]] = stored
        return {"ok": True, "view": stored}

    def opened(self) -> list[dict]:
        """Every modal opened with views.open, as stored, in order."""
        return [v for v in self.views.values() if v.get("type") == "modal"]

    # -- interaction payloads, shaped as Slack sends them ---------------------------------------

    @staticmethod
    def _element(view: dict, block_id: str) -> dict:
        for block in view["blocks"]:
            if block.get("block_id") == block_id and block.get("type") == "input":
                return block["element"]
        raise KeyError(f"the view has no input block {block_id!r}")

    @staticmethod
    def _option(element: dict, value: str) -> dict:
        for option in element.get("options") or []:
            if option["value"] == value:
                return option
        return {"text": {"type": "plain_text", "text": value}, "value": value}  # an external select's

    def submission(self, view: dict, values: dict, user: str = "U0001", team: str = "T0001") -> dict:
        """A view_submission payload for ``view`` filled in with ``values`` (block id -> a value: a string
        for selects, time pickers, text inputs and conversation selects, a list for multi-selects and
        checkboxes), its state shaped per element type the way Slack reports it."""
        state: dict = {}
        for block_id, value in values.items():
            element = self._element(view, block_id)
            kind = element["type"]
            if kind in ("checkboxes", "multi_static_select", "multi_external_select"):
                reported = {"selected_options": [self._option(element, v) for v in value]}
            elif kind in ("static_select", "external_select", "radio_buttons"):
                reported = {"selected_option": self._option(element, value) if value else None}
            elif kind == "timepicker":
                reported = {"selected_time": value}
            elif kind == "conversations_select":
                reported = {"selected_conversation": value}
            else:
                reported = {"value": value}
            state[block_id] = {element["action_id"]: {"type": kind, **reported}}
        submitted = {**view, "state": {"values": state}}
        return {"type": "view_submission", "team": {"id": team, "domain": "fake"},
                "user": {"id": user, "name": "someone", "team_id": team}, "api_app_id": "A0001", "token": "x",
                "trigger_id": "2.3.4", "view": submitted, "response_urls": []}

    def suggestion(self, view: dict, block_id: str, query: str, user: str = "U0001", team: str = "T0001") -> dict:
        """A block_suggestion payload: the person typed ``query`` into the external select of ``block_id``."""
        element = self._element(view, block_id)
        return {"type": "block_suggestion", "user": {"id": user, "team_id": team}, "team": {"id": team},
                "api_app_id": "A0001", "token": "x", "container": {"type": "view", "view_id": view["id"]},
                "action_id": element["action_id"], "block_id": block_id, "value": query, "view": view}

    def press(self, action_id: str, value: str = "", *, view: dict | None = None, channel: str = "C0001",
              message: dict | None = None, ephemeral: bool = False, response_url: str | None = None,
              user: str = "U0001", team: str = "T0001", label: str = "") -> dict:
        """A block_actions payload: a button pressed in ``view`` (a Home tab or modal), else in a message.

        A message's payload carries the message (blocks and all) unless it is ephemeral, as on Slack.
        """
        button = {"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                  "text": {"type": "plain_text", "text": label or value}, "action_ts": "1700000001.0"}
        payload: dict = {"type": "block_actions", "team": {"id": team}, "user": {"id": user, "team_id": team},
                         "api_app_id": "A0001", "token": "x", "trigger_id": "3.4.5", "actions": [button]}
        if view is not None:
            payload.update(container={"type": "view", "view_id": view["id"]}, view=view)
            return payload
        ts = (message or {}).get("ts", "1700000000.000001")
        payload.update(container={"type": "message", "channel_id": channel, "message_ts": ts,
                                  "is_ephemeral": ephemeral},
                       channel={"id": channel}, response_url=response_url or self.response_url("button"))
        if not ephemeral:
            payload["message"] = message or {"ts": ts, "text": "x"}
        return payload

    def message_shortcut(self, callback_id: str, message: dict, channel: str = "C0001", user: str = "U0001",
                         team: str = "T0001", response_url: str | None = None) -> dict:
        """A message_action payload: the shortcut ``callback_id`` picked on ``message``."""
        return {"type": "message_action", "callback_id": callback_id, "trigger_id": "4.5.6", "token": "x",
                "team": {"id": team}, "user": {"id": user, "team_id": team}, "channel": {"id": channel},
                "message_ts": message.get("ts"), "message": message,
                "response_url": response_url or self.response_url("shortcut")}

    def _upload_url(self, params: dict) -> dict:
        """Step 1 of an upload: a file id and where to POST its bytes (``filename`` and ``length`` required)."""
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):09d}"
        self.files[file_id] = {"id": file_id, "name": params["filename"], "length": int(params["length"]),
                               "alt_txt": params.get("alt_txt"), "data": None}
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict) -> dict:
        """Step 3: share uploaded files in ``channel_id`` (and ``thread_ts``); unknown or empty files fail."""
        listed = params.get("files")
        if not isinstance(listed, list) or not listed:
            return {"ok": False, "error": "invalid_arguments"}
        channel = params.get("channel_id")
        if channel in self.gone:
            return {"ok": False, "error": self.gone[channel]}
        if any(self.files.get(f.get("id"), {}).get("data") is None for f in listed):
            return {"ok": False, "error": "file_not_found"}
        shared = []
        for item in listed:
            file = self.files[item["id"]]
            file.update(title=item.get("title") or file["name"], channel=channel, thread_ts=params.get("thread_ts"),
                        initial_comment=params.get("initial_comment"))
            shared.append({"id": file["id"], "name": file["name"], "title": file["title"], "mimetype": "image/png",
                           "size": len(file["data"]), "channels": [channel] if channel else []})
        return {"ok": True, "files": shared}

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2: the raw bytes of a file, POSTed to its upload_url; answers "OK - <length>" like Slack."""
        file_id, data = request.match_info["file_id"], await request.read()
        async with self._changed:
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}, dict(request.headers)))
            self._changed.notify_all()
        pending = self._failures.get("upload")
        if pending:
            failure = pending.pop(0)
            return web.Response(status=failure.status, text=failure.body["error"], headers=failure.headers)
        file = self.files.get(file_id)
        if file is None:
            return web.Response(status=404, text="file_not_found")
        file["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def uploaded(self) -> list[dict]:
        """The files shared by files.completeUploadExternal, in upload order."""
        return [f for f in self.files.values() if "channel" in f]

    def _history(self, params: dict) -> dict:
        channel = params.get("channel")
        if channel in self.gone:
            return {"ok": False, "error": self.gone[channel]}
        oldest = float(params.get("oldest") or 0)
        metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m if metadata else {k: v for k, v in m.items() if k != "metadata"}
                 for m in reversed(self.messages.get(channel, [])) if float(m["ts"]) > oldest]
        return {"ok": True, "messages": found[: int(params.get("limit") or 100)], "has_more": False}

    def _rate_limit(self, method: str, params: dict) -> web.Response | None:
        """Slack's one message per second per channel, when ``channel_interval`` is set."""
        if method != "chat.postMessage" or self.channel_interval is None:
            return None
        channel, now = params.get("channel"), time.monotonic()
        last = self._last_post.get(channel)
        if last is not None and now - last < self.channel_interval:
            self.rate_limited += 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": "1"})
        self._last_post[channel] = now
        return None

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
