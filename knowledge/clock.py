"""Now, in UTC: aware for arithmetic and comparisons, naive for the database's timestamp columns."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, as an aware UTC datetime."""
    return dt.datetime.now(dt.timezone.utc)


def naive_utcnow() -> dt.datetime:
    """Now, as the naive UTC value the database stores."""
    return utcnow().replace(tzinfo=None)
