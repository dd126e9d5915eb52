"""The arguments of ``subscribe``: typed words or slash-command options -> a checked subscription spec.

``parse_words`` reads ``[instant | daily HH:MM | weekly DAY HH:MM] [tz ZONE] [org NAME ...]
[open-weights] [input MODALITY]``; ``check`` resolves names and zones. Both raise ``Usage`` with
one line saying what is wrong (and the closest valid values), which callers show with the usage line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

from bot.cadence import DAYS, Cadence, parse_time, parse_weekday
from knowledge.matching import AliasIndex

USAGE = ("subscribe [instant | daily HH:MM | weekly DAY HH:MM] [tz ZONE] [org NAME ...] [open-weights] "
         "[input MODALITY] [updates]")
MODALITIES = ("text", "image", "audio", "video", "pdf")
DEFAULT_TIME = dt.time(9, 0)
_KEYWORDS = {"instant", "daily", "weekly", "tz", "timezone", "org", "orgs", "organization", "organizations",
             "open-weights", "open_weights", "openweights", "input", "modality", "updates"}
_TIMEISH = re.compile(r"^\d{1,2}(:\d{1,2})?$")


class Usage(ValueError):
    """A subscribe argument that cannot be used; the message is one line for the person."""


@dataclass
class Request:
    """What was asked for, before names and zones are checked."""

    cadence: str = "daily"
    at: str | None = None
    day: str | None = None
    zone: str | None = None
    orgs: list[str] = field(default_factory=list)
    open_weights: bool = False
    modality: str | None = None
    updates: bool = False


@dataclass(frozen=True)
class Spec:
    """A checked subscription: every name resolved, the zone real, the time valid."""

    cadence: Cadence
    zone: str
    org_ids: tuple[int, ...] = ()
    org_names: tuple[str, ...] = ()
    open_weights: bool = False
    modality: str | None = None
    updates: bool = False
    """Also changes to known models (new scores, context or price changes, deprecations)."""


def parse_words(text: str) -> Request:
    """``daily 09:00 tz Europe/Berlin org OpenAI, Meta open-weights updates`` -> Request."""
    words = text.replace(",", " , ").split()
    req, i = Request(), 0
    while i < len(words):
        word = words[i].lower()
        i += 1
        if word == "instant":
            req.cadence = "instant"
        elif word in ("daily", "weekly"):
            req.cadence = word
            while i < len(words) and words[i].lower() not in _KEYWORDS and words[i] != ",":
                _time_or_day(req, words[i])
                i += 1
        elif word in ("tz", "timezone"):
            req.zone, i = _next(words, i, "tz needs a zone, e.g. tz Europe/Berlin")
        elif word in ("org", "orgs", "organization", "organizations"):
            i = _org_names(req, words, i)
        elif word in ("open-weights", "open_weights", "openweights"):
            req.open_weights = True
        elif word == "open" and i < len(words) and words[i].lower() in ("weights", "weight", "source"):
            req.open_weights, i = True, i + 1
        elif word == "updates":
            req.updates = True
        elif word in ("input", "modality"):
            req.modality, i = _next(words, i, f"input needs a modality: {', '.join(MODALITIES)}")
        elif _TIMEISH.match(word) or parse_weekday(word) is not None:
            req.cadence = "weekly" if parse_weekday(word) is not None or req.day else req.cadence
            _time_or_day(req, word)
        else:
            raise Usage(f"I don't understand '{words[i - 1]}'.")
    return req


def _next(words: list[str], i: int, problem: str) -> tuple[str, int]:
    if i >= len(words) or words[i].lower() in _KEYWORDS:
        raise Usage(problem + ".")
    return words[i], i + 1


def _time_or_day(req: Request, word: str) -> None:
    if _TIMEISH.match(word) or ":" in word:
        req.at = word
        return
    if parse_weekday(word) is None:
        close = process.extractOne(word.lower(), DAYS, scorer=fuzz.ratio, score_cutoff=60)
        hint = f" Did you mean {close[0].capitalize()}?" if close else ""
        raise Usage(f"'{word}' is not a day of the week.{hint}")
    req.day = word


def _org_names(req: Request, words: list[str], i: int) -> int:
    current: list[str] = []
    while i < len(words) and words[i].lower() not in _KEYWORDS:
        if words[i] == "," or words[i].lower() == "and":
            if current:
                req.orgs.append(" ".join(current))
            current = []
        else:
            current.append(words[i])
        i += 1
    if current:
        req.orgs.append(" ".join(current))
    if not req.orgs:
        raise Usage("org needs a name, e.g. org OpenAI.")
    return i


def check(req: Request, index: AliasIndex, default_zone: str = "UTC") -> Spec:
    """Resolve the request's zone, time, day and organizations; raise Usage naming the first problem."""
    zone = resolve_zone(req.zone) if req.zone else resolve_zone(default_zone or "UTC")
    return Spec(_cadence(req), zone, *_orgs(req.orgs, index), req.open_weights, _modality(req.modality),
                req.updates)


