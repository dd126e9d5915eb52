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
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from knowledge.schema import Alias, Benchmark, Fact, Model, Organization, Pack, Release, Score, Source

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

INT32_MAX = 2**31 - 1
"""The largest value of an ``Integer`` column on every backend (PostgreSQL's is 32-bit)."""
MAX_DEPTH = 32
"""How deeply a pack document may nest lists and mappings (a pack needs four levels)."""
CLIP = 200
"""How many characters of one value, name or message an error shows."""

_BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
"""Bidirectional marks and overrides: stripped, so a name never displays reversed as another one."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""NUL, ESC and the other control characters (tab and line breaks are whitespace), and lone surrogates."""


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional marks and overrides (U+202E and its kin)."""
    return text.translate(_BIDI)


def unsafe_char(text: str) -> str | None:
    """The first control character (or lone surrogate) in ``text``, as ``U+001B``, or None if there is none."""
    match = _CONTROL.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def printable(text: str, limit: int = CLIP) -> str:
    """``text`` safe to show in one line of an error: control and bidi characters escaped, clipped to ``limit``."""
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(c if c.isprintable() or c == " " else
                   (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") for c in text)


def _safe_text(value: Any) -> Any:
    """Pack text: bidi controls stripped, control characters refused (they would reach terminals and chat)."""
    if not isinstance(value, str):
        return value
    bad = unsafe_char(value)
    if bad:
        raise ValueError(f"the text contains the control character {bad}, which is not allowed")
    return strip_bidi(value)


def _check_year(value: str) -> None:
    if not 1 <= int(value[:4]) <= 9999:
        raise ValueError(f"'{value}' has the year {value[:4]}; years run from 0001 to 9999")


@dataclass
class Problem:
    """One thing wrong in a pack: where (record, field) and what."""

    record: str
    field: str | None
    message: str

    def __str__(self) -> str:
        record, message = printable(self.record), printable(self.message, 4 * CLIP)
        where = record + (f", field '{printable(self.field)}'" if self.field else "")
        return f"{where}: {message}" if self.record else message


class PackError(Exception):
    """A pack that cannot be imported; ``str()`` is a one-paragraph explanation."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        super().__init__(self.paragraph())

    def paragraph(self, limit: int = 12) -> str:
        """All problems (up to ``limit``) in one paragraph that names the file.

        Line breaks inside a problem (a block-style title quoted in a record name) become spaces, and
        the path and the problems are kept verbatim (``..`` in a path stays).
        """
        count = len(self.problems)
        head = f"{self.path}: {count} problem{'s' if count != 1 else ''}, so nothing from this file was written."
        shown = " ".join(f"({i}) {' '.join(str(p).split()).removesuffix('.')}."
                         for i, p in enumerate(self.problems[:limit], 1))
        if len(shown) > 40 * CLIP:
            shown = shown[: 40 * CLIP - 1] + "\u2026"
        more = f" And {count - limit} more." if count > limit else ""
        return f"{head} {shown}{more}"


def _check_day(value: str) -> str:
    match = _DAY.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a date of the form YYYY-MM-DD")
    _check_year(value)
    try:
        dt.date(*map(int, match.groups()))
    except ValueError as exc:
        raise ValueError(f"'{value}' is an impossible date ({exc})") from None
    return value


def _check_day_or_month(value: str) -> str:
    match = _MONTH.match(value)
    if match:
        _check_year(value)
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


