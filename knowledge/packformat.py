"""The knowledge-pack file format, version 1: reading YAML or JSON and validating its shape.

Problems are collected, never raised one by one, so a curator sees every mistake in a file at
once, each with the record and the field it is in.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

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
from pydantic_core import ErrorDetails

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
_HAS_BIDI = re.compile("[" + "".join(map(chr, _BIDI)) + "]")
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
    return strip_bidi(value) if _HAS_BIDI.search(value) else value


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


def _fits(column: Any) -> StringConstraints:
    """Non-empty text no longer than the database ``column`` it is stored in (a String(n)).

    PostgreSQL refuses longer strings where SQLite keeps them; checking here makes such a file a
    PackError naming the record and field, the same on every backend.
    """
    length: int = column.type.length
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=length)


SourceKey = Annotated[str, _fits(Source.key), BeforeValidator(_safe_text)]
"""A source reference: a source id, or a URL, which then becomes the source's key."""
SourceTitle = Annotated[str, _fits(Source.title), BeforeValidator(_safe_text)]
Publisher = Annotated[str, _fits(Source.publisher), BeforeValidator(_safe_text)]
SourceUrl = Annotated[str, _fits(Source.url), BeforeValidator(_safe_text)]
OrganizationName = Annotated[str, _fits(Organization.name), BeforeValidator(_safe_text)]
OrganizationUrl = Annotated[str, _fits(Organization.url), BeforeValidator(_safe_text)]
ModelName = Annotated[str, _fits(Model.name), BeforeValidator(_safe_text)]
Family = Annotated[str, _fits(Model.family), BeforeValidator(_safe_text)]
License = Annotated[str, _fits(Model.license), BeforeValidator(_safe_text)]
BenchmarkName = Annotated[str, _fits(Benchmark.name), BeforeValidator(_safe_text)]
Category = Annotated[str, _fits(Benchmark.category), BeforeValidator(_safe_text)]
Unit = Annotated[str, _fits(Benchmark.unit), BeforeValidator(_safe_text)]
BenchmarkUrl = Annotated[str, _fits(Benchmark.url), BeforeValidator(_safe_text)]
Setting = Annotated[str, _fits(Score.setting), BeforeValidator(_safe_text)]
Topic = Annotated[str, _fits(Fact.topic), BeforeValidator(_safe_text)]
ReleaseTitle = Annotated[str, _fits(Release.title), BeforeValidator(_safe_text)]
ReleaseUrl = Annotated[str, _fits(Release.url), BeforeValidator(_safe_text)]
PackTitle = Annotated[str, _fits(Pack.title), BeforeValidator(_safe_text)]
AliasText = Annotated[str, _fits(Alias.alias), BeforeValidator(_safe_text)]
Aliases = list[AliasText]
Day = Annotated[str, AfterValidator(_check_day)]
DayOrMonth = Annotated[str, AfterValidator(_check_day_or_month)]
Number = Annotated[float, AfterValidator(_check_finite), BeforeValidator(_to_float)]
Count = Annotated[int, Field(gt=0, le=INT32_MAX)]
"""A number of tokens, stored in a 32-bit ``Integer`` column."""
Words = list[Text]


ModelField = Literal["family", "released", "status", "open_weights", "license", "input_modalities",
                     "output_modalities", "context_window", "max_output_tokens", "knowledge_cutoff", "reasoning",
                     "tool_calling", "modes", "pricing", "description"]
