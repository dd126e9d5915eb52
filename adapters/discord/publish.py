"""Posting digests to Discord channels through the REST API (the scheduler's Discord publisher)."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import discord

from adapters.discord import render
from bot.digests.delivery import DeliveryError, Target, parse_retry_after
from bot.values import Answer

NONE = discord.AllowedMentions.none()


def as_delivery_error(exc: discord.HTTPException) -> DeliveryError:
    """A Discord REST error as retry, gone or failed."""
    detail = f"{exc.status} {exc.text or type(exc).__name__}".strip()
    if isinstance(exc, (discord.NotFound, discord.Forbidden)):
        return DeliveryError("gone", detail)
    if exc.status == 429 or exc.status >= 500:
        try:
            after = exc.response.headers.get("Retry-After") if exc.response is not None else None
        except Exception:  # a response without usable headers: back off as usual
            after = None
        return DeliveryError("retry", detail, parse_retry_after(after))
    return DeliveryError("failed", detail)


class DiscordPublisher:
    """Posts digests with a logged-in discord.py client (a gateway connection is not needed).

    Each message carries its delivery key as the nonce with ``enforce_nonce`` (discord.py sets it),
    so Discord itself returns the first message instead of posting a second one when a send is
    repeated within its deduplication window (a few minutes).
    """

    def __init__(self, client: discord.Client):
        self.client = client

    @staticmethod
    def fits(answer: Answer) -> bool:
        """Whether ``answer`` goes out as one embed with no release left out ("N more not shown") and no
        field cut short."""
        shown = render.embed(answer).get("fields", [])
        if len(shown) != len(answer.fields):
            return False
        if shown and shown[-1]["name"] == "…" and shown[-1]["value"].endswith("not shown") \
                and answer.fields[-1][0] != "…":
            return False  # the last field was replaced by the "1 more not shown" note
        return not any(len(f["value"]) >= render.MAX_FIELD_VALUE and f["value"].endswith("…") for f in shown)

    async def publish(self, target: Target, answer: Answer, key: str) -> str:
        """Post the digest as an embed; the message id."""
        channel = self.client.get_partial_messageable(int(target.channel))
        try:
            message = await channel.send(embed=discord.Embed.from_dict(render.embed(answer)), nonce=key,
                                         allowed_mentions=NONE)
        except discord.HTTPException as exc:
            raise as_delivery_error(exc) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DeliveryError("retry", f"{type(exc).__name__}: {exc}") from None
        return str(message.id)

    async def find_sent(self, target: Target, key: str, since: dt.datetime) -> str | None:
        """Discord's history does not return nonces; the nonce on the repeated send does the finding."""
        return None