def _to_float(value: Any) -> Any:
    """An integer too large for a float is refused here, where pydantic would raise OverflowError."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise ValueError("the number is too large") from None
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), BeforeValidator(_safe_text)]


def _fits(column) -> Any:
    """Non-empty text no longer than the database ``column`` it is stored in (a String(n)).

    PostgreSQL refuses longer strings where SQLite keeps them; checking here makes such a file a
    PackError naming the record and field, the same on every backend.
    """
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=column.type.length),
                     BeforeValidator(_safe_text)]


SourceKey = _fits(Source.key)
"""A source reference: a source id, or a URL, which then becomes the source's key."""
Aliases = list[_fits(Alias.alias)]
Day = Annotated[str, AfterValidator(_check_day)]
DayOrMonth = Annotated[str, AfterValidator(_check_day_or_month)]
Number = Annotated[float, AfterValidator(_check_finite), BeforeValidator(_to_float)]
Count = Annotated[int, Field(gt=0, le=INT32_MAX)]
"""A number of tokens, stored in a 32-bit ``Integer`` column."""
Words = list[Text]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SourceIn(_Record):
    """A source that records cite by id."""

    id: _fits(Source.key)
    title: _fits(Source.title) | None = None
    publisher: _fits(Source.publisher) | None = None
    url: _fits(Source.url) | None = None
    published: Day | None = None


class OrganizationIn(_Record):
    """An organization; ``source`` and ``description``/``url`` are modelwire extensions."""

    name: _fits(Organization.name)
    aliases: Aliases = []
    parent: Text | None = None
    description: Text | None = None
    url: _fits(Organization.url) | None = None
    source: SourceKey | None = None


class PricingIn(_Record):
    """Prices in USD per million tokens."""

    input_per_mtok: Annotated[Number, Field(ge=0)] | None = None
    output_per_mtok: Annotated[Number, Field(ge=0)] | None = None


class ModelIn(_Record):
    """A model and its fielded facts."""

    name: _fits(Model.name)
    org: Text
    aliases: Aliases = []
    family: _fits(Model.family) | None = None
    released: DayOrMonth | None = None
    status: Annotated[Literal["announced", "preview", "released", "deprecated"],
                      BeforeValidator(_safe_text)] = "released"
    open_weights: bool | None = None
    license: _fits(Model.license) | None = None
    input_modalities: Words | None = None
    output_modalities: Words | None = None
    context_window: Count | None = None
    max_output_tokens: Count | None = None
    knowledge_cutoff: DayOrMonth | None = None
    reasoning: bool | None = None
    tool_calling: bool | None = None
    modes: Words | None = None
    pricing: PricingIn | None = None
    description: Text | None = None
    source: SourceKey | None = None


class BenchmarkIn(_Record):
    """A benchmark; ``source`` is a modelwire extension."""

    name: _fits(Benchmark.name)
    aliases: Aliases = []
    category: _fits(Benchmark.category) | None = None
    unit: _fits(Benchmark.unit) | None = None
    higher_is_better: bool = True
    description: Text | None = None
    url: _fits(Benchmark.url) | None = None
    source: SourceKey | None = None


class ScoreIn(_Record):
    """One result of a model on a benchmark."""

    model: Text
    benchmark: Text
    value: Number
    setting: _fits(Score.setting) | None = None
    date: Day | None = None
    source: SourceKey | None = None


class FactIn(_Record):
    """A statement about a model, organization or benchmark."""

    subject: Text
    text: Text
    topic: _fits(Fact.topic) | None = None
    source: SourceKey | None = None


class ReleaseIn(_Record):
    """A release record; it names a model, an organization or both."""

    model: Text | None = None
    org: Text | None = None
    date: Day
    title: _fits(Release.title)
    summary: Text | None = None
    url: _fits(Release.url) | None = None
    source: SourceKey | None = None

    @model_validator(mode="after")
    def _needs_subject(self) -> "ReleaseIn":
        if self.model is None and self.org is None:
            raise ValueError("a release needs a 'model' or an 'org'")
        return self


class PackIn(_Record):
    """A whole knowledge pack."""

    pack: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=Pack.id.type.length),
                    BeforeValidator(_safe_text)]
    title: _fits(Pack.title) | None = None
    sources: list[SourceIn] = []
    organizations: list[OrganizationIn] = []
    models: list[ModelIn] = []
    benchmarks: list[BenchmarkIn] = []
    scores: list[ScoreIn] = []
    facts: list[FactIn] = []
    releases: list[ReleaseIn] = []


