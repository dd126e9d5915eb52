"""Importing knowledge packs into the base (all or nothing, idempotent, merging) and exporting them.

Import happens in three steps: the file's shape is validated (``packformat``), its references are
resolved against the pack itself and the knowledge base already there, and only when both found no
problem is anything written, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.matching import AliasIndex, normalize
from knowledge.packformat import PackError, PackIn, Problem, parse_pack, record_label
from knowledge.schema import (
    Alias,
    Benchmark,
    Fact,
    Meta,
    Model,
    Organization,
    Pack,
    PackMember,
    Release,
    Score,
    Source,
)

ENTITY_TABLES = {"org": Organization, "model": Model, "benchmark": Benchmark}
SECTION_KIND = {"organizations": "org", "models": "model", "benchmarks": "benchmark"}
KIND_WORD = {"org": "organization", "model": "model", "benchmark": "benchmark"}


@dataclass
class ImportResult:
    """What one pack import did."""

    pack: str
    path: str
    counts: dict[str, int] = field(default_factory=dict)


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


class _Names:
    """Exact name/alias lookup over the knowledge base plus the pack being imported."""

    def __init__(self, session: Session, pack: PackIn):
        rows = session.execute(select(Alias.kind, Alias.entity_id, Alias.alias, Alias.is_name)).all()
        self.keys: dict[tuple[str, str], tuple[str, int | str]] = {
            (kind, norm): (kind, entity_id)
            for kind, entity_id, alias, _ in rows
            for norm in [normalize(alias)]
        }
        self.index_rows: list[tuple[str, int | str, str, bool]] = [tuple(r) for r in rows]
        self.source_keys = set(session.execute(select(Source.key)).scalars())
        self.pack_sources = {s.id for s in pack.sources}
        for section, kind in SECTION_KIND.items():
            for i, record in enumerate(getattr(pack, section)):
                for name in [record.name, *record.aliases]:
                    key = (kind, normalize(name))
                    self.keys.setdefault(key, (kind, f"new:{section}:{i}"))
                    self.index_rows.append((kind, f"new:{section}:{i}", name, name == record.name))
        self._index: AliasIndex | None = None

    def find(self, kind: str, name: str):
        return self.keys.get((kind, normalize(name)))

    def suggest(self, name: str, kinds: Iterable[str]) -> list[str]:
        if self._index is None:
            self._index = AliasIndex(self.index_rows)
        return self._index.suggest(name, kinds)


def _unknown(kind_words: str, name: str, suggestions: list[str]) -> str:
    hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    return f"unknown {kind_words} '{name}'{hint}"


def _check_references(pack: PackIn, names: _Names) -> list[Problem]:
    problems: list[Problem] = []

    def need(section, i, record, fld, kinds):
        value = getattr(record, fld)
        if value is None or any(names.find(k, value) for k in kinds):
            return
        words = " or ".join(KIND_WORD[k] for k in kinds)
        problems.append(Problem(record_label(section, i, record.model_dump()), fld,
                                _unknown(words, value, names.suggest(value, kinds))))

    for section in ("sources", "organizations", "models", "benchmarks", "scores", "facts", "releases"):
        for i, record in enumerate(getattr(pack, section)):
            label = record_label(section, i, record.model_dump())
            source = getattr(record, "source", None)
            if source and not (_is_url(source) or source in names.pack_sources or source in names.source_keys):
                known = sorted(names.pack_sources | names.source_keys)
                problems.append(Problem(label, "source", f"unknown source id '{source}' (known: "
                                        f"{', '.join(known) or 'none'}; or give a URL)"))
    for i, org in enumerate(pack.organizations):
        need("organizations", i, org, "parent", ["org"])
    for i, model in enumerate(pack.models):
        need("models", i, model, "org", ["org"])
    for i, score in enumerate(pack.scores):
        need("scores", i, score, "model", ["model"])
        need("scores", i, score, "benchmark", ["benchmark"])
    for i, fact in enumerate(pack.facts):
        need("facts", i, fact, "subject", ["model", "org", "benchmark"])
    for i, release in enumerate(pack.releases):
        need("releases", i, release, "model", ["model"])
        need("releases", i, release, "org", ["org"])
    problems.extend(_duplicates(pack, names))
    return problems


def _duplicates(pack: PackIn, names: _Names) -> list[Problem]:
    """Names declared twice in the pack, or one record whose names point at two known entities."""
    problems = []
    for section, kind in SECTION_KIND.items():
        seen: dict[str, int] = {}
        for i, record in enumerate(getattr(pack, section)):
            label = record_label(section, i, record.model_dump())
            hits = {}
            for name in [record.name, *record.aliases]:
                key = normalize(name)
                if not key:
                    problems.append(Problem(label, "name", f"'{name}' has no letters or digits"))
                    continue
                if seen.get(key, i) != i:
                    problems.append(Problem(label, "name", f"'{name}' is already declared by "
                                            f"{section}[{seen[key]}] of this pack"))
                seen[key] = i
                ref = names.find(kind, name)
                if ref and not str(ref[1]).startswith("new:"):
                    hits[ref] = name
            if len(hits) > 1:
                clash = " and ".join(f"'{n}'" for n in hits.values())
                problems.append(Problem(label, "aliases", f"{clash} are different known "
                                        f"{KIND_WORD[kind]}s; a record can merge into only one"))
    return problems


def validate_file(engine: Engine, path: Path) -> PackIn:
    """Check a pack against the knowledge base without writing; raise PackError on any problem."""
    pack = parse_pack(path)
    with Session(engine) as session:
        problems = _check_references(pack, _Names(session, pack))
    if problems:
        raise PackError(str(path), problems)
    return pack


def import_files(engine: Engine, paths: Iterable[Path], bundled: bool = False) -> list[ImportResult]:
    """Import packs in order, each all-or-nothing; the first bad one raises PackError."""
    return [import_file(engine, Path(p), bundled=bundled) for p in paths]


def import_file(engine: Engine, path: Path, bundled: bool = False) -> ImportResult:
    """Import one pack file in a single transaction, or raise PackError having written nothing."""
    pack = parse_pack(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with Session(engine) as session, session.begin():
        names = _Names(session, pack)
        problems = _check_references(pack, names)
        if problems:
            raise PackError(str(path), problems)
        writer = _Writer(session, pack)
        counts = writer.write(sha, bundled)
    return ImportResult(pack.pack, str(path), counts)


class _Writer:
    """Writes a validated pack: upserts by name/alias or natural key, then drops what it no longer holds."""

    def __init__(self, session: Session, pack: PackIn):
        self.s = session
        self.pack = pack
        self.pid = pack.pack
        self.sources: dict[str, int] = {}

    def write(self, sha: str, bundled: bool) -> dict[str, int]:
        s, pack = self.s, self.pack
        row = s.get(Pack, self.pid)
        if row is None:
            s.add(Pack(id=self.pid, title=pack.title, sha256=sha, bundled=bundled))
        else:
            row.title, row.sha256, row.bundled = pack.title, sha, bundled
            row.imported_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        s.flush()
        s.execute(delete(PackMember).where(PackMember.pack_id == self.pid))
        for src in pack.sources:
            self.sources[src.id] = self._upsert_source(src)
        orgs = [self._upsert_entity("org", o, self._org_fields(o)) for o in pack.organizations]
        for org_id, org in zip(orgs, pack.organizations):
            if org.parent:
                s.get(Organization, org_id).parent_id = self._ref("org", org.parent)
        for m in pack.models:
            self._upsert_entity("model", m, self._model_fields(m))
        for b in pack.benchmarks:
            self._upsert_entity("benchmark", b, self._benchmark_fields(b))
        counts = {
            "scores": self._sync_scores(),
            "facts": self._sync_facts(),
            "releases": self._sync_releases(),
        }
        self._drop_stale_aliases()
        _bump_version(s)
        counts.update(organizations=len(orgs), models=len(pack.models), benchmarks=len(pack.benchmarks),
                      sources=len(pack.sources))
        return counts

    # -- references ---------------------------------------------------------------------------

    def _ref(self, kind: str, name: str) -> int:
        key = normalize(name)
        return self.s.execute(select(Alias.entity_id).where(Alias.kind == kind, Alias.norm == key)).scalar_one()

    def _source(self, ref: str | None) -> int | None:
        if ref is None:
            return None
        if ref in self.sources:
            return self.sources[ref]
        found = self.s.execute(select(Source.id).where(Source.key == ref)).scalar()
        if found is None:
            row = Source(key=ref, url=ref)
            self.s.add(row)
            self.s.flush()
            found = row.id
        self.s.merge(PackMember(pack_id=self.pid, kind="source", entity_id=found))
        self.sources[ref] = found
        return found

    # -- entities -----------------------------------------------------------------------------

    def _upsert_source(self, src) -> int:
        row = self.s.execute(select(Source).where(Source.key == src.id)).scalar()
        values = dict(title=src.title, publisher=src.publisher, url=src.url,
                      published=dt.date.fromisoformat(src.published) if src.published else None)
        if row is None:
            row = Source(key=src.id, **values)
            self.s.add(row)
        else:
            for k, v in values.items():
                setattr(row, k, v)
        self.s.flush()
        self.s.merge(PackMember(pack_id=self.pid, kind="source", entity_id=row.id))
        return row.id

    def _upsert_entity(self, kind: str, record, values: dict) -> int:
        table = ENTITY_TABLES[kind]
        keys = [normalize(n) for n in [record.name, *record.aliases]]
        existing = self.s.execute(
            select(Alias.entity_id).where(Alias.kind == kind, Alias.norm.in_(keys))).scalars().first()
        given = {k: v for k, v in values.items() if v is not None}
        if existing is None:
            row = table(name=record.name, **given)
            self.s.add(row)
            self.s.flush()
            entity_id = row.id
        else:
            entity_id = existing
            self.s.execute(update(table).where(table.id == entity_id).values(**given))
        self.s.merge(PackMember(pack_id=self.pid, kind=kind, entity_id=entity_id))
        self._add_aliases(kind, entity_id, record.name, record.aliases, is_new=existing is None)
        return entity_id

    def _add_aliases(self, kind: str, entity_id: int, name: str, aliases: list[str], is_new: bool) -> None:
        known = set(self.s.execute(select(Alias.norm).where(Alias.kind == kind, Alias.entity_id == entity_id)
                                   ).scalars())
        for alias in [name, *aliases]:
            key = normalize(alias)
            if key in known:
                self.s.execute(update(Alias).where(Alias.kind == kind, Alias.norm == key, ~Alias.is_name)
                               .values(pack_id=self.pid))
                continue
            known.add(key)
            self.s.add(Alias(kind=kind, entity_id=entity_id, alias=alias, norm=key,
                             is_name=is_new and alias == name, pack_id=self.pid))
        self.s.flush()

    def _drop_stale_aliases(self) -> None:
        """Aliases this pack added earlier but no longer lists (display names are kept)."""
        declared = {(kind, normalize(n)) for section, kind in SECTION_KIND.items()
                    for r in getattr(self.pack, section) for n in [r.name, *r.aliases]}
        rows = self.s.execute(select(Alias.id, Alias.kind, Alias.norm)
                              .where(Alias.pack_id == self.pid, ~Alias.is_name)).all()
        stale = [i for i, kind, norm in rows if (kind, norm) not in declared]
        if stale:
            self.s.execute(delete(Alias).where(Alias.id.in_(stale)))

    def _org_fields(self, o) -> dict:
        return dict(description=o.description, url=o.url, source_id=self._source(o.source))

    def _model_fields(self, m) -> dict:
        pricing = m.pricing.model_dump(exclude_none=True) if m.pricing else None
        return dict(org_id=self._ref("org", m.org), family=m.family, released=m.released, status=m.status,
                    open_weights=m.open_weights, license=m.license, input_modalities=m.input_modalities,
                    output_modalities=m.output_modalities, context_window=m.context_window,
                    max_output_tokens=m.max_output_tokens, knowledge_cutoff=m.knowledge_cutoff,
                    reasoning=m.reasoning, modes=m.modes, pricing=pricing or None,
                    description=m.description, source_id=self._source(m.source))

    def _benchmark_fields(self, b) -> dict:
        return dict(category=b.category, unit=b.unit, higher_is_better=b.higher_is_better,
                    description=b.description, url=b.url, source_id=self._source(b.source))

    # -- leaf records -------------------------------------------------------------------------

    def _sync(self, table, records: list[tuple[tuple, dict]], key_columns: tuple[str, ...]) -> int:
        """Upsert rows by natural key, claiming them for this pack; delete this pack's rows not listed."""
        keep: set[int] = set()
        for key, values in records:
            where = [getattr(table, c) == v if v is not None else getattr(table, c).is_(None)
                     for c, v in zip(key_columns, key)]
            row = self.s.execute(select(table).where(*where)).scalars().first()
            if row is None:
                row = table(**{**dict(zip(key_columns, key)), **values, "pack_id": self.pid})
                self.s.add(row)
                self.s.flush()
            else:
                for k, v in {**values, "pack_id": self.pid}.items():
                    setattr(row, k, v)
            keep.add(row.id)
        self.s.flush()
        stale = delete(table).where(table.pack_id == self.pid)
        if keep:
            stale = stale.where(table.id.notin_(keep))
        self.s.execute(stale)
        return len(keep)

    def _sync_scores(self) -> int:
        records = []
        for sc in self.pack.scores:
            key = (self._ref("model", sc.model), self._ref("benchmark", sc.benchmark), sc.setting or "",
                   self._source(sc.source))
            records.append((key, dict(value=sc.value, date=_day(sc.date))))
        return self._sync(Score, records, ("model_id", "benchmark_id", "setting", "source_id"))

    def _sync_facts(self) -> int:
        records = []
        for f in self.pack.facts:
            kind, subject = self._subject(f.subject)
            key = (self.pid, kind, subject, f.text)
            records.append((key, dict(topic=f.topic, source_id=self._source(f.source))))
        return self._sync(Fact, records, ("pack_id", "subject_kind", "subject_id", "text"))

    def _subject(self, name: str) -> tuple[str, int]:
        key = normalize(name)
        for kind in ("model", "org", "benchmark"):
            found = self.s.execute(select(Alias.entity_id).where(Alias.kind == kind, Alias.norm == key)).scalar()
            if found is not None:
                return kind, found
        raise LookupError(name)  # unreachable: references were checked before writing

    def _sync_releases(self) -> int:
        records = []
        for r in self.pack.releases:
            model_id = self._ref("model", r.model) if r.model else None
            org_id = self._ref("org", r.org) if r.org else None
            if org_id is None:
                org_id = self.s.get(Model, model_id).org_id
            key = (self.pid, model_id, org_id, _day(r.date))
            records.append((key, dict(title=r.title, summary=r.summary, url=r.url,
                                      source_id=self._source(r.source))))
        return self._sync(Release, records, ("pack_id", "model_id", "org_id", "date"))


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _bump_version(session: Session) -> None:
    row = session.get(Meta, "version")
    if row is None:
        session.add(Meta(key="version", value="1"))
    else:
        row.value = str(int(row.value) + 1)


def kb_stats(engine: Engine) -> dict[str, int]:
    """How many records of each kind the knowledge base holds."""
    tables = {"packs": Pack, "sources": Source, "organizations": Organization, "models": Model,
              "benchmarks": Benchmark, "aliases": Alias, "scores": Score, "facts": Fact, "releases": Release}
    with Session(engine) as session:
        return {name: session.execute(select(func.count()).select_from(t)).scalar_one()
                for name, t in tables.items()}