"""The model fields whose source a pack may give one by one (``field_sources``)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SourceIn(_Record):
    """A source that records cite by id."""

    id: SourceKey
    title: SourceTitle | None = None
    publisher: Publisher | None = None
    url: SourceUrl | None = None
    published: Day | None = None


class OrganizationIn(_Record):
    """An organization; ``source`` and ``description``/``url`` are modelwire extensions."""

    name: OrganizationName
    aliases: Aliases = []
    parent: Text | None = None
    description: Text | None = None
    url: OrganizationUrl | None = None
    source: SourceKey | None = None


class PricingIn(_Record):
    """Prices in USD per million tokens."""

    input_per_mtok: Annotated[Number, Field(ge=0)] | None = None
    output_per_mtok: Annotated[Number, Field(ge=0)] | None = None


class ModelIn(_Record):
    """A model and its fielded facts."""

    name: ModelName
    org: Text
    aliases: Aliases = []
    family: Family | None = None
    released: DayOrMonth | None = None
    status: Annotated[Literal["announced", "preview", "released", "deprecated"],
                      BeforeValidator(_safe_text)] = "released"
    open_weights: bool | None = None
    license: License | None = None
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
    same_as: Text | None = None
    """The name or alias of a model already known (in this pack or the knowledge base) that this record
    is: it merges into that model, and its name becomes an alias."""
    field_sources: dict[ModelField, SourceKey] = {}
    """Per field, the source that states it when that is not the record's ``source``."""


class BenchmarkIn(_Record):
    """A benchmark; ``source`` is a modelwire extension."""

    name: BenchmarkName
    aliases: Aliases = []
    category: Category | None = None
    unit: Unit | None = None
    higher_is_better: bool = True
    description: Text | None = None
    url: BenchmarkUrl | None = None
    source: SourceKey | None = None


class ScoreIn(_Record):
    """One result of a model on a benchmark."""

    model: Text
    benchmark: Text
    value: Number
    setting: Setting | None = None
    date: Day | None = None
    source: SourceKey | None = None


class FactIn(_Record):
    """A statement about a model, organization or benchmark."""

    subject: Text
    text: Text
    topic: Topic | None = None
    source: SourceKey | None = None


class ReleaseIn(_Record):
    """A release record; it names a model, an organization or both."""

    model: Text | None = None
    org: Text | None = None
    date: Day
    title: ReleaseTitle
    summary: Text | None = None
    url: ReleaseUrl | None = None
    source: SourceKey | None = None

    @model_validator(mode="after")
    def _needs_subject(self) -> ReleaseIn:
        if self.model is None and self.org is None:
            raise ValueError("a release needs a 'model' or an 'org'")
        return self


class PackIn(_Record):
    """A whole knowledge pack."""

    pack: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=Pack.id.type.length),
                    BeforeValidator(_safe_text)]
    title: PackTitle | None = None
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
    raw = _read_text(path)
    try:
        if path.suffix.lower() == ".json":
            return json.loads(raw, object_pairs_hook=_no_duplicates)
        loader = _Loader(raw)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        raise _reading_error(name, exc) from None


def _reading_error(name: str, exc: Exception) -> PackError:
    """The PackError for a document that cannot be read as JSON or YAML."""
    if isinstance(exc, _DuplicateKey):
        return PackError(name, [Problem("", None, f"it is not a valid pack: the key '{printable(exc.args[0], 60)}' "
                                                  "appears twice in one object")])
    if isinstance(exc, RecursionError):
        return PackError(name, [Problem("", None, f"it nests deeper than {MAX_DEPTH} levels")])
    if isinstance(exc, json.JSONDecodeError):
        where = f"line {exc.lineno}, column {exc.colno}"
        return PackError(name, [Problem("", None, f"it is not valid JSON ({exc.msg} at {where})")])
    if isinstance(exc, ValueError):  # an integer literal of more than 4300 digits
        return PackError(name, [Problem("", None, "it holds a number of more than 4300 digits")])
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or "it cannot be parsed"
    return PackError(name, [Problem("", None, f"it is not valid YAML ({problem}{where})")])


