"""Posting digests to Slack channels through the Web API (the scheduler's Slack publisher)."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from bot.digests.delivery import DeliveryError, Target, parse_retry_after
from bot.values import Answer

EVENT_TYPE = "modelwire_digest"
GONE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "team_access_not_granted",
        "access_denied"}
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
             "invalid_auth", "not_authed", "token_revoked", "account_inactive"}
"""Errors a later attempt may not meet again (a token can be fixed while retries back off)."""
CUT_SECTION = "_The answer is longer than one message; the rest is cut._"
"""The last section ``render.message`` writes when an answer needs more than 50 blocks."""


def as_delivery_error(exc: SlackApiError) -> DeliveryError:
    """A Slack Web API error as retry, gone or failed."""
    response = exc.response
    data = response.data if isinstance(response.data, dict) else {}
    error = data.get("error") or f"HTTP {response.status_code}"
    if error in GONE or response.status_code in (403, 404):
        return DeliveryError("gone", error)
    if response.status_code == 429 or response.status_code >= 500 or error in TRANSIENT:
        headers = response.headers if hasattr(response.headers, "get") else {}
        after = headers.get("Retry-After") or headers.get("retry-after")
        return DeliveryError("retry", error, parse_retry_after(after))
    return DeliveryError("failed", error)


class SlackPublisher:
    """Posts digests with a bot token; each message carries its delivery key as message metadata."""

    def __init__(self, token: str, api_url: str):
        self.client = AsyncWebClient(token=token, base_url=api_url, retry_handlers=[])
        self._session: aiohttp.ClientSession | None = None

    def _connected(self) -> AsyncWebClient:
        """The client on one pooled HTTP session (the SDK otherwise opens a session per call), made on
        first use inside the event loop that posts."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            self.client.session = self._session
        return self.client

    @staticmethod
    def fits(answer: Answer) -> bool:
        """Whether ``answer`` goes out in one message (Slack's 50 blocks) with nothing cut."""
        return not any(block.get("type") == "section" and (block["text"]["text"] == CUT_SECTION
                                                           or "the rest is cut" in block["text"]["text"])
                       for block in render.message(answer)["blocks"][-4:])

    async def close(self) -> None:
        """Close the pooled HTTP session."""
        if self._session is not None:
            await self._session.close()

    async def publish(self, target: Target, answer: Answer, key: str) -> str:
        """Post the digest; its ``ts`` is the message id."""
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": key}}
        try:
            response = await self._connected().chat_postMessage(channel=target.channel, metadata=metadata,
                                                                unfurl_links=False, unfurl_media=False,
                                                                **render.message(answer))
        except SlackApiError as exc:
            raise as_delivery_error(exc) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DeliveryError("retry", f"{type(exc).__name__}: {exc}") from None
        return response["ts"]

    async def find_sent(self, target: Target, key: str, since: dt.datetime) -> str | None:
        """A message of ours with this key in the channel's history since ``since``, found by its metadata."""
        try:
            response = await self._connected().conversations_history(
                channel=target.channel, oldest=f"{since.timestamp() - 1:.6f}", include_all_metadata=True, limit=200)
        except SlackApiError as exc:
            raise as_delivery_error(exc) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DeliveryError("retry", f"{type(exc).__name__}: {exc}") from None
        messages: list[dict] = response.get("messages", [])
        for message in messages:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("key") == key:
                return message["ts"]
        return None
