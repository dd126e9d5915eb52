"""Importing knowledge packs into the base (all or nothing, idempotent, merging) and exporting them.

Import happens in three steps: the file's shape is validated (``packformat``), its references are
resolved against the pack itself and the knowledge base already there, and only when both found no
problem is anything written, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from knowledge import claims
from knowledge.claims import CLAIM_FIELDS
from knowledge.clock import naive_utcnow
from knowledge.curation import Note
from knowledge.factterms import index_facts
from knowledge.identity import Known, core, merge_target
from knowledge.matching import AliasIndex, normalize
from knowledge.packformat import PackError, PackIn, Problem, parse_pack, record_label
from knowledge.progress import Progress
from knowledge.schema import (
    Alias,
    Base,
    Benchmark,
    Fact,
    Meta,
    Model,
    ModelClaim,
    Organization,
    Pack,
    PackMember,
    Release,
    Score,
    Source,
)

ENTITY_TABLES: dict[str, type[Organization] | type[Model] | type[Benchmark]] = {
    "org": Organization, "model": Model, "benchmark": Benchmark}
SECTION_KIND = {"organizations": "org", "models": "model", "benchmarks": "benchmark"}
KIND_WORD = {"org": "organization", "model": "model", "benchmark": "benchmark"}
KIND_SECTION = {kind: section for section, kind in SECTION_KIND.items()}


@dataclass
class ImportResult:
    """What one pack import did."""

    pack: str
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    """What the import decided about records: "merged", "renamed", "alias-dropped", each with why."""


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


class _Names:
    """Exact name/alias lookup over the knowledge base plus the pack being imported.

    A record of the pack stands for an entity with a negative placeholder id (``-1 - index``), so
    its refs are ints like those of the knowledge base and sort with them in the alias index.
    """

    def __init__(self, session: Session, pack: PackIn):
        rows = session.execute(select(Alias.kind, Alias.entity_id, Alias.alias, Alias.is_name)).all()
        self.keys: dict[tuple[str, str], tuple[str, int | str]] = {
            (kind, norm): (kind, entity_id)
            for kind, entity_id, alias, _ in rows
            for norm in [normalize(alias)]
        }
        self.index_rows: list[tuple[str, int | str, str, bool]] = [
            (kind, entity_id, alias, is_name) for kind, entity_id, alias, is_name in rows]
        self.source_keys = set(session.execute(select(Source.key)).scalars())
        self.pack_sources = {s.id for s in pack.sources}
        for section, kind in SECTION_KIND.items():
            for i, record in enumerate(getattr(pack, section)):
                for name in [record.name, *record.aliases]:
                    key = (kind, normalize(name))
                    self.keys.setdefault(key, (kind, -1 - i))
                    self.index_rows.append((kind, -1 - i, name, name == record.name))
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


def _label(section: str, index: int, record) -> str:
    """How a problem names a record (built only for records that have one: it costs a full dump)."""
    return record_label(section, index, record.model_dump())


def _check_references(pack: PackIn, names: _Names) -> list[Problem]:
    problems: list[Problem] = []

    def need(section, i, record, fld, kinds):
        value = getattr(record, fld)
        if value is None or any(names.find(k, value) for k in kinds):
            return
        words = " or ".join(KIND_WORD[k] for k in kinds)
        problems.append(Problem(_label(section, i, record), fld,
                                _unknown(words, value, names.suggest(value, kinds))))

    for section in ("sources", "organizations", "models", "benchmarks", "scores", "facts", "releases"):
        for i, record in enumerate(getattr(pack, section)):
            source = getattr(record, "source", None)
            if source and not (_is_url(source) or source in names.pack_sources or source in names.source_keys):
                known = sorted(names.pack_sources | names.source_keys)
                problems.append(Problem(_label(section, i, record), "source",
                                        f"unknown source id '{source}' (known: "
                                        f"{', '.join(known) or 'none'}; or give a URL)"))
    for i, org in enumerate(pack.organizations):
        need("organizations", i, org, "parent", ["org"])
    for i, model in enumerate(pack.models):
        need("models", i, model, "org", ["org"])
        need("models", i, model, "same_as", ["model"])
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
            hits = {}
            for name in [record.name, *record.aliases]:
                key = normalize(name)
                if not key:
                    problems.append(Problem(_label(section, i, record), "name",
                                            f"'{name}' has no letters or digits"))
                    continue
                if seen.get(key, i) != i:
                    problems.append(Problem(_label(section, i, record), "name", f"'{name}' is already declared by "
                                            f"{section}[{seen[key]}] of this pack"))
                seen[key] = i
                ref = names.find(kind, name)
                if ref and ref[1] >= 0:  # known before this pack, not a placeholder
                    hits[ref] = name
            if len(hits) > 1:
                clash = " and ".join(f"'{n}'" for n in hits.values())
                problems.append(Problem(_label(section, i, record), "aliases", f"{clash} are different known "
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


LOCK_WAIT = 120.0
"""How long (seconds) an import waits for another one writing the same SQLite file before it gives up."""


def import_file(engine: Engine, path: Path, bundled: bool = False, progress: Progress | None = None) -> ImportResult:
    """Import one pack file in a single transaction, or raise PackError having written nothing.

    On SQLite a transaction that finds the file locked by another import (past the driver's busy
    timeout) is retried from the start until LOCK_WAIT has passed. ``progress(stage, done, total)`` is
    told how far reading and writing went (``knowledge.progress``).
    """
    pack = parse_pack(path, progress)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            with Session(engine) as session, session.begin():
                return import_pack(session, pack, sha, str(path), bundled, progress)
        except OperationalError as exc:
            if not _is_locked(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _is_locked(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig) or "database table is locked" in str(exc.orig)


def write_lock(session: Session) -> None:
    """Take the database's write lock for the rest of the caller's transaction, before anything is read.

    Imports read the names already known and then insert the new ones: two imports reading before either
    writes would both insert the same names. PostgreSQL takes an advisory lock; SQLite starts the
    transaction with BEGIN IMMEDIATE (the driver would begin it only at the first write), which waits
    for the busy timeout while another import holds the file.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # one import at a time: bulk inserts read back ids
        session.execute(text("SELECT pg_advisory_xact_lock(7340911)"))
    elif dialect == "sqlite":
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):
            raw.execute("BEGIN IMMEDIATE")


