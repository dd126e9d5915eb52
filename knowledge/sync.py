"""Keeping the knowledge base current from models.dev: fetch, convert, import, and record what changed.

One catalogue is applied in one transaction: the pack import, the release records of models seen
for the first time and released recently, the update records of known models (new scores,
context or price changes, deprecation) and the fetch validators (ETag, Last-Modified) for the next
sync. Bad or truncated data raises before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.importers.fetch import DEFAULT_URL, fetch
from knowledge.importers.modelsdev import convert
from knowledge.packformat import pack_from
from knowledge.packs import import_pack
from knowledge.schema import Benchmark, Meta, Model, ModelUpdate, Release, Score

log = logging.getLogger("modelwire.sync")
RECENT_DAYS = 30
"""A model first seen in a sync becomes a release record when it was released this recently."""
STATE_KEYS = ("url", "etag", "last_modified", "synced_at", "checked_at")


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
                    timeout: float = 30.0, retries: int = 3) -> SyncResult:
    """Fetch the catalogue (conditionally: an unchanged one is not downloaded again) and apply it."""
    state = read_state(engine)
    same = state.get("url") == url
    got = fetch(url, etag=state.get("etag") if same else None,
                last_modified=state.get("last_modified") if same else None, timeout=timeout, retries=retries)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    if got.status == "not_modified":
        with Session(engine) as session, session.begin():
            _write_state(session, {"checked_at": now})
        return SyncResult("not_modified", url)
    return apply_catalogue(engine, got.body, source_url=url, today=today,
                           state={"url": url, "etag": got.etag, "last_modified": got.last_modified,
                                  "synced_at": now, "checked_at": now})


def apply_catalogue(engine: Engine, raw: bytes, *, source_url: str, today: dt.date | None = None,
                    state: dict[str, str | None] | None = None) -> SyncResult:
    """Convert and import a models.dev catalogue in one transaction, with its release and update records."""
    today = today or dt.date.today()
    conversion = convert(raw, source_url=source_url, fetched=today)
    label = f"models.dev catalogue from {source_url}"
    pack = pack_from(conversion.pack, label)
    with Session(engine) as session, session.begin():
        before = _snapshot(session)
        import_pack(session, pack, hashlib.sha256(raw).hexdigest(), label)
        after = _snapshot(session)
        releases = _new_releases(session, before, after, today)
        updates = _updates(session, before, after)
        if state:
            _write_state(session, state)
    counts: dict[str, int] = {}
    for row in updates:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    log.info("models.dev: %d models, %d new releases, updates %s", len(pack.models), len(releases), counts or "none")
    return SyncResult("synced", source_url, len(pack.models), releases, counts, dict(conversion.counts()))


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
    rows = []
    for model_id in sorted(set(after.models) - set(before.models)):
        model = after.models[model_id]
        day = _released_on(model.released)
        if day is None or not (today - dt.timedelta(days=RECENT_DAYS) <= day <= today):
            continue
        rows.append(dict(model_id=model_id, org_id=model.org_id, date=day, title=f"{model.name} released",
                         summary=_summary(model), source_id=model.source_id,
                         created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)))
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
    for key, value in after.scores.items():
        if key[0] in known and key not in before.scores:
            setting = f" ({key[2]})" if key[2] else ""
            shown = f"{value:g}%" if units.get(key[1]) == "%" else f"{value:g}" + (f" {units[key[1]]}" if units.get(key[1]) else "")
            rows.append(_update(key[0], "score", f"new score: {names[key[1]]} {shown}{setting}", key[3]))
    for model_id in sorted(known):
        old, new = before.models[model_id], after.models[model_id]
        if new.context_window and old.context_window and new.context_window != old.context_window:
            rows.append(_update(model_id, "context", f"context window {old.context_window:,} → "
                                f"{new.context_window:,} tokens", new.source_id))
        if new.pricing and old.pricing and new.pricing != old.pricing:
            rows.append(_update(model_id, "price", "price per million tokens " + _price_change(old.pricing, new.pricing),
                                new.source_id))
        if new.status == "deprecated" and old.status != "deprecated":
            rows.append(_update(model_id, "deprecated", "marked deprecated", new.source_id))
    if rows:
        session.execute(insert(ModelUpdate), rows)
    return rows


def _update(model_id: int, kind: str, detail: str, source_id: int | None) -> dict:
    return dict(model_id=model_id, kind=kind, detail=detail[:500], source_id=source_id,
                created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


def _price_change(old: dict, new: dict) -> str:
    parts = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            label = key.replace("_per_mtok", "")
            parts.append(f"{label} ${old.get(key, '—')} → ${new.get(key, '—')}")
    return ", ".join(parts)
