"""The core's value types: the question adapters hand in, the answer they get back and its parts. No markup."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.plaintext import render

Intent = Literal["score", "compare", "leaderboard", "model", "model_fact", "benchmark", "org", "fields", "fact",
                 "releases", "find", "help", "unknown", "subscribe", "unsubscribe", "subscriptions", "digest",
                 "usage", "refused"]
"""What an answer answers; ``unknown`` is "I don't know", ``usage`` a command used wrongly, ``refused`` one not
allowed."""


@dataclass(frozen=True)
class Origin:
    """Where a question came from, so the answer can travel back the same way."""

    platform: str = "console"
    workspace: str | None = None
    channel: str | None = None
    thread: str | None = None
    user: str | None = None
    can_manage: bool = False
    """Whether the person may change this channel's digest subscriptions (each adapter applies its platform's rule)."""


@dataclass
class Question:
    """What a person asked.

    ``command`` is None for free text; adapters with structured commands set it to "compare"
    (args: models, benchmark), "top" (benchmark, n), "model" (name), "benchmark" (name) or "help".
    """

    text: str = ""
    command: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    origin: Origin = field(default_factory=Origin)
    conversation: str | None = None
    """The conversation this question belongs to (see ``bot.conversation``); None answers it on its own."""


@dataclass
class Table:
    """Rows of cells; ``numeric`` marks columns to right-align; ``unit`` is the unit of the score column."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)
    unit: str | None = None


@dataclass
class SourceRef:
    """A cited source: what readers see and where to click."""

    title: str
    url: str | None = None
    date: str | None = None


@dataclass
class Answer:
    """What modelwire says back; every adapter renders this, ``to_dict`` is the machine form."""

    question: str
    intent: Intent
    found: bool
    title: str
    text: str
    table: Table | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)
    """For each suggestion, the question to ask if the person picks it (e.g. for a button)."""
    chart: Chart | None = None
    """A picture of the numbers (comparisons and leaderboards), for adapters that can show images."""
    context: dict[str, Any] | None = None
    """What this answer was about (models, benchmarks, organizations, what was asked), for a follow-up
    question in the same conversation; None when it sets no context. JSON-serialisable."""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of an answer; ``text`` is the complete plain-text rendering."""
        data = asdict(self)
        del data["context"]
        data["body"] = self.text
        data["text"] = render(self)
        data["fields"] = [{"name": n, "value": v} for n, v in self.fields]
        return data


@dataclass
class Chart:
    """What to draw for an answer's numbers: data and labels only, no markup and no drawing code.

    ``kind`` is "grouped" (a comparison: one group of bars per category, one bar per model) or
    "ranking" (a leaderboard: one horizontal bar per model, in the order of ``series``, best first,
    with a single category). ``categories`` are benchmark names, each with its setting when every
    bar of the category was measured in it, e.g. "ARC-AGI-2 (Contemplating mode)"; ``units`` and
    ``higher_is_better`` are per category ("" for a bare number). ``series`` maps each model to its
    values, aligned with ``categories`` (None: no score). Where the bars of one category were
    measured in different settings, ``notes`` gives each bar's setting, shaped like ``series``.
    ``caption`` names the sources and their dates.
    """

    kind: str
    title: str
    categories: list[str]
    units: list[str]
    series: dict[str, list[float | None]]
    higher_is_better: list[bool]
    caption: str = ""
    notes: dict[str, list[str | None]] = field(default_factory=dict)