def _read_text(path: Path) -> str:
    """The file's text; PackError when it cannot be read, is not UTF-8 or holds nothing."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PackError(str(path), [Problem("", None, "it is not a UTF-8 text file")]) from None
    except OSError as exc:
        raise PackError(str(path), [Problem("", None, f"it cannot be read ({exc.strerror})")]) from None
    if not raw.strip():
        raise PackError(str(path), [Problem("", None, "the file is empty")])
    return raw


def _check_text(path: Path, chunk: int = 1 << 20) -> None:
    """``_read_text``'s checks, reading the file in chunks instead of holding its text."""
    decoder, blank = codecs.getincrementaldecoder("utf-8")(), True
    try:
        with path.open("rb") as stream:
            while data := stream.read(chunk):
                blank = blank and not decoder.decode(data).strip()
            blank = blank and not decoder.decode(b"", final=True).strip()
    except UnicodeDecodeError:
        raise PackError(str(path), [Problem("", None, "it is not a UTF-8 text file")]) from None
    except OSError as exc:
        raise PackError(str(path), [Problem("", None, f"it cannot be read ({exc.strerror})")]) from None
    if blank:
        raise PackError(str(path), [Problem("", None, "the file is empty")])


class _NotStreamable(Exception):
    """The document is not a plain JSON object of sections: read it whole instead."""


_LIST = object()
"""The value of an entry that starts a section; its records follow as ``(section, index, record)``."""
_WHOLE = object()
"""The key of a document that is not a mapping, given whole."""
_SECTIONS: dict[str, type[BaseModel]] = {
    "sources": SourceIn, "organizations": OrganizationIn, "models": ModelIn, "benchmarks": BenchmarkIn,
    "scores": ScoreIn, "facts": FactIn, "releases": ReleaseIn}
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _after_space(raw: str, at: int) -> int:
    """The position of the first character at or after ``at`` that is not JSON whitespace."""
    match = _JSON_SPACE.match(raw, at)
    return match.end() if match else at


def _json_entries(raw: str):
    """The top-level entries of a JSON pack: ``(key, value)``, or ``(section, index, record)`` for each
    record of a section, one JSON value decoded at a time. Raises _NotStreamable on anything unusual
    (the caller then reads the file whole, which gives the usual error)."""
    decode = json.JSONDecoder(object_pairs_hook=_no_duplicates).raw_decode
    space = _after_space
    at = space(raw, 0)
    if raw[at : at + 1] != "{":
        raise _NotStreamable
    at = space(raw, at + 1)
    if raw[at : at + 1] == "}":
        at += 1
    while raw[at - 1 : at] != "}":
        try:
            if raw[at : at + 1] != '"':
                raise _NotStreamable
            key, at = decode(raw, at)
            at = space(raw, at)
            if raw[at : at + 1] != ":":
                raise _NotStreamable
            at = space(raw, at + 1)
            if key in _SECTIONS and raw[at : at + 1] == "[":
                yield key, _LIST
                at = yield from _json_records(raw, key, space(raw, at + 1), decode)
            else:
                value, at = decode(raw, at)
                yield key, value
        except json.JSONDecodeError:
            raise _NotStreamable from None
        at = space(raw, at)
        if raw[at : at + 1] not in (",", "}"):
            raise _NotStreamable
        at = space(raw, at + 1) if raw[at] == "," else at + 1
    if space(raw, at) != len(raw):
        raise _NotStreamable


def _json_records(raw: str, section: str, at: int, decode):
    """Yield each record of a JSON array starting at ``at``; return the position after it."""
    index = 0
    if raw[at : at + 1] == "]":
        return at + 1
    while True:
        record, at = decode(raw, at)
        yield section, index, record
        index += 1
        at = _after_space(raw, at)
        if raw[at : at + 1] == "]":
            return at + 1
        if raw[at : at + 1] != ",":
            raise _NotStreamable
        at = _after_space(raw, at + 1)


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_MERGE, _VALUE = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"
_PLAIN: dict[str, Callable[[str], Any]] = {
    "tag:yaml.org,2002:null": lambda v: None,
    "tag:yaml.org,2002:bool": lambda v: v.lower() == "true",
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": lambda v: {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf,
                                          ".nan": math.nan}.get(v.lower()) or float(v)}