def import_pack(session: Session, pack: PackIn, sha: str, label: str, bundled: bool = False,
                progress: Progress | None = None) -> ImportResult:
    """Import a validated pack in the caller's transaction; raise PackError (naming ``label``) before
    writing anything when it refers to unknown records."""
    write_lock(session)
    if progress:
        progress("checking references", 0, None)
    problems = _check_references(pack, _Names(session, pack))
    if problems:
        raise PackError(label, problems)
    writer = _Writer(session, pack)
    writer.progress = progress
    counts = writer.write(sha, bundled)
    return ImportResult(pack.pack, label, counts, writer.notes)


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Writer:
    progress: Progress | None = None
    """Writes a validated pack: upserts by name/alias or natural key, then drops what it no longer holds.

    Every row a pack declares is claimed in ``pack_members``. Re-importing a pack drops its claims on
    rows it no longer lists, and deletes those rows only when no other pack still claims them.
    Existing names and keys are loaded once and rows are written in bulk.
    """

    def __init__(self, session: Session, pack: PackIn):
        self.s = session
        self.pack = pack
        self.pid = pack.pack
        self.sources: dict[str, int] = dict(session.execute(select(Source.key, Source.id)).all())
        self.members: set[tuple[str, int]] = set()
        self.rows: dict[str, array] = {}
        """Ids of the leaf rows (score, fact, release) this pack claims, by kind: each is claimed once,
        and there may be millions, so they are kept as machine integers rather than in ``members``."""
        self.previous: dict[str, set[int]] = {}
        for kind, entity_id in session.execute(select(PackMember.kind, PackMember.entity_id)
                                               .where(PackMember.pack_id == self.pid)):
            self.previous.setdefault(kind, set()).add(entity_id)
        self.names: dict[tuple[str, str], int] = {}
        self.alias_rows: dict[tuple[str, str], int] = {}
        self._parents: dict[int, int | None] | None = None
        self.own_models: dict[str, int] = {}
        """This pack's model names and aliases → the model each record became (they win over other packs')."""
        self.notes: list[Note] = []
        for row_id, kind, norm, entity_id in session.execute(
                select(Alias.id, Alias.kind, Alias.norm, Alias.entity_id)):
            self.names[(kind, norm)] = entity_id
            self.alias_rows[(kind, norm)] = row_id

    def write(self, sha: str, bundled: bool) -> dict[str, int]:
        s, pack = self.s, self.pack
        row = s.get(Pack, self.pid)
        if row is None:
            s.add(Pack(id=self.pid, title=pack.title, sha256=sha, bundled=bundled))
        else:
            row.title, row.sha256, row.bundled = pack.title, sha, bundled
            row.imported_at = naive_utcnow()
        s.flush()
        s.execute(delete(PackMember).where(PackMember.pack_id == self.pid))
        for src in pack.sources:
            self._upsert_source(src)
        org_ids = self._upsert_entities("org", pack.organizations, self._org_fields)
        parents = [{"id": org_id, "parent_id": self._ref("org", o.parent)}
                   for org_id, o in zip(org_ids, pack.organizations) if o.parent]
        if parents:
            s.execute(update(Organization), parents)
        self._upsert_models()
        self._upsert_entities("benchmark", pack.benchmarks, self._benchmark_fields)
        counts = {
            "scores": self._sync_scores(),
            "facts": self._sync_facts(),
            "releases": self._sync_releases(),
        }
        self._drop_unclaimed("alias", Alias, extra=~Alias.is_name)
        self._write_members()
        _bump_version(s)
        counts.update(organizations=len(org_ids), models=len(pack.models), benchmarks=len(pack.benchmarks),
                      sources=len(pack.sources))
        return counts

    def _write_members(self) -> None:
        """Write every claim of this pack to ``pack_members``, 5,000 rows at a time."""
        leaf_rows = ((kind, e) for kind, ids in self.rows.items() for e in ids)
        members = chain(sorted(self.members), leaf_rows)
        while batch := list(islice(members, 5000)):
            self.s.execute(insert(_table(PackMember)),
                           [{"pack_id": self.pid, "kind": k, "entity_id": e} for k, e in batch])

    def _insert(self, table, rows: list[dict]) -> list[int]:
        """Insert rows in bulk and return their ids in order (imports are serialised, see import_file)."""
        if not rows:
            return []
        before = self._max_id(table)
        for done, batch in enumerate(_chunks(rows, 5000), 1):
            self.s.execute(insert(table.__table__), batch)
            if self.progress:
                self.progress(table.__tablename__, min(done * 5000, len(rows)), len(rows))
        return self._ids_after(table, before)

    def _max_id(self, table) -> int:
        return self.s.execute(select(func.max(table.id))).scalar() or 0

    def _ids_after(self, table, before: int) -> list[int]:
        return list(self.s.execute(select(table.id).where(table.id > before).order_by(table.id)).scalars())

    def _drop_unclaimed(self, kind: str, table, extra=None) -> None:
        """Delete rows this pack claimed before but no longer lists, unless another pack claims them."""
        previous = self.previous.get(kind)
        if not previous:
            return
        claimed = set(self.rows[kind]) if kind in self.rows else {e for k, e in self.members if k == kind}
        stale = sorted(previous - claimed)
        for batch in _chunks(stale):
            still = select(PackMember.entity_id).where(PackMember.kind == kind, PackMember.entity_id.in_(batch))
            query = delete(table).where(table.id.in_(batch), table.id.notin_(still))
            self.s.execute(query.where(extra) if extra is not None else query)

    # -- references ---------------------------------------------------------------------------

    def _ref(self, kind: str, name: str) -> int:
        key = normalize(name)
        if kind == "model" and key in self.own_models:
            return self.own_models[key]
        return self.names[(kind, key)]

    def _source(self, ref: str | None) -> int | None:
        if ref is None:
            return None
        if ref not in self.sources:
            row = Source(key=ref, url=ref)
            self.s.add(row)
            self.s.flush()
            self.sources[ref] = row.id
        self.members.add(("source", self.sources[ref]))
        return self.sources[ref]

    # -- entities -----------------------------------------------------------------------------

    def _upsert_source(self, src) -> None:
        values = dict(title=src.title, publisher=src.publisher, url=src.url,
                      published=dt.date.fromisoformat(src.published) if src.published else None)
        if src.id in self.sources:
            self.s.execute(update(Source).where(Source.id == self.sources[src.id]).values(**values))
        else:
            row = Source(key=src.id, **values)
            self.s.add(row)
            self.s.flush()
            self.sources[src.id] = row.id
        self.members.add(("source", self.sources[src.id]))

    def _upsert_entities(self, kind: str, records: list, fields) -> list[int]:
        """Insert or merge (by any name or alias) every record of one kind; their ids, in order.

        A merge applies only the fields the record gives: a field it leaves out (None, or a format
        default such as ``status: released``) keeps the value the knowledge base already has.
        """
        table = ENTITY_TABLES[kind]
        ids: list[int | None] = []
        new_rows, updates = [], []
        for record in records:
            keys = [normalize(n) for n in [record.name, *record.aliases]]
            existing = next((self.names[(kind, k)] for k in keys if (kind, k) in self.names), None)
            left_out = set() if existing is None else set(type(record).model_fields) - record.model_fields_set
            given = {k: v for k, v in fields(record).items() if v is not None and k not in left_out}
            if existing is not None and kind == "model" and self._is_parent_of_current_org(existing, given):
                del given["org_id"]
            ids.append(existing)
            if existing is not None:
                self._note_merge(kind, len(ids) - 1, record, existing)
            if existing is None:
                new_rows.append({column.key: None for column in table.__table__.columns if column.key != "id"}
                                | _defaults(table) | {"name": record.name, **given})
            elif given:
                updates.append({"id": existing, **given})
        fresh_ids = self._insert(table, new_rows)
        fresh = iter(fresh_ids)
        resolved = [i if i is not None else next(fresh) for i in ids]
        for batch in _group_by_keys(updates):
            self.s.execute(update(table), batch)
        self._add_aliases(kind, records, resolved, set(fresh_ids))
        self.members.update((kind, i) for i in resolved)
        return resolved

    # -- models: merging across sources, claims per field ---------------------------------------

    def _upsert_models(self) -> None:
        """Insert or merge every model record, write this pack's claims, and settle the fields of models
        other packs also describe (see ``knowledge.claims``)."""
        records = self.pack.models
        self._parents = dict(self.s.execute(select(Organization.id, Organization.parent_id)).all())
        targets, display = self._model_targets(records)
        plain = [i for i, r in enumerate(records) if r.same_as is None]
        fresh = [i for i in plain if targets[i] is None]
        new_rows = [self._new_model_row(records[i], display[i]) for i in fresh]
        created_ids = self._insert(Model, new_rows)
        for i, model_id in zip(fresh, created_ids):
            targets[i] = model_id
        created = set(created_ids)
        self._add_model_names([records[i] for i in plain], _settled(targets, plain),
                              [display[i] for i in plain], created, plain)
        for i, record in enumerate(records):
            if record.same_as is not None:
                model_id = targets[i] = self._ref("model", record.same_as)
                if model_id in self.previous.get("model", set()):
                    continue
                self._note("merged", "model", i, record.name, f"merged into the model "
                           f"'{self._name_of('model', model_id)}' (same_as); '{record.name}' is now one of its names")
        listed = set(plain)
        rest = [i for i in range(len(records)) if i not in listed]
        self._add_model_names([records[i] for i in rest], _settled(targets, rest),
                              [records[i].name for i in rest], set(), rest)
        ids = _settled(targets, range(len(targets)))
        self.members.update(("model", i) for i in ids)
        self._move_orgs(records, ids, created)
        self._write_claims(records, ids, created)

    def _model_targets(self, records: list) -> tuple[list[int | None], list[str]]:
        """The known model each record is (None: a new one) and the name each new one gets.

        A name or alias known already is the same model when it belongs to the same organization
        (or a unit of it) or to a model this pack described before; otherwise the record is another
        model that happens to share the name, and is named with its organization. A record no name
        finds merges into a model of the same organization whose name differs only by size and tuning
        tokens, when exactly one such model is known and no other record of the pack claims it.
        """
        previous = self.previous.get("model", set())
        targets: list[int | None] = [None] * len(records)
        display = [r.name for r in records]
        unmatched = []
        for i, record in enumerate(records):
            if record.same_as is not None:
                continue
            hit = self._known_model(record, previous)
            if hit is not None and (hit in previous or self._same_org(hit, record)):
                targets[i] = hit
                self._note_merge("model", i, record, hit)
                if self.names.get(("model", normalize(record.name))) != hit:  # named "Name (Org)" before
                    display[i] = self._name_of("model", hit)
            elif hit is not None:
                display[i] = f"{record.name} ({record.org})"
                self._note("renamed", "model", i, record.name, f"'{record.name}' already names the model "
                           f"'{self._name_of('model', hit)}' of another organization; named '{display[i]}'")
            else:
                unmatched.append(i)
        self._auto_merge(records, unmatched, targets, previous)
        return targets, display

    def _known_model(self, record, previous: set[int]) -> int | None:
        """The known model a record's names point at: one of its organization first (a model this pack
        named "Name (Org)" before included), then one this pack described before, then any."""
        keys = map(normalize, [record.name, *record.aliases, f"{record.name} ({record.org})"])
        hits = list(dict.fromkeys(self.names[("model", k)] for k in keys if ("model", k) in self.names))
        return next((h for h in hits if self._same_org(h, record)), None) or \
            next((h for h in hits if h in previous), None) or next(iter(hits), None)

    def _auto_merge(self, records: list, unmatched: list[int], targets: list, previous: set[int]) -> None:
        if not unmatched:
            return
        known = self._known_by_core()
        taken = {t for t in targets if t is not None}
        proposals: dict[int, list[int]] = {}
        for i in unmatched:
            root = self._root(self._ref("org", records[i].org))
            target, _ = merge_target(records[i].name, root, known.get((root, core(records[i].name)), []))
            if target is not None and target not in taken and target not in previous:
                proposals.setdefault(target, []).append(i)
        names = dict(self.s.execute(select(Model.id, Model.name).where(Model.id.in_(list(proposals)))).all())
        for target, claimants in proposals.items():
            if len(claimants) == 1:
                i = claimants[0]
                targets[i] = target
                self._note("merged", "model", i, records[i].name, f"merged into the known model '{names[target]}': "
                           f"the same organization, and the names differ only by size or tuning; "
                           f"'{records[i].name}' is now one of its names")

    def _known_by_core(self) -> dict[tuple[int, tuple], list[Known]]:
        """Every known model, by its organization's root and its core name."""
        by_core: dict[tuple[int, tuple], list[Known]] = {}
        for model_id, name, org_id in self.s.execute(select(Model.id, Model.name, Model.org_id)):
            root = self._root(org_id)
            by_core.setdefault((root, core(name)), []).append(Known(model_id, name, root))
        return by_core

    def _org_parents(self) -> dict[int, int | None]:
        """Each organization's parent, read once per import unless ``_upsert_models`` reads it again."""
        if self._parents is None:
            self._parents = dict(self.s.execute(select(Organization.id, Organization.parent_id)).all())
        return self._parents

    def _root(self, org_id: int) -> int:
        parents = self._org_parents()
        seen: set[int] = set()
        while (parent := parents.get(org_id)) is not None and org_id not in seen:
            seen.add(org_id)
            org_id = parent
        return org_id

    def _same_org(self, model_id: int, record) -> bool:
        org = self.s.execute(select(Model.org_id).where(Model.id == model_id)).scalar()
        return org is not None and self._root(org) == self._root(self._ref("org", record.org))

    def _new_model_row(self, record, name: str) -> dict:
        given = {k: v for k, v in self._model_fields(record).items() if v is not None}
        return ({column.key: None for column in Model.__table__.columns if column.key != "id"}
                | _defaults(Model) | given | {"name": name, "field_sources": self._claim(record)[1] or None})

    def _add_model_names(self, records: list, ids: list[int], display: list[str], created: set[int],
                         indices: list[int]) -> None:
        """Record the names and aliases of model records, and remember them as this pack's own."""
        self._add_aliases("model", records, ids, created, display, indices)
        for record, model_id, name in zip(records, ids, display):
            for alias in [name, record.name, *record.aliases]:
                self.own_models.setdefault(normalize(alias), model_id)

    def _move_orgs(self, records: list, targets: list[int], created: set[int]) -> None:
        """A known model takes the record's organization, unless that is a parent of its own or the record
        only says it is that model (``same_as``)."""
        moves = []
        for record, model_id in zip(records, targets):
            if model_id in created or record.same_as is not None:
                continue
            given = {"org_id": self._ref("org", record.org)}
            if not self._is_parent_of_current_org(model_id, given):
                moves.append({"id": model_id, **given})
        if moves:
            self.s.execute(update(Model), moves)

    def _claim(self, record) -> tuple[dict, dict]:
        """The fields a record gives (a format default it leaves out is not a claim) and their sources."""
        fields = self._model_fields(record)
        given = {f: fields[f] for f in CLAIM_FIELDS
                 if fields.get(f) is not None and (f in record.model_fields_set or f != "status")}
        return given, {f: s for f, s in self._field_sources(record).items() if f in given}

    def _field_sources(self, record) -> dict[str, int | None]:
        default = self._source(record.source)
        return {f: (self._source(record.field_sources[f]) if f in record.field_sources else default)
                for f in CLAIM_FIELDS}

    def _write_claims(self, records: list, targets: list[int], created: set[int]) -> None:
        """Replace this pack's claims on the models it lists; settle the models whose fields may change."""
        ids = list(dict.fromkeys(targets))
        now = naive_utcnow()
        rows: dict[int, dict] = {}
        for record, model_id in zip(records, targets):
            values, sources = self._claim(record)
            row = rows.setdefault(model_id, {"model_id": model_id, "pack_id": self.pid, "values": {},
                                             "sources": {}, "updated_at": now})
            row["values"].update(values)
            row["sources"].update(sources)
        had_claims = self.s.execute(select(ModelClaim.id).where(ModelClaim.pack_id == self.pid).limit(1)).first()
        for batch in _chunks(ids) if had_claims else []:
            self.s.execute(delete(ModelClaim).where(ModelClaim.pack_id == self.pid, ModelClaim.model_id.in_(batch)))
        for batch in _chunks(list(rows.values()), 5000):
            self.s.execute(insert(_table(ModelClaim)), batch)
        claims.settle(self.s, [i for i in ids if i not in created])
        dropped = sorted(self.previous.get("model", set()) - set(ids))
        claims.drop(self.s, self.pid, dropped)

    def _note(self, kind: str, entity: str, index: int, name: str, message: str) -> None:
        """Remember what the import decided about a record, for ``kb import -v``."""
        self.notes.append(Note(kind, f"{KIND_SECTION[entity]}[{index}] ({name})", message))

    def _name_of(self, kind: str, entity_id: int) -> str:
        table = ENTITY_TABLES[kind]
        return self.s.execute(select(table.name).where(table.id == entity_id)).scalar_one()

    def _note_merge(self, kind: str, index: int, record, existing: int) -> None:
        """A record whose own name is new went into a known record by one of its aliases."""
        if existing in self.previous.get(kind, set()) or (kind, normalize(record.name)) in self.names:
            return
        shared = [a for a in record.aliases if self.names.get((kind, normalize(a))) == existing]
        names = f"the name{'s' if len(shared) > 1 else ''} {', '.join(repr(a) for a in shared)}"
        self._note("merged", kind, index, record.name, f"merged into the known {KIND_WORD[kind]} "
                   f"'{self._name_of(kind, existing)}' (it shares {names}); "
                   f"'{record.name}' is now one of its names")

    def _is_parent_of_current_org(self, model_id: int, given: dict) -> bool:
        """Whether a merge would move a model up from the unit that made it to a parent organization
        (a catalogue that knows only "Meta" never takes a model away from Meta Superintelligence Labs)."""
        if "org_id" not in given:
            return False
        parents = self._org_parents()
        org = self.s.execute(select(Model.org_id).where(Model.id == model_id)).scalar()
        seen = set()
        while org is not None and org not in seen:
            seen.add(org)
            org = parents.get(org)
            if org == given["org_id"]:
                return True
        return False

    def _add_aliases(self, kind: str, records: list, ids: list[int], created: set[int],
                     display: list[str] | None = None, indices: list[int] | None = None) -> None:
        """Record every name and alias not yet known, and claim all of them for this pack; note the
        aliases left out because they name another record.

        ``display`` gives each record's name when it is not the record's own (a renamed model), and
        ``indices`` each record's place in its pack section (by default, its place in ``records``).
        """
        rows, keys = [], []
        for i, (record, entity_id) in enumerate(zip(records, ids)):
            name = display[i] if display else record.name
            for alias in dict.fromkeys([name, record.name, *record.aliases]):
                key = normalize(alias)
                owner = self.names.get((kind, key))
                if owner is not None:
                    if owner == entity_id:
                        if (kind, key) in self.alias_rows:
                            self.members.add(("alias", self.alias_rows[(kind, key)]))
                    elif alias != record.name or name == record.name:  # a renamed record has its own note
                        owner_name = self._name_of(kind, owner)
                        self._note("alias-dropped", kind, indices[i] if indices else i, record.name,
                                   f"'{alias}' already names the {KIND_WORD[kind]} '{owner_name}'; left out")
                    continue
                rows.append({"kind": kind, "entity_id": entity_id, "alias": alias, "norm": key,
                             "is_name": alias == name and entity_id in created})
                keys.append(key)
                self.names[(kind, key)] = entity_id
        for key, row_id in zip(keys, self._insert(Alias, rows)):
            self.alias_rows[(kind, key)] = row_id
            self.members.add(("alias", row_id))

    def _org_fields(self, o) -> dict:
        return dict(description=o.description, url=o.url, source_id=self._source(o.source))

    def _model_fields(self, m) -> dict:
        pricing = m.pricing.model_dump(exclude_none=True) if m.pricing else None
        return dict(org_id=self._ref("org", m.org), family=m.family, released=m.released, status=m.status,
                    open_weights=m.open_weights, license=m.license, input_modalities=m.input_modalities,
                    output_modalities=m.output_modalities, context_window=m.context_window,
                    max_output_tokens=m.max_output_tokens, knowledge_cutoff=m.knowledge_cutoff,
                    reasoning=m.reasoning, tool_calling=m.tool_calling, modes=m.modes, pricing=pricing or None,
                    input_price=(pricing or {}).get("input_per_mtok"),
                    output_price=(pricing or {}).get("output_per_mtok"),
                    description=m.description, source_id=self._source(m.source))

    def _benchmark_fields(self, b) -> dict:
        return dict(category=b.category, unit=b.unit, higher_is_better=b.higher_is_better,
                    description=b.description, url=b.url, source_id=self._source(b.source))

    # -- leaf records -------------------------------------------------------------------------

    def _sync(self, table, kind: str, key_columns: tuple[str, ...], records: Iterable[tuple[tuple, dict]],
              total: int, on_insert: dict | None = None, scope: tuple[str, set] | None = None) -> int:
        """Upsert rows by natural key and claim them; drop this pack's claims on rows it no longer lists.

        Records that share a key (one fact written twice) each take their own row, in id order, so
        re-importing them neither merges nor drops any. ``on_insert`` values are set on new rows only.
        Records are read once and written 5,000 at a time. ``scope`` (a key column and the values the
        records give it) narrows the rows read back to those the records can match.
        """
        existing = self._existing(table, key_columns, scope)
        claimed = self.rows.setdefault(kind, array("q"))
        inserts, updates, done = [], [], 0
        for key, values in records:
            free = existing.get(key)
            if free:
                row_id = free.pop(0)
                updates.append({"id": row_id, **values})
                claimed.append(row_id)
            else:
                inserts.append({**dict(zip(key_columns, key)), **values, **(on_insert or {})})
            done += 1
            if len(inserts) + len(updates) == 5000:
                self._write_rows(table, claimed, inserts, updates, done, total)
                inserts, updates = [], []
        self._write_rows(table, claimed, inserts, updates, done, total)
        self._drop_unclaimed(kind, table)
        return done

    def _existing(self, table, key_columns: tuple[str, ...],
                  scope: tuple[str, set] | None) -> dict[tuple, list[int]]:
        """The ids of the rows of ``table`` by natural key, in id order (within ``scope`` when given)."""
        query = select(table.id, *[getattr(table, c) for c in key_columns]).order_by(table.id)
        if scope is None:
            queries = [query]
        else:
            column, values = getattr(table, scope[0]), sorted(scope[1])
            queries = [query.where(column.in_(batch)) for batch in _chunks(values)]
        existing: dict[tuple, list[int]] = {}
        for q in queries:
            for row in self.s.execute(q):
                existing.setdefault(tuple(row[1:]), []).append(row[0])
        return existing

    def _write_rows(self, table, claimed: array, inserts: list[dict], updates: list[dict], done: int,
                    total: int) -> None:
        """Write one batch of ``_sync``: update the rows it took over, insert and claim the new ones."""
        for batch in _group_by_keys(updates):
            self.s.execute(update(table), batch)
        if inserts:
            before = self._max_id(table)
            self.s.execute(insert(table.__table__), inserts)
            claimed.extend(self._ids_after(table, before))
        if self.progress and (inserts or updates):
            self.progress(table.__tablename__, done, total)

    def _sync_scores(self) -> int:
        scores = self.pack.scores
        models = {name: self._ref("model", name) for name in dict.fromkeys(sc.model for sc in scores)}
        benchmarks = {name: self._ref("benchmark", name) for name in dict.fromkeys(sc.benchmark for sc in scores)}
        sources = {ref: self._source(ref) for ref in dict.fromkeys(sc.source for sc in scores)}
        days = _Days()
        records = (((models[sc.model], benchmarks[sc.benchmark], sc.setting or "", sources[sc.source]),
                    {"value": sc.value, "date": days(sc.date)}) for sc in scores)
        return self._sync(Score, "score", ("model_id", "benchmark_id", "setting", "source_id"), records,
                          len(scores), scope=("model_id", set(models.values())))

    def _sync_facts(self) -> int:
        records = ((self._fact_key(f), dict(topic=f.topic, source_id=self._source(f.source)))
                   for f in self.pack.facts)
        count = self._sync(Fact, "fact", ("subject_kind", "subject_id", "text"), records, len(self.pack.facts))
        index_facts(self.s, self.rows["fact"], self.progress)
        return count

    def _fact_key(self, f) -> tuple:
        kind, subject = self._subject(f.subject)
        return kind, subject, f.text

    def _subject(self, name: str) -> tuple[str, int]:
        key = normalize(name)
        return next((kind, self.names[(kind, key)]) for kind in ("model", "org", "benchmark")
                    if (kind, key) in self.names)

    def _sync_releases(self) -> int:
        now = naive_utcnow()
        records = ((self._release_key(r), dict(summary=r.summary, url=r.url, source_id=self._source(r.source)))
                   for r in self.pack.releases)
        return self._sync(Release, "release", ("model_id", "org_id", "date", "title"), records,
                          len(self.pack.releases), on_insert={"created_at": now})

    def _release_key(self, r) -> tuple:
        model_id = self._ref("model", r.model) if r.model else None
        org_id = self._ref("org", r.org) if r.org else self.s.get_one(Model, model_id).org_id
        return model_id, org_id, _day(r.date), r.title


class _Days:
    """``_day`` with each distinct string parsed once (a pack's scores share a few hundred dates)."""

    def __init__(self):
        self.seen: dict[str | None, dt.date | None] = {}

    def __call__(self, value: str | None) -> dt.date | None:
        if value not in self.seen:
            self.seen[value] = _day(value)
        return self.seen[value]


def _defaults(table) -> dict:
    """Scalar column defaults, which bulk inserts of uniform rows must spell out."""
    return {c.key: c.default.arg for c in table.__table__.columns
            if c.default is not None and c.default.is_scalar}


def _group_by_keys(rows: list[dict]) -> list[list[dict]]:
    """Split bulk-update rows into batches that set the same columns."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


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


def _table(model: type[Base]) -> Table:
    """The table a declarative model is mapped to (SQLAlchemy types ``__table__`` as any FromClause)."""
    return cast(Table, model.__table__)


def _settled(targets: list[int | None], indices: Iterable[int]) -> list[int]:
    """The models of the records at ``indices``, once the writer has found or made one for each."""
    return [model_id for i in indices if (model_id := targets[i]) is not None]
