"""The models.dev catalogue (provider-agnostic ``models.json``) as a knowledge-pack document.

The input is one JSON object keyed by ``lab/model-id``. Labs become organizations with display names,
entries become models (their ids become aliases), benchmark results become benchmarks and scores, and
what the pack format has no field for (links, weights, extra prices) becomes facts; tool calling is both a
field and a fact.

A bad entry (a wrong type, an impossible date, a count beyond the database's columns, a control
character, an entry that is not an object) is left out with an ``entry-skipped`` notice naming it, the
field and the problem, so one bad entry never blocks the rest; data that is not a catalogue at all (not
an object, or no entry in it that reads as one) raises ``ModelsDevError``. Messy but valid data
(missing fields, nulls, spelling variants, repeated scores) is converted, and what was left out is
reported as ``Notice`` records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from knowledge.importers.benchmarks import BenchmarkGroup, benchmark_key, lower_is_better, split_version, unit_of
from knowledge.importers.labs import LAB_ALIASES, lab_name
from knowledge.importers.reader import BadValue, Entry, ModelsDevError, is_url, key_of, load_object
from knowledge.matching import normalize
from knowledge.packformat import PackIn, printable

__all__ = ["PACK_ID", "SOURCE_ID", "Conversion", "ModelsDevError", "Notice", "convert", "parse"]

PACK_ID = "models-dev"
"""The pack id of the converted catalogue (pack ids are ``[a-z0-9-]+``, so not "models.dev")."""
SOURCE_ID = "models.dev"
"""The source every record of the pack cites unless a benchmark result names its own."""

_STATUS = {"deprecated": "deprecated", "retired": "deprecated", "beta": "preview", "alpha": "preview",
           "preview": "preview", "experimental": "preview", "announced": "announced",
           "coming-soon": "announced", "coming_soon": "announced", "active": "released",
           "released": "released", "stable": "released", "ga": "released"}
_PRICE_FIELDS = {"input": "input_per_mtok", "output": "output_per_mtok"}
_SETTING_MAX = 300
_SOURCE_KEY_MAX = 300

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """Something of the data that was left out or changed on the way, e.g. a benchmark without a score."""

    kind: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass
class Conversion:
    """A converted catalogue: the pack document and the notices of what was left out."""

    pack: dict
    notices: list[Notice] = field(default_factory=list)

    def counts(self) -> Counter:
        """How many notices of each kind, e.g. ``{"score-without-value": 3}``."""
        return Counter(n.kind for n in self.notices)


def parse(raw: bytes | str | dict, *, source_url: str, fetched: dt.date) -> dict:
    """The models.dev catalogue ``raw`` as a pack document (a dict that ``knowledge.packformat`` accepts).

    ``source_url`` is where the data came from and ``fetched`` the day it was fetched. Notices are
    logged as one warning with their counts; use ``convert`` to get them. Raises ModelsDevError.
    """
    result = convert(raw, source_url=source_url, fetched=fetched)
    if result.notices:
        summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(result.counts().items()))
        log.warning("models.dev: %d records left out or changed (%s)", len(result.notices), summary)
    return result.pack


def convert(raw: bytes | str | dict, *, source_url: str, fetched: dt.date) -> Conversion:
    """Like ``parse``, but also returns the notices; raises ModelsDevError, returning nothing partial.

    Every entry is first read on its own: one that cannot be converted (a value of the wrong type or one
    the knowledge base cannot hold, an entry that is not an object, a key that names no lab) is left out
    with an ``entry-skipped`` notice naming its key, the field and the problem, and a logged warning; the
    others are converted. An entry that reads alone but not with the others (its name and ids all taken)
    is left out the same way. Only data that is not a catalogue at all raises: not a JSON object, no
    entries, or no entry that reads as a catalogue entry.
    """
    data = load_object(raw)
    if not data:
        raise ModelsDevError("models.dev data holds no entries")
    entries, skipped, readable = _read_entries(data, source_url, fetched)
    if not readable:
        raise ModelsDevError(f"models.dev data holds no entry that reads as a catalogue entry ({len(skipped)} "
                             f"left out; the first: {printable(skipped[0].message, 300)})")
    while True:
        try:
            document, notices = _build(entries, source_url, fetched)
        except ModelsDevError as exc:
            bad = next((entry for entry in entries if entry.key == exc.key), None)
            if bad is None:
                raise
            entries.remove(bad)
            skipped.append(_skipped(bad.key, exc))
            continue
        for notice in skipped:
            log.warning("models.dev: entry %s", notice)
        return Conversion(document, skipped + notices)


def _read_entries(data: dict, source_url: str, fetched: dt.date) -> tuple[list[Entry], list[Notice], bool]:
    """The entries that convert on their own, the notices of those that do not, and whether any entry
    reads as catalogue data (one left out only for a value the knowledge base cannot hold does)."""
    entries, skipped, readable = [], [], False
    for key, value in data.items():
        try:
            entry = Entry.of(key, value)
            _trial(entry, source_url, fetched)
        except ModelsDevError as exc:
            readable = readable or isinstance(exc, BadValue)
            skipped.append(_skipped(key_of(key), exc))
            continue
        entries.append(entry)
        readable = True
    return entries, skipped, readable


def _skipped(key: str, exc: ModelsDevError) -> Notice:
    return Notice("entry-skipped", printable(key, 80), printable(f"left out: {exc}", 600))


def _build(entries: list[Entry], source_url: str, fetched: dt.date) -> tuple[dict, list[Notice]]:
    """The pack document of ``entries`` and its notices; a ModelsDevError names the entry at fault."""
    builder = _Builder(source_url, fetched)
    builder.add_organizations(entries)
    builder.reserve_names(entries)
    for entry in entries:
        builder.add_model(entry)
    document = builder.document()
    _check(document, builder.origins)
    return document, builder.notices


def _trial(entry: Entry, source_url: str, fetched: dt.date) -> None:
    """Convert one entry alone, so that a problem of its own is found before it is mixed with the others."""
    try:
        _build([entry], source_url, fetched)
    except ModelsDevError as exc:
        exc.key = entry.key
        raise
    except RecursionError:
        raise BadValue(f"models.dev entry '{printable(entry.key, 80)}': it nests too deeply", entry.key) from None


class _Builder:
    """Collects the pack's records while entries are read; ``document()`` assembles them."""

    def __init__(self, source_url: str, fetched: dt.date):
        self.fetched = fetched
        self.sources: dict[str, dict] = {SOURCE_ID: {
            "id": SOURCE_ID, "title": "models.dev, an open database of AI model specifications",
            "publisher": "models.dev", "url": source_url, "published": fetched.isoformat()}}
        self.orgs: dict[str, dict] = {}
        self.org_of_lab: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.same_as: dict[str, str] = {}
        self.model_index: dict[str, int] = {}
        self.taken: dict[str, str] = {}
        self.models: list[dict] = []
        self.groups: dict[tuple[str, str], BenchmarkGroup] = {}
        self.results: list[dict] = []
        self.seen_results: set[tuple] = set()
        self.facts: list[dict] = []
        self.notices: list[Notice] = []
        self.origins: dict[tuple[str | int, ...], str] = {}

    def note(self, kind: str, key: str, message: str) -> None:
        self.notices.append(Notice(kind, key, message))

    # -- organizations and names ---------------------------------------------------------------

    def add_organizations(self, entries: list[Entry]) -> None:
        """One organization per display name; the lab ids found under it become its aliases."""
        by_norm: dict[str, dict] = {}
        for entry in entries:
            name = lab_name(entry.lab)
            org = by_norm.setdefault(normalize(name), {"name": name, "aliases": []})
            self.org_of_lab[entry.lab] = org["name"]
            known = {normalize(n) for n in [name, *org["aliases"]]}
            for alias in [entry.lab, *LAB_ALIASES.get(name, [])]:
                if normalize(alias) not in known:
                    known.add(normalize(alias))
                    org["aliases"].append(alias)
        self.orgs = {org["name"]: org for org in by_norm.values()}

    def reserve_names(self, entries: list[Entry]) -> None:
        """Give every entry a model name no other entry has (before aliases, so a name wins over an alias).

        An entry with the model id of an earlier one under the same organization (``zai/x`` after
        ``zhipuai/x``) is the same model: it gets that model's name and is merged into it.
        """
        firsts: dict[tuple[str, str], str] = {}
        for entry in entries:
            identity = (self.org_of_lab[entry.lab], normalize(entry.model_id))
            first = firsts.setdefault(identity, entry.key)
            if first != entry.key:
                self.same_as[entry.key] = first
                continue
            display = entry.text("name") or entry.model_id
            name = self._free_name(entry, display if normalize(display) else entry.model_id)
            self.names[entry.key] = name
            self.taken[normalize(name)] = entry.key

    def _free_name(self, entry: Entry, display: str) -> str:
        owner = self.taken.get(normalize(display))
        if owner is None:
            return display
        for candidate in (f"{display} ({entry.model_id})", f"{display} ({entry.key})"):
            if normalize(candidate) not in self.taken:
                self.note("renamed", entry.key, f"name '{display}' is also the name of '{owner}'; "
                          f"named '{candidate}'")
                return candidate
        raise ModelsDevError(f"models.dev entry '{printable(entry.key, 80)}': its name '{printable(display, 80)}' "
                             f"and its ids are already used by entry '{printable(owner, 80)}'", entry.key)

    def _aliases(self, entry: Entry, model_key: str | None = None) -> list[str]:
        """The entry's ids as aliases of the model of ``model_key`` (its own by default), unless another has them."""
        model_key = model_key or entry.key
        aliases = []
        for alias in (entry.model_id, entry.key):
            owner = self.taken.setdefault(normalize(alias), model_key)
            if owner != model_key:
                self.note("alias-dropped", entry.key, f"alias '{alias}' already names '{owner}'")
            elif alias not in aliases:
                aliases.append(alias)
        return aliases

    # -- models --------------------------------------------------------------------------------

    def add_model(self, entry: Entry) -> None:
        """The model record of one entry, its facts and its benchmark results."""
        if entry.key in self.same_as:
            self._merge_into(entry, self.same_as[entry.key])
            return
        name = self.names[entry.key]
        limit = entry.object("limit")
        modalities = entry.object("modalities")
        model = {
            "name": name,
            "org": self.org_of_lab[entry.lab],
            "aliases": self._aliases(entry),
            "family": entry.text("family"),
            "released": entry.date("release_date", month_ok=True),
            "status": self._status(entry),
            "open_weights": entry.flag("open_weights"),
            "license": entry.text("license"),
            "input_modalities": entry.words("modalities.input", modalities.get("input")),
            "output_modalities": entry.words("modalities.output", modalities.get("output")),
            "context_window": entry.count("limit.context", limit.get("context")),
            "max_output_tokens": entry.count("limit.output", limit.get("output")),
            "knowledge_cutoff": entry.date("knowledge", month_ok=True),
            "reasoning": entry.flag("reasoning"),
            "tool_calling": entry.flag("tool_call"),
            "pricing": self._pricing(entry, name),
            "source": SOURCE_ID,
        }
        self.origins[("models", len(self.models))] = entry.key
        self.model_index[entry.key] = len(self.models)
        self.models.append({k: v for k, v in model.items() if v is not None})
        self._model_facts(entry, name, limit)
        for index, item in enumerate(entry.items("benchmarks")):
            self._add_result(entry, name, index, item)

    def _merge_into(self, entry: Entry, first: str) -> None:
        """A second entry of one model adds its key as an alias and its benchmark results; its fields are not read."""
        model = self.models[self.model_index[first]]
        model["aliases"] += [a for a in self._aliases(entry, first) if a not in model["aliases"]]
        self.note("merged", entry.key, f"same model as '{first}'; its benchmark results were added to it")
        for index, item in enumerate(entry.items("benchmarks")):
            self._add_result(entry, model["name"], index, item)

    def _status(self, entry: Entry) -> str | None:
        status = entry.text("status")
        if status is None:
            return None
        mapped = _STATUS.get(status.lower())
        if mapped is None:
            self.note("unknown-status", entry.key, f"status '{status}' is not known; left out")
        return mapped

    def _pricing(self, entry: Entry, name: str) -> dict | None:
        cost = entry.object("cost")
        pricing, others = {}, []
        for label, value in entry.prices("cost", cost):
            if label in _PRICE_FIELDS:
                pricing[_PRICE_FIELDS[label]] = value
            else:
                others.append(f"{label.replace('_', ' ')} {value:g}")
        if others:
            self._fact(entry, name, f"Other prices, USD per million tokens: {', '.join(others)}.", "pricing")
        return pricing or None

    def _model_facts(self, entry: Entry, name: str, limit: dict) -> None:
        tool_call = entry.flag("tool_call")
        if tool_call is not None:
            text = "Supports tool calling." if tool_call else "Does not support tool calling."
            self._fact(entry, name, text, "capabilities")
        max_input = entry.count("limit.input", limit.get("input"))
        if max_input:
            self._fact(entry, name, f"Accepts up to {max_input:,} input tokens.", "limits")
        updated = entry.date("last_updated", month_ok=True)
        if updated:
            self._fact(entry, name, f"Its models.dev entry was last updated on {updated}.", "updates")
        for topic, word in (("links", "Link"), ("weights", "Weights")):
            for label, value in entry.links(topic):
                text = f"{word} ({label}): {value}" if label else f"{word}: {value}"
                source = value if is_url(value) and len(value) <= _SOURCE_KEY_MAX else SOURCE_ID
                self._fact(entry, name, text, topic, source)

    def _fact(self, entry: Entry, subject: str, text: str, topic: str, source: str = SOURCE_ID) -> None:
        self.origins[("facts", len(self.facts))] = entry.key
        self.facts.append({"subject": subject, "text": text, "topic": topic, "source": source})

    # -- benchmarks and scores -----------------------------------------------------------------

    def _add_result(self, entry: Entry, model: str, index: int, item: Entry) -> None:
        bench = item.text("name")
        if bench is None:
            raise ModelsDevError(f"models.dev entry '{printable(entry.key, 80)}', field 'benchmarks[{index}].name': "
                                 "a benchmark needs a name", entry.key)
        value = item.number("score")
        if value is None:
            self.note("score-without-value", entry.key, f"benchmark '{bench}' has no score; left out")
            return
        base, version = split_version(bench, item.text("version"))
        metric = item.text("metric")
        key = benchmark_key(base, version)
        group = self.groups.setdefault(key, BenchmarkGroup(key))
        group.add(base, version, metric)
        result = {"model": model, "benchmark": key, "value": value, "setting": _setting(item, metric),
                  "date": self._day(entry, item, bench), "source": self._result_source(entry, item)}
        identity = tuple(result.values())
        if identity in self.seen_results:
            self.note("duplicate-score", entry.key, f"benchmark '{bench}' lists the same score twice; kept once")
            return
        self.seen_results.add(identity)
        self.origins[("scores", len(self.results))] = entry.key
        self.results.append(result)

    def _day(self, entry: Entry, item: Entry, bench: str) -> str | None:
        day = item.date("date", month_ok=True)
        if day and len(day) == 7:
            self.note("score-date-month", entry.key, f"benchmark '{bench}' date {day} is not a day; left out")
            return None
        return day

    def _result_source(self, entry: Entry, item: Entry) -> str:
        """The source id a result cites: its URL, a source record for its title, or models.dev."""
        ref = item.text("source")
        if ref is None:
            return SOURCE_ID
        if is_url(ref):
            if len(ref) <= _SOURCE_KEY_MAX:
                return ref
            return self._declare_source(f"{SOURCE_ID}: {_digest(ref)}", {"url": ref})
        key = f"{SOURCE_ID}: {ref}" if len(ref) <= 250 else f"{SOURCE_ID}: {ref[:230]}… {_digest(ref)}"
        return self._declare_source(key, {"title": ref[:500]})

    def _declare_source(self, key: str, fields: dict) -> str:
        self.sources.setdefault(key, {"id": key, **fields})
        return key

    # -- the document --------------------------------------------------------------------------

    def document(self) -> dict:
        """The pack document of everything collected."""
        benchmarks = [_benchmark(group) for group in self.groups.values()]
        scores = [{k: v for k, v in {**r, "benchmark": self.groups[r["benchmark"]].name}.items()
                   if v is not None} for r in self.results]
        return {
            "pack": PACK_ID,
            "title": f"models.dev catalogue, fetched {self.fetched.isoformat()}",
            "sources": list(self.sources.values()),
            "organizations": list(self.orgs.values()),
            "models": self.models,
            "benchmarks": benchmarks,
            "scores": scores,
            "facts": self.facts,
        }