class _Events:
    """Plain values from libyaml's parse events (``yaml.CSafeLoader``), by ``_Loader``'s rules.

    The same scalars are numbers, booleans and nulls (``_Loader``'s resolvers); a key twice in one
    mapping, an anchor defined twice and nesting deeper than MAX_DEPTH are errors; merge keys (``<<``)
    work as in PyYAML. Explicitly tagged scalars are built by PyYAML's SafeConstructor (so Python tags
    are refused as before); a tagged collection other than ``!!map`` or ``!!seq`` is refused.
    """

    def __init__(self, stream):
        self.parser = yaml.CSafeLoader(stream)
        self.get = self.parser.get_event
        self.anchors: dict[str, Any] = {}
        self.constructor = yaml.constructor.SafeConstructor()

    def close(self) -> None:
        self.parser.dispose()

    def next_is(self, kind) -> bool:
        return isinstance(self.parser.peek_event(), kind)

    def read(self, event, depth: int) -> Any:
        """The node that ``event`` starts, whole; ``depth`` counts it (the root is 1)."""
        if depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"it nests deeper than {MAX_DEPTH} levels",
                                              event.start_mark)
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            value = self.scalar(event)
        elif kind is yaml.AliasEvent:
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                                  event.start_mark)
            return self.anchors[event.anchor]
        elif kind is yaml.SequenceStartEvent:
            value = self.sequence(event, depth)
        else:
            value = self.mapping(event, depth)
        if event.anchor is not None:
            self.anchor(event, value)
        return value

    def anchor(self, event, value) -> None:
        if event.anchor in self.anchors:
            raise yaml.composer.ComposerError(None, None, f"found duplicate anchor {event.anchor!r}",
                                              event.start_mark)
        self.anchors[event.anchor] = value

    @staticmethod
    def collection_tag(event, default: str) -> None:
        if event.tag not in (None, "!", default):
            raise yaml.constructor.ConstructorError(None, None, f"the tag '{printable(event.tag, 60)}' is not "
                                                    "allowed in a pack", event.start_mark)

    def scalar(self, event) -> Any:
        value, tag = event.value, event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return value
            tag = _resolve(value)
            if tag == _STR:
                return value
            if tag in _PLAIN:
                return _PLAIN[tag](value)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        return self.constructor.construct_object(node, deep=True)

    def sequence(self, start, depth: int) -> list:
        self.collection_tag(start, _SEQ)
        items, get, deeper = [], self.get, depth + 1
        while (event := get()).__class__ is not yaml.SequenceEndEvent:
            items.append(self.read(event, deeper))
        return items

    def mapping(self, start, depth: int) -> dict:
        self.collection_tag(start, _MAP)
        own: dict = {}
        merged: dict | None = None
        seen: set[str] = set()
        get, deeper = self.get, depth + 1
        while (event := get()).__class__ is not yaml.MappingEndEvent:
            key, merge = self.key(event, seen, deeper)
            value_event = get()
            value = self.read(value_event, deeper)
            if merge:
                merged = self.merge_into(merged or {}, value, value_event.start_mark)
            else:
                own[key] = value
        return {**merged, **own} if merged else own

    def key(self, event, seen: set, depth: int) -> tuple[Any, bool]:
        """The mapping key ``event`` starts, and whether it is a merge key (``<<``)."""
        if event.__class__ is yaml.ScalarEvent:
            raw = event.value
            plain = event.tag in (None, "!") and event.implicit[0]
            if plain and raw == "<<":
                return None, True
            if raw in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{printable(raw, 60)}' appears twice in one mapping", event.start_mark)
            seen.add(raw)
            if plain and raw == "=":  # YAML's value key, read as the string "="
                return raw, False
        key = self.read(event, depth)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError("while constructing a mapping", None, "found unhashable key",
                                                    event.start_mark) from None
        return key, False

    @staticmethod
    def merge_into(merged: dict, value: Any, mark) -> dict:
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for part in reversed(value):
                merged.update(part)
        elif isinstance(value, dict):
            merged.update(value)
        else:
            raise yaml.constructor.ConstructorError("while constructing a mapping", None,
                                                    "expected a mapping or list of mappings for merging", mark)
        return merged