def _cadence(req: Request) -> Cadence:
    if req.day is not None and req.cadence != "weekly":
        raise Usage(f"A day is for weekly digests: weekly {req.day} {req.at or '09:00'}.")
    if req.cadence == "instant":
        return Cadence("instant")
    at = DEFAULT_TIME if req.at is None else parse_time(req.at)
    if at is None:
        raise Usage(f"'{req.at}' is not a time of day: use 24-hour HH:MM, e.g. 09:00 or 17:30.")
    if req.cadence == "daily":
        return Cadence("daily", at)
    return Cadence("weekly", at, 0 if req.day is None else parse_weekday(req.day))


def _orgs(names: list[str], index: AliasIndex) -> tuple[tuple[int, ...], tuple[str, ...]]:
    ids, shown = [], []
    for name in names:
        res = index.resolve(name, ["org"])
        if res.status == "fuzzy":  # a filter is written once and acts for months: ask, never guess
            raise Usage(f"I don't know the organization '{name}'. Did you mean {index.name(res.ref)}?")
        if not res.found:
            closest = res.suggestions or index.suggest(name, ["org"])
            hint = f" Did you mean {', '.join(closest[:3])}?" if closest else ""
            raise Usage(f"I don't know the organization '{name}'.{hint}")
        if res.ref[1] not in ids:
            ids.append(res.ref[1])
            shown.append(index.name(res.ref))
    return tuple(ids), tuple(shown)


def _modality(value: str | None) -> str | None:
    if value is None:
        return None
    word = value.lower()
    if word in MODALITIES:
        return word
    close = process.extractOne(word, MODALITIES, scorer=fuzz.ratio, score_cutoff=50)
    hint = f" Did you mean {close[0]}?" if close else f" Use one of {', '.join(MODALITIES)}."
    raise Usage(f"'{value}' is not an input modality.{hint}")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Every IANA zone by its lower-case name, and by its last part when that is unshared."""
    names = sorted(available_timezones())
    by_key = {n.lower(): n for n in names}
    cities: dict[str, list[str]] = {}
    for n in names:
        cities.setdefault(n.rsplit("/", 1)[-1].lower().replace("_", " "), []).append(n)
    for city, zones in cities.items():
        if len(zones) == 1:
            by_key.setdefault(city, zones[0])
    return by_key


def resolve_zone(text: str) -> str:
    """An IANA zone name from ``Europe/Berlin``, ``europe/berlin`` or ``Berlin``; Usage when unknown."""
    key = text.strip().lower().replace("_", " ")
    zones = _zones()
    found = zones.get(key) or zones.get(key.replace(" ", "_"))
    if found:
        ZoneInfo(found)
        return found
    close = process.extract(key, list(zones), scorer=fuzz.WRatio, limit=3, score_cutoff=70)
    # A clear winner is suggested alone; near-ties are all shown.
    names = list(dict.fromkeys(zones[c[0]] for c in close if c[1] >= close[0][1] - 3))
    hint = f" Did you mean {', '.join(names)}?" if names else " Use an IANA name such as Europe/Berlin."
    raise Usage(f"'{text}' is not a time zone I know.{hint}")


def complete_zone(prefix: str, limit: int = 25) -> list[str]:
    """Time zones for autocomplete: names or cities starting with ``prefix`` first, then close ones."""
    key = prefix.strip().lower().replace("_", " ")
    zones = _zones()
    if not key:
        return ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
                "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney"][:limit]
    starts = [z for k, z in zones.items() if k.startswith(key) or k.split("/")[-1].startswith(key)]
    out = list(dict.fromkeys(sorted(starts, key=len)))
    if len(out) < limit:
        close = process.extract(key, list(zones), scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
        out += [zones[c[0]] for c in close if zones[c[0]] not in out]
    return out[:limit]
