"""Keeping the knowledge base current from models.dev: fetch, convert, import, and record what changed.

One catalogue is applied in one transaction: the pack import, the release records of models seen
for the first time and released recently, the update records of known models (new scores,
context or price changes, deprecation) and the fetch validators (ETag, Last-Modified) for the next
sync. Bad or truncated data raises before anything is written.

A catalogue (or a pack, see ``import_pack_file``) that would remove more than MAX_SHRINK of the
records its pack holds is refused (ShrinkError, nothing written) unless the caller allows the shrink:
a half-published or broken upstream file must not empty the knowledge base. Scores a sync removes are
remembered (in kb_meta), so that when they come back they are not announced again as new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.clock import naive_utcnow, utcnow
from knowledge.importers.fetch import DEFAULT_URL, fetch
from knowledge.importers.modelsdev import Notice, convert
from knowledge.packformat import PackIn, pack_from, parse_pack
from knowledge.packs import ImportResult, import_file, import_pack
from knowledge.progress import Progress
from knowledge.schema import (
    Benchmark,
    Meta,
    Model,
    ModelUpdate,
    PackMember,
    Release,
    Score,
)

log = logging.getLogger("modelwire.sync")
RECENT_DAYS = 30
"""A model first seen in a sync becomes a release record when it was released this recently."""
STATE_KEYS = ("url", "etag", "last_modified", "synced_at", "checked_at")
MAX_SHRINK = 20.0
"""Percent: an import may remove at most this share of the records its pack held (more needs allow_shrink)."""
SHRINK_SETTING = "MODELWIRE_SYNC_MAX_SHRINK"
GONE_PREFIX = "sync.gone.score."
"""kb_meta keys of scores a sync removed (a hash of the score's key), so their return is not news."""


class ShrinkError(Exception):
    """An import refused because it would remove too much of a pack; ``str()`` is one line."""


def max_shrink_setting() -> float:
    """MODELWIRE_SYNC_MAX_SHRINK (percent, 0 to 100), or MAX_SHRINK when not set."""
    raw = os.environ.get(SHRINK_SETTING, "").strip()
    if not raw:
        return MAX_SHRINK
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise ShrinkError(f"{SHRINK_SETTING} must be a percentage from 0 to 100, not {raw[:40]!r}")
    return value


@dataclass
class SyncResult:
    """What one sync did."""

    status: str  # "synced" or "not_modified"
    url: str
    models: int = 0
    releases: list[str] = field(default_factory=list)
    updates: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    """What the converter left out or changed, by kind (e.g. score-without-value: 2)."""
    notices: list[Notice] = field(default_factory=list)
    """Each of those, naming the catalogue entry (e.g. an entry-skipped one with its field and problem)."""
    import_notes: list = field(default_factory=list)
    """What importing the converted pack merged, renamed or left out (``knowledge.curation.Note``)."""


def _key(name: str) -> str:
    return f"sync.models.dev.{name}"


def read_state(engine: Engine) -> dict[str, str]:
    """The last sync's URL, validators and times (empty before the first)."""
    with engine.connect() as conn:
        rows = conn.execute(select(Meta.key, Meta.value).where(Meta.key.in_([_key(k) for k in STATE_KEYS]))).all()
    return {k.rsplit(".", 1)[1]: v for k, v in rows}


def _write_state(session: Session, values: dict[str, str | None]) -> None:
    keys = [_key(k) for k, v in values.items()]
    session.execute(delete(Meta).where(Meta.key.in_(keys)))
    rows = [{"key": _key(k), "value": v[:255]} for k, v in values.items() if v]
    if rows:
        session.execute(insert(Meta), rows)


def sync_models_dev(engine: Engine, url: str = DEFAULT_URL, *, today: dt.date | None = None,
                    timeout: float = 30.0, retries: int = 3, allow_shrink: bool = False,
                    progress: Progress | None = None) -> SyncResult:
    """Fetch the catalogue (conditionally: an unchanged one is not downloaded again) and apply it.

    Raises ShrinkError (before fetching, for a malformed setting) as apply_catalogue does.
    """
    limit = max_shrink_setting()
    state = read_state(engine)
    same = state.get("url") == url
    got = fetch(url, etag=state.get("etag") if same else None,
                last_modified=state.get("last_modified") if same else None, timeout=timeout, retries=retries)
    now = utcnow().isoformat(timespec="seconds")
    if got.status == "not_modified" or got.body is None:
        with Session(engine) as session, session.begin():
            _write_state(session, {"checked_at": now})
        return SyncResult("not_modified", url)
    return apply_catalogue(engine, got.body, source_url=url, today=today, allow_shrink=allow_shrink,
                           max_shrink=limit, progress=progress,
                           state={"url": url, "etag": got.etag, "last_modified": got.last_modified,
                                  "synced_at": now, "checked_at": now})


def apply_catalogue(engine: Engine, raw: bytes, *, source_url: str, today: dt.date | None = None,
                    state: dict[str, str | None] | None = None, allow_shrink: bool = False,
                    max_shrink: float | None = None, progress: Progress | None = None) -> SyncResult:
    """Convert and import a models.dev catalogue in one transaction, with its release and update records.

    Raises ShrinkError, having written nothing, when the import would remove more than ``max_shrink``
    percent (default MODELWIRE_SYNC_MAX_SHRINK or 20) of the records the pack holds, unless ``allow_shrink``.
    """
    limit = max_shrink_setting() if max_shrink is None else max_shrink
    today = today or dt.date.today()
    conversion = convert(raw, source_url=source_url, fetched=today)
    label = f"models.dev catalogue from {source_url}"
    pack = pack_from(conversion.pack, label)
    with Session(engine) as session, session.begin():
        before = _snapshot(session)
        held = _claims(session, pack.pack)
        imported = import_pack(session, pack, hashlib.sha256(raw).hexdigest(), label, progress=progress)
        if not allow_shrink:
            check_shrink(label, pack.pack, held, _claims(session, pack.pack), limit)
        after = _snapshot(session)
        releases = _new_releases(session, before, after, today)
        updates = _updates(session, before, after)
        _remember_gone(session, before, after)
        if state:
            _write_state(session, state)
    counts: dict[str, int] = {}
    for row in updates:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    log.info("models.dev: %d models, %d new releases, updates %s", len(pack.models), len(releases), counts or "none")
    return SyncResult("synced", source_url, len(pack.models), releases, counts, dict(conversion.counts()),
                      conversion.notices, imported.notes)


def _claims(session: Session, pack_id: str) -> set[tuple[str, int]]:
    return {(kind, entity_id) for kind, entity_id in session.execute(
        select(PackMember.kind, PackMember.entity_id).where(PackMember.pack_id == pack_id))}


def check_shrink(label: str, pack_id: str, held: set, kept: set, limit: float) -> None:
    """Raise ShrinkError when more than ``limit`` percent of the records ``held`` are not ``kept``."""
    gone = len(held - kept)
    if not held or gone * 100 <= limit * len(held):
        return
    raise ShrinkError(f"{label}: refused, nothing written: it would remove {gone:,} of the {len(held):,} records "
                      f"of pack '{pack_id}' ({gone * 100 / len(held):.0f}%, more than the {limit:g}% allowed, "
                      f"{SHRINK_SETTING}); if that is intended, run it again with --allow-shrink")


def import_pack_file(engine: Engine, path: Path, *, allow_shrink: bool = False,
                     max_shrink: float | None = None, progress: Progress | None = None) -> ImportResult:
    """``knowledge.packs.import_file`` with the shrink guard: a re-import that would remove more than
    ``max_shrink`` percent of the pack's records raises ShrinkError, having written nothing.

    The guard imports the pack in a transaction it rolls back and counts what would go; only a pack
    already in the base is checked (a first import removes nothing).
    """
    limit = max_shrink_setting() if max_shrink is None else max_shrink
    if not allow_shrink:
        pack = parse_pack(path)
        with Session(engine) as session:
            held = _claims(session, pack.pack)
        if held:
            _dry_run(engine, pack, path, held, limit)
    return import_file(engine, path, progress=progress)


def _dry_run(engine: Engine, pack: PackIn, path: Path, held: set, limit: float) -> None:
    with Session(engine) as session:
        transaction = session.begin()
        try:
            held = _claims(session, pack.pack) or held
            import_pack(session, pack, hashlib.sha256(path.read_bytes()).hexdigest(), str(path))
            check_shrink(str(path), pack.pack, held, _claims(session, pack.pack), limit)
        finally:
            transaction.rollback()


def _gone_key(key: tuple) -> str:
    return GONE_PREFIX + hashlib.sha1(repr(tuple(key)).encode()).hexdigest()


def _remember_gone(session: Session, before: _Snapshot, after: _Snapshot) -> None:
    """Record the scores this import removed (their return is then not news); forget those that came back."""
    gone = [k for k in before.scores if k not in after.scores]
    back = [_gone_key(k) for k in after.scores if k not in before.scores]
    for batch in _batches(back):
        session.execute(delete(Meta).where(Meta.key.in_(batch)))
    keys = {_gone_key(k): k for k in gone}
    for batch in _batches(sorted(keys)):
        known = set(session.execute(select(Meta.key).where(Meta.key.in_(batch))).scalars())
        rows = [{"key": k, "value": f"score {keys[k][0]}/{keys[k][1]}"} for k in batch if k not in known]
        if rows:
            session.execute(insert(Meta), rows)


def _returning(session: Session, keys: list[tuple]) -> set[tuple]:
    """Which of these score keys a sync removed before (remembered in kb_meta)."""
    by_hash = {_gone_key(k): k for k in keys}
    found: set[tuple] = set()
    for batch in _batches(sorted(by_hash)):
        found.update(by_hash[h] for h in session.execute(select(Meta.key).where(Meta.key.in_(batch))).scalars())
    return found


def _batches(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class _Snapshot:
    models: dict[int, Model]
    scores: dict[tuple, float]


def _snapshot(session: Session) -> _Snapshot:
    models = {m.id: _copy(m) for m in session.execute(select(Model)).scalars()}
    scores = {(s.model_id, s.benchmark_id, s.setting, s.source_id): s.value
              for s in session.execute(select(Score.model_id, Score.benchmark_id, Score.setting, Score.source_id,
                                              Score.value))}
    return _Snapshot(models, scores)


def _copy(model: Model) -> Model:
    """A detached copy of the fields a sync compares (the session's object changes with the import)."""
    return Model(id=model.id, name=model.name, org_id=model.org_id, released=model.released, status=model.status,
                 context_window=model.context_window, pricing=dict(model.pricing) if model.pricing else None,
                 open_weights=model.open_weights, input_modalities=model.input_modalities,
                 source_id=model.source_id)


def _released_on(released: str | None) -> dt.date | None:
    if not released:
        return None
    parts = [int(p) for p in released.split("-")]
    return dt.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)


def _new_releases(session: Session, before: _Snapshot, after: _Snapshot, today: dt.date) -> list[str]:
    """Release records for models that were not in the base before and came out recently."""
    rows: list[dict[str, Any]] = []
    for model_id in sorted(set(after.models) - set(before.models)):
        model = after.models[model_id]
        day = _released_on(model.released)
        if day is None or not (today - dt.timedelta(days=RECENT_DAYS) <= day <= today):
            continue
        rows.append(dict(model_id=model_id, org_id=model.org_id, date=day, title=f"{model.name} released",
                         summary=_summary(model), source_id=model.source_id,
                         created_at=naive_utcnow()))
    if rows:
        session.execute(insert(Release), rows)
    return [r["title"] for r in rows]


def _summary(model: Model) -> str | None:
    """One line from the model's own fields: weights, inputs, context; None when none is known."""
    parts = []
    if model.open_weights is not None:
        parts.append("open weights" if model.open_weights else "closed weights")
    if model.input_modalities:
        parts.append("input: " + ", ".join(model.input_modalities))
    if model.context_window:
        parts.append(f"{model.context_window:,}-token context")
    return ("; ".join(parts).capitalize() + ".") if parts else None


def _updates(session: Session, before: _Snapshot, after: _Snapshot) -> list[dict]:
    """Update records for models known before: new scores, context and price changes, deprecation."""
    rows: list[dict] = []
    known = set(before.models) & set(after.models)
    names = dict(session.execute(select(Benchmark.id, Benchmark.name)).all())
    units = dict(session.execute(select(Benchmark.id, Benchmark.unit)).all())
    new_keys = [key for key in after.scores if key[0] in known and key not in before.scores]
    returning = _returning(session, new_keys)
    for key, value in after.scores.items():
        if key[0] in known and key not in before.scores and key not in returning:
            setting = f" ({key[2]})" if key[2] else ""
            unit = units.get(key[1])
            shown = f"{value:g}%" if unit == "%" else f"{value:g}" + (f" {unit}" if unit else "")
            rows.append(_update(key[0], "score", f"new score: {names[key[1]]} {shown}{setting}", key[3]))
    for model_id in sorted(known):
        old, new = before.models[model_id], after.models[model_id]
        if new.context_window and old.context_window and new.context_window != old.context_window:
            rows.append(_update(model_id, "context", f"context window {old.context_window:,} → "
                                f"{new.context_window:,} tokens", new.source_id))
        if new.pricing and old.pricing and new.pricing != old.pricing:
            change = _price_change(old.pricing, new.pricing)
            rows.append(_update(model_id, "price", "price per million tokens " + change, new.source_id))
        if new.status == "deprecated" and old.status != "deprecated":
            rows.append(_update(model_id, "deprecated", "marked deprecated", new.source_id))
    if rows:
        session.execute(insert(ModelUpdate), rows)
    return rows


def _update(model_id: int, kind: str, detail: str, source_id: int | None) -> dict:
    return dict(model_id=model_id, kind=kind, detail=detail[:500], source_id=source_id,
                created_at=naive_utcnow())


def _price_change(old: dict, new: dict) -> str:
    parts = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            label = key.replace("_per_mtok", "")
            parts.append(f"{label} ${old.get(key, '—')} → ${new.get(key, '—')}")
    return ", ".join(parts)
