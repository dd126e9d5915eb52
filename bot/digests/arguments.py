"""The arguments of ``subscribe``: typed words or slash-command options -> a checked subscription spec.

``spec_from`` is the way in: ``request_from`` reads the options (``parse_words`` the typed words), then
``check`` resolves them. ``parse_words`` reads ``[instant | daily HH:MM | weekly DAY HH:MM] [tz ZONE] [org NAME ...]
[open-weights] [input MODALITY] [min-context SIZE] [max-price DOLLARS] [reasoning] [tool-calling]
[licence WORD] [updates]``; ``check`` resolves names and zones and reads sizes and prices. Both raise
``Usage`` with one line saying what is wrong (and the closest valid values), which callers show with
the usage line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from bot.digests.cadence import DAYS, Cadence, parse_time, parse_weekday
from knowledge.matching import AliasIndex

USAGE = ("subscribe [instant | daily HH:MM | weekly DAY HH:MM] [tz ZONE] [org NAME ...] [open-weights] "
         "[input MODALITY] [min-context SIZE] [max-price DOLLARS] [reasoning] [tool-calling] [licence WORD] "
         "[updates]")
MODALITIES = ("text", "image", "audio", "video", "pdf")
DEFAULT_TIME = dt.time(9, 0)
_ALIASES = {
    "instant": "instant", "daily": "daily", "weekly": "weekly", "tz": "tz", "timezone": "tz",
    "org": "org", "orgs": "org", "organization": "org", "organizations": "org",
    "open-weights": "open-weights", "open_weights": "open-weights", "openweights": "open-weights",
    "input": "input", "modality": "input", "updates": "updates",
    "min-context": "min-context", "min_context": "min-context", "mincontext": "min-context",
    "max-price": "max-price", "max_price": "max-price", "maxprice": "max-price",
    "reasoning": "reasoning", "tool-calling": "tool-calling", "tool_calling": "tool-calling",
    "toolcalling": "tool-calling", "tools": "tool-calling", "tool-use": "tool-calling",
    "licence": "licence", "license": "licence",
}
"""Every word that starts a part of ``subscribe``, and the part it starts."""
_PAIRS = {("open", "weights"): "open-weights", ("open", "weight"): "open-weights",
          ("open", "source"): "open-weights", ("tool", "calling"): "tool-calling", ("tool", "use"): "tool-calling",
          ("min", "context"): "min-context", ("max", "price"): "max-price"}
"""The same parts written as two words."""
_SUGGESTED = ("instant", "daily", "weekly", "tz", "org", "open-weights", "input", "updates", "min-context",
              "max-price", "reasoning", "tool-calling", "licence", "license")
# re.ASCII: only 0-9 are digits here ("²", "٣" and the like are words, not numbers).
_TIMEISH = re.compile(r"^\d{1,2}(:\d{1,2})?$", re.ASCII)
_SIZE = re.compile(r"^(\d{1,15}(?:\.\d{1,15})?|\.\d{1,15})\s*([km]|thousand|million)?(?:\s*tokens?)?$", re.ASCII)
_PRICE = re.compile(r"^\$?\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:\$|usd|dollars?)?$", re.ASCII)
MAX_CONTEXT = 2_000_000_000
"""The largest min-context taken: the column is a 32-bit integer, and no model comes close."""
_SHOWN = 60
LICENCE_WORDS = ("mit", "apache", "gpl", "agpl", "lgpl", "bsd", "mpl", "cc-by", "openrail", "llama", "gemma",
                 "qwen", "deepseek", "proprietary", "modified-mit")
"""Licence words a typo is checked against, besides the licences in the knowledge base."""


class Usage(ValueError):
    """A subscribe argument that cannot be used; the message is one line for the person."""


def shown(value) -> str:
    """``value`` as quoted back in a usage line: one line (line breaks and control characters become
    spaces), at most a few dozen characters."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"