class _Loader(yaml.SafeLoader):
    """Safe YAML read with the YAML 1.2 core schema's plain scalars, so nothing changes silently.

    Dates stay strings (impossible ones are reported, not raised). Only decimal integers and plain
    decimal floats are numbers: YAML 1.1's ``1:30`` (sexagesimal, 90), ``0x1F``, ``012`` (octal) and
    ``1_000`` stay text, which a numeric field then refuses. Only true/false are booleans (``yes``, ``on``
    stay text). A key given twice in one mapping, and nesting deeper than MAX_DEPTH, are errors.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"it nests deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"the key '{printable(key_node.value, 60)}' appears twice in one mapping",
                            key_node.start_mark)
                    seen.add(key_node.value)
        return super().construct_mapping(node, deep)


_KEEP = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag in _KEEP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _rx, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", (r"^(?:[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
                                 r"|[-+]?(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
     "-+0123456789."),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_rx), list(_first))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(ValueError):
    pass


def depth_of(data: Any) -> int:
    """How deeply ``data`` nests lists and mappings (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


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
            return json.loads(raw, object_pairs_hook=_no_duplicates)
        loader = _Loader(raw)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _DuplicateKey as exc:
        raise PackError(name, [Problem("", None, f"it is not a valid pack: the key '{printable(exc.args[0], 60)}' "
                                                  "appears twice in one object")]) from None
    except RecursionError:
        raise PackError(name, [Problem("", None, f"it nests deeper than {MAX_DEPTH} levels")]) from None
    except ValueError as exc:  # not a JSONDecodeError: an integer literal of more than 4300 digits
        if isinstance(exc, json.JSONDecodeError):
            where = f"line {exc.lineno}, column {exc.colno}"
            raise PackError(name, [Problem("", None, f"it is not valid JSON ({exc.msg} at {where})")]) from None
        raise PackError(name, [Problem("", None, "it holds a number of more than 4300 digits")]) from None
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
    return pack_from(read_document(path), str(path))


def pack_from(data: Any, label: str) -> PackIn:
    """Validate the shape of a pack document (as read from a file, or built by an importer)."""
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise PackError(label, [Problem("", None,
                        f"it is not a knowledge pack: expected a mapping with a 'pack' key, found a {kind}")])
    if depth_of(data) > MAX_DEPTH:
        raise PackError(label, [Problem("", None, f"it nests deeper than {MAX_DEPTH} levels")])
    try:
        return PackIn.model_validate(data)
    except RecursionError:
        raise PackError(label, [Problem("", None, f"it nests deeper than {MAX_DEPTH} levels")]) from None
    except ValidationError as exc:
        raise PackError(label, [_problem(data, err) for err in exc.errors()]) from None


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
        shown = "a number too large to show" if _huge(err["input"]) else repr(err["input"])
        message += f" (got {printable(shown, 80)})"
    return Problem(record, field, message)


def record_label(section: str, index: int, record: Any) -> str:
    """How a record is named in messages: its place and its name, e.g. ``scores[2] (Muse Spark / GPQA)``.

    Whitespace in the name is collapsed as validation strips it, so a block-style title reads the same
    in a shape problem as in a reference problem.
    """
    if isinstance(record, dict):
        keys = {"scores": ("model", "benchmark"), "facts": ("subject",), "releases": ("title",),
                "sources": ("id",)}.get(section, ("name",))
        parts = [" ".join(str(record[k])[: 2 * CLIP].split())[:80] for k in keys
                 if isinstance(record.get(k), (str, int, float)) and not _huge(record[k])]
        if parts:
            return f"{section}[{index}] ({' / '.join(parts)})"
    return f"{section}[{index}]"


def _huge(value: Any) -> bool:
    return isinstance(value, int) and abs(value) > 10**40


def _record_label(data: dict, loc: list) -> tuple[str, list]:
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(loc[0]), list):
        section, index = loc[0], loc[1]
        return record_label(section, index, data[section][index]), loc[2:]
    return "the pack", loc
