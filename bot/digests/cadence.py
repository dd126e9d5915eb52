"""When digests are due: ``instant``, ``daily HH:MM`` or ``weekly DAY HH:MM`` in a channel's time zone.

Pure functions over aware datetimes (``next_schedule`` answers in the database's naive UTC). A
period is one local day (daily) or one local week (weekly), named by its local date, so a digest can
be due at most once per period, even on the night the clocks go back and a local time happens twice.
A local time the clocks skip (02:30 on the night they go forward) is due at the same UTC offset as
before the change, i.e. an hour later locally.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import naive

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Cadence:
    """How often a subscription gets a digest; ``weekday`` is 0 for Monday."""

    kind: str
    at: dt.time | None = None
    weekday: int | None = None

    def describe(self) -> str:
        """The cadence the way a person types it: ``daily 09:00``, ``weekly Monday 09:00``."""
        if self.kind == "instant":
            return "instant"
        if self.at is None:
            raise ValueError(f"a {self.kind} cadence has no time of day")
        at = self.at.strftime("%H:%M")
        if self.kind == "daily":
            return f"daily {at}"
        if self.weekday is None:
            raise ValueError("a weekly cadence has no weekday")
        return f"weekly {DAYS[self.weekday].capitalize()} {at}"


def parse_time(text: str) -> dt.time | None:
    """``HH:MM`` (24-hour, one- or two-digit hour) as a time, or None when it is not a real time."""
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(hours) > 2 or len(minutes) != 2:
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return dt.time(int(hours), int(minutes))


def parse_weekday(text: str) -> int | None:
    """A day name or its first three letters (``mon``, ``Tuesday``) as 0-6, or None."""
    word = text.lower()
    for i, day in enumerate(DAYS):
        if word == day or (len(word) >= 3 and day.startswith(word)):
            return i
    return None


def next_due(cadence: Cadence, zone: ZoneInfo, after: dt.datetime) -> tuple[str, dt.datetime] | None:
    """The first digest due strictly after ``after`` (aware): (period, due time in UTC).

    None for instant cadences, which are due whenever there is something new.
    """
    if cadence.kind == "instant":
        return None
    day = after.astimezone(zone).date()
    for offset in range(9):
        candidate = day + dt.timedelta(days=offset)
        if cadence.kind == "weekly" and candidate.weekday() != cadence.weekday:
            continue
        if cadence.at is None:
            raise ValueError(f"a {cadence.kind} cadence has no time of day")
        due = dt.datetime.combine(candidate, cadence.at, tzinfo=zone).astimezone(dt.timezone.utc)
        if due > after:
            return candidate.isoformat(), due
    raise AssertionError("a daily or weekly time always falls within nine days")  # pragma: no cover


def cadence_of(sub) -> Cadence:
    """The stored cadence of a subscription."""
    return Cadence(sub.cadence, parse_time(sub.at_time) if sub.at_time else None, sub.weekday)


def next_schedule(sub, after: dt.datetime) -> tuple[str | None, dt.datetime | None]:
    """A subscription's (or subscription row's) next period and due time (naive UTC), the first after ``after``."""
    due = next_due(cadence_of(sub), ZoneInfo(sub.timezone), after)
    return (due[0], naive(due[1])) if due else (None, None)
