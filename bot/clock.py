"""The bot's clock: now in UTC, and aware datetimes to and from the naive UTC values the database stores."""

from __future__ import annotations

import datetime as dt

from knowledge.clock import naive_utcnow, utcnow

__all__ = ["aware", "naive", "naive_utcnow", "utcnow"]


def naive(moment: dt.datetime) -> dt.datetime:
    """An aware datetime as the naive UTC value the database stores."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored naive UTC value as an aware datetime."""
    return moment.replace(tzinfo=dt.timezone.utc)