def is_number(text) -> bool:
    """Whether ``text`` is a whole number written with ASCII digits only (``str.isdigit`` also takes
    "²" and "٣", which ``int`` then refuses or reads as another number)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


@dataclass
class Request:
    """What was asked for, before names, zones, sizes and prices are checked."""

    cadence: str = "daily"
    at: str | None = None
    day: str | None = None
    zone: str | None = None
    orgs: list[str] = field(default_factory=list)
    open_weights: bool = False
    modality: str | None = None
    updates: bool = False
    min_context: str | None = None
    max_price: str | float | None = None
    reasoning: bool = False
    tool_calling: bool = False
    licence: str | None = None


@dataclass(frozen=True)
class Spec:
    """A checked subscription: every name resolved, the zone real, the time valid, sizes and prices read."""

    cadence: Cadence
    zone: str
    org_ids: tuple[int, ...] = ()
    org_names: tuple[str, ...] = ()
    open_weights: bool = False
    modality: str | None = None
    updates: bool = False
    """Also changes to known models (new scores, context or price changes, deprecations)."""
    min_context: int | None = None
    """Tokens of context window, at least."""
    max_price: float | None = None
    """US dollars per million input tokens, at most."""
    reasoning: bool = False
    tool_calling: bool = False
    licence: str | None = None
    """A part of the licence, lower case ("mit", "apache")."""


def spec_from(args: dict, index: AliasIndex, licences: Iterable[str] = ()) -> Spec:
    """The checked subscription a ``subscribe`` command asks for (``args`` as in ``request_from``, with
    ``default_tz``, the zone when none is given); raise Usage naming the first problem."""
    return check(request_from(args), index, args.get("default_tz") or "UTC", licences)


def request_from(args: dict) -> Request:
    """A Request from typed words (``args["text"]``) or from structured slash-command options."""
    if "text" in args:
        return parse_words(args["text"] or "")
    # A day with no cadence means weekly, as in typed words ("subscribe friday 17:00"); else daily.
    cadence = args.get("cadence") or ("weekly" if args.get("day") else "daily")
    req = Request(cadence=cadence, at=args.get("time"), day=args.get("day"),
                  zone=args.get("tz"), orgs=list(args.get("orgs") or []),
                  open_weights=bool(args.get("open_weights")), modality=args.get("input"),
                  updates=bool(args.get("updates")), min_context=args.get("min_context"),
                  max_price=args.get("max_price"), reasoning=bool(args.get("reasoning")),
                  tool_calling=bool(args.get("tool_calling")),
                  licence=args.get("licence") or args.get("license"))
    if req.cadence not in ("instant", "daily", "weekly"):
        raise Usage(f"'{shown(req.cadence)}' is not a cadence: use instant, daily or weekly.")
    return req


def parse_words(text: str) -> Request:
    """``daily 09:00 tz Europe/Berlin org OpenAI, Meta open-weights min-context 128k updates`` -> Request."""
    words = re.sub(r",(?!\d)|(?<!\d),", " , ", text).split()  # "1,000,000" stays one word
    req, i = Request(), 0
    while i < len(words):
        part, width = _part_at(words, i)
        if part is None:
            _loose_word(req, words[i])
            i += 1
        else:
            i = _READERS[part](req, words, i + width)
    return req


def _part_at(words: list[str], i: int) -> tuple[str | None, int]:
    """The part of ``subscribe`` that starts at ``words[i]`` and how many words name it; (None, 0) if none."""
    if i >= len(words):
        return None, 0
    pair = _PAIRS.get((words[i].lower(), words[i + 1].lower())) if i + 1 < len(words) else None
    if pair:
        return pair, 2
    part = _ALIASES.get(words[i].lower())
    return (part, 1) if part else (None, 0)


def _loose_word(req: Request, word: str) -> None:
    """A word outside any part: a time or day (``friday 17:00``), else a usage error with the closest part."""
    if _TIMEISH.match(word) or parse_weekday(word) is not None:
        req.cadence = "weekly" if parse_weekday(word) is not None or req.day else req.cadence
        _time_or_day(req, word)
        return
    close = process.extractOne(word.lower(), _SUGGESTED, scorer=fuzz.ratio, score_cutoff=75)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise Usage(f"I don't understand '{shown(word)}'.{hint}")


def _cadence_words(req: Request, words: list[str], i: int, cadence: str) -> int:
    """``instant``, or ``daily``/``weekly`` with the time and day words after it."""
    req.cadence = cadence
    while cadence != "instant" and i < len(words) and _part_at(words, i)[0] is None and words[i] != ",":
        _time_or_day(req, words[i])
        i += 1
    return i


def _set(name: str, value=True):
    """A reader for a part without a value: it sets ``name`` on the request."""
    def read(req: Request, words: list[str], i: int) -> int:
        setattr(req, name, value)
        return i
    return read


def _value(name: str, problem: str, units: tuple[str, ...] = ()):
    """A reader for a part followed by one value (and maybe one of ``units``), stored as ``name``;
    ``problem`` when the value is missing."""
    def read(req: Request, words: list[str], i: int) -> int:
        value, i = _next(words, i, problem)
        if i < len(words) and words[i].lower() in units:
            i += 1
        setattr(req, name, value)
        return i
    return read


_READERS = {
    "instant": lambda req, words, i: _cadence_words(req, words, i, "instant"),
    "daily": lambda req, words, i: _cadence_words(req, words, i, "daily"),
    "weekly": lambda req, words, i: _cadence_words(req, words, i, "weekly"),
    "tz": _value("zone", "tz needs a zone, e.g. tz Europe/Berlin"),
    "org": lambda req, words, i: _org_names(req, words, i),
    "open-weights": _set("open_weights"),
    "updates": _set("updates"),
    "reasoning": _set("reasoning"),
    "tool-calling": _set("tool_calling"),
    "input": _value("modality", f"input needs a modality: {', '.join(MODALITIES)}"),
    "min-context": _value("min_context", "min-context needs a size, e.g. min-context 128k", ("tokens", "token")),
    "max-price": _value("max_price", "max-price needs US dollars per million input tokens, e.g. max-price 1",
                        ("dollars", "dollar", "usd", "$")),
    "licence": _value("licence", "licence needs a word of the licence, e.g. licence apache"),
}
"""How each part of ``subscribe`` is read: (request, words, index after the part's name) -> next index."""


def _next(words: list[str], i: int, problem: str) -> tuple[str, int]:
    if i >= len(words) or _part_at(words, i)[0] is not None:
        raise Usage(problem + ".")
    return words[i], i + 1


def _time_or_day(req: Request, word: str) -> None:
    if _TIMEISH.match(word) or ":" in word:
        req.at = word
        return
    if parse_weekday(word) is None:
        close = process.extractOne(word.lower(), DAYS, scorer=fuzz.ratio, score_cutoff=60)
        hint = f" Did you mean {close[0].capitalize()}?" if close else ""
        raise Usage(f"'{shown(word)}' is not a day of the week.{hint}")
    req.day = word


def _org_names(req: Request, words: list[str], i: int) -> int:
    current: list[str] = []
    while i < len(words) and _part_at(words, i)[0] is None:
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


def check(req: Request, index: AliasIndex, default_zone: str = "UTC", licences: Iterable[str] = ()) -> Spec:
    """Resolve the request's zone, time, day and organizations and read its sizes and prices; raise Usage
    naming the first problem. ``licences`` are the knowledge base's, to catch a misspelt licence."""
    zone = resolve_zone(req.zone) if req.zone else resolve_zone(default_zone or "UTC")
    org_ids, org_names = _orgs(req.orgs, index)
    return Spec(_cadence(req), zone, org_ids, org_names, req.open_weights, _modality(req.modality), req.updates,
                min_context=None if req.min_context in (None, "") else parse_size(req.min_context),
                max_price=None if req.max_price in (None, "") else parse_price(req.max_price),
                reasoning=bool(req.reasoning), tool_calling=bool(req.tool_calling),
                licence=_licence(req.licence, licences))


def _cadence(req: Request) -> Cadence:
    if req.day is not None and req.cadence != "weekly":
        raise Usage(f"A day is for weekly digests: weekly {shown(req.day)} {shown(req.at or '09:00')}.")
    if req.cadence == "instant":
        return Cadence("instant")
    at = DEFAULT_TIME if req.at is None else _time(req.at)
    if at is None:
        raise Usage(f"'{shown(req.at)}' is not a time of day: use 24-hour HH:MM, e.g. 09:00 or 17:30.")
    if req.cadence == "daily":
        return Cadence("daily", at)
    day = 0 if req.day is None else parse_weekday(str(req.day))
    if day is None:
        raise Usage(f"'{shown(req.day)}' is not a day of the week.")
    return Cadence("weekly", at, day)


def _time(value) -> dt.time | None:
    """``HH:MM`` in ASCII digits as a time, else None."""
    hours, _, minutes = str(value).partition(":")
    return parse_time(str(value)) if is_number(hours) and is_number(minutes) else None


def _orgs(names: list[str], index: AliasIndex) -> tuple[tuple[int, ...], tuple[str, ...]]:
    ids, names_shown = [], []
    for name in names:
        res = index.resolve(name, ["org"])
        ref = res.ref
        if ref is None:  # not found (a "fuzzy" resolution always has its ref)
            closest = res.suggestions or index.suggest(name, ["org"])
            hint = f" Did you mean {', '.join(closest[:3])}?" if closest else ""
            raise Usage(f"I don't know the organization '{shown(name)}'.{hint}")
        if res.status == "fuzzy":  # a filter is written once and acts for months: ask, never guess
            raise Usage(f"I don't know the organization '{shown(name)}'. Did you mean {index.name(ref)}?")
        if ref.id not in ids:
            ids.append(ref.id)
            names_shown.append(index.name(ref))
    return tuple(ids), tuple(names_shown)


def _modality(value: str | None) -> str | None:
    if value is None:
        return None
    word = str(value).lower()
    if word in MODALITIES:
        return word
    close = process.extractOne(word, MODALITIES, scorer=fuzz.ratio, score_cutoff=50)
    hint = f" Did you mean {close[0]}?" if close else f" Use one of {', '.join(MODALITIES)}."
    raise Usage(f"'{shown(value)}' is not an input modality.{hint}")


def parse_size(value: str | int) -> int:
    """A context size in tokens from ``128k``, ``1M``, ``1.5M``, ``200000``, ``1,000,000`` or ``128k tokens``."""
    text = str(value).strip()
    match = _SIZE.match(text.lower().replace(",", "").replace("_", ""))
    if not match:
        raise Usage(f"'{shown(text)}' is not a context size: use tokens, e.g. 128k, 1M or 200000.")
    scale = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000}.get(match.group(2) or "", 1)
    tokens = round(float(match.group(1)) * scale)
    if tokens < 1000:
        raise Usage(f"'{shown(text)}' tokens is too small for a context window. Did you mean {shown(text)}k?")
    if tokens > MAX_CONTEXT:
        raise Usage(f"'{shown(text)}' tokens is larger than any context window: use e.g. 128k or 1M.")
    return tokens


