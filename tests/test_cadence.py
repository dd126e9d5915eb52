"""When digests are due, including the nights the clocks change; and the subscribe arguments."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.digests.arguments import Usage, check, complete_zone, parse_words, resolve_zone
from bot.digests.cadence import Cadence, next_due, parse_time

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_daily_is_due_at_the_local_time_on_each_side_of_a_clock_change():
    daily = Cadence("daily", dt.time(9, 0))
    # New York leaves daylight time on 2026-11-01: 09:00 is 13:00 UTC the day before, 14:00 UTC after.
    assert next_due(daily, NEW_YORK, at(2026, 10, 31, 12, 0)) == ("2026-10-31", at(2026, 10, 31, 13, 0))
    assert next_due(daily, NEW_YORK, at(2026, 10, 31, 13, 0)) == ("2026-11-01", at(2026, 11, 1, 14, 0))
    assert next_due(daily, NEW_YORK, at(2026, 11, 1, 14, 0)) == ("2026-11-02", at(2026, 11, 2, 14, 0))


def test_a_skipped_local_time_is_due_once_an_hour_later_and_a_repeated_one_once():
    night = Cadence("daily", dt.time(2, 30))
    # 2026-03-29 02:30 does not exist in Berlin (02:00 -> 03:00): due at 03:30 CEST = 01:30 UTC.
    period, due = next_due(night, BERLIN, at(2026, 3, 28, 12, 0))
    assert (period, due) == ("2026-03-29", at(2026, 3, 29, 1, 30))
    assert due.astimezone(BERLIN).strftime("%H:%M") == "03:30"
    assert next_due(night, BERLIN, due)[0] == "2026-03-30"
    # 2026-10-25 02:30 happens twice in Berlin: due once, at the first, then the next day.
    period, due = next_due(night, BERLIN, at(2026, 10, 24, 12, 0))
    assert (period, due) == ("2026-10-25", at(2026, 10, 25, 0, 30))
    assert next_due(night, BERLIN, due) == ("2026-10-26", at(2026, 10, 26, 1, 30))
    assert next_due(night, BERLIN, at(2026, 10, 25, 1, 30))[0] == "2026-10-26"


def test_weekly_is_due_on_its_day_and_instant_never_waits_for_a_time():
    monday = Cadence("weekly", dt.time(9, 0), 0)
    assert next_due(monday, BERLIN, at(2026, 11, 25, 12, 0)) == ("2026-11-30", at(2026, 11, 30, 8, 0))
    assert next_due(monday, BERLIN, at(2026, 11, 30, 8, 0)) == ("2026-12-07", at(2026, 12, 7, 8, 0))
    assert next_due(Cadence("instant"), BERLIN, at(2026, 11, 25, 12, 0)) is None


@pytest.mark.parametrize("text, expected", [("09:00", dt.time(9)), ("9:05", dt.time(9, 5)), ("23:59", dt.time(23, 59)),
                                            ("25:00", None), ("12:60", None), ("9", None), ("ab:cd", None),
                                            ("9:5", None)])
def test_times(text, expected):
    assert parse_time(text) == expected


def test_words_become_a_request():
    req = parse_words("weekly fri 17:30 tz Europe/Berlin org Meta, OpenAI open-weights input image")
    assert (req.cadence, req.day, req.at, req.zone) == ("weekly", "fri", "17:30", "Europe/Berlin")
    assert req.orgs == ["Meta", "OpenAI"] and req.open_weights and req.modality == "image"
    assert parse_words("").cadence == "daily"
    assert parse_words("instant org Meta Superintelligence Labs").orgs == ["Meta Superintelligence Labs"]


@pytest.mark.parametrize("text, problem", [
    ("daily 25:00", "'25:00' is not a time of day"),
    ("weekly Mnday 09:00", "Did you mean Monday?"),
    ("daily 09:00 tz Europe/Berln", "Did you mean Europe/Berlin?"),
    ("daily 09:00 tz Mars/Olympus", "is not a time zone I know"),
    ("org Metaa Labz", "I don't know the organization 'Metaa Labz'"),
    ("org OpenAl", "I don't know the organization 'OpenAl'. Did you mean OpenAI?"),
    ("org Zeta", "I don't know the organization 'Zeta'. Did you mean Meta"),
    ("instant tz", "tz needs a zone"),
    ("hourly", "I don't understand 'hourly'"),
    ("instant input smell", "is not an input modality"),
    ("daily friday 17:00", "A day is for weekly digests: weekly friday 17:00."),
])
def test_bad_arguments_say_what_is_wrong(seeded_kb, text, problem):
    with pytest.raises(Usage) as err:
        check(parse_words(text), seeded_kb.index())
    assert problem in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_organization_suggests_the_closest(seeded_kb):
    with pytest.raises(Usage) as err:
        check(parse_words("org Antropic Labs"), seeded_kb.index())
    assert "Did you mean" in str(err.value) and "Anthropic" in str(err.value)


def test_a_checked_spec(seeded_kb):
    spec = check(parse_words("weekly friday 17:30 tz berlin org Meta"), seeded_kb.index())
    assert spec.cadence == Cadence("weekly", dt.time(17, 30), 4)
    assert spec.zone == "Europe/Berlin" and spec.org_names == ("Meta",)
    assert check(parse_words("instant"), seeded_kb.index(), default_zone="Asia/Tokyo").zone == "Asia/Tokyo"


def test_zones_resolve_by_name_or_city_and_complete():
    assert resolve_zone("europe/berlin") == "Europe/Berlin"
    assert resolve_zone("New York") == "America/New_York"
    assert resolve_zone("UTC") == "UTC"
    assert resolve_zone("asia/tokyo") == "Asia/Tokyo"
    assert complete_zone("Europe/Be")[:2] == ["Europe/Berlin", "Europe/Belgrade"] or \
        "Europe/Berlin" in complete_zone("Europe/Be")
    assert len(complete_zone("a")) == 25
