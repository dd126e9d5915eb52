"""What a free-text question asks: its names, the words around them, numbers and dates.

``parse`` does no database work beyond the alias index; ``bot.engine`` picks the answer from it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from bot import vocabulary as V
from knowledge.matching import AliasIndex, Mention, Ref, tokenize
from knowledge.words import is_common, languages_of

_FIELD_WORDS = frozenset(w for phrases in V.FIELD_KEYWORDS.values() for p in phrases for w in p.split())
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_ISO_MONTH = re.compile(r"\b(\d{4})-(\d{1,2})\b(?!-)")
_NAMED_MONTH = re.compile(r"\b([a-z]{3,9})\.?\s+(?:(\d{1,2})(?:st|nd|rd|th)?,?\s+)?(\d{4})\b")
_SINCE = re.compile(r"\b(since|from)\s*$")
_AFTER = re.compile(r"\b(after|later than)\s*$")
_MONTH_RANGE = re.compile(r"\b(?:between|from)\s+([a-z]{3,9})\.?\s*(\d{4})?\s+(?:and|to|through|until|till|-)\s+"
                          r"([a-z]{3,9})\.?\s+(\d{4})\b")
_BEFORE = re.compile(r"\bbefore\s*$")
_UNTIL = re.compile(r"\b(until|till|through|by)\s*$")
_YEAR = re.compile(r"\b(in|during|from|since|after|before|until|of)\s+(\d{4})\b(?![-/]\d)")
_RELATIVE = re.compile(r"\b(?:in the |over the )?(last|past)\s+(\d+)?\s*(day|week|month|year)s?\b")


@dataclass
class Parsed:
    """The pieces of a question."""

    text: str
    words: list[str]
    models: list[Ref] = field(default_factory=list)
    benchmarks: list[Ref] = field(default_factory=list)
    orgs: list[Ref] = field(default_factory=list)
    families: list[Mention] = field(default_factory=list)
    """Short forms several models share ("Gemini"): their members are in ``refs``."""
    short_forms: dict[Ref, str] = field(default_factory=dict)
    """Entities named by a part of their name, with the part as typed ("CharXiv")."""
    problems: list[Mention] = field(default_factory=list)
    unknown_words: list[Mention] = field(default_factory=list)
    count: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    fields: list[str] = field(default_factory=list)
    langs: frozenset[str] = frozenset()
    """Languages other than English the question is written in."""
    releases: bool = False
    """Release records are asked for without a release word (a follow-up to them: "and by Alibaba?")."""
    impossible_date: str | None = None
    """A date the question gives that no calendar has ("January 0000", "2026-13-01")."""
    leaderboard: bool = False
    """A leaderboard is asked for without a leaderboard word (a follow-up to one: "and on ARC-AGI-2?")."""
    notes: list[str] = field(default_factory=list)
    """Sentences the answer opens with (how a family or a short form was read)."""

    def has(self, vocabulary: frozenset[str]) -> bool:
        """Whether any word of the question (names excluded) is in ``vocabulary``."""
        return any(w in vocabulary for w in self.words)

    @property
    def content_words(self) -> list[str]:
        """Words that carry meaning: not names, not function words, no numbers but years."""
        return [w for w in self.words if w not in V.FUNCTION_WORDS and (not w.isdigit() or len(w) == 4)]


def parse(text: str, index: AliasIndex, today: dt.date | None = None) -> Parsed:
    """Split a question into names (resolved or not), other words, a count and a date range."""
    mentions = index.find_mentions(text, V.QUESTION_WORDS, V.PHRASES)
    tokens = tokenize(text)
    covered = [(m.start, m.end) for m in mentions if m.status != "unknown" or m.namey]
    words = [_spell(t.norm) for t in tokens if t.latin and not any(s <= t.start < e for s, e in covered)]
    parsed = Parsed(text, words)
    parsed.langs = languages_of([t.raw for t in tokens
                                 if t.latin and t.norm in words and t.norm not in V.QUESTION_WORDS])
    for mention in mentions:
        _place(parsed, mention)
    parsed.count = _count(words)
    parsed.since, parsed.until = _dates(text, today or dt.date.today())
    if parsed.since is None and parsed.until is None:
        parsed.impossible_date = _impossible_date(text)
    parsed.fields = _fields(words)
    return parsed


def _spell(word: str) -> str:
    """A misspelt question word corrected ("socre"); a correctly spelt word ("founded") is left alone."""
    if word in V.QUESTION_WORDS or word.isdigit() or is_common(word):
        return word
    near = V.QUESTION_WORDS.near(word, min_length=5)
    return near[0] if len(near) == 1 else word


def _place(parsed: Parsed, mention: Mention) -> None:
    if mention.status == "unknown":
        (parsed.problems if mention.namey else parsed.unknown_words).append(mention)
        return
    if mention.status == "family":
        parsed.families.append(mention)
        return
    if not mention.resolved:
        parsed.problems.append(mention)
        return
    if mention.status == "short":
        parsed.short_forms[mention.refs[0]] = mention.text
    for kind, bucket in (("model", parsed.models), ("benchmark", parsed.benchmarks), ("org", parsed.orgs)):
        ref = mention.ref_of(kind)
        if ref is not None:
            if ref not in bucket:
                bucket.append(ref)
            return


_NUMBER_NAMES = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                             "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
                                             .split())}


def _count(words: list[str]) -> int | None:
    """How many a leaderboard question asks for: "top 3", "best 5 models", "the top three"."""
    words = [str(_NUMBER_NAMES[w]) if w in _NUMBER_NAMES else w for w in words]
    for i, word in enumerate(words):
        if word.isdigit() and 0 < int(word) <= 100:
            before = words[i - 1] if i else ""
            after = words[i + 1] if i + 1 < len(words) else ""
            if before in ("top", "best", "first") or after in ("best", "top", "models", "highest"):
                return int(word)
    return None


def _dates(text: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """A date range from ISO dates, month names, "since ...", "in April 2026" or "last 30 days".

    Dates past the calendar's ends are clamped to them ("the last 9999 years" is since 0001-01-01);
    impossible dates ("January 0000") are no date.
    """
    lowered = text.lower()
    relative = _RELATIVE.search(lowered)
    if relative:
        n = int(relative.group(2) or 1)
        unit = {"day": 1, "week": 7, "month": 30, "year": 365}[relative.group(3)]
        days = n * unit
        if days >= (today - dt.date.min).days:
            return dt.date.min, None
        return today - dt.timedelta(days=days), None
    if "this month" in lowered:
        return today.replace(day=1), None
    ranged = _month_range(lowered)
    if ranged:
        return ranged
    year = _YEAR.search(lowered)
    named = any(m.group(1) in _MONTHS for m in _NAMED_MONTH.finditer(lowered))
    if year and _in_calendar(int(year.group(2))) and not _ISO_MONTH.search(lowered) and not named:
        y = int(year.group(2))
        whole_year = dt.date(y, 1, 1), dt.date(y, 12, 31)
        return {"since": (whole_year[0], None),
                "after": (dt.date(y + 1, 1, 1) if y < dt.MAXYEAR else whole_year[1], None),
                "before": (None, dt.date(y - 1, 12, 31) if y > dt.MINYEAR else whole_year[0]),
                "until": (None, whole_year[1])}.get(year.group(1), whole_year)
    if "this year" in lowered:
        return dt.date(today.year, 1, 1), None
    for pattern, builder in ((_ISO_DAY, _iso_day), (_NAMED_MONTH, _named), (_ISO_MONTH, _iso_month)):
        for match in pattern.finditer(lowered):
            span = builder(match)
            if span is None:
                continue
            prefix = lowered[: match.start()]
            if _SINCE.search(prefix):
                return span[0], None
            if _AFTER.search(prefix):
                return (span[1] + dt.timedelta(days=1) if span[1] < dt.date.max else span[1]), None
            if _BEFORE.search(prefix):
                return None, span[0] - dt.timedelta(days=1) if span[0] > dt.date.min else dt.date.min
            if _UNTIL.search(prefix):
                return None, span[1]
            return span
    return None, None


def _impossible_date(text: str) -> str | None:
    """The first date-shaped words of a question that are no date: a month 13, a day 32, the year 0."""
    lowered = text.lower()
    for match in _ISO_DAY.finditer(lowered):
        if _iso_day(match) is None:
            return match.group(0)
    for match in _NAMED_MONTH.finditer(lowered):
        if match.group(1) in _MONTHS and _named(match) is None:
            return match.group(0)
    for match in _ISO_MONTH.finditer(lowered):
        if _iso_month(match) is None:
            return match.group(0)
    return None


def _month_range(lowered: str) -> tuple[dt.date, dt.date] | None:
    """ "between March and May 2026", "from Jan 2025 to June 2025": first day of one, last day of the other."""
    match = _MONTH_RANGE.search(lowered)
    if not match:
        return None
    first, second = _MONTHS.get(match.group(1)), _MONTHS.get(match.group(3))
    end_year = int(match.group(4))
    start_year = int(match.group(2)) if match.group(2) else end_year
    if first is None or second is None:
        return None
    start, end = _month_span(start_year, first), _month_span(end_year, second)
    if start is None or end is None or start[0] > end[1]:
        return None
    return start[0], end[1]


def _iso_day(match) -> tuple[dt.date, dt.date] | None:
    try:
        day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return day, day


def _iso_month(match) -> tuple[dt.date, dt.date] | None:
    return _month_span(int(match.group(1)), int(match.group(2)))


def _in_calendar(year: int) -> bool:
    return dt.MINYEAR <= year <= dt.MAXYEAR


def _named(match) -> tuple[dt.date, dt.date] | None:
    month = _MONTHS.get(match.group(1))
    if month is None:
        return None
    year = int(match.group(3))
    if not _in_calendar(year):
        return None
    if match.group(2):
        try:
            day = dt.date(year, month, int(match.group(2)))
        except ValueError:
            return None
        return day, day
    return _month_span(year, month)


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date] | None:
    if not 1 <= month <= 12 or not _in_calendar(year):
        return None
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def _fields(words: list[str]) -> list[str]:
    """Model-card fields the question asks for; a phrase inside a longer matched phrase does not count.

    A plural counts as its singular ("videos" as "video").
    """
    words = [w[:-1] if w.endswith("s") and w not in _FIELD_WORDS and w[:-1] in _FIELD_WORDS else w for w in words]
    joined = f" {' '.join(words)} "
    spans: list[tuple[int, int, str]] = []
    for name, phrases in V.FIELD_KEYWORDS.items():
        for phrase in phrases:
            start = joined.find(f" {phrase} ")
            while start != -1:
                spans.append((start, start + len(phrase) + 1, name))
                start = joined.find(f" {phrase} ", start + 1)
    kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                        for o in spans)]
    names: list[str] = []
    for _, _, name in sorted(kept):
        if name not in names:
            names.append(name)
    return names
