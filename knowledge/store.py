"""The only code that queries the knowledge base for answers.

``KnowledgeBase`` hands out plain, read-only records and an ``AliasIndex`` that is rebuilt only when
the knowledge version changes (every import bumps it). The engine calls ``refresh`` once per
question, so a long-running bot sees new packs at once.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm import Session

from knowledge.db import database_url, ensure_ready, make_engine
from knowledge.matching import AliasIndex, Ref, normalize
from knowledge.schema import (
    Alias,
    Benchmark,
    Fact,
    FactTerm,
    Meta,
    Model,
    ModelUpdate,
    Organization,
    Release,
    Score,
    Source,
)


@dataclass(frozen=True)
class SourceInfo:
    """Where a record comes from."""

    id: int
    key: str
    title: str | None
    publisher: str | None
    url: str | None
    published: dt.date | None

    @property
    def label(self) -> str:
        """A human name for the source: publisher and title, or the URL."""
        parts = [p for p in (self.publisher, self.title) if p]
        return " — ".join(parts) if parts else (self.url or self.key)


@dataclass(frozen=True)
class ScoreInfo:
    """One score, with the names a reader needs."""

    model_id: int
    benchmark_id: int
    value: float
    setting: str
    date: dt.date | None
    source: SourceInfo | None


@dataclass(frozen=True)
class ReleaseInfo:
    """A release record."""

    id: int
    model_id: int | None
    org_id: int | None
    date: dt.date
    title: str
    summary: str | None
    url: str | None
    source: SourceInfo | None
    created_at: dt.datetime


@dataclass(frozen=True)
class UpdateInfo:
    """A change to a known model seen by a data sync."""

    id: int
    model_id: int
    kind: str
    detail: str
    source: SourceInfo | None
    created_at: dt.datetime


@dataclass(frozen=True)
class FactInfo:
    """A free-text fact about one subject; ``norm`` is its text normalised for matching."""

    subject: Ref
    text: str
    topic: str | None
    source: SourceInfo | None
    norm: str


class KnowledgeBase:
    """Read access to the knowledge base for the question engine and the adapters."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._index: AliasIndex | None = None
        self._index_version: str | None = None
        self._cache: dict = {}

    @classmethod
    def open(cls, url: str | None = None, load_bundled: bool = True) -> KnowledgeBase:
        """Connect to ``url`` (or the configured default), migrating and loading bundled packs if needed."""
        engine = make_engine(database_url(url))
        ensure_ready(engine, load_bundled=load_bundled)
        return cls(engine)

    # -- names --------------------------------------------------------------------------------

    def version(self) -> str:
        """The knowledge version; it changes with every import."""
        with self.engine.connect() as conn:
            return conn.execute(select(Meta.value).where(Meta.key == "version")).scalar() or "0"

    def refresh(self) -> None:
        """Drop everything cached if an import changed the knowledge since it was read (one cheap query)."""
        if self._index is not None and self.version() != self._index_version:
            self._index = None
            self._cache.clear()

    def index(self) -> AliasIndex:
        """The alias index, built on first use and after ``refresh`` saw a new knowledge version."""
        if self._index is None:
            version = self.version()
            with self.engine.connect() as conn:
                rows = conn.execute(select(Alias.kind, Alias.entity_id, Alias.alias, Alias.is_name,
                                           Alias.norm)).all()
            self._index = AliasIndex(rows)
            self._index_version = version
            self._cache.clear()
        return self._index

    def memo(self, key, load):
        """A value derived from the knowledge (``load()``), kept until the knowledge changes."""
        try:
            return self._cache[key]
        except KeyError:  # another thread may clear the cache at any moment: return what was loaded
            value = self._cache[key] = load()
            return value

    # -- records ------------------------------------------------------------------------------

    def source(self, source_id: int | None) -> SourceInfo | None:
        """A source by id."""
        if source_id is None:
            return None

        def load() -> SourceInfo:
            with self.engine.connect() as conn:
                return SourceInfo(*conn.execute(select(Source.id, Source.key, Source.title, Source.publisher,
                                                       Source.url, Source.published)
                                                .where(Source.id == source_id)).one())

        return self.memo(("source", source_id), load)

    def field_claims(self, model_id: int) -> dict[str, list[tuple[Any, SourceInfo | None]]]:
        """Per model field, each different value the sources give, the one the model holds first."""
        from knowledge import claims

        def load() -> dict[str, list[tuple[Any, SourceInfo | None]]]:
            with Session(self.engine) as session:
                found = claims.load(session, [model_id]).get(model_id, [])
                published = claims.published_dates(session, found)
            out: dict[str, list[tuple[Any, SourceInfo | None]]] = {}
            for field in claims.CLAIM_FIELDS:
                seen = set()
                for claim in claims.ranked(found, field, published):
                    key = claims.comparable(claim.values[field])
                    if key not in seen:
                        seen.add(key)
                        out.setdefault(field, []).append((claim.values[field], self.source(claim.sources.get(field))))
            return out

        return self.memo(("field-claims", model_id), load)

    def model(self, model_id: int) -> Model:
        """A model record (detached, read-only)."""
        return self._get(Model, model_id)

    def benchmark(self, benchmark_id: int) -> Benchmark:
        """A benchmark record (detached, read-only)."""
        return self._get(Benchmark, benchmark_id)

    def org(self, org_id: int) -> Organization:
        """An organization record (detached, read-only)."""
        return self._get(Organization, org_id)

    def _get(self, table, entity_id: int):
        from sqlalchemy.orm import Session

        def load():
            with Session(self.engine, expire_on_commit=False) as session:
                row = session.get(table, entity_id)
                session.expunge_all()
                return row

        return self.memo((table.__tablename__, entity_id), load)

    def aliases(self, ref: Ref) -> list[str]:
        """Every alias of an entity other than its display name."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(Alias.alias).where(Alias.kind == ref[0], Alias.entity_id == ref[1],
                                                               ~Alias.is_name).order_by(Alias.id)).scalars())

    def _scores(self, *where) -> list[ScoreInfo]:
        query = select(Score.model_id, Score.benchmark_id, Score.value, Score.setting, Score.date,
                       Score.source_id).where(*where).order_by(Score.benchmark_id, Score.model_id, Score.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [ScoreInfo(m, b, v, s or "", d, self.source(src)) for m, b, v, s, d, src in rows]

    def scores(self, model_ids: Iterable[int], benchmark_ids: Iterable[int] | None = None) -> list[ScoreInfo]:
        """Every score of these models (on these benchmarks, if given)."""
        where = [Score.model_id.in_(list(model_ids))]
        if benchmark_ids is not None:
            where.append(Score.benchmark_id.in_(list(benchmark_ids)))
        return self._scores(*where)

    def _best_per_model(self, benchmark_id: int, higher_is_better: bool) -> tuple[list[float], list[int]]:
        """Each model's best value on a benchmark, best first, as parallel lists (cached)."""

        def load():
            best = func.max(Score.value) if higher_is_better else func.min(Score.value)
            query = select(Score.model_id, best).where(Score.benchmark_id == benchmark_id).group_by(Score.model_id)
            with self.engine.connect() as conn:
                rows = sorted(conn.execute(query).all(), key=lambda r: (-r[1] if higher_is_better else r[1], r[0]))
            return [v for _, v in rows], [m for m, _ in rows]

        return self.memo(("best", benchmark_id, higher_is_better), load)

    def leaderboard(self, benchmark_id: int, higher_is_better: bool, limit: int) -> tuple[list[ScoreInfo], int]:
        """The best score of each model on a benchmark, best first, and how many models have one."""
        values, models = self._best_per_model(benchmark_id, higher_is_better)
        wanted = dict(zip(models[:limit], values[:limit]))
        rows = self._scores(Score.benchmark_id == benchmark_id, Score.model_id.in_(list(wanted)))
        chosen: dict[int, ScoreInfo] = {}
        for row in rows:
            if row.value == wanted[row.model_id] and row.model_id not in chosen:
                chosen[row.model_id] = row
        return [chosen[m] for m in models[:limit]], len(models)

    def rank(self, benchmark_id: int, value: float, higher_is_better: bool) -> tuple[int, int]:
        """The place a value takes among each model's best score on a benchmark, and the field size."""
        values, _ = self._best_per_model(benchmark_id, higher_is_better)
        keys = [-v for v in values] if higher_is_better else values
        return bisect.bisect_left(keys, -value if higher_is_better else value) + 1, len(values)

    def benchmark_ids_scored(self, model_id: int) -> list[int]:
        """Benchmarks this model has at least one score on."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(Score.benchmark_id).where(Score.model_id == model_id)
                                     .distinct()).scalars())

    def all_facts(self) -> list[FactInfo]:
        """Every fact, for searching by words."""

        def load() -> list[FactInfo]:
            query = select(Fact.subject_kind, Fact.subject_id, Fact.text, Fact.topic, Fact.source_id).order_by(Fact.id)
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            return [FactInfo(Ref(k, i), t, topic, self.source(src), normalize(t)) for k, i, t, topic, src in rows]

        return self.memo("facts", load)

    def facts_about(self, subject: Ref) -> list[FactInfo]:
        """The facts whose subject is this entity, in the order they were written."""
        return list(self.facts_by_id(self._fact_ids(Fact.subject_kind == subject[0],
                                                    Fact.subject_id == subject[1])).values())

    def _fact_ids(self, *where) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(Fact.id).where(*where).order_by(Fact.id)).scalars())

    def facts_by_id(self, ids: Iterable[int]) -> dict[int, FactInfo]:
        """These facts by id, in id order."""
        ids, found = sorted(set(ids)), {}
        query = select(Fact.id, Fact.subject_kind, Fact.subject_id, Fact.text, Fact.topic, Fact.source_id)
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                for i, k, s, t, topic, src in conn.execute(query.where(Fact.id.in_(ids[start : start + 500]))):
                    found[i] = FactInfo(Ref(k, s), t, topic, self.source(src), normalize(t))
        return dict(sorted(found.items()))

    def facts_with_terms(self, terms: Iterable[str]) -> list[int]:
        """The facts whose terms (``knowledge.factterms``) include every one of ``terms``."""
        terms = sorted(set(terms))
        if not terms:
            return []
        query = (select(FactTerm.fact_id).where(FactTerm.stem.in_(terms)).group_by(FactTerm.fact_id)
                 .having(func.count() == len(terms)))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def fact_scores(self, weights: dict[str, int], subjects: list[Ref] | None, minimum: int,
                    limit: int) -> list[tuple[int, int]]:
        """``(fact id, score)`` of the best ``limit`` facts, highest score first then lowest id, where a
        fact's score is the sum of the weights of its terms and at least ``minimum``; with ``subjects``,
        only facts about one of them."""
        score = func.sum(case(weights, value=FactTerm.stem, else_=0))
        query = select(FactTerm.fact_id, score).where(FactTerm.stem.in_(list(weights))).group_by(FactTerm.fact_id)
        query = query.having(score >= minimum).order_by(score.desc(), FactTerm.fact_id).limit(limit)
        if subjects is None:
            with self.engine.connect() as conn:
                return [tuple(row) for row in conn.execute(query)]
        ids = self._fact_ids(or_(*(and_(Fact.subject_kind == k, Fact.subject_id == i) for k, i in subjects)))
        rows: list[Row] = []
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                rows += conn.execute(query.where(FactTerm.fact_id.in_(ids[start : start + 500]))).all()
        return sorted(((i, n) for i, n in rows), key=lambda r: (-r[1], r[0]))[:limit]

    def org_family(self, org_id: int) -> list[int]:
        """An organization and every unit below it."""
        family, frontier = {org_id}, {org_id}
        with self.engine.connect() as conn:
            while frontier:
                frontier = set(conn.execute(select(Organization.id).where(
                    Organization.parent_id.in_(frontier))).scalars()) - family
                family |= frontier
        return sorted(family)

    def models_of(self, org_ids: Iterable[int]) -> list[Model]:
        """Models made by these organizations, newest first."""
        from sqlalchemy.orm import Session

        with Session(self.engine, expire_on_commit=False) as session:
            rows = list(session.execute(select(Model).where(Model.org_id.in_(list(org_ids)))
                                        .order_by(Model.released.desc(), Model.name)).scalars())
            session.expunge_all()
        return rows

    def releases(self, org_ids: Iterable[int] | None = None, since: dt.date | None = None,
                 until: dt.date | None = None, limit: int = 10) -> list[ReleaseInfo]:
        """Release records, newest first, optionally by organization and date range (inclusive)."""
        query = select(Release.id, Release.model_id, Release.org_id, Release.date, Release.title,
                       Release.summary, Release.url, Release.source_id, Release.created_at)
        if org_ids is not None:
            query = query.where(Release.org_id.in_(list(org_ids)))
        if since is not None:
            query = query.where(Release.date >= since)
        if until is not None:
            query = query.where(Release.date <= until)
        query = query.order_by(Release.date.desc(), Release.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [ReleaseInfo(i, m, o, d, t, s, u, self.source(src), c) for i, m, o, d, t, s, u, src, c in rows]

    def _release_rows(self, *where) -> list[ReleaseInfo]:
        query = select(Release.id, Release.model_id, Release.org_id, Release.date, Release.title,
                       Release.summary, Release.url, Release.source_id, Release.created_at).where(*where)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(Release.id)).all()
        return [ReleaseInfo(i, m, o, d, t, s, u, self.source(src), c) for i, m, o, d, t, s, u, src, c in rows]

    def latest_release_id(self) -> int:
        """The id of the newest release record (0 when there is none): where new subscribers start."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(Release.id))).scalar() or 0

    def releases_between(self, after_id: int, upto_id: int) -> list[ReleaseInfo]:
        """Release records with ``after_id < id <= upto_id``, oldest first."""
        return self._release_rows(Release.id > after_id, Release.id <= upto_id)

    def releases_by_id(self, ids: Iterable[int]) -> list[ReleaseInfo]:
        """These release records (those that still exist), oldest first."""
        return self._release_rows(Release.id.in_(list(ids)))

    def latest_update_id(self) -> int:
        """The id of the newest model update record (0 when there is none)."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(ModelUpdate.id))).scalar() or 0

    def _update_rows(self, *where) -> list[UpdateInfo]:
        query = select(ModelUpdate.id, ModelUpdate.model_id, ModelUpdate.kind, ModelUpdate.detail,
                       ModelUpdate.source_id, ModelUpdate.created_at).where(*where).order_by(ModelUpdate.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [UpdateInfo(i, m, k, d, self.source(src), c) for i, m, k, d, src, c in rows]

    def updates_between(self, after_id: int, upto_id: int) -> list[UpdateInfo]:
        """Model update records with ``after_id < id <= upto_id``, oldest first."""
        return self._update_rows(ModelUpdate.id > after_id, ModelUpdate.id <= upto_id)

    def updates_by_id(self, ids: Iterable[int]) -> list[UpdateInfo]:
        """These model update records (those that still exist), oldest first."""
        return self._update_rows(ModelUpdate.id.in_(list(ids)))

    def counts(self) -> dict[str, int]:
        """How many models, benchmarks, scores and releases there are (for help texts)."""
        with self.engine.connect() as conn:
            return {name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for name, t in (("models", Model), ("benchmarks", Benchmark), ("scores", Score),
                                    ("releases", Release))}