def _resolve(value: str) -> str:
    """The tag of a plain scalar, by ``_Loader``'s implicit resolvers."""
    for tag, regexp in _Loader.yaml_implicit_resolvers.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return _STR


def _yaml_entries(stream, name: str):
    """The top-level entries of a YAML pack, as ``_json_entries`` gives them; a document that is not
    a mapping is yielded whole under the key _WHOLE."""
    events = _Events(stream)
    try:
        events.get()  # StreamStart
        if events.next_is(yaml.StreamEndEvent):
            yield _WHOLE, None
            return
        events.get()  # DocumentStart
        root = events.get()
        if root.__class__ is not yaml.MappingStartEvent or root.anchor is not None:
            yield _WHOLE, events.read(root, 1)
        else:
            yield from _yaml_sections(events, root)
        events.get()  # DocumentEnd
        if not events.next_is(yaml.StreamEndEvent):
            raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                              "but found another document", events.parser.peek_event().start_mark)
    finally:
        events.close()


def _yaml_sections(events: _Events, root):
    """The root mapping's entries; the records of a section one by one."""
    events.collection_tag(root, _MAP)
    seen: set[str] = set()
    merged: dict = {}
    get = events.get
    while (event := get()).__class__ is not yaml.MappingEndEvent:
        key, merge = events.key(event, seen, 2)
        start = get()
        if merge:
            events.merge_into(merged, events.read(start, 2), start.start_mark)
        elif (key in _SECTIONS and start.__class__ is yaml.SequenceStartEvent and start.anchor is None
              and start.tag in (None, "!", _SEQ)):
            yield key, _LIST
            index = 0
            while (item := get()).__class__ is not yaml.SequenceEndEvent:
                yield key, index, events.read(item, 3)
                index += 1
        else:
            yield key, events.read(start, 2)
    for key, value in merged.items():
        if key not in seen:
            yield key, value


class ScoreRecord(NamedTuple):
    """A validated score kept as a tuple (a pack may hold a million): ``ScoreIn``'s fields."""

    model: str
    benchmark: str
    value: float
    setting: str | None
    date: str | None
    source: str | None

    def model_dump(self) -> dict:
        """The record's fields, as pydantic's ``model_dump`` gives them."""
        return self._asdict()


class FactRecord(NamedTuple):
    """A validated fact kept as a tuple: ``FactIn``'s fields."""

    subject: str
    text: str
    topic: str | None
    source: str | None

    def model_dump(self) -> dict:
        """The record's fields, as pydantic's ``model_dump`` gives them."""
        return self._asdict()


_SLIM: dict[str, tuple[type[ScoreRecord] | type[FactRecord], set[str]]] = {
    "scores": (ScoreRecord, {"model", "benchmark", "setting", "date", "source"}),
    "facts": (FactRecord, {"subject", "topic", "source"})}
"""Sections kept as tuples, and their fields whose values repeat (one string object is kept for each)."""


