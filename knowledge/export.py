"""Exporting the knowledge base, or one pack, as a pack document that imports back to the same data."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.packs import ENTITY_TABLES
from knowledge.schema import Alias, Benchmark, Fact, Model, Organization, Pack, PackMember, Release, Score, Source

Entity = TypeVar("Entity", Organization, Model, Benchmark)

MODEL_FIELDS = ("family", "released", "status", "open_weights", "license", "input_modalities",
                "output_modalities", "context_window", "max_output_tokens", "knowledge_cutoff",
                "reasoning", "tool_calling", "modes", "pricing", "description")


def export_pack(engine: Engine, pack_id: str | None = None) -> dict[str, Any]:
    """A pack document: one pack's records (and everything they reference), or the whole base."""
    with Session(engine) as session:
        return _Exporter(session, pack_id).document()


class _Exporter:
    def __init__(self, session: Session, pack_id: str | None):
        self.s = session
        self.pack_id = pack_id
        self.wanted: dict[str, set[int]] = {"org": set(), "model": set(), "benchmark": set(), "source": set()}
        self.names: dict[tuple[str, int], str] = {}
        self.source_keys = dict(session.execute(select(Source.id, Source.key)).all())

    def _rows(self, table, kind: str):
        query = select(table).order_by(table.id)
        if self.pack_id is not None:
            query = query.where(table.id.in_(select(PackMember.entity_id).where(
                PackMember.pack_id == self.pack_id, PackMember.kind == kind)))
        return self.s.execute(query).scalars().all()

    def document(self) -> dict[str, Any]:
        if self.pack_id is not None:
            pack = self.s.get(Pack, self.pack_id)
            if pack is None:
                raise LookupError(self.pack_id)
            members = self.s.execute(select(PackMember).where(PackMember.pack_id == self.pack_id)).scalars()
            for m in members:
                if m.kind in self.wanted:
                    self.wanted[m.kind].add(m.entity_id)
            title = pack.title
        else:
            for kind, table in [*ENTITY_TABLES.items(), ("source", Source)]:
                self.wanted[kind].update(self.s.execute(select(table.id)).scalars())
            title = "Full knowledge base export"
        scores, facts, releases = self._rows(Score, "score"), self._rows(Fact, "fact"), self._rows(Release, "release")
        self._want_referenced(scores, facts, releases)
        doc: dict[str, Any] = {"pack": self.pack_id or "modelwire-export"}
        if title:
            doc["title"] = title
        sections = {
            "sources": self._sources(),
            "organizations": self._orgs(),
            "models": self._models(),
            "benchmarks": self._benchmarks(),
            "scores": [self._score(r) for r in scores],
            "facts": [self._fact(r) for r in facts],
            "releases": [self._release(r) for r in releases],
        }
        doc.update({k: v for k, v in sections.items() if v})
        return doc

    def _want_referenced(self, scores, facts, releases) -> None:
        for r in scores:
            self.wanted["model"].add(r.model_id)
            self.wanted["benchmark"].add(r.benchmark_id)
        for r in facts:
            self.wanted[r.subject_kind].add(r.subject_id)
        for r in releases:
            if r.model_id:
                self.wanted["model"].add(r.model_id)
            if r.org_id:
                self.wanted["org"].add(r.org_id)
        for model in self.s.execute(select(Model).where(Model.id.in_(self.wanted["model"]))).scalars():
            self.wanted["org"].add(model.org_id)
        pending = set(self.wanted["org"])
        while pending:
            parents = {parent for parent in self.s.execute(select(Organization.parent_id).where(
                Organization.id.in_(pending), Organization.parent_id.isnot(None))).scalars() if parent is not None}
            pending = parents - self.wanted["org"]
            self.wanted["org"] |= pending
        for kind, table in ENTITY_TABLES.items():
            rows = self.s.execute(select(table.id, table.source_id).where(table.id.in_(self.wanted[kind])))
            self.wanted["source"].update(src for _, src in rows if src)
        for rows in (scores, facts, releases):
            self.wanted["source"].update(r.source_id for r in rows if r.source_id)

    def _cite(self, source_id: int | None) -> str | None:
        return self.source_keys.get(source_id) if source_id else None

    def _entities(self, table: type[Entity], kind: str) -> list[tuple[Entity, list[str]]]:
        """The wanted entities of ``kind`` (stored in ``table``) by name and their aliases.

        Sorted in Python (code-point order), not by the database, whose collation may differ
        (PostgreSQL with a linguistic locale puts "Gemini" before "GPT", SQLite after): the same
        data must export to the same document on every backend.
        """
        found = self.s.execute(select(table).where(table.id.in_(self.wanted[kind]))).scalars()
        rows = sorted(found, key=lambda row: (row.name, row.id))
        aliases: dict[int, list[str]] = {}
        for entity_id, alias in self.s.execute(select(Alias.entity_id, Alias.alias).where(
                Alias.kind == kind, ~Alias.is_name, Alias.entity_id.in_(self.wanted[kind])).order_by(Alias.id)):
            aliases.setdefault(entity_id, []).append(alias)
        for row in rows:
            self.names[(kind, row.id)] = row.name
        return [(row, aliases.get(row.id, [])) for row in rows]

    def _sources(self) -> list[dict]:
        rows = self.s.execute(select(Source).where(Source.id.in_(self.wanted["source"]))).scalars()
        out = []
        for src in sorted(rows, key=lambda src: src.key):  # code-point order, as in _entities
            if src.url == src.key and src.title is None:
                continue  # cited directly by URL
            out.append(_clean({"id": src.key, "title": src.title, "publisher": src.publisher, "url": src.url,
                               "published": src.published.isoformat() if src.published else None}))
        return out

    def _orgs(self) -> list[dict]:
        rows = self._entities(Organization, "org")
        out = []
        for org, aliases in rows:
            parent = self.s.get_one(Organization, org.parent_id).name if org.parent_id else None
            out.append(_clean({"name": org.name, "aliases": aliases, "parent": parent,
                               "description": org.description, "url": org.url,
                               "source": self._cite(org.source_id)}))
        return out

    def _models(self) -> list[dict]:
        out = []
        for model, aliases in self._entities(Model, "model"):
            org = self.s.get_one(Organization, model.org_id).name
            record: dict[str, Any] = {"name": model.name, "org": org, "aliases": aliases}
            record.update({f: getattr(model, f) for f in MODEL_FIELDS})
            record["source"] = self._cite(model.source_id)
            out.append(_clean(record))
        return out

    def _benchmarks(self) -> list[dict]:
        out = []
        for b, aliases in self._entities(Benchmark, "benchmark"):
            out.append(_clean({"name": b.name, "aliases": aliases, "category": b.category, "unit": b.unit,
                               "higher_is_better": b.higher_is_better, "description": b.description,
                               "url": b.url, "source": self._cite(b.source_id)}))
        return out

    def _name(self, kind: str, entity_id: int) -> str:
        if (kind, entity_id) not in self.names:
            table = ENTITY_TABLES[kind]
            self.names[(kind, entity_id)] = self.s.execute(select(table.name).where(table.id == entity_id)).scalar_one()
        return self.names[(kind, entity_id)]

    def _score(self, r: Score) -> dict:
        return _clean({"model": self._name("model", r.model_id), "benchmark": self._name("benchmark", r.benchmark_id),
                       "value": r.value, "setting": r.setting or None,
                       "date": r.date.isoformat() if r.date else None, "source": self._cite(r.source_id)})

    def _fact(self, r: Fact) -> dict:
        return _clean({"subject": self._name(r.subject_kind, r.subject_id), "text": r.text, "topic": r.topic,
                       "source": self._cite(r.source_id)})

    def _release(self, r: Release) -> dict:
        return _clean({"model": self._name("model", r.model_id) if r.model_id else None,
                       "org": self._name("org", r.org_id) if r.org_id else None,
                       "date": r.date.isoformat(), "title": r.title, "summary": r.summary, "url": r.url,
                       "source": self._cite(r.source_id)})


def _clean(record: dict) -> dict:
    return {k: v for k, v in record.items() if v is not None and v != []}