def _benchmark(group: BenchmarkGroup) -> dict:
    record: dict[str, Any] = {"name": group.name, "aliases": group.aliases, "unit": unit_of(group.metric)}
    if lower_is_better(group.metric):
        record["higher_is_better"] = False
    return {k: v for k, v in record.items() if v is not None}


def _setting(item: Entry, metric: str | None) -> str | None:
    """What a result was measured in: variant, harness, dataset, and the metric when it is not a plain unit."""
    parts = [item.text("variant")]
    parts += [f"{label}: {value}" for label in ("harness", "dataset") if (value := item.text(label))]
    if metric and (unit_of(metric) is None or metric.lower().startswith("pass@")):
        parts.append(metric)
    text = ", ".join(p for p in parts if p)
    return text[: _SETTING_MAX - 1] + "…" if len(text) > _SETTING_MAX else text or None


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _check(document: dict, origins: dict[tuple[str | int, ...], str]) -> None:
    """Validate the document as a pack; the first problem becomes a BadValue naming the entry."""
    try:
        PackIn.model_validate(document)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        where = origins.get(tuple(loc[:2]))
        fld = ".".join(str(p) for p in loc[2:]) or "?"
        subject = f"entry '{printable(where, 80)}'" if where else f"{'.'.join(str(p) for p in loc[:2])}"
        message = err["msg"].removeprefix("Value error, ")
        raise BadValue(f"models.dev {subject}: its {loc[0]} record does not fit a knowledge pack, "
                             f"field '{printable(fld, 80)}': {printable(message, 300)} "
                             f"(got {_short(err.get('input'))})", where) from None


def _short(value: Any) -> str:
    if isinstance(value, int) and abs(value) > 10**40:
        return "a number of more than 40 digits"
    text = repr(value)
    return printable(text if len(text) <= 60 else text[:57] + "...", 60)