class _PackBuilder:
    """Validates a pack's records as they are read and keeps only the validated records."""

    def __init__(self, label: str, check_depth: bool):
        self.label = label
        self.check_depth = check_depth
        """Whether to measure nesting (libyaml's events are counted as they are read)."""
        self.top: dict = {}
        self.records: dict[str, list] = {}
        self.problems: dict[str, list[Problem]] = {}
        self.strings: dict[str, str] = {}

    def add(self, entry: tuple) -> None:
        """One entry of ``_json_entries`` or ``_yaml_entries``."""
        if len(entry) == 3:
            self.record(*entry)
        elif entry[1] is _LIST:
            if entry[0] in self.records:
                raise _DuplicateKey(entry[0])
            self.records[entry[0]], self.problems[entry[0]] = [], []
        else:
            key, value = entry
            if key in self.top or key in self.records:
                raise _DuplicateKey(key)
            if self.check_depth and _deeper(value, MAX_DEPTH - 1):
                raise PackError(self.label, [Problem("", None, f"it nests deeper than {MAX_DEPTH} levels")])
            self.top[key] = value

    def record(self, section: str, index: int, record: Any) -> None:
        if self.check_depth and _deeper(record, MAX_DEPTH - 2):
            raise PackError(self.label, [Problem("", None, f"it nests deeper than {MAX_DEPTH} levels")])
        try:
            validated = _SECTIONS[section].model_validate(record)
        except ValidationError as exc:
            label = record_label(section, index, record)
            self.problems[section].extend(_problem_in(label, list(err["loc"]), err) for err in exc.errors())
            return
        self.records[section].append(self.slim(section, validated))

    def slim(self, section: str, validated: BaseModel):
        if section not in _SLIM:
            return validated
        kind, repeated = _SLIM[section]
        share = self.strings.setdefault
        return kind._make(share(v, v) if k in repeated and v is not None else v for k, v in validated.__dict__.items())

    def finish(self) -> PackIn:
        """The validated pack, or PackError with every problem in the order ``pack_from`` gives them."""
        if _WHOLE in self.top:
            return pack_from(self.top[_WHOLE], self.label)
        try:
            head = dict(PackIn.model_validate(self.top))
            errors: list[ErrorDetails] = []
        except ValidationError as exc:
            head, errors = {}, exc.errors()
        problems = []
        for name in PackIn.model_fields:
            problems += [_problem(self.top, e) for e in errors if e["loc"][0] == name]
            problems += self.problems.get(name, [])
        problems += [_problem(self.top, e) for e in errors if e["loc"][0] not in PackIn.model_fields]
        if problems:
            raise PackError(self.label, problems)
        return PackIn.model_construct(**{**head, **self.records})


def _deeper(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and mappings more than ``limit`` levels (``depth_of(value) > limit``)."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return False
    if limit < 1:
        return True
    return any(_deeper(v, limit - 1) for v in value if isinstance(v, (dict, list)))


def _streamed(entries, label: str, progress=None, check_depth: bool = False) -> PackIn:
    builder = _PackBuilder(label, check_depth)
    try:
        for entry in entries:
            builder.add(entry)
            if progress and len(entry) == 3 and entry[1] % 1000 == 999:
                progress(f"reading {entry[0]}", entry[1] + 1, None)
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        raise _reading_error(label, exc) from None
    return builder.finish()


def parse_pack(path: Path, progress=None) -> PackIn:
    """Read and validate the shape of one pack file; raise PackError listing every problem.

    The file is read record by record (libyaml's events, or one JSON value at a time) and each record
    is validated as it comes, so the whole document tree never exists at once. Anything that is not
    a mapping of sections falls back to ``read_document`` and ``pack_from``, with the same messages.
    ``progress(stage, done, None)`` is told how many records of each section were read.
    """
    name = str(path)
    if path.suffix.lower() == ".json":
        raw = _read_text(path)
        try:
            return _streamed(_json_entries(raw), name, progress, check_depth=True)
        except _NotStreamable:
            return pack_from(read_document(path), name)
    _check_text(path)
    with path.open("rb") as stream:
        return _streamed(_yaml_entries(stream, name), name, progress)


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


def _problem(data: dict, err: ErrorDetails) -> Problem:
    record, rest = _record_label(data, list(err["loc"]))
    return _problem_in(record, rest, err)


def _problem_in(record: str, rest: list, err: ErrorDetails) -> Problem:
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
