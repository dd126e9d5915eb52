"""Plain formatting of values and citations shared by every answer (no platform markup)."""

from __future__ import annotations

import datetime as dt

from bot.values import SourceRef
from knowledge.store import SourceInfo


def number(value: float) -> str:
    """A number as it was published: no float noise, no needless ".0"."""
    if float(value).is_integer():
        return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def score(value: float, unit: str | None) -> str:
    """A score with its unit: "89.5%", "52 points", "1250 Elo", "42.5"."""
    if not unit:
        return number(value)
    if unit == "%":
        return f"{number(value)}%"
    return f"{number(value)} {unit}"


def gap(a: float, b: float, unit: str | None) -> str:
    """The distance between two scores: "3.3 percentage points", "12 Elo", "0.4"."""
    diff = round(abs(a - b), 6)
    if unit == "%":
        return f"{number(diff)} percentage point{'' if diff == 1 else 's'}"
    return score(diff, unit)


def tokens(count: int) -> str:
    """A token count, e.g. "1,000,000 tokens"."""
    return f"{count:,} tokens"


def day(value: dt.date | str | None) -> str:
    """An ISO date (or year-month) as text, or an empty string."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def yes_no(value: bool | None) -> str:
    """"yes", "no" or "unknown"."""
    return "unknown" if value is None else ("yes" if value else "no")


def join_names(names: list[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class Citations:
    """Numbers the sources an answer cites, in order of first use: [1], [2], ..."""

    def __init__(self) -> None:
        self._order: dict[int, int] = {}
        self.refs: list[SourceRef] = []

    def cite(self, source: SourceInfo | None, date: dt.date | None = None) -> str:
        """The marker of a source ("[1]"), or "" when the record has no source."""
        if source is None:
            return ""
        if source.id not in self._order:
            when = source.published or date
            self.refs.append(SourceRef(source.label, source.url, day(when) or None))
            self._order[source.id] = len(self.refs)
        return f"[{self._order[source.id]}]"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """"1 model", "2 models", "1 release record"."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


_LETTER_VOWEL_SOUND = frozenset("AEFHILMNORSX")


def a_an(phrase: str) -> str:
    """The phrase with "a" or "an" before it, by how its first word sounds ("an ARC-AGI-2 score", "an HLE score")."""
    first = phrase.split(" ", 1)[0].split("-", 1)[0]
    if not first:
        return f"a {phrase}"
    if first.isupper() and len(first) <= 4 and first.isalpha():
        vowel = first[0] in _LETTER_VOWEL_SOUND
    elif first[0].isdigit():
        vowel = first.startswith(("8", "11", "18"))
    else:
        vowel = first[0].lower() in "aeiou"
    return f"{'an' if vowel else 'a'} {phrase}"