def parse_price(value: str | float) -> float:
    """US dollars per million input tokens from ``1``, ``0.5``, ``$0.50`` or ``2 dollars``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text, number = f"{value:g}", float(value)
    else:
        text = str(value).strip()
        match = _PRICE.match(text.lower())
        number = float(match.group(1)) if match else -1.0
    if not 0 <= number < float("inf"):
        raise Usage(f"'{shown(text)}' is not a price: give US dollars per million input tokens, e.g. max-price 1 "
                    "or max-price 0.5.")
    return number


def _licence(value: str | None, known: Iterable[str]) -> str | None:
    """The licence word, lower case; a word close to a known licence but in none is taken for a typo."""
    if value is None or not str(value).strip():
        return None
    value = str(value)
    word = value.strip().lower()
    names = {k.lower() for k in known if k}
    words = set(LICENCE_WORDS) | {w for n in names for w in re.findall(r"[a-z][a-z0-9.+-]*", n)}
    if word in words or any(word in n for n in names | words):
        return word
    close = process.extractOne(word, sorted(words), scorer=fuzz.ratio, score_cutoff=75)
    if close:
        raise Usage(f"I don't know the licence '{shown(value)}'. Did you mean {close[0]}?")
    return word  # a licence no model has yet: new models may come under it


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
    key = str(text).strip().lower().replace("_", " ")
    zones = _zones()
    found = zones.get(key) or zones.get(key.replace(" ", "_"))
    if found:
        try:
            ZoneInfo(found)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise Usage(f"The time zone {found} is missing from this server's time zone database.") from None
        return found
    close = process.extract(key, list(zones), scorer=fuzz.WRatio, limit=3, score_cutoff=70)
    # A clear winner is suggested alone; near-ties are all shown.
    names = list(dict.fromkeys(zones[c[0]] for c in close if c[1] >= close[0][1] - 3))
    hint = f" Did you mean {', '.join(names)}?" if names else " Use an IANA name such as Europe/Berlin."
    raise Usage(f"'{shown(text)}' is not a time zone I know.{hint}")


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
