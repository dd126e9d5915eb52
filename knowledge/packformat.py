"""The knowledge-pack file format, version 1: reading YAML or JSON and validating its shape.

Problems are collected, never raised one by one, so a curator sees every mistake in a file at
once, each with the record and the field it is in.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class Problem:
    """One thing wrong in a pack: where (record, field) and what."""

    record: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.record + (f", field '{self.field}'" if self.field else "")
        return f"{where}: {self.message}" if self.record else self.message


class PackError(Exception):
    """A pack that cannot be imported; ``str()`` is a one-paragraph explanation."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        super().__init__(self.paragraph())

    def paragraph(self, limit: int = 12) -> str:
        """All problems (up to ``limit``) in one paragraph that names the file."""
        count = len(self.problems)
        head = f"{self.path}: {count} problem{'s' if count != 1 else ''}, so nothing from this file was written."
        shown = " ".join(f"({i}) {p}." for i, p in enumerate(self.problems[:limit], 1))
        more = f" And {count - limit} more." if count > limit else ""
        return f"{head} {shown}{more}".replace("..", ".")


def _check_day(value: str) -> str:
    match = _DAY.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a date of the form YYYY-MM-DD")
    try:
        dt.date(*map(int, match.groups()))
    except ValueError as exc:
        raise ValueError(f"'{value}' is an impossible date ({exc})") from None
    return value


def _check_day_or_month(value: str) -> str:
    match = _MONTH.match(value)
    if match:
        if not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"'{value}' is an impossible month")
        return value
    if not _DAY.match(value):
        raise ValueError(f"'{value}' is not a date of the form YYYY-MM-DD or YYYY-MM")
    return _check_day(value)


def _check_finite(value: float) -> float:
    if isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Day = Annotated[str, AfterValidator(_check_day)]
DayOrMonth = Annotated[str, AfterValidator(_check_day_or_month)]
Number = Annotated[float, AfterValidator(_check_finite)]
Count = Annotated[int, Field(gt=0)]
Words = list[Text]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SourceIn(_Record):
    """A source that records cite by id."""

    id: Text
    title: Text | None = None
    publisher: Text | None = None
    url: Text | None = None
    published: Day | None = None


class OrganizationIn(_Record):
    """An organization; ``source`` and ``description``/``url`` are modelwire extensions."""

    name: Text
    aliases: Words = []
    parent: Text | None = None
    description: Text | None = None
    url: Text | None = None
    source: Text | None = None


class PricingIn(_Record):
    """Prices in USD per million tokens."""

    input_per_mtok: Annotated[Number, Field(ge=0)] | None = None
    output_per_mtok: Annotated[Number, Field(ge=0)] | None = None


class ModelIn(_Record):
    """A model and its fielded facts."""

    name: Text
    org: Text
    aliases: Words = []
    family: Text | None = None
    released: DayOrMonth | None = None
    status: Literal["announced", "preview", "released", "deprecated"] = "released"
    open_weights: bool | None = None
    license: Text | None = None
    input_modalities: Words | None = None
    output_modalities: Words | None = None
    context_window: Count | None = None
    max_output_tokens: Count | None = None
    knowledge_cutoff: DayOrMonth | None = None
    reasoning: bool | None = None
    modes: Words | None = None
    pricing: PricingIn | None = None
    description: Text | None = None
    source: Text | None = None


class BenchmarkIn(_Record):
    """A benchmark; ``source`` is a modelwire extension."""

    name: Text
    aliases: Words = []
    category: Text | None = None
    unit: Text | None = None
    higher_is_better: bool = True
    description: Text | None = None
    url: Text | None = None
    source: Text | None = None


class ScoreIn(_Record):
    """One result of a model on a benchmark."""

    model: Text
    benchmark: Text
    value: Number
    setting: Text | None = None
    date: Day | None = None
    source: Text | None = None


class FactIn(_Record):
    """A statement about a model, organization or benchmark."""

    subject: Text
    text: Text
    topic: Text | None = None
    source: Text | None = None


class ReleaseIn(_Record):
    """A release record; it names a model, an organization or both."""

    model: Text | None = None
    org: Text | None = None
    date: Day
    title: Text
    summary: Text | None = None
    url: Text | None = None
    source: Text | None = None

    @model_validator(mode="after")
    def _needs_subject(self) -> "ReleaseIn":
        if self.model is None and self.org is None:
            raise ValueError("a release needs a 'model' or an 'org'")
        return self


class PackIn(_Record):
    """A whole knowledge pack."""

    pack: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    title: Text | None = None
    sources: list[SourceIn] = []
    organizations: list[OrganizationIn] = []
    models: list[ModelIn] = []
    benchmarks: list[BenchmarkIn] = []
    scores: list[ScoreIn] = []
    facts: list[FactIn] = []
    releases: list[ReleaseIn] = []


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as strings, so impossible ones are reported, not raised."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_document(path: Path) -> Any:
    """Parse a pack file as JSON (``.json``) or YAML (anything else); raise PackError if unreadable."""
    name = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PackError(name, [Problem("", None, "it is not a UTF-8 text file")]) from None
    except OSError as exc:
        raise PackError(name, [Problem("", None, f"it cannot be read ({exc.strerror})")]) from None
    if not raw.strip():
        raise PackError(name, [Problem("", None, "the file is empty")])
    try:
        if path.suffix.lower() == ".json":
            return json.loads(raw)
        return yaml.load(raw, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise PackError(name, [Problem("", None, f"it is not valid JSON ({exc.msg} at {where})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "it cannot be parsed"
        raise PackError(name, [Problem("", None, f"it is not valid YAML ({problem}{where})")]) from None


def parse_pack(path: Path) -> PackIn:
    """Read and validate the shape of one pack file; raise PackError listing every problem."""
    data = read_document(path)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise PackError(str(path), [Problem("", None,
                        f"it is not a knowledge pack: expected a mapping with a 'pack' key, found a {kind}")])
    try:
        return PackIn.model_validate(data)
    except ValidationError as exc:
        raise PackError(str(path), [_problem(data, err) for err in exc.errors()]) from None


def _problem(data: dict, err: dict) -> Problem:
    loc = list(err["loc"])
    record, rest = _record_label(data, loc)
    field = ".".join(str(p) for p in rest) or None
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown field"
    elif err["type"] == "missing":
        message = "required field is missing"
    elif "input" in err and not isinstance(err["input"], (dict, list)):
        message += f" (got {err['input']!r})"
    return Problem(record, field, message)


def record_label(section: str, index: int, record: Any) -> str:
    """How a record is named in messages: its place and its name, e.g. ``scores[2] (Muse Spark / GPQA)``."""
    if isinstance(record, dict):
        keys = {"scores": ("model", "benchmark"), "facts": ("subject",), "releases": ("title",),
                "sources": ("id",)}.get(section, ("name",))
        parts = [str(record[k]) for k in keys if isinstance(record.get(k), (str, int, float))]
        if parts:
            return f"{section}[{index}] ({' / '.join(parts)})"
    return f"{section}[{index}]"


def _record_label(data: dict, loc: list) -> tuple[str, list]:
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(loc[0]), list):
        section, index = loc[0], loc[1]
        return record_label(section, index, data[section][index]), loc[2:]
    return "the pack", loc
