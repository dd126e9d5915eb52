"""Per-field provenance: which pack and source said what about a model, and which value wins.

Every import writes one claim per model it lists (``ModelClaim``: the fields it gives and the source
of each). A model's columns then hold, field by field, the value of the newest claim: the one whose
source has the latest publication date, an undated source counting as older than any dated one, and
among equals the latest import. ``models.field_sources`` records the winning source of each field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from knowledge.packformat import ModelField
from knowledge.schema import Model, ModelClaim, Source

CLAIM_FIELDS: tuple[str, ...] = get_args(ModelField)
"""The model fields that claims carry (the organization is not one: see ``packs._Writer``)."""

@dataclass(frozen=True)
class Claim:
    """One pack's values for one model, with the source of each field."""

    pack_id: str
    values: dict[str, Any]
    sources: dict[str, int | None]
    updated_at: dt.datetime
    id: int = 0


def comparable(value: Any) -> Any:
    """A value in a form where two sources giving the same thing compare equal (lists as sets)."""
    if isinstance(value, list):
        return tuple(sorted(str(v).lower() for v in value))
    if isinstance(value, dict):
        return tuple(sorted((k, comparable(v)) for k, v in value.items()))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def ranked(claims: Iterable[Claim], field: str, published: dict[int, dt.date | None]) -> list[Claim]:
    """The claims that give ``field``, the winning one first."""
    def newness(claim: Claim) -> tuple:
        source = claim.sources.get(field)
        day = published.get(source) if source is not None else None
        return (day is not None, day or dt.date.min, claim.updated_at, claim.id)

    return sorted((c for c in claims if c.values.get(field) is not None), key=newness, reverse=True)


def winners(claims: list[Claim], published: dict[int, dt.date | None]) -> tuple[dict, dict]:
    """Per field, the winning value and its source id, over every field some claim gives."""
    values, sources = {}, {}
    for field in CLAIM_FIELDS:
        order = ranked(claims, field, published)
        if order:
            values[field] = order[0].values[field]
            sources[field] = order[0].sources.get(field)
    return values, sources


def column_values(values: dict) -> dict:
    """Model columns from claim values: the prices get their indexed copies."""
    out = dict(values)
    if "pricing" in values:
        pricing = values["pricing"] or {}
        out["input_price"] = pricing.get("input_per_mtok")
        out["output_price"] = pricing.get("output_per_mtok")
    return out


def load(session: Session, model_ids: list[int]) -> dict[int, list[Claim]]:
    """Every claim on the given models, by model."""
    found: dict[int, list[Claim]] = {}
    for start in range(0, len(model_ids), 500):
        batch = model_ids[start:start + 500]
        rows = session.execute(select(ModelClaim).where(ModelClaim.model_id.in_(batch)))
        for (row,) in rows:
            found.setdefault(row.model_id, []).append(
                Claim(row.pack_id, row.values or {}, {k: v for k, v in (row.sources or {}).items()},
                      row.updated_at, row.id))
    return found


def published_dates(session: Session, claims: Iterable[Claim]) -> dict[int, dt.date | None]:
    """The publication date of every source the claims cite."""
    ids = sorted({s for c in claims for s in c.sources.values() if s is not None})
    dates: dict[int, dt.date | None] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(select(Source.id, Source.published).where(Source.id.in_(ids[start:start + 500])))
        dates.update(dict(rows.all()))
    return dates


def settle(session: Session, model_ids: list[int]) -> None:
    """Set each model's fields and field sources from its claims; a field no claim gives keeps its
    value and source (a pack that stops listing a model never erases what it said)."""
    claims = load(session, model_ids)
    published = published_dates(session, [c for cs in claims.values() for c in cs])
    kept = {}
    for start in range(0, len(model_ids), 500):
        rows = session.execute(select(Model.id, Model.field_sources).where(Model.id.in_(model_ids[start:start + 500])))
        kept.update({model_id: sources or {} for model_id, sources in rows})
    groups: dict[tuple, list[dict]] = {}
    for model_id in kept:
        values, sources = winners(claims.get(model_id, []), published)
        row = {"id": model_id, **column_values(values), "field_sources": {**kept[model_id], **sources} or None}
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for batch in groups.values():
        session.execute(update(Model), batch)


def drop(session: Session, pack_id: str, model_ids: list[int]) -> None:
    """Remove ``pack_id``'s claims on these models and settle them on what the other packs say."""
    for start in range(0, len(model_ids), 500):
        session.execute(delete(ModelClaim).where(ModelClaim.pack_id == pack_id,
                                                 ModelClaim.model_id.in_(model_ids[start:start + 500])))
    if model_ids:
        settle(session, model_ids)
